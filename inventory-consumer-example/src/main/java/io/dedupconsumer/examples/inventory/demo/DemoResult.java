package io.dedupconsumer.examples.inventory.demo;

import io.dedupconsumer.examples.inventory.oracle.Verification;
import org.jspecify.annotations.Nullable;

/**
 * What a demo run ended with, as a value for the tests and for {@code main}'s exit code.
 *
 * @param exitCode {@link InventoryDemo#PASSED}, {@link InventoryDemo#FAILED}, {@link InventoryDemo#USAGE} or
 *     {@link InventoryDemo#BROKEN}
 * @param verdict the verification's result; {@code null} when the demo did not get as far as verifying (bad options,
 *     broken infrastructure, {@code --help})
 */
record DemoResult(int exitCode, Verification.@Nullable Verdict verdict) {

    static DemoResult of(Verification.Verdict verdict) {
        return new DemoResult(verdict.passed() ? InventoryDemo.PASSED : InventoryDemo.FAILED, verdict);
    }

    static DemoResult without(int exitCode) {
        return new DemoResult(exitCode, null);
    }
}
