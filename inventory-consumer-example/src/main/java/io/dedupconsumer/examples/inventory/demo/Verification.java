package io.dedupconsumer.examples.inventory.demo;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The verification table: every check with what the model expects, what the run ended with, and whether they agree;
 * the run passes only if every check does.
 */
final class Verification {

    /**
     * One line of the table.
     *
     * @param section the group it is printed under
     * @param name what is checked
     * @param expected the model's value
     * @param actual the run's value
     * @param note what a failure means, printed beside a failed check
     * @param atLeast whether {@code actual} may exceed {@code expected} (both numbers): a count that redeliveries add to
     */
    record Check(String section, String name, Object expected, Object actual, String note, boolean atLeast) {
        boolean ok() {
            if (atLeast && expected instanceof Number least && actual instanceof Number count) {
                return count.longValue() >= least.longValue();
            }
            return Objects.equals(String.valueOf(expected), String.valueOf(actual));
        }

        String expectedText() {
            return (atLeast ? ">= " : "") + expected;
        }
    }

    private final List<Check> checks = new ArrayList<>();
    private final List<String> details = new ArrayList<>();

    void check(String section, String name, Object expected, Object actual, String note) {
        checks.add(new Check(section, name, expected, actual, note, false));
    }

    /** A check that passes when {@code actual} is at least {@code expected}. */
    void checkAtLeast(String section, String name, long expected, long actual, String note) {
        checks.add(new Check(section, name, expected, actual, note, true));
    }

    /** A line printed under the table when the run failed, e.g. the event ids with two ledger rows. */
    void detail(String line) {
        details.add(line);
    }

    List<Check> checks() {
        return List.copyOf(checks);
    }

    List<Check> failures() {
        return checks.stream().filter(check -> !check.ok()).toList();
    }

    boolean passed() {
        return failures().isEmpty();
    }

    /** The exit code: 0 when every check passed, 1 otherwise. */
    int exitCode() {
        return passed() ? 0 : 1;
    }

    void print(PrintStream out, String verdictWhenPassed) {
        out.printf("%n  %-46s %12s %12s%n", "CHECK", "EXPECTED", "ACTUAL");
        String section = null;
        for (Check check : checks) {
            if (!check.section().equals(section)) {
                section = check.section();
                out.println("  " + section);
            }
            out.printf("    %-44s %12s %12s  %s%n", check.name(), check.expectedText(), check.actual(),
                    check.ok() ? "ok" : "FAIL  " + check.note());
        }
        List<Check> failures = failures();
        if (failures.isEmpty()) {
            out.printf("%nVERDICT: PASS - %s%n", verdictWhenPassed);
            return;
        }
        for (String line : details) {
            out.println("  " + line);
        }
        out.printf("%nVERDICT: FAIL - %d of %d checks failed: %s%n", failures.size(), checks.size(),
                String.join("; ", failures.stream().map(check -> check.name().trim()).toList()));
    }
}
