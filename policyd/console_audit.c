/*
 * console_audit: what the console reads of the statistics, the audit log
 * and the notices, each one prepared statement (statements.c) with its
 * values as parameters, never SQL built from strings, and each bounded:
 *
 *   STATS        the last HOURS hours (1 to 168, "" 24) of pgpmg.stats_
 *                hourly, which results.c fills from cryptod's reports,
 *                both directions added up: for every hour that had
 *                messages one line per outcome, "HOUR-START-UNIX\tOUTCOME\t
 *                COUNT", the outcomes messages (all), encrypted, signed,
 *                decrypted, sig-good, sig-bad and failed (decryption
 *                failures and refusals), oldest hour first;
 *   FAILURES     the last 50 messages that failed or were refused and
 *                failed logins (audit rows decrypt-failed, refused, held,
 *                login-failed, lockout), newest first: "TIME\tKIND\tACTOR\t
 *                SUBJECT\tDETAIL", the detail in words;
 *   AUDIT_LIST   at most 100 rows, newest first, filtered by PROCESS
 *                (console, pgpmgctl, cryptod, policyd, other: who wrote
 *                it, from the actor), KIND (exactly), ACTOR (any part of
 *                it, verbatim: no pattern characters), SINCE and UNTIL
 *                (ISO 8601; without a zone, UTC) and BEFORE-ID (the next
 *                page): "ID\tTIME\tPROCESS\tACTOR\tKIND\tSUBJECT\tDETAIL",
 *                the detail the row's JSON as stored;
 *   NOTICE_LIST  the last 200 notices, to anybody: "ID\tTIME\tKIND\t
 *                ADDRESS\tTEXT", the text the notice's subject.
 *
 * Times are ISO 8601 in UTC to the second; control characters in a field
 * are written \xNN (console_op_row()), so no field breaks a line.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/msg.h"
#include "common/policydef.h"
#include "policyd/admin_internal.h"
#include "policyd/audit.h"
#include "policyd/console_op.h"
#include "policyd/db.h"
#include "policyd/statements.h"

/* The statistics a chart shows at most: a week of hours. */
#define STATS_HOURS_MAX		168
#define STATS_HOURS_DEFAULT	24
#define FAILURES_MAX		50
#define AUDIT_LIST_MAX		100
#define NOTICE_LIST_MAX		200
/* A kind, as the audit table's CHECK names them: short words. */
#define AUDIT_KIND_MAX		64
/* A time: "YYYY-MM-DDTHH:MM:SS.ffffff+HH:MM". */
#define TIME_MAX		32

/* STATS' outcomes, in the statement's column order after the hour. */
static const char *const stats_outcomes[] = {
	"messages", "encrypted", "signed", "decrypted", "sig-good", "sig-bad",
	"failed",
};
#define STATS_NOUTCOMES	(int)(sizeof(stats_outcomes) / \
			    sizeof(stats_outcomes[0]))

/* Every row of ncols columns as an output line. */
static void
rows_listed(struct admin_req *q, const struct db_result *r, int ncols)
{
	const char	*f[8];

	if (r->status != DB_OK) {
		admin_db_error(q, r, 0, NULL);
		return;
	}
	if (!admin_rows(r, ncols) || ncols > 8) {
		admin_fail(q, ADMIN_E_FAILED, "unexpected answer");
		return;
	}
	for (int i = 0; i < PQntuples(r->res); i++) {
		for (int k = 0; k < ncols; k++)
			f[k] = PQgetvalue(r->res, i, k);
		console_op_row(q, ncols, f);
	}
	admin_finish(q, ADMIN_E_OK, "");
}

/* A whole number from lo to hi, digits only; -1 otherwise. */
static long long
number(const char *s, long long lo, long long hi)
{
	long long	 v = 0;
	size_t		 n = strlen(s);

	if (n == 0 || n > 18 || strspn(s, "0123456789") != n)
		return -1;
	v = strtoll(s, NULL, 10);
	return v < lo || v > hi ? -1 : v;
}

/* ---------------------------------------------------------------- stats */

static void
stats_listed(const struct db_result *r, void *arg)
{
	struct admin_req	*q = arg;
	const char		*f[3];

	if (r->status != DB_OK) {
		admin_db_error(q, r, 0, NULL);
		return;
	}
	if (!admin_rows(r, 1 + STATS_NOUTCOMES) ||
	    PQntuples(r->res) > STATS_HOURS_MAX + 1) {
		admin_fail(q, ADMIN_E_FAILED, "unexpected answer");
		return;
	}
	for (int i = 0; i < PQntuples(r->res); i++)
		for (int k = 0; k < STATS_NOUTCOMES; k++) {
			f[0] = PQgetvalue(r->res, i, 0);
			f[1] = stats_outcomes[k];
			f[2] = PQgetvalue(r->res, i, 1 + k);
			console_op_row(q, 3, f);
		}
	admin_finish(q, ADMIN_E_OK, "");
}

void
console_stats(struct admin_req *q)
{
	const char	*v[1];
	char		 hours[16];
	long long	 h = STATS_HOURS_DEFAULT;

	if (q->cop->args[0][0] != '\0' &&
	    (h = number(q->cop->args[0], 1, STATS_HOURS_MAX)) == -1) {
		console_op_fail(q, CONSOLE_E_INVALID, "hours: a number from 1 "
		    "to %d", STATS_HOURS_MAX);
		return;
	}
	snprintf(hours, sizeof(hours), "%lld", h);
	v[0] = hours;
	db_query(STMT_STATS_HOURS, 1, v, NULL, NULL, stats_listed, q);
}

/* ---------------------------------------------------------------- failures */

static void
failures_listed(const struct db_result *r, void *arg)
{
	rows_listed(arg, r, 5);
}

