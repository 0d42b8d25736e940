/*
 * users: pgpmgctl's user commands (user add, list, set, passwd, del) on
 * pgpmg.users, for admin.c, and the statements of the console's own
 * (console_users.c: a new user with a password policyd made, a password
 * reset or changed).
 *
 * Every value is checked here again (common/userdef.c): a member of group
 * _pgpmg can send the request without pgpmgctl.  An address is kept as it
 * was given and found whatever its case (the unique index is on
 * lower(address)).  A password never comes here: pgpmgctl hashes it, and
 * what arrives must be a well-formed scrypt PHC string within
 * common/passhash.c's bounds, or it is refused; the audit row says only
 * that a password is set.  Every change and its audit row are one
 * statement (statements.c).  No user is in the policy cache, so a change
 * is answered as soon as the statement is.
 *
 * Output (README, "Users"): `user list` one line per user, fields
 * separated by tabs (address, role, portal yes/no, locked yes/no, display
 * name), every byte as stored (a display name holds no tab or line end:
 * the check and the schema refuse control characters); a change one line
 * saying what it did.
 */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/passhash.h"
#include "common/userdef.h"
#include "policyd/admin_internal.h"
#include "policyd/audit.h"
#include "policyd/db.h"
#include "policyd/statements.h"
#include "policyd/users.h"

/*
 * The most users `user list` prints: the longest line (an address of 320
 * bytes, a display name of 800, the other fields and the tabs) that many
 * times still fits in ADMIN_OUTPUT_MAX, so the list is never cut.
 */
#define USERS_LINE_MAX	(USER_ADDRESS_MAX + USER_NAME_MAX + 24)
#define USERS_LIST_MAX	((int)(ADMIN_OUTPUT_MAX / USERS_LINE_MAX))

static const char *
yes_no(const char *pgbool)
{
	return pgbool[0] == 't' ? "yes" : "no";
}

int
users_address(struct admin_req *q, const char *s)
{
	char	 err[512];

	if (user_address_check(s, err, sizeof(err)) == -1) {
		admin_fail(q, ADMIN_E_INVALID, "%s", err);
		return -1;
	}
	memcpy(q->address, s, strlen(s) + 1);
	return 0;
}

/* A failed change of an address that must exist: unavailable, refused,
 * or no row (not found). */
