package io.dedupconsumer.examples.payment;

import static org.assertj.core.api.Assertions.assertThat;

import io.dedupconsumer.testkit.KafkaBroker;
import io.dedupconsumer.testkit.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The notify endpoint as the provider (or an attacker) meets it: the whole service on its real HTTP server, the real
 * broker and PostgreSQL. What is refused is refused before the body is read or the signature checked, with one of the
 * README's JSON answers whatever the request asks for, and nothing refused is ever published.
 */
class NotifyServerTests {

    private static final String SECRET = "notify-server-tests-secret-0123456789abcdef";
    private static final NotifySignature PROVIDER = new NotifySignature(SECRET);
    private static final Duration NO_ANSWER = Duration.ofSeconds(30);
    private static final String TOO_LARGE = "{\"code\":\"FAIL\",\"message\":\"body larger than 8192 bytes\"}";
    private static final String NOT_JSON = "{\"code\":\"FAIL\",\"message\":\"content type must be application/json\"}";

    private static ConfigurableApplicationContext service;
    private static int port;
    private static String topic;
    private static HttpClient http;

    @BeforeAll
    static void startService() {
        topic = "payment-server-" + UUID.randomUUID().toString().substring(0, 8);
        service = PaymentSchema.startService(TestDatabase.postgresql(), topic, topic, SECRET,
                "--payment.partitions=1",
                "--payment.concurrency=1");
        port = service.getEnvironment().getRequiredProperty("local.server.port", Integer.class);
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    static void stopService() {
        if (service != null) {
            service.close();
        }
    }

    @Test
    void anUnsignedHugeBodyIsRefusedBeforeItIsRead() throws IOException {
        // 50 MB announced, not one byte of it sent: the answer can only come from the headers.
        String head = "POST " + NotifyController.PATH + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Type: application/json\r\nContent-Length: " + 50L * 1024 * 1024 + "\r\n\r\n";

        Raw answer = exchange(head, new byte[0]);

        assertThat(answer.status()).isEqualTo(413);
        assertThat(answer.body()).isEqualTo(TOO_LARGE);
    }

    @Test
    void aChunkedBodyIsRefusedOnceItPassesTheLimitWithoutWaitingForItsEnd() throws IOException {
        // No Content-Length: one chunk one byte over the limit, the head of a next one, and the body never ends
        // (Tomcat 10.1 reads the end of a chunk before it hands over its last byte).
        int size = PaymentCallback.MAX_BODY_BYTES + 1;
        String head = "POST " + NotifyController.PATH + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                + Integer.toHexString(size) + "\r\n";
        byte[] next = "\r\n100\r\n    ".getBytes(StandardCharsets.US_ASCII);
        byte[] chunk = new byte[size + next.length];
        Arrays.fill(chunk, (byte) ' ');
        System.arraycopy(next, 0, chunk, size, next.length);

        Raw answer = exchange(head, chunk);

        assertThat(answer.status()).isEqualTo(413);
        assertThat(answer.body()).isEqualTo(TOO_LARGE);
    }

    @Test
    void aSignedBodyOverTheLimitIsRefusedAndNeverPublished() throws Exception {
        byte[] body = padded(PaymentSchema.body("tx-big", "o-big", CallbackType.SUCCESS, 100, "EUR", "n-1"),
                PaymentCallback.MAX_BODY_BYTES + 1);

        HttpResponse<String> answer = post(body, PROVIDER.sign(body), "application/json", null);

        assertThat(answer.statusCode()).isEqualTo(413);
        assertThat(answer.body()).isEqualTo(TOO_LARGE);
        assertNeverPublished(body);
    }

    @Test
    void aFormEncodedBodyGets415NotInvalidSignature() throws Exception {
        byte[] body = PaymentSchema.body("tx-form", "o-form", CallbackType.SUCCESS, 100, "EUR", "n-1");

        HttpResponse<String> answer = post(body, PROVIDER.sign(body), "application/x-www-form-urlencoded", null);

        assertThat(answer.statusCode()).isEqualTo(415);
        assertThat(answer.body()).isEqualTo(NOT_JSON);
        assertNeverPublished(body);
    }

    @Test
    void onlyJsonInUtf8IsAccepted() throws Exception {
        for (String refused : List.of("text/plain", "application/json; charset=ISO-8859-1", "application/xml",
                "application/json-patch+json", "not a media type")) {
            byte[] body = PaymentSchema.body("tx-type", "o-type", CallbackType.SUCCESS, 100, "EUR", refused.strip());
            HttpResponse<String> answer = post(body, PROVIDER.sign(body), refused, null);
            assertThat(answer.statusCode()).as(refused).isEqualTo(415);
            assertThat(answer.body()).as(refused).isEqualTo(NOT_JSON);
        }
        byte[] noType = PaymentSchema.body("tx-type", "o-type", CallbackType.SUCCESS, 100, "EUR", "none");
        assertThat(post(noType, PROVIDER.sign(noType), null, null).statusCode()).isEqualTo(415);
        for (String accepted : List.of("application/json", "application/json; charset=UTF-8", "Application/JSON;charset=utf-8")) {
            byte[] body = PaymentSchema.body("tx-type", "o-type", CallbackType.SUCCESS, 100, "EUR", accepted);
            assertThat(post(body, PROVIDER.sign(body), accepted, null).statusCode()).as(accepted).isEqualTo(200);
        }
    }

    @Test
    void trailingGarbageAfterTheJsonIsRefused() throws Exception {
        byte[] genuine = PaymentSchema.body("tx-trail", "o-trail", CallbackType.SUCCESS, 100, "EUR", "n-1");
        String json = new String(genuine, StandardCharsets.UTF_8);
        for (String trailed : List.of(json + "x", json + json, json + "]", json + "{\"amount\":9999}")) {
            byte[] body = trailed.getBytes(StandardCharsets.UTF_8);

            HttpResponse<String> answer = post(body, PROVIDER.sign(body), "application/json", null);

            assertThat(answer.statusCode()).as(trailed).isEqualTo(400);
            assertThat(answer.body()).as(trailed).startsWith("{\"code\":\"FAIL\",\"message\":\"not JSON: ");
            assertNeverPublished(body);
        }
    }

    @Test
    void aRepeatedMemberIsRefusedNotReadAsTheFirstOrTheLast() throws Exception {
        byte[] body = new String(PaymentSchema.body("tx-twice", "o-twice", CallbackType.SUCCESS, 100, "EUR", "n-1"),
                StandardCharsets.UTF_8).replace("\"amount\":100,", "\"amount\":100,\"amount\":9999,")
                .getBytes(StandardCharsets.UTF_8);

        HttpResponse<String> answer = post(body, PROVIDER.sign(body), "application/json", null);

        assertThat(answer.statusCode()).isEqualTo(400);
        assertThat(answer.body()).startsWith("{\"code\":\"FAIL\",\"message\":\"not JSON: ").contains("amount");
        assertNeverPublished(body);
    }

    @Test
    void nonUtf8BodiesAreRefusedAndNeverPublished() throws Exception {
        byte[] genuine = PaymentSchema.body("tx-bytes", "o-bytes", CallbackType.SUCCESS, 100, "EUR", "n-XXX");
        int at = new String(genuine, StandardCharsets.UTF_8).indexOf("n-XXX") + 2;
        // Overlong forms of '/' (C0 AF, E0 80 AF) and of 'X' (C1 98), which Jackson alone reads as those characters,
        // an encoded surrogate, a code point above U+10FFFF, a lone invalid byte and a cut sequence.
        for (int[] bad : List.of(new int[] {0xC0, 0xAF, 'X'}, new int[] {0xE0, 0x80, 0xAF}, new int[] {0xC1, 0x98, 'X'},
                new int[] {0xED, 0xA0, 0x80}, new int[] {0xF4, 0x90, 0x80}, new int[] {0xFF, 'X', 'X'},
                new int[] {0xE2, 0x82, '"'})) {
            byte[] body = genuine.clone();
            for (int i = 0; i < bad.length; i++) {
                body[at + i] = (byte) bad[i];
            }

            HttpResponse<String> answer = post(body, PROVIDER.sign(body), "application/json", null);

            String what = Arrays.toString(bad);
            assertThat(answer.statusCode()).as(what).isEqualTo(400);
            assertThat(answer.body()).as(what).isEqualTo("{\"code\":\"FAIL\",\"message\":\"not UTF-8: invalid byte "
                    + "sequence at byte " + at + "\"}");
            assertNeverPublished(body);
        }
    }

    @Test
    void anHtmlAcceptGetsTheDocumentedJsonAnswer() throws Exception {
        byte[] valid = PaymentSchema.body("tx-html", "o-html", CallbackType.FAILED, 100, "EUR", "n-1");
        byte[] invalid = PaymentSchema.body("tx-html", "o-html", CallbackType.FAILED, 0, "EUR", "n-1");
        byte[] tooLarge = padded(valid, PaymentCallback.MAX_BODY_BYTES + 1);
        String html = "text/html,application/xhtml+xml;q=0.9";

        assertAnswer(post(valid, PROVIDER.sign(valid), "application/json", html), 200,
                "{\"code\":\"SUCCESS\",\"message\":\"OK\"}");
        assertAnswer(post(valid, null, "application/json", html), 401,
                "{\"code\":\"FAIL\",\"message\":\"invalid signature\"}");
        assertAnswer(post(invalid, PROVIDER.sign(invalid), "application/json", html), 400,
                "{\"code\":\"FAIL\",\"message\":\"amount: must be a positive whole number of minor units (cents), was 0\"}");
        assertAnswer(post(tooLarge, null, "application/json", html), 413, TOO_LARGE);
        assertAnswer(post(valid, null, "text/html", html), 415, NOT_JSON);
        assertAnswer(send(HttpRequest.newBuilder(uri(NotifyController.PATH)).GET(), html), 405,
                "{\"code\":\"FAIL\",\"message\":\"method not allowed: use POST " + NotifyController.PATH + "\"}");
        for (String elsewhere : List.of("/", "/payment/notify/x", "/error", "/index.html")) {
            assertAnswer(send(HttpRequest.newBuilder(uri(elsewhere)).POST(HttpRequest.BodyPublishers.ofByteArray(valid)),
                    html), 404, "{\"code\":\"FAIL\",\"message\":\"not found: the endpoint is POST "
                    + NotifyController.PATH + "\"}");
        }
        assertAnswer(send(HttpRequest.newBuilder(uri("/error")).GET(), html), 404,
                "{\"code\":\"FAIL\",\"message\":\"not found: the endpoint is POST " + NotifyController.PATH + "\"}");
    }

    private static void assertAnswer(HttpResponse<String> answer, int status, String body) {
        String request = answer.request().method() + " " + answer.uri().getPath();
        assertThat(answer.statusCode()).as(request).isEqualTo(status);
        assertThat(answer.headers().firstValue("Content-Type")).as(request).hasValue("application/json");
        assertThat(answer.body()).as(request).isEqualTo(body);
    }

    private static HttpResponse<String> post(byte[] body, String signature, String contentType, String accept)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(NotifyController.PATH))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        if (signature != null) {
            request.header(NotifySignature.HEADER, signature);
        }
        return send(request, accept);
    }

    private static HttpResponse<String> send(HttpRequest.Builder request, String accept)
            throws IOException, InterruptedException {
        if (accept != null) {
            request.header("Accept", accept);
        }
        return http.send(request.timeout(NO_ANSWER).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    /** {@code body} with spaces inserted before its closing brace up to {@code size} bytes: still the same JSON. */
    private static byte[] padded(byte[] body, int size) {
        byte[] padded = new byte[size];
        Arrays.fill(padded, (byte) ' ');
        System.arraycopy(body, 0, padded, 0, body.length - 1);
        padded[size - 1] = '}';
        return padded;
    }

    /** Publishes a genuine marker, then reads the topic up to it: a refused body would be before it. */
    private static void assertNeverPublished(byte[] body) throws IOException, InterruptedException {
        byte[] marker = PaymentSchema.body("tx-marker-" + UUID.randomUUID().toString().substring(0, 8), "o-marker",
                CallbackType.FAILED, 1, "EUR", "n-1");
        assertThat(post(marker, PROVIDER.sign(marker), "application/json", null).statusCode()).isEqualTo(200);
        List<ConsumerRecord<byte[], byte[]>> published = TopicReader.readAll(KafkaBroker.shared().bootstrapServers(),
                topic, Duration.ofSeconds(20));
        assertThat(published).anyMatch(r -> Arrays.equals(r.value(), marker));
        assertThat(published).noneMatch(r -> Arrays.equals(r.value(), body));
    }

    /**
     * Sends {@code head} and {@code bodyPart} over a plain socket and reads the answer without sending anything more:
     * an endpoint that waits for the rest of the body never answers, and the read times out. The answer's body is
     * delimited by its length, its chunks, or the server closing the connection.
     */
    private static Raw exchange(String head, byte[] bodyPart) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout((int) NO_ANSWER.toMillis());
            OutputStream out = socket.getOutputStream();
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            out.write(bodyPart);
            out.flush();
            InputStream in = socket.getInputStream();
            String statusLine = line(in);
            int contentLength = -1;
            boolean chunked = false;
            for (String header = line(in); !header.isEmpty(); header = line(in)) {
                String lower = header.toLowerCase(Locale.ROOT);
                if (lower.startsWith("content-length:")) {
                    contentLength = Integer.parseInt(lower.substring("content-length:".length()).strip());
                } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                    chunked = true;
                }
            }
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            if (chunked) {
                for (int size = Integer.parseInt(line(in).strip(), 16); size > 0; size = Integer.parseInt(line(in).strip(), 16)) {
                    body.write(in.readNBytes(size));
                    line(in);
                }
            } else if (contentLength >= 0) {
                body.write(in.readNBytes(contentLength));
            } else {
                body.write(in.readAllBytes());
            }
            return new Raw(Integer.parseInt(statusLine.split(" ")[1]), body.toString(StandardCharsets.UTF_8));
        }
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("connection closed in the middle of the answer: " + line);
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.US_ASCII);
    }

    private record Raw(int status, String body) {
    }
}
