/*
 * admin_internal: what admin.c shares with the files that carry out its
 * commands (users.c) and with the console's operations (console_op.c,
 * which runs the same commands for webd): the request, its output, and
 * its one answer, to whoever asked.
 */
#ifndef PGPMG_POLICYD_ADMIN_INTERNAL_H
#define PGPMG_POLICYD_ADMIN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/msg.h"
#include "common/passhash.h"
#include "common/policydef.h"
#include "common/userdef.h"
#include "policyd/audit.h"

struct child;
struct console_op_req;
struct db_result;
struct imsgev;

/* Who asked, and so where the answer goes. */
enum admin_to {
	ADMIN_TO_PARENT = 0,	/* pgpmgctl through the parent: ADMIN_DATA,
				   ADMIN_DONE with an ADMIN_E_* code */
	ADMIN_TO_WEBD,		/* the console: OP_DATA, OP_DONE with the
				   code as a CONSOLE_E_* (console_op.c) */
};

struct admin_req {
	struct child	*c;
	enum admin_to	 to;
	uint32_t	 request;
	uint32_t	 op;		/* ADMIN_OP_*, or 0 for a console op
				   of its own */
	int		 was_up;	/* the database, when it was asked */
	char		 actor[AUDIT_ACTOR_MAX + 1];
	/* Checked values, as the statement takes them. */
	int		 setting;
	int		 scope;
	char		 value[POL_VALUE_MAX + 1];
	char		 pattern[POL_VALUE_MAX + 1];
	/* users.c: the address as given, the field of `user set`, a new
	 * user's display name and role. */
	char		 address[USER_ADDRESS_MAX + 1];
	int		 field;
	char		 name[USER_NAME_MAX + 1];
	int		 role;
	/* A password the console made for a user (USER_ADD, USER_RESET),
	 * printed once as "password\tPASSWORD" when it is stored; wiped
	 * with the request. */
	char		 onetime[PASSHASH_RANDOM_MAX + 1];
	/* The console's request (ADMIN_TO_WEBD), else NULL. */
	struct console_op_req *cop;
	/* The output so far. */
	char		*out;
	size_t		 outlen;
	size_t		 outcap;
	int		 overflow;	/* over ADMIN_OUTPUT_MAX */
};

/* One operation: the request, and its arguments as they came. */
typedef void	(*admin_op_fn)(struct admin_req *,
		    char [][ADMIN_ARG_MAX + 1]);

/* A request with nothing in it yet; was_up is the database now. */
struct admin_req *admin_req_new(struct child *, enum admin_to,
	    uint32_t request);
/* Free it, its output wiped (a one-time password may be in it). */
void	admin_req_free(struct admin_req *);
/* Run pgpmgctl's operation op (ADMIN_OP_*) for q, whoever asked: the
 * number of arguments is checked here, their values by the operation;
 * answered once, through admin_finish(). */
void	admin_run(struct admin_req *, uint32_t op,
	    char [][ADMIN_ARG_MAX + 1]);

/* Output, kept until the answer (an overflow fails it). */
void	admin_print(struct admin_req *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* The output so far as messages of type on iev, in chunks below
 * ADMIN_TEXT_MAX (a chunk may end in the middle of a line). */
void	admin_output(struct admin_req *, struct imsgev *, uint32_t type);
/* The answer: the output in chunks, then DONE with code (ADMIN_E_*) and
 * msg, to whoever asked; the request is freed. */
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
