/*
 * message: one message under processing, as the job's files share it: the
 * mapped sealed memfd smtpd sent, its MIME index, and how a failure is to
 * be answered.
 */
#ifndef PGPMG_CRYPTOD_MESSAGE_H
#define PGPMG_CRYPTOD_MESSAGE_H

#include <stddef.h>

#include "cryptod/mime.h"

struct message {
	int			 fd;		/* the sealed input */
	const char		*data;		/* mapped read-only */
	size_t			 len;
	struct mime_msg		*mime;		/* NULL: mime_err says why */
	int			 mime_err;
	int			 made7;		/* mime_make_7bit() ran */
	size_t			 changed7;	/* leaves it re-encoded */

	/* What the policy says for this message (PLAN_DONE_F_*). */
	int			 decrypt;	/* decrypt incoming */
	int			 protect;	/* protected headers */
	char			*subject;	/* outgoing Subject value to
						   write instead (keyword
						   removed), or NULL */
};

/* Why a group could not be produced, as the reply to give. */
struct job_err {
	int			 code;		/* 4xx or 5xx */
	char			 enhanced[16];
	char			 text[256];
};

void	job_err_set(struct job_err *, int code, const char *enhanced,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif /* PGPMG_CRYPTOD_MESSAGE_H */
