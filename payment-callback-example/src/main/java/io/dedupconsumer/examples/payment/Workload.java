package io.dedupconsumer.examples.payment;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The demo's traffic: a payment provider and a merchant doing what they do in production, story by story. Each story
 * places an order and sends its callbacks through the real notify endpoint, with the provider's habits (re-sending
 * until answered, re-sending with a new notify id, several of its threads sending the same callback at once,
 * delivering a failure after the success that followed it, paying after the merchant closed the order) and the
 * attacks and mistakes an endpoint meets (forged and tampered signatures, wrong amounts, a conflicting re-send, an
 * invalid body). Stories run in parallel; the callbacks of one story are sent in the order the story says, which the
 * topic keeps because it is keyed by order id.
 */
final class Workload {

    private static final Duration STATUS_WAIT = Duration.ofSeconds(30);

    private final NotifyClient client;
    private final NotifySignature provider;
    private final NotifySignature forger;
    private final Orders orders;
    private final String run;
    private final int threads;
    private final AtomicInteger notifySequence = new AtomicInteger();

    private final ConcurrentLinkedQueue<Expectation> expectations = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<byte[]> refusedBodies = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    private final Map<Integer, AtomicInteger> answers = new ConcurrentHashMap<>();
    private final AtomicInteger forgedRefused = new AtomicInteger();
    private final AtomicInteger forgedSent = new AtomicInteger();
    private final AtomicInteger invalidRefused = new AtomicInteger();
    private final AtomicInteger invalidSent = new AtomicInteger();
    private final AtomicInteger unequalRetryAnswers = new AtomicInteger();

    /**
     * @param client the provider's HTTP side
     * @param provider the provider's signing key (the secret the merchant configured)
     * @param forger a key the merchant does not know
     * @param orders the merchant's own order operations (placing, submitting, closing, shipping)
     * @param run a prefix for every id of this run (letters, digits, '-'), so runs never share orders or keys
     * @param threads how many provider threads fire the same callback at once
     */
    Workload(NotifyClient client, NotifySignature provider, NotifySignature forger, Orders orders, String run, int threads) {
        this.client = client;
        this.provider = provider;
        this.forger = forger;
        this.orders = orders;
        this.run = run;
        this.threads = threads;
    }

