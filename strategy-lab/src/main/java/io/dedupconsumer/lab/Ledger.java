package io.dedupconsumer.lab;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The side effect every strategy protects, and how the lab reads it back. An event's effect is one row in
 * {@code effect} plus its amount taken off {@code account.balance}, in one transaction; an event applied twice
 * therefore leaves two effect rows, or a balance that moved twice, whatever the strategy believed it did.
 */
final class Ledger {

    /** The one account every event of a trial debits: a hot row, as a popular SKU or wallet is. */
    static final long ACCOUNT_ID = 1;

    private static final long OPENING_BALANCE = 1_000_000_000L;

    /** Whether the effect log carries the unique index that makes the database refuse a second claim. */
    enum EffectIndex {
        /** A plain index on {@code event_id}: fast look-ups, no protection. */
        PLAIN("KEY"),
        /** {@code UNIQUE (event_id)}: the source of truth for "already applied". */
        UNIQUE("UNIQUE KEY");

        private final String ddl;

        EffectIndex(String ddl) {
            this.ddl = ddl;
        }
    }

    private Ledger() {
    }

    /** Drops and recreates the account and the effect log, so each trial starts from a known state. */
    static void create(Connection c, EffectIndex index) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS effect");
            s.execute("DROP TABLE IF EXISTS account");
            s.execute("""
                    CREATE TABLE account (
                      id      BIGINT PRIMARY KEY,
                      balance BIGINT NOT NULL,
                      version BIGINT NOT NULL
                    ) ENGINE=InnoDB""");
            s.execute("""
                    CREATE TABLE effect (
                      id         BIGINT AUTO_INCREMENT PRIMARY KEY,
                      event_id   VARCHAR(64) NOT NULL,
                      account_id BIGINT NOT NULL,
                      amount     BIGINT NOT NULL,
                      applied_by BIGINT NOT NULL COMMENT 'CONNECTION_ID() of the delivery that applied it',
                      applied_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
                      %s effect_event (event_id)
                    ) ENGINE=InnoDB""".formatted(index.ddl));
            s.execute("INSERT INTO account (id, balance, version) VALUES (%d, %d, 0)"
                    .formatted(ACCOUNT_ID, OPENING_BALANCE));
        }
    }

    /** The effect itself: log the event, then debit the account. The log insert comes first, as a claim does. */
    static void apply(Connection c, Event e) throws SQLException {
        logEffect(c, e);
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE account SET balance = balance - ?, version = version + 1 WHERE id = ?")) {
            ps.setLong(1, e.amount());
            ps.setLong(2, e.accountId());
            expectOneRow(ps.executeUpdate(), e);
        }
    }

    /** The log half of the effect, for strategies that move the balance their own way. */
    static void logEffect(Connection c, Event e) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO effect (event_id, account_id, amount, applied_by) VALUES (?, ?, ?, CONNECTION_ID())")) {
            ps.setString(1, e.id());
            ps.setLong(2, e.accountId());
            ps.setLong(3, e.amount());
            ps.executeUpdate();
        }
    }

    /** The "check" of check-then-act: a plain (non-locking) read of the effect log. */
    static boolean alreadyApplied(Connection c, String eventId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM effect WHERE event_id = ? LIMIT 1")) {
            ps.setString(1, eventId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** How many effect rows the database holds for an event: the lab's ground truth. */
    static long effectRows(Connection c, String eventId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM effect WHERE event_id = ?")) {
            ps.setString(1, eventId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** The committed balance of an account. */
    static long balance(Connection c, long accountId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT balance FROM account WHERE id = ?")) {
            ps.setLong(1, accountId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("account " + accountId + " does not exist");
                }
                return rs.getLong(1);
            }
        }
    }

    static void expectOneRow(int updated, Event e) throws SQLException {
        if (updated != 1) {
            throw new SQLException("expected to debit account " + e.accountId() + " once, updated " + updated + " rows");
        }
    }
}
