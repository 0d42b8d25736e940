/*
 * opchain: a page's console operations, asked one after the other under
 * the request's session, each answer kept (a copy of its message and
 * output), then the page drawn from them all.  A page that changes
 * something asks for the change first and its lists after it, so that
 * it shows the state the change left.
 *
 * One after the other, not at once: a connection waits for one request
 * at a time (conn.c), each under its own deadline, and a list costs
 * policyd one statement.
 */
#ifndef PGPMG_WEBD_OPCHAIN_H
#define PGPMG_WEBD_OPCHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "common/msg.h"

struct conn;
struct evbuffer;

/* The most a page asks for: a change and the three lists of the policy
 * page. */
#define OPCHAIN_MAX	4

struct opchain_step {
	enum console_op		 op;
	const char		*password;	/* the form's, or NULL */
	const char		*args[CONSOLE_NARGS];	/* the request's, or
						 * constants; NULL: "" */
	int			 upload_fd;	/* a sealed memfd sent with it,
						 * or -1; the chain owns it */
	int			 last_if_ok;	/* nothing is asked after it
						 * once it succeeds (a change
						 * that ends the session) */
	/* the answer */
	int			 answered;
	int			 refused;	/* by webd, not asked: the
						 * status to answer */
	enum console_error	 error;
	uint32_t		 wait;
	char			*message;	/* never NULL once answered */
	char			*out;		/* NUL-terminated; wiped */
	size_t			 outlen;
};

struct opchain;
typedef void (*opchain_render)(struct conn *, struct opchain *);

struct opchain {
	struct opchain_step	 steps[OPCHAIN_MAX];
	int			 n;
	int			 next;
	opchain_render		 render;
	const void		*arg;		/* the page's */
	int			 change;	/* steps[0] is a change posted
						 * (or its refusal): its banner
						 * leads the page, its status
						 * is the page's */
	void			*owned;		/* the page's, free()d with the
						 * chain */
};

/* A chain for c, freed (and its answers wiped) with the request. */
struct opchain	*opchain_new(struct conn *, opchain_render, const void *arg);
/* Add an operation; its strings must live as long as the request. */
struct opchain_step *opchain_add(struct opchain *, enum console_op,
		    const char *password);
/* An operation webd refuses itself, before anything is asked: it
 * counts as answered with this status and message (for the person; the
 * whole banner). */
void		 opchain_refused(struct opchain *, enum console_op,
		    int status, const char *message);
/* Ask for them all, then render; or the request was answered 503. */
void		 opchain_start(struct conn *, struct opchain *);

/*
 * The status a page answers with.  After a change, the change's (its
 * refusal's, or page_status() of its answer): a list that failed after
 * it is shown failed in its place, but the request was the change, and
 * a 503 for a change that was made would invite sending it again.
 * Otherwise that of the first answer that was no success, else 200.
 */
int		 opchain_status(const struct opchain *, uint32_t *retry_after);

/* The banner of an answer: policyd's words (page_result_of; for a lock
 * without a message, the seconds to wait), or the refusal's. */
void		 opchain_banner(struct evbuffer *, const struct opchain_step *);

/* A list that did not come: its banner where the list would be, and 1;
 * 0 when it came. */
int		 opchain_list_failed(struct evbuffer *,
		    const struct opchain_step *);

#endif /* PGPMG_WEBD_OPCHAIN_H */
