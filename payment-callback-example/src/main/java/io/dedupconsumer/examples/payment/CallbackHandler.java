package io.dedupconsumer.examples.payment;

import io.dedupconsumer.core.HandlerResult;
import io.dedupconsumer.core.RecordHandler;
import java.sql.Connection;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Applies one callback whose dedup key was just claimed, inside the claim's transaction: the order moves (or not)
 * by one conditional statement, and the rows that explain the outcome are written with it. Runs at most once per
 * provider transaction and type; a re-send never reaches it.
 *
 * <p>Decisions never rest on a status read in Java: the move is attempted, and only when it affected no row is the
 * status read, to say in the record why (and, for money that arrived, to keep it for a refund).
 */
final class CallbackHandler implements RecordHandler<String, byte[]> {

    private final Orders orders;
    private final Ledger ledger;

    CallbackHandler(Orders orders, Ledger ledger) {
        this.orders = orders;
        this.ledger = ledger;
    }

    @Override
    public HandlerResult handle(ConsumerRecord<String, byte[]> record, Connection connection) throws Exception {
        // The dedup key extractor parsed the same bytes already: a record that reaches here is valid.
        return handle(PaymentCallback.parse(record.value()));
    }

    HandlerResult handle(PaymentCallback callback) {
        Optional<Order> found = orders.find(callback.orderId());
        if (found.isEmpty()) {
            String detail = "no order " + callback.orderId();
            ledger.recordAnomaly(callback, Verdict.UNKNOWN_ORDER, detail);
            return Verdict.UNKNOWN_ORDER.result(detail);
        }
        Order order = found.get();
        return switch (callback.type()) {
            case SUCCESS -> success(callback, order);
            case FAILED -> failed(callback);
        };
    }

    private HandlerResult success(PaymentCallback callback, Order order) {
        // Amount and currency never change after an order is placed, so comparing them with what was read is safe.
        if (callback.amountMinor() != order.amountMinor() || !callback.currency().equals(order.currency())) {
            String detail = "order " + order.id() + " is due " + order.amountMinor() + " " + order.currency()
                    + ", the provider reports " + callback.amountMinor() + " " + callback.currency();
            ledger.recordAnomaly(callback, Verdict.AMOUNT_MISMATCH, detail);
            return Verdict.AMOUNT_MISMATCH.result(detail);
        }
        if (orders.apply(callback.orderId(), Transition.PAY)) {
            ledger.recordPayment(callback);
            return Verdict.PAID.result(null);
        }
        String status = currentStatus(callback.orderId());
        ledger.recordRefundFollowup(callback, status);
        return Verdict.REFUND_FOLLOWUP.result("order " + callback.orderId() + " is " + status + "; "
                + callback.amountMinor() + " " + callback.currency() + " kept for a refund");
    }

    private HandlerResult failed(PaymentCallback callback) {
        if (orders.apply(callback.orderId(), Transition.FAIL_ATTEMPT)) {
            return Verdict.ATTEMPT_FAILED.result(null);
        }
        return Verdict.FAILURE_IGNORED.result("order " + callback.orderId() + " is "
                + currentStatus(callback.orderId()));
    }

    private String currentStatus(String orderId) {
        return orders.find(orderId).map(o -> o.status().name()).orElse("gone");
    }
}
