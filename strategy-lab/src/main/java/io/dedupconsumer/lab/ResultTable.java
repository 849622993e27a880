package io.dedupconsumer.lab;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** Trial results as a Markdown table, aligned for the terminal and pasteable into docs/strategies.md as is. */
record ResultTable(List<TrialResult> results) {

    private static final List<String> HEADER = List.of("strategy", "race window", "deliveries (K x R)", "effects",
            "double effects", "missed rounds", "skipped", "errors", "deliveries/s", "verdict");

    ResultTable {
        results = List.copyOf(results);
    }

    String render() {
        List<List<String>> rows = new ArrayList<>();
        rows.add(HEADER);
        results.forEach(result -> rows.add(cells(result)));
        int[] widths = new int[HEADER.size()];
        for (List<String> row : rows) {
            for (int i = 0; i < row.size(); i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        StringBuilder table = new StringBuilder();
        for (int r = 0; r < rows.size(); r++) {
            appendRow(table, rows.get(r), widths);
            if (r == 0) {
                List<String> rule = new ArrayList<>();
                for (int width : widths) {
                    rule.add("-".repeat(width));
                }
                appendRow(table, rule, widths);
            }
        }
        return table.toString();
    }

    private static List<String> cells(TrialResult result) {
        Plan plan = result.plan();
        String errors = result.errors().entrySet().stream()
                .map(error -> error.getKey().label() + " " + error.getValue())
                .collect(Collectors.joining(", "));
        return List.of(
                result.strategy(),
                plan.window().toString(),
                "%d (%dx%d)".formatted(plan.deliveries(), plan.concurrency(), plan.rounds()),
                Long.toString(result.effects()),
                Long.toString(result.doubleEffects()),
                Integer.toString(result.missedRounds()),
                Integer.toString(result.count(Outcome.SKIPPED)),
                errors.isEmpty() ? "-" : errors,
                String.format(Locale.ROOT, "%.0f", result.deliveriesPerSecond()),
                result.verdict().name());
    }

    private static void appendRow(StringBuilder table, List<String> cells, int[] widths) {
        table.append('|');
        for (int i = 0; i < cells.size(); i++) {
            table.append(' ').append(pad(cells.get(i), widths[i])).append(" |");
        }
        table.append(System.lineSeparator());
    }

    private static String pad(String cell, int width) {
        return cell + " ".repeat(width - cell.length());
    }
}
