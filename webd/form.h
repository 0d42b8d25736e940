/*
 * form: application/x-www-form-urlencoded bodies (what a browser sends
 * for a <form method="post">) into name/value pairs.  Pure, for the unit
 * tests and the fuzz target; multipart (key uploads) is another parser.
 */
#ifndef PGPMG_FORM_H
#define PGPMG_FORM_H

#include <stddef.h>

/* A login or settings form is a few hundred bytes; 64 KiB leaves room
 * for a pasted key block while bounding what one request may make us
 * hold.  A larger Content-Length is answered 413 before it is read. */
#define FORM_BODY_MAX		(64 * 1024)
/* Our largest form will have a few dozen inputs. */
#define FORM_FIELDS_MAX		64

struct form_field {
	const char	*name;		/* decoded, NUL-terminated */
	const char	*value;
};

struct form {
	struct form_field	 fields[FORM_FIELDS_MAX];
	size_t			 n;
	char			*buf;	/* holds every name and value */
	size_t			 bufsize;
};

/*
 * Parse body[0..len): '&'-separated pairs, '+' for space, %XX escapes.
 * Every decoded name and value must be well-formed UTF-8 without NUL.
 * Returns 0, or the status to answer (400, 413, 500) with *why set; the
 * form is then empty.  form_free() wipes and releases what a success
 * holds (a form may carry a password).
 */
int	form_parse(const char *body, size_t len, struct form *,
	    const char **why);
void	form_free(struct form *);

/* The value of a field given exactly once; NULL when it is absent or
 * repeated (two answers to one question are no answer). */
const char *form_value(const struct form *, const char *name);
/* How many times a field was given. */
size_t	form_count(const struct form *, const char *name);

#endif /* PGPMG_FORM_H */
