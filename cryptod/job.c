/*
 * Jobs from smtpd, in the order they came.  smtpd sends a job's
 * recipients and then its START in one burst, so on one channel a job is
 * always complete before the next begins: cryptod keeps one job under
 * assembly, and anything out of that order is a protocol violation.
 *
 * A complete job waits for its turn.  At its turn the message is mapped
 * and its header read, and policyd is asked for the plan (the plan
 * protocol, common/msg.h); when the plan is in, job_exec.c carries it out.
 * No job runs before the first key store is loaded (an empty store would
 * make the policy's "encrypt when a key is known" send in the clear), and
 * none without an answer from policyd: no policy, no mail, only a 4xx.
 */
#include <sys/mman.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/memfd.h"
#include "common/msg.h"
#include "cryptod/job_internal.h"
#include "cryptod/outgoing.h"
#include "imsg/imsg.h"

/* Jobs queued here, at most; smtpd sends no more than its sessions. */
#define JOB_MAX_QUEUED		1024
/* How long policyd may take to answer a plan request. */
#define JOB_PLAN_TIMEOUT_SEC	30
#define JOB_SUBJECT_MAX		4096

static struct job		*job_cur;	/* under assembly */
static TAILQ_HEAD(, job)	 jobs = TAILQ_HEAD_INITIALIZER(jobs);
static size_t			 njobs;
static uint64_t			 plan_seq;
static struct event		*plan_timer;

static void	job_advance(void);

static void
job_free(struct job *j)
{
	if (j->mapped) {
		mime_free(j->m.mime);
		if (j->m.len > 0)
			munmap((void *)(uintptr_t)j->m.data, j->m.len);
	}
	free(j->m.subject);
	plan_free(&j->pl);
	if (j->fd != -1)
		close(j->fd);
	free(j->rcpts);
	free(j);
}

static void
job_finish(struct job *j)
{
	TAILQ_REMOVE(&jobs, j, entry);
	njobs--;
	job_free(j);
}

/* ------------------------------------------------------------ message */

/* The header block's end: a poisoned message is parsed no further. */
static size_t
header_len(const char *p, size_t len)
{
	const char	*e = memmem(p, len, "\r\n\r\n", 4);

	return e != NULL ? (size_t)(e - p) + 4 : len;
}

static void
job_map(struct job *j)
{
	struct message	*m = &j->m;
	uint64_t	 size;

	if (memfd_check_sealed(j->fd, &size) == -1)
		fatal("job %llu: message is not a sealed memfd",
		    (unsigned long long)j->id);
	m->fd = j->fd;
	m->len = (size_t)size;
	m->data = "";
	if (size > 0 && (m->data = mmap(NULL, m->len, PROT_READ, MAP_PRIVATE,
	    j->fd, 0)) == MAP_FAILED)
		fatal("job %llu: mmap", (unsigned long long)j->id);
	j->mapped = 1;
#ifdef PGPMG_TEST_POISON
	/* Only in tests/integration/poison_cryptod, never installed: a
	 * worker that dies on a marked message, as a real bug would. */
	if (!(j->flags & JOB_F_POISON) &&
	    memmem(m->data, m->len, "X-Test-Poison: die", 18) != NULL)
		abort();
#endif
	m->mime_err = mime_parse(m->data, (j->flags & JOB_F_POISON) ?
	    header_len(m->data, m->len) : m->len, &m->mime);
	if (m->mime_err != 0)
		m->mime = NULL;
}

/* ------------------------------------------------------------ policyd */

static void
job_tempfail(struct job *j, const char *why)
{
	log_warnx("job %llu: %s", (unsigned long long)j->id, why);
	reply_done(j, JOB_TEMPFAIL, 451, "4.3.0", why);
	job_finish(j);
}

static void
plan_timeout(int fd, short ev, void *arg)
{
	struct job	*j = TAILQ_FIRST(&jobs);

	(void)fd;
	(void)ev;
	(void)arg;
	if (j != NULL && j->state == JOB_PLANNING) {
		job_tempfail(j, "no answer from the policy, try again later");
		job_advance();
	}
}

static void
subject_of(const struct message *m, char *out, size_t len)
{
	const struct mime_field	*f;
	struct buf		 b;

	out[0] = '\0';
	if (m->mime == NULL ||
	    (f = mime_field_find(m->mime->root, "Subject")) == NULL)
		return;
	buf_init(&b, len - 1);
	/* Cut at the cap: a keyword past 4 KiB of Subject is not seen. */
	mime_decode_2047(f->value, f->value_len, &b);
	if (b.len > 0)
		memcpy(out, b.data, b.len);
	out[b.len] = '\0';
	buf_free(&b);
}

