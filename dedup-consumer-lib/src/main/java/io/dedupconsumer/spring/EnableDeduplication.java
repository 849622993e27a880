package io.dedupconsumer.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.context.annotation.Import;

/**
 * Turns on {@link Deduplicated @Deduplicated} listeners in a Spring application, the way {@code @EnableKafka} turns on
 * {@code @KafkaListener}: put it on a {@code @Configuration} class next to {@code @EnableKafka}. Spring Boot
 * applications need neither: the library's auto-configuration imports it and binds {@code dedup.*}.
 *
 * <p>What it needs from the application: one {@code DataSource} (the dedup table lives in the database of the
 * listeners' writes; with several, declare a {@link SpringTransactionRunner} bean naming the one to use), its
 * transaction manager (optional: a {@code DataSourceTransactionManager} is made when there is none), and a
 * {@code ProducerFactory} for dead letters (or a {@code ConsumerRecordRecoverer} bean, or container factories with
 * their own error handler). Optional beans: {@link DedupListenerSettings} (defaults otherwise), a
 * {@code MeterRegistry}. The dedup table is not created here: apply the DDL of the {@code sql/} folder, or call
 * {@code DedupSchema.migrate(dataSource)}; the application refuses to start while it is missing.
 *
 * <p>At start-up, before any listener container starts, every {@code @Deduplicated} listener is checked to run
 * wrapped in the dedup transaction; one that would not (a container factory that ignores container post-processors,
 * a message listener replaced afterwards) stops the start-up.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Import(DeduplicationConfiguration.class)
public @interface EnableDeduplication {
}
