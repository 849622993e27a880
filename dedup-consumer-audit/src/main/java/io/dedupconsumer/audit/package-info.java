/**
 * The operator's command line, {@code bin/dedup-audit}: questions every operator of a dedup consumer asks before and
 * after an incident (did we lose anything, would a replay apply anything again, what is waiting, conflicting,
 * dead-lettered), answered from what the library records, with no domain model: the topic, the dedup table, the
 * group's committed offsets and the dead-letter topic. It only reads: it never commits an offset nor writes a row.
 */
@NullMarked
package io.dedupconsumer.audit;

import org.jspecify.annotations.NullMarked;
