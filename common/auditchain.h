/*
 * auditchain: the canonical form of an audit row, from which its hash is
 * computed (SHA-256).  The database makes the chain (sql/002_audit.sql,
 * pgpmg.audit_canonical and the BEFORE INSERT trigger); this is the same
 * form written in C, so that `pgpmgctl audit verify` checks the chain
 * without trusting the database's own functions.
 *
 * The form, as bytes (\n a line feed; LEN a byte count in decimal):
 *
 *	pgpmg-audit-v1\n
 *	id=ID\n				decimal, no sign, no leading zeros
 *	at=YYYY-MM-DDTHH:MM:SS.ffffffZ\n	UTC, six fractional digits
 *	actor=LEN:ACTOR\n
 *	kind=LEN:KIND\n
 *	subject=LEN:SUBJECT\n
 *	details=LEN:DETAILS\n
 *	prev=HEX\n			the previous row's hash, 64 lower-case
 *					hex digits (row 1: 32 zero bytes)
 *
 * The text fields are the stored UTF-8 bytes, verbatim; the length prefix
 * makes the form unambiguous whatever they hold.
 *
 * Pure: no I/O, no allocation, no library.  The caller hashes what
 * audit_canonical() feeds it (pgpmgctl with OpenSSL).
 */
#ifndef PGPMG_AUDITCHAIN_H
#define PGPMG_AUDITCHAIN_H

#include <stddef.h>
#include <stdint.h>

#define AUDIT_HASH_LEN		32
/* "YYYY-MM-DDTHH:MM:SS.ffffffZ" */
#define AUDIT_TIME_LEN		27
/* PostgreSQL's epoch (2000-01-01 UTC) in Unix microseconds. */
#define AUDIT_PG_EPOCH_US	INT64_C(946684800000000)

struct audit_row {
	int64_t			 id;
	int64_t			 at_us;		/* Unix time, microseconds */
	const char		*actor;
	size_t			 actor_len;
	const char		*kind;
	size_t			 kind_len;
	const char		*subject;
	size_t			 subject_len;
	const char		*details;
	size_t			 details_len;
	const unsigned char	*prev_hash;	/* AUDIT_HASH_LEN bytes */
};

typedef void	(*audit_feed_fn)(void *ctx, const void *buf, size_t len);

/*
 * The time in the canonical form, NUL-terminated in out.  Returns -1 for a
 * time outside the years 1 to 9999, which no trigger writes.
 */
int	audit_time_format(int64_t at_us, char out[AUDIT_TIME_LEN + 1]);

/*
 * Feed the canonical form of row to fn, in pieces.  Returns -1 (having fed
 * nothing) when the row has no canonical form: an id below 1, a time
 * audit_time_format() refuses, a NULL pointer with a non-zero length, or
 * no prev_hash.
 */
int	audit_canonical(const struct audit_row *, audit_feed_fn, void *ctx);

/* The all-zero prev_hash of row 1. */
extern const unsigned char audit_genesis[AUDIT_HASH_LEN];

/* len bytes as lower-case hex into out (2 * len + 1 bytes). */
void	audit_hex(const unsigned char *, size_t len, char *out);

#endif /* PGPMG_AUDITCHAIN_H */
