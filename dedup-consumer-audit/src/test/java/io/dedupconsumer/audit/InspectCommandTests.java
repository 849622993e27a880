package io.dedupconsumer.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.dedupconsumer.kafka.DeadLetter;
import io.dedupconsumer.testkit.TestDatabase;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code inspect KEY} on what the library's runner left: the claim, every record of the key, its dead letter. */
class InspectCommandTests {

    @ParameterizedTest
    @MethodSource("io.dedupconsumer.audit.AuditFixture#databases")
    void inspectShowsTheClaimEveryRecordOfTheKeyAndTheConflictsDeadLetter(TestDatabase database) throws Exception {
        try (AuditFixture fixture = new AuditFixture("inspect", database, 1)) {
            fixture.send(0, "order-1", "amount=10");
            fixture.send(0, "order-2", "amount=20");
            fixture.send(0, "order-1", "amount=10");
            fixture.send(0, "order-1", "amount=99");
            fixture.consumeWithTheRunner(1);

            AuditFixture.Run run = inspect(fixture, "order-1", "--json");

            assertThat(run.exitCode()).as(run.err()).isZero();
            JsonNode result = AuditCommand.mapper().readTree(run.out());
            assertThat(result.get("claim").get("outcome").asText()).isEqualTo("PROCESSED");
            assertThat(result.get("claim").get("source").asText()).isEqualTo(fixture.topic + "-0@0");
            List<String> amounts = new ArrayList<>();
            result.get("records").forEach(r -> amounts.add(r.get("offset").asLong() + " " + r.get("amounts").asText()));
            assertThat(amounts).containsExactly("0 the claimed record", "2 DUPLICATE", "3 CONFLICT");
            assertThat(result.get("records").get(2).get("deadLetter").asText())
                    .isEqualTo(DeadLetter.topicOf(fixture.topic) + "-0@0");
            assertThat(result.get("deadLetters")).hasSize(1);
            assertThat(result.get("deadLetters").get(0).get("outcome").asText()).isEqualTo("CONFLICT");
            assertThat(result.get("deadLetters").get(0).get("of").asText()).isEqualTo(fixture.topic + "-0@3");

            AuditFixture.Run unknown = inspect(fixture, "order-404");
            assertThat(unknown.exitCode()).isZero();
            assertThat(unknown.out()).contains("claim: none").contains("records carrying it: none");
        }
    }

    private static AuditFixture.Run inspect(AuditFixture fixture, String key, String... extra) {
        List<String> args = new ArrayList<>(List.of("inspect"));
        args.addAll(fixture.settings());
        args.add(key);
        args.addAll(List.of(extra));
        return AuditFixture.run(args.toArray(String[]::new));
    }
}
