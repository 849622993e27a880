package io.dedupconsumer.examples.payment;

import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import io.dedupconsumer.core.Fingerprint;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Currency;
import java.util.regex.Pattern;

/**
 * One notification from the payment provider, as the notify endpoint receives it and the consumer reads it back from
 * the topic (the raw body is what travels, so the signature could be checked again anywhere):
 *
 * <pre>{@code {"transaction_id":"tx-81","order_id":"o-17","type":"SUCCESS","amount":4999,"currency":"EUR",
 *  "notify_id":"n-3","notify_time":"2026-01-05T10:15:30Z"}}</pre>
 *
 * <p>{@code notify_id} and {@code notify_time} change on every re-send of the same event, so they are neither part of
 * the dedup key (transaction id + type) nor of the fingerprint (the fields that make the event what it is).
 *
 * @param providerTxId the provider's transaction id ({@code transaction_id})
 * @param orderId the merchant's order id
 * @param type what happened
 * @param amountMinor the amount in minor units of {@code currency}
 * @param currency ISO 4217 code
 */
record PaymentCallback(String providerTxId, String orderId, CallbackType type, long amountMinor, String currency) {

    /** The largest body accepted. */
    static final int MAX_BODY_BYTES = 8 * 1024;

    /**
     * A member named twice is refused: whether the first or the last counts would be the reader's guess. Content after
     * the object is refused by {@link #parse} with a message of its own.
     */
    private static final ObjectMapper JSON = JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final Pattern CURRENCY = Pattern.compile("[A-Z]{3}");

    /**
     * Reads and validates a notification body: exactly one JSON object in strict UTF-8 (no overlong forms, no encoded
     * surrogates), each member once, nothing after it but white space.
     *
     * @throws InvalidCallbackException naming the first field that is missing or wrong
     */
    static PaymentCallback parse(byte[] body) throws InvalidCallbackException {
        if (body == null || body.length == 0) {
            throw new InvalidCallbackException("empty body");
        }
        if (body.length > MAX_BODY_BYTES) {
            throw new InvalidCallbackException("body of " + body.length + " bytes is larger than " + MAX_BODY_BYTES);
        }
        requireUtf8(body);
        JsonNode root;
        try (JsonParser parser = JSON.createParser(body)) {
            root = JSON.readTree(parser);
            if (root != null && parser.nextToken() != null) {
                throw new InvalidCallbackException("not JSON: content after the end of the object");
            }
        } catch (JacksonException e) {
            throw new InvalidCallbackException("not JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new InvalidCallbackException("not a JSON object");
        }
        String txId = id(root, "transaction_id");
        String orderId = id(root, "order_id");
        String typeName = text(root, "type");
        CallbackType type;
        try {
            type = CallbackType.valueOf(typeName);
        } catch (IllegalArgumentException e) {
            throw new InvalidCallbackException("type: '" + typeName + "' is not SUCCESS or FAILED");
        }
        JsonNode amount = root.get("amount");
        if (amount == null || !amount.isIntegralNumber() || !amount.canConvertToLong() || amount.longValue() <= 0) {
            throw new InvalidCallbackException("amount: must be a positive whole number of minor units (cents), was "
                    + (amount == null ? "missing" : amount.toString()));
        }
        String currency = text(root, "currency");
        if (!CURRENCY.matcher(currency).matches() || !isIsoCurrency(currency)) {
            throw new InvalidCallbackException("currency: '" + currency + "' is not an ISO 4217 code");
        }
        return new PaymentCallback(txId, orderId, type, amount.longValue(), currency);
    }

    /** The dedup key: one event per provider transaction and type, whatever the notify id of the re-send. */
    String dedupKey() {
        return providerTxId + ":" + type;
    }

    /**
     * The fingerprint: SHA-256 over the fields that make the event what it is. A re-send with a new notify id is a
     * DUPLICATE; the same transaction and type with another order, amount or currency is a CONFLICT.
     */
    byte[] fingerprint() {
        String canonical = providerTxId + '\n' + type + '\n' + orderId + '\n' + amountMinor + '\n' + currency;
        return Fingerprint.sha256(canonical.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Jackson's own decoding lets overlong forms through ({@code C0 AF} reads as {@code /}), so two different byte
     * strings, one of them not UTF-8 at all, would be one callback; Java's decoder refuses them.
     */
    private static void requireUtf8(byte[] body) throws InvalidCallbackException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(body);
        if (decoder.decode(in, CharBuffer.allocate(body.length), true).isError()) {
            throw new InvalidCallbackException("not UTF-8: invalid byte sequence at byte " + in.position());
        }
    }

    private static String text(JsonNode root, String field) throws InvalidCallbackException {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            throw new InvalidCallbackException(field + ": missing");
        }
        if (!node.isString()) {
            throw new InvalidCallbackException(field + ": must be a string, was " + node);
        }
        return node.stringValue();
    }

    private static String id(JsonNode root, String field) throws InvalidCallbackException {
        String value = text(root, field);
        if (!ID.matcher(value).matches()) {
            throw new InvalidCallbackException(field + ": must be 1 to 64 letters, digits, '-' or '_'");
        }
        return value;
    }

    private static boolean isIsoCurrency(String code) {
        try {
            Currency.getInstance(code);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
