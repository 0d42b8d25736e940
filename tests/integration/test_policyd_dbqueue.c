/*
 * policyd's database layer (policyd/db*.c) run directly, without the
 * sandbox, against a real PostgreSQL 15 cluster that main() makes with
 * scripts/pg.sh and removes: FIFO order and exactly-once callbacks, the
 * parameters copied, SQL errors against transient ones, the bounded queue,
 * cancellation, answers at once while down, a connection killed in the
 * middle of a query, a query on a frozen backend timing out, a statement
 * that cannot be prepared, and the back-off between attempts.
 *
 * The process keeps real uid root and runs with effective uid
 * _pgpmg_policyd, which peer authentication maps to the role of that name
 * (the one pg.sh creates); it becomes root again only to signal the
 * server's processes.  Criterion runs each test in a process of its own,
 * so each starts with a fresh db.c.  Run from the top of the tree (as
 * scripts/check.sh does), as root.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <criterion/criterion.h>
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policyd/db.c"
#include "policyd/db_conn.c"
#include "policyd/db_conninfo.c"

#define PG_SH		"scripts/pg.sh"
#define ENV_SOCK	"PGPMG_TEST_PGSOCK"
#define ROLE		"_pgpmg_policyd"
/* Every wait in these tests is bounded by this. */
#define WAIT_MS		10000

static const struct db_statement stmts[] = {
	{ "echo", "SELECT $1::int", 1 },
	{ "text", "SELECT $1::text, $1 IS NULL", 1 },
	{ "blen", "SELECT pg_catalog.length($1::bytea)", 1 },
	{ "div", "SELECT 1 / $1::int", 1 },
	{ "pid", "SELECT pg_catalog.pg_backend_pid()", 0 },
	{ "sleep", "SELECT pg_catalog.pg_sleep($1::float8)", 1 },
	{ "stmt_timeout",
	    "SELECT pg_catalog.set_config('statement_timeout', $1, false)", 1 },
};
#define NSTMTS	(sizeof(stmts) / sizeof(stmts[0]))

static struct event_base	*base;
static struct db_conninfo	 ci;
static char			 tmpdir[64];

/* ---------------------------------------------------------------- set-up */

static void
become(uid_t euid)
{
	cr_assert_eq(seteuid(euid), 0, "seteuid %u: %s", (unsigned)euid,
	    strerror(errno));
}

static uid_t
role_uid(void)
{
	struct passwd	*pw = getpwnam(ROLE);

	cr_assert_not_null(pw, "no user %s", ROLE);
	return pw->pw_uid;
}

/* Start db.c on the test cluster (or on sockdir) with these statements. */
static void
start_db(const char *sockdir, const struct db_statement *st, size_t n,
    unsigned timeout_ms)
{
	char	 conninfo[256], err[256];

	snprintf(conninfo, sizeof(conninfo), "host=%s dbname=pgpmg",
	    sockdir != NULL ? sockdir : getenv(ENV_SOCK));
	cr_assert_eq(db_conninfo_prepare(conninfo, ROLE, &ci, err,
	    sizeof(err)), 0, "%s", err);
	/* libpq is not in a jail here: the real socket directory. */
	for (size_t i = 0; ci.keywords[i] != NULL; i++)
		if (strcmp(ci.keywords[i], "host") == 0) {
			free(ci.values[i]);
			ci.values[i] = strdup(ci.sockdir);
		}
	become(role_uid());
	cr_assert_not_null(base = event_base_new());
	db_init(base, &ci, st, n, timeout_ms);
}

static void
stop_db(void)
{
	db_free();
	db_conninfo_free(&ci);
	event_base_free(base);
	become(0);
}

