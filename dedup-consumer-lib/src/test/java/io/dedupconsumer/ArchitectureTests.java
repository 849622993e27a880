package io.dedupconsumer;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import io.dedupconsumer.jdbc.DedupTable;
import io.dedupconsumer.jdbc.Dialect;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package rules of docs/architecture.md, checked on the library's compiled classes, so that the picture in the
 * docs is the code's and a change that breaks a rule fails the build instead of blurring the layers.
 */
class ArchitectureTests {

    private static JavaClasses library;

    @BeforeAll
    static void importLibrary() {
        library = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.dedupconsumer.core", "io.dedupconsumer.jdbc", "io.dedupconsumer.kafka",
                        "io.dedupconsumer.redis", "io.dedupconsumer.spring");
    }

    @Test
    void thePackagesFormNoCycle() {
        slices().matching("io.dedupconsumer.(*)..").should().beFreeOfCycles().check(library);
    }

    @Test
    void theCoreProtocolUsesOfJdbcOnlyTheTablesNameAndLimitsAndTheDialect() {
        noClasses().that().resideInAPackage("io.dedupconsumer.core")
                .should().dependOnClassesThat().resideInAnyPackage("io.dedupconsumer.kafka..", "io.dedupconsumer.redis..",
                        "io.dedupconsumer.spring..")
                .check(library);
        classes().that().resideInAPackage("io.dedupconsumer.jdbc").and().areNotNestedClasses()
                .and().doNotHaveFullyQualifiedName(DedupTable.class.getName())
                .and().doNotHaveFullyQualifiedName(Dialect.class.getName())
                .should().onlyHaveDependentClassesThat().resideOutsideOfPackage("io.dedupconsumer.core")
                .check(library);
    }

    @Test
    void theDedupTablesOperatorToolsDependOnNothingElseOfTheLibrary() {
        noClasses().that().resideInAPackage("io.dedupconsumer.jdbc")
                .should().dependOnClassesThat().resideInAnyPackage("io.dedupconsumer.core..", "io.dedupconsumer.kafka..",
                        "io.dedupconsumer.redis..", "io.dedupconsumer.spring..")
                .check(library);
    }

    @Test
    void theKafkaRunnerAndTheRedisGuardBuildOnTheCoreAlone() {
        noClasses().that().resideInAnyPackage("io.dedupconsumer.kafka", "io.dedupconsumer.redis")
                .should().dependOnClassesThat().resideInAnyPackage("io.dedupconsumer.jdbc..", "io.dedupconsumer.spring..")
                .check(library);
        noClasses().that().resideInAPackage("io.dedupconsumer.kafka")
                .should().dependOnClassesThat().resideInAPackage("io.dedupconsumer.redis..").check(library);
        noClasses().that().resideInAPackage("io.dedupconsumer.redis")
                .should().dependOnClassesThat().resideInAPackage("io.dedupconsumer.kafka..").check(library);
    }

    @Test
    void onlyTheSpringIntegrationUsesSpring() {
        noClasses().that().resideInAnyPackage("io.dedupconsumer.core", "io.dedupconsumer.jdbc", "io.dedupconsumer.kafka",
                        "io.dedupconsumer.redis")
                .should().dependOnClassesThat().resideInAPackage("org.springframework..").check(library);
    }

    @Test
    void springBootAutoConfigurationIsALeafNothingElseDependsOn() {
        noClasses().that().resideOutsideOfPackage("io.dedupconsumer.spring.boot")
                .should().dependOnClassesThat().resideInAPackage("io.dedupconsumer.spring.boot").check(library);
    }

    /** BatchedStatements prepares the user's own statements; it writes no SQL of its own. */
    @Test
    void sqlIsWrittenOnlyWhereEachDatabasesDifferencesLive() {
        noClasses().that().resideInAPackage("io.dedupconsumer..")
                .and().doNotHaveSimpleName("ClaimStore").and().doNotHaveSimpleName("DatabaseClaims")
                .and().doNotHaveSimpleName("MySqlClaims").and().doNotHaveSimpleName("PostgreSqlClaims")
                .and().doNotHaveSimpleName("H2Claims").and().doNotHaveSimpleName("RetentionStatements")
                .and().doNotHaveSimpleName("BatchedStatements")
                .should().callMethod(java.sql.Connection.class, "prepareStatement", String.class)
                .orShould().callMethod(java.sql.Connection.class, "createStatement")
                .check(library);
    }
}
