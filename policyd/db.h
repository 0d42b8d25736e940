/*
 * db: policyd's connection to PostgreSQL, asynchronous on its libevent
 * loop.  Nothing here ever waits for the server: the connection is made
 * with PQconnectStartParams/PQconnectPoll, statements are sent with
 * PQsendPrepare/PQsendQueryPrepared, and results are read with
 * PQconsumeInput/PQisBusy/PQgetResult, each when the socket is ready.
 *
 * Only prepared statements run: the daemon hands db_init() a table of
 * named statements, each is prepared at every (re)connection, and a query
 * names one of them and passes its parameters out of line.  No SQL is ever
 * built from strings.
 *
 * One query is in flight at a time; the others wait in a bounded FIFO.
 * Every query's callback is called exactly once, always from the event
 * loop (never from inside a db_* call), with one of:
 *   DB_OK           the statement ran; its rows are in res;
 *   DB_ERROR        the server refused it for a reason a retry will not
 *                   fix (bad input, a constraint);
 *   DB_UNAVAILABLE  no answer: the database is down or was lost during the
 *                   query, the query timed out, the queue was full, or the
 *                   error is one a retry may fix (deadlock, shutdown, out
 *                   of resources).  Callers answer "tempfail".
 * The one exception is db_cancel(): a cancelled query's callback is never
 * called.
 *
 * A query that timed out or lost its connection may have been executed by
 * the server all the same: statements that change data must be idempotent
 * or checked by the caller on retry.
 *
 * docs/DESIGN-NOTES.md ("policyd's database connection") describes the
 * state machine, the back-off and the timeouts.
 */
#ifndef PGPMG_POLICYD_DB_H
#define PGPMG_POLICYD_DB_H

#include <event2/event.h>
#include <libpq-fe.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>

/* A statement's name and SQL: names are ours and short; the longest SQL
 * text is a few hundred bytes, 16 KiB is far beyond any of them. */
#define DB_NAME_MAX		63
#define DB_SQL_MAX		(16 * 1024)
/* Parameters of one statement; ours take a handful. */
#define DB_MAX_PARAMS		32
/* All parameters of one query together, copied while it waits: room for
 * an armoured public key with many signatures (keyd bounds key data at
 * 1 MiB) and the other columns of its row. */
#define DB_PARAMS_MAX		((size_t)2 << 20)
/* Queries waiting behind the one in flight.  A query takes about a
 * millisecond; more than this waiting means the database cannot keep up,
 * and answering "unavailable" at once beats letting Postfix time out. */
#define DB_QUEUE_MAX		1024
/* The text of any error handed to a caller or logged. */
#define DB_ERROR_MAX		256

struct db_statement {
	const char	*name;
	const char	*sql;
	int		 nparams;
};

enum db_status {
	DB_OK = 0,
	DB_ERROR,
	DB_UNAVAILABLE,
};

struct db_result {
	enum db_status	 status;
	/* DB_OK: the rows; DB_ERROR: the server's error (PQresultErrorField
	 * works on it); DB_UNAVAILABLE: NULL, or the server's error when it
	 * refused with a retryable code.  Freed when the callback returns. */
	const PGresult	*res;
	/* One line, "" for DB_OK; at most DB_ERROR_MAX - 1 bytes. */
	const char	*error;
};

typedef void	(*db_callback)(const struct db_result *, void *arg);
/* Names a query for db_cancel(); 0 names none. */
typedef uint64_t db_handle;

/* What status reports show.  CONNECTING covers preparing the statements:
 * the connection is not usable before every one of them is ready. */
enum db_state {
	DB_STATE_DOWN = 0,	/* waiting before the next attempt */
	DB_STATE_CONNECTING,
	DB_STATE_UP,
};

/*
 * The admin's conninfo, made fit for policyd's jail (db_conninfo.c).
 * policyd is chrooted into the PostgreSQL socket directory, so libpq must
 * be given host=/; and with neither /etc/passwd nor a home in view, the
 * user must be named (it defaults to the process's own user, as libpq's
 * own default would, but looked up before the jail) and so must the
 * password file (libpq would call getpwuid() to find ~/.pgpass; no
 * password file is readable in the jail).  A conninfo that
 * cannot work inside the jail (TCP, several hosts, a service or password
 * file) is refused here, before the sandbox, with a message saying why.
 */
#define DB_CONNINFO_MAX		64	/* libpq 15 knows 45 keywords */

struct db_conninfo {
	/* NULL-terminated, for PQconnectStartParams(expand_dbname 0). */
	char	*keywords[DB_CONNINFO_MAX + 1];
	char	*values[DB_CONNINFO_MAX + 1];
	/* The host as the admin wrote it: the directory to chroot into. */
	char	 sockdir[PATH_MAX];
};

/* 0, or -1 with a message in err.  default_user is used when the
 * conninfo names no user. */
int	db_conninfo_prepare(const char *conninfo, const char *default_user,
	    struct db_conninfo *, char *err, size_t errlen);
/* Wipes the values (a password may be among them) and frees them. */
void	db_conninfo_free(struct db_conninfo *);

/*
 * Start connecting, at once and then for as long as the process lives.
 * The statements table and ci must outlive the connection (ci is not
 * copied).  timeout_ms bounds a connection attempt (with the preparing of
 * every statement) and each query in flight.  Fatal on a malformed table.
 */
void	db_init(struct event_base *, const struct db_conninfo *ci,
	    const struct db_statement *, size_t nstatements,
	    unsigned timeout_ms);
/*
 * Run the statement named name.  values[i] is NULL for SQL NULL; lengths
 * and formats may be NULL (all text, NUL-terminated), as with
 * PQsendQueryPrepared.  Results come in text format.  The parameters are
 * copied: the caller's buffers may go as soon as this returns.  An unknown
 * name or a wrong nparams is a bug in policyd: fatal.
 */
db_handle db_query(const char *name, int nparams, const char *const *values,
	    const int *lengths, const int *formats, db_callback, void *arg);
/* The callback of this query will not be called.  A query in flight is
 * still answered by the server, and its result dropped. */
void	db_cancel(db_handle);

/* True when queries are accepted. */
int	db_up(void);
/* The connection that is up, numbered from 1 as connections come up;
 * 0 while none is.  Something read over connection n is from the
 * database as it is now only while this still says n. */
uint64_t db_connection(void);
enum db_state db_state(void);
/* Seconds (monotonic) since the connection last came up or went away
 * (the retries' down/connecting changes do not count), or since start. */
uint64_t db_state_seconds(void);
/* Why the last attempt or connection failed; "" when it has not. */
const char *db_last_error(void);
/* Called from the loop after the state changed (several changes within
 * one turn of the loop are told once, with the state as it is then).
 * Set it before or after db_init().  Each hook hears of every change of
 * state, in the order added: one per module with work on the connection
 * (five so far), and room for a few more. */
#define DB_STATE_HOOKS		8
void	db_add_state_hook(void (*)(enum db_state, void *), void *arg);
/* Drop the connection and everything pending, calling no callback; for a
 * process that is about to exit (and for tests). */
void	db_free(void);

#endif /* PGPMG_POLICYD_DB_H */
