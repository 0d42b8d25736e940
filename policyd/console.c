/*
 * console: webd's requests (a table at the end names each one's reader),
 * the session lookup and the logout; the password checks of a login or a
 * reauth are console_login.c's.  See console.h.
 *
 * A request is parsed exactly: every string within its bound of msg.h,
 * nothing left over, a request id that is not 0, a client address of
 * printable ASCII; anything else is fatal, as from any peer.  What a
 * person typed (an address, a password) or a browser sent (the cookie's
 * session id) is only data: any bytes within the bound are answered, at
 * worst "denied" or "none".  The passwords are wiped from the message
 * once copied.
 *
 * webd's requests in flight are bounded (CONSOLE_PENDING_MAX): beyond it
 * a login or reauth is answered busy, a session lookup unavailable and a
 * logout none, at once.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/child.h"
#include "common/log.h"
#include "common/msg.h"
#include "common/policydef.h"
#include "common/utf8.h"
#include "imsg/imsg.h"
#include "policyd/audit.h"
#include "policyd/console.h"
#include "policyd/console_internal.h"
#include "policyd/db.h"
#include "policyd/secrets.h"
#include "policyd/statements.h"
#include "policyd/token.h"

/* webd's requests waiting for their answer.  Each lookup takes about a
 * millisecond of the database: a few hundred waiting means it cannot keep
 * up, and answering at once beats a queue nobody is served from. */
#define CONSOLE_PENDING_MAX	256

/* One of webd's requests, until its answer is sent. */
struct console_req {
	uint32_t	 request;
};

/* A session lookup or a logout on its way to the database. */
struct session_req {
	char			 id[CONSOLE_TOKEN_LEN + 1];
	console_session_cb	 session_cb;
	console_logout_cb	 logout_cb;
	void			*arg;
};

static struct {
	struct child		*c;
	struct console_limits	 limits;
	size_t			 pending;
} cs;

const struct console_limits *
console_limits(void)
{
	return &cs.limits;
}

int
console_client_valid(const char *s)
{
	size_t	 n = strnlen(s, CONSOLE_CLIENT_MAX + 1);

	if (n == 0 || n > CONSOLE_CLIENT_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return 0;
	return 1;
}

void
console_printable(const char *s, char *out, size_t outlen)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 o = 0;

	if (utf8_valid_str(s) && !pol_has_control(s)) {
		snprintf(out, outlen, "%s", s);
		return;
	}
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0' &&
	    o + 5 < outlen; p++) {
		if (*p > ' ' && *p <= '~' && *p != '\\')
			out[o++] = (char)*p;
		else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = digits[*p >> 4];
			out[o++] = digits[*p & 0xf];
		}
	}
	if (outlen > 0)
		out[o] = '\0';
}

/* ---------------------------------------------------------------- session */

static void
session_answered(const struct db_result *r, void *arg)
{
	struct session_req	*q = arg;
	struct console_user	 u;
	const unsigned char	*key = secrets_console_key();
	const PGresult		*res = r->res;

	if (r->status != DB_OK) {
		log_debug("console: a session lookup failed: %s", r->error);
		q->session_cb(SESSION_UNAVAILABLE, NULL, q->arg);
		goto done;
	}
	if (PQnfields(res) != 5 || PQntuples(res) > 1) {
		log_warnx("console: a session lookup answered %d columns and "
		    "%d rows", PQnfields(res), PQntuples(res));
		q->session_cb(SESSION_UNAVAILABLE, NULL, q->arg);
		goto done;
	}
	if (PQntuples(res) == 0) {
		q->session_cb(SESSION_NONE, NULL, q->arg);
		goto done;
	}
	/* The key may be gone since the question: never fail open. */
	if (key == NULL) {
		q->session_cb(SESSION_UNAVAILABLE, NULL, q->arg);
		goto done;
	}
	memset(&u, 0, sizeof(u));
	u.id = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	snprintf(u.address, sizeof(u.address), "%s", PQgetvalue(res, 0, 1));
	snprintf(u.role, sizeof(u.role), "%s", PQgetvalue(res, 0, 2));
	snprintf(u.name, sizeof(u.name), "%s", PQgetvalue(res, 0, 3));
	token_csrf(key, q->id, u.csrf);
	q->session_cb(SESSION_OK, &u, q->arg);
	explicit_bzero(&u, sizeof(u));
 done:
	explicit_bzero(q, sizeof(*q));
	free(q);
}

