/**
 * A Redis {@link io.dedupconsumer.core.DedupGuard}: spares the database hot duplicates; answers only what a committed
 * claim of the same consumer and key said, and steps aside while Redis is down or slow.
 */
@NullMarked
package io.dedupconsumer.redis;

import org.jspecify.annotations.NullMarked;
