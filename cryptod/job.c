/*
 * Jobs from smtpd.  smtpd sends a job's recipients and then its START in
 * one burst, so on one channel a job is always complete before the next
 * begins: cryptod keeps one job under assembly, and anything out of that
 * order is a protocol violation.
 *
 * A complete job is planned (plan.c), its recipients grouped by what they
 * get, and one output message made per group: one encryption to all the
 * keys of a group, not one per recipient.  Each group goes back as a
 * sealed memfd; a recipient that gets no message gets a refusal; DONE ends
 * the job.  Until the first key store is loaded no job runs: they wait.
 */
#include <sys/mman.h>
#include <sys/queue.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/log.h"
#include "common/memfd.h"
#include "common/msg.h"
#include "cryptod/cryptod.h"
#include "cryptod/incoming.h"
#include "cryptod/job.h"
#include "cryptod/outgoing.h"
#include "cryptod/plan.h"
#include "imsg/imsg.h"
#include "smtpd/envelope.h"

/* Jobs waiting for the first key store; bounded by what smtpd sends. */
#define JOB_MAX_WAITING		1024

struct job {
	TAILQ_ENTRY(job)	 entry;
	struct child_peer	*peer;	/* the smtpd channel it came from */
	uint64_t		 id;
	uint32_t		 flags;	/* JOB_F_* */
	int			 fd;
	char			 sender[SMTP_PATH_MAX + 1];
	char			(*rcpts)[SMTP_PATH_MAX + 1];
	uint32_t		 nrcpt;
	uint32_t		 cap;
};

static struct job		*job_cur;	/* under assembly */
static TAILQ_HEAD(, job)	 waiting = TAILQ_HEAD_INITIALIZER(waiting);
static size_t			 nwaiting;

void
job_err_set(struct job_err *e, int code, const char *enhanced,
    const char *fmt, ...)
{
	va_list	 ap;

	e->code = code;
	snprintf(e->enhanced, sizeof(e->enhanced), "%s", enhanced);
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
	/* It becomes an SMTP reply line. */
	for (char *c = e->text; *c != '\0'; c++)
		if (*c == '\r' || *c == '\n')
			*c = ' ';
}

static void
job_free(struct job *j)
{
	if (j->fd != -1)
		close(j->fd);
	free(j->rcpts);
	free(j);
}

/* ------------------------------------------------------------ replies */

static void
reply_group(struct job *j, uint32_t flags, const uint32_t *idx, uint32_t n,
    int fd)
{
	struct child_peer	*p = j->peer;
	struct ibuf		*b;

	if ((b = imsg_create(&p->iev.ibuf, IMSG_CRYPTOD_JOB_GROUP,
	    (uint32_t)p->child->instance, fd, 16 + 4 * (size_t)n)) == NULL ||
	    imsg_add_u64(b, j->id) == -1 || imsg_add_u32(b, flags) == -1 ||
	    imsg_add_u32(b, n) == -1)
		fatal("compose JOB_GROUP");
	for (uint32_t i = 0; i < n; i++)
		if (imsg_add_u32(b, idx[i]) == -1)
			fatal("compose JOB_GROUP");
	imsg_close(&p->iev.ibuf, b);
}

static void
reply_refuse(struct job *j, uint32_t idx, const struct job_err *e)
{
	struct child_peer	*p = j->peer;
	struct ibuf		*b;

	if ((b = imsg_create(&p->iev.ibuf, IMSG_CRYPTOD_JOB_REFUSE,
	    (uint32_t)p->child->instance, -1, 32 + strlen(e->text))) == NULL ||
	    imsg_add_u64(b, j->id) == -1 || imsg_add_u32(b, idx) == -1 ||
	    imsg_add_u32(b, (uint32_t)e->code) == -1 ||
	    imsg_add_string(b, e->enhanced) == -1 ||
	    imsg_add_string(b, e->text) == -1)
		fatal("compose JOB_REFUSE");
	imsg_close(&p->iev.ibuf, b);
}

