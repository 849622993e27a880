/**
 * The one oracle of the inventory service, shared by the demo, the replay/verify command and the chaos suite: what a
 * stock events topic must lead to, computed from the records alone and independently of the service's SQL. The stock
 * rules ({@link io.dedupconsumer.examples.inventory.oracle.StockModel}), the dedup classification of each record by the
 * library's own {@code DedupKey} and {@code Fingerprint}
 * ({@link io.dedupconsumer.examples.inventory.oracle.RecordClassifier}), the table that compares a run against them
 * ({@link io.dedupconsumer.examples.inventory.oracle.Verification}), and the readers of what a run did: the offsets a
 * consumer group committed ({@link io.dedupconsumer.examples.inventory.oracle.GroupOffsets}) and the outcomes the
 * service counted ({@link io.dedupconsumer.examples.inventory.oracle.DedupMeters}). Two oracles that can drift apart
 * can each pass their own runs; one cannot.
 */
@NullMarked
package io.dedupconsumer.examples.inventory.oracle;

import org.jspecify.annotations.NullMarked;
