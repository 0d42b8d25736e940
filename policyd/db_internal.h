/*
 * db_internal: what db.c (the queries: queue, delivery, cancel) and
 * db_conn.c (the connection: connect, prepare, send, read, time out,
 * back off) share, and nobody else needs.
 */
#ifndef PGPMG_POLICYD_DB_INTERNAL_H
#define PGPMG_POLICYD_DB_INTERNAL_H

#include <sys/queue.h>

#include <time.h>

#include "policyd/db.h"

/* Reconnection back-off: the first retry soon (a restart takes the
 * server about a second), then doubling, so that a database that stays
 * away costs one attempt every few seconds, not a busy loop. */
#define DB_BACKOFF_MIN_MS	100
#define DB_BACKOFF_MAX_MS	5000

struct db_req {
	TAILQ_ENTRY(db_req)	 entry;
	db_handle		 id;
	const struct db_statement *stmt;
	int			 nparams;
	/* Pointers into buf, the query's own copy of the parameters. */
	const char		*values[DB_MAX_PARAMS];
	int			 lengths[DB_MAX_PARAMS];
	int			 formats[DB_MAX_PARAMS];
	char			*buf;
	db_callback		 cb;
	void			*arg;
	int			 cancelled;
	/* The answer, once there is one. */
	enum db_status		 status;
	PGresult		*res;
	char			 error[DB_ERROR_MAX];
};
TAILQ_HEAD(db_reqq, db_req);

/* Where the connection is; db_state() folds these into three. */
enum db_phase {
	DB_P_WAIT = 0,		/* no connection; the timer starts one */
	DB_P_CONNECT,		/* PQconnectPoll until CONNECTION_OK */
	DB_P_PREPARE,		/* one PQsendPrepare after the other */
	DB_P_IDLE,		/* up, nothing in flight */
	DB_P_BUSY,		/* up, one query in flight */
};

struct db_ctx {
	struct event_base	*base;
	const struct db_conninfo *ci;
	const struct db_statement *stmts;
	size_t			 nstmts;
	struct timeval		 timeout;

	/* the connection (db_conn.c) */
	PGconn			*conn;
	enum db_phase		 phase;
	struct event		*ev_sock;	/* on PQsocket() */
	short			 sock_events;	/* registered; 0: none */
	int			 sock_fd;
	struct event		*ev_timer;	/* back-off or deadline */
	unsigned		 backoff_ms;
	size_t			 prep_next;	/* statement to prepare */
	PGresult		*cmd_res;	/* first result of a command */
	int			 down_logged;

	/* the queries (db.c) */
	struct db_req		*inflight;
	struct db_reqq		 waiting;
	size_t			 nwaiting;
	struct db_reqq		 done;		/* answered, not delivered */
	struct db_reqq		 delivering;	/* the pump's current batch */
	struct event		*ev_pump;	/* dispatch, then deliver */
	db_handle		 next_id;

	enum db_state		 state;
	uint64_t		 ups;		/* times it came up */
	struct timespec		 since;
	/* db_add_state_hook(): called from ev_state after a change */
	struct {
		void		(*fn)(enum db_state, void *);
		void		*arg;
	}			 state_hooks[DB_STATE_HOOKS];
	size_t			 nstate_hooks;
	struct event		*ev_state;
	char			 last_error[DB_ERROR_MAX];
};

extern struct db_ctx	 db;

/* db.c */
/* Answer a query; its callback runs from the pump. */
void	db_req_finish(struct db_req *, enum db_status, PGresult *,
	    const char *error);
/* Answer every waiting query DB_UNAVAILABLE. */
void	db_req_fail_waiting(const char *error);
void	db_pump_schedule(void);
void	db_set_state(enum db_state);

/* db_conn.c */
void	db_conn_init(void);
/* Send the next waiting query when the connection is idle. */
void	db_conn_dispatch(void);
void	db_conn_free(void);
/* Copy text into dst as one line of printable bytes (libpq's messages
 * span lines, with tabs). */
void	db_oneline(char *dst, size_t dstlen, const char *src);

#endif /* PGPMG_POLICYD_DB_INTERNAL_H */
