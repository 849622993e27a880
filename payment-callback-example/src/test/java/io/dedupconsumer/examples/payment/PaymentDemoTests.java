package io.dedupconsumer.examples.payment;

import static org.assertj.core.api.Assertions.assertThat;

import io.dedupconsumer.testkit.KafkaBroker;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The demo's main entry, on the test broker and H2 with a small workload, and proof that its verifier can fail. */
class PaymentDemoTests {

    @Test
    void theDemoFindsEveryInvariantHoldingAndExitsZero() {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();

        int exit = PaymentDemo.run(new String[] {"--rounds=1", "--threads=3",
                "--spring.kafka.bootstrap-servers=" + KafkaBroker.shared().bootstrapServers()}, stream(printed));

        String output = printed.toString(StandardCharsets.UTF_8);
        assertThat(output).contains("RESULT: every invariant holds").doesNotContain("VIOLATION");
        assertThat(output).containsPattern("orders PAID +7 +7 +ok");
        assertThat(output).containsPattern("paid orders with exactly 1 payment record +8 +8 +ok");
        assertThat(output).containsPattern("forged/tampered/invalid callbacks published +0 +0 +ok");
        assertThat(output).containsPattern("replay: database unchanged +true +true +ok");
        assertThat(exit).isZero();
    }

    @Test
    void theVerifierReportsAnOrderOverwrittenBehindTheStateMachineAndExitsNonZero() {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();

        int exit = PaymentDemo.run(new String[] {"--rounds=1", "--threads=2", "--tamper",
                "--spring.kafka.bootstrap-servers=" + KafkaBroker.shared().bootstrapServers()}, stream(printed));

        String output = printed.toString(StandardCharsets.UTF_8);
        assertThat(output).containsPattern("orders CLOSED +1 +0 +VIOLATION");
        assertThat(output).containsPattern("payment records of orders never paid +0 +1 +VIOLATION");
        assertThat(output).contains("expected CLOSED, found PAID");
        assertThat(output).containsPattern("RESULT: \\d+ violation");
        assertThat(exit).isEqualTo(1);
    }

    @Test
    void anUnknownOptionIsAUsageError() {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        assertThat(PaymentDemo.run(new String[] {"--rounds=zero"}, stream(printed))).isEqualTo(2);
        assertThat(printed.toString(StandardCharsets.UTF_8)).contains("--rounds: 'zero' is not a number from 1 to 100");
    }

    private static PrintStream stream(ByteArrayOutputStream bytes) {
        return new PrintStream(bytes, true, StandardCharsets.UTF_8);
    }
}
