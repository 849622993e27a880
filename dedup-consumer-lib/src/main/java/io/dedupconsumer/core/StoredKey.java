package io.dedupconsumer.core;

import io.dedupconsumer.jdbc.DedupTable;

/**
 * What a dedup key must be for every supported database to store it exactly, so that two different events never
 * share a stored key by accident. Whatever {@link DedupKey} produced it, a key is refused (the record is
 * {@link Outcome#INVALID}) when it holds
 * <ul>
 *   <li>a lone surrogate: not Unicode text; MariaDB's utf8mb4 and PostgreSQL's drivers store it as {@code ?}, so
 *       keys that differ only there become one;</li>
 *   <li>U+0000 (NUL), which PostgreSQL's text types cannot store;</li>
 *   <li>U+FFFD, the replacement character that a lenient decoder ({@code new String(bytes, UTF_8)}, Kafka's
 *       {@code StringDeserializer}) leaves in place of bytes that are not UTF-8: keys whose bytes differed arrive as
 *       the same text;</li>
 *   <li>more than {@link DedupTable#MAX_KEY_LENGTH} characters (code points), rather than being truncated into a
 *       false duplicate.</li>
 * </ul>
 */
final class StoredKey {

    private StoredKey() {
    }

    /** @return why {@code key} cannot be stored exactly, as the end of a sentence about the key, or {@code null} */
    static String refusal(String key) {
        int length = 0;
        for (int i = 0; i < key.length(); i += Character.charCount(key.codePointAt(i))) {
            int c = key.codePointAt(i);
            if (c == 0) {
                return "holds U+0000 (NUL) at character " + i + ", which PostgreSQL cannot store; key on an id "
                        + "without it, or on the key's bytes with DedupKey.recordKeyBytes() or DedupKey.headerBytes(name)";
            }
            // codePointAt returns a lone surrogate as itself; a well-formed pair is one code point above U+FFFF,
            // whose low 16 bits may look like a surrogate (U+1D800), so compare the code point, never a cast of it.
            if (c >= Character.MIN_SURROGATE && c <= Character.MAX_SURROGATE) {
                return String.format("holds the lone surrogate U+%04X at character %d: it is not Unicode text and the "
                        + "databases would store it as '?', merging keys that differ there; produce well-formed text", c, i);
            }
            if (c == 0xFFFD) {
                return "holds U+FFFD at character " + i + ", the replacement character a lenient decoder (Kafka's "
                        + "StringDeserializer, new String(bytes, UTF_8)) puts where the bytes were not UTF-8, so keys whose "
                        + "bytes differed would arrive as one; read keys with the ByteArrayDeserializer, so that the "
                        + "library decodes them strictly, or key on their bytes with DedupKey.recordKeyBytes()";
            }
            length++;
        }
        if (length > DedupTable.MAX_KEY_LENGTH) {
            return "has " + length + " characters, more than the " + DedupTable.MAX_KEY_LENGTH + " the dedup table "
                    + "holds; it is refused rather than truncated into a false duplicate (it starts with '"
                    + key.substring(0, key.offsetByCodePoints(0, 40)) + "')";
        }
        return null;
    }
}
