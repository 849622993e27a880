package io.dedupconsumer.audit;

import io.dedupconsumer.core.Fingerprint;
import java.io.PrintWriter;
import java.sql.Connection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code dedup-audit inspect KEY}: everything recorded about one dedup key, for the operator who holds a complaint
 * ("order 42 was charged twice", "event e-17 never arrived"): its claim, every record of the topic that carries it
 * (read in one streaming pass) with what each amounted to, and its dead letters.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Shows the claim of one dedup key, the topic's records carrying it and their dead letters.")
final class InspectCommand implements Callable<Integer> {

    private static final HexFormat HEX = HexFormat.of();

    @Spec
    private CommandSpec spec;

    @Mixin
    private KafkaSettings kafka;

    @Mixin
    private ConsumerSettings settings;

    @Parameters(index = "0", paramLabel = "KEY", description = "The dedup key, as the table stores it.")
    private String key;

    @Mixin
    private ReportOptions output;

    /** One record of the topic carrying the key. */
    record Carrier(int partition, long offset, Instant timestamp, String fingerprint, String amounts,
            @Nullable String deadLetter) {
    }

    /** A dead letter of the key. */
    record Letter(String at, String outcome, String of) {
    }

    @Override
    public Integer call() throws Exception {
        kafka.validate();
        settings.validate();
        output.validate();
        PrintWriter err = spec.commandLine().getErr();
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("settings", settings.describe(kafka));
        result.put("key", key);
        Claim claim;
        try (Connection connection = settings.connect()) {
            claim = new ClaimTable(connection, settings.table(), settings.consumerName(kafka.group())).find(List.of(key)).get(key);
        }
        result.put("claim", claim == null ? null : claimFields(claim));
        DeadLetters letters = DeadLetters.readIfPresent(kafka, err, output.progressInterval(), new ArrayList<>());
        List<Carrier> carriers = new ArrayList<>();
        Fingerprint fingerprint = Fingerprint.sha256();
        try (TopicReader reader = new TopicReader(kafka.readerProperties(), kafka.topic())) {
            reader.read(5000, chunk -> {
                for (ConsumerRecord<byte[], byte[]> r : chunk) {
                    if (carriers.size() < output.limit() && key.equals(Audit.keyOf(settings.key().key(), r))) {
                        byte[] print = fingerprint.of(r);
                        DeadLetters.Entry letter = letters.of(r.partition(), r.offset());
                        carriers.add(new Carrier(r.partition(), r.offset(), Instant.ofEpochMilli(r.timestamp()),
                                HEX.formatHex(print), amounts(claim, r, print),
                                letter == null ? null : letter.coordinates(kafka.deadLetterTopic())));
                    }
                }
            }, err, output.progressInterval());
        }
        result.put("records", carriers);
        List<Letter> keyed = new ArrayList<>();
        letters.withKey(key).forEach((source, entry) -> keyed.add(new Letter(
                entry.coordinates(kafka.deadLetterTopic()), entry.outcome(),
                kafka.topic() + "-" + source.partition() + "@" + source.offset())));
        result.put("deadLetters", keyed);
        PrintWriter out = spec.commandLine().getOut();
        if (output.json()) {
            out.println(AuditCommand.mapper().writeValueAsString(result));
        } else {
            print(out, claim, carriers, keyed);
        }
        out.flush();
        return DedupAuditCommand.OK;
    }

    private static String amounts(@Nullable Claim claim, ConsumerRecord<?, ?> r, byte[] print) {
        if (claim == null) {
            return "not claimed";
        }
        if (!claim.sameFingerprint(print)) {
            return "CONFLICT";
        }
        return claim.claimedAt(r.topic(), r.partition(), r.offset()) ? "the claimed record" : "DUPLICATE";
    }

    private static Map<String, Object> claimFields(Claim c) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("outcome", c.outcome());
        fields.put("reason", c.reason());
        fields.put("fingerprint", HEX.formatHex(c.fingerprint()));
        fields.put("source", c.coordinates());
        fields.put("processedAt", c.processedAt());
        return fields;
    }

    private void print(PrintWriter out, @Nullable Claim claim, List<Carrier> carriers, List<Letter> letters) {
        out.printf("dedup key '%s' of consumer '%s' (table %s, topic %s)%n%n", key, settings.consumerName(kafka.group()),
                settings.table(), kafka.topic());
        if (claim == null) {
            out.println("claim: none");
        } else {
            out.printf("claim: %s%s, from %s at %s, fingerprint %s%n", claim.outcome(),
                    claim.reason() == null ? "" : " (" + claim.reason() + ")", claim.coordinates(),
                    claim.processedAt(), HEX.formatHex(claim.fingerprint()));
        }
        out.println();
        out.println("records carrying it: " + (carriers.isEmpty() ? "none" : carriers.size()));
        for (Carrier c : carriers) {
            out.printf("  %s-%d@%d  %s  fingerprint %s  %s%s%n", kafka.topic(), c.partition(), c.offset(),
                    c.timestamp(), c.fingerprint(), c.amounts(),
                    c.deadLetter() == null ? "" : ", dead-lettered at " + c.deadLetter());
        }
        out.println();
        out.println("dead letters with this key: " + (letters.isEmpty() ? "none" : letters.size()));
        for (Letter l : letters) {
            out.printf("  %s  %s  of %s%n", l.at(), l.outcome(), l.of());
        }
    }
}
