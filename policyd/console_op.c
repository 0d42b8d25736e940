/*
 * console_op: the console's operations for webd (IMSG_WEBD_OP): the
 * message, the table of operations (at the end of the file), and the
 * checks every operation passes before it runs, in this order:
 *
 *   the session   console_session(): no live session is DENIED;
 *   the role      an A operation wants the admin role (else DENIED); a U
 *                 operation any role, and concerns the session's own
 *                 address only (the operation sees to that);
 *   the arguments as many as the operation takes (else INVALID);
 *   the password  for a P operation: none given is PASSWORD at once,
 *                 without counting as a failure; else console_reauth(),
 *                 where a wrong one counts and locks as a failed login
 *                 does, and is audited (PASSWORD, LOCKED);
 *   the run       pgpmgctl's command (admin.c) or the console's own, with
 *                 the actor "admin:ADDRESS" or "user:ADDRESS" in every
 *                 audit row it writes.
 *
 * The message is parsed exactly: every string within its bound of msg.h,
 * a request id that is not 0, an operation policyd knows, a client of
 * printable ASCII, nothing left over, and an fd only with a key import;
 * anything else is fatal, as from any peer.  What a person typed is only
 * data: at worst INVALID.  The password and the arguments (a passphrase,
 * a new password) are wiped from the message once copied, and from the
 * request when it is over.  Requests in flight count towards webd's bound
 * (console.c): beyond it an operation is answered BUSY at once.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/child.h"
#include "common/log.h"
#include "common/memfd.h"
#include "common/msg.h"
#include "imsg/imsg.h"
#include "policyd/admin_internal.h"
#include "policyd/console.h"
#include "policyd/console_internal.h"
#include "policyd/console_op.h"
#include "policyd/db.h"

/* Who may ask for an operation. */
#define OP_ADMIN	1	/* A: the admin role only */
#define OP_OWN		2	/* U: any role, for its own address */

struct op_spec {
	const char	*name;		/* for the log */
	int		 role;		/* OP_ADMIN, OP_OWN */
	int		 again;		/* P: the password is asked again */
	int		 min, max;	/* arguments: the first min not "",
					   none after max */
	int		 upload;	/* carries key data (the fd) */
	uint32_t	 admin_op;	/* pgpmgctl's command, or 0 ... */
	console_run_fn	 run;		/* ... the console's own */
};

static const struct op_spec	op_specs[CONSOLE_OP_MAX + 1];

static const uint32_t admin_codes[] = {
	[ADMIN_E_OK] =		CONSOLE_E_OK,
	[ADMIN_E_INVALID] =	CONSOLE_E_INVALID,
	[ADMIN_E_NOTFOUND] =	CONSOLE_E_NOTFOUND,
	[ADMIN_E_EXISTS] =	CONSOLE_E_EXISTS,
	[ADMIN_E_UNAVAILABLE] =	CONSOLE_E_UNAVAILABLE,
	[ADMIN_E_FAILED] =	CONSOLE_E_FAILED,
};

uint32_t
console_code_of_admin(uint32_t code)
{
	if (code >= sizeof(admin_codes) / sizeof(admin_codes[0]))
		fatalx("console: ADMIN_E code %u", code);
	return admin_codes[code];
}

static void
op_free(struct console_op_req *o)
{
	if (o->fd != -1)
		close(o->fd);
	explicit_bzero(o, sizeof(*o));
	free(o);
}

void
console_op_finish(struct admin_req *q, uint32_t code, uint32_t wait,
    const char *msg, int fd)
{
	struct imsgev	*iev = console_webd();
	struct ibuf	*b;
	char		 m[ADMIN_TEXT_MAX];

	if (q->to != ADMIN_TO_WEBD || q->cop == NULL)
		fatalx("console_op_finish: not a console request");
	if (code == CONSOLE_E_OK && q->overflow) {
		code = CONSOLE_E_FAILED;
		msg = "the output would be longer than policyd sends";
	}
	if (code != CONSOLE_E_OK && fd != -1) {
		close(fd);
		fd = -1;
	}
	if (code != CONSOLE_E_LOCKED)
		wait = 0;
	if (code == CONSOLE_E_OK)
		admin_output(q, iev, IMSG_POLICYD_OP_DATA);
	snprintf(m, sizeof(m), "%s", msg);
	/* imsg owns fd from here on, also when this fails. */
	if ((b = imsg_create(&iev->ibuf, IMSG_POLICYD_OP_DONE, 0, fd,
	    3 * sizeof(uint32_t) + strlen(m) + 1)) == NULL ||
	    imsg_add_u32(b, q->request) == -1 || imsg_add_u32(b, code) == -1 ||
	    imsg_add_u32(b, wait) == -1 || imsg_add_string(b, m) == -1)
		fatal("compose POLICYD_OP_DONE");
	imsg_close(&iev->ibuf, b);
	imsgev_update(iev);
	op_free(q->cop);
	admin_req_free(q);
	console_pending_give();
}

