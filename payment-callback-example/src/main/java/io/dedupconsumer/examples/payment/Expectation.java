package io.dedupconsumer.examples.payment;

import java.util.List;

/**
 * What one story of the demo must leave behind once every callback was consumed, however often and in whatever
 * interleaving the callbacks were delivered.
 *
 * @param story the story's name, for the report
 * @param orderId the order, or {@code null} when the story's order does not exist (a callback for an unknown order)
 * @param status the order's final status
 * @param payments payment rows of the order (1 for a paid order, 0 otherwise)
 * @param followups refund follow-up rows of the order
 * @param verdicts one verdict per distinct callback (provider transaction and type) the consumer must apply once
 * @param alerts anomaly alerts the story must put on the dead-letter topic
 * @param conflicts records the story makes the consumer dead-letter as CONFLICT
 */
record Expectation(String story, String orderId, OrderStatus status, int payments, int followups, List<Verdict> verdicts,
        int alerts, int conflicts) {

    Expectation {
        verdicts = List.copyOf(verdicts);
    }
}
