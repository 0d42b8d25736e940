/*
 * console_login: the password checks of the console, a login's and a
 * reauth's, as one kind of attempt; see console.h and lockout.h.
 *
 * An attempt: a verifier slot takes the password at once (none free:
 * busy); the account is looked up (a login: by the address typed; a
 * reauth: the live session's user); if the account, an unknown address
 * or the client address is locked, the attempt is refused unchecked;
 * otherwise the verifier checks the password, against the dummy hash
 * when there is no account or no password, so that every check takes the
 * same time; then the outcome is recorded, and only then answered:
 *
 *   good, and the account may log in  the count cleared, (a login) the
 *                                     session made, "login" audited;
 *   anything else                     the account's count (in its row)
 *                                     or the unknown address's (here)
 *                                     and the client's count go up,
 *                                     "login-failed" is audited with the
 *                                     reason, and "lockout" too when the
 *                                     count reached LOCKOUT_HARD.
 *
 * The answer to a failure is "denied", or "locked" with the seconds the
 * failure locked for: the same for every reason, which only the audit
 * log tells.  An outcome that could not be recorded is answered
 * "unavailable": no answer says more than the audit log holds.  Nothing
 * is recorded (or audited) for an attempt answered busy or unavailable
 * before its check: nothing was decided, and a flood of them must not
 * become a flood of audit rows.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/msg.h"
#include "common/passhash.h"
#include "common/userdef.h"
#include "policyd/audit.h"
#include "policyd/console.h"
#include "policyd/console_internal.h"
#include "policyd/db.h"
#include "policyd/lockout.h"
#include "policyd/secrets.h"
#include "policyd/statements.h"
#include "policyd/token.h"
#include "policyd/verifier.h"

/* "Busy" is logged at most this often: a flood would fill the log. */
#define LOGIN_BUSY_LOG_SEC	60
/* An address as the audit log gets it: any byte may become \xNN. */
#define LOGIN_SUBJECT_MAX	(4 * CONSOLE_ADDRESS_MAX)

/* Why an attempt failed: for the audit log, never for the answer. */
#define REASON_WRONG		"wrong password"
#define REASON_UNKNOWN		"unknown address"
#define REASON_LOCKED		"locked"
#define REASON_NO_PORTAL	"no portal login"
#define REASON_ROLE_NONE	"role none"
#define REASON_CHANGED		"account changed during the check"

enum outcome {
	OUT_OK = 0,
	OUT_DENIED,
	OUT_LOCKED,
	OUT_NONE,		/* a reauth's session is not live */
	OUT_BUSY,
	OUT_UNAVAILABLE,
	OUT_MAX
};

/* Each outcome as each kind of attempt answers it. */
static const struct {
	enum login_status	 login;
	enum reauth_status	 reauth;
} outcomes[OUT_MAX] = {
	[OUT_OK] =		{ LOGIN_OK, REAUTH_OK },
	[OUT_DENIED] =		{ LOGIN_DENIED, REAUTH_DENIED },
	[OUT_LOCKED] =		{ LOGIN_LOCKED, REAUTH_LOCKED },
	[OUT_NONE] =		{ LOGIN_DENIED, REAUTH_NONE },
	[OUT_BUSY] =		{ LOGIN_BUSY, REAUTH_BUSY },
	[OUT_UNAVAILABLE] =	{ LOGIN_UNAVAILABLE, REAUTH_UNAVAILABLE },
};

