/*
 * admin: pgpmgctl's policy, rule, domain and user commands, forwarded by
 * the parent (pgpmgd/adminfwd.c).
 */
#ifndef PGPMG_POLICYD_ADMIN_H
#define PGPMG_POLICYD_ADMIN_H

struct child;
struct imsg;

/* IMSG_PARENT_ADMIN; fatal when malformed (the parent checks it). */
void	admin_request(struct child *, struct imsg *);

#endif /* PGPMG_POLICYD_ADMIN_H */
