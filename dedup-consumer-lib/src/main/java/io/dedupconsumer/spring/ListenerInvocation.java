package io.dedupconsumer.spring;

import io.dedupconsumer.core.HandlerResult;
import org.jspecify.annotations.Nullable;

/**
 * The listener invocation running inside a dedup transaction on this thread: lets the advice around a
 * {@code @Deduplicated} method hand back the method's {@link HandlerResult}, and lets it tell whether the method
 * was called by a deduplicating container at all.
 */
final class ListenerInvocation {

    private static final ThreadLocal<ListenerInvocation> CURRENT = new ThreadLocal<>();

    private HandlerResult result = HandlerResult.processed();

    private ListenerInvocation() {
    }

    /** Work that invokes the listener. */
    @FunctionalInterface
    interface Listener {
        void invoke() throws Exception;
    }

    /** Invokes the listener with an invocation bound to this thread; returns what the method reported. */
    static HandlerResult run(Listener listener) throws Exception {
        ListenerInvocation previous = CURRENT.get();
        ListenerInvocation invocation = new ListenerInvocation();
        CURRENT.set(invocation);
        try {
            listener.invoke();
            return invocation.result;
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
}
