/*
 * policyd_client: the console's requests to policyd and their answers.
 * webd holds no credential and decides nothing about who may do what:
 * it asks, and policyd checks, decides and records.
 *
 * A request takes a slot of the pending table under a number of its own
 * and the connection waits for it (conn_wait).  The answer is read
 * exactly, as every message between our processes is: a field out of its
 * bound, leftover bytes, an answer to a number nobody asked or of the
 * wrong type, fields that contradict each other, a descriptor where none
 * may travel: policyd broke the protocol, and webd dies naming it (the
 * parent then stops the appliance).  A connection that went away leaves
 * its slot behind, marked cancelled, so that the late answer is still
 * matched and checked, and then dropped with any descriptor it carried.
 * Answers may hold secrets (a session id, a one-time password): their
 * bytes are wiped once read, as is an operation's collected output.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/child.h"
#include "common/log.h"
#include "common/msg.h"
#include "common/userdef.h"
#include "imsg/imsg.h"
#include "webd/page.h"
#include "webd/policyd_client.h"
#include "webd/webd.h"

enum pc_kind {
	PC_LOGIN,
	PC_SESSION,
	PC_LOGOUT,
	PC_OP,
};

/* Each kind of request: its message, its answer, how long it may take,
 * and what a person is told when it takes longer. */
static const struct {
	const char	*name;
	uint32_t	 request;
	uint32_t	 answer;	/* the final one */
	unsigned	 timeout;
	const char	*late;
} pc_kinds[] = {
	[PC_LOGIN] = { "login", IMSG_WEBD_LOGIN, IMSG_POLICYD_LOGIN,
	    POLICYD_AUTH_TIMEOUT, "the sign-in was not checked in time; "
	    "try again" },
	[PC_SESSION] = { "session", IMSG_WEBD_SESSION, IMSG_POLICYD_SESSION,
	    POLICYD_AUTH_TIMEOUT, "the session could not be checked in "
	    "time; try again" },
	[PC_LOGOUT] = { "logout", IMSG_WEBD_LOGOUT, IMSG_POLICYD_LOGOUT,
	    POLICYD_AUTH_TIMEOUT, "the sign-out was not confirmed in time; "
	    "the session ends by itself when it is idle" },
	[PC_OP] = { "operation", IMSG_WEBD_OP, IMSG_POLICYD_OP_DONE,
	    POLICYD_OP_TIMEOUT, "the operation was not answered in time: it "
	    "may or may not have been carried out; look before trying "
	    "again" },
};

struct pending {
	uint32_t	 id;		/* 0: a free slot */
	enum pc_kind	 kind;
	struct conn	*conn;		/* NULL: cancelled, the answer is
					 * dropped */
	union {
		login_cb	 login;
		session_cb	 session;
		logout_cb	 logout;
		console_op_cb	 op;
	} cb;
	void		*arg;
	char		 sid[CONSOLE_TOKEN_LEN + 1];	/* a session's id */
	/* an operation's output so far */
	char		*out;
	size_t		 outlen;
	size_t		 outcap;
	int		 overflow;
};

static struct pending	 pc_pending[POLICYD_PENDING_MAX];
static uint32_t		 pc_next_id = 1;

static struct child_peer *
pc_policyd(void)
{
	struct child_peer	*p;

	p = child_peer_find(webd->child, PROC_POLICYD, 0);
	return p != NULL && p->up ? p : NULL;
}

static struct pending *
pc_find(uint32_t id)
{
	if (id == 0)
		return NULL;
	for (size_t i = 0; i < POLICYD_PENDING_MAX; i++)
		if (pc_pending[i].id == id)
			return &pc_pending[i];
	return NULL;
}

/* A number not 0 and not held by a slot (after 2^32 requests, a
 * cancelled one may still be waiting with the next number). */
static uint32_t
pc_new_id(void)
{
	uint32_t	 id;

	do {
		id = pc_next_id++;
		if (pc_next_id == 0)
			pc_next_id = 1;
	} while (pc_find(id) != NULL);
	return id;
}

static void
pc_free(struct pending *q)
{
	if (q->out != NULL) {
		explicit_bzero(q->out, q->outcap);
		free(q->out);
	}
	explicit_bzero(q, sizeof(*q));
}

/*
 * A slot for a request of c, or NULL when the request was answered 503
 * here (policyd is not there yet, or too much is pending).
 */
