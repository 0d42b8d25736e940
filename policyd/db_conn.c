/*
 * db_conn: the connection side of policyd's database layer, a state
 * machine driven by socket readiness and one timer:
 *
 *   WAIT --timer--> CONNECT --CONNECTION_OK--> PREPARE --all ready--> IDLE
 *     ^                |                          |                 |  ^
 *     |                |                          |          query  v  | answer
 *     +----- drop -----+------------ drop --------+------ drop --- BUSY
 *
 * CONNECT calls PQconnectPoll whenever the socket is ready the way libpq
 * asked; PREPARE sends one PQsendPrepare after the other; BUSY runs one
 * PQsendQueryPrepared.  Results are read with PQconsumeInput and taken
 * with PQgetResult only once PQisBusy says that will not wait, and every
 * send is flushed in non-blocking mode, watching for write readiness.  No
 * libpq call here can wait for the server.
 *
 * The timer is the back-off in WAIT, the deadline of the whole attempt in
 * CONNECT and PREPARE (libpq's connect_timeout only applies to its
 * blocking calls), and the deadline of the query in BUSY.  A hung server
 * cannot be cancelled without a blocking PQcancel, so on a deadline the
 * connection is dropped: the query is answered DB_UNAVAILABLE, and a new
 * connection is made after the back-off.  Any drop answers the query in
 * flight and every waiting one DB_UNAVAILABLE at once.
 *
 * State changes are logged once each: the first failure, the loss of a
 * connection, and the connection coming up.  The retries in between are
 * logged at debug level.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "policyd/db_internal.h"

/* Error texts are cut to DB_ERROR_MAX on purpose. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

static void	db_conn_sock(int, short, void *);
static void	db_conn_timer(int, short, void *);
static void	db_conn_drop(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));

void
db_oneline(char *dst, size_t dstlen, const char *src)
{
	size_t	 o = 0;
	int	 space = 0;

	if (dstlen == 0)
		return;
	for (; src != NULL && *src != '\0' && o + 1 < dstlen; src++) {
		unsigned char c = (unsigned char)*src;

		if (c < 0x20 || c == 0x7f) {
			space = o > 0;
			continue;
		}
		if (space && o + 2 < dstlen) {
			dst[o++] = ' ';
			space = 0;
		}
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
}

/* Watch the socket for these events (EV_PERSIST added); 0: stop. */
static void
db_conn_watch(short events)
{
	int	 fd = db.conn != NULL ? PQsocket(db.conn) : -1;

	if (db.sock_events != 0 && (events != db.sock_events ||
	    fd != db.sock_fd)) {
		event_del(db.ev_sock);
		db.sock_events = 0;
	}
	if (events == 0 || db.sock_events != 0)
		return;
	if (fd < 0) {
		db_conn_drop("libpq has no socket");
		return;
	}
	event_assign(db.ev_sock, db.base, fd, events | EV_PERSIST,
	    db_conn_sock, NULL);
	if (event_add(db.ev_sock, NULL) == -1)
		fatalx("db: event_add");
	db.sock_events = events;
	db.sock_fd = fd;
}

static void
db_conn_deadline(int on)
{
	if (on)
		evtimer_add(db.ev_timer, &db.timeout);
	else
		evtimer_del(db.ev_timer);
}

/* Where libpq's own messages go: notices, warnings, and the server's
 * FATAL when it ends an idle session.  Its default is stderr. */
static void
db_conn_notice(void *arg, const PGresult *res)
{
	char	 line[DB_ERROR_MAX];

	(void)arg;
	db_oneline(line, sizeof(line), PQresultErrorMessage(res));
	log_debug("database: server says: %s", line);
}

static void
db_conn_schedule(unsigned ms)
{
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };

	db.phase = DB_P_WAIT;
	evtimer_add(db.ev_timer, &tv);
}

/* The connection is gone or never came: answer everything pending, log
 * if that is news, and try again after the back-off. */
