/**
 * Real parts for integration tests (Kafka broker, fresh databases, a cuttable TCP proxy, killable child JVMs), no mocks.
 */
package io.dedupconsumer.testkit;
