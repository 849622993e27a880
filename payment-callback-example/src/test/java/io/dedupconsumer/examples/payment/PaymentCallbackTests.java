package io.dedupconsumer.examples.payment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class PaymentCallbackTests {

    @Test
    void aWellFormedNotificationIsRead() throws Exception {
        PaymentCallback callback = PaymentCallback.parse(PaymentSchema.body("tx-1", "o-1", CallbackType.SUCCESS, 4999,
                "EUR", "n-1"));
        assertThat(callback).isEqualTo(new PaymentCallback("tx-1", "o-1", CallbackType.SUCCESS, 4999, "EUR"));
        assertThat(callback.dedupKey()).isEqualTo("tx-1:SUCCESS");
    }

    @Test
    void aResendWithANewNotifyIdHasTheSameKeyAndFingerprint() throws Exception {
        PaymentCallback first = PaymentCallback.parse(PaymentSchema.body("tx-1", "o-1", CallbackType.SUCCESS, 4999, "EUR", "n-1"));
        PaymentCallback resent = PaymentCallback.parse(PaymentSchema.body("tx-1", "o-1", CallbackType.SUCCESS, 4999, "EUR", "n-2"));
        assertThat(resent.dedupKey()).isEqualTo(first.dedupKey());
        assertThat(resent.fingerprint()).isEqualTo(first.fingerprint());
    }

    @Test
    void anotherAmountUnderTheSameKeyHasAnotherFingerprint() throws Exception {
        PaymentCallback first = PaymentCallback.parse(PaymentSchema.body("tx-1", "o-1", CallbackType.SUCCESS, 4999, "EUR", "n-1"));
        PaymentCallback changed = PaymentCallback.parse(PaymentSchema.body("tx-1", "o-1", CallbackType.SUCCESS, 5000, "EUR", "n-1"));
        assertThat(changed.dedupKey()).isEqualTo(first.dedupKey());
        assertThat(changed.fingerprint()).isNotEqualTo(first.fingerprint());
    }

    @Test
    void successAndFailureOfOneTransactionAreTwoEvents() throws Exception {
        assertThat(PaymentCallback.parse(PaymentSchema.body("tx-1", "o-1", CallbackType.FAILED, 1, "EUR", "n")).dedupKey())
                .isNotEqualTo(PaymentCallback.parse(PaymentSchema.body("tx-1", "o-1", CallbackType.SUCCESS, 1, "EUR", "n"))
                        .dedupKey());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "empty body                  | ''                                                                                      | empty body",
        "not JSON                    | 'tx=1&amount=5'                                                                          | not JSON",
        "an array                    | '[1]'                                                                                   | not a JSON object",
        "no transaction id           | '{\"order_id\":\"o\",\"type\":\"SUCCESS\",\"amount\":1,\"currency\":\"EUR\"}'               | transaction_id: missing",
        "a transaction id with space | '{\"transaction_id\":\"t 1\",\"order_id\":\"o\",\"type\":\"SUCCESS\",\"amount\":1,\"currency\":\"EUR\"}' | transaction_id: must be",
        "a numeric order id          | '{\"transaction_id\":\"t\",\"order_id\":7,\"type\":\"SUCCESS\",\"amount\":1,\"currency\":\"EUR\"}' | order_id: must be a string",
        "an unknown type             | '{\"transaction_id\":\"t\",\"order_id\":\"o\",\"type\":\"PAID\",\"amount\":1,\"currency\":\"EUR\"}' | type: 'PAID'",
        "a decimal amount            | '{\"transaction_id\":\"t\",\"order_id\":\"o\",\"type\":\"SUCCESS\",\"amount\":49.99,\"currency\":\"EUR\"}' | amount: must be a positive whole number",
        "a zero amount               | '{\"transaction_id\":\"t\",\"order_id\":\"o\",\"type\":\"SUCCESS\",\"amount\":0,\"currency\":\"EUR\"}' | amount: must be a positive whole number",
        "an amount as text           | '{\"transaction_id\":\"t\",\"order_id\":\"o\",\"type\":\"SUCCESS\",\"amount\":\"1\",\"currency\":\"EUR\"}' | amount: must be a positive whole number",
        "an unknown currency         | '{\"transaction_id\":\"t\",\"order_id\":\"o\",\"type\":\"SUCCESS\",\"amount\":1,\"currency\":\"XYZ\"}' | currency: 'XYZ'",
        "a lower-case currency       | '{\"transaction_id\":\"t\",\"order_id\":\"o\",\"type\":\"SUCCESS\",\"amount\":1,\"currency\":\"eur\"}' | currency: 'eur'",
    })
    void anInvalidNotificationIsRefusedNamingWhatIsWrong(String what, String body, String reason) {
        assertThatThrownBy(() -> PaymentCallback.parse(body.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(InvalidCallbackException.class).hasMessageContaining(reason);
    }

    @Test
    void aBodyLargerThanEightKibibytesIsRefused() {
        byte[] large = new byte[PaymentCallback.MAX_BODY_BYTES + 1];
        java.util.Arrays.fill(large, (byte) ' ');
        assertThatThrownBy(() -> PaymentCallback.parse(large)).hasMessageContaining("larger than");
    }
}
