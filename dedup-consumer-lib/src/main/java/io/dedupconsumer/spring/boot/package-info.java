/**
 * Spring Boot auto-configuration: the {@code dedup.*} properties, the schema migration, the transaction runner, the
 * error handler and dead-letter recoverer, and the machinery behind {@link io.dedupconsumer.spring.Deduplicated}
 * (an annotation enhancer that attaches a container post-processor to each deduplicated listener, which checks the
 * container's commit settings and wraps its message listener in the dedup transaction).
 */
package io.dedupconsumer.spring.boot;
