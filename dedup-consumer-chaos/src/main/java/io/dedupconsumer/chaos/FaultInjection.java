package io.dedupconsumer.chaos;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.kafka.listener.RecordInterceptor;

/**
 * Fault points for the chaos suite, added to the unchanged inventory service by {@link ChaosConsumerApplication}.
 * They sit where no application code can see them: in the JDBC {@code Connection.commit()} every transaction ends with
 * (Spring's transaction manager calls it for the dedup transaction), so a {@link FaultPlan} can halt the JVM exactly
 * between the database commit and the container's offset commit, or stall a commit into a rebalance.
 *
 * <p>{@code --chaos.unsafe.offset-first=true} turns the service into a deliberately broken one that commits each
 * record's offset before processing it (as auto-commit or an early acknowledgement would): with a halt before the
 * database commit it loses records, which the suite must report.
 *
 * <p>Lines on standard output tell the orchestrator what happens: {@code CHAOS-READY} once the listeners run,
 * {@code CHAOS-FAULT ...} when a fault fires, {@code CHAOS-STATS ...} with the outcome counters whenever they changed
 * (checked five times a second).
 */
@Configuration(proxyBeanMethods = false)
final class FaultInjection {

    static final String READY = "CHAOS-READY";
    static final String STATS = "CHAOS-STATS";
    private static final Duration STATS_EVERY = Duration.ofMillis(200);

    /** The plan from {@code chaos.fault.*}. */
    @Bean
    static FaultPlan.Trigger chaosFaultTrigger(Environment environment) {
        return new FaultPlan.Trigger(new FaultPlan(
                environment.getProperty("chaos.fault.halt-after-commit", Long.class, 0L),
                environment.getProperty("chaos.fault.halt-before-commit", Long.class, 0L),
                environment.getProperty("chaos.fault.stall-before-commit", Long.class, 0L),
                environment.getProperty("chaos.fault.stall", Duration.class, Duration.ZERO)));
    }

    /** Puts the fault points between every DataSource bean and its users. */
    @Bean
    static BeanPostProcessor chaosFaultyDataSources(ObjectProvider<FaultPlan.Trigger> trigger) {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessAfterInitialization(Object bean, String beanName) {
                return bean instanceof DataSource dataSource && !(bean instanceof FaultyDataSource)
                        ? new FaultyDataSource(dataSource, trigger.getObject()) : bean;
            }
        };
    }

    /** Arms the plan once the service is ready, says so, and reports the outcome counters as they change. */
    @Bean
    ApplicationListener<ApplicationReadyEvent> chaosReady(FaultPlan.Trigger trigger, MeterRegistry registry) {
        return event -> {
            trigger.arm();
            System.out.println(READY + " pid=" + ProcessHandle.current().pid());
            System.out.flush();
            Thread stats = new Thread(() -> reportStats(registry, trigger), "chaos-stats");
            stats.setDaemon(true);
            stats.start();
        };
    }

    /** The deliberately unsafe service: the offset is committed before the record is processed. */
    @Bean
    @ConditionalOnProperty(name = "chaos.unsafe.offset-first", havingValue = "true")
    RecordInterceptor<Object, Object> chaosOffsetFirst() {
        return new RecordInterceptor<>() {
            @Override
            public ConsumerRecord<Object, Object> intercept(ConsumerRecord<Object, Object> record,
                    Consumer<Object, Object> consumer) {
                consumer.commitSync(Map.of(new TopicPartition(record.topic(), record.partition()),
                        new OffsetAndMetadata(record.offset() + 1)));
                return record;
            }
        };
    }

    private static void reportStats(MeterRegistry registry, FaultPlan.Trigger trigger) {
        String last = "";
        while (true) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(STATS_EVERY.toMillis()));
            Map<String, Long> counts = new TreeMap<>();
            for (Counter counter : registry.find("dedup.records").counters()) {
                counts.merge(counter.getId().getTag("outcome"), Math.round(counter.count()), Long::sum);
            }
            StringBuilder line = new StringBuilder(STATS).append(" commits=").append(trigger.commits());
            counts.forEach((outcome, count) -> line.append(' ').append(outcome).append('=').append(count));
            if (!line.toString().equals(last)) {
                last = line.toString();
                System.out.println(last);
                System.out.flush();
            }
        }
    }

    /** A DataSource whose connections fire the fault plan around {@code commit()}. */
    static final class FaultyDataSource extends DelegatingDataSource {

        private final FaultPlan.Trigger trigger;

        FaultyDataSource(DataSource target, FaultPlan.Trigger trigger) {
            super(target);
            this.trigger = trigger;
        }

        @Override
        public Connection getConnection() throws SQLException {
            return wrap(obtainTargetDataSource().getConnection());
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            return wrap(obtainTargetDataSource().getConnection(username, password));
        }

        private Connection wrap(Connection connection) {
            InvocationHandler handler = new CommitHook(connection, trigger);
            return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(),
                    new Class<?>[] {Connection.class}, handler);
        }
    }

    /** Fires the plan around {@code commit()}; everything else goes straight to the pooled connection. */
    private record CommitHook(Connection target, FaultPlan.Trigger trigger) implements InvocationHandler {
        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            switch (method.getName()) {
                case "equals":
                    return proxy == args[0];
                case "hashCode":
                    return System.identityHashCode(proxy);
                case "commit":
                    long n = trigger.beforeCommit();
                    call(method, args);
                    trigger.afterCommit(n);
                    return null;
                default:
                    return call(method, args);
            }
        }

        private Object call(Method method, Object[] args) throws Throwable {
            try {
                return method.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }
    }
}
