package io.dedupconsumer.spring.boot;

import java.util.Set;
import org.springframework.boot.sql.init.dependency.AbstractBeansOfTypeDatabaseInitializerDetector;
import org.springframework.boot.sql.init.dependency.DatabaseInitializerDetector;

/**
 * Tells Spring Boot that {@link SchemaMigration} initializes the database, so that Boot's own ordering applies: it
 * runs after the initializers of lower order (Flyway, Liquibase, {@code spring.sql.init} scripts: the application's
 * migrations find the schema they expect), and every bean that depends on database initialization (JPA, JDBC
 * templates, {@code @DependsOnDatabaseInitialization} beans) waits for it. Registered in
 * {@code META-INF/spring.factories} under {@link DatabaseInitializerDetector}.
 */
final class SchemaMigrationDetector extends AbstractBeansOfTypeDatabaseInitializerDetector {

    /** After every detector Boot ships (Flyway and Liquibase are 1, scripts 0). */
    private static final int ORDER = 100;

    @Override
    protected Set<Class<?>> getDatabaseInitializerBeanTypes() {
        return Set.of(SchemaMigration.class);
    }

    @Override
    public int getOrder() {
        return ORDER;
    }
}
