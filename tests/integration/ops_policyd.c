/*
 * A stand-in policyd for test_webd_ops.sh: it answers webd's console
 * requests (common/msg.h) from a script of its own, so that webd's side
 * of the operations (pages, banners, statuses, the one-time passwords)
 * and its reading of answers (every malformed one fatal) are tested
 * before and apart from policyd's side.  The test installs it as
 * "policyd" beside a copy of the real binaries.  It holds no database and
 * answers nothing but webd.
 *
 * Sessions: an id of 64 'a' is alice, admin (CSRF token 64 'c'); 64 'b'
 * is bob, user (token 64 'd'); anything else is none.  Logins:
 * alice@example.com and bob@example.com with any password but "wrong"
 * get those ids; anything else is denied.
 *
 * Operations: every WEBD_OP is written to DIR/opsd.log (DIR: the
 * directory of policyd-key-file) as one line
 *
 *   OP NAME session=SID client=CLIENT password=PW args=A1|A2|A3|A4|A5|A6
 *
 * and answered: a list with canned lines (markup in them, for the
 * escaper); a change by its password ("wrong" PASSWORD, "locked" LOCKED
 * 42 s, "busy", "denied") or else by its first argument that is a word
 * below ("invalid", "exists", "missing", "unavailable", "fail": that
 * error with a message; "big": output over ADMIN_OUTPUT_MAX; "fd": a
 * descriptor with the success; "slow": the answer two seconds later;
 * "evil-N": the malformed answer N, see evil()), and otherwise OK with
 * "KEY: old -> new"-like output, or "password\tOne-Time-N" for USER_ADD
 * and USER_RESET.  A login address "evil-N@example.com" gets the
 * malformed answer N too.  A test program only: never installed, never
 * sandboxed.
 */
#include <sys/mman.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/child.h"
#include "common/log.h"
#include "common/msg.h"
#include "imsg/imsg.h"

#define TOKEN(ch)	(memset(tok, (ch), CONSOLE_TOKEN_LEN), \
			 tok[CONSOLE_TOKEN_LEN] = '\0', tok)

static struct {
	struct child	*c;
	FILE		*log;
	unsigned	 secrets;
} od;

static char	 tok[CONSOLE_TOKEN_LEN + 1];

static const char *const op_names[CONSOLE_OP_MAX + 1] = {
	[CONSOLE_OP_STATUS] = "STATUS", [CONSOLE_OP_STATS] = "STATS",
	[CONSOLE_OP_FAILURES] = "FAILURES",
	[CONSOLE_OP_POLICY_SHOW] = "POLICY_SHOW",
	[CONSOLE_OP_POLICY_SET] = "POLICY_SET",
	[CONSOLE_OP_RULE_LIST] = "RULE_LIST", [CONSOLE_OP_RULE_ADD] = "RULE_ADD",
	[CONSOLE_OP_RULE_DEL] = "RULE_DEL",
	[CONSOLE_OP_DOMAIN_LIST] = "DOMAIN_LIST",
	[CONSOLE_OP_DOMAIN_ADD] = "DOMAIN_ADD",
	[CONSOLE_OP_DOMAIN_DEL] = "DOMAIN_DEL",
	[CONSOLE_OP_USER_LIST] = "USER_LIST", [CONSOLE_OP_USER_ADD] = "USER_ADD",
	[CONSOLE_OP_USER_SET] = "USER_SET",
	[CONSOLE_OP_USER_RESET] = "USER_RESET",
};

static struct child_peer *
webd(void)
{
	struct child_peer	*p = child_peer_find(od.c, PROC_WEBD, 0);

	if (p == NULL || !p->up)
		fatalx("ops_policyd: webd is not there");
	return p;
}

static struct ibuf *
start(uint32_t type, uint32_t id, int fd)
{
	struct ibuf	*b;

	if ((b = imsg_create(&webd()->iev.ibuf, type, 0, fd, 256)) == NULL ||
	    imsg_add_u32(b, id) == -1)
		fatal("ops_policyd: compose");
	return b;
}

static void
add_u32(struct ibuf *b, uint32_t v)
{
	if (imsg_add_u32(b, v) == -1)
		fatal("ops_policyd: compose");
}

static void
add_str(struct ibuf *b, const char *s)
{
	if (imsg_add_string(b, s) == -1)
		fatal("ops_policyd: compose");
}

static void
send_msg(struct ibuf *b)
{
	imsg_close(&webd()->iev.ibuf, b);
	imsgev_update(&webd()->iev);
}

