/*
 * The parent's part in the database status: pgpmgctl's IMSG_CTL_DB_STATUS
 * goes to policyd as IMSG_PARENT_DB_STATUS under the parent's own request
 * id, and policyd's IMSG_POLICYD_DB_STATUS goes back to the client that
 * asked, if it is still there (as keyfwd.c does for keyd).  policyd
 * answers a check within its database-timeout and anything else at once;
 * the parent still bounds the wait, so that a client never hangs on a
 * policyd that is stuck, which is itself worth reporting.
 */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/msg.h"
#include "imsg/imsg.h"
#include "pgpmgd/pgpmgd.h"

/* One request per control client is all pgpmgctl makes. */
#define DBFWD_MAX_PENDING	16
/* Added to database-timeout: policyd's own bound on a check. */
#define DBFWD_GRACE_SEC		5

struct dbfwd_req {
	int		 used;
	uint32_t	 id;
	int		 client;	/* control.c's slot */
	uint64_t	 serial;	/* of the client in that slot */
	struct event	*timer;
};

static struct dbfwd_req	 reqs[DBFWD_MAX_PENDING];
static uint32_t		 next_id = 1;

static void
req_free(struct dbfwd_req *q)
{
	if (q->timer != NULL)
		event_free(q->timer);
	memset(q, 0, sizeof(*q));
}

static void
req_timeout(int fd, short ev, void *arg)
{
	struct dbfwd_req	*q = arg;

	(void)fd; (void)ev;
	log_warnx("policyd did not answer database status request %u in "
	    "time", q->id);
	control_db_reply(q->client, q->serial, NULL,
	    "policyd did not answer in time");
	req_free(q);
}

int
dbfwd_request(int client, uint64_t serial, uint32_t flags, char *err,
    size_t errlen)
{
	struct proc_slot	*s = children_find(PROC_POLICYD, 0);
	struct dbfwd_req	*q = NULL;
	struct timeval		 tv = { (time_t)pgpmgd->conf.database_timeout +
				    DBFWD_GRACE_SEC, 0 };
	uint32_t		 v[2];

	if (s == NULL || s->pid == 0 || !s->ready || !s->iev_live) {
		snprintf(err, errlen, "policyd is not running or not ready "
		    "yet");
		return -1;
	}
	for (size_t i = 0; q == NULL && i < DBFWD_MAX_PENDING; i++)
		if (!reqs[i].used)
			q = &reqs[i];
	if (q == NULL) {
		snprintf(err, errlen, "too many database status requests at "
		    "once; try again");
		return -1;
	}
	if ((q->timer = evtimer_new(pgpmgd->base, req_timeout, q)) == NULL ||
	    evtimer_add(q->timer, &tv) == -1)
		fatalx("evtimer");
	q->used = 1;
	q->id = next_id++;
	if (next_id == 0)
		next_id = 1;
	q->client = client;
	q->serial = serial;
	v[0] = q->id;
	v[1] = flags;
	if (imsgev_compose(&s->iev, IMSG_PARENT_DB_STATUS, 0, -1, v,
	    sizeof(v)) == -1)
		fatal("compose PARENT_DB_STATUS");
	return 0;
}

/* policyd's answer: to the client waiting for it, if any. */
int
dbfwd_reply(struct imsg *imsg)
{
	struct imsg_reader	 r;
	struct dbfwd_status	 st;
	uint32_t		 id;

	imsg_reader_init(&r, imsg);
	if (imsg_read_u32(&r, &id) == -1 ||
	    imsg_read_u32(&r, &st.state) == -1 ||
	    imsg_read_u32(&r, &st.check) == -1 ||
	    imsg_read_u64(&r, &st.seconds) == -1 ||
	    imsg_read_string(&r, &st.text, DBSTAT_TEXT_MAX) == -1 ||
	    imsg_reader_end(&r) == -1 || st.state > DBSTAT_UP ||
	    st.check > DBSTAT_CHECK_ERROR)
		return -1;
	for (size_t i = 0; i < DBFWD_MAX_PENDING; i++) {
		struct dbfwd_req *q = &reqs[i];

		if (!q->used || q->id != id)
			continue;
		control_db_reply(q->client, q->serial, &st, NULL);
		req_free(q);
		return 0;
	}
	/* Timed out meanwhile: nobody waits for it any more. */
	log_debug("policyd answered database status request %u, which "
	    "nobody awaits", id);
	return 0;
}

/* policyd is gone: nobody will answer what is pending. */
void
dbfwd_policyd_gone(void)
{
	for (size_t i = 0; i < DBFWD_MAX_PENDING; i++) {
		if (!reqs[i].used)
			continue;
		control_db_reply(reqs[i].client, reqs[i].serial, NULL,
		    "policyd is gone");
		req_free(&reqs[i]);
	}
}
