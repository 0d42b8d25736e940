/*
 * admin: pgpmgctl's policy, rule, domain and user commands, which the
 * parent forwards (IMSG_PARENT_ADMIN, pgpmgd/adminfwd.c) with the
 * client's uid, and the same commands for the console (console_op.c,
 * for webd).  A table (admin_ops, at the end) names each operation's
 * arguments and the function that carries it out: the policy's here, the
 * users' in users.c.
 *
 * Every value is checked here (common/policydef.c, common/userdef.c)
 * before it reaches the database, and again by the schema's constraints.
 * Every change is one statement that makes the change and appends its
 * audit row (actor "pgpmgctl (uid N)" or, from the console,
 * "admin:ADDRESS"; the row before and after as JSON): both or neither.
 * After a change of the policy the cache is loaded again, so the next
 * message on this gateway sees it (other gateways within
 * POLICYLOAD_POLL_MS).
 *
 * The answer is the output (in chunks) and one DONE with an ADMIN_E_*
 * code and, for an error, a message for the administrator: to the parent
 * as IMSG_POLICYD_ADMIN_DATA and _DONE, to webd as the console's answer
 * (console_op_finish(), which maps the code).  Output formats are stable
 * (README).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/child.h"
#include "common/log.h"
#include "common/msg.h"
#include "common/policydef.h"
#include "imsg/imsg.h"
#include "policyd/admin.h"
#include "policyd/admin_internal.h"
#include "policyd/audit.h"
#include "policyd/console_op.h"
#include "policyd/db.h"
#include "policyd/policyload.h"
#include "policyd/statements.h"
#include "policyd/users.h"

struct admin_req *
admin_req_new(struct child *c, enum admin_to to, uint32_t request)
{
	struct admin_req	*q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		fatal("admin");
	q->c = c;
	q->to = to;
	q->request = request;
	q->was_up = db_up();
	return q;
}

void
admin_req_free(struct admin_req *q)
{
	if (q->out != NULL)
		explicit_bzero(q->out, q->outcap);
	free(q->out);
	explicit_bzero(q, sizeof(*q));
	free(q);
}

void
admin_print(struct admin_req *q, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (q->out == NULL) {
		q->outcap = 4096;
		if ((q->out = malloc(q->outcap)) == NULL)
			fatal("admin_print");
	}
	for (;;) {
		if (q->overflow)
			return;
		va_start(ap, fmt);
		n = vsnprintf(q->out + q->outlen, q->outcap - q->outlen, fmt,
		    ap);
		va_end(ap);
		if (n < 0)
			fatal("admin_print");
		if ((size_t)n < q->outcap - q->outlen) {
			q->outlen += (size_t)n;
			return;
		}
		while (q->outcap - q->outlen <= (size_t)n)
			q->outcap *= 2;
		if (q->outcap > ADMIN_OUTPUT_MAX) {
			q->overflow = 1;
			return;
		}
		if ((q->out = realloc(q->out, q->outcap)) == NULL)
			fatal("admin_print");
	}
}

void
admin_output(struct admin_req *q, struct imsgev *iev, uint32_t type)
{
	struct ibuf	*b;
	char		 chunk[ADMIN_TEXT_MAX];
	size_t		 off = 0, n;

	while (off < q->outlen) {
		n = q->outlen - off;
		if (n > sizeof(chunk) - 1)
			n = sizeof(chunk) - 1;
		memcpy(chunk, q->out + off, n);
		chunk[n] = '\0';
		off += n;
		if ((b = imsg_create(&iev->ibuf, type, 0, -1,
		    sizeof(uint32_t) + n + 1)) == NULL ||
		    imsg_add_u32(b, q->request) == -1 ||
		    imsg_add_string(b, chunk) == -1)
			fatal("compose %s", imsg_type_name(type));
		imsg_close(&iev->ibuf, b);
	}
	explicit_bzero(chunk, sizeof(chunk));
}

/* The output in chunks, then DONE; the request is over. */
void
admin_finish(struct admin_req *q, uint32_t code, const char *msg)
{
	struct imsgev	*iev = &q->c->parent;
	struct ibuf	*b;
	char		 chunk[ADMIN_TEXT_MAX];

	if (q->to == ADMIN_TO_WEBD) {
		console_op_finish(q, console_code_of_admin(code), 0, msg, -1);
		return;
	}
	if (code == ADMIN_E_OK && q->overflow) {
		code = ADMIN_E_FAILED;
		msg = "the output would be longer than policyd sends";
	}
	if (code == ADMIN_E_OK)
		admin_output(q, iev, IMSG_POLICYD_ADMIN_DATA);
	snprintf(chunk, sizeof(chunk), "%s", msg);
	if ((b = imsg_create(&iev->ibuf, IMSG_POLICYD_ADMIN_DONE, 0, -1,
	    2 * sizeof(uint32_t) + strlen(chunk) + 1)) == NULL ||
	    imsg_add_u32(b, q->request) == -1 || imsg_add_u32(b, code) == -1 ||
	    imsg_add_string(b, chunk) == -1)
		fatal("compose POLICYD_ADMIN_DONE");
	imsg_close(&iev->ibuf, b);
	imsgev_update(iev);
	admin_req_free(q);
}

