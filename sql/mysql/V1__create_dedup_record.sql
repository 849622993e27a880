-- dedup-consumer: the dedup table for MySQL 8 and MariaDB 10.5+.
-- The same file is shipped in the library jar as a Flyway migration (classpath:db/dedup/mysql);
-- a DBA may apply it by hand instead. To use another table name, rename it here and configure
-- the same name in the library.
--
-- dedup_key is VARBINARY: keys compare byte for byte. A case- or accent-insensitive collation would make
-- 'order-A' and 'order-a' one key, and even utf8mb4_bin is PAD SPACE ('order-a ' = 'order-a'): both are false
-- duplicates. 1020 bytes hold the 255 characters (UTF-8, at most 4 bytes each) the library accepts.
CREATE TABLE dedup_record (
    consumer_name    VARCHAR(100)  NOT NULL,
    dedup_key        VARBINARY(1020) NOT NULL,
    fingerprint      VARBINARY(32) NOT NULL,
    outcome          VARCHAR(16)   NOT NULL,
    reason           VARCHAR(500)  NULL,
    source_topic     VARCHAR(249)  NOT NULL,
    source_partition INT           NOT NULL,
    source_offset    BIGINT        NOT NULL,
    processed_at     DATETIME(3)   NOT NULL,
    PRIMARY KEY (consumer_name, dedup_key),
    KEY dedup_record_processed_at (processed_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