static void
reply_done(struct job *j, uint32_t outcome, uint32_t code,
    const char *enhanced, const char *text)
{
	struct child_peer	*p = j->peer;
	struct ibuf		*b;

	if ((b = imsg_create(&p->iev.ibuf, IMSG_CRYPTOD_JOB_DONE,
	    (uint32_t)p->child->instance, -1, 64 + strlen(text))) == NULL ||
	    imsg_add_u64(b, j->id) == -1 || imsg_add_u32(b, outcome) == -1 ||
	    imsg_add_u32(b, code) == -1 || imsg_add_string(b, enhanced) == -1 ||
	    imsg_add_string(b, text) == -1)
		fatal("compose JOB_DONE");
	imsg_close(&p->iev.ibuf, b);
	imsgev_update(&p->iev);
}

/* ------------------------------------------------------------ groups */

/* The recipients (indices) that got one action. */
struct rcptset {
	uint32_t	*idx;
	uint32_t	 n;
};

static void
rcptset_collect(const struct plan *pl, enum plan_action a, struct rcptset *s)
{
	s->n = 0;
	if ((s->idx = calloc(pl->n ? pl->n : 1, sizeof(*s->idx))) == NULL)
		fatal("rcptset");
	for (size_t i = 0; i < pl->n; i++)
		if (pl->rcpt[i].action == a)
			s->idx[s->n++] = (uint32_t)i;
}

static void
refuse_all(struct job *j, const struct rcptset *s, const struct job_err *e)
{
	for (uint32_t i = 0; i < s->n; i++)
		reply_refuse(j, s->idx[i], e);
}

/* The original, unchanged, to these recipients. */
static void
group_original(struct job *j, const struct rcptset *s)
{
	int	 fd;

	if (s->n == 0)
		return;
	if ((fd = dup(j->fd)) == -1)
		fatal("dup");
	reply_group(j, (j->flags & JOB_F_8BIT) ? GROUP_F_8BIT : 0, s->idx,
	    s->n, fd);
}

/*
 * 1 when the sealed output holds 8-bit bytes (the relay must say so).
 * Read in small pieces, not mapped: a mapping would count the whole
 * output again in this worker's memory while the input is mapped too.
 */
static int
fd_has_8bit(int fd, uint64_t size)
{
	unsigned char	 b[65536];
	uint64_t	 off = 0;
	ssize_t		 n;

	while (off < size) {
		if ((n = pread(fd, b, sizeof(b), (off_t)off)) <= 0)
			return 1;	/* unreadable: claim 8 bit, the safe way */
		for (ssize_t i = 0; i < n; i++)
			if (b[i] & 0x80)
				return 1;
		off += (uint64_t)n;
	}
	return 0;
}

/* Seal a written spool and send it as a group; the relay is told when it
 * holds 8-bit bytes.  -1 (nothing sent) when the spool failed: a
 * truncated message is never sent. */
static int
group_seal(struct job *j, struct spool *sp, uint32_t flags,
    const struct rcptset *s)
{
	uint64_t	 size;
	int		 fd;

	if (spool_seal(sp) == -1 || memfd_check_sealed(sp->fd, &size) == -1) {
		log_warn("job %llu: output", (unsigned long long)j->id);
		spool_discard(sp);
		return -1;
	}
	fd = sp->fd;
	sp->fd = -1;
	spool_discard(sp);
	if (fd_has_8bit(fd, size))
		flags |= GROUP_F_8BIT;
	reply_group(j, flags, s->idx, s->n, fd);
	return 0;
}

/* A message for these recipients, or a 4xx for them. */
static void
group_spool(struct job *j, struct spool *sp, uint32_t flags,
    const struct rcptset *s)
{
	struct job_err	 err;

	if (group_seal(j, sp, flags, s) == -1) {
		job_err_set(&err, 451, "4.3.0", "cannot write the output, "
		    "try again later");
		refuse_all(j, s, &err);
	}
}

static void
spool_new(struct spool *sp)
{
	if (spool_open(sp, "pgpmg-out") == -1)
		fatal("output spool");
}