void
admin_fail(struct admin_req *q, uint32_t code, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	admin_finish(q, code, msg);
}

/*
 * A failed answer: unavailable (before or during the statement), a value
 * the database refused, a duplicate, anything else.  A change that got no
 * answer may have been made all the same.
 */
void
admin_db_error(struct admin_req *q, const struct db_result *r, int change,
    const char *exists)
{
	const char	*state = NULL;

	if (r->status == DB_UNAVAILABLE) {
		if (!q->was_up)
			admin_fail(q, ADMIN_E_UNAVAILABLE, "the database is "
			    "unavailable (%s)%s", db_last_error(), change ?
			    "; nothing was changed" : "");
		else if (!change)
			admin_fail(q, ADMIN_E_UNAVAILABLE, "the database is "
			    "unavailable (%s)", r->error);
		else
			admin_fail(q, ADMIN_E_UNAVAILABLE, "no answer from the "
			    "database (%s): the change may or may not have "
			    "been made; look before trying again", r->error);
		return;
	}
	if (r->res != NULL)
		state = PQresultErrorField(r->res, PG_DIAG_SQLSTATE);
	if (state != NULL && strcmp(state, "23505") == 0 && exists != NULL)
		admin_fail(q, ADMIN_E_EXISTS, "%s", exists);
	else if (state != NULL && (strncmp(state, "22", 2) == 0 ||
	    strcmp(state, "23514") == 0))
		admin_fail(q, ADMIN_E_INVALID, "the database refused the value: "
		    "%s", r->error);
	else
		admin_fail(q, ADMIN_E_FAILED, "the database refused: %s",
		    r->error);
}

/* A change is answered once the cache has it (policyload.h). */
static void
admin_loaded(void *arg)
{
	admin_finish(arg, ADMIN_E_OK, "");
}

int
admin_rows(const struct db_result *r, int ncols)
{
	return r->status == DB_OK && PQnfields(r->res) == ncols;
}

/* ---------------------------------------------------------------- policy */

static const char *
yes_no(const char *pgbool)
{
	return pgbool[0] == 't' ? "yes" : "no";
}

static void
policy_shown(const struct db_result *r, void *arg)
{
	struct admin_req	*q = arg;
	const PGresult		*res = r->res;

	if (r->status != DB_OK) {
		admin_db_error(q, r, 0, NULL);
		return;
	}
	if (!admin_rows(r, 9) || PQntuples(res) != 1) {
		admin_fail(q, ADMIN_E_FAILED, "the policy row is missing");
		return;
	}
	admin_print(q, "mode %s\n", PQgetvalue(res, 0, 0));
	admin_print(q, "keyword %s\n", PQgetvalue(res, 0, 1));
	admin_print(q, "missing-key %s\n", PQgetvalue(res, 0, 2));
	admin_print(q, "sign %s\n", yes_no(PQgetvalue(res, 0, 3)));
	admin_print(q, "decrypt %s\n", yes_no(PQgetvalue(res, 0, 4)));
	admin_print(q, "protected-headers %s\n", yes_no(PQgetvalue(res, 0, 5)));
	admin_print(q, "version %s\n", PQgetvalue(res, 0, 6));
	admin_print(q, "updated-at %s\n", PQgetvalue(res, 0, 7));
	admin_print(q, "updated-by %s\n", PQgetvalue(res, 0, 8));
	admin_finish(q, ADMIN_E_OK, "");
}

