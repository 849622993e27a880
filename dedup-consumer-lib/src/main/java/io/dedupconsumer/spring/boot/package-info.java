/**
 * Spring Boot auto-configuration (Boot 3.5 and 4.x from one jar): imports
 * {@link io.dedupconsumer.spring.EnableDeduplication @EnableDeduplication}, binds the {@code dedup.*} properties,
 * migrates the dedup table as one of Boot's database initializers, schedules the purge, checks the dedup window
 * against the topics' retention, and refuses to start an application whose {@code @Deduplicated} listeners would run
 * without deduplication.
 */
@NullMarked
package io.dedupconsumer.spring.boot;

import org.jspecify.annotations.NullMarked;
