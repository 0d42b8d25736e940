/*
 * auditchain: the canonical form of an audit row; see auditchain.h.  The
 * calendar arithmetic is our own (days from the civil date, proleptic
 * Gregorian, as PostgreSQL counts), so the result does not depend on the
 * C library's time_t range or time zone.
 */
#include <stdio.h>
#include <string.h>

#include "common/auditchain.h"

const unsigned char audit_genesis[AUDIT_HASH_LEN];

#define US_PER_SEC	INT64_C(1000000)
#define SEC_PER_DAY	INT64_C(86400)
/* 0001-01-01 and 10000-01-01 as days since 1970-01-01. */
#define DAY_MIN		INT64_C(-719162)
#define DAY_END		INT64_C(2932897)

/* Floor division and its remainder, for negative times. */
static int64_t
floordiv(int64_t a, int64_t b, int64_t *rem)
{
	int64_t	 q = a / b, r = a % b;

	if (r < 0) {
		r += b;
		q--;
	}
	*rem = r;
	return q;
}

/* Days since 1970-01-01 to year, month (1-12), day (1-31). */
static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t		 era, rem;
	unsigned	 doe, yoe, doy, mp;

	z += 719468;
	era = floordiv(z, 146097, &rem);
	doe = (unsigned)rem;				/* [0, 146096] */
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	*y = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);	/* [0, 365] */
	mp = (5 * doy + 2) / 153;			/* [0, 11] */
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	if (*m <= 2)
		(*y)++;
}

int
audit_time_format(int64_t at_us, char out[AUDIT_TIME_LEN + 1])
{
	int64_t		 us, secs, days, sod, y;
	unsigned	 mo, d;

	secs = floordiv(at_us, US_PER_SEC, &us);
	days = floordiv(secs, SEC_PER_DAY, &sod);
	if (days < DAY_MIN || days >= DAY_END)
		return -1;
	civil_from_days(days, &y, &mo, &d);
	if (snprintf(out, AUDIT_TIME_LEN + 1,
	    "%04lld-%02u-%02uT%02u:%02u:%02u.%06uZ", (long long)y, mo, d,
	    (unsigned)(sod / 3600), (unsigned)(sod / 60 % 60),
	    (unsigned)(sod % 60), (unsigned)us) != AUDIT_TIME_LEN)
		return -1;
	return 0;
}

void
audit_hex(const unsigned char *p, size_t len, char *out)
{
	static const char	 hex[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 0xf];
	}
	out[2 * len] = '\0';
}

/* "name=LEN:" then the bytes, then "\n". */
static void
feed_field(audit_feed_fn fn, void *ctx, const char *name, const char *p,
    size_t len)
{
	char	 pre[48];
	int	 n;

	n = snprintf(pre, sizeof(pre), "%s=%zu:", name, len);
	fn(ctx, pre, (size_t)n);
	if (len > 0)
		fn(ctx, p, len);
	fn(ctx, "\n", 1);
}

int
audit_canonical(const struct audit_row *r, audit_feed_fn fn, void *ctx)
{
	char	 line[96], at[AUDIT_TIME_LEN + 1];
	char	 hex[2 * AUDIT_HASH_LEN + 1];
	int	 n;

	if (r == NULL || fn == NULL || r->id < 1 || r->prev_hash == NULL ||
	    (r->actor == NULL && r->actor_len != 0) ||
	    (r->kind == NULL && r->kind_len != 0) ||
	    (r->subject == NULL && r->subject_len != 0) ||
	    (r->details == NULL && r->details_len != 0) ||
	    audit_time_format(r->at_us, at) == -1)
		return -1;
	n = snprintf(line, sizeof(line), "pgpmg-audit-v1\nid=%lld\nat=%s\n",
	    (long long)r->id, at);
	fn(ctx, line, (size_t)n);
	feed_field(fn, ctx, "actor", r->actor, r->actor_len);
	feed_field(fn, ctx, "kind", r->kind, r->kind_len);
	feed_field(fn, ctx, "subject", r->subject, r->subject_len);
	feed_field(fn, ctx, "details", r->details, r->details_len);
	audit_hex(r->prev_hash, AUDIT_HASH_LEN, hex);
	n = snprintf(line, sizeof(line), "prev=%s\n", hex);
	fn(ctx, line, (size_t)n);
	return 0;
}