static struct pending *
pc_start(struct conn *c, enum pc_kind kind, void *arg)
{
	struct pending	*q = NULL;

	if (pc_policyd() == NULL) {
		log_warnx("conn %llu (%s): %s: policyd is not there yet",
		    (unsigned long long)c->id, c->peer, pc_kinds[kind].name);
		response_unavailable(c, PAGE_RETRY_BUSY, "the console is "
		    "starting; try again in a moment");
		return NULL;
	}
	for (size_t i = 0; i < POLICYD_PENDING_MAX && q == NULL; i++)
		if (pc_pending[i].id == 0)
			q = &pc_pending[i];
	if (q == NULL) {
		log_warnx("conn %llu (%s): %s: %d requests wait for policyd "
		    "already", (unsigned long long)c->id, c->peer,
		    pc_kinds[kind].name, POLICYD_PENDING_MAX);
		response_unavailable(c, PAGE_RETRY_BUSY, "the console is busy; "
		    "try again in a moment");
		return NULL;
	}
	q->id = pc_new_id();
	q->kind = kind;
	q->conn = c;
	q->arg = arg;
	return q;
}

/* A string we are about to send: within its bound, or webd's bug. */
static void
pc_bounded(const char *s, size_t max, const char *what)
{
	if (strlen(s) > max)
		fatalx("policyd request: %s over its %zu bytes", what, max);
}

/* Send the message built in b under q's number; the connection waits. */
static void
pc_send(struct pending *q, struct ibuf *b)
{
	struct child_peer	*p = pc_policyd();

	imsg_close(&p->iev.ibuf, b);
	imsgev_update(&p->iev);
	log_debug("conn %llu: %s request %u to policyd",
	    (unsigned long long)q->conn->id, pc_kinds[q->kind].name, q->id);
	conn_wait(q->conn, q->id, pc_kinds[q->kind].timeout,
	    pc_kinds[q->kind].late);
}

static struct ibuf *
pc_create(struct pending *q, int fd, size_t len)
{
	struct child_peer	*p = pc_policyd();
	struct ibuf		*b;

	if ((b = imsg_create(&p->iev.ibuf, pc_kinds[q->kind].request,
	    (uint32_t)webd->child->instance, fd, sizeof(uint32_t) + len)) ==
	    NULL || imsg_add_u32(b, q->id) == -1)
		fatal("compose %s", imsg_type_name(pc_kinds[q->kind].request));
	return b;
}

static void
pc_add(struct pending *q, struct ibuf *b, const char *s)
{
	if (imsg_add_string(b, s) == -1)
		fatal("compose %s", imsg_type_name(pc_kinds[q->kind].request));
}

int
policyd_login(struct conn *c, const char *address, const char *password,
    login_cb cb, void *arg)
{
	struct pending	*q;
	struct ibuf	*b;

	pc_bounded(address, CONSOLE_ADDRESS_MAX, "address");
	pc_bounded(password, CONSOLE_PASSWORD_MAX, "password");
	if ((q = pc_start(c, PC_LOGIN, arg)) == NULL)
		return -1;
	q->cb.login = cb;
	b = pc_create(q, -1, strlen(address) + strlen(password) +
	    strlen(c->peer) + 3);
	pc_add(q, b, address);
	pc_add(q, b, password);
	pc_add(q, b, c->peer);
	pc_send(q, b);
	return 0;
}

int
policyd_session(struct conn *c, const char *sid, session_cb cb, void *arg)
{
	struct pending	*q;
	struct ibuf	*b;

	pc_bounded(sid, CONSOLE_TOKEN_LEN, "session id");
	if ((q = pc_start(c, PC_SESSION, arg)) == NULL)
		return -1;
	q->cb.session = cb;
	memcpy(q->sid, sid, strlen(sid) + 1);
	b = pc_create(q, -1, strlen(sid) + strlen(c->peer) + 2);
	pc_add(q, b, sid);
	pc_add(q, b, c->peer);
	pc_send(q, b);
	return 0;
}

int
policyd_logout(struct conn *c, const char *sid, logout_cb cb, void *arg)
{
	struct pending	*q;
	struct ibuf	*b;

	pc_bounded(sid, CONSOLE_TOKEN_LEN, "session id");
	if ((q = pc_start(c, PC_LOGOUT, arg)) == NULL)
		return -1;
	q->cb.logout = cb;
	b = pc_create(q, -1, strlen(sid) + 1);
	pc_add(q, b, sid);
	pc_send(q, b);
	return 0;
}

