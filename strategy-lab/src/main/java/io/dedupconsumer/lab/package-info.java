/**
 * A concurrency lab that fires simultaneous duplicate deliveries at each duplicate-protection strategy against a
 * real MariaDB and Redis, and judges each strategy by the database state it leaves behind.
 */
package io.dedupconsumer.lab;
