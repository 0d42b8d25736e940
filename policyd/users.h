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

#endif /* PGPMG_POLICYD_USERS_H */
