/*
 * A stand-in webd for test_console_auth.sh: it speaks the real console
 * protocol to policyd (only webd may ask for logins: the permission
 * table), so the test installs this program as "webd" beside a copy of
 * the real binaries.  It takes the web listener the parent hands webd,
 * and on each connection reads a script, one request a line:
 *
 *   TAG LOGIN ADDRESS PASSWORD CLIENT
 *   TAG SESSION ID CLIENT
 *   TAG LOGOUT ID
 *   TAG REAUTH ID PASSWORD
 *   TAG RAWLOGIN ADDRESS N CLIENT   a password of N bytes, sent whatever
 *                                   its length (a protocol offence when
 *                                   N > 1024)
 *   TAG OP NAME ID CLIENT PASSWORD [ARG...]
 *                                   a console operation (NAME as in
 *                                   CONSOLE_OP_NAME: POLICY_SET, MY_KEYS,
 *                                   ...) with up to 6 arguments
 *   TAG OPUP NAME ID CLIENT PASSWORD FILE [ARG...]
 *                                   the same with FILE's bytes as the
 *                                   upload (a sealed memfd)
 *   END                             answer the rest, then close
 *
 * In every field %XX is the byte XX (a space is %20, % itself %25), and
 * "%-" alone is the empty string.  Every request goes to policyd at once
 * (pipelined); each answer is written back as it comes, as one line:
 *
 *   TAG login ok SESSION ROLE ADDRESS | denied | locked N | busy |
 *       unavailable
 *   TAG session ok USERID ADDRESS ROLE CSRF NAME... | none | unavailable
 *   TAG logout 1 | 0
 *   TAG reauth ok | denied | locked N | none | busy | unavailable
 *   TAG data LINE          each line of an operation's output, as it
 *                          came (its fields tab-separated)
 *   TAG fd LINE            each line of the fd of its DONE (an export)
 *   TAG op CODE WAIT MESSAGE...    its DONE: CODE denied, ok, password,
 *                          locked, busy, invalid, notfound, exists,
 *                          passphrase, unavailable or failed
 *
 * then "END" once every request of the connection is answered.  Answers
 * are parsed exactly (a malformed one is fatal here, so the test sees
 * it).  A test program only: never installed, never sandboxed.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "common/child.h"
#include "common/log.h"
#include "common/memfd.h"
#include "common/msg.h"
#include "imsg/imsg.h"

#define MAX_CONNS	16
#define MAX_PENDING	1024
#define TAG_MAX		64
/* A script line: a password of up to 3 x 4096 bytes encoded. */
#define LINE_MAX_LEN	(16 * 1024)
/* RAWLOGIN's longest password. */
#define RAW_MAX		8192
/* An operation's output, collected until its DONE: far more than any
 * test asks for. */
#define OP_OUT_MAX	((size_t)16 << 20)
/* A script line's fields after the tag and verb: OPUP's name, session,
 * client, password, file and six arguments. */
#define MAX_FIELDS	(5 + CONSOLE_NARGS)

/* The operations by name, as scripts write them. */
static const struct {
	const char	*name;
	uint32_t	 op;
} op_names[] = {
	{ "STATUS", CONSOLE_OP_STATUS },
	{ "STATS", CONSOLE_OP_STATS },
	{ "FAILURES", CONSOLE_OP_FAILURES },
	{ "POLICY_SHOW", CONSOLE_OP_POLICY_SHOW },
	{ "POLICY_SET", CONSOLE_OP_POLICY_SET },
	{ "RULE_LIST", CONSOLE_OP_RULE_LIST },
	{ "RULE_ADD", CONSOLE_OP_RULE_ADD },
	{ "RULE_DEL", CONSOLE_OP_RULE_DEL },
	{ "DOMAIN_LIST", CONSOLE_OP_DOMAIN_LIST },
	{ "DOMAIN_ADD", CONSOLE_OP_DOMAIN_ADD },
	{ "DOMAIN_DEL", CONSOLE_OP_DOMAIN_DEL },
	{ "USER_LIST", CONSOLE_OP_USER_LIST },
	{ "USER_ADD", CONSOLE_OP_USER_ADD },
	{ "USER_SET", CONSOLE_OP_USER_SET },
	{ "USER_RESET", CONSOLE_OP_USER_RESET },
	{ "USER_DEL", CONSOLE_OP_USER_DEL },
	{ "KEY_LIST", CONSOLE_OP_KEY_LIST },
	{ "KEY_GENERATE", CONSOLE_OP_KEY_GENERATE },
	{ "KEY_EXPORT", CONSOLE_OP_KEY_EXPORT },
	{ "KEY_IMPORT", CONSOLE_OP_KEY_IMPORT },
	{ "KEY_REVOKE", CONSOLE_OP_KEY_REVOKE },
	{ "KEY_DELETE", CONSOLE_OP_KEY_DELETE },
	{ "AUDIT_LIST", CONSOLE_OP_AUDIT_LIST },
	{ "AUDIT_CHAIN", CONSOLE_OP_AUDIT_CHAIN },
	{ "NOTICE_LIST", CONSOLE_OP_NOTICE_LIST },
	{ "MY_KEYS", CONSOLE_OP_MY_KEYS },
	{ "MY_KEY_EXPORT", CONSOLE_OP_MY_KEY_EXPORT },
	{ "MY_KEY_IMPORT", CONSOLE_OP_MY_KEY_IMPORT },
	{ "MY_KEY_REVOKE", CONSOLE_OP_MY_KEY_REVOKE },
	{ "MY_PASSWORD", CONSOLE_OP_MY_PASSWORD },
};

