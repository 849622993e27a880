package io.dedupconsumer.lab;

/**
 * How hard one trial pushes a strategy: {@code concurrency} simultaneous deliveries of the same event, repeated
 * for {@code rounds} fresh events, each transaction held open for the race window before it commits.
 */
record Plan(int concurrency, int rounds, RaceWindow window) {

    Plan {
        if (concurrency < 2) {
            throw new IllegalArgumentException("concurrency must be at least 2 to race, was " + concurrency);
        }
        if (rounds < 1) {
            throw new IllegalArgumentException("rounds must be at least 1, was " + rounds);
        }
    }

    int deliveries() {
        return concurrency * rounds;
    }
}