static void
data(uint32_t id, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
data(uint32_t id, const char *fmt, ...)
{
	char		 text[ADMIN_TEXT_MAX];
	struct ibuf	*b;
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	b = start(IMSG_POLICYD_OP_DATA, id, -1);
	add_str(b, text);
	send_msg(b);
}

static void
done(uint32_t id, uint32_t err, uint32_t wait, const char *msg, int fd)
{
	struct ibuf	*b = start(IMSG_POLICYD_OP_DONE, id, fd);

	add_u32(b, err);
	add_u32(b, wait);
	add_str(b, msg);
	send_msg(b);
}

/* A sealed-looking memfd with a few bytes: an "export". */
static int
export_fd(void)
{
	int	 fd;

	if ((fd = memfd_create("ops-policyd", MFD_CLOEXEC)) == -1 ||
	    write(fd, "-----BEGIN PGP PUBLIC KEY BLOCK-----\n", 37) != 37)
		fatal("ops_policyd: memfd");
	return fd;
}

/*
 * The malformed answers, each to request id of type want (the answer
 * webd waits for).  webd must die on every one of them.
 */
static void
evil(int n, uint32_t id, uint32_t want)
{
	struct ibuf	*b;
	char		 big[ADMIN_TEXT_MAX + 1];

	switch (n) {
	case 1:		/* an answer to a request nobody made */
		done(id + 1000, CONSOLE_E_OK, 0, "", -1);
		return;
	case 2:		/* an error code out of range */
		done(id, CONSOLE_E_MAX + 1, 0, "", -1);
		return;
	case 3:		/* bytes after the last field */
		b = start(IMSG_POLICYD_OP_DONE, id, -1);
		add_u32(b, CONSOLE_E_OK);
		add_u32(b, 0);
		add_str(b, "");
		add_u32(b, 7);
		send_msg(b);
		return;
	case 4:		/* a wait without LOCKED */
		done(id, CONSOLE_E_INVALID, 5, "", -1);
		return;
	case 5:		/* a descriptor with a refusal */
		done(id, CONSOLE_E_FAILED, 0, "", export_fd());
		return;
	case 6:		/* a chunk of ADMIN_TEXT_MAX bytes (< is the rule) */
		memset(big, 'x', ADMIN_TEXT_MAX);
		big[ADMIN_TEXT_MAX] = '\0';
		b = start(IMSG_POLICYD_OP_DATA, id, -1);
		add_str(b, big);
		send_msg(b);
		return;
	case 7:		/* an answer of the wrong type */
		b = start(want == IMSG_POLICYD_OP_DONE ? IMSG_POLICYD_LOGOUT :
		    IMSG_POLICYD_OP_DONE, id, -1);
		add_u32(b, 1);
		send_msg(b);
		return;
	case 8:		/* a session id that would end the header */
		b = start(IMSG_POLICYD_LOGIN, id, -1);
		add_u32(b, LOGIN_OK);
		add_u32(b, 0);
		memset(big, 'a', CONSOLE_TOKEN_LEN);
		memcpy(big, "\r\nSet-Cookie: x=1\r\n", 19);
		big[CONSOLE_TOKEN_LEN] = '\0';
		add_str(b, big);
		add_str(b, "admin");
		add_str(b, "alice@example.com");
		send_msg(b);
		return;
	case 9:		/* a session without a user */
		b = start(IMSG_POLICYD_SESSION, id, -1);
		add_u32(b, SESSION_OK);
		if (imsg_add_u64(b, 0) == -1)
			fatal("ops_policyd: compose");
		add_str(b, "alice@example.com");
		add_str(b, "admin");
		add_str(b, "");
		add_str(b, TOKEN('c'));
		send_msg(b);
		return;
	case 10:	/* a second answer to one request */
		done(id, CONSOLE_E_OK, 0, "", -1);
		done(id, CONSOLE_E_OK, 0, "", -1);
		return;
	case 11:	/* a descriptor with a DATA */
		b = start(IMSG_POLICYD_OP_DATA, id, export_fd());
		add_str(b, "x\n");
		send_msg(b);
		return;
	}
	fatalx("ops_policyd: no evil %d", n);
}

static int
evil_of(const char *s)
{
	int	 n;

	if (strncmp(s, "evil-", 5) != 0 || (n = atoi(s + 5)) < 1 || n > 11)
		return 0;
	return n;
}

/* ---------------------------------------------------------------- lists */

static void
list(uint32_t id, uint32_t op)
{
	time_t	 hour = time(NULL) / 3600 * 3600;

	switch (op) {
	case CONSOLE_OP_STATUS:
		data(id, "proc\tparent\t100\t1\t90061\troot\t0\t0\t"
		    "000001ffffffffff\t/\t0\t0\t5\t5\n");
		data(id, "proc\twebd\t101\t1\t61\t_pgpmg_webd\t2\t1\t"
		    "0000000000000000\t/\t1\t3\t1\t1\n");
		data(id, "proc\tcryptod#1\t0\t0\t0\t\t-1\t-1\t\t\t0\t0\t0\t3\n");
		data(id, "db\tup\t120\tPostgreSQL 15 <b>x</b>\n");
		data(id, "this line is not understood\n");
		break;
	case CONSOLE_OP_STATS:
		data(id, "%lld\tmessages\t10\n%lld\tencrypted\t6\n"
		    "%lld\tfailures\t1\n%lld\tmessages\t4\n%lld\tdecrypted\t4\n",
		    (long long)hour, (long long)hour, (long long)hour,
		    (long long)(hour - 3600), (long long)(hour - 3600));
		/* out of the day's span: not drawn */
		data(id, "%lld\tmessages\t999\n", (long long)(hour - 86400 * 2));
		break;
	case CONSOLE_OP_FAILURES:
		data(id, "2026-01-02T03:04:05Z\tlogin-failed\tconsole\t"
		    "mallory@example.com\t<script>alert(1)</script>\n");
		data(id, "2026-01-02T03:04:06Z\trefused\tsmtpd\t"
		    "bob@partner.example\tno key & policy all+bounce\n");
		break;
	case CONSOLE_OP_POLICY_SHOW:
		data(id, "mode all\nkeyword [secure] \"q\"\nmissing-key hold\n"
		    "sign yes\ndecrypt no\nprotected-headers yes\nversion 7\n"
		    "updated-at 2026-01-02T03:04:05Z\n"
		    "updated-by admin:alice@example.com\n");
		break;
	case CONSOLE_OP_RULE_LIST:
		data(id, "12\t200\tdomain\tpartner.example\tall+bounce\n"
		    "13\t100\taddress\t<i>x</i>@partner.example\tplain\n");
		break;
	case CONSOLE_OP_DOMAIN_LIST:
		data(id, "example.com\nexample.org\n");
		break;
	case CONSOLE_OP_USER_LIST:
		data(id, "alice@example.com\tadmin\tyes\tno\tAlice <Liddell>\n"
		    "bob@example.com\tuser\tyes\tyes\t\n"
		    "carol@example.com\tnone\tno\tno\n");
		break;
	default:
		fatalx("ops_policyd: no list %u", op);
	}
	done(id, CONSOLE_E_OK, 0, "", -1);
}

/* ---------------------------------------------------------------- changes */

struct later {
	uint32_t	 id;
	uint32_t	 op;
};

static void
change_ok(uint32_t id, uint32_t op, const char *const *args)
{
	switch (op) {
	case CONSOLE_OP_USER_ADD:
	case CONSOLE_OP_USER_RESET:
		data(id, "password\tOne-Time-%u\n", ++od.secrets);
		break;
	case CONSOLE_OP_POLICY_SET:
		data(id, "%s: off -> %s\n", args[0], args[1]);
		break;
	default:
		data(id, "done %s\n", op_names[op]);
		break;
	}
	done(id, CONSOLE_E_OK, 0, "", -1);
}

static void
later_cb(int fd, short ev, void *arg)
{
	struct later	*l = arg;
	static const char *const none[CONSOLE_NARGS] = { "", "", "", "", "", "" };

	(void)fd; (void)ev;
	change_ok(l->id, l->op, none);
	free(l);
}

static void
change(uint32_t id, uint32_t op, const char *pw, const char *const *args)
{
	static const struct {
		const char	*word;
		uint32_t	 err;
		const char	*msg;
	} words[] = {
		{ "invalid", CONSOLE_E_INVALID, "mode: \"<b>bad</b>\" is not one "
		    "of off, possible, all, keyword" },
		{ "exists", CONSOLE_E_EXISTS, "a rule for domain x exists" },
		{ "missing", CONSOLE_E_NOTFOUND, "no rule 99" },
		{ "unavailable", CONSOLE_E_UNAVAILABLE, "the database is "
		    "unavailable (test)" },
		{ "fail", CONSOLE_E_FAILED, "the database refused: test" },
	};
	struct later	*l;
	struct timeval	 tv = { 2, 0 };
	int		 n;

	if (strcmp(pw, "wrong") == 0) {
		done(id, CONSOLE_E_PASSWORD, 0, "", -1);
		return;
	}
	if (strcmp(pw, "locked") == 0) {
		done(id, CONSOLE_E_LOCKED, 42, "", -1);
		return;
	}
	if (strcmp(pw, "busy") == 0) {
		done(id, CONSOLE_E_BUSY, 0, "", -1);
		return;
	}
	if (strcmp(pw, "denied") == 0) {
		done(id, CONSOLE_E_DENIED, 0, "", -1);
		return;
	}
	for (int i = 0; i < CONSOLE_NARGS; i++) {
		for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++)
			if (strcmp(args[i], words[k].word) == 0) {
				done(id, words[k].err, 0, words[k].msg, -1);
				return;
			}
		if ((n = evil_of(args[i])) != 0) {
			evil(n, id, IMSG_POLICYD_OP_DONE);
			return;
		}
		if (strcmp(args[i], "big") == 0) {
			char chunk[ADMIN_TEXT_MAX];

			memset(chunk, 'y', sizeof(chunk) - 2);
			chunk[sizeof(chunk) - 2] = '\n';
			chunk[sizeof(chunk) - 1] = '\0';
			for (size_t s = 0; s <= ADMIN_OUTPUT_MAX /
			    (sizeof(chunk) - 1); s++)
				data(id, "%s", chunk);
			done(id, CONSOLE_E_OK, 0, "", -1);
			return;
		}
		if (strcmp(args[i], "fd") == 0) {
			done(id, CONSOLE_E_OK, 0, "", export_fd());
			return;
		}
		if (strcmp(args[i], "slow") == 0) {
			if ((l = malloc(sizeof(*l))) == NULL)
				fatal("ops_policyd");
			l->id = id;
			l->op = op;
			if (event_base_once(od.c->base, -1, EV_TIMEOUT,
			    later_cb, l, &tv) == -1)
				fatalx("ops_policyd: event_base_once");
			return;
		}
	}
	change_ok(id, op, args);
}

