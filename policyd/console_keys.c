/*
 * console_keys: the console's key operations.
 *
 * Lists come from the record of keys (pgpmg.keys, pgpmg.key_addresses;
 * keyrecord.c keeps it in step with keyd), not from keyd: one statement,
 * however many keys, and keyd stays free for the changes.  Everything
 * else goes to keyd through keyops.c, in the same queue as pgpmgctl's
 * requests, recorded with its audit row (actor admin:ADDRESS or
 * user:ADDRESS) before the answer, and refused while the database is
 * down.  The table at the end says, for each operation, what keyd is
 * asked for, with what argument, and whether the key must be the user's
 * own.
 *
 * The own-key rule (MY_*): a user sees, exports and revokes only a key
 * whose record lists the session's address (as its owner or in a user
 * ID).  Any other fingerprint, whether keyd has it or not, is NOTFOUND
 * with the same message, so that nobody learns of another's key; the
 * check is made in the record, by the statement that lists the keys,
 * before keyd is asked.  An upload (MY_KEY_IMPORT) goes to keyd with the
 * address as its required address: keyd refuses a key any of whose user
 * IDs is another (keyd/import.c), and records it as key-upload, source
 * uploaded.  A key pair needs its passphrase, as from pgpmgctl.
 *
 * Output: a list as "FINGERPRINT\tinternal|external\tSOURCE\tCREATED\t
 * EXPIRES|-\tREVOKED yes|no\tSECRET yes|no\tADDRESS[,ADDRESS..]"; an
 * export's armour is DONE's fd (keyd's sealed memfd, passed on); any
 * other change's output is keyd's text, the fingerprints concerned, one a
 * line.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/msg.h"
#include "policyd/admin_internal.h"
#include "policyd/console_op.h"
#include "policyd/db.h"
#include "policyd/keyops.h"
#include "policyd/statements.h"

/* The most keys a list shows: far more than a gateway's users and
 * correspondents; the output's own bound (ADMIN_OUTPUT_MAX) holds lines
 * of 400 bytes that many times. */
#define KEYS_LIST_MAX		20000
/* A fingerprint: v4 (40 hex digits) or v5 (64). */
#define KEYS_FPR_MAX		64

/* What an operation's argument is. */
enum key_arg {
	ARG_ADDRESS,		/* an address for keyd to check */
	ARG_FPR,		/* a fingerprint */
	ARG_PASS,		/* an import's passphrase, "" for public
				   keys; the data is the upload */
};

struct key_spec {
	uint32_t	 key_op;	/* KEY_OP_* */
	enum key_arg	 arg;
	int		 own;		/* the session's own keys only */
	const char	*kind;		/* the audit row's; NULL: keyops'
					   own for key_op */
	const char	*source;	/* of the keys it adds; likewise */
};

static const struct key_spec	key_specs[CONSOLE_OP_MAX + 1];

/* ---------------------------------------------------------------- list */

static void
keys_listed(const struct db_result *r, void *arg)
{
	struct admin_req	*q = arg;
	const char		*f[8];

	if (r->status != DB_OK) {
		admin_db_error(q, r, 0, NULL);
		return;
	}
	if (!admin_rows(r, 8)) {
		admin_fail(q, ADMIN_E_FAILED, "unexpected answer");
		return;
	}
	if (PQntuples(r->res) > KEYS_LIST_MAX) {
		admin_fail(q, ADMIN_E_FAILED, "more than %d keys: more than "
		    "the console lists", KEYS_LIST_MAX);
		return;
	}
	for (int i = 0; i < PQntuples(r->res); i++) {
		for (int k = 0; k < 8; k++)
			f[k] = PQgetvalue(r->res, i, k);
		console_op_row(q, 8, f);
	}
	admin_finish(q, ADMIN_E_OK, "");
}

