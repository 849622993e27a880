package io.dedupconsumer.spring;

import io.dedupconsumer.core.HandlerResult;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The listener invocation running inside a dedup transaction on this thread: lets the advice around a
 * {@code @Deduplicated} method hand back what the method returned (a {@link HandlerResult}, or a
 * {@code List<HandlerResult>} from a batch method), and lets it tell whether the method was called by a
 * deduplicating container at all.
 */
final class ListenerInvocation {

    private static final ThreadLocal<ListenerInvocation> CURRENT = new ThreadLocal<>();

    private @Nullable HandlerResult result;
    private @Nullable List<HandlerResult> results;

    private ListenerInvocation() {
    }

    /** Work that invokes the listener. */
    @FunctionalInterface
    interface Listener {
        void invoke() throws Exception;
    }

    /**
     * Invokes the listener for one record (a record listener, or a batch listener given a one-element list) and
     * returns what the method reported: its {@link HandlerResult}, the one element of its {@code List<HandlerResult>},
     * or {@code PROCESSED} when it returned nothing.
     *
     * @throws IllegalStateException when the method returned several results for the one record
     */
    static HandlerResult run(Listener listener) throws Exception {
        ListenerInvocation invocation = invoke(listener);
        List<HandlerResult> results = invocation.results;
        if (results == null || results.isEmpty()) {
            return invocation.result == null ? HandlerResult.processed() : invocation.result;
        }
        if (results.size() != 1 || results.get(0) == null) {
            throw new IllegalStateException("the @Deduplicated method returned " + results + " for one record; return "
                    + "one HandlerResult per record it was given, in order, or nothing when every record was processed");
        }
        return results.get(0);
    }

    /**
     * Invokes a batch listener with several records at once and returns the {@code List<HandlerResult>} the method
     * returned ({@code null} when it returned nothing: every record processed). The list is checked against the
     * records by the deduplicator.
     *
     * @throws IllegalStateException when the method returned a single {@link HandlerResult}, which cannot say which
     *     of its records it is about
     */
    static @Nullable List<HandlerResult> runBatch(Listener listener, int records) throws Exception {
        ListenerInvocation invocation = invoke(listener);
        if (invocation.result != null) {
            throw new IllegalStateException("the @Deduplicated batch method returned one HandlerResult ("
                    + invocation.result + ") for the " + records + " records it was given; declare it to return "
                    + "List<HandlerResult>, one per record in order, or nothing when every record was processed");
        }
        return invocation.results;
    }

    private static ListenerInvocation invoke(Listener listener) throws Exception {
        ListenerInvocation previous = CURRENT.get();
        ListenerInvocation invocation = new ListenerInvocation();
        CURRENT.set(invocation);
        try {
            listener.invoke();
            return invocation;
        } finally {
            if (previous == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(previous);
            }
        }
    }

    /** The invocation of this thread, or {@code null} when no deduplicating container called. */
    static @Nullable ListenerInvocation current() {
        return CURRENT.get();
    }

    void report(HandlerResult result) {
        this.result = result;
    }

    /** @param results what a method declared to return {@code List<HandlerResult>} returned; {@code null} for none */
    void report(@Nullable List<HandlerResult> results) {
        this.results = results;
    }
}
