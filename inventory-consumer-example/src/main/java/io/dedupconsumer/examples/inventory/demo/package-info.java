/**
 * The demo harness around the inventory service: starts an in-process Kafka broker and H2 unless external ones are
 * configured, produces a workload with duplicates, conflicts and bad events, consumes it, replays the topic under a
 * new consumer group, and verifies every invariant against a model computed from the unique events. Not part of what
 * a user copies; {@link io.dedupconsumer.examples.inventory.demo.InventoryDemo} is its entry point.
 */
package io.dedupconsumer.examples.inventory.demo;