/* ------------------------------------------------------------ outgoing */

static void
job_outgoing(struct job *j, struct message *m, const struct plan *pl,
    enum plan_action a)
{
	struct rcptset	 s;
	struct spool	 sp;
	struct job_err	 err;
	gpgme_key_t	*keys;
	size_t		 nk = 0;
	int		 rc;

	rcptset_collect(pl, a, &s);
	if (s.n == 0) {
		free(s.idx);
		return;
	}
	if (a == PLAN_PASS || ((a == PLAN_ENCRYPT || a == PLAN_INLINE) &&
	    out_is_encrypted(m))) {
		group_original(j, &s);
		free(s.idx);
		return;
	}
	if ((keys = calloc((size_t)s.n + 1, sizeof(*keys))) == NULL)
		fatal("keys");
	for (uint32_t i = 0; i < s.n; i++) {
		gpgme_key_t k = pl->rcpt[s.idx[i]].key;
		int dup = 0;
		for (size_t q = 0; q < nk; q++)
			dup |= keys[q] == k;
		if (k != NULL && !dup)
			keys[nk++] = k;
	}
	spool_new(&sp);
	memset(&err, 0, sizeof(err));
	if (a == PLAN_SIGN)
		rc = out_sign(cryptod, m, pl->signer, &sp, &err);
	else if (a == PLAN_INLINE &&
	    (rc = out_inline(cryptod, m, keys, pl->signer, &sp, &err)) == -1 &&
	    err.code == 0) {
		/* Not a single text part: PGP/MIME is the only safe form. */
		spool_discard(&sp);
		spool_new(&sp);
		rc = out_encrypt(cryptod, m, keys, pl->signer, &sp, &err);
	} else if (a != PLAN_INLINE)
		rc = out_encrypt(cryptod, m, keys, pl->signer, &sp, &err);
	free(keys);
	if (rc == -1 && a == PLAN_SIGN && err.code >= 500) {
		/* Signing is no promise of secrecy: a message that cannot be
		 * signed (too deep, too large) goes as it came. */
		spool_discard(&sp);
		log_warnx("job %llu: not signed: %s", (unsigned long long)j->id,
		    err.text);
		group_original(j, &s);
	} else if (rc == -1) {
		/* Never the clear text instead: the recipients are refused
		 * (4xx: the client tries again later). */
		spool_discard(&sp);
		log_warnx("job %llu: %s for %u recipient%s: %s",
		    (unsigned long long)j->id, plan_action_name(a), s.n,
		    s.n == 1 ? "" : "s", err.text);
		refuse_all(j, &s, &err);
	} else
		group_spool(j, &sp, 0, &s);
	free(s.idx);
}

/* ------------------------------------------------------------ incoming */

/* May this recipient read the decrypted form: does it hold the key that
 * decrypted every block?  (Which key decrypted is gpg's word, not the
 * message's claims, which a sender can forge.) */
static int
rcpt_reads(const char *addr, const struct in_result *res)
{
	if (res->ndec == 0)
		return 0;
	for (size_t i = 0; i < res->ndec; i++)
		if (!keystore_holds(&cryptod->keys, addr, res->dec_key[i]))
			return 0;
	return 1;
}

static void
job_notice(struct job *j, struct message *m, const struct rcptset *s,
    const char *reason)
{
	struct spool	 sp;

	spool_new(&sp);
	if (in_notice(cryptod, m, reason, &sp) == -1) {
		spool_discard(&sp);
		log_warnx("job %llu: notice could not be written",
		    (unsigned long long)j->id);
		return;
	}
	/* A notice that cannot be made is logged, not a failure of the
	 * message it is about. */
	(void)group_seal(j, &sp, GROUP_F_NOTICE, s);
}

