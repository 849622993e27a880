package io.dedupconsumer.core;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;

/**
 * Reads the scalar at a JSON Pointer for {@link DedupKey#jsonField(String)}, exactly as the document says it, once.
 *
 * <p>A value given as bytes or text is streamed, never built into a tree, and read to its end, because only the whole
 * document tells whether the key is unambiguous: a member name twice in one object (parsers disagree on which one
 * counts), anything after the document, or bytes that are not UTF-8 (RFC 8259) make the record INVALID. A number is
 * its text as sent ({@code 1.10} and {@code 1.1} are two keys), never rounded through a double. The work per record is
 * bounded: a value of more than {@link #MAX_VALUE_LENGTH} bytes (characters, for a {@code String}) is refused before
 * it is read, and nesting deeper than {@link #MAX_NESTING_DEPTH} stops the parser.
 *
 * <p>A deserialized object (a {@code Map}, a {@code JsonNode}, a POJO) is read through Jackson's tree; its numbers
 * with a fraction are refused, because the text they were sent as is gone.
 */
final class JsonField {

    /** The largest value read for a key: 16 MiB, sixteen times Kafka's default {@code max.message.bytes}. */
    static final int MAX_VALUE_LENGTH = 16 * 1024 * 1024;

    /** The deepest nesting of objects and arrays read for a key. */
    static final int MAX_NESTING_DEPTH = 100;

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH).build())
            .build();

    private static final int UTF8_BOM_LENGTH = 3;

    private JsonField() {
    }

    /** @return the key, or {@code null} when the value is empty or the field is absent or {@code null} */
    static String read(Object value, JsonPointer pointer, DedupKey field) throws IOException {
        if (value == null) {
            return null;
        }
        if (value instanceof String text) {
            requireAtMost(text.length(), "characters");
            return document(FACTORY.createParser(text), pointer, field);
        }
        if (value instanceof byte[] bytes) {
            return utf8Document(bytes, pointer, field);
        }
        if (value instanceof ByteBuffer buffer) {
            requireAtMost(buffer.remaining(), "bytes");
            ByteBuffer copy = buffer.duplicate();
            byte[] bytes = new byte[copy.remaining()];
            copy.get(bytes);
            return utf8Document(bytes, pointer, field);
        }
        return deserialized(value, pointer, field);
    }

    private static void requireAtMost(int length, String unit) {
        if (length > MAX_VALUE_LENGTH) {
            throw new IllegalArgumentException("the value has " + length + " " + unit + ", and a JSON key is read from "
                    + "values of at most " + MAX_VALUE_LENGTH + "; carry the id in a header (DedupKey.header(name)) or "
                    + "the record key instead");
        }
    }

    private static String utf8Document(byte[] bytes, JsonPointer pointer, DedupKey field) throws IOException {
        requireAtMost(bytes.length, "bytes");
        int start = hasUtf8Bom(bytes) ? UTF8_BOM_LENGTH : 0;
        // The JDK's decoder reports malformed input, which Jackson's byte parser accepts (it reads C1 81 as 'A').
        InputStreamReader text = new InputStreamReader(
                new ByteArrayInputStream(bytes, start, bytes.length - start), StandardCharsets.UTF_8.newDecoder());
        try {
            return document(FACTORY.createParser(text), pointer, field);
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("the value is not valid UTF-8, as JSON between systems must be (RFC 8259)", e);
        }
    }

    private static boolean hasUtf8Bom(byte[] bytes) {
        return bytes.length >= UTF8_BOM_LENGTH && bytes[0] == (byte) 0xEF && bytes[1] == (byte) 0xBB
                && bytes[2] == (byte) 0xBF;
    }

    private static String document(JsonParser parser, JsonPointer pointer, DedupKey field) throws IOException {
        try (parser) {
            if (parser.nextToken() == null) {
                return null;
            }
            String key = find(parser, pointer, field);
            JsonToken after;
            try {
                after = parser.nextToken();
            } catch (JsonProcessingException e) {
                throw trailing(e.getOriginalMessage(), parser, e);
            }
            if (after != null) {
                throw trailing("found " + after, parser, null);
            }
            return key;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the value is not one well-formed JSON document (member names must be "
                    + "unique in each object): " + e.getOriginalMessage() + at(parser), e);
        }
    }

    /**
     * Reads the value the parser stands on to its end and returns the scalar {@code rest} points to within it. The
     * values beside the path are skipped token by token, so duplicate names and malformed text in them are found too.
     */
    private static String find(JsonParser parser, JsonPointer rest, DedupKey field) throws IOException {
        JsonToken token = parser.currentToken();
        if (rest.matches()) {
            return switch (token) {
                // The text of a number is the text of the document: never parsed into a double and printed again.
                case VALUE_STRING, VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT, VALUE_TRUE, VALUE_FALSE -> parser.getText();
                case VALUE_NULL -> null;
                default -> throw new IllegalArgumentException(field + " is an object or array, not a scalar key");
            };
        }
        String found = null;
        if (token == JsonToken.START_OBJECT) {
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                JsonPointer tail = rest.matchProperty(parser.currentName());
                parser.nextToken();
                if (tail == null) {
                    parser.skipChildren();
                } else {
                    found = find(parser, tail, field);
                }
            }
        } else if (token == JsonToken.START_ARRAY) {
            for (int i = 0; parser.nextToken() != JsonToken.END_ARRAY; i++) {
                JsonPointer tail = rest.matchElement(i);
                if (tail == null) {
                    parser.skipChildren();
                } else {
                    found = find(parser, tail, field);
                }
            }
        }
        return found;
    }

    private static IllegalArgumentException trailing(String what, JsonParser parser, Exception cause) {
        return new IllegalArgumentException("the value goes on after the end of the JSON document (" + what + at(parser)
                + "); send one document per record", cause);
    }

    private static String at(JsonParser parser) {
        return " at line " + parser.currentLocation().getLineNr() + ", column " + parser.currentLocation().getColumnNr();
    }

    private static String deserialized(Object value, JsonPointer pointer, DedupKey field) {
        JsonNode root = value instanceof JsonNode node ? node : Json.MAPPER.valueToTree(value);
        JsonNode node = root.at(pointer);
        if (node.isMissingNode() || node.isNull()) {
            return null;
        }
        if (!node.isValueNode()) {
            throw new IllegalArgumentException(field + " is an object or array, not a scalar key");
        }
        if (node.isNumber() && !node.isIntegralNumber()) {
            throw new IllegalArgumentException(field + " is a number with a fraction (" + node.asText() + ") in a "
                    + "deserialized payload: the text it was sent as is gone (1.10 and 1.1 are one double), so it cannot "
                    + "be a key; let the value arrive as byte[] or String, where the key is the number's exact text, or "
                    + "key on a string field");
        }
        return node.asText();
    }
}
