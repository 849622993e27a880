package io.dedupconsumer.examples.payment;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/**
 * The merchant's notify URL, as a payment provider calls it: {@code POST /payment/notify} with the JSON body and
 * its HMAC in {@value NotifySignature#HEADER}. The provider calls again and again until it gets a 200, so every answer
 * depends only on the request (the same request always gets the same answer), and 200 is given only once the
 * callback is safely on the broker:
 *
 * <ul>
 *   <li>401: the signature is missing or wrong (forged, or the body was changed on the way); nothing is published;</li>
 *   <li>400: signed, but not a valid notification; the message says why; nothing is published;</li>
 *   <li>503: the broker did not acknowledge the write; the provider sends it again later;</li>
 *   <li>200 {@code {"code":"SUCCESS"}}: stored on the topic. Re-sends are published again and deduplicated by the
 *       consumer, which is why this endpoint needs no state of its own.</li>
 * </ul>
 */
@RestController
final class NotifyController {

    /** The path the provider is configured with. */
    static final String PATH = "/payment/notify";

    private static final Logger log = LoggerFactory.getLogger(NotifyController.class);

    private final NotifySignature signature;
    private final CallbackPublisher publisher;

    NotifyController(NotifySignature signature, CallbackPublisher publisher) {
        this.signature = signature;
        this.publisher = publisher;
    }

    @PostMapping(path = PATH, produces = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<Answer> notify(@RequestBody(required = false) byte[] body,
            @RequestHeader(name = NotifySignature.HEADER, required = false) String signed) {
        if (!signature.verify(body, signed)) {
            log.warn("notify refused: {} (body of {} bytes)", signed == null ? "no signature" : "wrong signature",
                    body == null ? 0 : body.length);
            return answer(HttpStatus.UNAUTHORIZED, "FAIL", "invalid signature");
        }
        PaymentCallback callback;
        try {
            callback = PaymentCallback.parse(body);
        } catch (InvalidCallbackException e) {
            log.warn("notify refused: invalid callback: {}", e.getMessage());
            return answer(HttpStatus.BAD_REQUEST, "FAIL", e.getMessage());
        }
        try {
            publisher.publish(callback, body);
        } catch (CallbackPublisher.PublishFailedException e) {
            log.error("notify for {} not stored, answering 503 so that the provider retries: {}", callback.dedupKey(),
                    e.getMessage());
            return answer(HttpStatus.SERVICE_UNAVAILABLE, "FAIL", "not stored, retry later");
        }
        return answer(HttpStatus.OK, "SUCCESS", "OK");
    }

    private static ResponseEntity<Answer> answer(HttpStatus status, String code, String message) {
        return ResponseEntity.status(status).body(new Answer(code, message));
    }

    /**
     * The body of every answer; providers look for {@code code == "SUCCESS"}.
     *
     * @param code {@code SUCCESS} or {@code FAIL}
     * @param message why, for a human reading the provider's delivery log
     */
    record Answer(String code, String message) {
    }
}
