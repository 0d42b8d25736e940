/*
 * db: the query side of policyd's database layer: a query's own copy of
 * its parameters, the bounded FIFO it waits in, and the delivery of its
 * answer.  The connection that runs the queries is db_conn.c's.
 *
 * Callbacks run only from the pump, a deferred event, never from inside a
 * db_* call: a caller may start queries from a callback, or have its own
 * state half set up when it calls db_query(), and nothing re-enters it.
 * The pump first hands the idle connection the next query, then delivers
 * every answer, in the order the answers came.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "policyd/db_internal.h"

/* Error texts are cut to DB_ERROR_MAX on purpose. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

struct db_ctx	 db;

static void
db_req_free(struct db_req *q)
{
	if (q->res != NULL)
		PQclear(q->res);
	free(q->buf);
	free(q);
}

void
db_req_finish(struct db_req *q, enum db_status status, PGresult *res,
    const char *error)
{
	q->status = status;
	q->res = res;
	snprintf(q->error, sizeof(q->error), "%s", error);
	TAILQ_INSERT_TAIL(&db.done, q, entry);
	db_pump_schedule();
}

void
db_req_fail_waiting(const char *error)
{
	struct db_req	*q;

	while ((q = TAILQ_FIRST(&db.waiting)) != NULL) {
		TAILQ_REMOVE(&db.waiting, q, entry);
		db.nwaiting--;
		db_req_finish(q, DB_UNAVAILABLE, NULL, error);
	}
}

static void
db_pump(int fd, short ev, void *arg)
{
	struct db_req		*q;
	struct db_result	 r;

	(void)fd; (void)ev; (void)arg;
	db_conn_dispatch();
	/* Only what is answered now: a callback's own failed query waits
	 * for the next round, so one caller cannot keep the loop here.
	 * db_cancel() looks in this batch too. */
	TAILQ_CONCAT(&db.delivering, &db.done, entry);
	while ((q = TAILQ_FIRST(&db.delivering)) != NULL) {
		TAILQ_REMOVE(&db.delivering, q, entry);
		if (!q->cancelled) {
			r.status = q->status;
			r.res = q->res;
			r.error = q->error;
			q->cb(&r, q->arg);
		}
		db_req_free(q);
	}
}

void
db_pump_schedule(void)
{
	event_active(db.ev_pump, 0, 0);
}

void
db_set_state(enum db_state state)
{
	/* The clock counts from the last time the connection came up or
	 * went away, not from each retry's down/connecting flip: "down for
	 * 300 s" is what an admin needs to see. */
	if ((db.state == DB_STATE_UP) != (state == DB_STATE_UP))
		clock_gettime(CLOCK_MONOTONIC, &db.since);
	if (db.state != DB_STATE_UP && state == DB_STATE_UP)
		db.ups++;
	if (db.state != state && db.ev_state != NULL)
		event_active(db.ev_state, 0, 0);
	db.state = state;
}

/* The hook hears of changes from the loop, never from inside the
 * connection code; changes in one loop iteration are told once, with the
 * state as it is then. */
static void
db_state_event(int fd, short ev, void *arg)
{
	(void)fd; (void)ev; (void)arg;
	for (size_t i = 0; i < db.nstate_hooks; i++)
		db.state_hooks[i].fn(db.state, db.state_hooks[i].arg);
}

void
db_add_state_hook(void (*hook)(enum db_state, void *), void *arg)
{
	if (db.nstate_hooks == DB_STATE_HOOKS)
		fatalx("db_add_state_hook: more than %d hooks", DB_STATE_HOOKS);
	db.state_hooks[db.nstate_hooks].fn = hook;
	db.state_hooks[db.nstate_hooks++].arg = arg;
}

void
db_init(struct event_base *base, const struct db_conninfo *ci,
    const struct db_statement *stmts, size_t nstmts, unsigned timeout_ms)
{
	if (db.base != NULL)
		fatalx("db_init: called twice");
	for (size_t i = 0; i < nstmts; i++) {
		if (stmts[i].name == NULL || stmts[i].sql == NULL ||
		    strlen(stmts[i].name) > DB_NAME_MAX ||
		    strlen(stmts[i].sql) > DB_SQL_MAX ||
		    stmts[i].nparams < 0 || stmts[i].nparams > DB_MAX_PARAMS)
			fatalx("db_init: statement %zu is malformed", i);
		for (size_t j = 0; j < i; j++)
			if (strcmp(stmts[i].name, stmts[j].name) == 0)
				fatalx("db_init: statement %s twice",
				    stmts[i].name);
	}
	if (timeout_ms == 0)
		fatalx("db_init: no timeout");
	db.base = base;
	db.ci = ci;
	db.stmts = stmts;
	db.nstmts = nstmts;
	db.timeout.tv_sec = timeout_ms / 1000;
	db.timeout.tv_usec = (timeout_ms % 1000) * 1000;
	db.next_id = 1;
	TAILQ_INIT(&db.waiting);
	TAILQ_INIT(&db.done);
	TAILQ_INIT(&db.delivering);
	db.state = DB_STATE_DOWN;
	clock_gettime(CLOCK_MONOTONIC, &db.since);
	if ((db.ev_pump = event_new(base, -1, 0, db_pump, NULL)) == NULL ||
	    (db.ev_state = event_new(base, -1, 0, db_state_event, NULL)) ==
	    NULL)
		fatalx("db_init: event_new");
	db_conn_init();
}

static const struct db_statement *
db_statement_find(const char *name)
{
	for (size_t i = 0; i < db.nstmts; i++)
		if (strcmp(db.stmts[i].name, name) == 0)
			return &db.stmts[i];
	return NULL;
}