void
console_key_list(struct admin_req *q)
{
	const char	*v[3];
	char		 limit[16];

	snprintf(limit, sizeof(limit), "%d", KEYS_LIST_MAX + 1);
	v[0] = limit;
	v[1] = q->cop->op == CONSOLE_OP_MY_KEYS ? q->cop->address : NULL;
	v[2] = NULL;
	db_query(STMT_KEY_LIST, 3, v, NULL, NULL, keys_listed, q);
}

/* ---------------------------------------------------------------- keyd */

static const uint32_t key_codes[] = {
	[KEY_E_OK] =		CONSOLE_E_OK,
	[KEY_E_INVALID] =	CONSOLE_E_INVALID,
	[KEY_E_NOTFOUND] =	CONSOLE_E_NOTFOUND,
	[KEY_E_EXISTS] =	CONSOLE_E_EXISTS,
	[KEY_E_PASSPHRASE] =	CONSOLE_E_PASSPHRASE,
	[KEY_E_FAILED] =	CONSOLE_E_FAILED,
	[KEY_E_UNAVAILABLE] =	CONSOLE_E_UNAVAILABLE,
};

static void
keyd_answered(uint32_t code, const char *text, int fd, void *arg)
{
	struct admin_req	*q = arg;

	if (code > KEY_E_MAX)
		fatalx("console: KEY_E code %u", code);
	if (code != KEY_E_OK) {
		console_op_finish(q, key_codes[code], 0, text, fd);
		return;
	}
	if (fd == -1 && text[0] != '\0')
		admin_print(q, "%s\n", text);
	console_op_finish(q, CONSOLE_E_OK, 0, "", fd);
}

/* To keyd, once the argument is what keyd takes. */
static void
ask_keyd(struct admin_req *q, const char *arg)
{
	const struct key_spec	*spec = &key_specs[q->cop->op];
	struct keyops_ask	 a;
	char			 pass[KEYOPS_PASS_MAX + 1];

	/* The passphrase moves to keyops, which wipes its copy once keyd
	 * has it; q may be answered (and gone) before keyops_ask returns. */
	pass[0] = '\0';
	if (spec->arg == ARG_PASS) {
		snprintf(pass, sizeof(pass), "%s", q->cop->args[0]);
		explicit_bzero(q->cop->args[0], sizeof(q->cop->args[0]));
	}
	memset(&a, 0, sizeof(a));
	a.op = spec->key_op;
	a.arg = arg;
	a.pass = pass;
	a.fd = q->cop->fd;
	q->cop->fd = -1;		/* keyops' now */
	a.actor = q->actor;
	a.kind = spec->kind;
	a.source = spec->source;
	keyops_ask(&a, keyd_answered, q);
	explicit_bzero(pass, sizeof(pass));
}

/* The own-key check: the record lists the session's address. */
/*
 * True when every address of a key's record (list, joined by commas) is
 * the user's.  Downloading a key that names the user among others is
 * harmless (it is public); changing it is not the user's alone to do:
 * a key pair held for bob and carol is not bob's to revoke.  Compared
 * in ASCII's case only, so that a difference beyond ASCII refuses.
 */
static int
only_address(const char *list, const char *address)
{
	size_t	 n = strlen(address), m;

	for (;;) {
		m = strcspn(list, ",");
		if (m != n || strncasecmp(list, address, n) != 0)
			return 0;
		if (list[m] == '\0')
			return 1;
		list += m + 1;
	}
}

static void
own_checked(const struct db_result *r, void *arg)
{
	struct admin_req	*q = arg;

	if (r->status != DB_OK) {
		admin_db_error(q, r, 0, NULL);
		return;
	}
	if (!admin_rows(r, 8)) {
		admin_fail(q, ADMIN_E_FAILED, "unexpected answer");
		return;
	}
	if (PQntuples(r->res) != 1) {
		console_op_fail(q, CONSOLE_E_NOTFOUND, "you have no key %s",
		    q->cop->args[0]);
		return;
	}
	if (key_specs[q->cop->op].key_op != KEY_OP_EXPORT &&
	    !only_address(PQgetvalue(r->res, 0, 7), q->cop->address)) {
		console_op_fail(q, CONSOLE_E_INVALID, "key %s is not yours "
		    "alone (it has user IDs of other addresses): an "
		    "administrator can change it", q->cop->args[0]);
		return;
	}
	ask_keyd(q, q->cop->args[0]);
}