void
console_session(const char *session, const char *client,
    console_session_cb cb, void *arg)
{
	struct session_req	*q;
	const char		*v[5];
	char			 hash[TOKEN_HASH_HEX + 1];

	if (!console_client_valid(client))
		fatalx("console_session: a bad client address");
	/* Nothing fails open: without the key there is no CSRF token, so
	 * no session either. */
	if (!db_up() || secrets_console_key() == NULL) {
		cb(SESSION_UNAVAILABLE, NULL, arg);
		return;
	}
	if (!token_session_valid(session)) {
		cb(SESSION_NONE, NULL, arg);
		return;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL)
		fatal("console");
	memcpy(q->id, session, CONSOLE_TOKEN_LEN + 1);
	q->session_cb = cb;
	q->arg = arg;
	token_session_hash(session, hash);
	v[0] = hash;
	v[1] = cs.limits.idle;
	v[2] = cs.limits.lifetime;
	v[3] = client;
	v[4] = cs.limits.touch;
	db_query(STMT_CONSOLE_SESSION, 5, v, NULL, NULL, session_answered, q);
}

/* ---------------------------------------------------------------- logout */

static void
logout_answered(const struct db_result *r, void *arg)
{
	struct session_req	*q = arg;

	if (r->status != DB_OK || PQnfields(r->res) != 2 ||
	    PQntuples(r->res) > 1) {
		log_warnx("console: a logout failed: %s", r->status != DB_OK ?
		    r->error : "unexpected answer");
		q->logout_cb(LOGOUT_UNAVAILABLE, q->arg);
	} else if (PQntuples(r->res) == 0)
		q->logout_cb(LOGOUT_NONE, q->arg);
	else {
		log_info("console: %s logged out (audit row %s)",
		    PQgetvalue(r->res, 0, 0), PQgetvalue(r->res, 0, 1));
		q->logout_cb(LOGOUT_DONE, q->arg);
	}
	explicit_bzero(q, sizeof(*q));
	free(q);
}

void
console_logout(const char *session, console_logout_cb cb, void *arg)
{
	struct session_req	*q;
	const char		*v[1];
	char			 hash[TOKEN_HASH_HEX + 1];

	if (!token_session_valid(session)) {
		cb(LOGOUT_NONE, arg);
		return;
	}
	/* Not "none": the session may well be alive, and whoever signs out
	 * must not believe it ended. */
	if (!db_up()) {
		cb(LOGOUT_UNAVAILABLE, arg);
		return;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL)
		fatal("console");
	q->logout_cb = cb;
	q->arg = arg;
	token_session_hash(session, hash);
	v[0] = hash;
	audit_query(STMT_CONSOLE_LOGOUT, 1, v, logout_answered, q);
}

/* ---------------------------------------------------------------- webd */

struct imsgev *
console_webd(void)
{
	struct child_peer	*p = child_peer_find(cs.c, PROC_WEBD, 0);

	if (p == NULL || !p->up)
		fatalx("console: an answer for webd, which is not there");
	return &p->iev;
}

int
console_pending_take(void)
{
	return ++cs.pending > CONSOLE_PENDING_MAX;
}

void
console_pending_give(void)
{
	if (cs.pending == 0)
		fatalx("console: more answers than requests");
	cs.pending--;
}

/* A request; *busy when it is one beyond the bound. */
static struct console_req *
req_new(uint32_t request, int *busy)
{
	struct console_req	*q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		fatal("console");
	q->request = request;
	*busy = console_pending_take();
	return q;
}