int
console_op(struct conn *c, const struct console_session *s,
    enum console_op op, const char *password,
    const char *const args[CONSOLE_NARGS], int upload_fd, console_op_cb cb,
    void *arg)
{
	struct pending	*q;
	struct ibuf	*b;
	const char	*a[CONSOLE_NARGS];
	size_t		 len;

	if (op < CONSOLE_OP_STATUS || op > CONSOLE_OP_MAX)
		fatalx("console_op: no operation %d", op);
	if (password == NULL)
		password = "";
	pc_bounded(s->id, CONSOLE_TOKEN_LEN, "session id");
	pc_bounded(password, CONSOLE_PASSWORD_MAX, "password");
	len = sizeof(uint32_t) + strlen(s->id) + strlen(c->peer) +
	    strlen(password) + 3;
	for (int i = 0; i < CONSOLE_NARGS; i++) {
		a[i] = args != NULL && args[i] != NULL ? args[i] : "";
		pc_bounded(a[i], CONSOLE_ARG_MAX, "argument");
		len += strlen(a[i]) + 1;
	}
	if ((q = pc_start(c, PC_OP, arg)) == NULL) {
		if (upload_fd != -1)
			close(upload_fd);
		return -1;
	}
	q->cb.op = cb;
	b = pc_create(q, upload_fd, len);
	if (imsg_add_u32(b, (uint32_t)op) == -1)
		fatal("compose WEBD_OP");
	pc_add(q, b, s->id);
	pc_add(q, b, c->peer);
	pc_add(q, b, password);
	for (int i = 0; i < CONSOLE_NARGS; i++)
		pc_add(q, b, a[i]);
	pc_send(q, b);
	return 0;
}

void
policyd_cancel(uint32_t request)
{
	struct pending	*q;

	if ((q = pc_find(request)) == NULL || q->conn == NULL)
		fatalx("cancel of request %u, which is not waited for",
		    request);
	log_debug("conn %llu: %s request %u cancelled",
	    (unsigned long long)q->conn->id, pc_kinds[q->kind].name, request);
	q->conn = NULL;
	/* Nothing more of its output is kept. */
	if (q->out != NULL) {
		explicit_bzero(q->out, q->outcap);
		free(q->out);
		q->out = NULL;
		q->outlen = q->outcap = 0;
	}
}

/* ---------------------------------------------------------------- answers */

/* The slot an answer of type belongs to, by its number. */
static struct pending *
pc_answered(struct imsg_reader *r, uint32_t type)
{
	struct pending	*q;
	uint32_t	 id;

	if (imsg_read_u32(r, &id) == -1)
		fatalx("malformed %s: no request", imsg_type_name(type));
	if ((q = pc_find(id)) == NULL)
		fatalx("%s for request %u, which was not asked",
		    imsg_type_name(type), id);
	if (pc_kinds[q->kind].answer != type &&
	    !(q->kind == PC_OP && type == IMSG_POLICYD_OP_DATA))
		fatalx("%s for %s request %u", imsg_type_name(type),
		    pc_kinds[q->kind].name, id);
	return q;
}

/* 64 lower-case hex digits: a session id or a CSRF token. */
static int
pc_token(const char *s)
{
	size_t	 n = strspn(s, "0123456789abcdef");

	return n == CONSOLE_TOKEN_LEN && s[n] == '\0';
}

/*
 * The connection waiting for q, woken, with q's slot freed so that the
 * callback may ask again; NULL when it was cancelled (the answer is
 * dropped).
 */
static struct conn *
pc_deliver(struct pending *q)
{
	struct conn	*c = q->conn;

	if (c == NULL)
		log_debug("%s request %u: answered after its connection "
		    "went away: dropped", pc_kinds[q->kind].name, q->id);
	else
		conn_wake(c, q->id);
	return c;
}

