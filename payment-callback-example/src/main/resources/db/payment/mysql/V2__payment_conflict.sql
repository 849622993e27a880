-- payment-callback-example: conflicts, for MySQL 8 and MariaDB 10.5+ (Flyway location db/payment/mysql).
--
-- A callback that reuses a provider transaction and type already applied, with another order, amount or currency (a
-- dedup CONFLICT). It is never applied; it goes to the dead-letter topic, and here, next to the orders, for a human.
-- One row per record on the topic: (topic, partition, offset) is the key, so a redelivery of the record (a crash
-- before its offset was committed) or a replay of the topic adds no second row.
--   fingerprint / stored_fingerprint: the received callback's and the applied one's (hex SHA-256, PaymentCallback);
--   stored_delivery / stored_outcome: where the applied callback is on the topic and what it did. The applied
--   callback's amount is in payment, refund_followup or payment_anomaly under the same provider_tx_id.
CREATE TABLE payment_conflict (
    record_topic       VARCHAR(249) NOT NULL,
    record_partition   INT          NOT NULL,
    record_offset      BIGINT       NOT NULL,
    provider_tx_id     VARCHAR(64)  NOT NULL,
    callback_type      VARCHAR(16)  NOT NULL,
    order_id           VARCHAR(64)  NOT NULL,
    amount_minor       BIGINT       NOT NULL,
    currency           CHAR(3)      NOT NULL,
    fingerprint        CHAR(64)     NOT NULL,
    stored_fingerprint CHAR(64)     NULL,
    stored_delivery    VARCHAR(300) NOT NULL,
    stored_outcome     VARCHAR(16)  NOT NULL,
    recorded_at        TIMESTAMP(3) NOT NULL,
    PRIMARY KEY (record_topic, record_partition, record_offset),
    INDEX payment_conflict_tx_ix (provider_tx_id, callback_type)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
