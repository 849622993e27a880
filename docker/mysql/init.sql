-- Runs once, on the first start of the mysql service (an empty data volume).
-- One database per example application; each application creates its own tables (and the dedup table) with Flyway.
CREATE DATABASE IF NOT EXISTS inventory;
CREATE DATABASE IF NOT EXISTS payments;
GRANT ALL PRIVILEGES ON inventory.* TO 'dedup'@'%';
GRANT ALL PRIVILEGES ON payments.* TO 'dedup'@'%';