static void
policy_show(struct admin_req *q, char args[][ADMIN_ARG_MAX + 1])
{
	(void)args;
	db_query(STMT_POLICY_SHOW, 0, NULL, NULL, NULL, policy_shown, q);
}

/* A value as `policy show` prints it: JSON's true/false as yes/no. */
static const char *
shown_value(int setting, const char *v)
{
	if (setting == POL_SET_SIGN || setting == POL_SET_DECRYPT ||
	    setting == POL_SET_PROTECT)
		return strcmp(v, "true") == 0 ? "yes" : "no";
	return v;
}

static void
policy_was_set(const struct db_result *r, void *arg)
{
	struct admin_req	*q = arg;
	const PGresult		*res = r->res;

	if (r->status != DB_OK) {
		admin_db_error(q, r, 1, NULL);
		return;
	}
	if (!admin_rows(r, 4) || PQntuples(res) != 1) {
		admin_fail(q, ADMIN_E_FAILED, "the policy row is missing");
		return;
	}
	log_info("policy: %s set %s to \"%s\" (was \"%s\"; version %s)",
	    q->actor, pol_setting_name(q->setting), PQgetvalue(res, 0, 1),
	    PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 2));
	admin_print(q, "%s: %s -> %s\n", pol_setting_name(q->setting),
	    shown_value(q->setting, PQgetvalue(res, 0, 0)),
	    shown_value(q->setting, PQgetvalue(res, 0, 1)));
	policyload_changed(admin_loaded, q);
}

static void
policy_set(struct admin_req *q, char args[][ADMIN_ARG_MAX + 1])
{
	const char	*v[8] = { NULL };
	char		 err[512];

	if (pol_setting_parse(args[0], args[1], &q->setting, q->value,
	    sizeof(q->value), err, sizeof(err)) == -1) {
		admin_fail(q, ADMIN_E_INVALID, "%s", err);
		return;
	}
	v[0] = q->actor;
	v[1 + q->setting] = q->value;	/* $2..$7 in POL_SET_* order */
	v[7] = pol_setting_name(q->setting);
	audit_query(STMT_POLICY_SET, 8, v, policy_was_set, q);
}

/* ---------------------------------------------------------------- rules */

static void
rule_added(const struct db_result *r, void *arg)
{
	struct admin_req	*q = arg;
	const char		*state;
	char			 exists[POL_VALUE_MAX + 64];

	if (r->status != DB_OK) {
		state = r->res != NULL ?
		    PQresultErrorField(r->res, PG_DIAG_SQLSTATE) : NULL;
		/* Every value but the pattern's case was checked here: the
		 * schema folds more letters than ASCII's. */
		if (state != NULL && strcmp(state, "23514") == 0) {
			admin_fail(q, ADMIN_E_INVALID, "the database refused "
			    "the pattern \"%s\": a pattern is in lower case "
			    "(write its letters so)", q->pattern);
			return;
		}
		snprintf(exists, sizeof(exists), "a rule for %s %s exists "
		    "already", pol_scope_name(q->scope), q->pattern);
		admin_db_error(q, r, 1, exists);
		return;
	}
	if (!admin_rows(r, 2) || PQntuples(r->res) != 1) {
		admin_fail(q, ADMIN_E_FAILED, "no rule was added");
		return;
	}
	log_info("policy: %s added rule %s: %s %s %s", q->actor,
	    PQgetvalue(r->res, 0, 0), pol_scope_name(q->scope), q->pattern,
	    q->value);
	admin_print(q, "added rule %s\n", PQgetvalue(r->res, 0, 0));
	policyload_changed(admin_loaded, q);
}

