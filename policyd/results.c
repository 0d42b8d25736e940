/*
 * results: what cryptod reports once a job is done (IMSG_CRYPTOD_RESULT),
 * recorded in the statistics per hour and, for a decryption failure or a
 * refusal by policy, in the audit log.
 *
 * Statistics are added up in memory per (hour, direction) and written
 * once a second with one upsert per bucket (STMT_STATS_ADD), so a busy
 * gateway costs the database a few statements a second, not one per
 * message.  Counts whose upsert got no answer are added back and written
 * with the next flush: a lost connection may count them twice (the
 * statement may have run), it never loses them while the database is
 * merely down.  At most RESULTS_BUCKETS buckets wait; beyond that the
 * oldest is dropped, with a warning.
 *
 * Each failure or refusal is one audit row (kind decrypt-failed or
 * refused) naming the sender, the recipient and cryptod's detail, written
 * at once (audit.c, with the chain's retry).  What cannot be recorded is
 * logged.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/child.h"
#include "common/log.h"
#include "common/msg.h"
#include "common/policydef.h"
#include "common/utf8.h"
#include "imsg/imsg.h"
#include "policyd/audit.h"
#include "policyd/db.h"
#include "policyd/results.h"
#include "policyd/statements.h"

#define RESULTS_FLUSH_MS	1000
#define RESULTS_BUCKETS		48
#define RESULTS_ADDR_MAX	256
#define RESULTS_DETAIL_MAX	512
/* One report's message count: far above any job's output. */
#define RESULTS_MESSAGES_MAX	100000

enum {
	C_MESSAGES = 0, C_ENCRYPTED, C_SIGNED, C_DECRYPTED, C_SIG_GOOD,
	C_SIG_BAD, C_FAILURES, C_N
};

struct bucket {
	int		 used;
	int64_t		 hour;		/* seconds since 1970, whole hour */
	uint32_t	 dir;		/* RESULT_DIR_* */
	uint64_t	 c[C_N];
};

/* A bucket on its way to the database. */
struct flush {
	struct bucket	 b;
};

static struct bucket	 buckets[RESULTS_BUCKETS];
static struct event	*flush_ev;

static struct bucket *
bucket_get(int64_t hour, uint32_t dir)
{
	struct bucket	*free_b = NULL, *oldest = NULL;

	for (size_t i = 0; i < RESULTS_BUCKETS; i++) {
		struct bucket *b = &buckets[i];

		if (!b->used) {
			if (free_b == NULL)
				free_b = b;
			continue;
		}
		if (b->hour == hour && b->dir == dir)
			return b;
		if (oldest == NULL || b->hour < oldest->hour)
			oldest = b;
	}
	if (free_b == NULL) {
		log_warnx("results: statistics for %" PRId64 " dropped: "
		    "too many hours wait for the database", oldest->hour);
		free_b = oldest;
	}
	memset(free_b, 0, sizeof(*free_b));
	free_b->used = 1;
	free_b->hour = hour;
	free_b->dir = dir;
	return free_b;
}

static void
bucket_add(int64_t hour, uint32_t dir, const uint64_t c[C_N])
{
	struct bucket	*b = bucket_get(hour, dir);

	for (int i = 0; i < C_N; i++)
		b->c[i] += c[i];
}

static void
flushed(const struct db_result *r, void *arg)
{
	struct flush	*f = arg;

	if (r->status == DB_UNAVAILABLE) {
		log_debug("results: statistics wait: %s", r->error);
		bucket_add(f->b.hour, f->b.dir, f->b.c);
	} else if (r->status != DB_OK)
		log_warnx("results: statistics of %" PRId64 " %s lost: %s",
		    f->b.hour, f->b.dir == RESULT_DIR_IN ? "in" : "out",
		    r->error);
	free(f);
}

static void
flush_tick(int fd, short ev, void *arg)
{
	char		 v[C_N + 2][24];
	const char	*vp[C_N + 2];
	struct flush	*f;

	(void)fd; (void)ev; (void)arg;
	if (!db_up())
		return;
	for (size_t i = 0; i < RESULTS_BUCKETS; i++) {
		if (!buckets[i].used)
			continue;
		if ((f = malloc(sizeof(*f))) == NULL)
			fatal("results");
		f->b = buckets[i];
		memset(&buckets[i], 0, sizeof(buckets[i]));
		snprintf(v[0], sizeof(v[0]), "%" PRId64, f->b.hour);
		snprintf(v[1], sizeof(v[1]), "%s",
		    f->b.dir == RESULT_DIR_IN ? "in" : "out");
		for (int k = 0; k < C_N; k++)
			snprintf(v[k + 2], sizeof(v[k + 2]), "%" PRIu64,
			    f->b.c[k]);
		for (int k = 0; k < C_N + 2; k++)
			vp[k] = v[k];
		db_query(STMT_STATS_ADD, C_N + 2, vp, NULL, NULL, flushed, f);
	}
}

