package io.dedupconsumer.core;

import java.util.List;

/**
 * The outcome of a batch processed in order: the results of the records that completed (a prefix of the batch)
 * and, when one failed, its index and exception. Records after the failed one did not run; the caller retries
 * from {@link #failedIndex()}, exactly as spring-kafka's {@code BatchListenerFailedException} asks.
 *
 * @param results the completed records' results, in batch order; {@code results().size()} records completed
 * @param failedIndex the index of the record that failed, or {@code -1} when the whole batch completed
 * @param failure the failure, a {@link DatabaseUnavailableException} or a {@link RecordProcessingException};
 *     {@code null} when the whole batch completed
 */
public record BatchResult(List<DedupResult> results, int failedIndex, RuntimeException failure) {

    public BatchResult {
        results = List.copyOf(results);
    }

    /** Whether every record of the batch completed. */
    public boolean complete() {
        return failure == null;
    }
}