static void
webd_op(struct imsg_reader *r, uint32_t id, int fd)
{
	const char	*sid, *client, *pw, *args[CONSOLE_NARGS];
	uint32_t	 op;

	if (imsg_read_u32(r, &op) == -1 ||
	    imsg_read_string(r, &sid, CONSOLE_TOKEN_LEN) == -1 ||
	    imsg_read_string(r, &client, CONSOLE_CLIENT_MAX) == -1 ||
	    imsg_read_string(r, &pw, CONSOLE_PASSWORD_MAX) == -1)
		fatalx("ops_policyd: malformed WEBD_OP");
	for (int i = 0; i < CONSOLE_NARGS; i++)
		if (imsg_read_string(r, &args[i], ADMIN_ARG_MAX) == -1)
			fatalx("ops_policyd: malformed WEBD_OP");
	if (imsg_reader_end(r) == -1 || op < CONSOLE_OP_STATUS ||
	    op > CONSOLE_OP_USER_RESET || fd != -1)
		fatalx("ops_policyd: malformed WEBD_OP");
	fprintf(od.log, "OP %s session=%s client=%s password=%s "
	    "args=%s|%s|%s|%s|%s|%s\n", op_names[op], sid, client, pw,
	    args[0], args[1], args[2], args[3], args[4], args[5]);
	fflush(od.log);
	if (strcmp(sid, TOKEN('a')) != 0) {
		/* bob, or nobody: none of these is theirs */
		done(id, CONSOLE_E_DENIED, 0, "", -1);
		return;
	}
	switch (op) {
	case CONSOLE_OP_STATUS:
	case CONSOLE_OP_STATS:
	case CONSOLE_OP_FAILURES:
	case CONSOLE_OP_POLICY_SHOW:
	case CONSOLE_OP_RULE_LIST:
	case CONSOLE_OP_DOMAIN_LIST:
	case CONSOLE_OP_USER_LIST:
		if (pw[0] != '\0')
			fatalx("ops_policyd: a password for a list");
		list(id, op);
		return;
	}
	change(id, op, pw, args);
}