struct conn {
	int			 used;
	struct bufferevent	*bev;
	int			 ended;		/* END read */
	unsigned		 outstanding;
};

struct pending {
	int		 used;
	uint32_t	 id;
	struct conn	*conn;
	char		 tag[TAG_MAX];
	/* An operation's output so far. */
	char		*out;
	size_t		 outlen;
};

static struct {
	struct child	*c;
	struct event	*listen_ev;
	struct conn	 conns[MAX_CONNS];
	struct pending	 pending[MAX_PENDING];
	uint32_t	 next_id;
} aw = { .next_id = 1 };

static void
conn_close(struct conn *cn)
{
	bufferevent_free(cn->bev);
	memset(cn, 0, sizeof(*cn));
}

static void
conn_flushed(struct bufferevent *bev, void *arg)
{
	struct conn	*cn = arg;

	(void)bev;
	if (cn->ended && cn->outstanding == 0)
		conn_close(cn);
}

static void
conn_maybe_end(struct conn *cn)
{
	if (!cn->ended || cn->outstanding > 0)
		return;
	evbuffer_add_printf(bufferevent_get_output(cn->bev), "END\n");
	bufferevent_setcb(cn->bev, NULL, conn_flushed, NULL, cn);
}

/* %XX decoding, in place; "%-" is "". */
static char *
pct(char *s)
{
	char	*o = s, *i = s;

	if (strcmp(s, "%-") == 0) {
		s[0] = '\0';
		return s;
	}
	while (*i != '\0') {
		unsigned v;

		if (i[0] == '%' && i[1] != '\0' && i[2] != '\0' &&
		    sscanf(i + 1, "%2x", &v) == 1) {
			*o++ = (char)v;
			i += 3;
		} else
			*o++ = *i++;
	}
	*o = '\0';
	return s;
}

static char *
field(char **line)
{
	char	*s = *line, *e;

	if (s == NULL || *s == '\0')
		return NULL;
	if ((e = strchr(s, ' ')) != NULL) {
		*e = '\0';
		*line = e + 1;
	} else
		*line = s + strlen(s);
	return pct(s);
}

static struct child_peer *
policyd(void)
{
	struct child_peer	*p = child_peer_find(aw.c, PROC_POLICYD, 0);

	if (p == NULL || !p->up)
		fatalx("auth_webd: policyd is not there");
	return p;
}

/* Send a request of type with a u32 after the request id (an
 * operation's number) when op is not 0, its strings and fd (-1: none);
 * remember whose it is. */
static void
send_req_op(struct conn *cn, const char *tag, uint32_t type, uint32_t op,
    int n, const char *const *s, int fd)
{
	struct child_peer	*p = policyd();
	struct pending		*q = NULL;
	struct ibuf		*b;
	size_t			 len = sizeof(uint32_t);

	for (size_t i = 0; i < MAX_PENDING && q == NULL; i++)
		if (!aw.pending[i].used)
			q = &aw.pending[i];
	if (q == NULL)
		fatalx("auth_webd: too many requests at once");
	q->used = 1;
	q->id = aw.next_id++;
	q->conn = cn;
	snprintf(q->tag, sizeof(q->tag), "%s", tag);
	cn->outstanding++;
	for (int i = 0; i < n; i++)
		len += strlen(s[i]) + 1;
	if ((b = imsg_create(&p->iev.ibuf, type, 0, fd, len +
	    sizeof(uint32_t))) == NULL || imsg_add_u32(b, q->id) == -1 ||
	    (op != 0 && imsg_add_u32(b, op) == -1))
		fatal("auth_webd: compose");
	for (int i = 0; i < n; i++)
		if (imsg_add_string(b, s[i]) == -1)
			fatal("auth_webd: compose");
	imsg_close(&p->iev.ibuf, b);
	imsgev_update(&p->iev);
}

