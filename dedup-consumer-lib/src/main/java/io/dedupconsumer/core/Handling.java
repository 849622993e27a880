package io.dedupconsumer.core;

import java.sql.Connection;
import java.util.Collections;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * How a transaction's newly claimed records reach the user's code: one {@link RecordHandler} call per record, or one
 * {@link BatchHandler} call for them all. {@link ClaimTransactions} and {@link BatchIsolation} work the same for both;
 * only what a failure points at differs (one record, or a set of records to narrow down).
 */
sealed interface Handling<K, V> {

    /** One call per record; a failure names its record. */
    record PerRecord<K, V>(RecordHandler<K, V> handler) implements Handling<K, V> {
    }

    /** One call for all; a failure names no record until only one is left. */
    record AllAtOnce<K, V>(BatchHandler<K, V> handler) implements Handling<K, V> {

        /**
         * The handler's results for {@code records}, checked: one per record (or none, for all processed).
         *
         * @throws IllegalStateException when the handler returned another number of results, or a null one
         */
        List<HandlerResult> handle(List<ConsumerRecord<K, V>> records, Connection connection) throws Exception {
            List<HandlerResult> results = handler.handle(records, connection);
            if (results == null || results.isEmpty()) {
                return Collections.nCopies(records.size(), HandlerResult.processed());
            }
            if (results.size() != records.size()) {
                throw new IllegalStateException("the batch handler returned " + results.size() + " results for "
                        + records.size() + " records; return one HandlerResult per record, in order, or none when "
                        + "every record was processed");
            }
            for (HandlerResult result : results) {
                if (result == null) {
                    throw new IllegalStateException("the batch handler returned a null result; return "
                            + "HandlerResult.processed() or HandlerResult.rejected(reason) for every record");
                }
            }
            return results;
        }
    }
}
