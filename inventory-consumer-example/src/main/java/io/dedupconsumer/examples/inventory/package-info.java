/**
 * The inventory service, the example to copy first: a deduplicated {@code @KafkaListener} applies stock events
 * (deduct, cancel, restock) with conditional statements and a ledger row, exactly once per event id.
 */
package io.dedupconsumer.examples.inventory;