static void
send_req(struct conn *cn, const char *tag, uint32_t type, int n,
    const char *const *s)
{
	send_req_op(cn, tag, type, 0, n, s, -1);
}

/* A file's bytes as a sealed memfd, as webd hands over an upload. */
static int
upload(const char *path)
{
	struct spool	 sp;
	char		 buf[8192];
	size_t		 n;
	FILE		*f;

	if ((f = fopen(path, "re")) == NULL)
		fatal("auth_webd: %s", path);
	if (spool_open(&sp, "auth-webd-upload") == -1)
		fatal("auth_webd: spool");
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (spool_write(&sp, buf, n) == -1)
			fatal("auth_webd: spool");
	fclose(f);
	if (spool_seal(&sp) == -1)
		fatal("auth_webd: seal");
	return sp.fd;
}

/* OP and OPUP: name, session, client, password, (file,) arguments. */
static void
run_op(struct conn *cn, const char *tag, int up, char **a, int na)
{
	const char	*s[3 + CONSOLE_NARGS];
	uint32_t	 op = 0;
	int		 fd = -1, first = up ? 5 : 4;

	if (na < first || na > first + CONSOLE_NARGS)
		fatalx("auth_webd: %s: an operation wants %d to %d fields",
		    tag, first, first + CONSOLE_NARGS);
	for (size_t i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
		if (strcmp(op_names[i].name, a[0]) == 0)
			op = op_names[i].op;
	if (op == 0)
		fatalx("auth_webd: no operation %s", a[0]);
	s[0] = a[1];
	s[1] = a[2];
	s[2] = a[3];
	for (int i = 0; i < CONSOLE_NARGS; i++)
		s[3 + i] = first + i < na ? a[first + i] : "";
	if (up)
		fd = upload(a[4]);
	send_req_op(cn, tag, IMSG_WEBD_OP, op, 3 + CONSOLE_NARGS, s, fd);
}

static void
run_line(struct conn *cn, char *line)
{
	char		*rest = line, *tag, *verb, *a[MAX_FIELDS];
	static char	 raw[RAW_MAX + 1];
	const char	*s[3];
	long		 n;
	int		 na = 0;

	if ((tag = field(&rest)) == NULL)
		return;
	if (strcmp(tag, "END") == 0) {
		cn->ended = 1;
		conn_maybe_end(cn);
		return;
	}
	if ((verb = field(&rest)) == NULL)
		fatalx("auth_webd: a line without a verb");
	for (int i = 0; i < MAX_FIELDS; i++)
		if ((a[i] = field(&rest)) != NULL)
			na = i + 1;
	if (field(&rest) != NULL)
		fatalx("auth_webd: too many fields in the line of %s", tag);
	if (strcmp(verb, "OP") == 0 || strcmp(verb, "OPUP") == 0)
		run_op(cn, tag, strcmp(verb, "OPUP") == 0, a, na);
	else if (strcmp(verb, "LOGIN") == 0 && a[2] != NULL) {
		s[0] = a[0]; s[1] = a[1]; s[2] = a[2];
		send_req(cn, tag, IMSG_WEBD_LOGIN, 3, s);
	} else if (strcmp(verb, "RAWLOGIN") == 0 && a[2] != NULL) {
		n = strtol(a[1], NULL, 10);
		if (n < 0 || n > RAW_MAX)
			fatalx("auth_webd: RAWLOGIN %ld", n);
		memset(raw, 'x', (size_t)n);
		raw[n] = '\0';
		s[0] = a[0]; s[1] = raw; s[2] = a[2];
		send_req(cn, tag, IMSG_WEBD_LOGIN, 3, s);
	} else if (strcmp(verb, "SESSION") == 0 && a[1] != NULL) {
		s[0] = a[0]; s[1] = a[1];
		send_req(cn, tag, IMSG_WEBD_SESSION, 2, s);
	} else if (strcmp(verb, "LOGOUT") == 0 && a[0] != NULL) {
		s[0] = a[0];
		send_req(cn, tag, IMSG_WEBD_LOGOUT, 1, s);
	} else if (strcmp(verb, "REAUTH") == 0 && a[1] != NULL) {
		s[0] = a[0]; s[1] = a[1];
		send_req(cn, tag, IMSG_WEBD_REAUTH, 2, s);
	} else
		fatalx("auth_webd: cannot read the line of %s", tag);
}

static void
conn_read(struct bufferevent *bev, void *arg)
{
	struct conn	*cn = arg;
	char		*line;
	size_t		 len;

	while ((line = evbuffer_readln(bufferevent_get_input(bev), &len,
	    EVBUFFER_EOL_CRLF)) != NULL) {
		if (len > LINE_MAX_LEN)
			fatalx("auth_webd: a line of %zu bytes", len);
		run_line(cn, line);
		free(line);
	}
}

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn	*cn = arg;

	(void)bev;
	/* The test went away: its answers have nowhere to go. */
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		for (size_t i = 0; i < MAX_PENDING; i++)
			if (aw.pending[i].used && aw.pending[i].conn == cn)
				aw.pending[i].conn = NULL;
		conn_close(cn);
	}
}

