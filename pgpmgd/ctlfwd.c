/*
 * Requests the parent makes to policyd on a control client's behalf:
 * database status (dbfwd.c), policy commands (adminfwd.c) and key
 * commands (keyfwd.c).  Each goes out under the parent's own request id;
 * the answer is mapped back to the client that asked if it is still there
 * (a client that went away, or whose slot a new client took, gets nothing
 * and breaks nothing).  This file keeps the one table of pending requests
 * they share: at most CTLFWD_MAX_PENDING at once, each with a timer, so a
 * client never hangs on a policyd that is stuck (itself worth reporting),
 * and each answered when policyd goes away.
 */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/msg.h"
#include "pgpmgd/pgpmgd.h"

#define CTLFWD_MAX_PENDING	16

/* What a client is told when policyd does not answer. */
static void
fail_db(int client, uint64_t serial, const char *msg)
{
	control_db_reply(client, serial, NULL, msg);
}

static void
fail_admin(int client, uint64_t serial, const char *msg)
{
	control_admin_reply(client, serial, ADMIN_E_UNAVAILABLE, msg, -1);
}

static void
fail_key(int client, uint64_t serial, const char *msg)
{
	control_key_reply(client, serial, KEY_E_FAILED, msg, -1);
}

static const struct {
	const char	*what;
	const char	*late;		/* the timeout's message */
	void		(*fail)(int, uint64_t, const char *);
} kinds[] = {
	[CTLFWD_DB] = { "database status", "policyd did not answer in time",
	    fail_db },
	[CTLFWD_ADMIN] = { "policy", "policyd did not answer in time: a "
	    "change may or may not have been made", fail_admin },
	[CTLFWD_KEY] = { "key", "policyd did not answer in time: a change "
	    "may or may not have been made", fail_key },
};

static struct ctlfwd_req	 reqs[CTLFWD_MAX_PENDING];
static uint32_t			 next_id = 1;

void
ctlfwd_free(struct ctlfwd_req *q)
{
	if (q->timer != NULL)
		event_free(q->timer);
	if (q->out_open)
		spool_discard(&q->out);
	memset(q, 0, sizeof(*q));
}

static void
ctlfwd_timeout(int fd, short ev, void *arg)
{
	struct ctlfwd_req	*q = arg;

	(void)fd; (void)ev;
	log_warnx("policyd did not answer %s request %u in time",
	    kinds[q->kind].what, q->id);
	kinds[q->kind].fail(q->client, q->serial, kinds[q->kind].late);
	ctlfwd_free(q);
}

struct ctlfwd_req *
ctlfwd_new(enum ctlfwd_kind kind, int client, uint64_t serial,
    int timeout_sec, struct proc_slot **policyd, char *err, size_t errlen)
{
	struct proc_slot	*s = children_find(PROC_POLICYD, 0);
	struct ctlfwd_req	*q = NULL;
	struct timeval		 tv = { timeout_sec, 0 };

	if (s == NULL || s->pid == 0 || !s->ready || !s->iev_live) {
		snprintf(err, errlen, "policyd is not running or not ready "
		    "yet");
		return NULL;
	}
	for (size_t i = 0; q == NULL && i < CTLFWD_MAX_PENDING; i++)
		if (!reqs[i].used)
			q = &reqs[i];
	if (q == NULL) {
		snprintf(err, errlen, "too many %s requests at once; try "
		    "again", kinds[kind].what);
		return NULL;
	}
	if ((q->timer = evtimer_new(pgpmgd->base, ctlfwd_timeout, q)) ==
	    NULL || evtimer_add(q->timer, &tv) == -1)
		fatalx("evtimer");
	q->used = 1;
	q->kind = kind;
	q->id = next_id++;
	if (next_id == 0)
		next_id = 1;
	q->client = client;
	q->serial = serial;
	*policyd = s;
	return q;
}

struct ctlfwd_req *
ctlfwd_find(enum ctlfwd_kind kind, uint32_t id)
{
	for (size_t i = 0; i < CTLFWD_MAX_PENDING; i++)
		if (reqs[i].used && reqs[i].kind == kind && reqs[i].id == id)
			return &reqs[i];
	/* Timed out meanwhile: nobody waits for it any more. */
	log_debug("policyd answered %s request %u, which nobody awaits",
	    kinds[kind].what, id);
	return NULL;
}

/* policyd is gone: nobody will answer what is pending. */
void
ctlfwd_policyd_gone(void)
{
	for (size_t i = 0; i < CTLFWD_MAX_PENDING; i++) {
		if (!reqs[i].used)
			continue;
		kinds[reqs[i].kind].fail(reqs[i].client, reqs[i].serial,
		    "policyd is gone");
		ctlfwd_free(&reqs[i]);
	}
}
