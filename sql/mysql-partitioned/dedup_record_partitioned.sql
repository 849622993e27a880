-- dedup-consumer: OPTIONAL day-partitioned dedup table for MySQL 8 and MariaDB 10.5+.
--
-- Not a Flyway migration (no V prefix, its own folder): DedupSchema.migrate never applies it. A DBA applies it
-- INSTEAD OF sql/mysql/V1__create_dedup_record.sql, and the application then must not call DedupSchema.migrate
-- (Flyway's V1 would fail on the existing table). Tested on MariaDB 10.11; MySQL 8 accepts the same statements
-- (stored generated columns in unique keys, partitioning and CHECK constraints) but was not run in our tests.
--
-- WHY: purging a day of keys becomes ALTER TABLE ... DROP PARTITION, a metadata operation that takes the same
-- time for ten rows or ten million, instead of millions of row deletes (DedupRetention still works on this table
-- too, e.g. as a fallback).
--
-- THE ONE CAVEAT: uniqueness only holds per partition. MySQL requires every unique key of a partitioned table to
-- contain the partitioning column, so the table can only refuse a second (consumer_name, dedup_key) if both
-- deliveries land in the same partition. The partition day must therefore be a function of the dedup key alone:
-- here it is read from the key's first ten characters, so dedup keys must start with the EVENT'S OWN date,
-- e.g. '2026-11-24/order-17/payment-3' (build it in your DedupKey from the payload's event date, never from
-- the clock). A key that does not start with a date is refused (a strict-mode cast error, or the CHECK below).
-- NEVER partition by the processing time (DATE(processed_at), CURRENT_DATE, the Kafka timestamp of a re-sent
-- copy): a redelivery processed on another day would land in another partition, pass as a new key, and its side
-- effect would happen twice. (PartitionedDedupTableTests shows exactly that.)
--
-- Windows count from the event date: drop a day only when no record dated that day can still be redelivered, i.e.
-- keep at least (topic retention.ms + segment.ms + the longest delay between an event's date and its writing to
-- Kafka) worth of days.
--
-- A look-up of a held key (the duplicate path) probes every partition: keep the number of days modest (weeks, not
-- years). The table has no PRIMARY KEY because MariaDB refuses a generated column in one; InnoDB adds a hidden row
-- id. (On MySQL with sql_require_primary_key=ON, make key_day a plain DATE column filled by a BEFORE INSERT trigger
-- and declare PRIMARY KEY (consumer_name, dedup_key, key_day) instead.)
--
-- DAILY ROTATION (one job, e.g. cron or the MySQL event scheduler; ALTER waits for a metadata lock, so bound it):
--   SET SESSION lock_wait_timeout = 5;
--   -- tomorrow's (and the day after's) partition, split off the empty catch-all:
--   ALTER TABLE dedup_record REORGANIZE PARTITION pmax INTO (
--       PARTITION p20261126 VALUES LESS THAN ('2026-11-27'),
--       PARTITION pmax VALUES LESS THAN (MAXVALUE));
--   -- each day whose every key is older than the window, as due_partitions.sql lists them (on the database's
--   -- clock, in UTC):
--   ALTER TABLE dedup_record DROP PARTITION p20261116;
-- Events dated before the oldest partition's bound land in the oldest partition and leave with it.
CREATE TABLE dedup_record (
    consumer_name    VARCHAR(100)    NOT NULL,
    dedup_key        VARBINARY(1020) NOT NULL,
    key_day          DATE AS (CAST(LEFT(dedup_key, 10) AS DATE)) STORED,
    fingerprint      VARBINARY(32)   NOT NULL,
    outcome          VARCHAR(16)     NOT NULL,
    reason           VARCHAR(500)    NULL,
    source_topic     VARCHAR(249)    NOT NULL,
    source_partition INT             NOT NULL,
    source_offset    BIGINT          NOT NULL,
    processed_at     DATETIME(3)     NOT NULL,
    UNIQUE KEY dedup_record_key (consumer_name, dedup_key, key_day),
    KEY dedup_record_processed_at (processed_at),
    CONSTRAINT dedup_record_key_day CHECK (key_day IS NOT NULL)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin
PARTITION BY RANGE COLUMNS (key_day) (
    -- Replace with one partition per day from (today - window) to today + 2, named pYYYYMMDD, bound = the next day.
    PARTITION p20261124 VALUES LESS THAN ('2026-11-25'),
    PARTITION pmax VALUES LESS THAN (MAXVALUE)
);