static void
db_conn_drop(const char *fmt, ...)
{
	char	 why[DB_ERROR_MAX], msg[DB_ERROR_MAX];
	int	 was_up = db.phase == DB_P_IDLE || db.phase == DB_P_BUSY;
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	db_oneline(msg, sizeof(msg), why);

	db_conn_watch(0);
	db_conn_deadline(0);
	if (db.cmd_res != NULL) {
		PQclear(db.cmd_res);
		db.cmd_res = NULL;
	}
	if (db.conn != NULL) {
		/* Non-blocking by now, or not yet connected: PQfinish's
		 * goodbye never waits for a hung server. */
		PQfinish(db.conn);
		db.conn = NULL;
	}
	if (db.inflight != NULL) {
		db_req_finish(db.inflight, DB_UNAVAILABLE, NULL, msg);
		db.inflight = NULL;
	}
	db_req_fail_waiting(msg);
	snprintf(db.last_error, sizeof(db.last_error), "%s", msg);

	if (was_up) {
		log_warnx("database: connection lost: %s; reconnecting", msg);
		db.backoff_ms = DB_BACKOFF_MIN_MS;
	} else if (!db.down_logged)
		log_warnx("database: unavailable: %s; retrying in the "
		    "background", msg);
	else
		log_debug("database: attempt failed: %s; next in %u ms", msg,
		    db.backoff_ms);
	db.down_logged = 1;
	db_set_state(DB_STATE_DOWN);
	db_conn_schedule(db.backoff_ms);
	db.backoff_ms = db.backoff_ms >= DB_BACKOFF_MAX_MS / 2 ?
	    DB_BACKOFF_MAX_MS : db.backoff_ms * 2;
}

static void
db_conn_start(void)
{
	char	 why[DB_ERROR_MAX];

	db_set_state(DB_STATE_CONNECTING);
	db.conn = PQconnectStartParams(
	    (const char *const *)db.ci->keywords,
	    (const char *const *)db.ci->values, 0);
	if (db.conn == NULL) {
		db_conn_drop("out of memory for a connection");
		return;
	}
	if (PQstatus(db.conn) == CONNECTION_BAD) {
		db_oneline(why, sizeof(why), PQerrorMessage(db.conn));
		db_conn_drop("%s", why);
		return;
	}
	PQsetNoticeReceiver(db.conn, db_conn_notice, NULL);
	db.phase = DB_P_CONNECT;
	db_conn_deadline(1);
	/* As the libpq manual says: before the first PQconnectPoll, act
	 * as if it had asked to write. */
	db_conn_watch(EV_WRITE);
}

/* Send what libpq buffered; watch for writing while some is left. */
static void
db_conn_flush(void)
{
	switch (PQflush(db.conn)) {
	case 0:
		db_conn_watch(EV_READ);
		break;
	case 1:
		db_conn_watch(EV_READ | EV_WRITE);
		break;
	default:
		db_conn_drop("%s", PQerrorMessage(db.conn));
	}
}

static void
db_conn_up(void)
{
	const char	*v = PQparameterStatus(db.conn, "server_version");

	db.phase = DB_P_IDLE;
	db_conn_deadline(0);
	db.backoff_ms = DB_BACKOFF_MIN_MS;
	db.last_error[0] = '\0';
	db.down_logged = 0;
	log_info("database: up (PostgreSQL %s, %zu statements prepared)",
	    v != NULL ? v : "?", db.nstmts);
	db_set_state(DB_STATE_UP);
	db_conn_watch(EV_READ);
	db_pump_schedule();
}

static void
db_conn_prepare_next(void)
{
	const struct db_statement	*st;

	if (db.prep_next == db.nstmts) {
		db_conn_up();
		return;
	}
	st = &db.stmts[db.prep_next];
	if (!PQsendPrepare(db.conn, st->name, st->sql, st->nparams, NULL)) {
		db_conn_drop("preparing %s: %s", st->name,
		    PQerrorMessage(db.conn));
		return;
	}
	db_conn_flush();
}