static void
rule_add(struct admin_req *q, char args[][ADMIN_ARG_MAX + 1])
{
	const struct policy_set	*set;
	const char		*v[6];
	char			 err[512], prio[16], missing[16];
	int			 mode, miss, priority = POL_PRIORITY_DEFAULT;

	if (pol_scope_parse(args[0], &q->scope) == -1) {
		admin_fail(q, ADMIN_E_INVALID, "scope \"%s\" is not domain or "
		    "address", args[0]);
		return;
	}
	if (pol_pattern_parse(q->scope, args[1], q->pattern,
	    sizeof(q->pattern), err, sizeof(err)) == -1 ||
	    pol_action_parse(args[2], &mode, &miss, err, sizeof(err)) == -1 ||
	    (args[3][0] != '\0' &&
	    pol_priority_parse(args[3], &priority, err, sizeof(err)) == -1)) {
		admin_fail(q, ADMIN_E_INVALID, "%s", err);
		return;
	}
	if ((set = policyload_current()) != NULL &&
	    set->nrules[0] + set->nrules[1] >= POLICY_MAX_RULES) {
		admin_fail(q, ADMIN_E_INVALID, "there are %d rules already, "
		    "as many as policyd keeps", POLICY_MAX_RULES);
		return;
	}
	pol_action_format(mode, miss, q->value, sizeof(q->value));
	snprintf(prio, sizeof(prio), "%d", priority);
	snprintf(missing, sizeof(missing), "%s", pol_missing_name(miss));
	v[0] = q->actor;
	v[1] = pol_scope_name(q->scope);
	v[2] = q->pattern;
	v[3] = prio;
	v[4] = pol_mode_name(mode);
	v[5] = miss == POL_MISSING_GLOBAL ? NULL : missing;
	audit_query(STMT_RULE_ADD, 6, v, rule_added, q);
}

static void
rule_deleted(const struct db_result *r, void *arg)
{
	struct admin_req	*q = arg;

	if (r->status != DB_OK) {
		admin_db_error(q, r, 1, NULL);
		return;
	}
	if (!admin_rows(r, 4)) {
		admin_fail(q, ADMIN_E_FAILED, "unexpected answer");
		return;
	}
	if (PQntuples(r->res) == 0) {
		admin_fail(q, ADMIN_E_NOTFOUND, "no rule %s", q->value);
		return;
	}
	log_info("policy: %s deleted rule %s: %s %s", q->actor, q->value,
	    PQgetvalue(r->res, 0, 1), PQgetvalue(r->res, 0, 2));
	admin_print(q, "deleted rule %s\n", q->value);
	policyload_changed(admin_loaded, q);
}

static void
rule_del(struct admin_req *q, char args[][ADMIN_ARG_MAX + 1])
{
	const char	*v[2];
	char		 err[512];
	int64_t		 id;

	if (pol_id_parse(args[0], &id, err, sizeof(err)) == -1) {
		admin_fail(q, ADMIN_E_INVALID, "%s", err);
		return;
	}
	snprintf(q->value, sizeof(q->value), "%" PRId64, id);
	v[0] = q->actor;
	v[1] = q->value;
	audit_query(STMT_RULE_DEL, 2, v, rule_deleted, q);
}

static void
rules_listed(const struct db_result *r, void *arg)
{
	struct admin_req	*q = arg;
	const PGresult		*res = r->res;
	char			 action[POL_ACTION_MAX];
	int			 mode, miss;

	if (r->status != DB_OK) {
		admin_db_error(q, r, 0, NULL);
		return;
	}
	if (!admin_rows(r, 6)) {
		admin_fail(q, ADMIN_E_FAILED, "unexpected answer");
		return;
	}
	if (PQntuples(res) > POLICY_MAX_RULES) {
		admin_fail(q, ADMIN_E_FAILED, "more than %d rules in the "
		    "database: more than policyd loads", POLICY_MAX_RULES);
		return;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		miss = POL_MISSING_GLOBAL;
		if (pol_mode_parse(PQgetvalue(res, i, 4), &mode) == -1 ||
		    (!PQgetisnull(res, i, 5) &&
		    pol_missing_parse(PQgetvalue(res, i, 5), &miss) == -1)) {
			admin_fail(q, ADMIN_E_FAILED, "rule %s has an action "
			    "policyd does not know", PQgetvalue(res, i, 0));
			return;
		}
		pol_action_format(mode, miss, action, sizeof(action));
		admin_print(q, "%s\t%s\t%s\t%s\t%s\n", PQgetvalue(res, i, 0),
		    PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
		    PQgetvalue(res, i, 3), action);
	}
	admin_finish(q, ADMIN_E_OK, "");
}