/* Compose an answer to webd; the request is over. */
static struct ibuf *
answer_start(struct console_req *q, uint32_t type, size_t len)
{
	struct imsgev	*iev = console_webd();
	struct ibuf	*b;

	if ((b = imsg_create(&iev->ibuf, type, 0, -1,
	    sizeof(uint32_t) + len)) == NULL ||
	    imsg_add_u32(b, q->request) == -1)
		fatal("compose %s", imsg_type_name(type));
	return b;
}

static void
answer_end(struct console_req *q, struct ibuf *b)
{
	struct imsgev	*iev = console_webd();

	imsg_close(&iev->ibuf, b);
	imsgev_update(iev);
	console_pending_give();
	free(q);
}

static void
login_answer(enum login_status st, uint32_t wait, const char *session,
    const char *role, const char *address, void *arg)
{
	struct console_req	*q = arg;
	struct ibuf		*b;

	b = answer_start(q, IMSG_POLICYD_LOGIN, 2 * sizeof(uint32_t) +
	    strlen(session) + strlen(role) + strlen(address) + 3);
	if (imsg_add_u32(b, st) == -1 || imsg_add_u32(b, wait) == -1 ||
	    imsg_add_string(b, session) == -1 ||
	    imsg_add_string(b, role) == -1 ||
	    imsg_add_string(b, address) == -1)
		fatal("compose POLICYD_LOGIN");
	answer_end(q, b);
}

static void
session_answer(enum session_status st, const struct console_user *u,
    void *arg)
{
	struct console_req	*q = arg;
	struct console_user	 none;
	struct ibuf		*b;

	if (u == NULL) {
		memset(&none, 0, sizeof(none));
		u = &none;
	}
	b = answer_start(q, IMSG_POLICYD_SESSION, sizeof(uint32_t) +
	    sizeof(uint64_t) + strlen(u->address) + strlen(u->role) +
	    strlen(u->name) + strlen(u->csrf) + 4);
	if (imsg_add_u32(b, st) == -1 || imsg_add_u64(b, u->id) == -1 ||
	    imsg_add_string(b, u->address) == -1 ||
	    imsg_add_string(b, u->role) == -1 ||
	    imsg_add_string(b, u->name) == -1 ||
	    imsg_add_string(b, u->csrf) == -1)
		fatal("compose POLICYD_SESSION");
	answer_end(q, b);
}

static void
logout_answer(enum logout_status st, void *arg)
{
	struct console_req	*q = arg;
	struct ibuf		*b;

	b = answer_start(q, IMSG_POLICYD_LOGOUT, sizeof(uint32_t));
	if (imsg_add_u32(b, st) == -1)
		fatal("compose POLICYD_LOGOUT");
	answer_end(q, b);
}

static void
reauth_answer(enum reauth_status st, uint32_t wait, void *arg)
{
	struct console_req	*q = arg;
	struct ibuf		*b;

	b = answer_start(q, IMSG_POLICYD_REAUTH, 2 * sizeof(uint32_t));
	if (imsg_add_u32(b, st) == -1 || imsg_add_u32(b, wait) == -1)
		fatal("compose POLICYD_REAUTH");
	answer_end(q, b);
}

/* Each reader parses its message exactly, or dies naming it. */
static void
webd_login(struct imsg_reader *r, uint32_t request)
{
	struct console_req	*q;
	const char		*address, *password, *client;
	int			 busy;

	if (imsg_read_string(r, &address, CONSOLE_ADDRESS_MAX) == -1 ||
	    imsg_read_string(r, &password, CONSOLE_PASSWORD_MAX) == -1 ||
	    imsg_read_string(r, &client, CONSOLE_CLIENT_MAX) == -1 ||
	    imsg_reader_end(r) == -1 || !console_client_valid(client))
		fatalx("malformed WEBD_LOGIN");
	q = req_new(request, &busy);
	if (busy) {
		login_answer(LOGIN_BUSY, 0, "", "", "", q);
		return;
	}
	console_login(address, password, client, login_answer, q);
}

