/**
 * The core protocol: claim a record's dedup key and run its handler in one database transaction, so that every
 * business event changes the database exactly once. No Spring, no Kafka consumer: {@link io.dedupconsumer.core.Deduplicator}
 * is called by the kafka-clients runner, the spring-kafka adapter, or the user's own loop.
 */
package io.dedupconsumer.core;
