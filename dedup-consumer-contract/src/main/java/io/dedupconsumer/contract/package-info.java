/**
 * The library's guarantees as abstract JUnit 5 tests that users extend to prove them on their own database
 * ({@link io.dedupconsumer.contract.DeduplicatorContract}) or their own guard
 * ({@link io.dedupconsumer.contract.DedupGuardContract}).
 */
@NullMarked
package io.dedupconsumer.contract;

import org.jspecify.annotations.NullMarked;
