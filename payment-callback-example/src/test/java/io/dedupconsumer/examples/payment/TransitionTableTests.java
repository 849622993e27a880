package io.dedupconsumer.examples.payment;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The properties the state machine's table must have, read off {@link Transition} itself. */
class TransitionTableTests {

    @Test
    void onlyAPendingOrderCanBecomePaid() {
        assertThat(Arrays.stream(Transition.values()).filter(t -> t.to() == OrderStatus.PAID))
                .extracting(Transition::from).containsExactly(OrderStatus.PENDING_PAYMENT);
    }

    @Test
    void closedAndRefundedOrdersNeverMoveAgain() {
        assertThat(Arrays.stream(Transition.values()).map(Transition::from))
                .doesNotContain(OrderStatus.CLOSED, OrderStatus.REFUNDED);
    }

    @Test
    void noOrderMovesBackToCreatedOrFromPaidBackToPending() {
        assertThat(Arrays.stream(Transition.values()).map(Transition::to)).doesNotContain(OrderStatus.CREATED);
        assertThat(Arrays.stream(Transition.values()).filter(t -> t.to() == OrderStatus.PENDING_PAYMENT))
                .extracting(Transition::from).containsOnly(OrderStatus.CREATED, OrderStatus.PENDING_PAYMENT);
    }

    @Test
    void everyStatusIsReachableFromCreated() {
        Set<OrderStatus> reached = EnumSet.of(OrderStatus.CREATED);
        ArrayDeque<OrderStatus> next = new ArrayDeque<>(reached);
        while (!next.isEmpty()) {
            OrderStatus from = next.poll();
            for (Transition t : Transition.values()) {
                if (t.from() == from && reached.add(t.to())) {
                    next.add(t.to());
                }
            }
        }
        assertThat(reached).containsExactlyInAnyOrder(OrderStatus.values());
    }

    @Test
    void eachPairOfStatusesHasAtMostOneTransition() {
        Set<String> pairs = new HashSet<>();
        for (Transition t : Transition.values()) {
            assertThat(pairs.add(t.from() + "->" + t.to())).as("%s duplicates a move", t).isTrue();
        }
    }

    @Test
    void aSuccessCallbackPaysAndAFailedOneKeepsTheOrderPayable() {
        assertThat(CallbackType.SUCCESS.transition()).isEqualTo(Transition.PAY);
        assertThat(CallbackType.FAILED.transition().from()).isEqualTo(OrderStatus.PENDING_PAYMENT);
        assertThat(CallbackType.FAILED.transition().to()).isEqualTo(OrderStatus.PENDING_PAYMENT);
    }
}
