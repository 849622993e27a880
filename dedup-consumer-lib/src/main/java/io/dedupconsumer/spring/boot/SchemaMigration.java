package io.dedupconsumer.spring.boot;

import io.dedupconsumer.jdbc.DedupSchema;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.util.ClassUtils;

/**
 * Creates or upgrades the dedup table when the context starts, before any listener container does (containers
 * start after every singleton is initialized). Runs after the application's own Flyway migration, if any, so that
 * the application's Flyway still finds the empty schema it expects on a fresh database.
 */
final class SchemaMigration implements InitializingBean {

    private static final Logger log = LoggerFactory.getLogger(SchemaMigration.class);

    private final DataSource dataSource;

    SchemaMigration(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    @Override
    public void afterPropertiesSet() {
        if (!ClassUtils.isPresent("org.flywaydb.core.Flyway", SchemaMigration.class.getClassLoader())) {
            throw new IllegalStateException("dedup.schema.migrate=true needs Flyway (org.flywaydb:flyway-core, and "
                    + "flyway-mysql or flyway-database-postgresql) on the class path; add it, or set "
                    + "dedup.schema.migrate=false and apply the DDL from the sql/ folder by hand");
        }
        int applied = DedupSchema.migrate(dataSource);
        log.info("dedup table schema is up to date ({} migration(s) applied now)", applied);
    }
}
