package io.dedupconsumer.spring;

import io.dedupconsumer.core.HandlerResult;
import java.lang.reflect.Method;
import java.util.List;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;
import org.springframework.core.ResolvableType;

/**
 * Around every {@code @Deduplicated} method: refuses to run the body outside a dedup transaction (a listener whose
 * container was not wrapped would otherwise apply every redelivery again), and passes a returned
 * {@link HandlerResult}, or the {@code List<HandlerResult>} of a method declared to return one (a batch method's
 * result per record), to the transaction instead of to spring-kafka's reply handling.
 */
final class DeduplicatedMethodInterceptor implements MethodInterceptor {

    @Override
    @SuppressWarnings("unchecked")
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
        if (returnsResults(invocation.getMethod())) {
            current.report((List<HandlerResult>) value);
            return null;
        }
        return value;
    }

    /** Whether the method is declared to return {@code List<HandlerResult>}. */
    static boolean returnsResults(Method method) {
        ResolvableType type = ResolvableType.forMethodReturnType(method);
        return List.class.isAssignableFrom(type.toClass())
                && HandlerResult.class.equals(type.as(List.class).resolveGeneric(0));
    }
}
