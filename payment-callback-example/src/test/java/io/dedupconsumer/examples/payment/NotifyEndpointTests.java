package io.dedupconsumer.examples.payment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;

import io.dedupconsumer.testkit.KafkaBroker;
import jakarta.servlet.ServletInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.mock.web.DelegatingServletInputStream;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;

/** The notify endpoint in front of a real broker: what it answers, and what it publishes (or does not). */
class NotifyEndpointTests {

    private static final String SECRET = "notify-endpoint-tests-secret-0123456789";
    private static final NotifySignature PROVIDER = new NotifySignature(SECRET);

    private final List<DefaultKafkaProducerFactory<String, byte[]>> factories = new ArrayList<>();

    @AfterEach
    void closeProducers() {
        factories.forEach(DefaultKafkaProducerFactory::destroy);
    }

    @Test
    void aSignedCallbackIsAnsweredSuccessOnlyOnceItIsOnTheTopicKeyedByOrderId() throws Exception {
        KafkaBroker broker = KafkaBroker.shared();
        String topic = broker.uniqueTopic("notify", 2);
        MockMvc endpoint = endpoint(broker.bootstrapServers(), topic, Duration.ofSeconds(10));
        byte[] body = PaymentSchema.body("tx-1", "o-1", CallbackType.SUCCESS, 4999, "EUR", "n-1");

        MockHttpServletResponse answer = notify(endpoint, body, PROVIDER.sign(body));

        assertThat(answer.getStatus()).isEqualTo(200);
        assertThat(answer.getContentAsString()).isEqualTo("{\"code\":\"SUCCESS\",\"message\":\"OK\"}");
        List<ConsumerRecord<byte[], byte[]>> published = broker.readAll(topic, 1, Duration.ofSeconds(10));
        assertThat(published).hasSize(1);
        assertThat(new String(published.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("o-1");
        assertThat(published.get(0).value()).isEqualTo(body);
    }

    @Test
    void forgedTamperedAndUnsignedCallbacksAreAnswered401AndNothingIsPublished() throws Exception {
        KafkaBroker broker = KafkaBroker.shared();
        String topic = broker.uniqueTopic("notify-forged", 1);
        MockMvc endpoint = endpoint(broker.bootstrapServers(), topic, Duration.ofSeconds(10));
        byte[] genuine = PaymentSchema.body("tx-1", "o-1", CallbackType.SUCCESS, 1, "EUR", "n-1");
        byte[] tampered = new String(genuine, StandardCharsets.UTF_8).replace("\"amount\":1,", "\"amount\":9999,")
                .getBytes(StandardCharsets.UTF_8);
        NotifySignature forger = new NotifySignature("not-the-providers-secret-0123456789");

        assertThat(notify(endpoint, genuine, forger.sign(genuine)).getStatus()).isEqualTo(401);
        assertThat(notify(endpoint, tampered, PROVIDER.sign(genuine)).getStatus()).isEqualTo(401);
        assertThat(notify(endpoint, genuine, null).getStatus()).isEqualTo(401);
        assertThat(notify(endpoint, genuine, "sha256=" + "0".repeat(64)).getContentAsString())
                .isEqualTo("{\"code\":\"FAIL\",\"message\":\"invalid signature\"}");

        // A genuine callback after them: once it is on the topic, anything published before it would be too.
        byte[] marker = PaymentSchema.body("tx-marker", "o-1", CallbackType.FAILED, 1, "EUR", "n-2");
        assertThat(notify(endpoint, marker, PROVIDER.sign(marker)).getStatus()).isEqualTo(200);
        assertThat(broker.readAll(topic, 1, Duration.ofSeconds(10))).extracting(ConsumerRecord::value)
                .containsExactly(marker);
    }

    @Test
    void aSignedButInvalidBodyIsAnswered400WithTheReasonAndNothingIsPublished() throws Exception {
        KafkaBroker broker = KafkaBroker.shared();
        String topic = broker.uniqueTopic("notify-invalid", 1);
        MockMvc endpoint = endpoint(broker.bootstrapServers(), topic, Duration.ofSeconds(10));
        byte[] invalid = PaymentSchema.body("tx-1", "o-1", CallbackType.SUCCESS, 1, "EURO", "n-1");

        MockHttpServletResponse answer = notify(endpoint, invalid, PROVIDER.sign(invalid));

        assertThat(answer.getStatus()).isEqualTo(400);
        assertThat(answer.getContentAsString()).contains("currency: 'EURO' is not an ISO 4217 code");
        byte[] marker = PaymentSchema.body("tx-marker", "o-1", CallbackType.FAILED, 1, "EUR", "n-2");
        notify(endpoint, marker, PROVIDER.sign(marker));
        assertThat(broker.readAll(topic, 1, Duration.ofSeconds(10))).extracting(ConsumerRecord::value)
                .containsExactly(marker);
    }

    @Test
    void identicalRequestsGetIdenticalAnswers() throws Exception {
        KafkaBroker broker = KafkaBroker.shared();
        MockMvc endpoint = endpoint(broker.bootstrapServers(), broker.uniqueTopic("notify-same", 1), Duration.ofSeconds(10));
        byte[] valid = PaymentSchema.body("tx-1", "o-1", CallbackType.SUCCESS, 100, "EUR", "n-1");
        byte[] invalid = PaymentSchema.body("tx-2", "o-1", CallbackType.SUCCESS, 0, "EUR", "n-1");
        for (String[] request : new String[][] {{new String(valid, StandardCharsets.UTF_8), PROVIDER.sign(valid)},
                {new String(valid, StandardCharsets.UTF_8), "sha256=00"},
                {new String(invalid, StandardCharsets.UTF_8), PROVIDER.sign(invalid)}}) {
            byte[] body = request[0].getBytes(StandardCharsets.UTF_8);
            MockHttpServletResponse first = notify(endpoint, body, request[1]);
            for (int i = 0; i < 2; i++) {
                MockHttpServletResponse again = notify(endpoint, body, request[1]);
                assertThat(again.getStatus()).isEqualTo(first.getStatus());
                assertThat(again.getContentAsString()).isEqualTo(first.getContentAsString());
            }
        }
    }

    @Test
    void aBrokerThatDoesNotAcknowledgeIsAnswered503SoThatTheProviderRetries() throws Exception {
        int deadPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            deadPort = socket.getLocalPort();
        }
        MockMvc endpoint = endpoint("127.0.0.1:" + deadPort, "payment-callbacks", Duration.ofSeconds(2));
        byte[] body = PaymentSchema.body("tx-1", "o-1", CallbackType.SUCCESS, 100, "EUR", "n-1");

        MockHttpServletResponse answer = notify(endpoint, body, PROVIDER.sign(body));

        assertThat(answer.getStatus()).isEqualTo(503);
        assertThat(answer.getContentAsString()).isEqualTo("{\"code\":\"FAIL\",\"message\":\"not stored, retry later\"}");
    }

    @Test
    void aBodyThatCannotBeReadGetsTheDocumented500InJson() throws Exception {
        KafkaBroker broker = KafkaBroker.shared();
        MockMvc endpoint = endpoint(broker.bootstrapServers(), broker.uniqueTopic("notify-broken", 1), Duration.ofSeconds(10));
        byte[] body = PaymentSchema.body("tx-1", "o-1", CallbackType.SUCCESS, 100, "EUR", "n-1");

        // The connection breaks while the body is read: the request the endpoint sees throws on reading.
        MockHttpServletResponse answer = endpoint.perform(post(NotifyController.PATH).with(given -> {
            MockHttpServletRequest broken = new MockHttpServletRequest(given.getServletContext(), "POST",
                    NotifyController.PATH) {
                @Override
                public ServletInputStream getInputStream() {
                    return new DelegatingServletInputStream(new InputStream() {
                        @Override
                        public int read() throws IOException {
                            throw new IOException("connection reset by peer");
                        }
                    });
                }
            };
            broken.setContentType(MediaType.APPLICATION_JSON_VALUE);
            broken.addHeader("Accept", MediaType.TEXT_HTML_VALUE);
            broken.addHeader(NotifySignature.HEADER, PROVIDER.sign(body));
            return broken;
        })).andReturn().getResponse();

        assertThat(answer.getStatus()).isEqualTo(500);
        assertThat(answer.getContentType()).isEqualTo("application/json");
        assertThat(answer.getContentAsString()).isEqualTo("{\"code\":\"FAIL\",\"message\":\"internal error, retry later\"}");
    }

    private MockMvc endpoint(String bootstrapServers, String topic, Duration timeout) {
        DefaultKafkaProducerFactory<String, byte[]> factory = new DefaultKafkaProducerFactory<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 1000,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 1000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 1500),
                new StringSerializer(), new ByteArraySerializer());
        factories.add(factory);
        NotifyController controller = new NotifyController(PROVIDER,
                new CallbackPublisher(new KafkaTemplate<>(factory), topic, timeout));
        return MockMvcBuilders.standaloneSetup(controller).setControllerAdvice(new ErrorAnswers()).build();
    }

    private static MockHttpServletResponse notify(MockMvc endpoint, byte[] body, String signature) throws Exception {
        var request = post(NotifyController.PATH).contentType(MediaType.APPLICATION_JSON).content(body);
        if (signature != null) {
            request.header(NotifySignature.HEADER, signature);
        }
        return endpoint.perform(request).andReturn().getResponse();
    }
}
