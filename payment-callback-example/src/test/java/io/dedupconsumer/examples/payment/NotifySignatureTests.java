package io.dedupconsumer.examples.payment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class NotifySignatureTests {

    private static final String SECRET = "0123456789abcdef0123456789abcdef";
    private final NotifySignature signature = new NotifySignature(SECRET);
    private final byte[] body = "{\"transaction_id\":\"tx-1\"}".getBytes(StandardCharsets.UTF_8);

    @Test
    void theProvidersSignatureOfTheExactBodyIsAccepted() {
        assertThat(signature.verify(body, signature.sign(body))).isTrue();
    }

    @Test
    void aSignatureIsHmacSha256OfTheBodyInHexOfEitherCase() {
        // computed independently: printf 'abc' | openssl dgst -sha256 -hmac 'key-that-is-at-least-32-chars-long!'
        assertThat(new NotifySignature("key-that-is-at-least-32-chars-long!").sign("abc".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo("sha256=0fc5fca6cb6ab62dbe62887bb4135180be1a9225eea374862602909c1ea58c6b");
        assertThat(signature.verify(body, signature.sign(body).toUpperCase().replace("SHA256=", "sha256="))).isTrue();
    }

    @Test
    void aChangedBodyIsRefused() {
        String signed = signature.sign(body);
        byte[] tampered = "{\"transaction_id\":\"tx-2\"}".getBytes(StandardCharsets.UTF_8);
        assertThat(signature.verify(tampered, signed)).isFalse();
    }

    @Test
    void anotherKeysSignatureIsRefused() {
        NotifySignature forger = new NotifySignature("fedcba9876543210fedcba9876543210");
        assertThat(signature.verify(body, forger.sign(body))).isFalse();
    }

    @Test
    void missingMalformedOrTruncatedSignaturesAreRefused() {
        String signed = signature.sign(body);
        assertThat(signature.verify(body, null)).isFalse();
        assertThat(signature.verify(body, "")).isFalse();
        assertThat(signature.verify(body, signed.substring("sha256=".length()))).isFalse();
        assertThat(signature.verify(body, "sha256=zz")).isFalse();
        assertThat(signature.verify(body, signed.substring(0, signed.length() - 2))).isFalse();
        assertThat(signature.verify(null, signed)).isFalse();
    }

    @Test
    void aShortSecretIsRefusedNamingTheProperty() {
        assertThatThrownBy(() -> new NotifySignature("short")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("payment.notify.secret").hasMessageContaining("32");
    }
}
