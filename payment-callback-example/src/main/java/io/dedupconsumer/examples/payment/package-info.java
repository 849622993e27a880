/**
 * Payment provider callbacks that move orders through a state machine exactly once: a signed HTTP notify endpoint
 * that publishes to Kafka, a deduplicated consumer that applies conditional transitions, and a demo that proves it.
 */
package io.dedupconsumer.examples.payment;
