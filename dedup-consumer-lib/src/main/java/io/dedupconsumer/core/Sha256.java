package io.dedupconsumer.core;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * SHA-256 for the default fingerprint, computed once per record. {@link MessageDigest#getInstance(String)} searches
 * the security providers on every call; cloning one prototype skips that search. The prototype is never updated,
 * so concurrent clones are safe.
 */
final class Sha256 {

    private static final MessageDigest PROTOTYPE = newDigest();

    private Sha256() {
    }

    static byte[] digest(byte[] bytes) {
        MessageDigest digest;
        try {
            digest = (MessageDigest) PROTOTYPE.clone();
        } catch (CloneNotSupportedException e) {
            digest = newDigest();
        }
        return digest.digest(bytes);
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime provides SHA-256", e);
        }
    }
}
