/*
 * audit: run a statement that appends to the audit log, under the
 * contract of sql/002_audit.sql: the chain's trigger makes a row's id and
 * prev_hash from the last row, both UNIQUE, so a writer whose snapshot
 * missed another's fresh row fails with a unique violation (SQLSTATE
 * 23505 on an audit_log constraint) and nothing of its statement stays.
 * Such a failure is retried, at most AUDIT_RETRIES times; every other
 * answer goes to the caller as it came.
 */
#ifndef PGPMG_POLICYD_AUDIT_H
#define PGPMG_POLICYD_AUDIT_H

#include "policyd/db.h"

#define AUDIT_RETRIES	3
/* An actor as the table takes it (octet_length 1 to 400): "admin:" or
 * "user:" and an address of up to 320 bytes, "pgpmgctl (uid N)",
 * "policyd (key sync)". */
#define AUDIT_ACTOR_MAX	400

/* As db_query() with text parameters; values are copied. */
void	audit_query(const char *stmt, int nparams, const char *const *values,
	    db_callback, void *arg);
/* True when r is a unique violation of one of the audit log's
 * constraints (what audit_query() retries). */
int	audit_conflict(const struct db_result *r);

#endif /* PGPMG_POLICYD_AUDIT_H */
