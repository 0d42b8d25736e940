/*
 * procs: the processes and their sandboxes, which only the parent knows
 * (it started them, and reads their state from /proc: pgpmgd/status.c,
 * the same entries `pgpmgctl status` prints).  policyd asks under its own
 * request id; the parent answers with one PARENT_PROCS_ENTRY per process
 * and one PARENT_PROCS_END.  The parent answers at once, from memory and
 * /proc; should it not (it is busy, or the answer was lost), the request
 * fails after PROCS_TIMEOUT_SEC rather than keep a console page waiting,
 * and a late answer is read and dropped.  Every entry is parsed exactly,
 * and more entries than the parent has slots is a protocol violation.
 */
#include <stdlib.h>
#include <string.h>

#include "common/child.h"
#include "common/log.h"
#include "common/msg.h"
#include "imsg/imsg.h"
#include "policyd/procs.h"

/* The parent answers in microseconds; a second of silence is already a
 * sign of trouble, five a failure worth showing. */
#define PROCS_TIMEOUT_SEC	5
/* Requests at once: a dashboard asks once per page. */
#define PROCS_PENDING_MAX	8

struct procs_req {
	int			 used;
	uint32_t		 id;
	struct event		*timer;
	struct procs_entry	 entries[PROCS_MAX];
	size_t			 n;
	procs_cb		 cb;
	void			*arg;
};

static struct {
	struct child		*c;
	struct procs_req	 reqs[PROCS_PENDING_MAX];
	uint32_t		 next_id;
} pr;

static void
req_done(struct procs_req *q, const char *error)
{
	evtimer_del(q->timer);
	/* The slot is freed after the call, so the entries stay as they
	 * are while the caller reads them. */
	q->cb(error == NULL ? q->entries : NULL, error == NULL ? q->n : 0,
	    error, q->arg);
	q->used = 0;
}

static void
req_timeout(int fd, short ev, void *arg)
{
	struct procs_req	*q = arg;

	(void)fd; (void)ev;
	log_warnx("procs: the parent did not answer request %u within %d s",
	    q->id, PROCS_TIMEOUT_SEC);
	req_done(q, "the parent did not answer in time");
}

void
procs_ask(procs_cb cb, void *arg)
{
	struct procs_req	*q = NULL;
	struct timeval		 tv = { PROCS_TIMEOUT_SEC, 0 };

	for (size_t i = 0; i < PROCS_PENDING_MAX && q == NULL; i++)
		if (!pr.reqs[i].used)
			q = &pr.reqs[i];
	if (q == NULL) {
		cb(NULL, 0, "too many requests at once", arg);
		return;
	}
	q->used = 1;
	/* 0 names no request. */
	if (++pr.next_id == 0)
		pr.next_id = 1;
	q->id = pr.next_id;
	q->n = 0;
	q->cb = cb;
	q->arg = arg;
	if (evtimer_add(q->timer, &tv) == -1)
		fatalx("procs: evtimer_add");
	if (imsgev_compose(&pr.c->parent, IMSG_POLICYD_PROCS, 0, -1, &q->id,
	    sizeof(q->id)) == -1)
		fatal("compose POLICYD_PROCS");
}

static struct procs_req *
req_find(uint32_t id)
{
	for (size_t i = 0; i < PROCS_PENDING_MAX; i++)
		if (pr.reqs[i].used && pr.reqs[i].id == id)
			return &pr.reqs[i];
	return NULL;
}

void
procs_entry(struct child *c, struct imsg *imsg)
{
	struct imsg_reader	 r;
	struct procs_entry	 e;
	struct procs_req	*q;
	const char		*name, *user, *capeff, *root;
	uint32_t		 id, seccomp, nnp;

	(void)c;
	memset(&e, 0, sizeof(e));
	imsg_reader_init(&r, imsg);
	if (imsg_read_u32(&r, &id) == -1 ||
	    imsg_read_string(&r, &name, sizeof(e.name) - 1) == -1 ||
	    imsg_read_u32(&r, &e.pid) == -1 ||
	    imsg_read_u32(&r, &e.ready) == -1 ||
	    imsg_read_u64(&r, &e.uptime) == -1 ||
	    imsg_read_string(&r, &user, sizeof(e.user) - 1) == -1 ||
	    imsg_read_u32(&r, &seccomp) == -1 ||
	    imsg_read_u32(&r, &nnp) == -1 ||
	    imsg_read_string(&r, &capeff, sizeof(e.capeff) - 1) == -1 ||
	    imsg_read_string(&r, &root, sizeof(e.root) - 1) == -1 ||
	    imsg_read_u32(&r, &e.netns) == -1 ||
	    imsg_read_u32(&r, &e.landlock) == -1 ||
	    imsg_read_u32(&r, &e.up) == -1 ||
	    imsg_read_u32(&r, &e.expected) == -1 ||
	    imsg_reader_end(&r) == -1)
		fatalx("malformed PARENT_PROCS_ENTRY");
	if ((q = req_find(id)) == NULL) {
		log_debug("procs: an entry for request %u, which nobody "
		    "awaits", id);
		return;
	}
	if (q->n == PROCS_MAX)
		fatalx("PARENT_PROCS_ENTRY: more than %d processes", PROCS_MAX);
	memcpy(e.name, name, strlen(name) + 1);
	memcpy(e.user, user, strlen(user) + 1);
	memcpy(e.capeff, capeff, strlen(capeff) + 1);
	memcpy(e.root, root, strlen(root) + 1);
	e.seccomp = (int32_t)seccomp;
	e.nnp = (int32_t)nnp;
	q->entries[q->n++] = e;
}

void
procs_end(struct child *c, struct imsg *imsg)
{
	struct imsg_reader	 r;
	struct procs_req	*q;
	uint32_t		 id;

	(void)c;
	imsg_reader_init(&r, imsg);
	if (imsg_read_u32(&r, &id) == -1 || imsg_reader_end(&r) == -1)
		fatalx("malformed PARENT_PROCS_END");
	if ((q = req_find(id)) == NULL) {
		log_debug("procs: the end of request %u, which nobody awaits",
		    id);
		return;
	}
	req_done(q, NULL);
}

void
procs_init(struct child *c)
{
	pr.c = c;
	for (size_t i = 0; i < PROCS_PENDING_MAX; i++)
		if ((pr.reqs[i].timer = evtimer_new(c->base, req_timeout,
		    &pr.reqs[i])) == NULL)
			fatalx("procs: evtimer_new");
}
