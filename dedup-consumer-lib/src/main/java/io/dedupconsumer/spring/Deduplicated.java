package io.dedupconsumer.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Makes a {@code @KafkaListener} method's database side effect happen exactly once per business event. The method
 * body runs inside one database transaction together with the claim of the record's dedup key; a redelivered or
 * re-sent record whose key is already claimed does not reach the method at all, and the container commits the
 * offset only after that transaction committed.
 *
 * <p>Write through the application's {@code DataSource} ({@code JdbcTemplate}, {@code @Transactional} with the
 * default propagation): those writes join the dedup transaction. Return {@code void} (the record is
 * {@code PROCESSED}) or a {@link io.dedupconsumer.core.HandlerResult} to record a business refusal
 * ({@code REJECTED}) that commits instead of being retried.
 *
 * <p>A batch listener ({@code @KafkaListener(batch = "true")}) is called once per poll batch, in one transaction with
 * the claims, with exactly the records whose keys were newly claimed (duplicates, conflicts and invalid records
 * removed), as a {@code List<ConsumerRecord<K, V>>} or a {@code List<V>} of payloads, so that it can write them with
 * one {@code jdbcTemplate.batchUpdate}. It returns {@code void} (all {@code PROCESSED}) or a
 * {@code List<HandlerResult>}, one per record in the order given (a list of another size fails the records instead
 * of being guessed at). When it throws, the records are halved and the method called again on each half until the
 * failing record is alone: the others commit once each, and only that record is retried and then dead-lettered.
 * With {@code dedup.batch.one-transaction=false} it is called once per new record, with a one-element list, each in
 * its own transaction.
 *
 * <p>On a class-level {@code @KafkaListener}, put it on the class: its one container claims each record before a
 * {@code @KafkaHandler} is chosen, so every handler is deduplicated alike (marking only some handlers is refused).
 *
 * <p>At most one of {@link #key()}, {@link #header()} and {@link #jsonField()} may be set; with none, the
 * {@code dedup.key.*} properties (or {@link DedupListenerSettings#defaultKey()}) decide, and without those the Kafka
 * record key is the dedup key. Spring Boot applications need nothing else; others add
 * {@link EnableDeduplication @EnableDeduplication}. An application whose {@code @Deduplicated} listeners would run
 * without deduplication (the machinery disabled, not applied, or bypassed) refuses to start.
 */
@Target({ElementType.METHOD, ElementType.TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface Deduplicated {

    /**
     * A SpEL expression computing the dedup key, evaluated on the record before the method's arguments are
     * converted. Available: {@code key} (the record key), {@code payload} (the record value as the consumer's
     * deserializer produced it, e.g. {@code payload.orderId} on an object or a map), {@code headers} (last value of
     * each header as strict UTF-8 text, e.g. {@code headers['event-id']}), {@code topic}, {@code partition},
     * {@code offset} and {@code record}. A {@code null} or empty result makes the record {@code INVALID}
     * (dead-lettered), and so does a result that would not be stored exactly (see
     * {@link io.dedupconsumer.core.DedupKey#text(Object)}): a header read that is not UTF-8, a {@code double}, an
     * object whose {@code toString()} is {@code Object}'s default.
     */
    String key() default "";

    /** The header holding the dedup key, e.g. {@code "event-id"}. */
    String header() default "";

    /** A scalar field of a JSON payload holding the dedup key: a field name or a JSON Pointer ({@code "/payment/txId"}). */
    String jsonField() default "";

    /**
     * The consumer name that scopes the keys in the dedup table; defaults to {@code dedup.consumer-name} when set, else
     * to the listener's group id, so two groups doing different work on one topic each process every key once. Set
     * {@code dedup.consumer-name} (or this) when a topic may be replayed under a new group id: with the group id as
     * the name, a replay would apply every event again. Property placeholders are resolved.
     */
    String consumer() default "";
}
