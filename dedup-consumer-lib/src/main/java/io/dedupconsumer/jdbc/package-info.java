/**
 * What operators do with the dedup table besides claiming in it: its name and column limits
 * ({@link io.dedupconsumer.jdbc.DedupTable}), the databases it runs on ({@link io.dedupconsumer.jdbc.Dialect}), the
 * schema migration ({@link io.dedupconsumer.jdbc.DedupSchema}) and the retention purge that keeps it bounded
 * ({@link io.dedupconsumer.jdbc.DedupRetention}). The claims themselves belong to the core protocol, which runs them
 * in the same transaction as the handler's side effect. This package imports nothing else of the library.
 */
@NullMarked
package io.dedupconsumer.jdbc;

import org.jspecify.annotations.NullMarked;
