-- payment-callback-example: conflicts, for H2 2.x (Flyway location db/payment/h2).
-- The same table as db/payment/mysql; comments there.

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
    PRIMARY KEY (record_topic, record_partition, record_offset)
);

CREATE INDEX payment_conflict_tx_ix ON payment_conflict (provider_tx_id, callback_type);
