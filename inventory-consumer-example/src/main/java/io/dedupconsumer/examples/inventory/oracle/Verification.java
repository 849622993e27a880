package io.dedupconsumer.examples.inventory.oracle;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The verification table of the demo, the replay/verify command and the chaos suite: every check with what the oracle
 * expects and what the run ended with, the examples behind each failed check (which record, which SKU), notes that
 * qualify the result without failing it, and facts printed above the table. A run passes only if every check does;
 * {@link #verdict()} is that result as a value, for code and tests that must not read the printed text.
 *
 * <p>Not thread-safe: one verifier fills it, then it is read or printed.
 */
public final class Verification {

    /** How many examples a failed check prints. */
    private static final int EXAMPLES = 8;
    private static final int MIN_NAME_WIDTH = 44;
    private static final int MIN_VALUE_WIDTH = 12;

    /**
     * One line of the table.
     *
     * @param section the group it is printed under
     * @param name what is checked
     * @param expected the oracle's value
     * @param actual the run's value
     * @param meaning what a failure means, printed beside a failed check
     * @param atLeast whether {@code actual} may exceed {@code expected} (both numbers): a count that redeliveries add to
     */
    public record Check(String section, String name, Object expected, Object actual, String meaning, boolean atLeast) {

        /** Whether the run agrees with the oracle on this check. */
        public boolean ok() {
            if (atLeast && expected instanceof Number least && actual instanceof Number count) {
                return count.longValue() >= least.longValue();
            }
            return Objects.equals(String.valueOf(expected), String.valueOf(actual));
        }

        String expectedText() {
            return (atLeast ? ">= " : "") + expected;
        }
    }

    /**
     * The result of a verification as a value.
     *
     * @param checks how many checks ran
     * @param failures the checks that failed, in table order
     * @param violations every example of every failed check, as "check: example" (or "check: expected X, was Y" for a
     *     check without examples)
     */
    public record Verdict(int checks, List<Check> failures, List<String> violations) {

        public Verdict {
            failures = List.copyOf(failures);
            violations = List.copyOf(violations);
        }

        /** Whether every check passed. */
        public boolean passed() {
            return failures.isEmpty();
        }

        /** The names of the failed checks, stripped of their indentation. */
        public List<String> failedNames() {
            return failures.stream().map(check -> check.name().strip()).toList();
        }
    }

    private final List<Check> checks = new ArrayList<>();
    private final Map<String, List<String>> examples = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();
    private final List<String> facts = new ArrayList<>();

    /** Adds a check that passes when {@code actual} equals {@code expected} (as text). */
    public void check(String section, String name, Object expected, Object actual, String meaning) {
        checks.add(new Check(section, name, expected, actual, meaning, false));
    }

    /** Adds a check that passes when {@code actual} is at least {@code expected}. */
    public void checkAtLeast(String section, String name, long expected, long actual, String meaning) {
        checks.add(new Check(section, name, expected, actual, meaning, true));
    }

    /** Records an example behind the check {@code name} (printed only if it fails). */
    public void example(String name, String example) {
        examples.computeIfAbsent(name.strip(), n -> new ArrayList<>()).add(example);
    }

    /** A qualification printed under the table, e.g. a SKU found on several partitions. */
    public void note(String note) {
        notes.add(note);
    }

    /** An informational line printed above the table, e.g. how many records the topic holds. */
    public void fact(String fact) {
        facts.add(fact);
    }

    public List<Check> checks() {
        return List.copyOf(checks);
    }

    public List<Check> failures() {
        return checks.stream().filter(check -> !check.ok()).toList();
    }

    /** Every example of every failed check, as "check: example". */
    public List<String> violations() {
        List<String> violations = new ArrayList<>();
        for (Check failure : failures()) {
            String name = failure.name().strip();
            List<String> list = examples.getOrDefault(name, List.of());
            if (list.isEmpty()) {
                violations.add(name + ": expected " + failure.expectedText() + ", was " + failure.actual());
            }
            list.forEach(example -> violations.add(name + ": " + example));
        }
        return violations;
    }

    public boolean passed() {
        return failures().isEmpty();
    }

    /** The result as a value: how many checks, which failed, and why. */
    public Verdict verdict() {
        return new Verdict(checks.size(), failures(), violations());
    }

    /**
     * Prints the facts, the table, the examples of the failed checks, the notes and the verdict.
     *
     * @param verdictWhenPassed what the verdict line says after {@code PASSED - } when every check passed
     */
    public void print(PrintStream out, String verdictWhenPassed) {
        facts.forEach(fact -> out.println("  " + fact));
        int name = MIN_NAME_WIDTH;
        int value = MIN_VALUE_WIDTH;
        for (Check check : checks) {
            name = Math.max(name, check.name().length());
            value = Math.max(value, Math.max(check.expectedText().length(), String.valueOf(check.actual()).length()));
        }
        String row = "    %-" + name + "s %" + value + "s %" + value + "s  %s%n";
        out.printf("%n  %-" + (name + 2) + "s %" + value + "s %" + value + "s%n", "CHECK", "EXPECTED", "ACTUAL");
        String section = null;
        for (Check check : checks) {
            if (!check.section().equals(section)) {
                section = check.section();
                out.println("  " + section);
            }
            out.printf(row, check.name(), check.expectedText(), check.actual(),
                    check.ok() ? "ok" : "VIOLATION: " + check.meaning());
        }
        Verdict verdict = verdict();
        for (Check failure : verdict.failures()) {
            List<String> list = examples.getOrDefault(failure.name().strip(), List.of());
            if (!list.isEmpty()) {
                out.printf("%n  %s (%d):%n", failure.name().strip(), list.size());
                list.stream().limit(EXAMPLES).forEach(example -> out.println("    - " + example));
                if (list.size() > EXAMPLES) {
                    out.printf("    - ... and %d more%n", list.size() - EXAMPLES);
                }
            }
        }
        if (!notes.isEmpty()) {
            out.println();
            notes.forEach(note -> out.println("  note: " + note));
        }
        out.println();
        if (verdict.passed()) {
            out.println("VERDICT: PASSED - " + verdictWhenPassed);
        } else {
            out.printf("VERDICT: FAILED - %d of %d check(s) violated: %s%n", verdict.failures().size(), verdict.checks(),
                    String.join("; ", verdict.failedNames()));
        }
    }
}
