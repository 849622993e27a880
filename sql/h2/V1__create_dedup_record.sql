-- dedup-consumer: the dedup table for H2 2.x (the embedded demo default and fast unit tests).
-- Shipped in the library jar as a Flyway migration (classpath:db/dedup/h2).
CREATE TABLE dedup_record (
    consumer_name    VARCHAR(100)             NOT NULL,
    dedup_key        VARCHAR(255)             NOT NULL,
    fingerprint      VARBINARY(32)            NOT NULL,
    outcome          VARCHAR(16)              NOT NULL,
    reason           VARCHAR(500),
    source_topic     VARCHAR(249)             NOT NULL,
    source_partition INTEGER                  NOT NULL,
    source_offset    BIGINT                   NOT NULL,
    processed_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT dedup_record_pk PRIMARY KEY (consumer_name, dedup_key)
);
CREATE INDEX dedup_record_processed_at ON dedup_record (processed_at);
