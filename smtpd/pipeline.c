/*
 * The way of one message after it was received: a job to a cryptod
 * worker (the envelope and the sealed message), one output message per
 * recipient group back, each relayed, and the outcome turned into the
 * client's reply: one for SMTP, one per recipient for LMTP.
 *
 * The promise: 250 only once the relay accepted every output message for
 * the recipients it answers for; any failure before that (a dead worker,
 * a relay down, a timeout) is a 4xx, and a permanent refusal a 5xx.
 * A job outlives its session: when the client goes away, the job is kept
 * until cryptod has answered it, so that no late answer is mistaken for
 * another job's.
 */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/msg.h"
#include "imsg/imsg.h"
#include "smtpd/poison.h"
#include "smtpd/relay.h"
#include "smtpd/smtpd.h"

/* cryptod may add output messages (notices) beside one per recipient. */
#define PIPELINE_GROUPS_PER_RCPT	2

struct pipe_group {
	struct pipeline		*pipe;
	int			 fd;
	uint32_t		 flags;		/* GROUP_F_* */
	uint64_t		 size;
	size_t			*idx;
	size_t			 n;
	int			 submitted;
	int			 done;
	struct relay_request	 req;
	struct relay_result	 result;
};

struct pipeline {
	TAILQ_ENTRY(pipeline)	 entry;
	struct session		*s;		/* NULL: the client is gone */
	uint64_t		 job;
	int			 worker;
	uint32_t		 nrcpt;
	int			 eightbit;
	uint32_t		 flags;		/* JOB_F_* sent */
	int			 fd;		/* the message (a dup), kept
						   to send it again */
	uint64_t		 size;
	int			 have_digest;
	struct poison_digest	 digest;
	struct pipe_group	*groups;
	size_t			 ngroups;
	/* Per recipient: cryptod refused it (no message); its reply. */
	struct smtp_reply	*refusal;
	unsigned char		*refused;
	int			 job_done;
	size_t			 relays_pending;
};

static TAILQ_HEAD(, pipeline)	 pipelines = TAILQ_HEAD_INITIALIZER(pipelines);

/* Forget what a job produced (the worker died, or the job is over). */
static void
pipeline_clear_output(struct pipeline *p)
{
	for (size_t i = 0; i < p->ngroups; i++) {
		struct pipe_group *g = &p->groups[i];
		if (g->submitted && !g->done)
			relay_cancel(&g->req);
		if (g->fd != -1)
			close(g->fd);
		free(g->idx);
	}
	free(p->groups);
	p->groups = NULL;
	p->ngroups = 0;
	memset(p->refused, 0, p->nrcpt);
}

static void
pipeline_free(struct pipeline *p)
{
	pipeline_clear_output(p);
	if (p->fd != -1)
		close(p->fd);
	free(p->refusal);
	free(p->refused);
	TAILQ_REMOVE(&pipelines, p, entry);
	free(p);
}

static struct pipeline *
pipeline_find(uint64_t job, int worker)
{
	struct pipeline	*p;

	TAILQ_FOREACH(p, &pipelines, entry)
		if (p->job == job && p->worker == worker)
			return p;
	return NULL;
}

/* Answer the client and let the session go on with its next command. */
static void
pipeline_reply(struct pipeline *p, const struct smtp_reply *r)
{
	struct session	*s = p->s;

	if (s == NULL)
		return;
	s->pipe = NULL;
	p->s = NULL;
	if (s->lmtp) {
		/* RFC 2033 4.2: one reply per accepted recipient. */
		for (size_t i = 0; i < s->env.nrcpt; i++)
			session_reply_r(s, r);
	} else
		session_reply_r(s, r);
	session_resume(s);
}

static void
pipeline_fail(struct pipeline *p, int code, const char *enhanced,
    const char *text)
{
	struct smtp_reply	 r;

	smtp_reply_set(&r, code, enhanced, "%s", text);
	pipeline_reply(p, &r);
}

static struct child_peer *
pipeline_pick_worker(void)
{
	struct child		*c = smtpd->child;
	unsigned		 n = smtpd->conf->cryptod_workers;
	struct child_peer	*peer;

	for (unsigned i = 0; i < n; i++) {
		unsigned k = (smtpd->next_worker + i) % n;
		peer = child_peer_find(c, PROC_CRYPTOD, (int)k);
		if (peer != NULL && peer->up) {
			smtpd->next_worker = k + 1;
			return peer;
		}
	}
	return NULL;
}