    /** Runs {@code rounds} copies of every story on {@code parallelism} threads and waits for all of them. */
    void run(int rounds, int parallelism) {
        ExecutorService pool = Executors.newFixedThreadPool(parallelism);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int round = 1; round <= rounds; round++) {
                int r = round;
                running.add(pool.submit(() -> paidAfterRetries(r)));
                running.add(pool.submit(() -> paidByConcurrentDuplicates(r)));
                running.add(pool.submit(() -> paidAfterResendWithNewNotifyId(r)));
                running.add(pool.submit(() -> failedThenPaid(r)));
                running.add(pool.submit(() -> paidThenLateFailure(r)));
                running.add(pool.submit(() -> paidAfterClose(r)));
                running.add(pool.submit(() -> paidTwice(r)));
                running.add(pool.submit(() -> wrongAmount(r)));
                running.add(pool.submit(() -> wrongCurrency(r)));
                running.add(pool.submit(() -> forgedAndTampered(r)));
                running.add(pool.submit(() -> conflictingResend(r)));
                running.add(pool.submit(() -> shippedThenLateFailure(r)));
                running.add(pool.submit(() -> failedOnly(r)));
                running.add(pool.submit(() -> unknownOrder(r)));
                running.add(pool.submit(() -> invalidBody(r)));
            }
            for (Future<?> story : running) {
                try {
                    story.get(2, TimeUnit.MINUTES);
                } catch (Exception e) {
                    problems.add("a story failed: " + e);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // --- the stories ---------------------------------------------------------------------------------------------

    /** The provider re-sends the identical SUCCESS three times (it missed our answers). */
    private void paidAfterRetries(int round) {
        String order = pendingOrder("retry", round, 4999, "EUR");
        byte[] success = body(tx(order, 1), order, CallbackType.SUCCESS, 4999, "EUR");
        sendIdentical(success, sign(success), 3);
        expect("paid after 3 identical re-sends", order, OrderStatus.PAID, 1, 0, List.of(Verdict.PAID), 0, 0);
    }

    /** Several provider threads send the same SUCCESS at the same instant. */
    private void paidByConcurrentDuplicates(int round) {
        String order = pendingOrder("concurrent", round, 1250, "EUR");
        byte[] success = body(tx(order, 1), order, CallbackType.SUCCESS, 1250, "EUR");
        fireConcurrently(success, sign(success));
        expect("paid by " + threads + " concurrent duplicates", order, OrderStatus.PAID, 1, 0, List.of(Verdict.PAID), 0, 0);
    }

    /** The provider re-sends the SUCCESS as a new notification (new notify id and time): same event, other bytes. */
    private void paidAfterResendWithNewNotifyId(int round) {
        String order = pendingOrder("renotify", round, 800, "USD");
        String tx = tx(order, 1);
        deliver(body(tx, order, CallbackType.SUCCESS, 800, "USD"));
        deliver(body(tx, order, CallbackType.SUCCESS, 800, "USD"));
        expect("paid, re-sent with a new notify id", order, OrderStatus.PAID, 1, 0, List.of(Verdict.PAID), 0, 0);
    }

    /** A declined card, then a successful second attempt: the failure must not close the order. */
    private void failedThenPaid(int round) {
        String order = pendingOrder("failpay", round, 3000, "EUR");
        deliver(body(tx(order, 1), order, CallbackType.FAILED, 3000, "EUR"));
        deliver(body(tx(order, 2), order, CallbackType.SUCCESS, 3000, "EUR"));
        expect("failed attempt, then paid", order, OrderStatus.PAID, 1, 0,
                List.of(Verdict.ATTEMPT_FAILED, Verdict.PAID), 0, 0);
    }

    /** The same two callbacks swapped: the failure of the first attempt arrives after the success of the second. */
    private void paidThenLateFailure(int round) {
        String order = pendingOrder("swapped", round, 3000, "EUR");
        deliver(body(tx(order, 2), order, CallbackType.SUCCESS, 3000, "EUR"));
        deliver(body(tx(order, 1), order, CallbackType.FAILED, 3000, "EUR"));
        expect("paid, then the earlier failure arrives", order, OrderStatus.PAID, 1, 0,
                List.of(Verdict.PAID, Verdict.FAILURE_IGNORED), 0, 0);
    }

    /** The merchant closed the unpaid order; then a late failure and a late success arrive. */
    private void paidAfterClose(int round) {
        String order = pendingOrder("closed", round, 2000, "EUR");
        move(order, Transition.EXPIRE);
        deliver(body(tx(order, 1), order, CallbackType.FAILED, 2000, "EUR"));
        deliver(body(tx(order, 2), order, CallbackType.SUCCESS, 2000, "EUR"));
        expect("closed, then late callbacks", order, OrderStatus.CLOSED, 0, 1,
                List.of(Verdict.FAILURE_IGNORED, Verdict.REFUND_FOLLOWUP), 0, 0);
    }

    /** The customer paid twice, with two provider transactions (two tabs): the second payment is refunded. */
    private void paidTwice(int round) {
        String order = pendingOrder("twice", round, 1500, "GBP");
        deliver(body(tx(order, 1), order, CallbackType.SUCCESS, 1500, "GBP"));
        deliver(body(tx(order, 2), order, CallbackType.SUCCESS, 1500, "GBP"));
        expect("paid twice by two transactions", order, OrderStatus.PAID, 1, 1,
                List.of(Verdict.PAID, Verdict.REFUND_FOLLOWUP), 0, 0);
    }

    /** The provider reports another amount than the order's (sent twice): not applied, alerted once. */
    private void wrongAmount(int round) {
        String order = pendingOrder("amount", round, 10000, "EUR");
        byte[] success = body(tx(order, 1), order, CallbackType.SUCCESS, 9999, "EUR");
        sendIdentical(success, sign(success), 2);
        expect("amount mismatch", order, OrderStatus.PENDING_PAYMENT, 0, 0, List.of(Verdict.AMOUNT_MISMATCH), 1, 0);
    }

    /** The provider reports the right number in another currency. */
    private void wrongCurrency(int round) {
        String order = pendingOrder("currency", round, 10000, "EUR");
        deliver(body(tx(order, 1), order, CallbackType.SUCCESS, 10000, "USD"));
        expect("currency mismatch", order, OrderStatus.PENDING_PAYMENT, 0, 0, List.of(Verdict.AMOUNT_MISMATCH), 1, 0);
    }

    /** Someone without the key "pays" the order: a forged signature (twice), a signed body with a changed amount. */
    private void forgedAndTampered(int round) {
        String order = pendingOrder("forged", round, 700, "EUR");
        byte[] forged = body(tx(order, 1), order, CallbackType.SUCCESS, 700, "EUR");
        refusedBodies.add(forged);
        sendForged(forged, forger.sign(forged), 2);
        byte[] genuine = body(tx(order, 2), order, CallbackType.SUCCESS, 1, "EUR");
        byte[] tampered = new String(genuine, StandardCharsets.UTF_8).replace("\"amount\":1,", "\"amount\":700,")
                .getBytes(StandardCharsets.UTF_8);
        refusedBodies.add(tampered);
        sendForged(tampered, sign(genuine), 1);
        sendForged(forged, null, 1);
        expect("forged and tampered callbacks", order, OrderStatus.PENDING_PAYMENT, 0, 0, List.of(), 0, 0);
    }

    /** The provider sends the same transaction and type again, but with another amount: a dedup CONFLICT. */
    private void conflictingResend(int round) {
        String order = pendingOrder("conflict", round, 4200, "EUR");
        String tx = tx(order, 1);
        deliver(body(tx, order, CallbackType.SUCCESS, 4200, "EUR"));
        deliver(body(tx, order, CallbackType.SUCCESS, 4300, "EUR"));
        expect("conflicting re-send", order, OrderStatus.PAID, 1, 0, List.of(Verdict.PAID), 0, 1);
    }

    /** Paid and shipped; then the failure of an earlier attempt arrives, very late. */
    private void shippedThenLateFailure(int round) {
        String order = pendingOrder("shipped", round, 5600, "EUR");
        deliver(body(tx(order, 2), order, CallbackType.SUCCESS, 5600, "EUR"));
        if (awaitStatus(order, OrderStatus.PAID)) {
            move(order, Transition.SHIP);
        }
        deliver(body(tx(order, 1), order, CallbackType.FAILED, 5600, "EUR"));
        expect("shipped, then a late failure", order, OrderStatus.SHIPPED, 1, 0,
                List.of(Verdict.PAID, Verdict.FAILURE_IGNORED), 0, 0);
    }

    /** Only a failure: the order waits for another attempt. */
    private void failedOnly(int round) {
        String order = pendingOrder("failed", round, 900, "EUR");
        deliver(body(tx(order, 1), order, CallbackType.FAILED, 900, "EUR"));
        expect("failed attempt only", order, OrderStatus.PENDING_PAYMENT, 0, 0, List.of(Verdict.ATTEMPT_FAILED), 0, 0);
    }

    /** A genuine, signed callback for an order this merchant never placed. */
    private void unknownOrder(int round) {
        String order = run + "-unknown-" + round;
        deliver(body(tx(order, 1), order, CallbackType.SUCCESS, 100, "EUR"));
        expect("callback for an unknown order", null, null, 0, 0, List.of(Verdict.UNKNOWN_ORDER), 1, 0);
    }

    /** A signed body that is not a valid notification (an unknown currency): 400, nothing published. */
    private void invalidBody(int round) {
        String order = pendingOrder("invalid", round, 100, "EUR");
        byte[] invalid = body(tx(order, 1), order, CallbackType.SUCCESS, 100, "EURO");
        refusedBodies.add(invalid);
        invalidSent.incrementAndGet();
        NotifyClient.Answer answer = client.deliver(invalid, sign(invalid));
        count(answer);
        if (answer.status() == 400) {
            invalidRefused.incrementAndGet();
        }
        expect("invalid body", order, OrderStatus.PENDING_PAYMENT, 0, 0, List.of(), 0, 0);
    }

    // --- what the run produced ------------------------------------------------------------------------------------

    List<Expectation> expectations() {
        return List.copyOf(expectations);
    }

    /** Bodies the endpoint had to refuse (forged, tampered, invalid): none of them may be on the topic. */
    List<byte[]> refusedBodies() {
        return List.copyOf(refusedBodies);
    }

    /** Things that went wrong while sending (a story that could not run as written). */
    List<String> problems() {
        return List.copyOf(problems);
    }

    /** How many answers had each HTTP status (0: no answer). */
    Map<Integer, Integer> answers() {
        Map<Integer, Integer> copy = new java.util.TreeMap<>();
        answers.forEach((status, count) -> copy.put(status, count.get()));
        return copy;
    }

    int forgedSent() {
        return forgedSent.get();
    }

    int forgedRefused() {
        return forgedRefused.get();
    }

    int invalidSent() {
        return invalidSent.get();
    }

    int invalidRefused() {
        return invalidRefused.get();
    }

    /** Identical requests that got different answers. */
    int unequalRetryAnswers() {
        return unequalRetryAnswers.get();
    }

    // --- the provider's and the merchant's moves -------------------------------------------------------------------

    private String pendingOrder(String story, int round, long amountMinor, String currency) {
        String id = run + "-" + story + "-" + round;
        orders.create(id, amountMinor, currency);
        move(id, Transition.SUBMIT_PAYMENT);
        return id;
    }

    private void move(String orderId, Transition transition) {
        if (!orders.apply(orderId, transition)) {
            problems.add("the merchant could not " + transition + " order " + orderId + " (it is "
                    + orders.find(orderId).map(o -> o.status().name()).orElse("missing") + ")");
        }
    }

    private boolean awaitStatus(String orderId, OrderStatus status) {
        long deadline = System.nanoTime() + STATUS_WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<Order> order = orders.find(orderId);
            if (order.isPresent() && order.get().status() == status) {
                return true;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        problems.add("order " + orderId + " did not become " + status + " within " + STATUS_WAIT);
        return false;
    }

    private String tx(String orderId, int attempt) {
        return "tx-" + orderId + "-" + attempt;
    }

    /** A notification as the provider words it: a fresh notify id and time each time one is built. */
    private byte[] body(String tx, String orderId, CallbackType type, long amountMinor, String currency) {
        int notify = notifySequence.incrementAndGet();
        String json = String.format(Locale.ROOT, "{\"transaction_id\":\"%s\",\"order_id\":\"%s\",\"type\":\"%s\","
                + "\"amount\":%d,\"currency\":\"%s\",\"notify_id\":\"%s-n%d\",\"notify_time\":\"%s\"}", tx, orderId,
                type, amountMinor, currency, run, notify, Instant.now());
        return json.getBytes(StandardCharsets.UTF_8);
    }

    private String sign(byte[] body) {
        return provider.sign(body);
    }

    private void deliver(byte[] body) {
        NotifyClient.Answer answer = client.deliver(body, sign(body));
        count(answer);
        if (!answer.success()) {
            problems.add("a genuine callback was not accepted: " + answer);
        }
    }

    /** The same bytes {@code times} times in a row; every answer must be the same. */
    private void sendIdentical(byte[] body, String signature, int times) {
        NotifyClient.Answer first = null;
        for (int i = 0; i < times; i++) {
            NotifyClient.Answer answer = client.deliver(body, signature);
            count(answer);
            if (first == null) {
                first = answer;
                if (!answer.success()) {
                    problems.add("a genuine callback was not accepted: " + answer);
                }
            } else if (!answer.equals(first)) {
                unequalRetryAnswers.incrementAndGet();
            }
        }
    }

    private void sendForged(byte[] body, String signature, int times) {
        NotifyClient.Answer first = null;
        for (int i = 0; i < times; i++) {
            forgedSent.incrementAndGet();
            NotifyClient.Answer answer = client.deliver(body, signature);
            count(answer);
            if (answer.status() == 401) {
                forgedRefused.incrementAndGet();
            }
            if (first == null) {
                first = answer;
            } else if (!answer.equals(first)) {
                unequalRetryAnswers.incrementAndGet();
            }
        }
    }

    /** {@code threads} provider threads released together, all sending the same bytes. */
    private void fireConcurrently(byte[] body, String signature) {
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService senders = Executors.newFixedThreadPool(threads);
        try {
            List<Future<NotifyClient.Answer>> sent = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                sent.add(senders.submit(() -> {
                    start.await(30, TimeUnit.SECONDS);
                    return client.deliver(body, signature);
                }));
            }
            NotifyClient.Answer first = null;
            for (Future<NotifyClient.Answer> future : sent) {
                NotifyClient.Answer answer = future.get(2, TimeUnit.MINUTES);
                count(answer);
                if (first == null) {
                    first = answer;
                } else if (!Objects.equals(answer, first)) {
                    unequalRetryAnswers.incrementAndGet();
                }
                if (!answer.success()) {
                    problems.add("a genuine callback was not accepted: " + answer);
                }
            }
        } catch (Exception e) {
            problems.add("concurrent senders failed: " + e);
        } finally {
            senders.shutdownNow();
        }
    }

    private void count(NotifyClient.Answer answer) {
        answers.computeIfAbsent(answer.status(), s -> new AtomicInteger()).incrementAndGet();
    }

    private void expect(String story, String orderId, OrderStatus status, int payments, int followups,
            List<Verdict> verdicts, int alerts, int conflicts) {
        expectations.add(new Expectation(story, orderId, status, payments, followups, verdicts, alerts, conflicts));
    }
}
