package io.dedupconsumer.spring;

import io.dedupconsumer.core.DedupKey;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
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
 * expression reads data that came from the network.
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
    public String of(ConsumerRecord<?, ?> record) {
        Map<String, Object> root = new HashMap<>(10);
        root.put("record", record);
        root.put("key", record.key());
        root.put("payload", record.value());
        root.put("headers", headers(record));
        root.put("topic", record.topic());
        root.put("partition", record.partition());
        root.put("offset", record.offset());
        EvaluationContext context = SimpleEvaluationContext
                .forPropertyAccessors(new MapAccessor(), DataBindingPropertyAccessor.forReadOnlyAccess())
                .withInstanceMethods()
                .withRootObject(root)
                .build();
        Object value = expression.getValue(context);
        return value == null ? null : value.toString();
    }

    private static Map<String, String> headers(ConsumerRecord<?, ?> record) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (Header header : record.headers()) {
            headers.put(header.key(), header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8));
        }
        return headers;
    }

    @Override
    public String toString() {
        return "the expression '" + text + "'";
    }
}
