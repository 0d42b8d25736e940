/*
 * console_users: the console's user operations that set a password, which
 * pgpmgctl does its own way (it hashes in its own process, outside any
 * sandbox):
 *
 *   USER_ADD     a new user, with a password made here, the portal login
 *                on; the password is shown once ("password\tPASSWORD");
 *   USER_RESET   a new password made here for a user, shown once;
 *   MY_PASSWORD  the session's user's own new password.
 *
 * Made here: CONSOLE_ONETIME_LEN characters of passhash's alphabet (56
 * letters and digits without 0 O o 1 l I), 22 x log2(56) = 127.8 bits,
 * from RAND_bytes.  A password is hashed (scrypt, about 0.6 s and 128 MiB)
 * on the verifier's thread, never on the loop that cryptod's plans wait
 * on: it takes a slot as a password check does, and with every slot taken
 * the operation is BUSY.  The PHC string is stored with pgpmgctl's own
 * statements (users.c), each the change and its audit row in one
 * (user-add, password-change); the password itself is never logged,
 * stored or audited, and is wiped with the request.  A new password ends
 * the user's sessions (sql/005's trigger), MY_PASSWORD's own included.
 */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/msg.h"
#include "common/passhash.h"
#include "common/userdef.h"
#include "policyd/admin_internal.h"
#include "policyd/console_op.h"
#include "policyd/users.h"
#include "policyd/verifier.h"

/* A password the console makes: at least 120 bits. */
#define CONSOLE_ONETIME_LEN	22
_Static_assert(CONSOLE_ONETIME_LEN <= PASSHASH_RANDOM_MAX,
    "room for the one-time password");

static void
hashed(const char *phc, void *arg)
{
	struct admin_req	*q = arg;

	if (phc == NULL) {
		log_warnx("console: a password could not be hashed");
		console_op_fail(q, CONSOLE_E_FAILED, "the password could not "
		    "be hashed; nothing was changed");
		return;
	}
	if (q->cop->op == CONSOLE_OP_USER_ADD)
		users_add_send(q, phc);
	else
		users_passwd_send(q, phc);
}

/* Hash password on the verifier's thread, then store it.  The slot has
 * a copy of the password: the caller's is wiped at once (a one-time
 * password is kept: it is shown once stored). */
static void
hash_and_store(struct admin_req *q, char *password, int keep)
{
	int	 slot;

	slot = verifier_reserve(password);
	if (!keep)
		explicit_bzero(password, strlen(password));
	if (slot == -1) {
		console_op_fail(q, CONSOLE_E_BUSY, "too many password checks "
		    "at once: try again");
		return;
	}
	verifier_hash(slot, hashed, q);
}

static int
make_onetime(struct admin_req *q)
{
	if (passhash_random(q->onetime, CONSOLE_ONETIME_LEN) == -1) {
		console_op_fail(q, CONSOLE_E_FAILED, "no random bytes for a "
		    "password");
		return -1;
	}
	return 0;
}

void
console_user_add(struct admin_req *q)
{
	char	 a[ADMIN_NARGS][ADMIN_ARG_MAX + 1];

	if (console_op_admin_args(q, a) == -1 || users_add_check(q, a) == -1 ||
	    make_onetime(q) == -1)
		return;
	hash_and_store(q, q->onetime, 1);
}

void
console_user_reset(struct admin_req *q)
{
	if (strlen(q->cop->args[0]) > USER_ADDRESS_MAX) {
		console_op_fail(q, CONSOLE_E_INVALID, "an address is at most "
		    "%d bytes", USER_ADDRESS_MAX);
		return;
	}
	if (users_address(q, q->cop->args[0]) == -1 || make_onetime(q) == -1)
		return;
	hash_and_store(q, q->onetime, 1);
}

void
console_my_password(struct admin_req *q)
{
	char	 err[256];

	if (user_password_check(q->cop->args[0], err, sizeof(err)) == -1) {
		console_op_fail(q, CONSOLE_E_INVALID, "%s", err);
		return;
	}
	snprintf(q->address, sizeof(q->address), "%s", q->cop->address);
	hash_and_store(q, q->cop->args[0], 0);
}