static void
job_incoming(struct job *j, struct message *m, const struct plan *pl)
{
	struct message	 mi;
	struct rcptset	 s, readers, others;
	struct spool	 sp;
	struct in_result res;
	struct job_err	 err;

	rcptset_collect(pl, PLAN_INCOMING, &s);
	if (s.n == 0) {
		free(s.idx);
		return;
	}
	/* A parse of its own: what incoming records on the tree (decrypted
	 * parts) must never reach the outgoing forms of the same message. */
	mi = *m;
	if ((mi.mime_err = mime_parse(m->data, m->len, &mi.mime)) != 0)
		mi.mime = NULL;
	mi.made7 = 0;
	mi.changed7 = 0;
	m = &mi;
	spool_new(&sp);
	memset(&err, 0, sizeof(err));
	if (in_process(cryptod, m, &sp, &res, &err) == -1) {
		spool_discard(&sp);
		refuse_all(j, &s, &err);
		goto out;
	}
	if (res.dec != IN_DEC_OK) {
		group_spool(j, &sp, 0, &s);
		if (res.dec == IN_DEC_FAILED)
			job_notice(j, m, &s, res.reason);
		goto out;
	}
	/* Decrypted: only for those it was encrypted to; the others get it
	 * as it came, and a notice. */
	readers.idx = calloc(s.n, sizeof(*readers.idx));
	others.idx = calloc(s.n, sizeof(*others.idx));
	if (readers.idx == NULL || others.idx == NULL)
		fatal("rcptset");
	readers.n = others.n = 0;
	for (uint32_t i = 0; i < s.n; i++) {
		if (rcpt_reads(j->rcpts[s.idx[i]], &res))
			readers.idx[readers.n++] = s.idx[i];
		else
			others.idx[others.n++] = s.idx[i];
	}
	if (readers.n > 0)
		group_spool(j, &sp, 0, &readers);
	else
		spool_discard(&sp);
	if (others.n > 0) {
		static const char why[] = "not encrypted to your key";

		spool_new(&sp);
		if (in_original(cryptod, m, why, &sp) == -1) {
			job_err_set(&err, 451, "4.3.0", "cannot write the "
			    "output, try again later");
			spool_discard(&sp);
			refuse_all(j, &others, &err);
		} else {
			group_spool(j, &sp, 0, &others);
			job_notice(j, m, &others, why);
		}
	}
	free(readers.idx);
	free(others.idx);
out:
	mime_free(mi.mime);
	free(s.idx);
}

/* ------------------------------------------------------------ poison */

/*
 * The message killed workers before.  Nothing more than its header is
 * parsed: incoming, it is delivered as it came, marked; outgoing that
 * policy would encrypt is refused, never sent in the clear; the rest
 * passes unchanged.
 */
static void
job_poison(struct job *j, struct message *m, const struct plan *pl)
{
	static const struct job_err refuse = { 554, "5.7.0",
	    "message could not be processed and must not leave unencrypted" };
	struct rcptset	 s;
	struct spool	 sp;

	for (int a = 0; a < PLAN_NACTIONS; a++) {
		rcptset_collect(pl, (enum plan_action)a, &s);
		if (s.n == 0) {
			free(s.idx);
			continue;
		}
		switch (a) {
		case PLAN_ENCRYPT:
		case PLAN_INLINE:
			refuse_all(j, &s, &refuse);
			break;
		case PLAN_INCOMING:
			spool_new(&sp);
			if (m->mime == NULL || in_original(cryptod, m,
			    "message could not be processed", &sp) == -1) {
				struct job_err e;
				spool_discard(&sp);
				job_err_set(&e, 554, "5.6.0", "message could "
				    "not be processed");
				refuse_all(j, &s, &e);
			} else
				group_spool(j, &sp, 0, &s);
			break;
		default:
			group_original(j, &s);
		}
		free(s.idx);
	}
}

/* ------------------------------------------------------------ process */

/* The header block's end: a poisoned message is parsed no further. */
static size_t
header_len(const char *p, size_t len)
{
	const char	*e = memmem(p, len, "\r\n\r\n", 4);

	return e != NULL ? (size_t)(e - p) + 4 : len;
}

