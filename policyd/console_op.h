/*
 * console_op: the console's operations for webd (IMSG_WEBD_OP, common/
 * msg.h): what the framework (console_op.c: the message, the session,
 * the role, the password again, the answer) shares with the files that
 * carry the operations out.  pgpmgctl's policy, rule, domain and user
 * commands are run as they are (admin.c, users.c); the console's own are
 * in console_users.c (passwords it makes or sets), console_keys.c (keys),
 * console_status.c (the processes and the database), console_audit.c
 * (statistics, failures, the audit log, notices) and auditverify.c (the
 * audit chain).
 *
 * An operation runs as an admin_req (admin_internal.h) whose answer goes
 * to webd: admin_print() for the output, then admin_finish() with an
 * ADMIN_E_* code or console_op_finish() with a CONSOLE_E_* code, once.
 * Output lines are tab-separated fields (console_op_row() makes them).
 */
#ifndef PGPMG_POLICYD_CONSOLE_OP_H
#define PGPMG_POLICYD_CONSOLE_OP_H

#include <stdint.h>

#include "common/msg.h"

struct admin_req;
struct child;
struct child_peer;
struct imsg;

/* One request of webd's, as it came and as the session says. */
struct console_op_req {
	uint32_t	 op;		/* CONSOLE_OP_* */
	char		 session[CONSOLE_TOKEN_LEN + 1];
	char		 client[CONSOLE_CLIENT_MAX + 1];
	char		 password[CONSOLE_PASSWORD_MAX + 1];	/* wiped once
								   checked */
	char		 args[CONSOLE_NARGS][CONSOLE_ARG_MAX + 1];
	int		 fd;		/* a key import's upload, or -1 */
	/* The session's user. */
	uint64_t	 user_id;
	char		 address[CONSOLE_ADDRESS_MAX + 1];	/* as stored */
	int		 admin;		/* the role is admin */
};

/* An operation of the console's own, run once the session, the role and
 * (when asked for) the password are checked; it answers once. */
typedef void	(*console_run_fn)(struct admin_req *);

/* Check the table of operations (fatal when one is missing). */
void	console_op_init(void);
/* IMSG_WEBD_OP: parsed exactly (fatal when malformed), answered once. */
void	console_op_msg(struct child *, struct child_peer *, struct imsg *);

/* The answer: on CONSOLE_E_OK the output, then DONE with code, wait (the
 * seconds of CONSOLE_E_LOCKED), msg and fd (a key export: passed on; -1
 * for none; closed on a refusal); the request is freed. */
void	console_op_finish(struct admin_req *, uint32_t code, uint32_t wait,
	    const char *msg, int fd);
void	console_op_fail(struct admin_req *, uint32_t code, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
/* The first ADMIN_NARGS arguments as pgpmgctl's commands take them;
 * -1 (answered INVALID) when one is longer than ADMIN_ARG_MAX. */
int	console_op_admin_args(struct admin_req *,
	    char [][ADMIN_ARG_MAX + 1]);
/* ADMIN_E_* as the console's code. */
uint32_t console_code_of_admin(uint32_t);
/* One output line: n fields joined by tabs, each field's control
 * characters (C0, DEL) written as \xNN, so that no field holds a tab or
 * a line end whatever the database holds. */
void	console_op_row(struct admin_req *, int n, const char *const *);

/* console_users.c */
void	console_user_add(struct admin_req *);
void	console_user_reset(struct admin_req *);
void	console_my_password(struct admin_req *);
/* console_keys.c */
void	console_key_list(struct admin_req *);
/* Every other key operation, as console_keys.c's table says. */
void	console_key_op(struct admin_req *);
/* console_status.c */
void	console_status(struct admin_req *);
/* console_audit.c */
void	console_stats(struct admin_req *);
void	console_failures(struct admin_req *);
void	console_audit_list(struct admin_req *);
void	console_notice_list(struct admin_req *);
/* auditverify.c */
void	console_audit_chain(struct admin_req *);

#endif /* PGPMG_POLICYD_CONSOLE_OP_H */
