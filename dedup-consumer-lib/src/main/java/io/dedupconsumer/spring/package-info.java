/**
 * spring-kafka integration: {@link io.dedupconsumer.spring.Deduplicated @Deduplicated} listener methods and the
 * programmatic {@link io.dedupconsumer.spring.DedupTemplate}, run in a Spring-managed transaction that the listener's
 * own {@code JdbcTemplate} joins, with spring-kafka's error handling deciding what is retried and what dead-lettered.
 */
package io.dedupconsumer.spring;
