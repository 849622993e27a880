package io.dedupconsumer.testkit;

import java.util.Arrays;
import java.util.concurrent.CountDownLatch;

/**
 * Main class run in child JVMs by {@link ChildJvmTests}: reports what it was given, then blocks until
 * killed ({@code block}) or exits with the given code ({@code exit <code>}).
 */
final class ChildMain {

    private ChildMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.println("shutdown hook ran")));
        System.out.println("ready pid=" + ProcessHandle.current().pid() + " greeting="
                + System.getProperty("child.greeting") + " args=" + Arrays.toString(args));
        System.out.flush();
        if (args.length == 2 && args[0].equals("exit")) {
            System.exit(Integer.parseInt(args[1]));
        }
        new CountDownLatch(1).await();
    }
}
