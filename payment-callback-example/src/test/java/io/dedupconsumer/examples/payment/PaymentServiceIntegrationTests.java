package io.dedupconsumer.examples.payment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dedupconsumer.spring.DedupErrorHandling;
import io.dedupconsumer.testkit.KafkaBroker;
import io.dedupconsumer.testkit.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.listener.ConcurrentMessageListenerContainer;

/**
 * The whole service as deployed: Spring Boot with the real HTTP endpoint, the real Kafka broker (in-process KRaft, or
 * {@code KAFKA_BOOTSTRAP_SERVERS}) and a real MariaDB database, the dedup table and the service's tables migrated at
 * start-up.
 */
class PaymentServiceIntegrationTests {

    private static final String SECRET = "integration-tests-secret-0123456789abcdef";
    private static final NotifySignature PROVIDER = new NotifySignature(SECRET);
    private static final Duration CONSUMED = Duration.ofSeconds(60);

    private static ConfigurableApplicationContext service;
    private static NotifyClient client;
    private static JdbcTemplate jdbc;
    private static Orders orders;
    private static Admin admin;
    private static TopicProgress progress;
    private static String topic;
    private static String group;

    @BeforeAll
    static void startService() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        topic = "payment-it-" + run;
        group = "payment-service-it-" + run;
        service = PaymentSchema.startService(TestDatabase.mariadb(), topic, group, SECRET,
                "--spring.datasource.hikari.maximum-pool-size=6",
                "--payment.partitions=3");
        client = NotifyClient.local(service.getEnvironment().getRequiredProperty("local.server.port", Integer.class));
        jdbc = service.getBean(JdbcTemplate.class);
        orders = service.getBean(Orders.class);
        admin = Admin.create(service.getBean(KafkaAdmin.class).getConfigurationProperties());
        progress = new TopicProgress(admin);
    }

    @AfterAll
    static void stopService() {
        if (admin != null) {
            admin.close();
        }
        if (service != null) {
            service.close();
        }
    }

    @Test
    void identicalCallbacksFiredConcurrentlyOverHttpPayTheOrderOnce() throws Exception {
        String order = pendingOrder("concurrent", 4999);
        byte[] success = PaymentSchema.body("tx-" + order, order, CallbackType.SUCCESS, 4999, "EUR", "n-1");
        int threads = 8;
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService provider = Executors.newFixedThreadPool(threads);
        List<NotifyClient.Answer> answers = new ArrayList<>();
        try {
            List<Future<NotifyClient.Answer>> sent = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                sent.add(provider.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    return client.send(success, PROVIDER.sign(success));
                }));
            }
            for (Future<NotifyClient.Answer> answer : sent) {
                answers.add(answer.get(30, TimeUnit.SECONDS));
            }
        } finally {
            provider.shutdownNow();
        }

        assertThat(answers).hasSize(threads).containsOnly(new NotifyClient.Answer(200,
                "{\"code\":\"SUCCESS\",\"message\":\"OK\"}"));
        awaitConsumed();
        Order paid = orders.find(order).orElseThrow();
        assertThat(paid.status()).isEqualTo(OrderStatus.PAID);
        assertThat(paid.version()).as("submitted, then paid: two moves").isEqualTo(2);
        assertThat(count("SELECT COUNT(*) FROM payment WHERE order_id = ?", order)).isOne();
        assertThat(count("SELECT COUNT(*) FROM refund_followup WHERE order_id = ?", order)).isZero();
        assertThat(count("SELECT COUNT(*) FROM dedup_record WHERE dedup_key = ?", "tx-" + order + ":SUCCESS")).isOne();
        assertThat(onTopic(success)).as("each accepted request was published").isEqualTo(threads);
    }

    @Test
    void forgedAndTamperedCallbacksPublishNothingAndMoveNothing() {
        String order = pendingOrder("forged", 700);
        byte[] genuine = PaymentSchema.body("tx-" + order, order, CallbackType.SUCCESS, 1, "EUR", "n-1");
        byte[] tampered = new String(genuine, StandardCharsets.UTF_8).replace("\"amount\":1,", "\"amount\":700,")
                .getBytes(StandardCharsets.UTF_8);
        NotifySignature forger = new NotifySignature("a-secret-the-merchant-never-shared-42");

        assertThat(client.deliver(tampered, forger.sign(tampered)).status()).isEqualTo(401);
        assertThat(client.deliver(tampered, PROVIDER.sign(genuine)).status()).isEqualTo(401);
        assertThat(client.deliver(tampered, null).status()).isEqualTo(401);
        // Something genuine after them, so that the check below reads past where they would be.
        byte[] failed = PaymentSchema.body("tx-" + order + "-2", order, CallbackType.FAILED, 700, "EUR", "n-2");
        assertThat(client.deliver(failed, PROVIDER.sign(failed)).status()).isEqualTo(200);
        awaitConsumed();

        assertThat(onTopic(tampered)).isZero();
        assertThat(onTopic(genuine)).isZero();
        Order after = orders.find(order).orElseThrow();
        assertThat(after.status()).isEqualTo(OrderStatus.PENDING_PAYMENT);
        assertThat(count("SELECT COUNT(*) FROM payment WHERE order_id = ?", order)).isZero();
    }

    @Test
    void aReplayOfTheTopicUnderANewGroupChangesNothing() {
        String run = "rp" + UUID.randomUUID().toString().substring(0, 6);
        String paid = run + "-paid";
        String closed = run + "-closed";
        String mismatch = run + "-mismatch";
        orders.create(paid, 1000, "EUR");
        orders.create(closed, 1000, "EUR");
        orders.create(mismatch, 1000, "EUR");
        for (String order : List.of(paid, closed, mismatch)) {
            orders.apply(order, Transition.SUBMIT_PAYMENT);
        }
        orders.apply(closed, Transition.EXPIRE);
        deliver(PaymentSchema.body("tx-" + paid + "-1", paid, CallbackType.FAILED, 1000, "EUR", "n-1"));
        deliver(PaymentSchema.body("tx-" + paid + "-2", paid, CallbackType.SUCCESS, 1000, "EUR", "n-2"));
        deliver(PaymentSchema.body("tx-" + paid + "-2", paid, CallbackType.SUCCESS, 1000, "EUR", "n-3"));
        deliver(PaymentSchema.body("tx-" + paid + "-2", paid, CallbackType.SUCCESS, 1001, "EUR", "n-4"));
        deliver(PaymentSchema.body("tx-" + closed + "-1", closed, CallbackType.SUCCESS, 1000, "EUR", "n-5"));
        deliver(PaymentSchema.body("tx-" + mismatch + "-1", mismatch, CallbackType.SUCCESS, 999, "EUR", "n-6"));
        awaitConsumed();
        String consumer = "payment-service";
        Snapshot before = Snapshot.take(jdbc, consumer, run);
        List<ConsumerRecord<byte[], byte[]>> deadLettersBefore = deadLetters();
        assertThat(before.statuses()).containsEntry(OrderStatus.PAID, 1).containsEntry(OrderStatus.CLOSED, 1)
                .containsEntry(OrderStatus.PENDING_PAYMENT, 1);
        assertThat(before.followups()).containsEntry(closed, 1);
        assertThat(before.anomalies()).containsEntry("tx-" + mismatch + "-1:SUCCESS", "AMOUNT_MISMATCH alerted");
        assertThat(before.conflicts()).as("the conflicting 1001 is recorded next to the orders")
                .containsExactly(Map.entry("tx-" + paid + "-2:SUCCESS", 1));
        assertThat(deadLettersBefore).extracting(r -> header(r, AnomalyAlerts.KIND_HEADER)).containsOnlyOnce("AMOUNT_MISMATCH");
        assertThat(deadLettersBefore).extracting(r -> header(r, DedupErrorHandling.OUTCOME_HEADER))
                .contains("CONFLICT");

        String replayGroup = "payment-replay-" + run;
        ConcurrentMessageListenerContainer<?, ?> replay = service.getBean(CallbackReplay.class).start(replayGroup);
        try {
            await().atMost(CONSUMED).until(() -> progress.lag(replayGroup, topic) == 0);
        } finally {
            replay.stop();
        }

        assertThat(Snapshot.take(jdbc, consumer, run)).isEqualTo(before);
        assertThat(deadLetters()).extracting(r -> header(r, AnomalyAlerts.KIND_HEADER)).containsOnlyOnce("AMOUNT_MISMATCH");
    }

    private static String pendingOrder(String story, long amount) {
        String order = story + "-" + UUID.randomUUID().toString().substring(0, 8);
        orders.create(order, amount, "EUR");
        assertThat(orders.apply(order, Transition.SUBMIT_PAYMENT)).isTrue();
        return order;
    }

    private static void deliver(byte[] body) {
        assertThat(client.deliver(body, PROVIDER.sign(body)).status()).isEqualTo(200);
    }

    private static void awaitConsumed() {
        await().atMost(CONSUMED).until(() -> progress.lag(group, topic) == 0);
    }

    private static int count(String sql, String argument) {
        return jdbc.queryForObject(sql, Integer.class, argument);
    }

    private static long onTopic(byte[] body) {
        return TopicReader.readAll(KafkaBroker.shared().bootstrapServers(), topic, Duration.ofSeconds(20)).stream()
                .filter(r -> java.util.Arrays.equals(r.value(), body)).count();
    }

    private static List<ConsumerRecord<byte[], byte[]>> deadLetters() {
        return TopicReader.readAll(KafkaBroker.shared().bootstrapServers(), topic + DedupErrorHandling.DEAD_LETTER_SUFFIX,
                Duration.ofSeconds(20));
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        var header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
