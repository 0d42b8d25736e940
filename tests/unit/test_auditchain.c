/*
 * Tests for common/auditchain.c: the canonical form of an audit row, byte
 * for byte, and its SHA-256 against values computed by PostgreSQL with
 * sql/002_audit.sql (pgpmg.audit_canonical and sha256()), so that a change
 * on either side shows here before `pgpmgctl audit verify` would reject a
 * good chain.  Then the time format across its range.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/evp.h>

#include "common/auditchain.h"

struct buf {
	char	 data[4096];
	size_t	 len;
	int	 overflow;
};

static void
feed_buf(void *ctx, const void *p, size_t len)
{
	struct buf	*b = ctx;

	if (b->len + len > sizeof(b->data)) {
		b->overflow = 1;
		return;
	}
	memcpy(b->data + b->len, p, len);
	b->len += len;
}

static void
feed_sha(void *ctx, const void *p, size_t len)
{
	cr_assert_eq(EVP_DigestUpdate(ctx, p, len), 1);
}

static void
row_hash_hex(const struct audit_row *r, char out[2 * AUDIT_HASH_LEN + 1])
{
	EVP_MD_CTX	*ctx = EVP_MD_CTX_new();
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;

	cr_assert_not_null(ctx);
	cr_assert_eq(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
	cr_assert_eq(audit_canonical(r, feed_sha, ctx), 0);
	cr_assert_eq(EVP_DigestFinal_ex(ctx, md, &mdlen), 1);
	cr_assert_eq(mdlen, AUDIT_HASH_LEN);
	EVP_MD_CTX_free(ctx);
	audit_hex(md, AUDIT_HASH_LEN, out);
}

static void
set_text(const char **p, size_t *len, const char *s)
{
	*p = s;
	*len = strlen(s);
}

/* What PostgreSQL computed (see same_hash_as_postgresql). */
#define PG_HASH_1 "966899e78feb2eb15d3eb2bc2d266b585a944e317220b386d68535f57e0265f7"
#define PG_HASH_2 "f572946d1b5afdeef96320f4f304cc7648eff0ac895fc2f5c4dbed44514eeca2"

/* 2024-02-29 12:34:56.789012 UTC */
#define T1	INT64_C(1709210096789012)

Test(auditchain, canonical_bytes)
{
	struct audit_row	 r = { 0 };
	struct buf		 b = { .len = 0 };
	const char		*want =
	    "pgpmg-audit-v1\n"
	    "id=42\n"
	    "at=2024-02-29T12:34:56.789012Z\n"
	    "actor=13:pgpmgctl:root\n"
	    "kind=13:policy-change\n"
	    "subject=8:Grüße\n\n"
	    "details=2:{}\n"
	    "prev=0000000000000000000000000000000000000000000000000000000000000000\n";

	r.id = 42;
	r.at_us = T1;
	set_text(&r.actor, &r.actor_len, "pgpmgctl:root");
	set_text(&r.kind, &r.kind_len, "policy-change");
	set_text(&r.subject, &r.subject_len, "Grüße\n");
	set_text(&r.details, &r.details_len, "{}");
	r.prev_hash = audit_genesis;
	cr_assert_eq(audit_canonical(&r, feed_buf, &b), 0);
	cr_assert(!b.overflow);
	cr_expect_eq(b.len, strlen(want));
	cr_expect_eq(memcmp(b.data, want, b.len), 0, "got:\n%.*s",
	    (int)b.len, b.data);
}

/*
 * The hashes PostgreSQL computes for the same rows, with the session's
 * TimeZone set far from UTC to show it does not matter:
 *
 *   SET TimeZone = 'Asia/Kolkata';
 *   SELECT encode(sha256(pgpmg.audit_canonical(42,
 *       '2024-02-29 12:34:56.789012+00', 'pgpmgctl:root', 'policy-change',
 *       E'Grüße\n', '{}', decode(repeat('00', 32), 'hex'))), 'hex');
 */