/* ---------------------------------------------------------------- auth */

static void
webd_login(struct imsg_reader *r, uint32_t id)
{
	const char	*addr, *pw, *client;
	struct ibuf	*b;
	int		 n;

	if (imsg_read_string(r, &addr, CONSOLE_ADDRESS_MAX) == -1 ||
	    imsg_read_string(r, &pw, CONSOLE_PASSWORD_MAX) == -1 ||
	    imsg_read_string(r, &client, CONSOLE_CLIENT_MAX) == -1 ||
	    imsg_reader_end(r) == -1)
		fatalx("ops_policyd: malformed WEBD_LOGIN");
	if ((n = evil_of(addr)) != 0) {
		evil(n, id, IMSG_POLICYD_LOGIN);
		return;
	}
	b = start(IMSG_POLICYD_LOGIN, id, -1);
	if (strcmp(pw, "wrong") != 0 && (strcmp(addr, "alice@example.com") ==
	    0 || strcmp(addr, "bob@example.com") == 0)) {
		add_u32(b, LOGIN_OK);
		add_u32(b, 0);
		add_str(b, TOKEN(addr[0] == 'a' ? 'a' : 'b'));
		add_str(b, addr[0] == 'a' ? "admin" : "user");
		add_str(b, addr);
	} else {
		add_u32(b, LOGIN_DENIED);
		add_u32(b, 0);
		add_str(b, "");
		add_str(b, "");
		add_str(b, "");
	}
	send_msg(b);
}