struct attempt {
	int		 reauth;
	int		 slot;		/* -1 once checked or given back */
	/* The account, when there is one. */
	int		 known;
	int		 can_login;
	const char	*deny;		/* why it may not log in */
	char		 user_id[24];
	char		 stored[CONSOLE_ADDRESS_MAX + 1];
	char		 role[CONSOLE_ROLE_MAX + 1];
	char		 phc[PASSHASH_PHC_MAX + 1];	/* "": none */
	uint32_t	 account_wait;	/* its lock's seconds left */
	/* An address that is no account: as typed, for the audit log, and
	 * as lockout.c counts it. */
	char		 typed[LOGIN_SUBJECT_MAX + 1];
	char		 account_key[LOCKOUT_KEY_MAX + 1];
	char		 client[CONSOLE_CLIENT_MAX + 1];
	char		 client_key[LOCKOUT_KEY_MAX + 1];
	/* A login's new session, or the session of a reauth. */
	char		 session[CONSOLE_TOKEN_LEN + 1];
	char		 session_hash[TOKEN_HASH_HEX + 1];
	uint32_t	 wait;		/* the answer's seconds */
	console_login_cb	 login_cb;
	console_reauth_cb	 reauth_cb;
	void		*arg;
};

static struct {
	int64_t		 busy_logged;	/* when "busy" was last logged */
	unsigned	 busy_count;	/* answered busy since */
} lg;

static void	attempt_checked(int, void *);

static void
finish(struct attempt *q, enum outcome out)
{
	if (q->slot != -1)
		verifier_release(q->slot);
	if (out != OUT_LOCKED)
		q->wait = 0;
	if (q->reauth)
		q->reauth_cb(outcomes[out].reauth, q->wait, q->arg);
	else if (out == OUT_OK)
		q->login_cb(LOGIN_OK, 0, q->session, q->role, q->stored,
		    q->arg);
	else
		q->login_cb(outcomes[out].login, q->wait, "", "", "", q->arg);
	explicit_bzero(q, sizeof(*q));
	free(q);
}

static void
note_busy(void)
{
	struct timespec	 ts;
	int64_t		 now;

	lg.busy_count++;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("console: clock_gettime");
	now = ts.tv_sec;
	if (lg.busy_logged != 0 && now - lg.busy_logged < LOGIN_BUSY_LOG_SEC)
		return;
	log_warnx("console: all %d password checks are taken: %u attempt%s "
	    "answered busy", VERIFIER_SLOTS, lg.busy_count,
	    lg.busy_count == 1 ? "" : "s");
	lg.busy_logged = now;
	lg.busy_count = 0;
}

static struct attempt *
attempt_new(int reauth, void *arg)
{
	struct attempt	*q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		fatal("console");
	q->reauth = reauth;
	q->slot = -1;
	q->arg = arg;
	return q;
}

static const char *
subject_of(struct attempt *q)
{
	return q->known ? q->stored : q->typed;
}

/* ---------------------------------------------------------------- record */

/* An audit row alone was written: answer as the attempt stands. */
static void
audit_recorded(const struct db_result *r, void *arg)
{
	struct attempt	*q = arg;

	if (r->status != DB_OK) {
		log_warnx("console: the failed attempt of %s from %s is not "
		    "recorded (%s): answered unavailable", subject_of(q),
		    q->client, r->error);
		finish(q, OUT_UNAVAILABLE);
		return;
	}
	finish(q, q->wait > 0 ? OUT_LOCKED : OUT_DENIED);
}

/* The audit row of an attempt that changes no account. */
static void
record_unchecked(struct attempt *q, const char *reason, const char *failures,
    int lockout)
{
	const char	*v[7];
	char		 secs[16];

	snprintf(secs, sizeof(secs), "%u", q->wait);
	v[0] = subject_of(q);
	v[1] = q->client;
	v[2] = reason;
	v[3] = failures;
	v[4] = secs;
	v[5] = q->reauth ? "true" : "false";
	v[6] = lockout ? "true" : "false";
	audit_query(STMT_CONSOLE_AUDIT_FAILED, 7, v, audit_recorded, q);
}

