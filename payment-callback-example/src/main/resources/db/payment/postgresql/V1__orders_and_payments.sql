-- payment-callback-example: the merchant's tables for PostgreSQL 12+ (Flyway location db/payment/postgresql).
-- The same tables as db/payment/mysql; comments there. Text compares byte for byte here by default.

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
);

CREATE TABLE payment (
    provider_tx_id VARCHAR(64) NOT NULL,
    order_id       VARCHAR(64) NOT NULL,
    amount_minor   BIGINT      NOT NULL,
    currency       CHAR(3)     NOT NULL,
    recorded_at    TIMESTAMP(3) NOT NULL,
    PRIMARY KEY (provider_tx_id),
    CONSTRAINT payment_order_uq UNIQUE (order_id)
);

CREATE TABLE refund_followup (
    provider_tx_id VARCHAR(64)  NOT NULL,
    order_id       VARCHAR(64)  NOT NULL,
    amount_minor   BIGINT       NOT NULL,
    currency       CHAR(3)      NOT NULL,
    order_status   VARCHAR(20)  NOT NULL,
    status         VARCHAR(16)  NOT NULL,
    recorded_at    TIMESTAMP(3) NOT NULL,
    PRIMARY KEY (provider_tx_id)
);

CREATE TABLE payment_anomaly (
    provider_tx_id VARCHAR(64)  NOT NULL,
    callback_type  VARCHAR(16)  NOT NULL,
    order_id       VARCHAR(64)  NOT NULL,
    kind           VARCHAR(32)  NOT NULL,
    detail         VARCHAR(300) NOT NULL,
    recorded_at    TIMESTAMP(3) NOT NULL,
    alerted_at     TIMESTAMP(3) NULL,
    PRIMARY KEY (provider_tx_id, callback_type)
);
