package io.dedupconsumer.examples.payment;

import tools.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/**
 * The merchant's notify URL, as a payment provider calls it: {@code POST /payment/notify} with the JSON body and
 * its HMAC in {@value NotifySignature#HEADER}. The provider calls again and again until it gets a 200, so every answer
 * depends only on the request (the same request always gets the same answer), and 200 is given only once the
 * callback is safely on the broker. The checks run cheapest first, and nothing is read that a header already refuses:
 *
 * <ul>
 *   <li>415: the content type is not {@code application/json} (in UTF-8, if a charset is given); a form-encoded body
 *       is refused here, not mistaken for a forgery;</li>
 *   <li>413: the body is larger than {@value PaymentCallback#MAX_BODY_BYTES} bytes, told by its Content-Length before
 *       any byte is read, or by reading at most one byte more than the limit (a chunked body has no length);</li>
 *   <li>401: the signature is missing or wrong (forged, or the body was changed on the way); nothing is published;</li>
 *   <li>400: signed, but not a valid notification; the message says why; nothing is published;</li>
 *   <li>503: the broker did not acknowledge the write; the provider sends it again later;</li>
 *   <li>200 {@code {"code":"SUCCESS"}}: stored on the topic. Re-sends are published again and deduplicated by the
 *       consumer, which is why this endpoint needs no state of its own.</li>
 * </ul>
 *
 * <p>Every answer is JSON whatever the request's {@code Accept} header says; {@link ErrorAnswers} gives the answers
 * for requests that never reach this method.
 */
@RestController
final class NotifyController {

    /** The path the provider is configured with. */
    static final String PATH = "/payment/notify";

    private static final Logger log = LoggerFactory.getLogger(NotifyController.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final NotifySignature signature;
    private final CallbackPublisher publisher;

    NotifyController(NotifySignature signature, CallbackPublisher publisher) {
        this.signature = signature;
        this.publisher = publisher;
    }

    /** Reads the body itself, so that nothing (a message converter, a form parser) reads more than the limit. */
    @PostMapping(PATH)
    ResponseEntity<byte[]> notify(HttpServletRequest request,
            @RequestHeader(name = NotifySignature.HEADER, required = false) String signed) throws IOException {
        if (!isJsonInUtf8(request.getContentType())) {
            log.warn("notify refused: content type {}", request.getContentType());
            return answer(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "FAIL", "content type must be application/json");
        }
        long announced = request.getContentLengthLong();
        byte[] body = announced > PaymentCallback.MAX_BODY_BYTES ? null : readAtMost(request.getInputStream());
        if (body == null) {
            log.warn("notify refused: body of {} is larger than {} bytes",
                    announced < 0 ? "unknown length" : announced + " bytes", PaymentCallback.MAX_BODY_BYTES);
            return answer(HttpStatus.PAYLOAD_TOO_LARGE, "FAIL",
                    "body larger than " + PaymentCallback.MAX_BODY_BYTES + " bytes");
        }
        if (!signature.verify(body, signed)) {
            log.warn("notify refused: {} (body of {} bytes)", signed == null ? "no signature" : "wrong signature",
                    body.length);
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

    /** {@code application/json}, with no charset or UTF-8: the signature is over bytes, and only UTF-8 is JSON. */
    private static boolean isJsonInUtf8(String contentType) {
        if (contentType == null) {
            return false;
        }
        MediaType type;
        Charset charset;
        try {
            type = MediaType.parseMediaType(contentType);
            charset = type.getCharset();
        } catch (IllegalArgumentException e) {
            // InvalidMediaTypeException, or an unknown or illegal charset name
            return false;
        }
        return type.equalsTypeAndSubtype(MediaType.APPLICATION_JSON)
                && (charset == null || charset.equals(StandardCharsets.UTF_8));
    }

    /** The body, or {@code null} once it passed the limit: never more than one byte over it is read. */
    private static byte[] readAtMost(InputStream in) throws IOException {
        byte[] body = in.readNBytes(PaymentCallback.MAX_BODY_BYTES + 1);
        return body.length > PaymentCallback.MAX_BODY_BYTES ? null : body;
    }

    static ResponseEntity<byte[]> answer(HttpStatusCode status, String code, String message) {
        return answer(status, HttpHeaders.EMPTY, code, message);
    }

    /**
     * An answer in JSON, whatever the request accepts (a content type set here is not negotiated), rendered here so
     * that it goes out with its Content-Length: a client that is refused before its body was read gets the whole
     * answer while the server is still discarding the rest of the body.
     */
    static ResponseEntity<byte[]> answer(HttpStatusCode status, HttpHeaders headers, String code, String message) {
        return ResponseEntity.status(status).headers(headers).contentType(MediaType.APPLICATION_JSON)
                .body(JSON.writeValueAsBytes(new Answer(code, message)));
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