void
console_op_fail(struct admin_req *q, uint32_t code, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	console_op_finish(q, code, 0, msg, -1);
}

void
console_op_row(struct admin_req *q, int n, const char *const *fields)
{
	static const char	 digits[] = "0123456789abcdef";
	char			 buf[4 * 1024];
	size_t			 o;

	for (int i = 0; i < n; i++) {
		const unsigned char *p = (const unsigned char *)fields[i];

		/* In pieces: a field (an audit row's details) may be far
		 * longer than buf. */
		o = 0;
		if (i > 0)
			buf[o++] = '\t';
		for (; *p != '\0'; p++) {
			if (o + 5 >= sizeof(buf)) {
				buf[o] = '\0';
				admin_print(q, "%s", buf);
				o = 0;
			}
			if (*p < ' ' || *p == 0x7f) {
				buf[o++] = '\\';
				buf[o++] = 'x';
				buf[o++] = digits[*p >> 4];
				buf[o++] = digits[*p & 0xf];
			} else
				buf[o++] = (char)*p;
		}
		buf[o] = '\0';
		admin_print(q, "%s", buf);
	}
	admin_print(q, "\n");
}

/* ---------------------------------------------------------------- run */

int
console_op_admin_args(struct admin_req *q, char a[][ADMIN_ARG_MAX + 1])
{
	/* Arguments beyond ADMIN_NARGS: the table's max keeps them "". */
	for (int i = 0; i < ADMIN_NARGS; i++) {
		if (strlen(q->cop->args[i]) > ADMIN_ARG_MAX) {
			console_op_fail(q, CONSOLE_E_INVALID, "a value is "
			    "longer than %d bytes", ADMIN_ARG_MAX);
			return -1;
		}
		memcpy(a[i], q->cop->args[i], strlen(q->cop->args[i]) + 1);
	}
	return 0;
}

static void
op_run(struct admin_req *q)
{
	const struct op_spec	*spec = &op_specs[q->cop->op];
	char			 a[ADMIN_NARGS][ADMIN_ARG_MAX + 1];

	q->was_up = db_up();
	if (spec->run != NULL) {
		spec->run(q);
		return;
	}
	/* pgpmgctl's command, with pgpmgctl's bounds. */
	if (console_op_admin_args(q, a) == -1)
		return;
	admin_run(q, spec->admin_op, a);
}

static void
op_reauthed(enum reauth_status st, uint32_t wait, void *arg)
{
	struct admin_req	*q = arg;

	explicit_bzero(q->cop->password, sizeof(q->cop->password));
	switch (st) {
	case REAUTH_OK:
		op_run(q);
		break;
	case REAUTH_DENIED:
		console_op_fail(q, CONSOLE_E_PASSWORD, "the password is wrong");
		break;
	case REAUTH_LOCKED:
		console_op_finish(q, CONSOLE_E_LOCKED, wait, "too many wrong "
		    "passwords: try again later", -1);
		break;
	case REAUTH_NONE:
		console_op_fail(q, CONSOLE_E_DENIED, "no live session");
		break;
	case REAUTH_BUSY:
		console_op_fail(q, CONSOLE_E_BUSY, "too many password checks "
		    "at once: try again");
		break;
	default:
		console_op_fail(q, CONSOLE_E_UNAVAILABLE, "the database is "
		    "unavailable");
	}
}

static void
op_session(enum session_status st, const struct console_user *u, void *arg)
{
	struct admin_req	*q = arg;
	struct console_op_req	*o = q->cop;
	const struct op_spec	*spec = &op_specs[o->op];
	int			 n = 0;

	if (st == SESSION_UNAVAILABLE) {
		console_op_fail(q, CONSOLE_E_UNAVAILABLE, "the database is "
		    "unavailable");
		return;
	}
	if (st != SESSION_OK) {
		console_op_fail(q, CONSOLE_E_DENIED, "no live session");
		return;
	}
	o->user_id = u->id;
	snprintf(o->address, sizeof(o->address), "%s", u->address);
	o->admin = strcmp(u->role, "admin") == 0;
	snprintf(q->actor, sizeof(q->actor), "%s:%s", o->admin ? "admin" :
	    "user", o->address);
	if (spec->role == OP_ADMIN && !o->admin) {
		/* webd shows a user no admin operation: a request for one
		 * is worth a look. */
		log_warnx("console: %s asked for %s, which only an "
		    "administrator may do: denied", q->actor, spec->name);
		console_op_fail(q, CONSOLE_E_DENIED, "only an administrator "
		    "may do this");
		return;
	}
	for (int i = 0; i < CONSOLE_NARGS; i++)
		if (o->args[i][0] != '\0')
			n = i + 1;
	if (n > spec->max) {
		console_op_fail(q, CONSOLE_E_INVALID, "too many values");
		return;
	}
	for (int i = 0; i < spec->min; i++)
		if (o->args[i][0] == '\0') {
			console_op_fail(q, CONSOLE_E_INVALID, "a value is "
			    "missing");
			return;
		}
	if (spec->upload && o->fd == -1) {
		console_op_fail(q, CONSOLE_E_INVALID, "no key data");
		return;
	}
	if (!spec->again) {
		op_run(q);
		return;
	}
	/* Nothing to check is no failure: the form was sent without it. */
	if (o->password[0] == '\0') {
		console_op_fail(q, CONSOLE_E_PASSWORD, "this needs your "
		    "password");
		return;
	}
	console_reauth(o->session, o->password, op_reauthed, q);
}

