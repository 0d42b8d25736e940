/*
 * housekeeping: policyd's scheduled jobs, on two timers of its loop: one
 * every housekeeping-interval seconds, and one armed by the connection
 * coming up; see housekeeping.h.  A run sends its four statements at
 * once; db.c runs them one after the other, and each answer is counted
 * off, so that the next tick knows whether the run is still going.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/child.h"
#include "common/log.h"
#include "policyd/db.h"
#include "policyd/housekeeping.h"
#include "policyd/statements.h"

/* One job, as the log names it. */
struct hk_job {
	const char	*name;
	int		 failing;	/* a failure was logged */
};

enum { HK_EXPIRING = 0, HK_EXPIRED, HK_PURGE, HK_SESSIONS, HK_NJOBS };

static struct hk_job	 hk_jobs[HK_NJOBS] = {
	{ "adding key-expiring notices", 0 },
	{ "adding key-expired notices", 0 },
	{ "purging old notices", 0 },
	{ "purging expired console sessions", 0 },
};

static struct {
	struct child	*c;
	struct event	*tick;		/* every housekeeping-interval */
	struct event	*after_up;	/* once after the connection came up */
	int		 pending;	/* the run's queries not answered */
} hk;

static void
hk_failed(struct hk_job *j, const struct db_result *r)
{
	/* Once per streak of failures: with a short interval a lasting
	 * fault would fill the log. */
	if (!j->failing)
		log_warnx("housekeeping: %s failed: %s; tried again at the "
		    "next run", j->name, r->error);
	else
		log_debug("housekeeping: %s failed again: %s", j->name,
		    r->error);
	j->failing = 1;
}

static void
hk_answered(const struct db_result *r, void *arg)
{
	struct hk_job	*j = arg;
	long long	 rows;

	hk.pending--;
	if (r->status != DB_OK) {
		hk_failed(j, r);
		return;
	}
	if (j->failing)
		log_info("housekeeping: %s works again", j->name);
	j->failing = 0;
	/* The count of an INSERT or a DELETE: digits, from the server. */
	rows = strtoll(PQcmdTuples((PGresult *)r->res), NULL, 10);
	if (rows <= 0)
		return;
	if (j == &hk_jobs[HK_SESSIONS])
		log_info("housekeeping: %lld expired console session%s "
		    "purged%s", rows, rows == 1 ? "" : "s",
		    rows >= HOUSEKEEPING_PURGE_BATCH ? " (as many as one run "
		    "purges; the next runs purge the rest)" : "");
	else if (j == &hk_jobs[HK_PURGE])
		log_info("housekeeping: %lld notice%s older than %" PRIu64
		    " days purged%s", rows, rows == 1 ? "" : "s",
		    hk.c->conf.notice_retention,
		    rows >= HOUSEKEEPING_PURGE_BATCH ? " (as many as one run "
		    "purges; the next runs purge the rest)" : "");
	else
		log_info("housekeeping: %lld %s notice%s added", rows,
		    j == &hk_jobs[HK_EXPIRING] ? "key-expiring" : "key-expired",
		    rows == 1 ? "" : "s");
}

static void
hk_run(const char *why)
{
	const char	*v[3];
	char		 days[16], retention[24], batch[16];
	char		 idle[24], lifetime[24];

	/* No queue of jobs for later: the next tick after the connection
	 * is back, or the run after it came up, does them. */
	if (!db_up())
		return;
	if (hk.pending > 0) {
		log_debug("housekeeping: the last run is still going; the "
		    "run of the %s is skipped", why);
		return;
	}
	log_debug("housekeeping: run of the %s", why);
	snprintf(days, sizeof(days), "%d", HOUSEKEEPING_WARN_DAYS);
	snprintf(retention, sizeof(retention), "%" PRIu64,
	    hk.c->conf.notice_retention);
	snprintf(batch, sizeof(batch), "%d", HOUSEKEEPING_PURGE_BATCH);
	hk.pending = HK_NJOBS;
	v[0] = days;
	db_query(STMT_NOTICE_KEY_EXPIRING, 1, v, NULL, NULL, hk_answered,
	    &hk_jobs[HK_EXPIRING]);
	db_query(STMT_NOTICE_KEY_EXPIRED, 1, v, NULL, NULL, hk_answered,
	    &hk_jobs[HK_EXPIRED]);
	v[0] = retention;
	v[1] = batch;
	db_query(STMT_NOTICES_PURGE, 2, v, NULL, NULL, hk_answered,
	    &hk_jobs[HK_PURGE]);
	snprintf(idle, sizeof(idle), "%" PRIu64,
	    hk.c->conf.console_idle_timeout);
	snprintf(lifetime, sizeof(lifetime), "%" PRIu64,
	    hk.c->conf.console_session_lifetime);
	v[0] = idle;
	v[1] = lifetime;
	v[2] = batch;
	db_query(STMT_SESSIONS_PURGE, 3, v, NULL, NULL, hk_answered,
	    &hk_jobs[HK_SESSIONS]);
}

static void
hk_tick(int fd, short ev, void *arg)
{
	(void)fd; (void)ev; (void)arg;
	hk_run("interval");
}

static void
hk_after_up(int fd, short ev, void *arg)
{
	(void)fd; (void)ev; (void)arg;
	hk_run("new connection");
}

static void
housekeeping_db_state(enum db_state state, void *arg)
{
	struct timeval	 tv = { HOUSEKEEPING_AFTER_UP_MS / 1000,
			    (HOUSEKEEPING_AFTER_UP_MS % 1000) * 1000 };

	(void)arg;
	/* Whatever was due while the database was away is done soon after
	 * it is back, not up to an interval later. */
	if (state == DB_STATE_UP) {
		if (evtimer_add(hk.after_up, &tv) == -1)
			fatalx("housekeeping: evtimer_add");
	} else
		evtimer_del(hk.after_up);
}

void
housekeeping_init(struct child *c)
{
	struct timeval	 tv = { (time_t)c->conf.housekeeping_interval, 0 };

	hk.c = c;
	if ((hk.after_up = evtimer_new(c->base, hk_after_up, NULL)) == NULL ||
	    (hk.tick = event_new(c->base, -1, EV_PERSIST, hk_tick, NULL)) ==
	    NULL || event_add(hk.tick, &tv) == -1)
		fatalx("housekeeping: event");
	db_add_state_hook(housekeeping_db_state, NULL);
}
