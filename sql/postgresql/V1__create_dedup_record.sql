-- dedup-consumer: the dedup table for PostgreSQL 12+.
-- The same file is shipped in the library jar as a Flyway migration (classpath:db/dedup/postgresql);
-- a DBA may apply it by hand instead. To use another table name, rename it here and configure
-- the same name in the library.
--
-- The key columns use the "C" collation: the unique index then orders keys byte for byte, not by the operating
-- system's locale, whose rules change with glibc upgrades and can leave an index that no longer finds rows it holds
-- (a key it no longer finds is a duplicate it no longer catches). It is also the cheapest comparison.
CREATE TABLE dedup_record (
    consumer_name    VARCHAR(100) COLLATE "C" NOT NULL,
    dedup_key        VARCHAR(255) COLLATE "C" NOT NULL,
    fingerprint      BYTEA        NOT NULL,
    outcome          VARCHAR(16)  NOT NULL,
    reason           VARCHAR(500),
    source_topic     VARCHAR(249) NOT NULL,
    source_partition INTEGER      NOT NULL,
    source_offset    BIGINT       NOT NULL,
    processed_at     TIMESTAMPTZ  NOT NULL,
    CONSTRAINT dedup_record_pk PRIMARY KEY (consumer_name, dedup_key)
);
CREATE INDEX dedup_record_processed_at ON dedup_record (processed_at);