static void
pc_login(struct imsg *imsg)
{
	struct imsg_reader	 r;
	struct pending		*q, p;
	struct login_answer	 a;
	struct conn		*c;
	uint32_t		 st;

	imsg_reader_init(&r, imsg);
	q = pc_answered(&r, IMSG_POLICYD_LOGIN);
	memset(&a, 0, sizeof(a));
	if (imsg_read_u32(&r, &st) == -1 || imsg_read_u32(&r, &a.wait) == -1 ||
	    imsg_read_string(&r, &a.session, CONSOLE_TOKEN_LEN) == -1 ||
	    imsg_read_string(&r, &a.role, CONSOLE_ROLE_MAX) == -1 ||
	    imsg_read_string(&r, &a.address, CONSOLE_ADDRESS_MAX) == -1 ||
	    imsg_reader_end(&r) == -1 || st > LOGIN_UNAVAILABLE)
		fatalx("malformed POLICYD_LOGIN");
	a.status = (enum login_status)st;
	if ((st == LOGIN_OK) != (pc_token(a.session) && a.role[0] != '\0' &&
	    a.address[0] != '\0') ||
	    (st != LOGIN_OK && (a.session[0] != '\0' ||
	    a.address[0] != '\0')) ||
	    (st == LOGIN_LOCKED) != (a.wait != 0))
		fatalx("POLICYD_LOGIN's fields do not agree");
	p = *q;
	pc_free(q);
	if ((c = pc_deliver(&p)) == NULL)
		return;
	p.cb.login(c, &a, p.arg);
	conn_ran(c);
}

static void
pc_session(struct imsg *imsg)
{
	struct imsg_reader	 r;
	struct pending		*q, p;
	struct conn		*c;
	const char		*addr, *role, *name, *csrf;
	uint64_t		 uid;
	uint32_t		 st;
	int			 rn;

	imsg_reader_init(&r, imsg);
	q = pc_answered(&r, IMSG_POLICYD_SESSION);
	if (imsg_read_u32(&r, &st) == -1 || imsg_read_u64(&r, &uid) == -1 ||
	    imsg_read_string(&r, &addr, CONSOLE_ADDRESS_MAX) == -1 ||
	    imsg_read_string(&r, &role, CONSOLE_ROLE_MAX) == -1 ||
	    imsg_read_string(&r, &name, CONSOLE_NAME_MAX) == -1 ||
	    imsg_read_string(&r, &csrf, CONSOLE_TOKEN_LEN) == -1 ||
	    imsg_reader_end(&r) == -1 || st > SESSION_UNAVAILABLE)
		fatalx("malformed POLICYD_SESSION");
	if (st == SESSION_OK ? uid == 0 || addr[0] == '\0' ||
	    role[0] == '\0' || !pc_token(csrf) :
	    uid != 0 || addr[0] != '\0' || role[0] != '\0' ||
	    name[0] != '\0' || csrf[0] != '\0')
		fatalx("POLICYD_SESSION's fields do not agree");
	p = *q;
	pc_free(q);
	if ((c = pc_deliver(&p)) == NULL) {
		explicit_bzero(&p, sizeof(p));
		return;
	}
	memset(&c->session, 0, sizeof(c->session));
	if (st == SESSION_OK) {
		memcpy(c->session.id, p.sid, sizeof(c->session.id));
		c->session.uid = uid;
		memcpy(c->session.address, addr, strlen(addr) + 1);
		memcpy(c->session.role, role, strlen(role) + 1);
		memcpy(c->session.name, name, strlen(name) + 1);
		memcpy(c->session.csrf, csrf, strlen(csrf) + 1);
		/* Any role but admin is none of the admin's pages. */
		c->session.admin = user_role_parse(role, &rn) == 0 &&
		    rn == USER_ROLE_ADMIN;
	}
	explicit_bzero(p.sid, sizeof(p.sid));
	p.cb.session(c, (enum session_status)st, p.arg);
	conn_ran(c);
}

static void
pc_logout(struct imsg *imsg)
{
	struct imsg_reader	 r;
	struct pending		*q, p;
	struct conn		*c;
	uint32_t		 st;

	imsg_reader_init(&r, imsg);
	q = pc_answered(&r, IMSG_POLICYD_LOGOUT);
	if (imsg_read_u32(&r, &st) == -1 || imsg_reader_end(&r) == -1 ||
	    st > LOGOUT_UNAVAILABLE)
		fatalx("malformed POLICYD_LOGOUT");
	p = *q;
	pc_free(q);
	if ((c = pc_deliver(&p)) == NULL)
		return;
	p.cb.logout(c, (enum logout_status)st, p.arg);
	conn_ran(c);
}

