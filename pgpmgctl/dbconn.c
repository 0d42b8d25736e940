/*
 * dbconn: pgpmgctl's connection to PostgreSQL for the database commands.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "pgpmgctl/pgpmgctl.h"

/* Messages from the server are cut here: they are for a terminal. */
#define DB_MSG_MAX	2000

void
ctl_warnx(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "pgpmgctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A server's text without its final newline, and bounded. */
static int
trimlen(const char *s)
{
	size_t	 n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
		n--;
	return (int)(n > DB_MSG_MAX ? DB_MSG_MAX : n);
}

/* WARNINGs reach the terminal; NOTICEs (IF NOT EXISTS and the like) not. */
static void
ctl_db_notice(void *arg, const PGresult *res)
{
	const char	*sev, *msg;

	(void)arg;
	sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	if (sev == NULL || msg == NULL || strcmp(sev, "WARNING") != 0)
		return;
	fprintf(stderr, "pgpmgctl: database warning: %.*s\n", trimlen(msg),
	    msg);
}

void
ctl_db_error(const char *what, const PGresult *res)
{
	const char	*msg, *detail, *hint;

	msg = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) :
	    NULL;
	if (msg == NULL) {
		msg = res != NULL ? PQresultErrorMessage(res) : "";
		if (msg[0] == '\0')
			msg = "unknown error";
	}
	ctl_warnx("%s: %.*s", what, trimlen(msg), msg);
	if (res == NULL)
		return;
	if ((detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL)) != NULL)
		fprintf(stderr, "  detail: %.*s\n", trimlen(detail), detail);
	if ((hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT)) != NULL)
		fprintf(stderr, "  hint: %.*s\n", trimlen(hint), hint);
}

PGconn *
ctl_db_connect(const char *conninfo)
{
	const char *const	 kw[] = { "dbname", "application_name",
				    "client_encoding", NULL };
	const char		*val[] = { conninfo, "pgpmgctl", "UTF8", NULL };
	PQconninfoOption	*opts, *o;
	PGconn			*conn;
	const char		*msg;
	char			*err = NULL;
	int			 pw = 0;

	if ((opts = PQconninfoParse(conninfo, &err)) == NULL) {
		ctl_warnx("database-admin \"%s\": %.*s", conninfo,
		    err ? trimlen(err) : 7, err ? err : "invalid");
		PQfreemem(err);
		return NULL;
	}
	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val != NULL &&
		    o->val[0] != '\0')
			pw = 1;
	PQconninfoFree(opts);
	if (pw) {
		ctl_warnx("the connection string holds a password: pgpmg.conf "
		    "is sent to every process; use peer authentication or a "
		    "passfile (libpq's passfile=, or ~/.pgpass of root)");
		return NULL;
	}

	conn = PQconnectdbParams(kw, val, 1);
	if (conn == NULL) {
		ctl_warnx("out of memory");
		return NULL;
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		msg = PQerrorMessage(conn);
		ctl_warnx("cannot connect to the database (\"%s\"): %.*s",
		    conninfo, trimlen(msg), msg);
		if (strstr(msg, "Peer authentication failed") != NULL)
			fprintf(stderr, "  hint: the OS user may not log in as "
			    "that role; scripts/pg.sh maps root to postgres "
			    "(docs/DESIGN-NOTES.md, \"policyd and the "
			    "database\")\n");
		PQfinish(conn);
		return NULL;
	}
	if (PQserverVersion(conn) < 150000) {
		ctl_warnx("PostgreSQL %d.%d is too old: 15 or later needed",
		    PQserverVersion(conn) / 10000,
		    PQserverVersion(conn) % 10000);
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeReceiver(conn, ctl_db_notice, NULL);
	return conn;
}

int
ctl_db_options(int argc, char **argv, const char **conninfo,
    const char **dir)
{
	for (int i = 0; i < argc; i++) {
		if (i + 1 >= argc)
			return -1;
		if (strcmp(argv[i], "-c") == 0 && argv[i + 1][0] != '\0')
			*conninfo = argv[++i];
		else if (dir != NULL && strcmp(argv[i], "-D") == 0 &&
		    argv[i + 1][0] != '\0')
			*dir = argv[++i];
		else
			return -1;
	}
	return 0;
}
