-- dedup-consumer: the day partitions of the partitioned dedup table (dedup_record_partitioned.sql) that may be dropped.
--
-- Not a migration (DedupSchema.migrate never runs it). Run it in the daily rotation job, then
-- ALTER TABLE dedup_record DROP PARTITION <name> for each name it returns.
--
-- A partition may go once every key in it is older than the window: its bound (the day after its last day) plus the
-- window lies in the past. "Now" is the database's clock in UTC (UTC_TIMESTAMP), never the job host's clock nor the
-- session's time zone; the key dates are read as UTC dates (if your keys carry local dates, add a day to the window).
--
-- The window, in seconds: at least the topics' retention.ms + segment.ms + the longest delay between an event's date
-- and its writing to Kafka. Any value is safe: one too long for MariaDB's date arithmetic ("keep forever", e.g.
-- 9223372036854775807) makes the bound NULL, and an unset variable too: the query then returns nothing and nothing is
-- dropped.
SET @dedup_window_seconds = 14 * 86400;
SELECT PARTITION_NAME
FROM information_schema.PARTITIONS
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'dedup_record' AND PARTITION_DESCRIPTION <> 'MAXVALUE'
  AND CAST(TRIM(BOTH '''' FROM PARTITION_DESCRIPTION) AS DATE)
      <= UTC_TIMESTAMP() - INTERVAL @dedup_window_seconds SECOND
ORDER BY PARTITION_ORDINAL_POSITION;
