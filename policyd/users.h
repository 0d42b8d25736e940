/*
 * users: pgpmgctl's user commands (ADMIN_OP_USER_*), carried out for
 * admin.c's table of operations.  Each takes the request and its
 * arguments as they came, checks them, and answers once.
 */
#ifndef PGPMG_POLICYD_USERS_H
#define PGPMG_POLICYD_USERS_H

#include "common/msg.h"

struct admin_req;

void	users_add(struct admin_req *, char [][ADMIN_ARG_MAX + 1]);
void	users_list(struct admin_req *, char [][ADMIN_ARG_MAX + 1]);
void	users_set(struct admin_req *, char [][ADMIN_ARG_MAX + 1]);
void	users_passwd(struct admin_req *, char [][ADMIN_ARG_MAX + 1]);
void	users_del(struct admin_req *, char [][ADMIN_ARG_MAX + 1]);

/* The parts the console's own operations share (console_users.c), each
 * answering (INVALID) when it fails: */
/* An address, checked, into q->address; -1 when refused. */
int	users_address(struct admin_req *, const char *);
/* `user add`'s values, checked, into q (address, name, role). */
int	users_add_check(struct admin_req *, char [][ADMIN_ARG_MAX + 1]);
/* Add q's user, with the PHC string of a password (and the portal login
 * on) or none (phc NULL); answered once.  A password is shown as
 * "password\tPASSWORD" when q->onetime holds it, never logged. */
void	users_add_send(struct admin_req *, const char *phc);
/* Set the password of q->address to phc (checked by the caller). */
void	users_passwd_send(struct admin_req *, const char *phc);

#endif /* PGPMG_POLICYD_USERS_H */
