/*
 * The parent's part in pgpmgctl's policy, rule, domain and user commands: a
 * client's IMSG_CTL_ADMIN goes to policyd as IMSG_PARENT_ADMIN under the
 * parent's own request id, with the uid the control socket's
 * SO_PEERCRED gave for that client (the audit trail's "who": a client
 * cannot claim another).  policyd's output (IMSG_POLICYD_ADMIN_DATA) is
 * collected in a sealed memfd, bounded at ADMIN_OUTPUT_MAX, and goes to
 * the client with IMSG_POLICYD_ADMIN_DONE as IMSG_CTL_DATA and
 * IMSG_CTL_END, or an error as IMSG_CTL_ERROR with the ADMIN_E_* code in
 * its peerid (control.c).  The parent bounds the wait (ctlfwd.c): policyd
 * runs at most a few statements in a row for a command, each bounded by
 * database-timeout.
 */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/memfd.h"
#include "common/msg.h"
#include "imsg/imsg.h"
#include "pgpmgd/pgpmgd.h"

/* A command's statements, one after the other, with audit retries. */
#define ADMINFWD_TIMEOUTS	4
#define ADMINFWD_GRACE_SEC	5

int
adminfwd_request(int client, uint64_t serial, uint32_t uid, uint32_t op,
    const char *const *args, char *err, size_t errlen)
{
	struct proc_slot	*s;
	struct ctlfwd_req	*q;
	struct ibuf		*b;
	size_t			 len = 3 * sizeof(uint32_t);

	if ((q = ctlfwd_new(CTLFWD_ADMIN, client, serial, ADMINFWD_TIMEOUTS *
	    pgpmgd->conf.database_timeout + ADMINFWD_GRACE_SEC, &s, err,
	    errlen)) == NULL)
		return -1;
	if (spool_open(&q->out, "pgpmg-admin") == -1) {
		ctlfwd_free(q);
		snprintf(err, errlen, "memfd for the output");
		return -1;
	}
	q->out_open = 1;
	for (int i = 0; i < ADMIN_NARGS; i++)
		len += strlen(args[i]) + 1;
	if ((b = imsg_create(&s->iev.ibuf, IMSG_PARENT_ADMIN, 0, -1, len)) ==
	    NULL || imsg_add_u32(b, q->id) == -1 ||
	    imsg_add_u32(b, uid) == -1 || imsg_add_u32(b, op) == -1)
		fatal("compose PARENT_ADMIN");
	for (int i = 0; i < ADMIN_NARGS; i++)
		if (imsg_add_string(b, args[i]) == -1)
			fatal("compose PARENT_ADMIN");
	imsg_close(&s->iev.ibuf, b);
	imsgev_update(&s->iev);
	return 0;
}

/* A chunk of output: into the request's memfd, if anybody waits. */
int
adminfwd_data(struct imsg *imsg)
{
	struct imsg_reader	 r;
	struct ctlfwd_req	*q;
	const char		*text;
	uint32_t		 id;

	imsg_reader_init(&r, imsg);
	if (imsg_read_u32(&r, &id) == -1 ||
	    imsg_read_string(&r, &text, ADMIN_TEXT_MAX - 1) == -1 ||
	    imsg_reader_end(&r) == -1)
		return -1;
	if ((q = ctlfwd_find(CTLFWD_ADMIN, id)) == NULL)
		return 0;
	if (q->out.size + strlen(text) > ADMIN_OUTPUT_MAX)
		return -1;	/* policyd bounds its output */
	if (spool_write(&q->out, text, strlen(text)) == -1) {
		control_admin_reply(q->client, q->serial, ADMIN_E_FAILED,
		    "memfd for the output", -1);
		ctlfwd_free(q);
	}
	return 0;
}

/* The end of policyd's answer: to the client waiting for it, if any. */
int
adminfwd_done(struct imsg *imsg)
{
	struct imsg_reader	 r;
	struct ctlfwd_req	*q;
	const char		*text;
	uint32_t		 id, code;
	int			 fd = -1;

	imsg_reader_init(&r, imsg);
	if (imsg_read_u32(&r, &id) == -1 || imsg_read_u32(&r, &code) == -1 ||
	    imsg_read_string(&r, &text, ADMIN_TEXT_MAX - 1) == -1 ||
	    imsg_reader_end(&r) == -1 || code > ADMIN_E_FAILED)
		return -1;
	if ((q = ctlfwd_find(CTLFWD_ADMIN, id)) == NULL)
		return 0;
	if (code == ADMIN_E_OK && q->out.size > 0) {
		if (spool_seal(&q->out) == -1) {
			control_admin_reply(q->client, q->serial,
			    ADMIN_E_FAILED, "memfd for the output", -1);
			ctlfwd_free(q);
			return 0;
		}
		fd = q->out.fd;
		q->out_open = 0;	/* the reply owns it now */
	}
	control_admin_reply(q->client, q->serial, code, text, fd);
	ctlfwd_free(q);
	return 0;
}