/* One chunk of an operation's output, kept up to CONSOLE_OUTPUT_MAX. */
static void
pc_op_data(struct imsg *imsg)
{
	struct imsg_reader	 r;
	struct pending		*q;
	const char		*text;
	size_t			 len, cap;
	char			*p;

	imsg_reader_init(&r, imsg);
	q = pc_answered(&r, IMSG_POLICYD_OP_DATA);
	if (imsg_read_string(&r, &text, ADMIN_TEXT_MAX - 1) == -1 ||
	    imsg_reader_end(&r) == -1)
		fatalx("malformed POLICYD_OP_DATA");
	if (q->conn == NULL || q->overflow)
		return;
	len = strlen(text);
	if (len > CONSOLE_OUTPUT_MAX - q->outlen) {
		log_warnx("operation request %u: more output than %zu bytes",
		    q->id, (size_t)CONSOLE_OUTPUT_MAX);
		q->overflow = 1;
		explicit_bzero(q->out, q->outcap);
		free(q->out);
		q->out = NULL;
		q->outlen = q->outcap = 0;
		return;
	}
	if (q->outlen + len + 1 > q->outcap) {
		cap = q->outcap > 0 ? q->outcap : 4096;
		while (cap < q->outlen + len + 1)
			cap *= 2;
		/* Not realloc: the old copy may hold a password. */
		if ((p = malloc(cap)) == NULL)
			fatal("operation output");
		if (q->out != NULL) {
			memcpy(p, q->out, q->outlen);
			explicit_bzero(q->out, q->outcap);
			free(q->out);
		}
		q->out = p;
		q->outcap = cap;
	}
	memcpy(q->out + q->outlen, text, len);
	q->outlen += len;
	q->out[q->outlen] = '\0';
}

static void
pc_op_done(struct imsg *imsg)
{
	struct imsg_reader	 r;
	struct pending		*q, p;
	struct console_result	 res;
	struct conn		*c;
	uint32_t		 err;
	int			 fd;
	static char		 empty[1];

	imsg_reader_init(&r, imsg);
	q = pc_answered(&r, IMSG_POLICYD_OP_DONE);
	memset(&res, 0, sizeof(res));
	if (imsg_read_u32(&r, &err) == -1 || imsg_read_u32(&r, &res.wait) ==
	    -1 || imsg_read_string(&r, &res.message, ADMIN_TEXT_MAX - 1) ==
	    -1 || imsg_reader_end(&r) == -1 || err > CONSOLE_E_MAX)
		fatalx("malformed POLICYD_OP_DONE");
	fd = imsg_get_fd(imsg);
	if ((err == CONSOLE_E_LOCKED) != (res.wait != 0) ||
	    (fd != -1 && err != CONSOLE_E_OK)) {
		if (fd != -1)
			close(fd);
		fatalx("POLICYD_OP_DONE's fields do not agree");
	}
	res.error = (enum console_error)err;
	res.fd = fd;
	p = *q;
	/* The output is the callback's now; the slot goes. */
	q->out = NULL;
	q->outcap = 0;
	pc_free(q);
	if ((c = pc_deliver(&p)) == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	if (p.overflow && res.error == CONSOLE_E_OK) {
		res.error = CONSOLE_E_FAILED;
		res.message = "the output was longer than the console shows";
		if (res.fd != -1)
			close(res.fd);
		res.fd = -1;
	}
	res.output = p.out != NULL ? p.out : empty;
	res.outlen = p.out != NULL ? p.outlen : 0;
	p.cb.op(c, &res, p.arg);
	if (p.out != NULL) {
		explicit_bzero(p.out, p.outcap);
		free(p.out);
	}
	empty[0] = '\0';
	conn_ran(c);
}

void
policyd_client_msg(struct child *ch, struct child_peer *peer,
    struct imsg *imsg)
{
	(void)ch;
	if (peer->proc != PROC_POLICYD)
		fatalx("unexpected %s from %s", imsg_type_name(imsg->hdr.type),
		    proc_name(peer->proc));
	/* Only an operation's end may carry a descriptor. */
	if (imsg->hdr.type != IMSG_POLICYD_OP_DONE && imsg->fd != -1)
		fatalx("%s with a descriptor", imsg_type_name(imsg->hdr.type));
	switch (imsg->hdr.type) {
	case IMSG_POLICYD_LOGIN:
		pc_login(imsg);
		break;
	case IMSG_POLICYD_SESSION:
		pc_session(imsg);
		break;
	case IMSG_POLICYD_LOGOUT:
		pc_logout(imsg);
		break;
	case IMSG_POLICYD_OP_DATA:
		pc_op_data(imsg);
		break;
	case IMSG_POLICYD_OP_DONE:
		pc_op_done(imsg);
		break;
	default:
		fatalx("unexpected %s from policyd",
		    imsg_type_name(imsg->hdr.type));
	}
	if (imsg->data != NULL)
		explicit_bzero(imsg->data, imsg->datalen);
}
