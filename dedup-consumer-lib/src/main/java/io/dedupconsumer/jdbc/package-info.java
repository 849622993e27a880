/**
 * The dedup table: its SQL per database ({@link io.dedupconsumer.jdbc.Dialect}), the claim statements
 * ({@link io.dedupconsumer.jdbc.DedupStore}) and the schema migration ({@link io.dedupconsumer.jdbc.DedupSchema}).
 */
package io.dedupconsumer.jdbc;