static long
now_ms(void)
{
	struct timespec	 t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Run the loop until *flag is set or ms pass; true when it was set.
 * The loop never blocks, so the deadline holds whatever db.c waits for. */
static int
run_until(const int *flag, long ms)
{
	long	 end = now_ms() + ms;

	while (!*flag && now_ms() < end) {
		cr_assert_neq(event_base_loop(base, EVLOOP_ONCE |
		    EVLOOP_NONBLOCK), -1);
		usleep(1000);
	}
	return *flag;
}

static void
run_for(long ms)
{
	static const int never = 0;

	run_until(&never, ms);
}

static int
wait_state(enum db_state want, long ms)
{
	long	 end = now_ms() + ms;

	while (db_state() != want && now_ms() < end) {
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(1000);
	}
	return db_state() == want;
}

/* ---------------------------------------------------------------- callbacks */

struct answer {
	int		 calls;
	enum db_status	 status;
	char		 value[64];
	char		 error[DB_ERROR_MAX];
	char		 sqlstate[8];
	long		 at;
};

static void
answer_cb(const struct db_result *r, void *arg)
{
	struct answer	*a = arg;
	const char	*s;

	a->calls++;
	a->status = r->status;
	a->at = now_ms();
	snprintf(a->error, sizeof(a->error), "%s", r->error);
	if (r->status == DB_OK && PQntuples(r->res) > 0)
		snprintf(a->value, sizeof(a->value), "%s",
		    PQgetisnull(r->res, 0, 0) ? "(null)" :
		    PQgetvalue(r->res, 0, 0));
	if (r->res != NULL &&
	    (s = PQresultErrorField(r->res, PG_DIAG_SQLSTATE)) != NULL)
		snprintf(a->sqlstate, sizeof(a->sqlstate), "%s", s);
}

/* Run one statement and wait for its answer. */
static void
run1(struct answer *a, const char *name, const char *value)
{
	const char	*v[1] = { value };
	const struct db_statement *st = db_statement_find(name);

	memset(a, 0, sizeof(*a));
	cr_assert_not_null(st);
	db_query(name, st->nparams, st->nparams ? v : NULL, NULL, NULL,
	    answer_cb, a);
	cr_assert(run_until(&a->calls, WAIT_MS), "no answer to %s", name);
}

/* ---------------------------------------------------------------- tests */

#define ORDER_N		200

static int	 order_seen[ORDER_N];
static int	 order_next, order_bad, order_chained;

static void
chained_cb(const struct db_result *r, void *arg)
{
	(void)arg;
	order_chained = r->status == DB_OK &&
	    strcmp(PQgetvalue(r->res, 0, 0), "-1") == 0;
}

static void
order_cb(const struct db_result *r, void *arg)
{
	int		 i = (int)(intptr_t)arg;
	const char	*v[1] = { "-1" };

	if (r->status != DB_OK || i != order_next ||
	    atoi(PQgetvalue(r->res, 0, 0)) != i)
		order_bad++;
	order_seen[i]++;
	order_next++;
	/* A query started from a callback. */
	if (i == ORDER_N / 2)
		db_query("echo", 1, v, NULL, NULL, chained_cb, NULL);
}

Test(dbqueue, fifo_exactly_once_and_chained)
{
	char		 buf[16];
	const char	*v[1] = { buf };

	start_db(NULL, stmts, NSTMTS, 5000);
	cr_assert(wait_state(DB_STATE_UP, WAIT_MS), "not up: %s",
	    db_last_error());
	for (int i = 0; i < ORDER_N; i++) {
		snprintf(buf, sizeof(buf), "%d", i);
		db_query("echo", 1, v, NULL, NULL, order_cb,
		    (void *)(intptr_t)i);
	}
	/* No callback runs inside db_query(). */
	cr_assert_eq(order_next, 0);
	run_until(&order_chained, WAIT_MS);
	cr_expect_eq(order_next, ORDER_N);
	cr_expect_eq(order_bad, 0);
	for (int i = 0; i < ORDER_N; i++)
		cr_expect_eq(order_seen[i], 1, "query %d answered %d times",
		    i, order_seen[i]);
	cr_expect(order_chained, "the query started from a callback");
	stop_db();
}

Test(dbqueue, parameters_are_copied)
{
	struct answer	 a, b, c;
	char		 buf[32];
	const char	*v[1] = { buf };
	const char	 bin[5] = { 'a', '\0', 'b', '\0', 'c' };
	const char	*bv[1] = { bin };
	const int	 blen[1] = { 5 }, bfmt[1] = { 1 };
	const char	*nv[1] = { NULL };

	start_db(NULL, stmts, NSTMTS, 5000);
	cr_assert(wait_state(DB_STATE_UP, WAIT_MS));
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	snprintf(buf, sizeof(buf), "it's 'quoted'; --");
	db_query("text", 1, v, NULL, NULL, answer_cb, &a);
	memset(buf, 'X', sizeof(buf) - 1);	/* the caller's buffer goes */
	db_query("blen", 1, bv, blen, bfmt, answer_cb, &b);
	db_query("text", 1, nv, NULL, NULL, answer_cb, &c);
	run_until(&c.calls, WAIT_MS);
	cr_expect_eq(a.status, DB_OK, "%s", a.error);
	cr_expect_str_eq(a.value, "it's 'quoted'; --");
	cr_expect_eq(b.status, DB_OK, "%s", b.error);
	cr_expect_str_eq(b.value, "5", "binary with NULs inside");
	cr_expect_eq(c.status, DB_OK, "%s", c.error);
	cr_expect_str_eq(c.value, "(null)");
	stop_db();
}

Test(dbqueue, parameters_too_large)
{
	struct answer	 a;
	char		*big = malloc(DB_PARAMS_MAX + 2);
	const char	*v[1] = { big };

	cr_assert_not_null(big);
	memset(big, 'x', DB_PARAMS_MAX + 1);
	big[DB_PARAMS_MAX + 1] = '\0';
	start_db(NULL, stmts, NSTMTS, 5000);
	cr_assert(wait_state(DB_STATE_UP, WAIT_MS));
	memset(&a, 0, sizeof(a));
	db_query("text", 1, v, NULL, NULL, answer_cb, &a);
	run_until(&a.calls, WAIT_MS);
	cr_expect_eq(a.status, DB_ERROR);
	cr_expect(strstr(a.error, "larger than") != NULL, "%s", a.error);
	free(big);
	stop_db();
}

Test(dbqueue, sql_error_and_transient_error)
{
	struct answer	 a;

	start_db(NULL, stmts, NSTMTS, 5000);
	cr_assert(wait_state(DB_STATE_UP, WAIT_MS));
	run1(&a, "div", "0");
	cr_expect_eq(a.status, DB_ERROR, "%s", a.error);
	cr_expect_str_eq(a.sqlstate, "22012");
	cr_expect(strstr(a.error, "division by zero") != NULL, "%s", a.error);
	cr_expect(db_up(), "an SQL error keeps the connection");
	/* statement_timeout (57014): a retry may pass, so "unavailable". */
	run1(&a, "stmt_timeout", "50");
	cr_expect_eq(a.status, DB_OK, "%s", a.error);
	run1(&a, "sleep", "1");
	cr_expect_eq(a.status, DB_UNAVAILABLE, "%s", a.error);
	cr_expect_str_eq(a.sqlstate, "57014");
	cr_expect(db_up());
	run1(&a, "echo", "7");
	cr_expect_str_eq(a.value, "7");
	stop_db();
}

Test(dbqueue, queue_full_answers_at_once)
{
	static struct answer	 a[DB_QUEUE_MAX + 10];
	const char		*v[1] = { "1" };
	int			 ok = 0, full = 0, other = 0, last = 0;

	start_db(NULL, stmts, NSTMTS, 5000);
	cr_assert(wait_state(DB_STATE_UP, WAIT_MS));
	for (size_t i = 0; i < DB_QUEUE_MAX + 10; i++)
		db_query("echo", 1, v, NULL, NULL, answer_cb, &a[i]);
	run_until(&a[DB_QUEUE_MAX - 1].calls, WAIT_MS * 3);
	for (size_t i = 0; i < DB_QUEUE_MAX + 10; i++) {
		if (a[i].calls != 1)
			other++;
		else if (a[i].status == DB_OK)
			ok++;
		else if (strstr(a[i].error, "queue full") != NULL) {
			full++;
			last = i >= DB_QUEUE_MAX;
		} else
			other++;
	}
	cr_expect_eq(ok, DB_QUEUE_MAX);
	cr_expect_eq(full, 10);
	cr_expect(last, "the refused ones are the last ten");
	cr_expect_eq(other, 0);
	/* The refusals came before any query ran. */
	cr_expect(a[DB_QUEUE_MAX].at <= a[0].at);
	stop_db();
}

Test(dbqueue, cancel)
{
	struct answer	 a, b, c, d;
	const char	*v[1] = { "0.3" }, *e[1] = { "1" };
	db_handle	 hb, hc;

	start_db(NULL, stmts, NSTMTS, 5000);
	cr_assert(wait_state(DB_STATE_UP, WAIT_MS));
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	memset(&d, 0, sizeof(d));
	db_query("sleep", 1, v, NULL, NULL, answer_cb, &a);
	hb = db_query("sleep", 1, v, NULL, NULL, answer_cb, &b);
	hc = db_query("echo", 1, e, NULL, NULL, answer_cb, &c);
	db_query("echo", 1, e, NULL, NULL, answer_cb, &d);
	/* b in flight once a is answered; c waiting. */
	run_until(&a.calls, WAIT_MS);
	event_base_loop(base, EVLOOP_NONBLOCK);
	cr_assert_not_null(db.inflight);
	cr_assert_eq(db.inflight->id, hb);
	db_cancel(hb);
	db_cancel(hc);
	db_cancel(hc);		/* twice, and a stale one: harmless */
	db_cancel(12345678);
	run_until(&d.calls, WAIT_MS);
	cr_expect_eq(a.calls, 1);
	cr_expect_eq(b.calls, 0, "cancelled in flight");
	cr_expect_eq(c.calls, 0, "cancelled while waiting");
	cr_expect_eq(d.calls, 1);
	cr_expect_eq(d.status, DB_OK);
	stop_db();
}

Test(dbqueue, down_answers_at_once_and_never_inside_db_query)
{
	struct answer	 a;
	char		 dir[] = "/tmp/pgpmg-dbq-none.XXXXXX";
	const char	*v[1] = { "1" };
	long		 t0;

	cr_assert_not_null(mkdtemp(dir));
	chmod(dir, 0755);
	start_db(dir, stmts, NSTMTS, 5000);
	/* Let the first attempt fail. */
	run_for(300);
	cr_expect_eq(db_state(), DB_STATE_DOWN);
	cr_expect(strstr(db_last_error(), "No such file") != NULL, "%s",
	    db_last_error());
	memset(&a, 0, sizeof(a));
	t0 = now_ms();
	db_query("echo", 1, v, NULL, NULL, answer_cb, &a);
	cr_expect_eq(a.calls, 0, "not from inside db_query()");
	run_until(&a.calls, WAIT_MS);
	cr_expect_eq(a.status, DB_UNAVAILABLE);
	cr_expect(a.at - t0 < 50, "answered after %ld ms", a.at - t0);
	cr_expect(strstr(a.error, "database unavailable: ") == a.error, "%s",
	    a.error);
	stop_db();
	rmdir(dir);
}

/* A second connection, blocking (this is the test, not policyd), that
 * ends db.c's backend from the server side. */
static void
terminate_backend(const char *pid)
{
	char		 conninfo[256];
	const char	*v[1] = { pid };
	PGconn		*c;
	PGresult	*r;

	snprintf(conninfo, sizeof(conninfo), "host=%s dbname=pgpmg user="
	    ROLE, getenv(ENV_SOCK));
	c = PQconnectdb(conninfo);
	cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
	r = PQexecParams(c, "SELECT pg_catalog.pg_terminate_backend($1::int)",
	    1, NULL, v, NULL, NULL, 0);
	cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s",
	    PQerrorMessage(c));
	cr_assert_str_eq(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	PQfinish(c);
}

Test(dbqueue, connection_killed_mid_query)
{
	struct answer	 pid, a, b, c;
	const char	*v[1] = { "5" }, *e[1] = { "3" };
	long		 t0;

	start_db(NULL, stmts, NSTMTS, 8000);
	cr_assert(wait_state(DB_STATE_UP, WAIT_MS));
	run1(&pid, "pid", NULL);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	db_query("sleep", 1, v, NULL, NULL, answer_cb, &a);
	db_query("echo", 1, e, NULL, NULL, answer_cb, &b);
	event_base_loop(base, EVLOOP_NONBLOCK);	/* a goes out */
	usleep(100000);
	t0 = now_ms();
	terminate_backend(pid.value);
	run_until(&b.calls, WAIT_MS);
	cr_expect_eq(a.status, DB_UNAVAILABLE, "in flight: %s", a.error);
	cr_expect_eq(b.status, DB_UNAVAILABLE, "waiting: %s", b.error);
	cr_expect(b.at - t0 < 1000, "answered after %ld ms", b.at - t0);
	cr_expect_neq(db_state(), DB_STATE_UP);
	/* Back, with every statement prepared again. */
	cr_assert(wait_state(DB_STATE_UP, WAIT_MS), "%s", db_last_error());
	run1(&c, "echo", "42");
	cr_expect_eq(c.status, DB_OK, "%s", c.error);
	cr_expect_str_eq(c.value, "42");
	run1(&c, "pid", NULL);
	cr_expect_str_neq(c.value, pid.value, "a new backend");
	stop_db();
}

static void
signal_backend(const char *pid, int sig)
{
	become(0);
	cr_assert_eq(kill((pid_t)atoi(pid), sig), 0, "kill %s: %s", pid,
	    strerror(errno));
	become(role_uid());
}

Test(dbqueue, query_on_frozen_backend_times_out)
{
	struct answer	 pid, a, c;
	long		 t0;

	start_db(NULL, stmts, NSTMTS, 1000);
	cr_assert(wait_state(DB_STATE_UP, WAIT_MS));
	run1(&pid, "pid", NULL);
	signal_backend(pid.value, SIGSTOP);
	t0 = now_ms();
	run1(&a, "echo", "1");
	cr_expect_eq(a.status, DB_UNAVAILABLE);
	cr_expect(a.at - t0 >= 950 && a.at - t0 < 2000, "after %ld ms",
	    a.at - t0);
	cr_expect(strstr(a.error, "echo: no answer within 1 s") != NULL,
	    "%s", a.error);
	signal_backend(pid.value, SIGCONT);
	cr_assert(wait_state(DB_STATE_UP, WAIT_MS), "%s", db_last_error());
	run1(&c, "echo", "2");
	cr_expect_eq(c.status, DB_OK, "%s", c.error);
	stop_db();
}

Test(dbqueue, unpreparable_statement_keeps_it_down)
{
	static const struct db_statement bad[] = {
		{ "echo", "SELECT $1::int", 1 },
		{ "missing", "SELECT * FROM pgpmg_no_such_table", 0 },
	};
	struct answer	 a;

	start_db(NULL, bad, 2, 5000);
	run_for(500);
	cr_expect_neq(db_state(), DB_STATE_UP);
	cr_expect(strstr(db_last_error(), "preparing missing: ") != NULL &&
	    strstr(db_last_error(), "does not exist") != NULL, "%s",
	    db_last_error());
	run1(&a, "echo", "1");
	cr_expect_eq(a.status, DB_UNAVAILABLE);
	stop_db();
}

/*
 * The back-off, against a socket that accepts and closes at once (not a
 * database: the attempt fails the way a crashing server's would): at
 * 0, 0.1, 0.3, 0.7, 1.5 and 3.1 s, so five attempts in 2.5 s, where a
 * retry loop without back-off would make hundreds.
 */
Test(dbqueue, backoff_between_attempts)
{
	struct sockaddr_un	 sun = { .sun_family = AF_UNIX };
	char			 dir[] = "/tmp/pgpmg-dbq-bo.XXXXXX";
	long			 end;
	int			 l, n = 0;

	cr_assert_not_null(mkdtemp(dir));
	chmod(dir, 0755);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/.s.PGSQL.5432", dir);
	cr_assert((l = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0)) != -1);
	cr_assert_eq(bind(l, (struct sockaddr *)&sun, sizeof(sun)), 0);
	chmod(sun.sun_path, 0777);
	cr_assert_eq(listen(l, 16), 0);
	start_db(dir, stmts, NSTMTS, 5000);
	end = now_ms() + 2500;
	while (now_ms() < end) {
		int c;

		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		while ((c = accept(l, NULL, NULL)) != -1) {
			n++;
			close(c);
		}
		usleep(1000);
	}
	cr_expect(n >= 4 && n <= 6, "%d attempts in 2.5 s", n);
	cr_expect_eq(db_state(), DB_STATE_DOWN);
	/* Down since the start, whatever the retries did meanwhile. */
	cr_expect_geq(db_state_seconds(), 2);
	stop_db();
	close(l);
	unlink(sun.sun_path);
	rmdir(dir);
}

