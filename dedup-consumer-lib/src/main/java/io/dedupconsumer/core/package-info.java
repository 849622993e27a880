/**
 * The core protocol: claim a record's dedup key and run its handler in one database transaction, so that every
 * business event changes the database exactly once. No Spring, no Kafka consumer: {@link io.dedupconsumer.core.Deduplicator}
 * is called by the kafka-clients runner, the spring-kafka adapter, or the user's own loop. Each database's claim
 * statements are one package-private subclass of {@code DatabaseClaims}; the core imports from {@code jdbc} only the
 * table's name and limits and the {@link io.dedupconsumer.jdbc.Dialect} a user may choose.
 */
@NullMarked
package io.dedupconsumer.core;

import org.jspecify.annotations.NullMarked;