static void
webd_session(struct imsg_reader *r, uint32_t request)
{
	struct console_req	*q;
	const char		*session, *client;
	int			 busy;

	if (imsg_read_string(r, &session, CONSOLE_TOKEN_LEN) == -1 ||
	    imsg_read_string(r, &client, CONSOLE_CLIENT_MAX) == -1 ||
	    imsg_reader_end(r) == -1 || !console_client_valid(client))
		fatalx("malformed WEBD_SESSION");
	q = req_new(request, &busy);
	if (busy) {
		session_answer(SESSION_UNAVAILABLE, NULL, q);
		return;
	}
	console_session(session, client, session_answer, q);
}

static void
webd_logout(struct imsg_reader *r, uint32_t request)
{
	struct console_req	*q;
	const char		*session;
	int			 busy;

	if (imsg_read_string(r, &session, CONSOLE_TOKEN_LEN) == -1 ||
	    imsg_reader_end(r) == -1)
		fatalx("malformed WEBD_LOGOUT");
	q = req_new(request, &busy);
	if (busy) {
		logout_answer(LOGOUT_UNAVAILABLE, q);
		return;
	}
	console_logout(session, logout_answer, q);
}

static void
webd_reauth(struct imsg_reader *r, uint32_t request)
{
	struct console_req	*q;
	const char		*session, *password;
	int			 busy;

	if (imsg_read_string(r, &session, CONSOLE_TOKEN_LEN) == -1 ||
	    imsg_read_string(r, &password, CONSOLE_PASSWORD_MAX) == -1 ||
	    imsg_reader_end(r) == -1)
		fatalx("malformed WEBD_REAUTH");
	q = req_new(request, &busy);
	if (busy) {
		reauth_answer(REAUTH_BUSY, 0, q);
		return;
	}
	console_reauth(session, password, reauth_answer, q);
}

/* webd's requests and their readers. */
static const struct {
	uint32_t	 type;
	void		(*read)(struct imsg_reader *, uint32_t);
	int		 secret;	/* carries a password: wiped */
} console_reqs[] = {
	{ IMSG_WEBD_LOGIN,	webd_login,	1 },
	{ IMSG_WEBD_SESSION,	webd_session,	0 },
	{ IMSG_WEBD_LOGOUT,	webd_logout,	0 },
	{ IMSG_WEBD_REAUTH,	webd_reauth,	1 },
};

void
console_msg(struct child *c, struct child_peer *p, struct imsg *imsg)
{
	struct imsg_reader	 r;
	uint32_t		 request;

	(void)c;
	for (size_t i = 0; i < sizeof(console_reqs) / sizeof(console_reqs[0]);
	    i++) {
		if (console_reqs[i].type != imsg->hdr.type)
			continue;
		imsg_reader_init(&r, imsg);
		if (imsg_read_u32(&r, &request) == -1 || request == 0)
			fatalx("malformed %s", imsg_type_name(imsg->hdr.type));
		console_reqs[i].read(&r, request);
		if (console_reqs[i].secret)
			explicit_bzero(imsg->data, imsg->datalen);
		return;
	}
	fatalx("unexpected %s from %s", imsg_type_name(imsg->hdr.type),
	    proc_name(p->proc));
}

void
console_init(struct child *c)
{
	uint64_t	 touch = CONSOLE_TOUCH_SEC;

	cs.c = c;
	if (c->conf.console_idle_timeout / 2 < touch)
		touch = c->conf.console_idle_timeout / 2;
	snprintf(cs.limits.idle, sizeof(cs.limits.idle), "%" PRIu64,
	    c->conf.console_idle_timeout);
	snprintf(cs.limits.lifetime, sizeof(cs.limits.lifetime), "%" PRIu64,
	    c->conf.console_session_lifetime);
	snprintf(cs.limits.touch, sizeof(cs.limits.touch), "%" PRIu64, touch);
	console_login_init(c->conf.console_lockout);
}