Test(auditchain, same_hash_as_postgresql)
{
	struct audit_row	 r = { 0 };
	unsigned char		 prev[AUDIT_HASH_LEN];
	char			 hex[2 * AUDIT_HASH_LEN + 1];

	r.id = 42;
	r.at_us = T1;
	set_text(&r.actor, &r.actor_len, "pgpmgctl:root");
	set_text(&r.kind, &r.kind_len, "policy-change");
	set_text(&r.subject, &r.subject_len, "Grüße\n");
	set_text(&r.details, &r.details_len, "{}");
	r.prev_hash = audit_genesis;
	row_hash_hex(&r, hex);
	cr_expect_str_eq(hex, PG_HASH_1);

	/* Empty subject, SQL metacharacters, a prev_hash of 0x00..0x1f,
	 * a time before 1970 with no microseconds:
	 *   pgpmg.audit_canonical(7, '1969-12-31 23:59:59+00', 'policyd',
	 *   'refused', '', '{"s":"''; DROP TABLE users; --\\\\"}',
	 *   decode('000102...1f', 'hex')) */
	for (int i = 0; i < AUDIT_HASH_LEN; i++)
		prev[i] = (unsigned char)i;
	r.id = 7;
	r.at_us = -1000000;
	set_text(&r.actor, &r.actor_len, "policyd");
	set_text(&r.kind, &r.kind_len, "refused");
	set_text(&r.subject, &r.subject_len, "");
	set_text(&r.details, &r.details_len,
	    "{\"s\":\"'; DROP TABLE users; --\\\\\"}");
	r.prev_hash = prev;
	row_hash_hex(&r, hex);
	cr_expect_str_eq(hex, PG_HASH_2);
}

Test(auditchain, refuses_what_has_no_form)
{
	struct audit_row	 r = { 0 };
	struct buf		 b = { .len = 0 };

	r.id = 1;
	r.prev_hash = audit_genesis;
	cr_expect_eq(audit_canonical(&r, feed_buf, &b), 0, "all empty is fine");
	b.len = 0;
	r.id = 0;
	cr_expect_eq(audit_canonical(&r, feed_buf, &b), -1);
	r.id = 1;
	r.subject_len = 3;
	cr_expect_eq(audit_canonical(&r, feed_buf, &b), -1);
	r.subject_len = 0;
	r.prev_hash = NULL;
	cr_expect_eq(audit_canonical(&r, feed_buf, &b), -1);
	r.prev_hash = audit_genesis;
	r.at_us = INT64_MAX;
	cr_expect_eq(audit_canonical(&r, feed_buf, &b), -1);
	cr_expect_eq(b.len, 0, "nothing fed on a refusal");
}

static void
expect_time(int64_t us, const char *want)
{
	char	 out[AUDIT_TIME_LEN + 1];

	if (want == NULL) {
		cr_expect_eq(audit_time_format(us, out), -1, "%lld",
		    (long long)us);
		return;
	}
	cr_assert_eq(audit_time_format(us, out), 0, "%lld", (long long)us);
	cr_expect_str_eq(out, want, "%lld", (long long)us);
}

Test(auditchain, time_format)
{
	expect_time(0, "1970-01-01T00:00:00.000000Z");
	expect_time(1, "1970-01-01T00:00:00.000001Z");
	expect_time(-1, "1969-12-31T23:59:59.999999Z");
	expect_time(AUDIT_PG_EPOCH_US, "2000-01-01T00:00:00.000000Z");
	expect_time(T1, "2024-02-29T12:34:56.789012Z");
	expect_time(INT64_C(951782400) * 1000000, "2000-02-29T00:00:00.000000Z");
	expect_time(INT64_C(4107542399) * 1000000 + 999999,
	    "2100-02-28T23:59:59.999999Z");
	expect_time(INT64_C(4107542400) * 1000000,
	    "2100-03-01T00:00:00.000000Z");
	expect_time(INT64_C(-62135596800) * 1000000,
	    "0001-01-01T00:00:00.000000Z");
	expect_time(INT64_C(253402300799) * 1000000 + 999999,
	    "9999-12-31T23:59:59.999999Z");
	expect_time(INT64_C(-62135596800) * 1000000 - 1, NULL);
	expect_time(INT64_C(253402300800) * 1000000, NULL);
	expect_time(INT64_MAX, NULL);
	expect_time(INT64_MIN, NULL);
}

Test(auditchain, hex)
{
	const unsigned char	 in[] = { 0x00, 0x0f, 0xa5, 0xff };
	char			 out[9];

	audit_hex(in, sizeof(in), out);
	cr_expect_str_eq(out, "000fa5ff");
}
