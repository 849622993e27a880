/**
 * Proof of exactly-once effects under crashes, rebalances and outages: the replay/verify command
 * ({@link io.dedupconsumer.chaos.ReplayVerifyCommand}) and the chaos suite that drives the inventory consumer as child
 * JVM processes ({@link io.dedupconsumer.chaos.ChaosConsumerApplication}), both judged by one verifier against a model
 * computed from the topic itself.
 */
package io.dedupconsumer.chaos;
