-- inventory-consumer-example: the application's own tables (MySQL 8, MariaDB 10.5+).
-- The dedup table is not here: the library migrates it with its own history table (dedup_schema_history).
CREATE TABLE stock (
    sku       VARCHAR(64) NOT NULL PRIMARY KEY,
    available INT         NOT NULL,
    CONSTRAINT stock_available_not_negative CHECK (available >= 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- One row per stock event the service decided on: applied (delta <> 0) or refused for a business reason (delta 0).
-- event_id is deliberately NOT unique: the dedup table alone keeps it to one row per event, and the demo checks it.
CREATE TABLE stock_ledger (
    id             BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    event_id       VARCHAR(255) NOT NULL,
    entry_type     VARCHAR(16)  NOT NULL,
    order_id       VARCHAR(64)  NULL,
    sku            VARCHAR(64)  NOT NULL,
    quantity       INT          NOT NULL,
    delta          INT          NOT NULL,
    result         VARCHAR(24)  NOT NULL,
    compensated_by VARCHAR(255) NULL,
    recorded_at    DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    KEY stock_ledger_event_id (event_id),
    KEY stock_ledger_order (order_id, sku),
    KEY stock_ledger_sku (sku)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
