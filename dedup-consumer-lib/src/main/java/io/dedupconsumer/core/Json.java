package io.dedupconsumer.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.nio.ByteBuffer;

/** One shared, canonical Jackson mapper for JSON keys and object fingerprints (sorted, so equal objects hash equal). */
final class Json {

    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .findAndAddModules()
            .build();

    private Json() {
    }

    /** The value as a JSON tree: parsed from bytes or text, or converted from a deserialized object. */
    static JsonNode tree(Object value) throws Exception {
        if (value == null) {
            return null;
        }
        if (value instanceof JsonNode node) {
            return node;
        }
        if (value instanceof byte[] bytes) {
            return MAPPER.readTree(bytes);
        }
        if (value instanceof String text) {
            return MAPPER.readTree(text);
        }
        if (value instanceof ByteBuffer buffer) {
            ByteBuffer copy = buffer.duplicate();
            byte[] bytes = new byte[copy.remaining()];
            copy.get(bytes);
            return MAPPER.readTree(bytes);
        }
        return MAPPER.valueToTree(value);
    }
}
