/**
 * Proof of exactly-once effects under crashes, rebalances and outages: the replay/verify command
 * ({@link io.dedupconsumer.chaos.ReplayVerifyCommand}) and the chaos suite that drives the inventory consumer as child
 * JVM processes ({@link io.dedupconsumer.chaos.ChaosConsumerApplication}), both judged by one verifier against a model
 * computed from the topic itself with the inventory example's oracle ({@code io.dedupconsumer.examples.inventory.oracle}),
 * the same the demo uses: no stock or key rule of its own.
 */
package io.dedupconsumer.chaos;
