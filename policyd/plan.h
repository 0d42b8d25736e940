/*
 * plan: policyd's side of the plan protocol with cryptod (plan.c).
 */
#ifndef PGPMG_POLICYD_PLAN_H
#define PGPMG_POLICYD_PLAN_H

struct child;
struct child_peer;
struct imsg;

/* IMSG_CRYPTOD_PLAN_RCPT and IMSG_CRYPTOD_PLAN_REQUEST. */
void	plan_msg(struct child *, struct child_peer *, struct imsg *);
/* A cryptod worker went away: forget its request in the making. */
void	plan_peer_down(struct child_peer *);

#endif /* PGPMG_POLICYD_PLAN_H */