static void
failed_recorded(const struct db_result *r, void *arg)
{
	struct attempt	*q = arg;
	uint32_t	 secs;

	if (r->status != DB_OK || PQnfields(r->res) != 4 ||
	    PQntuples(r->res) != 1) {
		log_warnx("console: the failed attempt of %s from %s is not "
		    "recorded (%s): answered unavailable", q->stored, q->client,
		    r->status != DB_OK ? r->error : "no account");
		finish(q, OUT_UNAVAILABLE);
		return;
	}
	secs = (uint32_t)strtoul(PQgetvalue(r->res, 0, 1), NULL, 10);
	if (secs > q->wait)
		q->wait = secs;
	if (strcmp(PQgetvalue(r->res, 0, 2), "0") != 0)
		log_warnx("console: %s is locked for %u s after %s failed "
		    "attempts in a row", q->stored, secs,
		    PQgetvalue(r->res, 0, 0));
	finish(q, q->wait > 0 ? OUT_LOCKED : OUT_DENIED);
}

static void
attempt_failed(struct attempt *q, const char *reason)
{
	const char	*v[6];
	char		 hard[16], failures[16];
	uint32_t	 n = 0, secs;

	q->wait = lockout_fail(LOCKOUT_CLIENT, q->client_key, NULL);
	log_info("console: %s of %s from %s failed: %s", q->reauth ?
	    "reauth" : "login", subject_of(q), q->client, reason);
	if (!q->known) {
		secs = lockout_fail(LOCKOUT_UNKNOWN, q->account_key, &n);
		if (secs > q->wait)
			q->wait = secs;
		snprintf(failures, sizeof(failures), "%u", n);
		record_unchecked(q, reason, failures, n >= LOCKOUT_HARD);
		return;
	}
	snprintf(hard, sizeof(hard), "%d", LOCKOUT_HARD);
	v[0] = q->user_id;
	v[1] = q->client;
	v[2] = reason;
	v[3] = lockout_sql_table();
	v[4] = q->reauth ? "true" : "false";
	v[5] = hard;
	audit_query(STMT_CONSOLE_LOGIN_FAILED, 6, v, failed_recorded, q);
}

static void
ok_recorded(const struct db_result *r, void *arg)
{
	struct attempt	*q = arg;
	int		 ncols = q->reauth ? 2 : 4;

	if (r->status != DB_OK || PQnfields(r->res) != ncols ||
	    PQntuples(r->res) > 1) {
		log_warnx("console: the %s of %s from %s is not recorded (%s): "
		    "answered unavailable", q->reauth ? "reauth" : "login",
		    q->stored, q->client, r->status != DB_OK ? r->error :
		    "unexpected answer");
		finish(q, OUT_UNAVAILABLE);
		return;
	}
	/* The account changed between its lookup and now: the hash that
	 * matched is not its hash any more, or it may no longer log in. */
	if (PQntuples(r->res) == 0) {
		attempt_failed(q, REASON_CHANGED);
		return;
	}
	snprintf(q->stored, sizeof(q->stored), "%s", PQgetvalue(r->res, 0, 0));
	if (!q->reauth)
		snprintf(q->role, sizeof(q->role), "%s",
		    PQgetvalue(r->res, 0, 1));
	lockout_clear(LOCKOUT_CLIENT, q->client_key);
	log_info("console: %s %s from %s (audit row %s)", q->stored,
	    q->reauth ? "gave the password again" : "logged in", q->client,
	    PQgetvalue(r->res, 0, q->reauth ? 1 : 2));
	finish(q, OUT_OK);
}

static void
attempt_ok(struct attempt *q)
{
	const char	*v[5];
	char		 keep[16];

	v[0] = q->user_id;
	v[1] = q->phc;
	if (q->reauth) {
		v[2] = q->client;
		v[3] = q->session_hash;
		audit_query(STMT_CONSOLE_REAUTH_OK, 4, v, ok_recorded, q);
		return;
	}
	if (token_session_new(q->session) == -1) {
		log_warnx("console: no random bytes for a session id");
		finish(q, OUT_UNAVAILABLE);
		return;
	}
	token_session_hash(q->session, q->session_hash);
	snprintf(keep, sizeof(keep), "%d", CONSOLE_SESSIONS_PER_USER);
	v[2] = q->session_hash;
	v[3] = q->client;
	v[4] = keep;
	audit_query(STMT_CONSOLE_LOGIN_OK, 5, v, ok_recorded, q);
}

