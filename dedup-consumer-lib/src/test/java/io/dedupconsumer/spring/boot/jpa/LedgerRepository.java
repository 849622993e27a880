package io.dedupconsumer.spring.boot.jpa;

import org.springframework.data.jpa.repository.JpaRepository;

/** Spring Data JPA, as a service using JPA writes. */
public interface LedgerRepository extends JpaRepository<LedgerEntry, Long> {
}
