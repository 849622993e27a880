package io.dedupconsumer.core;

import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * One shared, canonical Jackson mapper for object fingerprints (sorted, so equal objects hash equal) and for JSON keys
 * of deserialized objects. JSON text is never read with it: {@link JsonField} streams it.
 */
final class Json {

    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .findAndAddModules()
            .build();

    private Json() {
    }
}