/* The plan request: every recipient, then the message. */
static int
job_ask(struct job *j)
{
	struct child_peer	*p = child_peer_find(cryptod->child,
				    PROC_POLICYD, 0);
	struct ibuf		*b;
	struct timeval		 tv = { JOB_PLAN_TIMEOUT_SEC, 0 };
	char			*subject;
	uint32_t		 flags = 0;

	if (p == NULL || !p->up)
		return -1;
	j->plan_req = ++plan_seq;
	for (uint32_t i = 0; i < j->nrcpt; i++) {
		uint32_t f = keystore_encrypt_key(&cryptod->keys,
		    j->rcpts[i]) != NULL ? PLAN_RCPT_F_KEY : 0;

		if ((b = imsg_create(&p->iev.ibuf, IMSG_CRYPTOD_PLAN_RCPT,
		    (uint32_t)cryptod->child->instance, -1,
		    16 + strlen(j->rcpts[i]))) == NULL ||
		    imsg_add_u64(b, j->plan_req) == -1 ||
		    imsg_add_string(b, j->rcpts[i]) == -1 ||
		    imsg_add_u32(b, f) == -1)
			fatal("compose PLAN_RCPT");
		imsg_close(&p->iev.ibuf, b);
	}
	if (keystore_signer(&cryptod->keys, j->sender) != NULL)
		flags |= PLAN_MSG_F_SENDER_KEY;
	if (out_is_encrypted(&j->m))
		flags |= PLAN_MSG_F_ENCRYPTED;
	if ((subject = malloc(JOB_SUBJECT_MAX + 1)) == NULL)
		fatal("subject");
	subject_of(&j->m, subject, JOB_SUBJECT_MAX + 1);
	if ((b = imsg_create(&p->iev.ibuf, IMSG_CRYPTOD_PLAN_REQUEST,
	    (uint32_t)cryptod->child->instance, -1,
	    32 + strlen(j->sender) + strlen(subject))) == NULL ||
	    imsg_add_u64(b, j->plan_req) == -1 ||
	    imsg_add_string(b, j->sender) == -1 ||
	    imsg_add_u32(b, j->nrcpt) == -1 || imsg_add_u32(b, flags) == -1 ||
	    imsg_add_string(b, subject) == -1)
		fatal("compose PLAN_REQUEST");
	imsg_close(&p->iev.ibuf, b);
	imsgev_update(&p->iev);
	free(subject);
	if (plan_alloc(&j->pl, j->nrcpt) == -1)
		fatal("plan");
	j->state = JOB_PLANNING;
	if (plan_timer == NULL && (plan_timer = evtimer_new(
	    cryptod->child->base, plan_timeout, NULL)) == NULL)
		fatal("plan timer");
	evtimer_add(plan_timer, &tv);
	return 0;
}

/* The job an answer is for: the head, planning, with that number.  An
 * answer to a request that timed out is dropped; anything else is a
 * protocol violation. */
static struct job *
plan_job(uint64_t req)
{
	struct job	*j = TAILQ_FIRST(&jobs);

	if (j != NULL && j->state == JOB_PLANNING && j->plan_req == req)
		return j;
	if (req <= plan_seq)
		return NULL;
	fatalx("policyd answered plan request %llu, never asked",
	    (unsigned long long)req);
}

static void
plan_rcpt(struct imsg *imsg)
{
	struct imsg_reader	 r;
	struct job		*j;
	const char		*rule;
	uint64_t		 req;
	uint32_t		 idx, policy;

	imsg_reader_init(&r, imsg);
	if (imsg_read_u64(&r, &req) == -1 || imsg_read_u32(&r, &idx) == -1 ||
	    imsg_read_u32(&r, &policy) == -1 ||
	    imsg_read_string(&r, &rule, PLAN_RULE_MAX) == -1 ||
	    imsg_reader_end(&r) == -1 || policy < POLICY_PASS ||
	    policy > POLICY_INCOMING)
		fatalx("malformed POLICYD_PLAN_RCPT");
	if ((j = plan_job(req)) == NULL)
		return;
	if (idx != j->nanswered || idx >= j->nrcpt)
		fatalx("POLICYD_PLAN_RCPT %u out of order", idx);
	j->pl.rcpt[idx].policy = policy;
	memcpy(j->pl.rcpt[idx].rule, rule, strlen(rule) + 1);
	j->nanswered++;
}

static void
plan_done(struct imsg *imsg)
{
	struct imsg_reader	 r;
	struct job		*j;
	const char		*keyword;
	const char		**rv;
	uint64_t		 req;
	uint32_t		 status, flags;

	imsg_reader_init(&r, imsg);
	if (imsg_read_u64(&r, &req) == -1 ||
	    imsg_read_u32(&r, &status) == -1 ||
	    imsg_read_u32(&r, &flags) == -1 ||
	    imsg_read_string(&r, &keyword, PLAN_KEYWORD_MAX) == -1 ||
	    imsg_reader_end(&r) == -1 ||
	    (status != PLAN_OK && status != PLAN_TEMPFAIL))
		fatalx("malformed POLICYD_PLAN_DONE");
	if ((j = plan_job(req)) == NULL)
		return;
	evtimer_del(plan_timer);
	if (status == PLAN_TEMPFAIL) {
		job_tempfail(j, "the policy is unavailable, try again later");
		job_advance();
		return;
	}
	if (j->nanswered != j->nrcpt)
		fatalx("POLICYD_PLAN_DONE after %u of %u recipients",
		    j->nanswered, j->nrcpt);
	j->pl.flags = flags;
	memcpy(j->pl.keyword, keyword, strlen(keyword) + 1);
	if ((rv = calloc(j->nrcpt, sizeof(*rv))) == NULL)
		fatal("rcpts");
	for (uint32_t i = 0; i < j->nrcpt; i++)
		rv[i] = j->rcpts[i];
	plan_resolve(&j->pl, cryptod->conf, &cryptod->keys, j->sender, rv);
	free(rv);
	j->state = JOB_PLANNED;
	job_advance();
}

