package io.dedupconsumer.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dedupconsumer.testkit.TestDatabase;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** A bad configuration fails when it is built, with a message that names the setting and says what to do. */
class DeduplicatorConfigurationTests {

    private final DataSource dataSource = TestDatabase.h2().create("config");

    @Test
    void aMissingKeyExtractorNamesTheSettingAndTheChoices() {
        assertThatThrownBy(() -> Deduplicator.builder().consumerName("orders").dataSource(dataSource).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("dedupKey: required")
                .hasMessageContaining("DedupKey.header(\"event-id\")");
    }

    @Test
    void aMissingConsumerNameNamesTheSetting() {
        assertThatThrownBy(() -> Deduplicator.builder().dedupKey(DedupKey.recordKey()).dataSource(dataSource).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("consumerName: required");
    }

    @Test
    void aMissingDataSourceNamesTheSetting() {
        assertThatThrownBy(() -> Deduplicator.builder().consumerName("orders").dedupKey(DedupKey.recordKey()).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("dataSource: required");
    }

    @Test
    void anInvalidTableNameIsRefusedWhenSet() {
        assertThatThrownBy(() -> Deduplicator.builder().table("dedup_record; DROP TABLE stock"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("table: 'dedup_record; DROP TABLE stock' is not a valid SQL identifier");
    }

    @Test
    void anInvalidConsumerNameIsRefusedWhenSet() {
        assertThatThrownBy(() -> Deduplicator.builder().consumerName("orders service"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("consumerName: 'orders service' is not valid");
        assertThatThrownBy(() -> Deduplicator.builder().consumerName("x".repeat(101)))
                .hasMessageStartingWith("consumerName:");
    }

    @Test
    void transientAttemptsOutOfRangeAreRefusedWhenSet() {
        assertThatThrownBy(() -> Deduplicator.builder().transientAttempts(0))
                .hasMessage("transientAttempts: 0 is out of range; use 1 to 100");
    }

    @Test
    void aCompleteConfigurationBuilds() {
        Deduplicator dedup = Deduplicator.builder().consumerName("inventory-service").dataSource(dataSource)
                .dedupKey(DedupKey.header("event-id")).table("app.dedup_record").build();

        assertThat(dedup.consumerName()).isEqualTo("inventory-service");
        assertThat(dedup.table()).isEqualTo("app.dedup_record");
    }
}