/* The query's own copy of its parameters, in one buffer; text values
 * keep their NUL, which libpq needs when no length is given. */
static int
db_req_copy_params(struct db_req *q, const char *const *values,
    const int *lengths, const int *formats, char *err, size_t errlen)
{
	size_t	 len[DB_MAX_PARAMS], total = 0, off = 0;

	for (int i = 0; i < q->nparams; i++) {
		int binary = formats != NULL && formats[i] != 0;

		len[i] = 0;
		if (values[i] == NULL)
			continue;
		if (binary) {
			if (lengths == NULL || lengths[i] < 0) {
				snprintf(err, errlen, "parameter %d: binary "
				    "without a length", i + 1);
				return -1;
			}
			len[i] = (size_t)lengths[i];
		} else
			len[i] = strnlen(values[i], DB_PARAMS_MAX) + 1;
		if (len[i] > DB_PARAMS_MAX - total) {
			snprintf(err, errlen, "parameters larger than %zu "
			    "bytes", DB_PARAMS_MAX);
			return -1;
		}
		total += len[i];
	}
	if (total > 0 && (q->buf = malloc(total)) == NULL) {
		snprintf(err, errlen, "out of memory for the parameters");
		return -2;
	}
	for (int i = 0; i < q->nparams; i++) {
		q->formats[i] = formats != NULL && formats[i] != 0;
		if (values[i] == NULL) {
			q->values[i] = NULL;
			q->lengths[i] = 0;
			continue;
		}
		memcpy(q->buf + off, values[i], len[i]);
		if (!q->formats[i])
			q->buf[off + len[i] - 1] = '\0';
		q->values[i] = q->buf + off;
		q->lengths[i] = q->formats[i] ? (int)len[i] : (int)len[i] - 1;
		off += len[i];
	}
	return 0;
}

db_handle
db_query(const char *name, int nparams, const char *const *values,
    const int *lengths, const int *formats, db_callback cb, void *arg)
{
	struct db_req	*q;
	char		 err[DB_ERROR_MAX];
	int		 rc;

	if (db.base == NULL)
		fatalx("db_query before db_init");
	if ((q = calloc(1, sizeof(*q))) == NULL)
		fatal("db_query");
	if ((q->stmt = db_statement_find(name)) == NULL)
		fatalx("db_query: no statement %s", name);
	if (nparams != q->stmt->nparams || (nparams > 0 && values == NULL))
		fatalx("db_query: %s takes %d parameters, not %d", name,
		    q->stmt->nparams, nparams);
	if (cb == NULL)
		fatalx("db_query: %s without a callback", name);
	q->id = db.next_id++;
	q->nparams = nparams;
	q->cb = cb;
	q->arg = arg;

	if (db.state != DB_STATE_UP) {
		snprintf(err, sizeof(err), "database unavailable%s%s",
		    db.last_error[0] != '\0' ? ": " : "", db.last_error);
		db_req_finish(q, DB_UNAVAILABLE, NULL, err);
	} else if (db.nwaiting >= DB_QUEUE_MAX) {
		snprintf(err, sizeof(err), "database queue full (%d queries "
		    "waiting)", DB_QUEUE_MAX);
		db_req_finish(q, DB_UNAVAILABLE, NULL, err);
	} else if ((rc = db_req_copy_params(q, values, lengths, formats,
	    err, sizeof(err))) != 0) {
		/* Too large will stay too large; no memory may pass. */
		db_req_finish(q, rc == -1 ? DB_ERROR : DB_UNAVAILABLE, NULL,
		    err);
	} else {
		TAILQ_INSERT_TAIL(&db.waiting, q, entry);
		db.nwaiting++;
		db_pump_schedule();
	}
	return q->id;
}

void
db_cancel(db_handle id)
{
	struct db_req	*q;

	if (id == 0)
		return;
	if (db.inflight != NULL && db.inflight->id == id) {
		db.inflight->cancelled = 1;
		return;
	}
	TAILQ_FOREACH(q, &db.waiting, entry)
		if (q->id == id) {
			TAILQ_REMOVE(&db.waiting, q, entry);
			db.nwaiting--;
			db_req_free(q);
			return;
		}
	TAILQ_FOREACH(q, &db.done, entry)
		if (q->id == id) {
			q->cancelled = 1;
			return;
		}
	TAILQ_FOREACH(q, &db.delivering, entry)
		if (q->id == id) {
			q->cancelled = 1;
			return;
		}
}

int
db_up(void)
{
	return db.state == DB_STATE_UP;
}

uint64_t
db_connection(void)
{
	return db.state == DB_STATE_UP ? db.ups : 0;
}

enum db_state
db_state(void)
{
	return db.state;
}

uint64_t
db_state_seconds(void)
{
	struct timespec	 now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > db.since.tv_sec ?
	    (uint64_t)(now.tv_sec - db.since.tv_sec) : 0;
}

const char *
db_last_error(void)
{
	return db.last_error;
}

void
db_free(void)
{
	struct db_req	*q;

	if (db.base == NULL)
		return;
	db_conn_free();
	if (db.inflight != NULL)
		db_req_free(db.inflight);
	while ((q = TAILQ_FIRST(&db.waiting)) != NULL) {
		TAILQ_REMOVE(&db.waiting, q, entry);
		db_req_free(q);
	}
	while ((q = TAILQ_FIRST(&db.done)) != NULL) {
		TAILQ_REMOVE(&db.done, q, entry);
		db_req_free(q);
	}
	while ((q = TAILQ_FIRST(&db.delivering)) != NULL) {
		TAILQ_REMOVE(&db.delivering, q, entry);
		db_req_free(q);
	}
	event_free(db.ev_pump);
	event_free(db.ev_state);
	memset(&db, 0, sizeof(db));
}