/* ------------------------------------------------------------ the queue */

/* Run the jobs whose turn it is, in order. */
static void
job_advance(void)
{
	struct job	*j;

	while ((j = TAILQ_FIRST(&jobs)) != NULL) {
		switch (j->state) {
		case JOB_PLANNED:
			job_execute(j);
			job_finish(j);
			continue;
		case JOB_PLANNING:
			return;
		case JOB_NEW:
			if (!keystore_ready(&cryptod->keys))
				return;
			job_map(j);
			if (job_ask(j) == -1) {
				job_tempfail(j, "the policy is unavailable, "
				    "try again later");
				continue;
			}
			return;
		}
	}
}

void
job_keystore_loaded(void)
{
	job_advance();
}

/* ------------------------------------------------------------ assembly */

static void
job_rcpt(struct child *c, struct child_peer *p, struct imsg *imsg)
{
	struct imsg_reader	 r;
	struct job		*j = job_cur;
	const char		*addr;
	uint64_t		 id;

	imsg_reader_init(&r, imsg);
	if (imsg_read_u64(&r, &id) == -1 ||
	    imsg_read_string(&r, &addr, SMTP_PATH_MAX) == -1 ||
	    imsg_reader_end(&r) == -1)
		fatalx("malformed SMTPD_JOB_RCPT");
	if (j == NULL) {
		if ((j = calloc(1, sizeof(*j))) == NULL)
			fatal("job");
		j->id = id;
		j->fd = -1;
		j->peer = p;
		job_cur = j;
	} else if (id != j->id)
		fatalx("SMTPD_JOB_RCPT for job %llu while job %llu is open",
		    (unsigned long long)id, (unsigned long long)j->id);
	if (j->nrcpt >= c->conf.smtp_max_recipients)
		fatalx("job %llu: more than %llu recipients",
		    (unsigned long long)id,
		    (unsigned long long)c->conf.smtp_max_recipients);
	if (j->nrcpt == j->cap) {
		uint32_t ncap = j->cap ? j->cap * 2 : 8;
		void *n = reallocarray(j->rcpts, ncap, sizeof(*j->rcpts));
		if (n == NULL)
			fatal("job recipients");
		j->rcpts = n;
		j->cap = ncap;
	}
	memcpy(j->rcpts[j->nrcpt++], addr, strlen(addr) + 1);
}

static void
job_start(struct imsg *imsg)
{
	struct imsg_reader	 r;
	struct job		*j = job_cur;
	const char		*sender;
	uint64_t		 id;
	uint32_t		 nrcpt, flags;
	int			 fd;

	imsg_reader_init(&r, imsg);
	if (imsg_read_u64(&r, &id) == -1 ||
	    imsg_read_string(&r, &sender, SMTP_PATH_MAX) == -1 ||
	    imsg_read_u32(&r, &nrcpt) == -1 || imsg_read_u32(&r, &flags) == -1 ||
	    imsg_reader_end(&r) == -1 || (fd = imsg_get_fd(imsg)) == -1)
		fatalx("malformed SMTPD_JOB_START");
	if (j == NULL || id != j->id || nrcpt != j->nrcpt || nrcpt == 0)
		fatalx("SMTPD_JOB_START for job %llu does not match its "
		    "recipients", (unsigned long long)id);
	job_cur = NULL;
	j->fd = fd;
	j->flags = flags;
	memcpy(j->sender, sender, strlen(sender) + 1);
	if (njobs >= JOB_MAX_QUEUED) {
		reply_done(j, JOB_TEMPFAIL, 451, "4.3.0",
		    "too many messages in processing, try again later");
		job_free(j);
		return;
	}
	TAILQ_INSERT_TAIL(&jobs, j, entry);
	njobs++;
	log_debug("job %llu: from <%s> to %u recipient%s",
	    (unsigned long long)j->id, j->sender, j->nrcpt,
	    j->nrcpt == 1 ? "" : "s");
	job_advance();
}

void
job_peer_msg(struct child *c, struct child_peer *p, struct imsg *imsg)
{
	switch (imsg->hdr.type) {
	case IMSG_SMTPD_JOB_RCPT:
		job_rcpt(c, p, imsg);
		break;
	case IMSG_SMTPD_JOB_START:
		job_start(imsg);
		break;
	case IMSG_POLICYD_PLAN_RCPT:
		plan_rcpt(imsg);
		break;
	case IMSG_POLICYD_PLAN_DONE:
		plan_done(imsg);
		break;
	default:
		fatalx("unexpected %s from %s", imsg_type_name(imsg->hdr.type),
		    proc_name(p->proc));
	}
}
