package io.dedupconsumer.examples.payment;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The notify endpoint's proof that a body comes from the provider, unchanged: the provider sends
 * {@value #HEADER}{@code : sha256=<hex of HMAC-SHA256(secret, raw body)>}, and the endpoint recomputes it over the
 * exact bytes received, before parsing anything, and compares in constant time ({@link MessageDigest#isEqual}), so
 * the time a wrong guess takes says nothing about how close it was.
 *
 * <p>There is no timestamp in the signed text on purpose: a provider re-sends the same signed body until it is
 * answered, and a replayed body is harmless because the consumer deduplicates it. Thread-safe.
 */
final class NotifySignature {

    /** The request header carrying the signature. */
    static final String HEADER = "X-Payment-Signature";

    /** The shortest secret accepted: 32 characters, 256 bits when random, as long as the HMAC-SHA256 output. */
    static final int MIN_SECRET_LENGTH = 32;

    private static final String ALGORITHM = "HmacSHA256";
    private static final String PREFIX = "sha256=";
    private static final HexFormat HEX = HexFormat.of();

    private final SecretKeySpec key;

    /**
     * @throws IllegalArgumentException when the secret is shorter than {@value #MIN_SECRET_LENGTH} characters
     */
    NotifySignature(String secret) {
        if (secret == null || secret.length() < MIN_SECRET_LENGTH) {
            throw new IllegalArgumentException("payment.notify.secret: must be at least " + MIN_SECRET_LENGTH
                    + " characters (was " + (secret == null ? 0 : secret.length()) + "); set PAYMENT_NOTIFY_SECRET to the "
                    + "key shared with the payment provider");
        }
        this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), ALGORITHM);
    }

    /** The header value a provider holding this secret sends for {@code body}. */
    String sign(byte[] body) {
        return PREFIX + HEX.formatHex(mac(body));
    }

    /** Whether {@code header} is this secret's signature of exactly {@code body}. */
    boolean verify(byte[] body, String header) {
        if (header == null || !header.startsWith(PREFIX)) {
            return false;
        }
        byte[] presented;
        try {
            presented = HEX.parseHex(header.substring(PREFIX.length()).toLowerCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return false;
        }
        return MessageDigest.isEqual(mac(body == null ? new byte[0] : body), presented);
    }

    private byte[] mac(byte[] body) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every Java runtime provides " + ALGORITHM, e);
        }
    }
}
