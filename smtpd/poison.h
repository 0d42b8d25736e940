/*
 * poison: messages that killed cryptod workers, known by a digest of their
 * content, so that a message which crashes every worker cannot keep the
 * gateway busy forever.  Postfix retries a message after our 4xx with the
 * same content, so the digest finds it again; after POISON_DEATHS deaths it
 * is given its permanent outcome instead of another try.
 *
 * The table is small and in memory: an attacker who floods it only evicts
 * old entries (a poisoned message then gets a few more tries), and a
 * restart forgets it (likewise).  Digests are computed only when a worker
 * died with the job, or while the table holds anything.
 */
#ifndef PGPMG_SMTPD_POISON_H
#define PGPMG_SMTPD_POISON_H

#include <stdint.h>

#define POISON_DEATHS		3
#define POISON_SLOTS		256
#define POISON_TTL		(24 * 3600)	/* seconds */

struct poison_digest {
	unsigned char	 d[32];		/* SHA-256 of the message */
};

/* Digest of a sealed memfd; -1 when it cannot be read. */
int		poison_digest(int fd, uint64_t size, struct poison_digest *);
/* How many workers this message killed (within POISON_TTL). */
unsigned	poison_deaths(const struct poison_digest *);
/* One more death; returns the new count. */
unsigned	poison_record(const struct poison_digest *);
/* 1 when any message is on record. */
int		poison_any(void);

#endif /* PGPMG_SMTPD_POISON_H */