static void
do_accept(int fd, short ev, void *arg)
{
	struct conn	*cn = NULL;
	int		 s;

	(void)ev; (void)arg;
	if ((s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1)
		return;
	for (size_t i = 0; i < MAX_CONNS && cn == NULL; i++)
		if (!aw.conns[i].used)
			cn = &aw.conns[i];
	if (cn == NULL) {
		close(s);
		return;
	}
	cn->used = 1;
	if ((cn->bev = bufferevent_socket_new(aw.c->base, s,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		fatalx("auth_webd: bufferevent");
	bufferevent_setcb(cn->bev, conn_read, NULL, conn_event, cn);
	bufferevent_enable(cn->bev, EV_READ | EV_WRITE);
}

/* ---------------------------------------------------------------- answers */

static struct pending *
answered(struct imsg_reader *r)
{
	uint32_t	 id;

	if (imsg_read_u32(r, &id) == -1)
		fatalx("auth_webd: an answer without its request");
	for (size_t i = 0; i < MAX_PENDING; i++)
		if (aw.pending[i].used && aw.pending[i].id == id)
			return &aw.pending[i];
	fatalx("auth_webd: an answer to request %u, which nobody asked", id);
}

static void
reply(struct pending *q, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
reply(struct pending *q, const char *fmt, ...)
{
	struct conn	*cn = q->conn;
	va_list		 ap;

	if (cn != NULL) {
		evbuffer_add_printf(bufferevent_get_output(cn->bev), "%s ",
		    q->tag);
		va_start(ap, fmt);
		evbuffer_add_vprintf(bufferevent_get_output(cn->bev), fmt, ap);
		va_end(ap);
		evbuffer_add_printf(bufferevent_get_output(cn->bev), "\n");
		cn->outstanding--;
	}
	free(q->out);
	q->out = NULL;
	q->outlen = 0;
	q->used = 0;
	if (cn != NULL)
		conn_maybe_end(cn);
}

static void
answer_login(struct imsg *imsg)
{
	static const char *const names[] = { "denied", "ok", "locked",
	    "busy", "unavailable" };
	struct imsg_reader	 r;
	struct pending		*q;
	const char		*sid, *role, *addr;
	uint32_t		 st, wait;

	imsg_reader_init(&r, imsg);
	q = answered(&r);
	if (imsg_read_u32(&r, &st) == -1 || imsg_read_u32(&r, &wait) == -1 ||
	    imsg_read_string(&r, &sid, CONSOLE_TOKEN_LEN) == -1 ||
	    imsg_read_string(&r, &role, CONSOLE_ROLE_MAX) == -1 ||
	    imsg_read_string(&r, &addr, CONSOLE_ADDRESS_MAX) == -1 ||
	    imsg_reader_end(&r) == -1 || st > LOGIN_UNAVAILABLE)
		fatalx("auth_webd: malformed POLICYD_LOGIN");
	if ((st == LOGIN_OK) != (strlen(sid) == CONSOLE_TOKEN_LEN &&
	    role[0] != '\0' && addr[0] != '\0') ||
	    (st != LOGIN_LOCKED && wait != 0) ||
	    (st == LOGIN_LOCKED && wait == 0))
		fatalx("auth_webd: POLICYD_LOGIN's fields do not agree");
	if (st == LOGIN_OK)
		reply(q, "login ok %s %s %s", sid, role, addr);
	else if (st == LOGIN_LOCKED)
		reply(q, "login locked %u", wait);
	else
		reply(q, "login %s", names[st]);
}

static void
answer_session(struct imsg *imsg)
{
	static const char *const names[] = { "none", "ok", "unavailable" };
	struct imsg_reader	 r;
	struct pending		*q;
	const char		*addr, *role, *name, *csrf;
	uint64_t		 uid;
	uint32_t		 st;

	imsg_reader_init(&r, imsg);
	q = answered(&r);
	if (imsg_read_u32(&r, &st) == -1 || imsg_read_u64(&r, &uid) == -1 ||
	    imsg_read_string(&r, &addr, CONSOLE_ADDRESS_MAX) == -1 ||
	    imsg_read_string(&r, &role, CONSOLE_ROLE_MAX) == -1 ||
	    imsg_read_string(&r, &name, CONSOLE_NAME_MAX) == -1 ||
	    imsg_read_string(&r, &csrf, CONSOLE_TOKEN_LEN) == -1 ||
	    imsg_reader_end(&r) == -1 || st > SESSION_UNAVAILABLE)
		fatalx("auth_webd: malformed POLICYD_SESSION");
	if ((st == SESSION_OK) != (uid != 0 && strlen(csrf) ==
	    CONSOLE_TOKEN_LEN && addr[0] != '\0'))
		fatalx("auth_webd: POLICYD_SESSION's fields do not agree");
	if (st == SESSION_OK)
		reply(q, "session ok %llu %s %s %s %s",
		    (unsigned long long)uid, addr, role, csrf, name);
	else
		reply(q, "session %s", names[st]);
}

static void
answer_logout(struct imsg *imsg)
{
	struct imsg_reader	 r;
	struct pending		*q;
	uint32_t		 st;

	imsg_reader_init(&r, imsg);
	q = answered(&r);
	if (imsg_read_u32(&r, &st) == -1 || imsg_reader_end(&r) == -1 ||
	    st > LOGOUT_UNAVAILABLE)
		fatalx("auth_webd: malformed POLICYD_LOGOUT");
	reply(q, "logout %u", st);
}

static void
answer_reauth(struct imsg *imsg)
{
	static const char *const names[] = { "denied", "ok", "locked", "none",
	    "busy", "unavailable" };
	struct imsg_reader	 r;
	struct pending		*q;
	uint32_t		 st, wait;

	imsg_reader_init(&r, imsg);
	q = answered(&r);
	if (imsg_read_u32(&r, &st) == -1 || imsg_read_u32(&r, &wait) == -1 ||
	    imsg_reader_end(&r) == -1 || st > REAUTH_UNAVAILABLE ||
	    (st == REAUTH_LOCKED) != (wait != 0))
		fatalx("auth_webd: malformed POLICYD_REAUTH");
	if (st == REAUTH_LOCKED)
		reply(q, "reauth locked %u", wait);
	else
		reply(q, "reauth %s", names[st]);
}

static void
answer_op_data(struct imsg *imsg)
{
	struct imsg_reader	 r;
	struct pending		*q;
	const char		*text;
	size_t			 n;

	imsg_reader_init(&r, imsg);
	q = answered(&r);
	if (imsg_read_string(&r, &text, ADMIN_TEXT_MAX - 1) == -1 ||
	    imsg_reader_end(&r) == -1)
		fatalx("auth_webd: malformed POLICYD_OP_DATA");
	n = strlen(text);
	if (q->outlen + n > OP_OUT_MAX)
		fatalx("auth_webd: an operation's output beyond %zu bytes",
		    OP_OUT_MAX);
	if ((q->out = realloc(q->out, q->outlen + n + 1)) == NULL)
		fatal("auth_webd");
	memcpy(q->out + q->outlen, text, n + 1);
	q->outlen += n;
}

/* Every line of buf as "TAG KIND LINE". */
static void
emit_lines(struct pending *q, const char *kind, const char *buf, size_t len)
{
	struct evbuffer	*out;
	const char	*p = buf, *e, *end = buf + len;

	if (q->conn == NULL)
		return;
	out = bufferevent_get_output(q->conn->bev);
	while (p < end) {
		if ((e = memchr(p, '\n', (size_t)(end - p))) == NULL)
			e = end;
		evbuffer_add_printf(out, "%s %s ", q->tag, kind);
		evbuffer_add(out, p, (size_t)(e - p));
		evbuffer_add(out, "\n", 1);
		p = e + 1;
	}
}

static void
answer_op_done(struct imsg *imsg)
{
	static const char *const names[] = { "denied", "ok", "password",
	    "locked", "busy", "invalid", "notfound", "exists", "passphrase",
	    "unavailable", "failed" };
	struct imsg_reader	 r;
	struct pending		*q;
	const char		*msg;
	uint32_t		 code, wait;
	uint64_t		 size;
	char			*buf;
	ssize_t			 n;
	int			 fd = imsg_get_fd(imsg);

	_Static_assert(sizeof(names) / sizeof(names[0]) == CONSOLE_E_MAX + 1,
	    "a name for every code");
	imsg_reader_init(&r, imsg);
	q = answered(&r);
	if (imsg_read_u32(&r, &code) == -1 || imsg_read_u32(&r, &wait) == -1 ||
	    imsg_read_string(&r, &msg, ADMIN_TEXT_MAX - 1) == -1 ||
	    imsg_reader_end(&r) == -1 || code > CONSOLE_E_MAX ||
	    (code == CONSOLE_E_LOCKED) != (wait != 0) ||
	    (code != CONSOLE_E_OK && (fd != -1 || q->outlen != 0)))
		fatalx("auth_webd: malformed POLICYD_OP_DONE");
	emit_lines(q, "data", q->out, q->outlen);
	if (fd != -1) {
		if (memfd_check_sealed(fd, &size) == -1 || size > OP_OUT_MAX)
			fatalx("auth_webd: DONE's fd is no sealed memfd");
		if ((buf = malloc(size + 1)) == NULL)
			fatal("auth_webd");
		if ((n = pread(fd, buf, size, 0)) != (ssize_t)size)
			fatal("auth_webd: reading DONE's fd");
		emit_lines(q, "fd", buf, size);
		free(buf);
		close(fd);
	}
	reply(q, "op %s %u %s", names[code], wait, msg);
}

static void
stand_in_msg(struct child *c, struct child_peer *p, struct imsg *imsg)
{
	(void)c; (void)p;
	switch (imsg->hdr.type) {
	case IMSG_POLICYD_LOGIN:
		answer_login(imsg);
		break;
	case IMSG_POLICYD_SESSION:
		answer_session(imsg);
		break;
	case IMSG_POLICYD_LOGOUT:
		answer_logout(imsg);
		break;
	case IMSG_POLICYD_REAUTH:
		answer_reauth(imsg);
		break;
	case IMSG_POLICYD_OP_DATA:
		answer_op_data(imsg);
		break;
	case IMSG_POLICYD_OP_DONE:
		answer_op_done(imsg);
		break;
	default:
		fatalx("auth_webd: unexpected %s",
		    imsg_type_name(imsg->hdr.type));
	}
}

static void
stand_in_parent_msg(struct child *c, struct imsg *imsg)
{
	struct imsg_reader	 r;
	uint32_t		 kind;
	int			 fd;

	if (imsg->hdr.type != IMSG_PARENT_LISTENER_FD)
		fatalx("auth_webd: unexpected message from the parent");
	imsg_reader_init(&r, imsg);
	if (imsg_read_u32(&r, &kind) == -1 || imsg_reader_end(&r) == -1 ||
	    kind != LISTENER_WEB || (fd = imsg_get_fd(imsg)) == -1 ||
	    aw.listen_ev != NULL)
		fatalx("auth_webd: PARENT_LISTENER_FD");
	if ((aw.listen_ev = event_new(c->base, fd, EV_READ | EV_PERSIST,
	    do_accept, NULL)) == NULL || event_add(aw.listen_ev, NULL) == -1)
		fatalx("auth_webd: listener event");
}

static void
stand_in_started(struct child *c)
{
	aw.c = c;
}

static const struct child_ops stand_in_ops = {
	.peer_msg = stand_in_msg,
	.parent_msg = stand_in_parent_msg,
	.started = stand_in_started,
};

int
main(int argc, char *argv[])
{
	struct child	 c;

	child_boot(&c, PROC_WEBD, argc, argv);
	child_run(&c, &stand_in_ops);
	return 1;
}
