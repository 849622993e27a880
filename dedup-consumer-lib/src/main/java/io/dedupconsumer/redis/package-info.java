/** A Redis {@link io.dedupconsumer.core.DedupGuard}: spares the database hot duplicates, never decides alone. */
package io.dedupconsumer.redis;
