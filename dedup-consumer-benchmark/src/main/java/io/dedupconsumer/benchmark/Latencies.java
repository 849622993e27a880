package io.dedupconsumer.benchmark;

import java.util.Arrays;
import java.util.List;

/**
 * Poll-to-commit latencies, weighted by the records they apply to. Every record of a poll has the same latency
 * (the time from {@code poll} returning it to {@code commitSync} returning after its poll was processed), so one
 * entry per poll holds it exactly, with no per-record allocation.
 */
final class Latencies {

    private long[] nanos = new long[256];
    private int[] counts = new int[256];
    private int size;

    void add(long latencyNanos, int records) {
        if (size == nanos.length) {
            nanos = Arrays.copyOf(nanos, size * 2);
            counts = Arrays.copyOf(counts, size * 2);
        }
        nanos[size] = latencyNanos;
        counts[size] = records;
        size++;
    }

    static Latencies merge(List<Latencies> parts) {
        Latencies all = new Latencies();
        for (Latencies part : parts) {
            for (int i = 0; i < part.size; i++) {
                all.add(part.nanos[i], part.counts[i]);
            }
        }
        return all;
    }

    /** The latency below which {@code quantile} of the records fall (nearest rank), in nanoseconds; 0 when empty. */
    long quantile(double quantile) {
        long total = 0;
        Integer[] order = new Integer[size];
        for (int i = 0; i < size; i++) {
            order[i] = i;
            total += counts[i];
        }
        if (total == 0) {
            return 0;
        }
        Arrays.sort(order, (a, b) -> Long.compare(nanos[a], nanos[b]));
        long rank = Math.max(1, (long) Math.ceil(quantile * total));
        long seen = 0;
        for (Integer i : order) {
            seen += counts[i];
            if (seen >= rank) {
                return nanos[i];
            }
        }
        return nanos[order[size - 1]];
    }
}
