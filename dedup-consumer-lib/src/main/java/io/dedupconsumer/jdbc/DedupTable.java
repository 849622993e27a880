package io.dedupconsumer.jdbc;

import java.util.regex.Pattern;

/**
 * The dedup table's name and the limits of its columns, in one place, because three parts of the library must agree
 * on them: the claim (which refuses a key the table cannot hold rather than truncating it into a false duplicate), the
 * retention purge and the integrations that name the table in their settings. The name is the one identifier the
 * library puts into SQL text, so it is validated here, once, against an identifier pattern, and never quoted or
 * escaped.
 */
public final class DedupTable {

    /** The table the shipped migrations create. */
    public static final String DEFAULT_NAME = "dedup_record";
    /** The longest dedup key the table holds, in characters. A longer key is refused, never truncated. */
    public static final int MAX_KEY_LENGTH = 255;
    /** The longest consumer name the table holds, in characters. */
    public static final int MAX_CONSUMER_NAME_LENGTH = 100;
    /** The longest recorded reason; a longer one is shortened (it is a diagnostic, not a key). */
    public static final int MAX_REASON_LENGTH = 500;

    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");

    private DedupTable() {
    }

    /**
     * Returns {@code table} if it is an SQL identifier ({@code name} or {@code schema.name}, letters, digits and
     * underscores, at most 63 characters each, not starting with a digit).
     *
     * @throws IllegalArgumentException naming the setting {@code table} otherwise
     */
    public static String validName(String table) {
        if (table == null || table.isEmpty()) {
            throw new IllegalArgumentException("table: must not be empty; leave it unset to use '" + DEFAULT_NAME + "'");
        }
        String[] parts = table.split("\\.", -1);
        if (parts.length > 2 || !IDENTIFIER.matcher(parts[0]).matches()
                || (parts.length == 2 && !IDENTIFIER.matcher(parts[1]).matches())) {
            throw new IllegalArgumentException("table: '" + table + "' is not a valid SQL identifier; use letters, "
                    + "digits and underscores (at most 63 characters, not starting with a digit), optionally "
                    + "qualified by a schema as schema.table");
        }
        return table;
    }
}
