package io.dedupconsumer.spring.boot.jpa;

import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A row the JPA listener writes for each event it applies. */
@Entity
@Table(name = "jpa_ledger")
public class LedgerEntry {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    private Long id;

    /** Not unique on purpose: an event applied twice shows as two rows. */
    private String eventId;

    private int amount;

    protected LedgerEntry() {
    }

    LedgerEntry(String eventId, int amount) {
        this.eventId = eventId;
        this.amount = amount;
    }

    public String getEventId() {
        return eventId;
    }

    public int getAmount() {
        return amount;
    }
}