void
console_failures(struct admin_req *q)
{
	const char	*v[1];
	char		 limit[16];

	snprintf(limit, sizeof(limit), "%d", FAILURES_MAX);
	v[0] = limit;
	db_query(STMT_FAILURES, 1, v, NULL, NULL, failures_listed, q);
}

/* ---------------------------------------------------------------- audit */

/* Who wrote a row, as the statement's AUDIT_PROCESS names it. */
static const char *const audit_processes[] = {
	"console", "pgpmgctl", "cryptod", "policyd", "other",
};

/*
 * An ISO 8601 time, YYYY-MM-DD, then optionally T (or a space) HH:MM,
 * :SS and .fraction (1 to 6 digits), then optionally Z or +HH:MM /
 * -HH:MM, into out as the server takes it: the missing time is 00:00:00,
 * the missing zone UTC.  Whether the date exists is the server's to say
 * (INVALID too).  -1 when it is not of this form.
 */
static int
iso_time(const char *s, char *out, size_t outlen)
{
	static const char	 form[] = "dddd-dd-dd";
	size_t			 n = strlen(s), i;
	const char		*p;

	if (n < sizeof(form) - 1 || n >= TIME_MAX)
		return -1;
	for (i = 0; i < sizeof(form) - 1; i++)
		if (form[i] == 'd' ? !isdigit((unsigned char)s[i]) :
		    s[i] != form[i])
			return -1;
	p = s + i;
	if (*p == 'T' || *p == ' ') {
		if (!isdigit((unsigned char)p[1]) ||
		    !isdigit((unsigned char)p[2]) || p[3] != ':' ||
		    !isdigit((unsigned char)p[4]) ||
		    !isdigit((unsigned char)p[5]))
			return -1;
		p += 6;
		if (*p == ':') {
			if (!isdigit((unsigned char)p[1]) ||
			    !isdigit((unsigned char)p[2]))
				return -1;
			p += 3;
			if (*p == '.') {
				for (i = 1; isdigit((unsigned char)p[i]); i++)
					;
				if (i == 1 || i > 7)
					return -1;
				p += i;
			}
		}
	}
	if (*p == 'Z' && p[1] == '\0')
		;
	else if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) &&
	    isdigit((unsigned char)p[2]) && p[3] == ':' &&
	    isdigit((unsigned char)p[4]) && isdigit((unsigned char)p[5]) &&
	    p[6] == '\0')
		;
	else if (*p != '\0')
		return -1;
	snprintf(out, outlen, "%.*s%s%s", (int)(p - s), s,
	    p - s == sizeof(form) - 1 ? "T00:00:00" : "", *p == '\0' ? "Z" :
	    p);
	return 0;
}

static void
audit_listed(const struct db_result *r, void *arg)
{
	rows_listed(arg, r, 7);
}

void
console_audit_list(struct admin_req *q)
{
	char		(*a)[CONSOLE_ARG_MAX + 1] = q->cop->args;
	const char	*v[7];
	char		 since[TIME_MAX + 16], until[TIME_MAX + 16], limit[16];
	size_t		 i;

	for (i = 0; i < sizeof(audit_processes) / sizeof(audit_processes[0]);
	    i++)
		if (strcmp(a[0], audit_processes[i]) == 0)
			break;
	if (a[0][0] != '\0' &&
	    i == sizeof(audit_processes) / sizeof(audit_processes[0])) {
		console_op_fail(q, CONSOLE_E_INVALID, "process: one of "
		    "console, pgpmgctl, cryptod, policyd, other");
		return;
	}
	/* Any text may be looked for; the server takes only UTF-8. */
	if (strlen(a[1]) > AUDIT_KIND_MAX || !pol_utf8_valid(a[1]) ||
	    strlen(a[2]) > AUDIT_ACTOR_MAX || !pol_utf8_valid(a[2])) {
		console_op_fail(q, CONSOLE_E_INVALID, "kind or actor: at most "
		    "%d and %d bytes of UTF-8", AUDIT_KIND_MAX,
		    AUDIT_ACTOR_MAX);
		return;
	}
	if ((a[3][0] != '\0' && iso_time(a[3], since, sizeof(since)) == -1) ||
	    (a[4][0] != '\0' && iso_time(a[4], until, sizeof(until)) == -1)) {
		console_op_fail(q, CONSOLE_E_INVALID, "since, until: a time "
		    "as YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS], UTC unless it "
		    "says Z or +HH:MM");
		return;
	}
	if (a[5][0] != '\0' && number(a[5], 1, INT64_MAX / 2) == -1) {
		console_op_fail(q, CONSOLE_E_INVALID, "before: a row's id");
		return;
	}
	snprintf(limit, sizeof(limit), "%d", AUDIT_LIST_MAX);
	v[0] = a[0][0] != '\0' ? a[0] : NULL;
	v[1] = a[1][0] != '\0' ? a[1] : NULL;
	v[2] = a[2][0] != '\0' ? a[2] : NULL;
	v[3] = a[3][0] != '\0' ? since : NULL;
	v[4] = a[4][0] != '\0' ? until : NULL;
	v[5] = a[5][0] != '\0' ? a[5] : NULL;
	v[6] = limit;
	db_query(STMT_AUDIT_LIST, 7, v, NULL, NULL, audit_listed, q);
}

/* ---------------------------------------------------------------- notices */

static void
notices_listed(const struct db_result *r, void *arg)
{
	rows_listed(arg, r, 5);
}

void
console_notice_list(struct admin_req *q)
{
	const char	*v[1];
	char		 limit[16];

	snprintf(limit, sizeof(limit), "%d", NOTICE_LIST_MAX);
	v[0] = limit;
	db_query(STMT_NOTICE_LIST, 1, v, NULL, NULL, notices_listed, q);
}