/* The job to a worker: every recipient, then START with the message. */
static void
pipeline_send(struct pipeline *p, struct child_peer *w)
{
	struct session	*s = p->s;
	struct ibuf	*b;
	uint32_t	 flags = p->flags;
	int		 fd;

	p->job = ++smtpd->next_job_id;
	p->worker = w->instance;
	for (size_t i = 0; i < s->env.nrcpt; i++) {
		if ((b = imsg_create(&w->iev.ibuf, IMSG_SMTPD_JOB_RCPT, 0, -1,
		    8 + strlen(s->env.rcpts[i].addr) + 1)) == NULL ||
		    imsg_add_u64(b, p->job) == -1 ||
		    imsg_add_string(b, s->env.rcpts[i].addr) == -1)
			fatal("compose JOB_RCPT");
		imsg_close(&w->iev.ibuf, b);
	}
	if (s->env.smtputf8)
		flags |= JOB_F_SMTPUTF8;
	if (p->eightbit)
		flags |= JOB_F_8BIT;
	/* imsg owns and closes the fd it sends: send a dup of ours. */
	if ((fd = dup(p->fd)) == -1)
		fatal("dup");
	if ((b = imsg_create(&w->iev.ibuf, IMSG_SMTPD_JOB_START, 0, fd,
	    8 + strlen(s->env.mail_from) + 1 + 8)) == NULL ||
	    imsg_add_u64(b, p->job) == -1 ||
	    imsg_add_string(b, s->env.mail_from) == -1 ||
	    imsg_add_u32(b, p->nrcpt) == -1 || imsg_add_u32(b, flags) == -1)
		fatal("compose JOB_START");
	imsg_close(&w->iev.ibuf, b);
	imsgev_update(&w->iev);
}

void
pipeline_start(struct session *s)
{
	struct child_peer	*w;
	struct pipeline		*p;

	if ((w = pipeline_pick_worker()) == NULL) {
		log_warnx("session %llu: no cryptod worker available",
		    (unsigned long long)s->id);
		session_reply(s, 451, "4.3.0",
		    "no crypto worker available, try again later");
		session_resume(s);
		return;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->refusal = calloc(s->env.nrcpt, sizeof(*p->refusal))) == NULL ||
	    (p->refused = calloc(s->env.nrcpt, 1)) == NULL) {
		if (p != NULL) {
			free(p->refusal);
			free(p);
		}
		session_reply(s, 451, "4.3.0", "out of memory");
		session_resume(s);
		return;
	}
	p->s = s;
	p->nrcpt = (uint32_t)s->env.nrcpt;
	p->eightbit = s->data.eightbit;
	/* The sealed spool is ours now; the session forgets it. */
	p->fd = s->spool.fd;
	p->size = s->spool.size;
	s->spool.fd = -1;
	spool_discard(&s->spool);
	s->data_open = 0;
	TAILQ_INSERT_TAIL(&pipelines, p, entry);
	s->pipe = p;
	/* A message that killed workers before gets no more than its
	 * permanent outcome (poison.h). */
	if (poison_any() && poison_digest(p->fd, p->size, &p->digest) == 0) {
		p->have_digest = 1;
		if (poison_deaths(&p->digest) >= POISON_DEATHS)
			p->flags |= JOB_F_POISON;
	}
	pipeline_send(p, w);
}

/* The client went away: forget the session; the job finishes alone. */
void
pipeline_cancel(struct session *s)
{
	struct pipeline	*p = s->pipe;

	s->pipe = NULL;
	p->s = NULL;
	if (p->job_done)
		pipeline_free(p);
}