static void
webd_session(struct imsg_reader *r, uint32_t id)
{
	const char	*sid, *client;
	struct ibuf	*b;
	int		 who;

	if (imsg_read_string(r, &sid, CONSOLE_TOKEN_LEN) == -1 ||
	    imsg_read_string(r, &client, CONSOLE_CLIENT_MAX) == -1 ||
	    imsg_reader_end(r) == -1)
		fatalx("ops_policyd: malformed WEBD_SESSION");
	if (strcmp(sid, TOKEN('9')) == 0) {
		evil(9, id, IMSG_POLICYD_SESSION);
		return;
	}
	who = strcmp(sid, TOKEN('a')) == 0 ? 'a' :
	    strcmp(sid, TOKEN('b')) == 0 ? 'b' : 0;
	b = start(IMSG_POLICYD_SESSION, id, -1);
	add_u32(b, who ? SESSION_OK : SESSION_NONE);
	if (imsg_add_u64(b, who == 'a' ? 1 : who == 'b' ? 2 : 0) == -1)
		fatal("ops_policyd: compose");
	add_str(b, who == 'a' ? "alice@example.com" : who == 'b' ?
	    "bob@example.com" : "");
	add_str(b, who == 'a' ? "admin" : who == 'b' ? "user" : "");
	add_str(b, who == 'a' ? "Alice <Liddell>" : "");
	add_str(b, who == 'a' ? TOKEN('c') : who == 'b' ? TOKEN('d') : "");
	send_msg(b);
}

static void
webd_logout(struct imsg_reader *r, uint32_t id)
{
	const char	*sid;
	struct ibuf	*b;

	if (imsg_read_string(r, &sid, CONSOLE_TOKEN_LEN) == -1 ||
	    imsg_reader_end(r) == -1)
		fatalx("ops_policyd: malformed WEBD_LOGOUT");
	b = start(IMSG_POLICYD_LOGOUT, id, -1);
	add_u32(b, LOGOUT_DONE);
	send_msg(b);
}

static void
stand_in_msg(struct child *c, struct child_peer *p, struct imsg *imsg)
{
	struct imsg_reader	 r;
	uint32_t		 id;

	(void)c;
	if (p->proc != PROC_WEBD)
		fatalx("ops_policyd: %s from %s", imsg_type_name(imsg->hdr.type),
		    proc_name(p->proc));
	imsg_reader_init(&r, imsg);
	if (imsg_read_u32(&r, &id) == -1 || id == 0)
		fatalx("ops_policyd: a request without its number");
	switch (imsg->hdr.type) {
	case IMSG_WEBD_LOGIN:
		webd_login(&r, id);
		break;
	case IMSG_WEBD_SESSION:
		webd_session(&r, id);
		break;
	case IMSG_WEBD_LOGOUT:
		webd_logout(&r, id);
		break;
	case IMSG_WEBD_OP:
		webd_op(&r, id, imsg_get_fd(imsg));
		break;
	default:
		fatalx("ops_policyd: unexpected %s",
		    imsg_type_name(imsg->hdr.type));
	}
}

static void
stand_in_started(struct child *c)
{
	char	 path[4096], *slash;

	od.c = c;
	snprintf(path, sizeof(path), "%s", c->conf.policyd_key_file);
	if ((slash = strrchr(path, '/')) == NULL)
		fatalx("ops_policyd: policyd-key-file %s", path);
	snprintf(slash, sizeof(path) - (size_t)(slash - path), "/opsd.log");
	if ((od.log = fopen(path, "a")) == NULL)
		fatal("ops_policyd: %s", path);
}

static const struct child_ops stand_in_ops = {
	.peer_msg = stand_in_msg,
	.started = stand_in_started,
};

int
main(int argc, char *argv[])
{
	struct child	 c;

	child_boot(&c, PROC_POLICYD, argc, argv);
	child_run(&c, &stand_in_ops);
	return 1;
}
