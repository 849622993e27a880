package io.dedupconsumer.examples.payment;

import jakarta.servlet.http.HttpServletRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ResponseEntity;
import org.springframework.web.ErrorResponse;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * The answers to requests that {@link NotifyController} does not answer itself (another path, another method) and to
 * anything that fails on the way: each is one of the JSON answers the README lists, whatever the request's
 * {@code Accept} header says, so a provider's delivery log always shows {@code {"code":"FAIL","message":...}} and
 * never an HTML error page. Spring Boot's own error page ({@code /error}) is switched off in
 * {@link PaymentCallbackApplication}, so there is no other way to answer.
 */
@RestControllerAdvice
final class ErrorAnswers {

    private static final Logger log = LoggerFactory.getLogger(ErrorAnswers.class);

    @ExceptionHandler(Exception.class)
    ResponseEntity<byte[]> answer(Exception failure, HttpServletRequest request) {
        if (!(failure instanceof ErrorResponse refusal)) {
            log.error("{} {} failed, answering 500: {}", request.getMethod(), request.getRequestURI(), failure.toString(),
                    failure);
            return NotifyController.answer(HttpStatus.INTERNAL_SERVER_ERROR, "FAIL", "internal error, retry later");
        }
        HttpStatusCode status = refusal.getStatusCode();
        log.warn("{} {} refused with {}: {}", request.getMethod(), request.getRequestURI(), status.value(),
                failure.getMessage());
        return NotifyController.answer(status, refusal.getHeaders(), "FAIL", message(status));
    }

    private static String message(HttpStatusCode status) {
        if (status.value() == HttpStatus.NOT_FOUND.value()) {
            return "not found: the endpoint is POST " + NotifyController.PATH;
        }
        if (status.value() == HttpStatus.METHOD_NOT_ALLOWED.value()) {
            return "method not allowed: use POST " + NotifyController.PATH;
        }
        HttpStatus known = HttpStatus.resolve(status.value());
        return known == null ? "HTTP " + status.value() : known.getReasonPhrase();
    }
}
