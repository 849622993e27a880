package io.dedupconsumer.examples.payment;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * The provider's side of the notify call, as the demo and the tests use it: POSTs a body with its signature to the
 * merchant's endpoint over real HTTP and, like a provider, sends it again while the answer is not a success it may
 * stop on (a 5xx or no answer at all), with a growing pause. A 4xx is final here (a real provider would keep trying,
 * but the answer would not change: it depends only on the request).
 */
final class NotifyClient {

    private static final int MAX_ATTEMPTS = 5;
    private static final Duration FIRST_PAUSE = Duration.ofMillis(200);

    private final HttpClient http;
    private final URI endpoint;

    NotifyClient(URI endpoint) {
        this.endpoint = endpoint;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    /** The merchant's notify URL on {@code port} of this machine. */
    static NotifyClient local(int port) {
        return new NotifyClient(URI.create("http://127.0.0.1:" + port + NotifyController.PATH));
    }

    /**
     * Delivers a body the way a provider does: retries on 5xx and on I/O failures.
     *
     * @param signature the {@value NotifySignature#HEADER} value, or {@code null} to send none
     * @return the last answer; status 0 when no attempt got an answer
     */
    Answer deliver(byte[] body, String signature) {
        Duration pause = FIRST_PAUSE;
        Answer answer = null;
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            answer = send(body, signature);
            if (answer.status() != 0 && answer.status() < 500) {
                return answer;
            }
            if (attempt < MAX_ATTEMPTS) {
                LockSupport.parkNanos(pause.toNanos());
                pause = pause.multipliedBy(2);
            }
        }
        return answer;
    }

    /** One POST, no retry. */
    Answer send(byte[] body, String signature) {
        HttpRequest.Builder request = HttpRequest.newBuilder(endpoint)
                .timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (signature != null) {
            request.header(NotifySignature.HEADER, signature);
        }
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new Answer(response.statusCode(), response.body());
        } catch (IOException e) {
            return new Answer(0, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(0, "interrupted");
        }
    }

    /**
     * What the endpoint answered.
     *
     * @param status the HTTP status, or 0 when there was no answer
     * @param body the answer's body (or the failure)
     */
    record Answer(int status, String body) {
        boolean success() {
            return status == 200;
        }
    }
}
