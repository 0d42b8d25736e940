/*
 * admin_internal: what admin.c shares with the files that carry out its
 * commands (users.c): the request, its output, and its one answer.
 */
#ifndef PGPMG_POLICYD_ADMIN_INTERNAL_H
#define PGPMG_POLICYD_ADMIN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/msg.h"
#include "common/policydef.h"
#include "common/userdef.h"

struct child;
struct db_result;

struct admin_req {
	struct child	*c;
	uint32_t	 request;
	uint32_t	 op;
	int		 was_up;	/* the database, when it was asked */
	char		 actor[48];
	/* Checked values, as the statement takes them. */
	int		 setting;
	int		 scope;
	char		 value[POL_VALUE_MAX + 1];
	char		 pattern[POL_VALUE_MAX + 1];
	/* users.c: the address as given, the field of `user set`. */
	char		 address[USER_ADDRESS_MAX + 1];
	int		 field;
	/* The output so far. */
	char		*out;
	size_t		 outlen;
	size_t		 outcap;
	int		 overflow;	/* over ADMIN_OUTPUT_MAX */
};

/* One operation: the request, and its arguments as they came. */
typedef void	(*admin_op_fn)(struct admin_req *,
		    char [][ADMIN_ARG_MAX + 1]);

/* Output, kept until the answer (an overflow fails it). */
void	admin_print(struct admin_req *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* The answer: the output in chunks, then DONE with code and msg; the
 * request is freed. */
void	admin_finish(struct admin_req *, uint32_t code, const char *msg);
void	admin_fail(struct admin_req *, uint32_t code, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
/*
 * A failed statement's answer: unavailable (nothing changed when the
 * database was down when asked; for a change whose statement got no
 * answer, that it may have been made), exists (a unique violation, when
 * that message is given), a value the database refused, or anything else.
 */
void	admin_db_error(struct admin_req *, const struct db_result *,
	    int change, const char *exists);
/* True for rows of ncols columns. */
int	admin_rows(const struct db_result *, int ncols);

#endif /* PGPMG_POLICYD_ADMIN_INTERNAL_H */
