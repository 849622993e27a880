package io.dedupconsumer.core;

import com.fasterxml.jackson.core.JsonPointer;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * The built-in {@link DedupKey}s. Each reads a key exactly or throws saying why it cannot: bytes are decoded as strict
 * UTF-8 (never with replacement characters, which would give different ids one key), or kept as their Base64 when the
 * user asks for the bytes; a value whose text is not its identity is refused.
 */
final class KeyExtractors {

    /** Starts every key that {@link DedupKey#recordKeyBytes()} and {@link DedupKey#headerBytes(String)} store. */
    static final String BASE64_PREFIX = "base64:";

    static final DedupKey RECORD_KEY = new DedupKey() {
        @Override
        public String of(ConsumerRecord<?, ?> record) {
            return text(record.key());
        }

        @Override
        public String toString() {
            return "the record key";
        }
    };

    static final DedupKey RECORD_KEY_BYTES = new DedupKey() {
        @Override
        public String of(ConsumerRecord<?, ?> record) {
            Object key = record.key();
            if (key == null || key instanceof byte[] || key instanceof ByteBuffer) {
                return base64(key);
            }
            throw new IllegalArgumentException("the record key is a " + key.getClass().getName() + ", not bytes: "
                    + "DedupKey.recordKeyBytes() needs keys read with the ByteArrayDeserializer (byte[] or ByteBuffer); "
                    + "use DedupKey.recordKey() for keys that are text");
        }

        @Override
        public String toString() {
            return "the bytes of the record key";
        }
    };

    private KeyExtractors() {
    }

    record HeaderKey(String name) implements DedupKey {
        @Override
        public String of(ConsumerRecord<?, ?> record) {
            byte[] value = lastValue(record, name);
            return value == null ? null : utf8(ByteBuffer.wrap(value), this + " is",
                    "key such records on the header's bytes with DedupKey.headerBytes(\"" + name + "\")");
        }

        @Override
        public String toString() {
            return "the header '" + name + "'";
        }
    }

    record HeaderBytesKey(String name) implements DedupKey {
        @Override
        public String of(ConsumerRecord<?, ?> record) {
            return base64(lastValue(record, name));
        }

        @Override
        public String toString() {
            return "the bytes of the header '" + name + "'";
        }
    }

    record JsonFieldKey(String field, JsonPointer pointer) implements DedupKey {
        JsonFieldKey(String field) {
            this(field, JsonPointer.compile(field.startsWith("/") ? field : "/" + field.replace("~", "~0").replace("/", "~1")));
        }

        @Override
        public String of(ConsumerRecord<?, ?> record) throws Exception {
            return JsonField.read(record.value(), pointer, this);
        }

        @Override
        public String toString() {
            return "the JSON field '" + field + "'";
        }
    }

    /** See {@link DedupKey#text(Object)}. */
    static String text(Object value) {
        if (value == null || value instanceof String) {
            return (String) value;
        }
        if (value instanceof byte[] || value instanceof ByteBuffer) {
            return utf8(value instanceof byte[] bytes ? ByteBuffer.wrap(bytes) : (ByteBuffer) value, "the key bytes are",
                    "key such records on their bytes with DedupKey.recordKeyBytes() or DedupKey.headerBytes(name)");
        }
        if (value instanceof Double || value instanceof Float) {
            throw new IllegalArgumentException("a floating-point key (" + value + ") is not an exact identity: a double "
                    + "cannot tell 1.10 from 1.1 or from 1.1000000000000000001; key on a string or an integer");
        }
        String text = value.toString();
        if (text != null && text.equals(value.getClass().getName() + "@" + Integer.toHexString(value.hashCode()))) {
            throw new IllegalArgumentException("the key is a " + value.getClass().getName() + " whose toString() is "
                    + "Object's default (class@hash), which names the object, not the event; give it a toString() that "
                    + "is its id, or key on one of its fields");
        }
        return text;
    }

    static String requireText(String value, String what) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(what + " must not be empty");
        }
        return value;
    }

    private static byte[] lastValue(ConsumerRecord<?, ?> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : header.value();
    }

    /** Strict UTF-8: malformed input is reported, never replaced. */
    private static String utf8(ByteBuffer bytes, String what, String instead) {
        ByteBuffer in = bytes.duplicate();
        CharBuffer out = CharBuffer.allocate(in.remaining());
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder();
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            int offset = in.position() - bytes.position();
            throw new IllegalArgumentException(String.format("%s not valid UTF-8 (byte 0x%02X at offset %d); it is not "
                    + "decoded with replacement characters, which would give different ids one key: %s",
                    what, in.get(in.position()) & 0xFF, offset, instead));
        }
        return out.flip().toString();
    }

    /** The documented lossless form of a binary key: the prefix and the standard Base64 of the bytes, padded. */
    private static String base64(Object bytes) {
        byte[] array;
        if (bytes instanceof ByteBuffer buffer) {
            ByteBuffer copy = buffer.duplicate();
            array = new byte[copy.remaining()];
            copy.get(array);
        } else {
            array = (byte[]) bytes;
        }
        return array == null || array.length == 0 ? null : BASE64_PREFIX + Base64.getEncoder().encodeToString(array);
    }
}
