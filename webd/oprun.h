/*
 * oprun: a page's console operations, asked one after the other under
 * the request's session, each answer kept (a copy: the output, the
 * message), then the page's render function with them all.  A page that
 * changes something puts the change first and the lists it shows after
 * it, so that the page shows the state the change left.
 *
 * One after the other, not at once: a connection waits for one request
 * at a time (conn.c), each is bounded by its own deadline, and the
 * lists are a few milliseconds each.
 */
#ifndef PGPMG_WEBD_OPRUN_H
#define PGPMG_WEBD_OPRUN_H

#include <stddef.h>
#include <stdint.h>

#include "common/msg.h"

struct conn;

/* The most a page asks for: a change and the three lists of the policy
 * page. */
#define OPRUN_MAX	4

struct oprun_op {
	enum console_op		 op;
	const char		*password;	/* the form's, or NULL */
	const char		*args[CONSOLE_NARGS];	/* the form's, or
						 * constants; NULL: "" */
	/* the answer */
	enum console_error	 error;
	uint32_t		 wait;
	char			*message;	/* never NULL once answered */
	char			*out;		/* NUL-terminated; wiped */
	size_t			 outlen;
};

struct oprun;
typedef void (*oprun_render)(struct conn *, struct oprun *);

struct oprun {
	struct oprun_op		 ops[OPRUN_MAX];
	int			 n;
	int			 next;
	oprun_render		 render;
	const void		*arg;		/* the page's */
	const void		*post;		/* the page's, for a change */
	int			 change;	/* ops[0] is the change posted */
};

/* A run for c, freed with the request's page state. */
struct oprun	*oprun_new(struct conn *, oprun_render, const void *arg);
/* Add an operation; args and password must live as long as the request
 * (the form's values, or constants). */
struct oprun_op	*oprun_add(struct oprun *, enum console_op,
		    const char *password);
/* Add one refused here, before anything was asked: it counts as
 * answered, and is not sent. */
void		 oprun_refused(struct oprun *, enum console_op,
		    enum console_error, const char *message);
/* Ask for them all, then render; or the request was answered 503. */
void		 oprun_start(struct conn *, struct oprun *);

/* The first answer that was no success, or NULL. */
const struct oprun_op *oprun_failed(const struct oprun *);

#endif /* PGPMG_WEBD_OPRUN_H */
