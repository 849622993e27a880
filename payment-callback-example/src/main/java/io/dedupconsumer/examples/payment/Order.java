package io.dedupconsumer.examples.payment;

/**
 * An order as stored.
 *
 * @param id the merchant's order id ({@code order_id} in callbacks)
 * @param status where it is in its life
 * @param amountMinor the amount due in minor units of {@code currency} (cents for EUR)
 * @param currency ISO 4217 code
 * @param version how many moves the order made
 */
record Order(String id, OrderStatus status, long amountMinor, String currency, long version) {
}