struct audit_ctx {
	char	 what[64];
	char	 subject[RESULTS_ADDR_MAX + 1];
};

static void
audited(const struct db_result *r, void *arg)
{
	struct audit_ctx	*a = arg;

	if (r->status != DB_OK)
		log_warnx("results: could not record %s for %s in the audit "
		    "log: %s", a->what, a->subject, r->error);
	free(a);
}

static void
result_audit(const char *kind, uint32_t dir, const char *sender,
    const char *rcpt, const char *detail, int instance)
{
	struct audit_ctx	*a;
	const char		*v[7];
	char			 s[RESULTS_ADDR_MAX + 1],
				 rc[RESULTS_ADDR_MAX + 1],
				 d[RESULTS_DETAIL_MAX + 1], who[32];

	/* The database takes only UTF-8. */
	utf8_copy(s, sizeof(s), sender);
	utf8_copy(rc, sizeof(rc), rcpt);
	utf8_copy(d, sizeof(d), detail);
	snprintf(who, sizeof(who), "cryptod#%d", instance);
	if ((a = malloc(sizeof(*a))) == NULL)
		fatal("results");
	snprintf(a->what, sizeof(a->what), "%s", kind);
	snprintf(a->subject, sizeof(a->subject), "%s", rc);
	v[0] = kind;
	v[1] = rc;
	v[2] = dir == RESULT_DIR_IN ? "in" : "out";
	v[3] = s;
	v[4] = rc;
	v[5] = d;
	v[6] = who;
	audit_query(STMT_AUDIT_RESULT, 7, v, audited, a);
}

void
results_msg(struct child *c, struct child_peer *p, struct imsg *imsg)
{
	struct imsg_reader	 r;
	const char		*sender, *rcpt, *detail;
	uint32_t		 dir, flags, n;
	uint64_t		 cnt[C_N] = { 0 };
	int64_t			 hour;

	(void)c;
	imsg_reader_init(&r, imsg);
	if (imsg_read_u32(&r, &dir) == -1 || imsg_read_u32(&r, &flags) == -1 ||
	    imsg_read_u32(&r, &n) == -1 ||
	    imsg_read_string(&r, &sender, RESULTS_ADDR_MAX) == -1 ||
	    imsg_read_string(&r, &rcpt, RESULTS_ADDR_MAX) == -1 ||
	    imsg_read_string(&r, &detail, RESULTS_DETAIL_MAX) == -1 ||
	    imsg_reader_end(&r) == -1 ||
	    (dir != RESULT_DIR_IN && dir != RESULT_DIR_OUT) ||
	    (flags & ~(uint32_t)(RESULT_F_ENCRYPTED | RESULT_F_SIGNED |
	    RESULT_F_DECRYPTED | RESULT_F_SIG_GOOD | RESULT_F_SIG_BAD |
	    RESULT_F_FAILED | RESULT_F_REFUSED)) != 0 ||
	    n > RESULTS_MESSAGES_MAX)
		fatalx("malformed CRYPTOD_RESULT from cryptod#%d", p->instance);

	hour = (int64_t)time(NULL) / 3600 * 3600;
	cnt[C_MESSAGES] = n;
	cnt[C_ENCRYPTED] = flags & RESULT_F_ENCRYPTED ? n : 0;
	cnt[C_SIGNED] = flags & RESULT_F_SIGNED ? n : 0;
	cnt[C_DECRYPTED] = flags & RESULT_F_DECRYPTED ? n : 0;
	cnt[C_SIG_GOOD] = flags & RESULT_F_SIG_GOOD ? n : 0;
	cnt[C_SIG_BAD] = flags & RESULT_F_SIG_BAD ? n : 0;
	cnt[C_FAILURES] = flags & (RESULT_F_FAILED | RESULT_F_REFUSED) ? n : 0;
	bucket_add(hour, dir, cnt);

	if (flags & RESULT_F_FAILED)
		result_audit("decrypt-failed", dir, sender, rcpt, detail,
		    p->instance);
	if (flags & RESULT_F_REFUSED)
		result_audit("refused", dir, sender, rcpt, detail,
		    p->instance);
}

void
results_init(struct child *c)
{
	struct timeval	 tv = { RESULTS_FLUSH_MS / 1000,
			    (RESULTS_FLUSH_MS % 1000) * 1000 };

	if ((flush_ev = event_new(c->base, -1, EV_PERSIST, flush_tick,
	    NULL)) == NULL || event_add(flush_ev, &tv) == -1)
		fatalx("results: event");
}
