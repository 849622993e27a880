package io.dedupconsumer.spring;

import io.dedupconsumer.core.HandlerResult;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;

/**
 * Around every {@code @Deduplicated} method: refuses to run the body outside a dedup transaction (a listener whose
 * container was not wrapped would otherwise apply every redelivery again), and passes a returned
 * {@link HandlerResult} to the transaction instead of to spring-kafka's reply handling.
 */
final class DeduplicatedMethodInterceptor implements MethodInterceptor {

    @Override
    public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
        ListenerInvocation current = ListenerInvocation.current();
        if (current == null) {
            throw new IllegalStateException("@Deduplicated method " + invocation.getMethod().toGenericString()
                    + " was called outside a deduplicating listener container, so its effect would not be deduplicated; "
                    + "it must be a @KafkaListener method (or a @KafkaHandler of a @Deduplicated class-level listener), "
                    + "called by its listener container, not directly");
        }
        Object value = invocation.proceed();
        if (value instanceof HandlerResult result) {
            current.report(result);
            return null;
        }
        return value;
    }
}
