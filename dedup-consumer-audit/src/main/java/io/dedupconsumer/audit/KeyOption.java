package io.dedupconsumer.audit;

import io.dedupconsumer.core.DedupKey;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * The value of {@code --key}: where the consumer reads its dedup keys, mapped to the library's own {@link DedupKey}
 * factories, so that the audit derives every record's key exactly as the consumer did (strict UTF-8, the same JSON
 * rules).
 *
 * @param spec what the operator wrote, for the report
 * @param key the library's key extractor
 */
record KeyOption(String spec, DedupKey key) {

    static final String RECORD_KEY = "record-key";
    static final String HEADER = "header:";
    static final String JSON = "json:";

    /** Converts {@code header:NAME}, {@code record-key} or {@code json:FIELD} (a field name or a JSON Pointer). */
    static final class Converter implements ITypeConverter<KeyOption> {
        @Override
        public KeyOption convert(String value) {
            if (value.equals(RECORD_KEY)) {
                return new KeyOption(value, DedupKey.recordKey());
            }
            if (value.startsWith(HEADER) && value.length() > HEADER.length()) {
                return new KeyOption(value, DedupKey.header(value.substring(HEADER.length())));
            }
            if (value.startsWith(JSON) && value.length() > JSON.length()) {
                return new KeyOption(value, DedupKey.jsonField(value.substring(JSON.length())));
            }
            throw new TypeConversionException("'" + value + "' is not a key source; use header:NAME (e.g. header:event-id), "
                    + "record-key, or json:FIELD (a field name or a JSON Pointer such as json:/payment/txId)");
        }
    }
}