static int
users_changed(struct admin_req *q, const struct db_result *r, int ncols)
{
	if (r->status != DB_OK) {
		admin_db_error(q, r, 1, NULL);
		return -1;
	}
	if (!admin_rows(r, ncols)) {
		admin_fail(q, ADMIN_E_FAILED, "unexpected answer");
		return -1;
	}
	if (PQntuples(r->res) == 0) {
		admin_fail(q, ADMIN_E_NOTFOUND, "no user %s", q->address);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- add */

static void
users_added(const struct db_result *r, void *arg)
{
	struct admin_req	*q = arg;
	char			 exists[USER_ADDRESS_MAX + 64];

	if (r->status != DB_OK) {
		snprintf(exists, sizeof(exists), "a user %s exists already "
		    "(addresses are compared without case)", q->address);
		/* The audit log's own unique violations, when retries ran
		 * out, are not a duplicate user. */
		admin_db_error(q, r, 1, audit_conflict(r) ? NULL : exists);
		return;
	}
	if (!admin_rows(r, 3) || PQntuples(r->res) != 1) {
		admin_fail(q, ADMIN_E_FAILED, "no user was added");
		return;
	}
	log_info("users: %s added user %s (role %s%s)", q->actor, q->address,
	    PQgetvalue(r->res, 0, 1), q->onetime[0] != '\0' ?
	    ", with a password made for it" : "");
	if (q->onetime[0] != '\0')
		admin_print(q, "password\t%s\n", q->onetime);
	else
		admin_print(q, "added user %s\n", q->address);
	admin_finish(q, ADMIN_E_OK, "");
}

int
users_add_check(struct admin_req *q, char args[][ADMIN_ARG_MAX + 1])
{
	char	 err[512];

	if (users_address(q, args[0]) == -1)
		return -1;
	if (user_name_check(args[1], err, sizeof(err)) == -1) {
		admin_fail(q, ADMIN_E_INVALID, "%s", err);
		return -1;
	}
	q->role = USER_ROLE_DEFAULT;
	if (args[2][0] != '\0' && user_role_parse(args[2], &q->role) == -1) {
		admin_fail(q, ADMIN_E_INVALID, "role: \"%s\" is not one of "
		    "admin, user, none", args[2]);
		return -1;
	}
	memcpy(q->name, args[1], strlen(args[1]) + 1);
	return 0;
}

void
users_add_send(struct admin_req *q, const char *phc)
{
	const char	*v[6];

	v[0] = q->actor;
	v[1] = q->address;
	v[2] = q->name;
	v[3] = user_role_name(q->role);
	/* With a password, the portal login on (unless the role is none,
	 * which may not log in anyway). */
	v[4] = phc;
	v[5] = phc != NULL && q->role != USER_ROLE_NONE ? "true" : NULL;
	audit_query(STMT_USER_ADD, 6, v, users_added, q);
}

void
users_add(struct admin_req *q, char args[][ADMIN_ARG_MAX + 1])
{
	if (users_add_check(q, args) == -1)
		return;
	users_add_send(q, NULL);
}

/* ---------------------------------------------------------------- list */

static void
users_listed(const struct db_result *r, void *arg)
{
	struct admin_req	*q = arg;
	const PGresult		*res = r->res;

	if (r->status != DB_OK) {
		admin_db_error(q, r, 0, NULL);
		return;
	}
	if (!admin_rows(r, 5)) {
		admin_fail(q, ADMIN_E_FAILED, "unexpected answer");
		return;
	}
	if (PQntuples(res) > USERS_LIST_MAX) {
		admin_fail(q, ADMIN_E_FAILED, "more than %d users: more than "
		    "`user list` prints", USERS_LIST_MAX);
		return;
	}
	for (int i = 0; i < PQntuples(res); i++)
		admin_print(q, "%s\t%s\t%s\t%s\t%s\n", PQgetvalue(res, i, 0),
		    PQgetvalue(res, i, 1), yes_no(PQgetvalue(res, i, 2)),
		    yes_no(PQgetvalue(res, i, 3)), PQgetvalue(res, i, 4));
	admin_finish(q, ADMIN_E_OK, "");
}

void
users_list(struct admin_req *q, char args[][ADMIN_ARG_MAX + 1])
{
	const char	*v[1];
	char		 limit[16];

	(void)args;
	snprintf(limit, sizeof(limit), "%d", USERS_LIST_MAX + 1);
	v[0] = limit;
	db_query(STMT_USER_LIST, 1, v, NULL, NULL, users_listed, q);
}

/* ---------------------------------------------------------------- set */

/* A value as `user list` prints it: JSON's true/false as yes/no. */
static const char *
shown_value(int field, const char *v)
{
	if (field == USER_FIELD_PORTAL)
		return strcmp(v, "true") == 0 ? "yes" : "no";
	return v;
}

static void
users_was_set(const struct db_result *r, void *arg)
{
	struct admin_req	*q = arg;
	const char		*state;

	state = r->status == DB_ERROR && r->res != NULL ?
	    PQresultErrorField(r->res, PG_DIAG_SQLSTATE) : NULL;
	/* The one CHECK that turning the portal login on can fail. */
	if (q->field == USER_FIELD_PORTAL && state != NULL &&
	    strcmp(state, "23514") == 0) {
		admin_fail(q, ADMIN_E_INVALID, "%s has no password: the portal "
		    "login needs one (user passwd %s)", q->address, q->address);
		return;
	}
	if (users_changed(q, r, 4) == -1)
		return;
	log_info("users: %s set %s of %s to \"%s\" (was \"%s\")", q->actor,
	    user_field_name(q->field), PQgetvalue(r->res, 0, 0),
	    PQgetvalue(r->res, 0, 2), PQgetvalue(r->res, 0, 1));
	admin_print(q, "%s %s: %s -> %s\n", PQgetvalue(r->res, 0, 0),
	    user_field_name(q->field),
	    shown_value(q->field, PQgetvalue(r->res, 0, 1)),
	    shown_value(q->field, PQgetvalue(r->res, 0, 2)));
	admin_finish(q, ADMIN_E_OK, "");
}

void
users_set(struct admin_req *q, char args[][ADMIN_ARG_MAX + 1])
{
	const char	*v[6] = { NULL };
	char		 canon[USER_NAME_MAX + 1], err[512];

	if (users_address(q, args[0]) == -1)
		return;
	if (user_field_parse(args[1], args[2], &q->field, canon,
	    sizeof(canon), err, sizeof(err)) == -1) {
		admin_fail(q, ADMIN_E_INVALID, "%s", err);
		return;
	}
	v[0] = q->actor;
	v[1] = q->address;
	v[2 + q->field] = canon;	/* $3..$5 in USER_FIELD_* order */
	v[5] = user_field_name(q->field);
	audit_query(STMT_USER_SET, 6, v, users_was_set, q);
}

/* ---------------------------------------------------------------- passwd */

static void
users_passwd_set(const struct db_result *r, void *arg)
{
	struct admin_req	*q = arg;

	if (users_changed(q, r, 2) == -1)
		return;
	log_info("users: %s set %s password of %s", q->actor,
	    q->onetime[0] != '\0' ? "a new random" : "the",
	    PQgetvalue(r->res, 0, 0));
	if (q->onetime[0] != '\0')
		admin_print(q, "password\t%s\n", q->onetime);
	else
		admin_print(q, "password set for %s\n",
		    PQgetvalue(r->res, 0, 0));
	admin_finish(q, ADMIN_E_OK, "");
}

void
users_passwd_send(struct admin_req *q, const char *phc)
{
	const char	*v[3];

	v[0] = q->actor;
	v[1] = q->address;
	v[2] = phc;
	audit_query(STMT_USER_PASSWD, 3, v, users_passwd_set, q);
}

void
users_passwd(struct admin_req *q, char args[][ADMIN_ARG_MAX + 1])
{
	struct passhash_phc	 h;

	if (users_address(q, args[0]) == -1)
		return;
	if (passhash_parse(args[1], &h) == -1) {
		admin_fail(q, ADMIN_E_INVALID, "not a password hash policyd "
		    "takes (an scrypt PHC string within bounds; pgpmgctl makes "
		    "one)");
		return;
	}
	users_passwd_send(q, args[1]);
}

/* ---------------------------------------------------------------- del */

static void
users_deleted(const struct db_result *r, void *arg)
{
	struct admin_req	*q = arg;

	if (users_changed(q, r, 2) == -1)
		return;
	log_info("users: %s deleted user %s", q->actor,
	    PQgetvalue(r->res, 0, 0));
	admin_print(q, "deleted user %s\n", PQgetvalue(r->res, 0, 0));
	admin_finish(q, ADMIN_E_OK, "");
}

void
users_del(struct admin_req *q, char args[][ADMIN_ARG_MAX + 1])
{
	const char	*v[2];

	if (users_address(q, args[0]) == -1)
		return;
	v[0] = q->actor;
	v[1] = q->address;
	audit_query(STMT_USER_DEL, 2, v, users_deleted, q);
}
