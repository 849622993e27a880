package io.dedupconsumer.lab;

/**
 * Where the lab's database server and Redis are. The JDBC URL names a server and any database on it; the lab
 * creates its own database there and drops it when done.
 */
record Endpoints(String jdbcUrl, String user, String password, String redisHost, int redisPort) {

    /** MariaDB on the loopback; no TLS, whose handshakes and encryption would only load a 2-core machine. */
    static final String LOCAL_JDBC_URL = "jdbc:mysql://127.0.0.1:3306/test?sslMode=DISABLED";

    /** The services of a development machine: MariaDB and Redis on the loopback, root without a password. */
    static final Endpoints LOCAL = new Endpoints(LOCAL_JDBC_URL, "root", "", "127.0.0.1", 6379);

    Endpoints {
        if (redisPort < 1 || redisPort > 65535) {
            throw new IllegalArgumentException("redisPort must be 1..65535, was " + redisPort);
        }
    }

    @Override
    public String toString() {
        return "Endpoints[" + jdbcUrl + " as " + user + ", redis " + redisHost + ":" + redisPort + "]";
    }
}
