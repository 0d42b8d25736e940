/*
 * policyload: policyd's policy cache, loaded from the database.
 *
 * The policy row, the rules and the internal domains are loaded when the
 * connection comes up, after every change policyd makes itself, and when
 * pgpmg.policy_changes.generation moved (polled every POLICYLOAD_POLL_MS;
 * sql/003 bumps it in every transaction that changes one of the three
 * tables, whoever makes the change).  A load is four statements; it is
 * kept only when the generation read last equals the one read with the
 * policy row, i.e. nothing changed in between, else it starts again.
 *
 * The cache is trusted only while the database is up and once it was
 * loaded on the current connection: before, plan.c answers tempfail.  A
 * load that fails for any other reason than a lost connection (a row
 * policyd cannot take, more rules than it keeps) leaves no trusted
 * cache either, and is logged: mail waits (4xx) rather than go out under
 * a policy that is not the database's.
 *
 * When the domains table is empty and was never managed, it is seeded
 * from the configuration's internal-domain lines (STMT_DOMAINS_SEED);
 * from then on the database's list is the one that counts.
 */
#ifndef PGPMG_POLICYD_POLICYLOAD_H
#define PGPMG_POLICYD_POLICYLOAD_H

#include "policyd/db.h"
#include "policyd/policy.h"

#define POLICYLOAD_POLL_MS	2000

struct child;

void	policyload_init(struct child *);
/* The database connection's state changed (policyd.c's state hook). */
void	policyload_db_state(enum db_state);
/* The policy to decide with, or NULL when none can be trusted now. */
const struct policy_set *policyload_current(void);
/*
 * policyd changed something: load again now.  cb, if not NULL, is called
 * once a load that started after this call has ended (well or not, or
 * at once when the database is down), so that a command answers only
 * when the next message on this gateway will see its change.
 */
void	policyload_changed(void (*cb)(void *), void *arg);

#endif /* PGPMG_POLICYD_POLICYLOAD_H */
