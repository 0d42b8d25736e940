/*
 * plan: policyd's side of the plan protocol (common/msg.h).  A cryptod
 * worker sends every recipient of a message (IMSG_CRYPTOD_PLAN_RCPT),
 * then the request (IMSG_CRYPTOD_PLAN_REQUEST); policyd answers at once,
 * from its policy cache (policyload.c) and the pure decision of policy.c:
 * one IMSG_POLICYD_PLAN_RCPT per recipient, in order, then
 * IMSG_POLICYD_PLAN_DONE.  Nothing here waits for the database: while it
 * is unavailable, or before the cache was loaded on the current
 * connection, DONE says PLAN_TEMPFAIL and no RCPT is sent.
 *
 * Each worker has its own request in the making.  A worker that breaks
 * the protocol (a recipient of another request, more recipients than
 * smtp-max-recipients, a count that does not match, unknown flags, a
 * string over its bound) is a fatal error, as for every peer.
 */
#include <stdlib.h>
#include <string.h>

#include "common/child.h"
#include "common/log.h"
#include "common/msg.h"
#include "imsg/imsg.h"
#include "policyd/plan.h"
#include "policyd/policy.h"
#include "policyd/policyload.h"

struct plan_rcpt_buf {
	char		 address[POLICY_ADDR_MAX + 1];
	uint32_t	 flags;
};

/* A worker's request in the making. */
struct plan_pending {
	int			 open;		/* a recipient came */
	uint64_t		 request;
	uint32_t		 n;
	uint32_t		 cap;
	struct plan_rcpt_buf	*rcpt;
};

static struct plan_pending	 pending[PROC_MAX_INSTANCES];

static uint32_t
plan_max_rcpt(const struct child *c)
{
	uint64_t	 max = c->conf.smtp_max_recipients;

	return max == 0 || max > 100000 ? 100000 : (uint32_t)max;
}

static void
plan_rcpt(struct child *c, struct child_peer *p, struct imsg *imsg)
{
	struct plan_pending	*q = &pending[p->instance];
	struct plan_rcpt_buf	*b;
	struct imsg_reader	 r;
	const char		*address;
	uint64_t		 request;
	uint32_t		 flags;

	imsg_reader_init(&r, imsg);
	if (imsg_read_u64(&r, &request) == -1 ||
	    imsg_read_string(&r, &address, POLICY_ADDR_MAX) == -1 ||
	    imsg_read_u32(&r, &flags) == -1 || imsg_reader_end(&r) == -1 ||
	    (flags & ~(uint32_t)PLAN_RCPT_F_KEY) != 0)
		fatalx("malformed CRYPTOD_PLAN_RCPT from cryptod#%d",
		    p->instance);
	if (q->open && q->request != request)
		fatalx("cryptod#%d: a recipient of request %llu while request "
		    "%llu is open", p->instance, (unsigned long long)request,
		    (unsigned long long)q->request);
	if (q->n >= plan_max_rcpt(c))
		fatalx("cryptod#%d: request %llu has more than %u recipients",
		    p->instance, (unsigned long long)request, plan_max_rcpt(c));
	if (q->n == q->cap) {
		uint32_t cap = q->cap ? 2 * q->cap : 16;

		if (cap > plan_max_rcpt(c))
			cap = plan_max_rcpt(c);
		if ((b = reallocarray(q->rcpt, cap, sizeof(*b))) == NULL)
			fatal("plan");
		q->rcpt = b;
		q->cap = cap;
	}
	q->open = 1;
	q->request = request;
	b = &q->rcpt[q->n++];
	memcpy(b->address, address, strlen(address) + 1);
	b->flags = flags;
}

static void
plan_send_done(struct child_peer *p, uint64_t request, uint32_t status,
    uint32_t flags, const char *keyword)
{
	struct ibuf	*b;

	if ((b = imsg_create(&p->iev.ibuf, IMSG_POLICYD_PLAN_DONE,
	    (uint32_t)p->child->instance, -1, sizeof(uint64_t) +
	    2 * sizeof(uint32_t) + strlen(keyword) + 1)) == NULL ||
	    imsg_add_u64(b, request) == -1 || imsg_add_u32(b, status) == -1 ||
	    imsg_add_u32(b, flags) == -1 || imsg_add_string(b, keyword) == -1)
		fatal("compose POLICYD_PLAN_DONE");
	imsg_close(&p->iev.ibuf, b);
}

