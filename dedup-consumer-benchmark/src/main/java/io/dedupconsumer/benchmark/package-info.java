/**
 * The benchmark: what exactly-once side effects cost against a plain consumer loop, on a real broker and real
 * databases. {@link io.dedupconsumer.benchmark.BenchmarkCommand} is the command line; BENCHMARKS.md shows a run.
 */
package io.dedupconsumer.benchmark;
