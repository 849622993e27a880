/**
 * A plain kafka-clients runner for applications without Spring: it polls, hands each record (or each poll batch) to
 * the {@link io.dedupconsumer.core.Deduplicator}, and commits a Kafka offset only after the record's database
 * transaction committed or the record was acknowledged by the dead-letter topic. Start with
 * {@link io.dedupconsumer.kafka.DedupConsumerRunner#builder(org.apache.kafka.common.serialization.Deserializer,
 * org.apache.kafka.common.serialization.Deserializer)}; for share groups (Kafka queues),
 * {@link io.dedupconsumer.kafka.DedupShareConsumerRunner}, which accepts a record only after its transaction committed.
 * {@link io.dedupconsumer.kafka.DeadLetter} is the dead-letter
 * contract of both integrations, this runner and the Spring listener adapter.
 */
@NullMarked
package io.dedupconsumer.kafka;

import org.jspecify.annotations.NullMarked;
