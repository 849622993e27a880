package io.dedupconsumer.examples.inventory.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.dedupconsumer.examples.inventory.oracle.InventoryChecks;
import io.dedupconsumer.examples.inventory.oracle.Verification;
import io.dedupconsumer.testkit.KafkaBroker;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The demo as the README runs it, with a small workload: it passes on the embedded defaults with both of the service's
 * listeners (the record listener and the batch listener of the throughput mode, each verified against the oracle), and
 * its verification fails (exit code 1) when the database is tampered with before it looks.
 */
class InventoryDemoTests {

    private static final String[] SMALL = {"--events=300", "--skus=4", "--duplicates=0.25", "--conflicts=5", "--bad=6",
        "--seed=7", "--progress=2"};

    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(new Tee(output, System.out), true, StandardCharsets.UTF_8);

    @Test
    void theDemoPassesWithTheRecordAndTheBatchListenerOnAnInProcessBrokerAndH2WithNothingConfigured() {
        DemoResult result = InventoryDemo.run(out, SMALL);

        assertThat(result.exitCode()).isEqualTo(InventoryDemo.PASSED);
        assertThat(result.verdict().failures()).isEmpty();
        assertThat(result.verdict().checks()).isGreaterThan(60); // over 30 per listener
        assertThat(text()).contains("in-process KRaft broker", "H2 in memory", "=== listener record",
                "=== listener batch", "consuming with the deduplicated batch listener");
    }

    @Test
    void aTamperedStockRowFailsTheVerificationWithExitCodeOne() {
        DemoResult result = runTampered(jdbc -> jdbc.update(
                "UPDATE stock SET available = available + 1 WHERE sku = (SELECT MIN(sku) FROM stock)"));

        assertThat(result.exitCode()).isEqualTo(InventoryDemo.FAILED);
        assertThat(result.verdict().failures()).hasSize(2);
        assertThat(result.verdict().failedNames()).containsExactly(InventoryChecks.STOCK_AS_MODEL,
                InventoryChecks.STOCK_AS_LEDGER);
        Verification.Check stock = result.verdict().failures().get(0);
        assertThat(stock.meaning()).startsWith("stock differs from the model");
        assertThat(((Number) stock.actual()).longValue()).isEqualTo(((Number) stock.expected()).longValue() - 1);
        String example = result.verdict().violations().get(0);
        Matcher sku = Pattern.compile(InventoryChecks.STOCK_AS_MODEL + ": \\w+-SKU-01: model (\\d+), database (\\d+)")
                .matcher(example);
        assertThat(sku.matches()).as(example).isTrue();
        assertThat(Integer.parseInt(sku.group(2))).isEqualTo(Integer.parseInt(sku.group(1)) + 1);
    }

    @Test
    void aDoubledLedgerRowFailsTheVerificationAndNamesTheEvent() {
        DemoResult result = runTampered(jdbc -> jdbc.update("INSERT INTO stock_ledger (event_id, entry_type, order_id, sku,"
                + " quantity, delta, result) SELECT event_id, entry_type, order_id, sku, quantity, 0, result"
                + " FROM stock_ledger WHERE id = (SELECT MIN(id) FROM stock_ledger)"));

        assertThat(result.exitCode()).isEqualTo(InventoryDemo.FAILED);
        // the copied row also counts once more among the rows and under its result (APPLIED, OUT_OF_STOCK, ...)
        assertThat(result.verdict().failedNames()).hasSize(3).contains("rows", InventoryChecks.DOUBLED_EFFECTS);
        assertThat(result.verdict().failures()).filteredOn(check -> check.name().equals(InventoryChecks.DOUBLED_EFFECTS))
                .singleElement().satisfies(check -> {
                    assertThat(check.expected()).isEqualTo(0);
                    assertThat(check.actual()).isEqualTo(1);
                });
        assertThat(result.verdict().violations()).anyMatch(v -> v.matches(InventoryChecks.DOUBLED_EFFECTS + ": \\w+-e\\d{7}"));
    }

    @Test
    void badOptionsExitWithTwoAndNameTheOption() {
        for (String bad : new String[] {"--events=many", "--frobnicate=1", "--duplicates=7", "--listeners=bulk",
            "--inventory.listener=batch"}) {
            assertThat(InventoryDemo.run(out, bad)).isEqualTo(DemoResult.without(InventoryDemo.USAGE));
        }

        assertThat(text()).contains("--events: 'many' is not a whole number", "unknown option --frobnicate",
                "--duplicates: 7.0 is out of range", "--listeners: bulk is not a list", "use --listeners=record",
                "Usage: InventoryDemo");
    }

    /**
     * Runs the small demo with the record listener on the shared test broker and H2, tampering with the database just
     * before it verifies.
     */
    private DemoResult runTampered(Consumer<JdbcTemplate> tamper) {
        String[] args = new String[SMALL.length + 2];
        System.arraycopy(SMALL, 0, args, 0, SMALL.length);
        args[SMALL.length] = "--spring.kafka.bootstrap-servers=" + KafkaBroker.shared().bootstrapServers();
        args[SMALL.length + 1] = "--listeners=record";
        return new InventoryDemo(DemoOptions.parse(args), out, tamper).run();
    }

    private String text() {
        return output.toString(StandardCharsets.UTF_8);
    }

    /** Keeps the demo's output for the assertions and shows it in the build log. */
    private static final class Tee extends OutputStream {
        private final OutputStream first;
        private final OutputStream second;

        Tee(OutputStream first, OutputStream second) {
            this.first = first;
            this.second = second;
        }

        @Override
        public void write(int b) {
            try {
                first.write(b);
                second.write(b);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) {
            try {
                first.write(b, off, len);
                second.write(b, off, len);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }
}