/* ---------------------------------------------------------------- check */

static void
attempt_checked(int match, void *arg)
{
	struct attempt	*q = arg;

	q->slot = -1;
	if (match && q->can_login)
		attempt_ok(q);
	else if (!q->known)
		attempt_failed(q, REASON_UNKNOWN);
	else if (!q->can_login)
		attempt_failed(q, q->deny);
	else
		attempt_failed(q, REASON_WRONG);
}

/* The account (or its absence) is known: refuse while locked, or check. */
static void
attempt_decide(struct attempt *q)
{
	uint32_t	 wait;

	q->wait = q->known ? q->account_wait :
	    lockout_wait(LOCKOUT_UNKNOWN, q->account_key);
	if ((wait = lockout_wait(LOCKOUT_CLIENT, q->client_key)) > q->wait)
		q->wait = wait;
	if (q->wait > 0) {
		verifier_release(q->slot);
		q->slot = -1;
		log_debug("console: %s of %s from %s refused unchecked: locked "
		    "for %u s", q->reauth ? "reauth" : "login", subject_of(q),
		    q->client, q->wait);
		record_unchecked(q, REASON_LOCKED, NULL, 0);
		return;
	}
	verifier_start(q->slot, q->known && q->phc[0] != '\0' ? q->phc : NULL,
	    attempt_checked, q);
}

/* The account's row from column c on: id, address, role, portal_login,
 * password_hash, failed_logins, the lock's seconds left. */
static void
attempt_account(struct attempt *q, const PGresult *res, int c)
{
	const char	*role = PQgetvalue(res, 0, c + 2);
	unsigned long	 wait;

	q->known = 1;
	snprintf(q->user_id, sizeof(q->user_id), "%s", PQgetvalue(res, 0, c));
	snprintf(q->stored, sizeof(q->stored), "%s",
	    PQgetvalue(res, 0, c + 1));
	snprintf(q->role, sizeof(q->role), "%s", role);
	if (!PQgetisnull(res, 0, c + 4))
		snprintf(q->phc, sizeof(q->phc), "%s",
		    PQgetvalue(res, 0, c + 4));
	wait = strtoul(PQgetvalue(res, 0, c + 6), NULL, 10);
	q->account_wait = wait > UINT32_MAX ? UINT32_MAX : (uint32_t)wait;
	q->can_login = 1;
	if (PQgetvalue(res, 0, c + 3)[0] != 't') {
		q->can_login = 0;
		q->deny = REASON_NO_PORTAL;
	} else if (strcmp(role, "admin") != 0 && strcmp(role, "user") != 0) {
		q->can_login = 0;
		q->deny = REASON_ROLE_NONE;
	} else if (q->phc[0] == '\0') {
		/* The schema allows no portal login without one. */
		q->can_login = 0;
		q->deny = REASON_NO_PORTAL;
	}
}

/* ---------------------------------------------------------------- login */

static void
login_user_found(const struct db_result *r, void *arg)
{
	struct attempt	*q = arg;

	if (r->status != DB_OK || PQnfields(r->res) != 8 ||
	    PQntuples(r->res) != 1) {
		log_debug("console: looking up %s: %s", q->typed,
		    r->status != DB_OK ? r->error : "unexpected answer");
		finish(q, OUT_UNAVAILABLE);
		return;
	}
	/*
	 * The address as the database folds it (lower() under the
	 * cluster's locale, Unicode letters too) names its count whether
	 * or not there is an account: with ASCII's tolower() for unknown
	 * addresses alone, "ÖTTO@" and "ötto@" would count apart where
	 * "JÜRGEN@" and "jürgen@" share a row, and the difference would
	 * tell which addresses exist.
	 */
	lockout_account_key(PQgetvalue(r->res, 0, 0), q->account_key,
	    sizeof(q->account_key));
	if (!PQgetisnull(r->res, 0, 1))
		attempt_account(q, r->res, 1);
	attempt_decide(q);
}