static void
db_conn_poll(void)
{
	/*
	 * libpq may close its socket here and open another, perhaps under
	 * the same number; the kernel drops a closed fd from epoll behind
	 * libevent's back.  So the event goes first, while the fd is open,
	 * and is set up again on whatever socket libpq has next.
	 */
	db_conn_watch(0);
	switch (PQconnectPoll(db.conn)) {
	case PGRES_POLLING_READING:
		db_conn_watch(EV_READ);
		break;
	case PGRES_POLLING_WRITING:
		db_conn_watch(EV_WRITE);
		break;
	case PGRES_POLLING_OK:
		/* From here on no send may wait for the server. */
		if (PQsetnonblocking(db.conn, 1) == -1) {
			db_conn_drop("non-blocking mode: %s",
			    PQerrorMessage(db.conn));
			break;
		}
		db.phase = DB_P_PREPARE;
		db.prep_next = 0;
		db_conn_prepare_next();
		break;
	default:
		db_conn_drop("%s", PQerrorMessage(db.conn));
	}
}

/*
 * SQLSTATE classes a retry may get past: connection exceptions (08),
 * transaction rollbacks such as deadlocks and serialization failures (40),
 * insufficient resources (53), operator intervention such as a shutdown
 * or statement_timeout (57), system errors (58); and two single codes: a
 * NOWAIT lock not available (55P03), a read-only transaction on a standby
 * during a fail-over (25006).  Everything else is the query's own fault.
 */
static int
db_sqlstate_transient(const char *s)
{
	static const char *const classes[] = { "08", "40", "53", "57", "58" };
	static const char *const codes[] = { "55P03", "25006" };

	if (s == NULL || strlen(s) != 5)
		return 0;
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (strncmp(s, classes[i], 2) == 0)
			return 1;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(s, codes[i]) == 0)
			return 1;
	return 0;
}

/* A server's error as one line: its primary message and SQLSTATE,
 * without libpq's severity prefix and the caret line under the SQL. */
static void
db_conn_result_error(char *dst, size_t len, const PGresult *res)
{
	const char	*msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char	*state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	char		 line[DB_ERROR_MAX];

	if (msg == NULL) {
		db_oneline(dst, len, PQresultErrorMessage(res));
		if (dst[0] == '\0')
			snprintf(dst, len, "%s",
			    PQresStatus(PQresultStatus(res)));
		return;
	}
	db_oneline(line, sizeof(line), msg);
	snprintf(dst, len, "%s (SQLSTATE %s)", line,
	    state != NULL ? state : "?");
}

/* The command in flight has all its results. */
static void
db_conn_command_done(void)
{
	PGresult		*res = db.cmd_res;
	struct db_req		*q;
	const char		*state;
	char			 msg[DB_ERROR_MAX];
	enum db_status		 st;
	ExecStatusType		 rs;

	db.cmd_res = NULL;
	if (PQstatus(db.conn) == CONNECTION_BAD || res == NULL) {
		if (res != NULL)
			PQclear(res);
		db_conn_drop("%s", PQerrorMessage(db.conn));
		return;
	}
	rs = PQresultStatus(res);
	if (db.phase == DB_P_PREPARE) {
		const char *name = db.stmts[db.prep_next].name;

		if (rs != PGRES_COMMAND_OK) {
			db_conn_result_error(msg, sizeof(msg), res);
			PQclear(res);
			db_conn_drop("preparing %s: %s", name, msg);
			return;
		}
		PQclear(res);
		db.prep_next++;
		db_conn_prepare_next();
		return;
	}

	q = db.inflight;
	db.inflight = NULL;
	db.phase = DB_P_IDLE;
	db_conn_deadline(0);
	msg[0] = '\0';
	if (rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK)
		st = DB_OK;
	else {
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		st = db_sqlstate_transient(state) ? DB_UNAVAILABLE : DB_ERROR;
		db_conn_result_error(msg, sizeof(msg), res);
	}
	db_req_finish(q, st, res, msg);
	db_conn_watch(EV_READ);
}