static void
rule_list(struct admin_req *q, char args[][ADMIN_ARG_MAX + 1])
{
	const char	*v[1];
	char		 limit[16];

	(void)args;
	snprintf(limit, sizeof(limit), "%d", POLICY_MAX_RULES + 1);
	v[0] = limit;
	db_query(STMT_RULE_LIST, 1, v, NULL, NULL, rules_listed, q);
}

/* ---------------------------------------------------------------- domains */

static void
domain_added(const struct db_result *r, void *arg)
{
	struct admin_req	*q = arg;
	char			 exists[POL_VALUE_MAX + 64];

	if (r->status != DB_OK) {
		snprintf(exists, sizeof(exists), "%s is an internal domain "
		    "already", q->value);
		admin_db_error(q, r, 1, exists);
		return;
	}
	if (!admin_rows(r, 2) || PQntuples(r->res) != 1) {
		admin_fail(q, ADMIN_E_FAILED, "no domain was added");
		return;
	}
	log_info("policy: %s added internal domain %s", q->actor, q->value);
	admin_print(q, "added domain %s\n", q->value);
	policyload_changed(admin_loaded, q);
}

static void
domain_deleted(const struct db_result *r, void *arg)
{
	struct admin_req	*q = arg;

	if (r->status != DB_OK) {
		admin_db_error(q, r, 1, NULL);
		return;
	}
	if (!admin_rows(r, 2)) {
		admin_fail(q, ADMIN_E_FAILED, "unexpected answer");
		return;
	}
	if (PQntuples(r->res) == 0) {
		admin_fail(q, ADMIN_E_NOTFOUND, "%s is not an internal domain",
		    q->value);
		return;
	}
	log_info("policy: %s deleted internal domain %s", q->actor,
	    q->value);
	admin_print(q, "deleted domain %s\n", q->value);
	policyload_changed(admin_loaded, q);
}

static void
domain_change(struct admin_req *q, char args[][ADMIN_ARG_MAX + 1], int add)
{
	const char	*v[2];
	char		 err[512];

	if (pol_domain_parse(args[0], q->value, sizeof(q->value), err,
	    sizeof(err)) == -1) {
		admin_fail(q, ADMIN_E_INVALID, "%s", err);
		return;
	}
	v[0] = q->actor;
	v[1] = q->value;
	audit_query(add ? STMT_DOMAIN_ADD : STMT_DOMAIN_DEL, 2, v,
	    add ? domain_added : domain_deleted, q);
}

static void
domain_add(struct admin_req *q, char args[][ADMIN_ARG_MAX + 1])
{
	domain_change(q, args, 1);
}

static void
domain_del(struct admin_req *q, char args[][ADMIN_ARG_MAX + 1])
{
	domain_change(q, args, 0);
}

static void
domains_listed(const struct db_result *r, void *arg)
{
	struct admin_req	*q = arg;

	if (r->status != DB_OK) {
		admin_db_error(q, r, 0, NULL);
		return;
	}
	if (!admin_rows(r, 1)) {
		admin_fail(q, ADMIN_E_FAILED, "unexpected answer");
		return;
	}
	if (PQntuples(r->res) > POLICY_MAX_DOMAINS) {
		admin_fail(q, ADMIN_E_FAILED, "more than %d internal domains "
		    "in the database: more than policyd loads",
		    POLICY_MAX_DOMAINS);
		return;
	}
	for (int i = 0; i < PQntuples(r->res); i++)
		admin_print(q, "%s\n", PQgetvalue(r->res, i, 0));
	admin_finish(q, ADMIN_E_OK, "");
}

