package io.dedupconsumer.core;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/** The built-in {@link DedupKey}s. */
final class KeyExtractors {

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

    private KeyExtractors() {
    }

    record HeaderKey(String name) implements DedupKey {
        @Override
        public String of(ConsumerRecord<?, ?> record) {
            Header header = record.headers().lastHeader(name);
            return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return "the header '" + name + "'";
        }
    }

    record JsonFieldKey(String field, JsonPointer pointer) implements DedupKey {
        JsonFieldKey(String field) {
            this(field, JsonPointer.compile(field.startsWith("/") ? field : "/" + field.replace("~", "~0").replace("/", "~1")));
        }

        @Override
        public String of(ConsumerRecord<?, ?> record) throws Exception {
            JsonNode root = Json.tree(record.value());
            if (root == null) {
                return null;
            }
            JsonNode node = root.at(pointer);
            if (node.isMissingNode() || node.isNull()) {
                return null;
            }
            if (!node.isValueNode()) {
                throw new IllegalArgumentException("the JSON field '" + field + "' is an object or array, not a scalar key");
            }
            return node.asText();
        }

        @Override
        public String toString() {
            return "the JSON field '" + field + "'";
        }
    }

    static String text(Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof String s) {
            return s;
        }
        if (value instanceof byte[] bytes) {
            return new String(bytes, StandardCharsets.UTF_8);
        }
        if (value instanceof ByteBuffer buffer) {
            return StandardCharsets.UTF_8.decode(buffer.duplicate()).toString();
        }
        return value.toString();
    }

    static String requireText(String value, String what) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(what + " must not be empty");
        }
        return value;
    }
}