static void
pipeline_group(struct pipeline *p, struct imsg *imsg)
{
	struct imsg_reader	 r;
	struct pipe_group	*g;
	unsigned char		*seen;
	uint64_t		 job;
	uint32_t		 n, v, flags;
	int			 fd;

	imsg_reader_init(&r, imsg);
	if (imsg_read_u64(&r, &job) == -1 || imsg_read_u32(&r, &flags) == -1 ||
	    (flags & ~(uint32_t)(GROUP_F_NOTICE | GROUP_F_8BIT)) != 0 ||
	    imsg_read_u32(&r, &n) == -1 || n == 0 || n > p->nrcpt)
		fatalx("malformed CRYPTOD_JOB_GROUP");
	if (p->ngroups >= (size_t)p->nrcpt * PIPELINE_GROUPS_PER_RCPT)
		fatalx("job %llu: too many groups", (unsigned long long)job);
	if ((fd = imsg_get_fd(imsg)) == -1)
		fatalx("CRYPTOD_JOB_GROUP without a message");
	g = reallocarray(p->groups, p->ngroups + 1, sizeof(*p->groups));
	if (g == NULL)
		fatal("groups");
	p->groups = g;
	g = &p->groups[p->ngroups++];
	memset(g, 0, sizeof(*g));
	g->pipe = p;
	g->fd = fd;
	g->flags = flags;
	if ((g->idx = calloc(n, sizeof(*g->idx))) == NULL ||
	    (seen = calloc(p->nrcpt, 1)) == NULL)
		fatal("group");
	for (uint32_t i = 0; i < n; i++) {
		if (imsg_read_u32(&r, &v) == -1 || v >= p->nrcpt || seen[v])
			fatalx("malformed CRYPTOD_JOB_GROUP");
		seen[v] = 1;
		g->idx[i] = v;
	}
	free(seen);
	g->n = n;
	if (imsg_reader_end(&r) == -1)
		fatalx("malformed CRYPTOD_JOB_GROUP");
	/* An fd cryptod could still change is not a message we relay. */
	if (memfd_check_sealed(fd, &g->size) == -1)
		fatal("job %llu: output is not a sealed memfd",
		    (unsigned long long)job);
}

/* SMTP: one reply for the whole message.  Groups are relayed in turn
 * and stop at the first failure, which is then the reply. */
static void
pipeline_outcome_smtp(struct pipeline *p, struct smtp_reply *out)
{
	size_t	 accepted = 0;

	for (size_t i = 0; i < p->ngroups; i++) {
		const struct pipe_group *g = &p->groups[i];
		/* A notice is the gateway's own, about a message already
		 * relayed: its fate is logged, not the client's answer. */
		if (g->flags & GROUP_F_NOTICE) {
			if (g->done && !g->result.accepted)
				log_warnx("job %llu: a notice was not relayed: "
				    "%d", (unsigned long long)p->job,
				    g->result.reply.code);
			continue;
		}
		if (g->done && g->result.accepted) {
			accepted++;
			continue;
		}
		*out = g->result.reply;
		if (accepted > 0)
			log_warnx("job %llu: %zu of %zu groups relayed before "
			    "a failure; a retry repeats them",
			    (unsigned long long)p->job, accepted, p->ngroups);
		return;
	}
	smtp_reply_set(out, 250, "2.0.0", "Ok: relayed as %zu message%s",
	    p->ngroups, p->ngroups == 1 ? "" : "s");
}

static void	pipeline_submit(struct pipeline *, size_t);

/* LMTP: each recipient's reply is that of its groups: accepted only if
 * every group with it was; a temporary failure wins over a permanent. */
static void
pipeline_outcome_lmtp(struct pipeline *p, struct session *s)
{
	for (size_t i = 0; i < s->env.nrcpt; i++) {
		const struct smtp_reply *fail = NULL;
		if (p->refused[i]) {
			session_reply_r(s, &p->refusal[i]);
			continue;
		}
		for (size_t k = 0; k < p->ngroups; k++) {
			struct pipe_group *pg = &p->groups[k];
			if (pg->flags & GROUP_F_NOTICE)
				continue;
			for (size_t j = 0; j < pg->n; j++)
				if (pg->idx[j] == i && !pg->result.accepted &&
				    (fail == NULL || pg->result.reply.code < 500))
					fail = &pg->result.reply;
		}
		if (fail != NULL)
			session_reply_r(s, fail);
		else
			session_reply(s, 250, "2.1.5", "Ok: <%s> relayed",
			    s->env.rcpts[i].addr);
	}
}

static void
pipeline_relay_done(struct relay_request *req, const struct relay_result *res)
{
	struct pipe_group	*g = req->arg;
	struct pipeline		*p = g->pipe;
	struct session		*s = p->s;
	struct smtp_reply	 r;
	size_t			 next = (size_t)(g - p->groups) + 1;

	g->done = 1;
	g->result = *res;
	/*
	 * SMTP has one reply for all groups, so they go one at a time and
	 * the first failure stops the rest: a retry then repeats only the
	 * groups already relayed, never more.  (LMTP relays them at once.)
	 */
	if (s != NULL && !s->lmtp && (res->accepted ||
	    (g->flags & GROUP_F_NOTICE)) && next < p->ngroups) {
		pipeline_submit(p, next);
		return;
	}
	if (s != NULL && s->lmtp && --p->relays_pending > 0)
		return;
	if (s == NULL) {
		pipeline_free(p);
		return;
	}
	s->pipe = NULL;
	p->s = NULL;
	if (s->lmtp)
		pipeline_outcome_lmtp(p, s);
	else {
		pipeline_outcome_smtp(p, &r);
		session_reply_r(s, &r);
	}
	pipeline_free(p);
	session_resume(s);
}

