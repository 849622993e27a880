/**
 * The dedup table: its SQL per database ({@link io.dedupconsumer.jdbc.Dialect}), the claim statements
 * ({@link io.dedupconsumer.jdbc.DedupStore}), the schema migration ({@link io.dedupconsumer.jdbc.DedupSchema}) and the
 * retention purge that keeps it bounded ({@link io.dedupconsumer.jdbc.DedupRetention}).
 */
package io.dedupconsumer.jdbc;
