package io.dedupconsumer.examples.payment;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The demo's verdict: one row per invariant with what was expected and what was found, printed as a table; any row
 * that does not hold is a violation and makes the demo exit non-zero.
 */
final class VerificationReport {

    private final List<Row> rows = new ArrayList<>();
    private final List<String> details = new ArrayList<>();

    /** A row that holds when {@code actual} equals {@code expected}. */
    VerificationReport check(String what, Object expected, Object actual) {
        rows.add(new Row(what, String.valueOf(expected), String.valueOf(actual), Objects.equals(expected, actual)));
        return this;
    }

    /** A row shown for information, never a violation. */
    VerificationReport info(String what, Object actual) {
        rows.add(new Row(what, "", String.valueOf(actual), null));
        return this;
    }

    /** A line under the table explaining a violation. */
    VerificationReport detail(String line) {
        details.add(line);
        return this;
    }

    List<String> violations() {
        return rows.stream().filter(r -> Boolean.FALSE.equals(r.ok())).map(Row::what).toList();
    }

    void print(PrintStream out) {
        int width = Math.max(40, rows.stream().mapToInt(r -> r.what().length()).max().orElse(40));
        String format = "%-" + width + "s  %10s  %10s  %s%n";
        out.printf(format, "check", "expected", "actual", "");
        out.printf(format, "-".repeat(width), "-".repeat(10), "-".repeat(10), "-".repeat(9));
        for (Row row : rows) {
            String verdict = row.ok() == null ? "" : row.ok() ? "ok" : "VIOLATION";
            out.printf(format, row.what(), row.expected(), row.actual(), verdict);
        }
        for (String line : details) {
            out.println("  ! " + line);
        }
        List<String> violations = violations();
        out.println(violations.isEmpty() ? "RESULT: every invariant holds"
                : "RESULT: " + violations.size() + " violation(s): " + String.join("; ", violations));
    }

    private record Row(String what, String expected, String actual, Boolean ok) {
    }
}