void
console_login(const char *address, const char *password, const char *client,
    console_login_cb cb, void *arg)
{
	struct attempt	*q;
	const char	*v[1];
	char		 err[256];

	if (strnlen(address, CONSOLE_ADDRESS_MAX + 1) > CONSOLE_ADDRESS_MAX ||
	    strnlen(password, CONSOLE_PASSWORD_MAX + 1) >
	    CONSOLE_PASSWORD_MAX || !console_client_valid(client))
		fatalx("console_login: an argument beyond its bounds");
	q = attempt_new(0, arg);
	q->login_cb = cb;
	snprintf(q->client, sizeof(q->client), "%s", client);
	lockout_client_key(client, q->client_key, sizeof(q->client_key));
	console_printable(address, q->typed, sizeof(q->typed));
	lockout_account_key(address, q->account_key, sizeof(q->account_key));
	/* Without the key the session would have no CSRF token. */
	if (!db_up() || secrets_console_key() == NULL) {
		finish(q, OUT_UNAVAILABLE);
		return;
	}
	if ((q->slot = verifier_reserve(password)) == -1) {
		note_busy();
		finish(q, OUT_BUSY);
		return;
	}
	/* What the schema would never hold is no account (and, with bytes
	 * that are not UTF-8, no parameter the server would take). */
	if (user_address_check(address, err, sizeof(err)) == -1) {
		attempt_decide(q);
		return;
	}
	v[0] = address;
	db_query(STMT_CONSOLE_USER, 1, v, NULL, NULL, login_user_found, q);
}

/* ---------------------------------------------------------------- reauth */

static void
reauth_user_found(const struct db_result *r, void *arg)
{
	struct attempt	*q = arg;
	const char	*client;

	if (r->status != DB_OK || PQnfields(r->res) != 8 ||
	    PQntuples(r->res) > 1) {
		log_debug("console: looking up a session: %s",
		    r->status != DB_OK ? r->error : "unexpected answer");
		finish(q, OUT_UNAVAILABLE);
		return;
	}
	if (PQntuples(r->res) == 0) {
		finish(q, OUT_NONE);
		return;
	}
	/* The lookup took only a live session of a user who may log in. */
	attempt_account(q, r->res, 0);
	client = PQgetvalue(r->res, 0, 7);
	snprintf(q->client, sizeof(q->client), "%s",
	    console_client_valid(client) ? client : "unknown");
	lockout_client_key(q->client, q->client_key, sizeof(q->client_key));
	attempt_decide(q);
}

void
console_reauth(const char *session, const char *password,
    console_reauth_cb cb, void *arg)
{
	struct attempt	*q;
	const struct console_limits *l = console_limits();
	const char	*v[3];

	if (strnlen(session, CONSOLE_TOKEN_LEN + 1) > CONSOLE_TOKEN_LEN ||
	    strnlen(password, CONSOLE_PASSWORD_MAX + 1) > CONSOLE_PASSWORD_MAX)
		fatalx("console_reauth: an argument beyond its bounds");
	q = attempt_new(1, arg);
	q->reauth_cb = cb;
	if (!db_up()) {
		finish(q, OUT_UNAVAILABLE);
		return;
	}
	if (!token_session_valid(session)) {
		finish(q, OUT_NONE);
		return;
	}
	if ((q->slot = verifier_reserve(password)) == -1) {
		note_busy();
		finish(q, OUT_BUSY);
		return;
	}
	memcpy(q->session, session, CONSOLE_TOKEN_LEN + 1);
	token_session_hash(session, q->session_hash);
	v[0] = q->session_hash;
	v[1] = l->idle;
	v[2] = l->lifetime;
	db_query(STMT_CONSOLE_REAUTH_USER, 3, v, NULL, NULL, reauth_user_found,
	    q);
}

void
console_login_init(uint64_t lockout_seconds)
{
	lockout_init(lockout_seconds);
}
