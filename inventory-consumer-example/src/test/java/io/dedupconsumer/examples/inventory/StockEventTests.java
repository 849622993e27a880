package io.dedupconsumer.examples.inventory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class StockEventTests {

    private static final Instant AT = Instant.parse("2026-01-05T08:00:00Z");

    @Test
    void anEventSurvivesTheTripThroughJson() {
        StockEvent deduct = StockEvent.deduct("e-1", "o-1", "SKU-1", 3, AT);
        StockEvent cancel = StockEvent.cancel("e-2", "o-1", "SKU-1", AT);
        StockEvent restock = StockEvent.restock("e-3", "SKU-1", 12, AT);

        assertThat(StockEvent.parse(deduct.toJson())).isEqualTo(deduct);
        assertThat(StockEvent.parse(cancel.toJson())).isEqualTo(cancel);
        assertThat(StockEvent.parse(restock.toJson())).isEqualTo(restock);
    }

    @Test
    void theSameEventAlwaysSerializesToTheSameBytes() {
        // the default fingerprint hashes the value's bytes: a re-send must be byte-identical to be a duplicate
        assertThat(StockEvent.deduct("e-1", "o-1", "SKU-1", 3, AT).toJson())
                .isEqualTo(StockEvent.deduct("e-1", "o-1", "SKU-1", 3, AT).toJson());
    }

    @Test
    void aMalformedEventNamesTheFieldAtFault() {
        assertThatThrownBy(() -> StockEvent.parse("not json")).isInstanceOf(MalformedEventException.class)
                .hasMessageStartingWith("not JSON");
        assertThatThrownBy(() -> StockEvent.parse("[1,2]")).hasMessage("not a JSON object");
        assertThatThrownBy(() -> StockEvent.parse(json("\"TELEPORT\"", "\"SKU-1\"", "2")))
                .hasMessageStartingWith("type: 'TELEPORT'");
        assertThatThrownBy(() -> StockEvent.parse(json("\"RESTOCK\"", null, "2"))).hasMessage("sku: missing");
        assertThatThrownBy(() -> StockEvent.parse(json("\"RESTOCK\"", "\"SKU-1\"", "-3")))
                .hasMessageStartingWith("quantity: -3 is out of range");
        assertThatThrownBy(() -> StockEvent.parse(json("\"RESTOCK\"", "\"SKU-1\"", "\"lots\"")))
                .hasMessageStartingWith("quantity: not a whole number");
        assertThatThrownBy(() -> StockEvent.parse(json("\"RESTOCK\"", "\"SKU-1\"", "2.5")))
                .hasMessageStartingWith("quantity: not a whole number");
        assertThatThrownBy(() -> StockEvent.parse(json("\"DEDUCT\"", "\"SKU-1\"", "2")))
                .hasMessageStartingWith("orderId: missing");
        assertThatThrownBy(() -> StockEvent.parse(json("\"RESTOCK\"", "42", "2")))
                .hasMessageStartingWith("sku: not a string");
        assertThatThrownBy(() -> StockEvent.parse("{\"eventId\":\"e\",\"type\":\"RESTOCK\",\"sku\":\"S\",\"quantity\":1,"
                + "\"occurredAt\":\"yesterday\"}")).hasMessageStartingWith("occurredAt: 'yesterday'");
    }

    @Test
    void aCancellationCarriesNoQuantityAndARestockNoOrder() {
        assertThatThrownBy(() -> new StockEvent("e", StockEvent.Type.CANCEL, "o", "S", 2, AT))
                .hasMessageStartingWith("quantity: a CANCEL gives back what the deduction took");
        assertThatThrownBy(() -> new StockEvent("e", StockEvent.Type.RESTOCK, "o", "S", 2, AT))
                .hasMessageStartingWith("orderId: a RESTOCK belongs to no order");
    }

    private static String json(String type, String sku, String quantity) {
        return "{\"eventId\":\"e-1\",\"type\":" + type + (sku == null ? "" : ",\"sku\":" + sku) + ",\"quantity\":"
                + quantity + ",\"occurredAt\":\"" + AT + "\"}";
    }
}
