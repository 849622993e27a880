package io.dedupconsumer.chaos;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The verification report: every check with what the model expects and what the run ended with, the examples behind
 * each failed check (which record, which SKU), and notes that qualify the result without failing it. A run passes
 * only if every check does.
 */
final class Verification {

    /** How many examples a failed check prints. */
    private static final int EXAMPLES = 8;

    /**
     * One line of the table.
     *
     * @param section the group it is printed under
     * @param name what is checked
     * @param expected the model's value
     * @param actual the run's value
     * @param meaning what a failure means
     */
    record Check(String section, String name, Object expected, Object actual, String meaning) {
        boolean ok() {
            return Objects.equals(String.valueOf(expected), String.valueOf(actual));
        }
    }

    private final List<Check> checks = new ArrayList<>();
    private final Map<String, List<String>> examples = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();
    private final List<String> facts = new ArrayList<>();

    /** Adds a check. */
    void check(String section, String name, Object expected, Object actual, String meaning) {
        checks.add(new Check(section, name, expected, actual, meaning));
    }

    /** Records an example behind the check {@code name} (printed only if it fails). */
    void example(String name, String example) {
        examples.computeIfAbsent(name, n -> new ArrayList<>()).add(example);
    }

    /** A qualification printed under the table, e.g. a SKU found on several partitions. */
    void note(String note) {
        notes.add(note);
    }

    /** An informational line printed above the table, e.g. how many records the topic holds. */
    void fact(String fact) {
        facts.add(fact);
    }

    List<Check> checks() {
        return List.copyOf(checks);
    }

    List<Check> failures() {
        return checks.stream().filter(check -> !check.ok()).toList();
    }

    /** Every example of every failed check, as "check: example". */
    List<String> violations() {
        List<String> violations = new ArrayList<>();
        for (Check failure : failures()) {
            List<String> list = examples.getOrDefault(failure.name().strip(), List.of());
            if (list.isEmpty()) {
                violations.add(failure.name().strip() + ": expected " + failure.expected() + ", was " + failure.actual());
            }
            list.forEach(example -> violations.add(failure.name().strip() + ": " + example));
        }
        return violations;
    }

    List<String> notes() {
        return List.copyOf(notes);
    }

    boolean passed() {
        return failures().isEmpty();
    }

    /** Prints the facts, the table, the examples of the failed checks, the notes and the verdict. */
    void print(PrintStream out) {
        facts.forEach(fact -> out.println("  " + fact));
        out.printf("%n  %-58s %14s %14s%n", "CHECK", "EXPECTED", "ACTUAL");
        String section = null;
        for (Check check : checks) {
            if (!check.section().equals(section)) {
                section = check.section();
                out.println("  " + section);
            }
            out.printf("    %-56s %14s %14s  %s%n", check.name(), check.expected(), check.actual(),
                    check.ok() ? "ok" : "VIOLATION: " + check.meaning());
        }
        for (Check failure : failures()) {
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
        if (passed()) {
            out.println("VERDICT: PASSED - every invariant holds");
        } else {
            out.printf("VERDICT: FAILED - %d check(s) violated: %s%n", failures().size(),
                    String.join("; ", failures().stream().map(check -> check.name().strip()).toList()));
        }
    }
}
