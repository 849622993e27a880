package io.dedupconsumer.spring.boot;

import io.dedupconsumer.spring.Deduplicated;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * A consumer application run in a child JVM: its listener writes the effect and, once the dedup transaction has
 * committed and before the listener returns (so before the container commits the offset), announces it and
 * blocks, so that the test can kill the process with SIGKILL exactly there.
 */
public final class CrashingListenerApplication {

    static final String COMMITTED = "DB-COMMITTED ";

    private CrashingListenerApplication() {
    }

    public static void main(String[] args) {
        new SpringApplicationBuilder(Application.class).web(WebApplicationType.NONE).run(args);
    }

    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class Application {
        @Bean
        HangingListener hangingListener(JdbcTemplate jdbc) {
            return new HangingListener(jdbc);
        }
    }

    /** Writes the effect, then hangs after the database commit. */
    public static class HangingListener {
        private final JdbcTemplate jdbc;

        public HangingListener(JdbcTemplate jdbc) {
            this.jdbc = jdbc;
        }

        @Deduplicated(header = "event-id")
        @KafkaListener(topics = "${test.topic}", groupId = "${test.group}")
        public void on(Map<String, Object> event) {
            Object id = event.get("id");
            jdbc.update("INSERT INTO effect (event_id) VALUES (?)", id);
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    System.out.println(COMMITTED + id);
                    System.out.flush();
                    while (true) {
                        LockSupport.park(this);
                    }
                }
            });
        }
    }
}
