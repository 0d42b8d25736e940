/*
 * audit: statements that append to the audit log, retried on the
 * chain's unique violations; see audit.h.
 */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "policyd/audit.h"

struct audit_req {
	const char	*stmt;		/* a static name */
	int		 nparams;
	char		*values[DB_MAX_PARAMS];
	db_callback	 cb;
	void		*arg;
	int		 tries;
};

static void	audit_answer(const struct db_result *, void *);

static void
audit_send(struct audit_req *q)
{
	db_query(q->stmt, q->nparams, (const char *const *)q->values, NULL,
	    NULL, audit_answer, q);
}

static void
audit_free(struct audit_req *q)
{
	for (int i = 0; i < q->nparams; i++)
		free(q->values[i]);
	free(q);
}

int
audit_conflict(const struct db_result *r)
{
	const char	*state, *constraint;

	if (r->status != DB_ERROR || r->res == NULL)
		return 0;
	state = PQresultErrorField(r->res, PG_DIAG_SQLSTATE);
	constraint = PQresultErrorField(r->res, PG_DIAG_CONSTRAINT_NAME);
	return state != NULL && strcmp(state, "23505") == 0 &&
	    constraint != NULL && strncmp(constraint, "audit_log_", 10) == 0;
}

static void
audit_answer(const struct db_result *r, void *arg)
{
	struct audit_req	*q = arg;

	if (audit_conflict(r) && q->tries < AUDIT_RETRIES) {
		q->tries++;
		log_debug("audit: %s met another writer's row; retry %d",
		    q->stmt, q->tries);
		audit_send(q);
		return;
	}
	q->cb(r, q->arg);
	audit_free(q);
}

void
audit_query(const char *stmt, int nparams, const char *const *values,
    db_callback cb, void *arg)
{
	struct audit_req	*q;

	if (nparams < 0 || nparams > DB_MAX_PARAMS)
		fatalx("audit_query: %d parameters", nparams);
	if ((q = calloc(1, sizeof(*q))) == NULL)
		fatal("audit_query");
	q->stmt = stmt;
	q->nparams = nparams;
	q->cb = cb;
	q->arg = arg;
	for (int i = 0; i < nparams; i++)
		if (values[i] != NULL && (q->values[i] = strdup(values[i])) ==
		    NULL)
			fatal("audit_query");
	audit_send(q);
}