static void
plan_send_rcpt(struct child_peer *p, uint64_t request, uint32_t index,
    const struct policy_answer *a)
{
	struct ibuf	*b;

	if ((b = imsg_create(&p->iev.ibuf, IMSG_POLICYD_PLAN_RCPT,
	    (uint32_t)p->child->instance, -1, sizeof(uint64_t) +
	    2 * sizeof(uint32_t) + strlen(a->rule) + 1)) == NULL ||
	    imsg_add_u64(b, request) == -1 || imsg_add_u32(b, index) == -1 ||
	    imsg_add_u32(b, a->action) == -1 ||
	    imsg_add_string(b, a->rule) == -1)
		fatal("compose POLICYD_PLAN_RCPT");
	imsg_close(&p->iev.ibuf, b);
}

static void
plan_reset(struct plan_pending *q)
{
	q->open = 0;
	q->n = 0;
	q->request = 0;
}

static void
plan_request(struct child *c, struct child_peer *p, struct imsg *imsg)
{
	struct plan_pending		*q = &pending[p->instance];
	const struct policy_set		*set;
	struct policy_rcpt		*rc;
	struct policy_answer		*ans;
	struct policy_done		 done;
	struct policy_msg		 m;
	struct imsg_reader		 r;
	uint64_t			 request;
	uint32_t			 nrcpt, flags;

	(void)c;
	imsg_reader_init(&r, imsg);
	if (imsg_read_u64(&r, &request) == -1 ||
	    imsg_read_string(&r, &m.sender, POLICY_ADDR_MAX) == -1 ||
	    imsg_read_u32(&r, &nrcpt) == -1 || imsg_read_u32(&r, &flags) == -1 ||
	    imsg_read_string(&r, &m.subject, POLICY_SUBJECT_MAX) == -1 ||
	    imsg_reader_end(&r) == -1 ||
	    (flags & ~(uint32_t)(PLAN_MSG_F_SENDER_KEY |
	    PLAN_MSG_F_ENCRYPTED)) != 0)
		fatalx("malformed CRYPTOD_PLAN_REQUEST from cryptod#%d",
		    p->instance);
	if ((q->open && q->request != request) || nrcpt != q->n)
		fatalx("cryptod#%d: request %llu announces %u recipients, %u "
		    "came%s", p->instance, (unsigned long long)request, nrcpt,
		    q->n, q->open && q->request != request ?
		    " for another request" : "");
	m.flags = flags;

	if ((set = policyload_current()) == NULL) {
		log_debug("plan %llu from cryptod#%d: tempfail (no policy "
		    "from the database)", (unsigned long long)request,
		    p->instance);
		plan_send_done(p, request, PLAN_TEMPFAIL, 0, "");
		plan_reset(q);
		imsgev_update(&p->iev);
		return;
	}
	if ((rc = calloc(nrcpt ? nrcpt : 1, sizeof(*rc))) == NULL ||
	    (ans = calloc(nrcpt ? nrcpt : 1, sizeof(*ans))) == NULL)
		fatal("plan");
	for (uint32_t i = 0; i < nrcpt; i++) {
		rc[i].address = q->rcpt[i].address;
		rc[i].flags = q->rcpt[i].flags;
	}
	policy_decide(set, &m, rc, nrcpt, ans, &done);
	for (uint32_t i = 0; i < nrcpt; i++) {
		log_debug("plan %llu: %s: %s (%s)", (unsigned long long)request,
		    rc[i].address, policy_action_name(ans[i].action),
		    ans[i].rule);
		plan_send_rcpt(p, request, i, &ans[i]);
	}
	plan_send_done(p, request, PLAN_OK, done.flags, done.keyword);
	imsgev_update(&p->iev);
	free(rc);
	free(ans);
	plan_reset(q);
}

void
plan_msg(struct child *c, struct child_peer *p, struct imsg *imsg)
{
	if ((unsigned)p->instance >= PROC_MAX_INSTANCES)
		fatalx("plan: cryptod#%d", p->instance);
	switch (imsg->hdr.type) {
	case IMSG_CRYPTOD_PLAN_RCPT:
		plan_rcpt(c, p, imsg);
		break;
	case IMSG_CRYPTOD_PLAN_REQUEST:
		plan_request(c, p, imsg);
		break;
	default:
		fatalx("plan: unexpected %s", imsg_type_name(imsg->hdr.type));
	}
}

void
plan_peer_down(struct child_peer *p)
{
	struct plan_pending	*q;

	if ((unsigned)p->instance >= PROC_MAX_INSTANCES)
		return;
	q = &pending[p->instance];
	free(q->rcpt);
	memset(q, 0, sizeof(*q));
}