static void
pipeline_submit(struct pipeline *p, size_t i)
{
	struct pipe_group	*g = &p->groups[i];

	g->req.env = &p->s->env;
	g->req.rcpt_idx = g->idx;
	g->req.nrcpt = g->n;
	g->req.fd = g->fd;
	g->req.size = g->size;
	/* cryptod looked at what it wrote: its word, not the input's. */
	g->req.eightbit = (g->flags & GROUP_F_8BIT) != 0;
	g->req.notice = (g->flags & GROUP_F_NOTICE) != 0;
	g->req.done = pipeline_relay_done;
	g->req.arg = g;
	g->submitted = 1;
	relay_submit(smtpd->relay, &g->req);
}

/* SMTP has one reply: any refused recipient refuses the message, and
 * nothing is relayed (a temporary refusal wins, so all are retried). */
static const struct smtp_reply *
pipeline_smtp_refusal(const struct pipeline *p)
{
	const struct smtp_reply	*r = NULL;

	for (uint32_t i = 0; i < p->nrcpt; i++)
		if (p->refused[i] && (r == NULL || p->refusal[i].code < 500))
			r = &p->refusal[i];
	return r;
}

static void
pipeline_relay_all(struct pipeline *p)
{
	struct session		*s = p->s;
	const struct smtp_reply	*refusal;

	if (!s->lmtp && (refusal = pipeline_smtp_refusal(p)) != NULL) {
		pipeline_reply(p, refusal);
		pipeline_free(p);
		return;
	}
	if (p->ngroups == 0) {
		/* LMTP, every recipient refused: nothing to relay. */
		s->pipe = NULL;
		p->s = NULL;
		pipeline_outcome_lmtp(p, s);
		pipeline_free(p);
		session_resume(s);
		return;
	}
	if (!s->lmtp) {
		pipeline_submit(p, 0);
		return;
	}
	p->relays_pending = p->ngroups;
	for (size_t i = 0; i < p->ngroups; i++)
		pipeline_submit(p, i);
}

static void
pipeline_refuse(struct pipeline *p, struct imsg *imsg)
{
	struct imsg_reader	 r;
	const char		*enhanced, *text;
	uint64_t		 job;
	uint32_t		 idx, code;

	imsg_reader_init(&r, imsg);
	if (imsg_read_u64(&r, &job) == -1 || imsg_read_u32(&r, &idx) == -1 ||
	    imsg_read_u32(&r, &code) == -1 ||
	    imsg_read_string(&r, &enhanced, 15) == -1 ||
	    imsg_read_string(&r, &text, SMTP_LINE_MAX - 16) == -1 ||
	    imsg_reader_end(&r) == -1 || idx >= p->nrcpt || code < 400 ||
	    code > 599 || p->refused[idx])
		fatalx("malformed CRYPTOD_JOB_REFUSE");
	p->refused[idx] = 1;
	smtp_reply_set(&p->refusal[idx], (int)code, enhanced, "%s", text);
}