/* ---------------------------------------------------------------- message */

void
console_op_msg(struct child *c, struct child_peer *p, struct imsg *imsg)
{
	struct imsg_reader	 r;
	struct admin_req	*q;
	struct console_op_req	*o;
	const char		*session, *client, *password, *arg;
	uint32_t		 request, op;
	uint64_t		 size;
	int			 fd = imsg_get_fd(imsg), bad;

	(void)p;
	if ((o = calloc(1, sizeof(*o))) == NULL)
		fatal("console");
	o->fd = fd;
	imsg_reader_init(&r, imsg);
	bad = imsg_read_u32(&r, &request) == -1 || request == 0 ||
	    imsg_read_u32(&r, &op) == -1 ||
	    imsg_read_string(&r, &session, CONSOLE_TOKEN_LEN) == -1 ||
	    imsg_read_string(&r, &client, CONSOLE_CLIENT_MAX) == -1 ||
	    imsg_read_string(&r, &password, CONSOLE_PASSWORD_MAX) == -1;
	for (int i = 0; !bad && i < CONSOLE_NARGS; i++) {
		bad = imsg_read_string(&r, &arg, CONSOLE_ARG_MAX) == -1;
		if (!bad)
			memcpy(o->args[i], arg, strlen(arg) + 1);
	}
	if (bad || imsg_reader_end(&r) == -1 || op < CONSOLE_OP_STATUS ||
	    op > CONSOLE_OP_MAX || !console_client_valid(client) ||
	    (fd != -1 && !op_specs[op].upload))
		fatalx("malformed WEBD_OP");
	o->op = op;
	memcpy(o->session, session, strlen(session) + 1);
	memcpy(o->client, client, strlen(client) + 1);
	/* A password for an operation that asks for none is not checked. */
	if (op_specs[op].again)
		memcpy(o->password, password, strlen(password) + 1);
	explicit_bzero(imsg->data, imsg->datalen);

	q = admin_req_new(c, ADMIN_TO_WEBD, request);
	q->cop = o;
	if (console_pending_take()) {
		console_op_fail(q, CONSOLE_E_BUSY, "too many requests at once: "
		    "try again");
		return;
	}
	/* keyd checks the data again; this is what the console may send. */
	if (fd != -1 && (memfd_check_sealed(fd, &size) == -1 || size == 0 ||
	    size > CONSOLE_UPLOAD_MAX)) {
		console_op_fail(q, CONSOLE_E_INVALID, "the key data must be 1 "
		    "byte to %zu KiB", CONSOLE_UPLOAD_MAX / 1024);
		return;
	}
	console_session(o->session, o->client, op_session, q);
}

/* ---------------------------------------------------------------- table */

#define A	OP_ADMIN
#define U	OP_OWN

