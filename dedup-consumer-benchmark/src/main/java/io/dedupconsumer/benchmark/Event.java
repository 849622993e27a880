package io.dedupconsumer.benchmark;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * One business event: add {@code amount} to {@code account}. On the wire the Kafka key is the account (so an
 * account's events stay in one partition, in order, as a producer keyed by entity does), the header
 * {@value #ID_HEADER} carries the event id (the dedup key), and the value is {@code amount|id|padding}, about
 * {@value #VALUE_SIZE} bytes.
 */
record Event(String id, long account, long amount) {

    static final String ID_HEADER = "event-id";
    static final int VALUE_SIZE = 100;

    ProducerRecord<byte[], byte[]> toRecord(String topic, int partition) {
        byte[] prefix = (amount + "|" + id + "|").getBytes(StandardCharsets.US_ASCII);
        byte[] value = Arrays.copyOf(prefix, Math.max(prefix.length, VALUE_SIZE));
        Arrays.fill(value, prefix.length, value.length, (byte) 'x');
        return new ProducerRecord<>(topic, partition, Long.toString(account).getBytes(StandardCharsets.US_ASCII), value,
                List.<Header>of(new RecordHeader(ID_HEADER, id.getBytes(StandardCharsets.US_ASCII))));
    }

    /** The account of a record made by {@link #toRecord}: its key, read without allocating. */
    static long account(ConsumerRecord<byte[], byte[]> record) {
        return digits(record.key());
    }

    /** The amount of a record made by {@link #toRecord}: the value's leading digits. */
    static long amount(ConsumerRecord<byte[], byte[]> record) {
        return digits(record.value());
    }

    /** The event id of a record made by {@link #toRecord}. */
    static String id(ConsumerRecord<byte[], byte[]> record) {
        return new String(record.headers().lastHeader(ID_HEADER).value(), StandardCharsets.US_ASCII);
    }

    private static long digits(byte[] bytes) {
        long n = 0;
        for (int i = 0; i < bytes.length && bytes[i] >= '0' && bytes[i] <= '9'; i++) {
            n = n * 10 + (bytes[i] - '0');
        }
        return n;
    }
}
