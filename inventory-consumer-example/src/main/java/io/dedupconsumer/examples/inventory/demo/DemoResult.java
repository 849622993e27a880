package io.dedupconsumer.examples.inventory.demo;

import io.dedupconsumer.examples.inventory.oracle.Verification;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What a demo run ended with, as a value for the tests and for {@code main}'s exit code.
 *
 * @param exitCode {@link InventoryDemo#PASSED}, {@link InventoryDemo#FAILED}, {@link InventoryDemo#USAGE} or
 *     {@link InventoryDemo#BROKEN}
 * @param verdict the verifications' result (of every listener's run); {@code null} when the demo did not get as far as verifying (bad options,
 *     broken infrastructure, {@code --help})
 */
record DemoResult(int exitCode, Verification.@Nullable Verdict verdict) {

    /** The result of the runs of the demo, one per listener: passed when every one passed, with all their checks. */
    static DemoResult of(List<Verification.Verdict> verdicts) {
        List<Verification.Check> failures = new ArrayList<>();
        List<String> violations = new ArrayList<>();
        int checks = 0;
        for (Verification.Verdict verdict : verdicts) {
            checks += verdict.checks();
            failures.addAll(verdict.failures());
            violations.addAll(verdict.violations());
        }
        Verification.Verdict all = new Verification.Verdict(checks, failures, violations);
        return new DemoResult(all.passed() ? InventoryDemo.PASSED : InventoryDemo.FAILED, all);
    }

    static DemoResult without(int exitCode) {
        return new DemoResult(exitCode, null);
    }
}