/* ---------------------------------------------------------------- main */

static int
sh(const char *fmt, ...)
{
	char	 cmd[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

int
main(int argc, char *argv[])
{
	struct criterion_test_set	*tests;
	char				 sock[128];
	int				 result = 1;

	tests = criterion_initialize();
	if (!criterion_handle_args(argc, argv, true))
		goto out;
	if (geteuid() != 0 || access(PG_SH, X_OK) != 0) {
		fprintf(stderr, "test_policyd_dbqueue: run as root from the "
		    "top of the tree (needs %s)\n", PG_SH);
		goto out;
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pgpmg-dbq.XXXXXX");
	if (mkdtemp(tmpdir) == NULL || chmod(tmpdir, 0755) == -1)
		goto out;
	snprintf(sock, sizeof(sock), "%s/sock", tmpdir);
	setenv(ENV_SOCK, sock, 1);
	if (sh("%s init %s/data %s >/dev/null && %s start %s/data %s %s/pg.log",
	    PG_SH, tmpdir, sock, PG_SH, tmpdir, sock, tmpdir) != 0)
		fprintf(stderr, "test_policyd_dbqueue: no PostgreSQL: the "
		    "tests will fail\n");
	result = !criterion_run_all_tests(tests);
	sh("%s stop %s/data >/dev/null 2>&1", PG_SH, tmpdir);
	sh("rm -rf %s", tmpdir);
 out:
	criterion_finalize(tests);
	return result;
}
