/**
 * spring-kafka integration, with or without Spring Boot: {@link io.dedupconsumer.spring.Deduplicated @Deduplicated}
 * listener methods (turned on by {@link io.dedupconsumer.spring.EnableDeduplication @EnableDeduplication}, which Boot
 * imports by itself) and the programmatic {@link io.dedupconsumer.spring.DedupTemplate}, run in a Spring-managed
 * transaction that the listener's own {@code JdbcTemplate} joins, with spring-kafka's error handling deciding what is
 * retried and what dead-lettered, and database outages never dead-lettered.
 */
@NullMarked
package io.dedupconsumer.spring;

import org.jspecify.annotations.NullMarked;
