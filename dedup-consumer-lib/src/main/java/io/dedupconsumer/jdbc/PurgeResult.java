package io.dedupconsumer.jdbc;

import java.time.Duration;
import java.time.Instant;

/**
 * What one retention run did.
 *
 * @param deleted the keys deleted, over all batches
 * @param batches the delete statements run, each in its own transaction (the last one finds fewer rows than the
 *     batch size, or none)
 * @param cutoff keys processed before this instant, on the database's clock, were due; {@link Instant#MIN} when the
 *     window reaches back before the year 1000 (every key is kept); {@code null} when the retention was closed before
 *     the run began
 * @param duration how long the run took, pauses between batches included
 * @param complete {@code false} when the run stopped early because the retention was closed; the rest is due next run
 */
public record PurgeResult(long deleted, int batches, Instant cutoff, Duration duration, boolean complete) {
}