/* A fingerprint as keyd and the record write it: upper-case hex. */
static int
fingerprint(struct admin_req *q, char *s)
{
	size_t	 n = strlen(s);

	if (n != 40 && n != KEYS_FPR_MAX) {
		console_op_fail(q, CONSOLE_E_INVALID, "a fingerprint is 40 or "
		    "64 hexadecimal digits");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[i])) {
			console_op_fail(q, CONSOLE_E_INVALID, "a fingerprint "
			    "is 40 or 64 hexadecimal digits");
			return -1;
		}
		s[i] = (char)toupper((unsigned char)s[i]);
	}
	return 0;
}

void
console_key_op(struct admin_req *q)
{
	const struct key_spec	*spec = &key_specs[q->cop->op];
	char			*arg = q->cop->args[0];
	const char		*v[3];

	if (spec->key_op == 0)
		fatalx("console_key_op: operation %u", q->cop->op);
	switch (spec->arg) {
	case ARG_ADDRESS:
		if (strlen(arg) > KEYOPS_ARG_MAX) {
			console_op_fail(q, CONSOLE_E_INVALID, "an address is "
			    "at most %d bytes", KEYOPS_ARG_MAX);
			return;
		}
		ask_keyd(q, arg);
		return;
	case ARG_PASS:
		if (strlen(arg) > KEYOPS_PASS_MAX) {
			console_op_fail(q, CONSOLE_E_INVALID, "a passphrase is "
			    "at most %d bytes", KEYOPS_PASS_MAX);
			return;
		}
		/* An upload of the user's own: keyd checks every user ID. */
		ask_keyd(q, spec->own ? q->cop->address : "");
		return;
	case ARG_FPR:
		if (fingerprint(q, arg) == -1)
			return;
		if (!spec->own) {
			ask_keyd(q, arg);
			return;
		}
		v[0] = "1";
		v[1] = q->cop->address;
		v[2] = arg;
		db_query(STMT_KEY_LIST, 3, v, NULL, NULL, own_checked, q);
		return;
	}
}

/* ---------------------------------------------------------------- table */

static const struct key_spec key_specs[CONSOLE_OP_MAX + 1] = {
	[CONSOLE_OP_KEY_GENERATE] =	{ KEY_OP_GENERATE, ARG_ADDRESS, 0,
					  NULL, NULL },
	[CONSOLE_OP_KEY_EXPORT] =	{ KEY_OP_EXPORT, ARG_FPR, 0,
					  NULL, NULL },
	[CONSOLE_OP_KEY_IMPORT] =	{ KEY_OP_IMPORT, ARG_PASS, 0,
					  NULL, NULL },
	[CONSOLE_OP_KEY_REVOKE] =	{ KEY_OP_REVOKE, ARG_FPR, 0,
					  NULL, NULL },
	[CONSOLE_OP_KEY_DELETE] =	{ KEY_OP_DELETE, ARG_FPR, 0,
					  NULL, NULL },
	[CONSOLE_OP_MY_KEY_EXPORT] =	{ KEY_OP_EXPORT, ARG_FPR, 1,
					  NULL, NULL },
	[CONSOLE_OP_MY_KEY_IMPORT] =	{ KEY_OP_IMPORT, ARG_PASS, 1,
					  "key-upload", "uploaded" },
	[CONSOLE_OP_MY_KEY_REVOKE] =	{ KEY_OP_REVOKE, ARG_FPR, 1,
					  NULL, NULL },
};
