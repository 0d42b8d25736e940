/*
 * job_exec: a planned job carried out: one output message per group of
 * recipients that get the same treatment (one encryption to all the keys
 * of a group, not one per recipient), a refusal for each recipient that
 * gets none, the results to policyd, and DONE to smtpd.
 */
#include <sys/mman.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/log.h"
#include "common/memfd.h"
#include "common/msg.h"
#include "cryptod/hdr.h"
#include "cryptod/incoming.h"
#include "cryptod/job_internal.h"
#include "cryptod/outgoing.h"
#include "imsg/imsg.h"

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

void
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
		j->res_out |= RESULT_F_REFUSED;
		snprintf(j->res_detail, sizeof(j->res_detail), "%s: %s",
		    plan_action_name(a), err.text);
	} else {
		group_spool(j, &sp, 0, &s);
		if (a == PLAN_SIGN)
			j->res_out |= RESULT_F_SIGNED;
		else
			j->res_out |= RESULT_F_ENCRYPTED |
			    (pl->signer != NULL ? RESULT_F_SIGNED : 0);
	}
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
	for (size_t i = 0; i < res.nsigs; i++)
		j->res_in |= res.sigs[i].state == PGP_SIG_GOOD ?
		    RESULT_F_SIG_GOOD : RESULT_F_SIG_BAD;
	if (res.dec == IN_DEC_OK)
		j->res_in |= RESULT_F_DECRYPTED;
	else if (res.dec == IN_DEC_FAILED) {
		j->res_in |= RESULT_F_FAILED;
		snprintf(j->res_detail, sizeof(j->res_detail),
		    "decryption failed: %s", res.reason);
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

	for (int a = PLAN_PASS; a <= PLAN_INCOMING; a++) {
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

/* ------------------------------------------------------------ policy */

/* Recipients the policy refuses: bounced (no key, must be encrypted) or
 * held (4xx: Postfix keeps it until the policy changes or it expires). */
static void
job_refusals(struct job *j, const struct plan *pl)
{
	struct job_err	 e;

	for (uint32_t i = 0; i < pl->n; i++) {
		const struct plan_rcpt *r = &pl->rcpt[i];

		if (r->action == PLAN_BOUNCE)
			job_err_set(&e, 550, "5.7.1", "no OpenPGP key for "
			    "<%s>, and the policy requires encryption (%s)",
			    j->rcpts[i], r->rule);
		else if (r->action == PLAN_HOLD)
			job_err_set(&e, 450, "4.7.1", "held: no OpenPGP key "
			    "for <%s> and the policy holds such mail (%s)",
			    j->rcpts[i], r->rule);
		else
			continue;
		reply_refuse(j, i, &e);
		j->res_out |= RESULT_F_REFUSED;
		if (j->res_rcpt_out == NULL) {
			j->res_rcpt_out = j->rcpts[i];
			snprintf(j->res_detail, sizeof(j->res_detail), "%s",
			    e.text);
		}
	}
}

/* The keyword out of the Subject, as the keyword mode wants. */
static void
job_subject(struct job *j, struct message *m, const struct plan *pl)
{
	const struct mime_field	*f;
	struct buf		 dec, out;

	if (pl->keyword[0] == '\0' || m->mime == NULL ||
	    (f = mime_field_find(m->mime->root, "Subject")) == NULL)
		return;
	buf_init(&dec, 16384);
	buf_init(&out, 65536);
	if (mime_decode_2047(f->value, f->value_len, &dec) == 0 &&
	    hdr_subject_without(dec.data != NULL ? dec.data : "", dec.len,
	    pl->keyword, &out) == 0 && (m->subject = strdup(out.data != NULL ?
	    out.data : "")) == NULL)
		fatal("subject");
	buf_free(&dec);
	buf_free(&out);
	(void)j;
}

/* Statistics and, for failures and refusals, the audit trail. */
static void
job_results(struct job *j)
{
	struct child_peer	*p = child_peer_find(cryptod->child,
				    PROC_POLICYD, 0);
	struct ibuf		*b;
	struct {
		uint32_t	 dir, flags;
		const char	*rcpt;
	} r[2] = {
		{ RESULT_DIR_IN, j->res_in, j->res_rcpt_in },
		{ RESULT_DIR_OUT, j->res_out, j->res_rcpt_out },
	};

	if (p == NULL || !p->up)
		return;
	for (int i = 0; i < 2; i++) {
		if (r[i].rcpt == NULL)
			continue;
		if ((b = imsg_create(&p->iev.ibuf, IMSG_CRYPTOD_RESULT,
		    (uint32_t)cryptod->child->instance, -1, 1024)) == NULL ||
		    imsg_add_u32(b, r[i].dir) == -1 ||
		    imsg_add_u32(b, r[i].flags) == -1 ||
		    imsg_add_u32(b, 1) == -1 ||
		    imsg_add_string(b, j->sender) == -1 ||
		    imsg_add_string(b, r[i].rcpt) == -1 ||
		    imsg_add_string(b, (r[i].flags & (RESULT_F_FAILED |
		    RESULT_F_REFUSED)) ? j->res_detail : "") == -1)
			fatal("compose CRYPTOD_RESULT");
		imsg_close(&p->iev.ibuf, b);
	}
	imsgev_update(&p->iev);
}

void
job_execute(struct job *j)
{
	struct message	*m = &j->m;
	struct plan	*pl = &j->pl;

	m->decrypt = (pl->flags & PLAN_DONE_F_DECRYPT) != 0;
	m->protect = (pl->flags & PLAN_DONE_F_PROTECT) != 0;
	for (uint32_t i = 0; i < j->nrcpt; i++) {
		log_debug("job %llu: <%s> -> <%s>: %s (%s)",
		    (unsigned long long)j->id, j->sender, j->rcpts[i],
		    plan_action_name(pl->rcpt[i].action), pl->rcpt[i].rule);
		if (pl->rcpt[i].action == PLAN_INCOMING) {
			if (j->res_rcpt_in == NULL)
				j->res_rcpt_in = j->rcpts[i];
		} else if (j->res_rcpt_out == NULL &&
		    pl->rcpt[i].action != PLAN_PASS)
			j->res_rcpt_out = j->rcpts[i];
	}
	job_refusals(j, pl);
	job_subject(j, m, pl);
	if (j->flags & JOB_F_POISON)
		job_poison(j, m, pl);
	else {
		job_incoming(j, m, pl);
		for (int a = PLAN_PASS; a <= PLAN_INLINE; a++)
			job_outgoing(j, m, pl, (enum plan_action)a);
	}
	reply_done(j, JOB_OK, 250, "2.0.0", "processed");
	job_results(j);
}
