package io.dedupconsumer.benchmark;

import java.util.BitSet;
import java.util.List;

/**
 * A topic filled before any timing, and what every prefix of it must leave in the database: the number of records,
 * of distinct events, and the balance they add up to with and without deduplication.
 *
 * @param partitions what each partition holds, in offset order
 */
record Workload(String topic, int duplicatePercent, List<PartitionLog> partitions) {

    Workload {
        partitions = List.copyOf(partitions);
    }

    int partitionCount() {
        return partitions.size();
    }

    long size() {
        return partitions.stream().mapToLong(p -> p.amounts().length).sum();
    }

    /** How many records each partition's consumer reads so that about {@code records} are read in all. */
    long limitPerPartition(long records) {
        return (records + partitionCount() - 1) / partitionCount();
    }

    /** What consuming the first {@code limitPerPartition} records of every partition must produce. */
    Expectation expect(long limitPerPartition) {
        long records = 0;
        long unique = 0;
        long sumAll = 0;
        long sumUnique = 0;
        for (PartitionLog log : partitions) {
            int end = (int) Math.min(limitPerPartition, log.amounts().length);
            for (int i = 0; i < end; i++) {
                records++;
                sumAll += log.amounts()[i];
                if (log.firstDeliveries().get(i)) {
                    unique++;
                    sumUnique += log.amounts()[i];
                }
            }
        }
        return new Expectation(records, unique, sumAll, sumUnique);
    }

    /**
     * One partition's records, as what the checks need: each record's amount, and which records are the first
     * delivery of their event (the others are duplicates of an earlier record of the same partition).
     */
    record PartitionLog(long[] amounts, BitSet firstDeliveries) {
    }

    /**
     * What a prefix of the topic must leave behind.
     *
     * @param records records consumed
     * @param uniqueEvents distinct events among them: the ledger rows and dedup rows a deduplicating consumer writes
     * @param amountOfAll the balance total when every record is applied (the unsafe consumers)
     * @param amountOfUnique the balance total when every event is applied once
     */
    record Expectation(long records, long uniqueEvents, long amountOfAll, long amountOfUnique) {
    }
}