static void
domain_list(struct admin_req *q, char args[][ADMIN_ARG_MAX + 1])
{
	const char	*v[1];
	char		 limit[16];

	(void)args;
	snprintf(limit, sizeof(limit), "%d", POLICY_MAX_DOMAINS + 1);
	v[0] = limit;
	db_query(STMT_DOMAIN_LIST, 1, v, NULL, NULL, domains_listed, q);
}

/* ---------------------------------------------------------------- request */

/*
 * Each operation: how many arguments it takes (the others must be ""),
 * how many of them must not be empty (the first min), and what carries
 * it out.
 */
static const struct {
	int		 min, max;
	admin_op_fn	 run;
} admin_ops[ADMIN_OP_MAX + 1] = {
	[ADMIN_OP_POLICY_SHOW] = { 0, 0, policy_show },
	[ADMIN_OP_POLICY_SET] = { 2, 2, policy_set },
	[ADMIN_OP_RULE_ADD] = { 3, 4, rule_add },
	[ADMIN_OP_RULE_DEL] = { 1, 1, rule_del },
	[ADMIN_OP_RULE_LIST] = { 0, 0, rule_list },
	[ADMIN_OP_DOMAIN_ADD] = { 1, 1, domain_add },
	[ADMIN_OP_DOMAIN_DEL] = { 1, 1, domain_del },
	[ADMIN_OP_DOMAIN_LIST] = { 0, 0, domain_list },
	/* The name may be "", the role too (user). */
	[ADMIN_OP_USER_ADD] = { 1, 3, users_add },
	[ADMIN_OP_USER_LIST] = { 0, 0, users_list },
	/* The value may be "" (no display name). */
	[ADMIN_OP_USER_SET] = { 2, 3, users_set },
	[ADMIN_OP_USER_PASSWD] = { 2, 2, users_passwd },
	[ADMIN_OP_USER_DEL] = { 1, 1, users_del },
};

void
admin_run(struct admin_req *q, uint32_t op, char args[][ADMIN_ARG_MAX + 1])
{
	int	 n = 0;

	if (op < ADMIN_OP_POLICY_SHOW || op > ADMIN_OP_MAX ||
	    admin_ops[op].run == NULL)
		fatalx("admin_run: operation %u", op);
	q->op = op;
	for (int i = 0; i < ADMIN_NARGS; i++)
		if (args[i][0] != '\0')
			n = i + 1;
	if (n > admin_ops[op].max || n < admin_ops[op].min) {
		admin_fail(q, ADMIN_E_INVALID, "wrong number of arguments");
		return;
	}
	for (int i = 0; i < admin_ops[op].min; i++)
		if (args[i][0] == '\0') {
			admin_fail(q, ADMIN_E_INVALID, "an empty argument");
			return;
		}
	admin_ops[op].run(q, args);
}

void
admin_request(struct child *c, struct imsg *imsg)
{
	struct imsg_reader	 r;
	struct admin_req	*q;
	const char		*s;
	char			 args[ADMIN_NARGS][ADMIN_ARG_MAX + 1];
	uint32_t		 request, uid, op;

	imsg_reader_init(&r, imsg);
	if (imsg_read_u32(&r, &request) == -1 || imsg_read_u32(&r, &uid) == -1 ||
	    imsg_read_u32(&r, &op) == -1)
		fatalx("malformed PARENT_ADMIN");
	for (int i = 0; i < ADMIN_NARGS; i++) {
		if (imsg_read_string(&r, &s, ADMIN_ARG_MAX) == -1)
			fatalx("malformed PARENT_ADMIN");
		memcpy(args[i], s, strlen(s) + 1);
	}
	if (imsg_reader_end(&r) == -1 || op < ADMIN_OP_POLICY_SHOW ||
	    op > ADMIN_OP_MAX || admin_ops[op].run == NULL)
		fatalx("malformed PARENT_ADMIN");

	q = admin_req_new(c, ADMIN_TO_PARENT, request);
	snprintf(q->actor, sizeof(q->actor), "pgpmgctl (uid %u)", uid);
	admin_run(q, op, args);
}
