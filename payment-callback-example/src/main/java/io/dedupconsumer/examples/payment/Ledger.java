package io.dedupconsumer.examples.payment;

import java.sql.Timestamp;
import java.time.Clock;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The rows a callback leaves besides the order's status: {@code payment} (money that paid an order),
 * {@code refund_followup} (money that arrived for an order that could not take it) and {@code payment_anomaly}
 * (callbacks for a human, also the outbox of their dead-letter alerts). Written in the dedup transaction.
 */
final class Ledger {

    private final JdbcTemplate jdbc;
    private final Clock clock;

    Ledger(JdbcTemplate jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    void recordPayment(PaymentCallback callback) {
        jdbc.update("INSERT INTO payment (provider_tx_id, order_id, amount_minor, currency, recorded_at) VALUES (?, ?, ?, ?, ?)",
                callback.providerTxId(), callback.orderId(), callback.amountMinor(), callback.currency(), now());
    }

    void recordRefundFollowup(PaymentCallback callback, String orderStatus) {
        jdbc.update("INSERT INTO refund_followup (provider_tx_id, order_id, amount_minor, currency, order_status, status, "
                + "recorded_at) VALUES (?, ?, ?, ?, ?, 'OPEN', ?)", callback.providerTxId(), callback.orderId(),
                callback.amountMinor(), callback.currency(), orderStatus, now());
    }

    void recordAnomaly(PaymentCallback callback, Verdict kind, String detail) {
        jdbc.update("INSERT INTO payment_anomaly (provider_tx_id, callback_type, order_id, kind, detail, recorded_at) "
                + "VALUES (?, ?, ?, ?, ?, ?)", callback.providerTxId(), callback.type().name(), callback.orderId(),
                kind.name(), detail, now());
    }

    private Timestamp now() {
        return Timestamp.from(clock.instant());
    }
}
