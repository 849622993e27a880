package io.dedupconsumer.core;

import io.dedupconsumer.jdbc.Dialect;

/**
 * H2, the embedded default for demos and fast tests: the shared plain and multi-row inserts, a duplicate failing them
 * with SQLState class 23, and no time bound of its own (H2's lock timeout applies).
 */
final class H2Claims extends DatabaseClaims {

    H2Claims(String table) {
        super(Dialect.H2, table, "");
    }
}
