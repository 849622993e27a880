package io.dedupconsumer.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestDescriptor;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

/**
 * The contracts are worth running only if they fail where an implementation is wrong: each is run here, inside a test,
 * against a plausible mistake, and must report exactly the tests that pin it.
 */
class ContractsCatchBrokenImplementationsTests {

    @Test
    void theDeduplicatorContractFailsOnADedupTableWhoseCollationMergesKeys() {
        assertThat(failedTests(CaseInsensitiveDedupTable.class))
                .contains("keysThatDifferOnlyInCaseAccentsWidthOrTrailingSpaceAreDistinctEvents()")
                .doesNotContain("aRedeliveryIsADuplicateOfTheFirstDeliveryAndItsEffectIsNotRepeated()",
                        "concurrentDeliveriesOfOneKeyApplyItsEffectOnce()");
    }

    @Test
    void theGuardContractFailsOnAGuardThatJoinsConsumerAndKeyAsUtf8Text() {
        assertThat(failedTests(JoiningGuard.class)).containsExactlyInAnyOrder(
                "consumerNamesAndKeysThatJoinToTheSameTextNeverReadEachOthersEntries()",
                "keysThatUtf8CannotTellApartAreDistinct()");
    }

    @Test
    void theGuardContractFailsOnAGuardThatBendsFingerprintsThroughText() {
        assertThat(failedTests(TextFingerprintGuard.class)).contains("theFingerprintComesBackByteForByte()");
    }

    private static Set<String> failedTests(Class<?> contract) {
        return EngineTestKit.engine("junit-jupiter").selectors(selectClass(contract)).execute().testEvents().failed()
                .stream().map(Event::getTestDescriptor).map(TestDescriptor::getDisplayName)
                .collect(Collectors.toSet());
    }
}
