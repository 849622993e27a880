-- payment-callback-example: the merchant's tables for MySQL 8 and MariaDB 10.5+ (Flyway location db/payment/mysql).
--
-- Ids are compared byte for byte (utf8mb4_bin): providers' transaction ids are case-sensitive ("ch_3Nx" is not
-- "ch_3nX"), and a case-insensitive collation would make two transactions one.

-- An order and where it is in its life. status moves only through the conditional UPDATEs of Transition.java;
-- version counts the moves.
CREATE TABLE orders (
    id           VARCHAR(64) NOT NULL,
    status       VARCHAR(20) NOT NULL,
    amount_minor BIGINT      NOT NULL,
    currency     CHAR(3)     NOT NULL,
    version      BIGINT      NOT NULL,
    created_at   TIMESTAMP(3) NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT orders_status_ck CHECK (status IN ('CREATED', 'PENDING_PAYMENT', 'PAID', 'SHIPPED', 'CLOSED', 'REFUNDED')),
    CONSTRAINT orders_amount_ck CHECK (amount_minor > 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- The money that paid an order: written in the same transaction as PENDING_PAYMENT -> PAID. One per order (a second
-- line of defence behind the state machine) and one per provider transaction.
CREATE TABLE payment (
    provider_tx_id VARCHAR(64) NOT NULL,
    order_id       VARCHAR(64) NOT NULL,
    amount_minor   BIGINT      NOT NULL,
    currency       CHAR(3)     NOT NULL,
    recorded_at    TIMESTAMP(3) NOT NULL,
    PRIMARY KEY (provider_tx_id),
    CONSTRAINT payment_order_uq UNIQUE (order_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Money the provider took for an order that could not be paid any more (closed, already paid by another
-- transaction, shipped, refunded): kept for a refund, never lost.
CREATE TABLE refund_followup (
    provider_tx_id VARCHAR(64)  NOT NULL,
    order_id       VARCHAR(64)  NOT NULL,
    amount_minor   BIGINT       NOT NULL,
    currency       CHAR(3)      NOT NULL,
    order_status   VARCHAR(20)  NOT NULL,
    status         VARCHAR(16)  NOT NULL,
    recorded_at    TIMESTAMP(3) NOT NULL,
    PRIMARY KEY (provider_tx_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Callbacks that must not be applied and need a human (amount or currency mismatch, unknown order). alerted_at is
-- set once the alert is on the dead-letter topic: this table is the alert's outbox.
CREATE TABLE payment_anomaly (
    provider_tx_id VARCHAR(64)  NOT NULL,
    callback_type  VARCHAR(16)  NOT NULL,
    order_id       VARCHAR(64)  NOT NULL,
    kind           VARCHAR(32)  NOT NULL,
    detail         VARCHAR(300) NOT NULL,
    recorded_at    TIMESTAMP(3) NOT NULL,
    alerted_at     TIMESTAMP(3) NULL,
    PRIMARY KEY (provider_tx_id, callback_type)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