/* Readiness while connected: send, receive, take results. */
static void
db_conn_io(short what)
{
	PGnotify	*n;
	PGresult	*r;

	if ((what & EV_READ) && !PQconsumeInput(db.conn)) {
		db_conn_drop("%s", PQerrorMessage(db.conn));
		return;
	}
	/* The manual's order: after reading, flush again if we were
	 * flushing; a write-ready socket is flushed here too. */
	if (db.sock_events & EV_WRITE) {
		db_conn_flush();
		if (db.conn == NULL)
			return;
	}
	/* No LISTEN is ever issued; drop anything that comes anyway. */
	while ((n = PQnotifies(db.conn)) != NULL)
		PQfreemem(n);
	if (PQstatus(db.conn) == CONNECTION_BAD) {
		db_conn_drop("%s", PQerrorMessage(db.conn));
		return;
	}
	if (db.phase != DB_P_PREPARE && db.phase != DB_P_BUSY)
		return;
	while (!PQisBusy(db.conn)) {
		if ((r = PQgetResult(db.conn)) == NULL) {
			db_conn_command_done();
			return;
		}
		/* One statement gives one result; keep the first. */
		if (db.cmd_res == NULL)
			db.cmd_res = r;
		else
			PQclear(r);
	}
}

static void
db_conn_sock(int fd, short what, void *arg)
{
	(void)fd; (void)arg;
	switch (db.phase) {
	case DB_P_CONNECT:
		db_conn_poll();
		break;
	case DB_P_PREPARE:
	case DB_P_IDLE:
	case DB_P_BUSY:
		db_conn_io(what);
		break;
	case DB_P_WAIT:
		break;
	}
}

static void
db_conn_timer(int fd, short what, void *arg)
{
	unsigned	 s = (unsigned)db.timeout.tv_sec;

	(void)fd; (void)what; (void)arg;
	switch (db.phase) {
	case DB_P_WAIT:
		db_conn_start();
		break;
	case DB_P_CONNECT:
	case DB_P_PREPARE:
		db_conn_drop("no connection within %u s", s);
		break;
	case DB_P_BUSY:
		db_conn_drop("%s: no answer within %u s; connection "
		    "dropped", db.inflight->stmt->name, s);
		break;
	case DB_P_IDLE:
		break;
	}
}

void
db_conn_dispatch(void)
{
	struct db_req	*q;

	if (db.phase != DB_P_IDLE || (q = TAILQ_FIRST(&db.waiting)) == NULL)
		return;
	TAILQ_REMOVE(&db.waiting, q, entry);
	db.nwaiting--;
	db.inflight = q;
	db.phase = DB_P_BUSY;
	if (!PQsendQueryPrepared(db.conn, q->stmt->name, q->nparams,
	    q->values, q->lengths, q->formats, 0)) {
		db_conn_drop("%s", PQerrorMessage(db.conn));
		return;
	}
	db_conn_deadline(1);
	db_conn_flush();
}

void
db_conn_init(void)
{
	if ((db.ev_sock = event_new(db.base, -1, 0, db_conn_sock, NULL)) ==
	    NULL || (db.ev_timer = evtimer_new(db.base, db_conn_timer,
	    NULL)) == NULL)
		fatalx("db: event_new");
	db.backoff_ms = DB_BACKOFF_MIN_MS;
	/* The first attempt from the loop, like every later one. */
	db_conn_schedule(0);
}

void
db_conn_free(void)
{
	db_conn_watch(0);
	if (db.cmd_res != NULL)
		PQclear(db.cmd_res);
	if (db.conn != NULL)
		PQfinish(db.conn);
	if (db.ev_sock != NULL)
		event_free(db.ev_sock);
	if (db.ev_timer != NULL)
		event_free(db.ev_timer);
	db.conn = NULL;
	db.cmd_res = NULL;
	db.ev_sock = db.ev_timer = NULL;
}