static void
job_process(struct job *j)
{
	struct message	 m;
	struct plan	 pl;
	uint64_t	 size;
	const char	**rv;

	memset(&m, 0, sizeof(m));
	if (memfd_check_sealed(j->fd, &size) == -1)
		fatal("job %llu: message is not a sealed memfd",
		    (unsigned long long)j->id);
	m.fd = j->fd;
	m.len = (size_t)size;
	m.data = "";
	if (size > 0 && (m.data = mmap(NULL, m.len, PROT_READ, MAP_PRIVATE,
	    j->fd, 0)) == MAP_FAILED)
		fatal("job %llu: mmap", (unsigned long long)j->id);
#ifdef PGPMG_TEST_POISON
	/* Only in tests/integration/poison_cryptod, never installed: a
	 * worker that dies on a marked message, as a real bug would. */
	if (!(j->flags & JOB_F_POISON) &&
	    memmem(m.data, m.len, "X-Test-Poison: die", 18) != NULL)
		abort();
#endif
	m.mime_err = mime_parse(m.data, (j->flags & JOB_F_POISON) ?
	    header_len(m.data, m.len) : m.len, &m.mime);
	if (m.mime_err != 0)
		m.mime = NULL;

	if ((rv = calloc(j->nrcpt, sizeof(*rv))) == NULL)
		fatal("rcpts");
	for (uint32_t i = 0; i < j->nrcpt; i++)
		rv[i] = j->rcpts[i];
	if (plan_default(cryptod->conf, &cryptod->keys, j->sender, rv,
	    j->nrcpt, &pl) == -1)
		fatal("plan");
	free(rv);
	for (uint32_t i = 0; i < j->nrcpt; i++)
		log_debug("job %llu: <%s> -> <%s>: %s (%s)",
		    (unsigned long long)j->id, j->sender, j->rcpts[i],
		    plan_action_name(pl.rcpt[i].action), pl.rcpt[i].rule);

	if (j->flags & JOB_F_POISON)
		job_poison(j, &m, &pl);
	else {
		job_incoming(j, &m, &pl);
		for (int a = PLAN_PASS; a <= PLAN_INLINE; a++)
			job_outgoing(j, &m, &pl, (enum plan_action)a);
	}
	reply_done(j, JOB_OK, 250, "2.0.0", "processed");
	plan_free(&pl);
	mime_free(m.mime);
	if (m.len > 0)
		munmap((void *)(uintptr_t)m.data, m.len);
}

/* ------------------------------------------------------------ assembly */

static void
job_rcpt(struct child *c, struct imsg *imsg)
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
job_run(struct job *j)
{
	log_debug("job %llu: from <%s> to %u recipient%s",
	    (unsigned long long)j->id, j->sender, j->nrcpt,
	    j->nrcpt == 1 ? "" : "s");
	job_process(j);
	job_free(j);
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
	if (keystore_ready(&cryptod->keys)) {
		job_run(j);
		return;
	}
	/* No key store yet: running now could send in the clear what a
	 * key should protect.  Wait for it (bounded). */
	if (nwaiting >= JOB_MAX_WAITING) {
		reply_done(j, JOB_TEMPFAIL, 451, "4.3.0",
		    "key store not loaded yet, try again later");
		job_free(j);
		return;
	}
	TAILQ_INSERT_TAIL(&waiting, j, entry);
	nwaiting++;
}

void
job_keystore_loaded(void)
{
	struct job	*j;

	while ((j = TAILQ_FIRST(&waiting)) != NULL) {
		TAILQ_REMOVE(&waiting, j, entry);
		nwaiting--;
		job_run(j);
	}
}

void
job_peer_msg(struct child *c, struct child_peer *p, struct imsg *imsg)
{
	switch (imsg->hdr.type) {
	case IMSG_SMTPD_JOB_RCPT:
		job_rcpt(c, imsg);
		job_cur->peer = p;
		break;
	case IMSG_SMTPD_JOB_START:
		job_start(imsg);
		break;
	default:
		fatalx("unexpected %s from %s", imsg_type_name(imsg->hdr.type),
		    proc_name(p->proc));
	}
}