static const struct op_spec op_specs[CONSOLE_OP_MAX + 1] = {
	/*			   name, role, P, min, max, upload,
				   pgpmgctl's, own */
	[CONSOLE_OP_STATUS] = { "status", A, 0, 0, 0, 0,
	    0, console_status },
	/* HOURS ("": 24) */
	[CONSOLE_OP_STATS] = { "stats", A, 0, 0, 1, 0,
	    0, console_stats },
	[CONSOLE_OP_FAILURES] = { "failures", A, 0, 0, 0, 0,
	    0, console_failures },
	[CONSOLE_OP_POLICY_SHOW] = { "policy-show", A, 0, 0, 0, 0,
	    ADMIN_OP_POLICY_SHOW, NULL },
	[CONSOLE_OP_POLICY_SET] = { "policy-set", A, 1, 2, 2, 0,
	    ADMIN_OP_POLICY_SET, NULL },
	[CONSOLE_OP_RULE_LIST] = { "rule-list", A, 0, 0, 0, 0,
	    ADMIN_OP_RULE_LIST, NULL },
	/* SCOPE, PATTERN, ACTION, PRIORITY ("": the default) */
	[CONSOLE_OP_RULE_ADD] = { "rule-add", A, 1, 3, 4, 0,
	    ADMIN_OP_RULE_ADD, NULL },
	[CONSOLE_OP_RULE_DEL] = { "rule-delete", A, 1, 1, 1, 0,
	    ADMIN_OP_RULE_DEL, NULL },
	[CONSOLE_OP_DOMAIN_LIST] = { "domain-list", A, 0, 0, 0, 0,
	    ADMIN_OP_DOMAIN_LIST, NULL },
	[CONSOLE_OP_DOMAIN_ADD] = { "domain-add", A, 1, 1, 1, 0,
	    ADMIN_OP_DOMAIN_ADD, NULL },
	[CONSOLE_OP_DOMAIN_DEL] = { "domain-delete", A, 1, 1, 1, 0,
	    ADMIN_OP_DOMAIN_DEL, NULL },
	[CONSOLE_OP_USER_LIST] = { "user-list", A, 0, 0, 0, 0,
	    ADMIN_OP_USER_LIST, NULL },
	/* ADDRESS, NAME ("": none), ROLE ("": user) */
	[CONSOLE_OP_USER_ADD] = { "user-add", A, 1, 1, 3, 0,
	    0, console_user_add },
	/* ADDRESS, FIELD, VALUE ("" only for the name) */
	[CONSOLE_OP_USER_SET] = { "user-set", A, 1, 2, 3, 0,
	    ADMIN_OP_USER_SET, NULL },
	[CONSOLE_OP_USER_RESET] = { "user-reset", A, 1, 1, 1, 0,
	    0, console_user_reset },
	[CONSOLE_OP_USER_DEL] = { "user-delete", A, 1, 1, 1, 0,
	    ADMIN_OP_USER_DEL, NULL },
	[CONSOLE_OP_MY_PASSWORD] = { "my-password", U, 1, 1, 1, 0,
	    0, console_my_password },
	/* Keys: console_keys.c's table says what keyd is asked. */
	[CONSOLE_OP_KEY_LIST] = { "key-list", A, 0, 0, 0, 0,
	    0, console_key_list },
	[CONSOLE_OP_KEY_GENERATE] = { "key-generate", A, 1, 1, 1, 0,
	    0, console_key_op },
	[CONSOLE_OP_KEY_EXPORT] = { "key-export", A, 0, 1, 1, 0,
	    0, console_key_op },
	/* PASSPHRASE ("" for public keys) */
	[CONSOLE_OP_KEY_IMPORT] = { "key-import", A, 1, 0, 1, 1,
	    0, console_key_op },
	[CONSOLE_OP_KEY_REVOKE] = { "key-revoke", A, 1, 1, 1, 0,
	    0, console_key_op },
	[CONSOLE_OP_KEY_DELETE] = { "key-delete", A, 1, 1, 1, 0,
	    0, console_key_op },
	[CONSOLE_OP_MY_KEYS] = { "my-keys", U, 0, 0, 0, 0,
	    0, console_key_list },
	[CONSOLE_OP_MY_KEY_EXPORT] = { "my-key-export", U, 0, 1, 1, 0,
	    0, console_key_op },
	[CONSOLE_OP_MY_KEY_IMPORT] = { "my-key-import", U, 1, 0, 1, 1,
	    0, console_key_op },
	[CONSOLE_OP_MY_KEY_REVOKE] = { "my-key-revoke", U, 1, 1, 1, 0,
	    0, console_key_op },
	/* PROCESS, KIND, ACTOR, SINCE, UNTIL, BEFORE-ID: each "" for any */
	[CONSOLE_OP_AUDIT_LIST] = { "audit-list", A, 0, 0, 6, 0,
	    0, console_audit_list },
	[CONSOLE_OP_AUDIT_CHAIN] = { "audit-chain", A, 0, 0, 0, 0,
	    0, console_audit_chain },
	[CONSOLE_OP_NOTICE_LIST] = { "notice-list", A, 0, 0, 0, 0,
	    0, console_notice_list },
};

void
console_op_init(void)
{
	/* Every operation of msg.h is in the table, carried out one way. */
	for (uint32_t op = CONSOLE_OP_STATUS; op <= CONSOLE_OP_MAX; op++) {
		const struct op_spec *s = &op_specs[op];

		if (s->name == NULL || (s->run == NULL) == (s->admin_op == 0) ||
		    (s->role != OP_ADMIN && s->role != OP_OWN) ||
		    s->min > s->max || s->max > CONSOLE_NARGS ||
		    (s->admin_op != 0 && s->max > ADMIN_NARGS))
			fatalx("console: operation %u is not in the table as "
			    "it should be", op);
	}
}
