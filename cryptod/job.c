/*
 * Jobs from smtpd.  smtpd sends a job's recipients and then its START in
 * one burst, so on one channel a job is always complete before the next
 * begins: cryptod keeps one job under assembly per channel, and anything
 * out of that order is a protocol violation.
 *
 * Until the crypto lands (issue 4) every job is passed through unchanged:
 * one group, every recipient, the very same sealed memfd.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/memfd.h"
#include "common/msg.h"
#include "cryptod/job.h"
#include "imsg/imsg.h"
#include "smtpd/envelope.h"

struct job {
	struct child_peer *peer;	/* the smtpd channel it came from */
	uint64_t	 id;
	int		 assembling;
	char		 sender[SMTP_PATH_MAX + 1];
	char		(*rcpts)[SMTP_PATH_MAX + 1];
	uint32_t	 nrcpt;
	uint32_t	 cap;
};

/* One job under assembly per smtpd channel (there is one smtpd). */
static struct job	 job_cur;

static void
job_reset(struct job *j)
{
	free(j->rcpts);
	memset(j, 0, sizeof(*j));
}

static void
job_rcpt(struct child *c, struct job *j, struct imsg *imsg)
{
	struct imsg_reader	 r;
	const char		*addr;
	uint64_t		 id;

	imsg_reader_init(&r, imsg);
	if (imsg_read_u64(&r, &id) == -1 ||
	    imsg_read_string(&r, &addr, SMTP_PATH_MAX) == -1 ||
	    imsg_reader_end(&r) == -1)
		fatalx("malformed SMTPD_JOB_RCPT");
	if (!j->assembling) {
		j->assembling = 1;
		j->id = id;
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
job_done(struct child_peer *p, uint64_t id, uint32_t outcome, uint32_t code,
    const char *enhanced, const char *text)
{
	struct ibuf	*b;

	if ((b = imsg_create(&p->iev.ibuf, IMSG_CRYPTOD_JOB_DONE,
	    (uint32_t)p->child->instance, -1, 64 + strlen(text))) == NULL ||
	    imsg_add_u64(b, id) == -1 || imsg_add_u32(b, outcome) == -1 ||
	    imsg_add_u32(b, code) == -1 || imsg_add_string(b, enhanced) == -1 ||
	    imsg_add_string(b, text) == -1)
		fatal("compose JOB_DONE");
	imsg_close(&p->iev.ibuf, b);
	imsgev_update(&p->iev);
}

/* Pass-through: the message goes, unchanged, to every recipient. */
static void
job_process(struct job *j, int fd)
{
	struct child_peer	*p = j->peer;
	struct ibuf		*b;

	if ((b = imsg_create(&p->iev.ibuf, IMSG_CRYPTOD_JOB_GROUP,
	    (uint32_t)p->child->instance, fd,
	    12 + 4 * (size_t)j->nrcpt)) == NULL ||
	    imsg_add_u64(b, j->id) == -1 || imsg_add_u32(b, j->nrcpt) == -1)
		fatal("compose JOB_GROUP");
	for (uint32_t i = 0; i < j->nrcpt; i++)
		if (imsg_add_u32(b, i) == -1)
			fatal("compose JOB_GROUP");
	imsg_close(&p->iev.ibuf, b);
	job_done(p, j->id, JOB_OK, 250, "2.0.0", "passed through");
}

static void
job_start(struct child *c, struct job *j, struct imsg *imsg)
{
	struct imsg_reader	 r;
	const char		*sender;
	uint64_t		 id, size;
	uint32_t		 nrcpt, flags;
	int			 fd;

	(void)c;
	imsg_reader_init(&r, imsg);
	if (imsg_read_u64(&r, &id) == -1 ||
	    imsg_read_string(&r, &sender, SMTP_PATH_MAX) == -1 ||
	    imsg_read_u32(&r, &nrcpt) == -1 || imsg_read_u32(&r, &flags) == -1 ||
	    imsg_reader_end(&r) == -1 || (fd = imsg_get_fd(imsg)) == -1)
		fatalx("malformed SMTPD_JOB_START");
	if (!j->assembling || id != j->id || nrcpt != j->nrcpt || nrcpt == 0)
		fatalx("SMTPD_JOB_START for job %llu does not match its "
		    "%u recipients", (unsigned long long)id, j->nrcpt);
	/* An fd its sender could still change would let the message differ
	 * between what we check and what is relayed. */
	if (memfd_check_sealed(fd, &size) == -1)
		fatal("job %llu: message is not a sealed memfd",
		    (unsigned long long)id);
	memcpy(j->sender, sender, strlen(sender) + 1);
	log_debug("job %llu: %llu bytes from <%s> to %u recipient%s",
	    (unsigned long long)id, (unsigned long long)size, j->sender, nrcpt,
	    nrcpt == 1 ? "" : "s");
	job_process(j, fd);
	job_reset(j);
}

void
job_peer_msg(struct child *c, struct child_peer *p, struct imsg *imsg)
{
	struct job	*j = &job_cur;

	j->peer = p;
	switch (imsg->hdr.type) {
	case IMSG_SMTPD_JOB_RCPT:
		job_rcpt(c, j, imsg);
		break;
	case IMSG_SMTPD_JOB_START:
		job_start(c, j, imsg);
		break;
	default:
		fatalx("unexpected %s from %s", imsg_type_name(imsg->hdr.type),
		    proc_name(p->proc));
	}
}
