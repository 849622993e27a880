package io.dedupconsumer.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

class ChildJvmTests {

    private static final Duration STARTUP = Duration.ofSeconds(30);

    @Test
    void runsTheMainClassWithArgumentsAndSystemPropertiesOnTheTestClasspath() {
        try (ChildJvm child = ChildJvm.start(ChildMain.class, Map.of("child.greeting", "hello world"), "exit", "3")) {
            assertThat(child.waitFor(STARTUP)).isTrue();

            assertThat(child.exitValue()).isEqualTo(3);
            assertThat(child.output()).contains("ready pid=" + child.pid() + " greeting=hello world args=[exit, 3]");
            assertThat(child.outputFile()).exists();
        }
    }

    @Test
    void killEndsTheChildAtOnceWithoutRunningItsShutdownHooks() {
        try (ChildJvm child = ChildJvm.start(ChildMain.class, Map.of(), "block")) {
            awaitReady(child);
            assertThat(child.isAlive()).isTrue();

            child.kill();

            assertThat(child.isAlive()).isFalse();
            assertThat(ProcessHandle.of(child.pid()).filter(ProcessHandle::isAlive)).isEmpty();
            assertThat(child.exitValue()).isEqualTo(128 + 9);
            assertThat(child.output()).doesNotContain("shutdown hook ran");
        }
    }

    @Test
    void stopSendsSigtermSoShutdownHooksRun() {
        try (ChildJvm child = ChildJvm.start(ChildMain.class, Map.of(), "block")) {
            awaitReady(child);

            int exitCode = child.stop();

            assertThat(exitCode).isEqualTo(128 + 15);
            assertThat(child.isAlive()).isFalse();
            assertThat(child.output()).contains("shutdown hook ran");
        }
    }

    @Test
    void waitForTimesOutWhileTheChildRuns() {
        try (ChildJvm child = ChildJvm.start(ChildMain.class, Map.of(), "block")) {
            awaitReady(child);

            assertThat(child.waitFor(Duration.ofMillis(200))).isFalse();
            assertThat(child.isAlive()).isTrue();
        }
    }

    @Test
    void closeKillsARunningChild() {
        ChildJvm child = ChildJvm.start(ChildMain.class, Map.of(), "block");
        awaitReady(child);

        child.close();

        assertThat(child.isAlive()).isFalse();
        assertThat(child.exitValue()).isEqualTo(128 + 9);
    }

    private static void awaitReady(ChildJvm child) {
        await().atMost(STARTUP).until(() -> child.output().contains("ready pid=" + child.pid()));
    }
}
