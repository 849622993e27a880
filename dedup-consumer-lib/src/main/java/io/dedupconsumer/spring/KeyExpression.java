package io.dedupconsumer.spring;

import io.dedupconsumer.core.DedupKey;
import java.util.AbstractMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.jspecify.annotations.Nullable;
import org.springframework.context.expression.MapAccessor;
import org.springframework.expression.EvaluationContext;
import org.springframework.expression.Expression;
import org.springframework.expression.ParseException;
import org.springframework.expression.spel.standard.SpelExpressionParser;
import org.springframework.expression.spel.support.DataBindingPropertyAccessor;
import org.springframework.expression.spel.support.SimpleEvaluationContext;

/**
 * A dedup key computed by a SpEL expression over the record: {@code key}, {@code payload}, {@code headers},
 * {@code topic}, {@code partition}, {@code offset}, {@code record}. Evaluated in a {@link SimpleEvaluationContext}
 * (property reads and method calls on these values; no type references, no bean references), because the
 * expression reads data that came from the network. Its value is stored by {@link DedupKey#text(Object)}: headers and
 * byte keys as strict UTF-8, never a double or an object's default {@code class@hash}.
 */
final class KeyExpression implements DedupKey {

    private static final SpelExpressionParser PARSER = new SpelExpressionParser();

    private final String text;
    private final Expression expression;

    private KeyExpression(String text, Expression expression) {
        this.text = text;
        this.expression = expression;
    }

    /** @throws IllegalArgumentException when {@code text} is not a valid SpEL expression */
    static KeyExpression parse(String text) {
        try {
            return new KeyExpression(text, PARSER.parseExpression(text));
        } catch (ParseException e) {
            throw new IllegalArgumentException("'" + text + "' is not a valid SpEL expression: " + e.getMessage(), e);
        }
    }

    @Override
    public @Nullable String of(ConsumerRecord<?, ?> record) {
        Map<String, Object> root = new HashMap<>(10);
        root.put("record", record);
        root.put("key", record.key());
        root.put("payload", record.value());
        root.put("headers", new Headers(record.headers()));
        root.put("topic", record.topic());
        root.put("partition", record.partition());
        root.put("offset", record.offset());
        EvaluationContext context = SimpleEvaluationContext
                .forPropertyAccessors(new MapAccessor(), DataBindingPropertyAccessor.forReadOnlyAccess())
                .withInstanceMethods()
                .withRootObject(root)
                .build();
        return DedupKey.text(expression.getValue(context));
    }

    @Override
    public String toString() {
        return "the expression '" + text + "'";
    }

    /**
     * The record's headers by name (the last of a name wins), each decoded as strict UTF-8 when the expression reads
     * it: a header that is not UTF-8 fails the expressions that read it, and only those.
     */
    private static final class Headers extends AbstractMap<String, String> {
        private final org.apache.kafka.common.header.Headers headers;

        Headers(org.apache.kafka.common.header.Headers headers) {
            this.headers = headers;
        }

        @Override
        public @Nullable String get(Object name) {
            Header header = name instanceof String key ? headers.lastHeader(key) : null;
            return header == null ? null : DedupKey.text(header.value());
        }

        @Override
        public boolean containsKey(Object name) {
            return name instanceof String key && headers.lastHeader(key) != null;
        }

        @Override
        public Set<Entry<String, String>> entrySet() {
            Map<String, String> decoded = new LinkedHashMap<>();
            for (Header header : headers) {
                decoded.put(header.key(), DedupKey.text(header.value()));
            }
            return decoded.entrySet();
        }
    }

}
