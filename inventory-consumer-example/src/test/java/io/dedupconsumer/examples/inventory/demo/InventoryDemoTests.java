package io.dedupconsumer.examples.inventory.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.dedupconsumer.testkit.KafkaBroker;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The demo as the README runs it, with a small workload: it passes on the embedded defaults, and its verification fails
 * (exit code 1) when the database is tampered with before it looks.
 */
class InventoryDemoTests {

    private static final String[] SMALL = {"--events=300", "--skus=4", "--duplicates=0.25", "--conflicts=5", "--bad=6",
        "--seed=7", "--progress=2"};

    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(new Tee(output, System.out), true, StandardCharsets.UTF_8);

    @Test
    void theDemoPassesOnAnInProcessBrokerAndH2WithNothingConfigured() {
        int exitCode = InventoryDemo.run(out, SMALL);

        assertThat(text()).contains("in-process KRaft broker", "H2 in memory", "VERDICT: PASS").doesNotContain("FAIL");
        assertThat(exitCode).isZero();
    }

    @Test
    void aTamperedStockRowFailsTheVerificationWithExitCodeOne() {
        int exitCode = runTampered(jdbc -> jdbc.update(
                "UPDATE stock SET available = available + 1 WHERE sku = (SELECT MIN(sku) FROM stock)"));

        assertThat(exitCode).isEqualTo(InventoryDemo.FAILED);
        assertThat(text()).containsPattern("SKU-\\d+ +\\d+ +\\d+  FAIL  stock differs from the model")
                .contains("VERDICT: FAIL");
    }

    @Test
    void aDoubledLedgerRowFailsTheVerificationAndNamesTheEvent() {
        int exitCode = runTampered(jdbc -> jdbc.update("INSERT INTO stock_ledger (event_id, entry_type, order_id, sku,"
                + " quantity, delta, result) SELECT event_id, entry_type, order_id, sku, quantity, 0, result"
                + " FROM stock_ledger WHERE id = (SELECT MIN(id) FROM stock_ledger)"));

        assertThat(exitCode).isEqualTo(InventoryDemo.FAILED);
        assertThat(text()).containsPattern("event ids with 2\\+ ledger rows +0 +1  FAIL")
                .containsPattern("event ids with 2\\+ ledger rows: \\w+-e\\d{7}")
                .contains("VERDICT: FAIL");
    }

    @Test
    void badOptionsExitWithTwoAndNameTheOption() {
        assertThat(InventoryDemo.run(out, "--events=many")).isEqualTo(InventoryDemo.USAGE);
        assertThat(InventoryDemo.run(out, "--frobnicate=1")).isEqualTo(InventoryDemo.USAGE);
        assertThat(InventoryDemo.run(out, "--duplicates=7")).isEqualTo(InventoryDemo.USAGE);

        assertThat(text()).contains("--events: 'many' is not a whole number", "unknown option --frobnicate",
                "--duplicates: 7.0 is out of range", "Usage: InventoryDemo");
    }

    /** Runs the small demo on the shared test broker and H2, tampering with the database just before it verifies. */
    private int runTampered(Consumer<JdbcTemplate> tamper) {
        String[] args = new String[SMALL.length + 1];
        System.arraycopy(SMALL, 0, args, 0, SMALL.length);
        args[SMALL.length] = "--spring.kafka.bootstrap-servers=" + KafkaBroker.shared().bootstrapServers();
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