static void
pipeline_done(struct pipeline *p, struct imsg *imsg)
{
	struct imsg_reader	 r;
	const char		*enhanced, *text;
	unsigned char		*covered;
	uint64_t		 job;
	uint32_t		 outcome, code;

	imsg_reader_init(&r, imsg);
	if (imsg_read_u64(&r, &job) == -1 || imsg_read_u32(&r, &outcome) == -1 ||
	    imsg_read_u32(&r, &code) == -1 ||
	    imsg_read_string(&r, &enhanced, 15) == -1 ||
	    imsg_read_string(&r, &text, SMTP_LINE_MAX - 16) == -1 ||
	    imsg_reader_end(&r) == -1)
		fatalx("malformed CRYPTOD_JOB_DONE");
	p->job_done = 1;
	switch (outcome) {
	case JOB_OK:
		/* Every recipient must be answered for: by a group or by
		 * a refusal, never both. */
		if ((covered = calloc(p->nrcpt ? p->nrcpt : 1, 1)) == NULL)
			fatal("covered");
		for (size_t i = 0; i < p->ngroups; i++)
			for (size_t j = 0; j < p->groups[i].n; j++)
				covered[p->groups[i].idx[j]] = 1;
		for (uint32_t i = 0; i < p->nrcpt; i++)
			if (covered[i] == p->refused[i])
				fatalx("job %llu: recipient %u %s",
				    (unsigned long long)job, i, covered[i] ?
				    "both refused and in a group" :
				    "in no group");
		free(covered);
		if (p->s == NULL) {
			pipeline_free(p);
			return;
		}
		pipeline_relay_all(p);
		return;
	case JOB_TEMPFAIL:
	case JOB_PERMFAIL:
		if ((outcome == JOB_TEMPFAIL) != (code >= 400 && code < 500) ||
		    (outcome == JOB_PERMFAIL && (code < 500 || code > 599)))
			fatalx("job %llu: outcome %u with code %u",
			    (unsigned long long)job, outcome, code);
		pipeline_fail(p, (int)code, enhanced, text);
		pipeline_free(p);
		return;
	default:
		fatalx("job %llu: unknown outcome %u", (unsigned long long)job,
		    outcome);
	}
}

void
pipeline_job_msg(struct child *c, struct child_peer *peer, struct imsg *imsg)
{
	struct pipeline	*p;
	uint64_t	 job;

	(void)c;
	if (imsg->datalen < sizeof(job))
		fatalx("malformed %s", imsg_type_name(imsg->hdr.type));
	memcpy(&job, imsg->data, sizeof(job));
	if ((p = pipeline_find(job, peer->instance)) == NULL || p->job_done)
		fatalx("%s for unknown job %llu from cryptod#%d",
		    imsg_type_name(imsg->hdr.type), (unsigned long long)job,
		    peer->instance);
	switch (imsg->hdr.type) {
	case IMSG_CRYPTOD_JOB_GROUP:
		pipeline_group(p, imsg);
		break;
	case IMSG_CRYPTOD_JOB_REFUSE:
		pipeline_refuse(p, imsg);
		break;
	case IMSG_CRYPTOD_JOB_DONE:
		pipeline_done(p, imsg);
		break;
	default:
		fatalx("unexpected %s from cryptod",
		    imsg_type_name(imsg->hdr.type));
	}
}

/*
 * A worker died: every job it had not finished gets a 4xx, and the
 * message stays in the client's queue for a retry.  The death is counted
 * against the message (poison.h); the one that makes it POISON_DEATHS is
 * not answered 4xx but sent once more, marked, for its permanent outcome.
 */
void
pipeline_worker_down(struct child *c, struct child_peer *peer)
{
	struct pipeline		*p, *next;
	struct child_peer	*w;
	unsigned		 deaths = 0;
	int			 culprit = 1;

	(void)c;
	if (peer->proc != PROC_CRYPTOD)
		return;
	peer->up = 0;		/* not a candidate for a job again */
	for (p = TAILQ_FIRST(&pipelines); p != NULL; p = next) {
		next = TAILQ_NEXT(p, entry);
		if (p->worker != peer->instance || p->job_done)
			continue;
		/*
		 * A worker does its jobs in order, so the oldest one it had
		 * not finished is the one it died on; the others only
		 * waited behind it and go to another worker, uncounted.
		 */
		if (!culprit && p->s != NULL &&
		    (w = pipeline_pick_worker()) != NULL) {
			pipeline_clear_output(p);
			pipeline_send(p, w);
			continue;
		}
		deaths = 0;
		if (culprit) {
			if (!p->have_digest &&
			    poison_digest(p->fd, p->size, &p->digest) == 0)
				p->have_digest = 1;
			if (p->have_digest)
				deaths = poison_record(&p->digest);
		}
		log_warnx("job %llu: cryptod#%d died %s (%u time%s for this "
		    "message)", (unsigned long long)p->job, peer->instance,
		    culprit ? "while processing it" : "before reaching it",
		    deaths, deaths == 1 ? "" : "s");
		if (culprit && p->s != NULL && deaths >= POISON_DEATHS &&
		    !(p->flags & JOB_F_POISON) &&
		    (w = pipeline_pick_worker()) != NULL) {
			culprit = 0;
			pipeline_clear_output(p);
			p->flags |= JOB_F_POISON;
			pipeline_send(p, w);
			continue;
		}
		culprit = 0;
		pipeline_fail(p, 451, "4.3.0",
		    "message processing failed, try again later");
		pipeline_free(p);
	}
}
