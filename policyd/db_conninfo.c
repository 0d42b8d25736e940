/*
 * db_conninfo: the admin's libpq conninfo, checked and rewritten for
 * policyd's jail before the jail is entered.
 *
 * policyd's root is PostgreSQL's socket directory, so the host it names
 * becomes "/" and everything else is kept as written.  libpq's defaults
 * that reach outside the jail are settled here instead: the user (libpq
 * would ask getpwuid(), and there is no /etc/passwd in view) defaults to
 * the process's own user, which is also what peer authentication expects;
 * and the password file is named, so that libpq does not look for a home
 * directory.  What cannot work in the jail is refused with a message that
 * says so:
 * TCP (hostaddr, a host that is not a path, several hosts), a service file
 * and a password file (both are files outside the jail).  The result is a
 * keyword/value array, so no conninfo string is ever built and no value
 * needs quoting.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policyd/db.h"

/* Shown in pg_stat_activity unless the admin names one. */
#define DB_APPLICATION_NAME	"pgpmg-policyd"
/*
 * Without a password file named, libpq calls getpwuid() at every attempt
 * to find ~/.pgpass, which in the jail is a refused open of /etc/passwd.
 * We name the file it would have found: the pgpmg users' home is
 * /nonexistent (scripts/ensure-users.sh).  It does not exist in the jail,
 * and policyd's seccomp filter refuses every open anyway.
 */
#define DB_NO_PASSFILE		"/nonexistent/.pgpass"

static int
ci_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int
ci_add(struct db_conninfo *ci, size_t *n, const char *kw, const char *val)
{
	if (*n >= DB_CONNINFO_MAX)
		return -1;
	if ((ci->keywords[*n] = strdup(kw)) == NULL ||
	    (ci->values[*n] = strdup(val)) == NULL)
		return -1;
	(*n)++;
	return 0;
}

/* Keywords whose value would make libpq read a file or reach the
 * network, with what to do instead. */
static const struct {
	const char	*keyword;
	const char	*why;
} ci_refused[] = {
	{ "hostaddr", "a TCP address; policyd reaches PostgreSQL only "
	    "through its unix socket (host=SOCKETDIR)" },
	{ "service", "a service file is outside policyd's jail; write the "
	    "parameters out in the conninfo" },
	{ "passfile", "a password file is outside policyd's jail; use peer "
	    "authentication (or password=)" },
};

int
db_conninfo_prepare(const char *conninfo, const char *default_user,
    struct db_conninfo *ci, char *err, size_t errlen)
{
	PQconninfoOption	*opts, *o;
	char			*perr = NULL;
	size_t			 n = 0;
	int			 have_user = 0, have_app = 0, rc = -1;

	memset(ci, 0, sizeof(*ci));
	if ((opts = PQconninfoParse(conninfo, &perr)) == NULL) {
		ci_err(err, errlen, "database: %s", perr != NULL ?
		    strtok(perr, "\n") : "out of memory parsing the conninfo");
		PQfreemem(perr);
		return -1;
	}
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL)
			continue;
		for (size_t i = 0; i < sizeof(ci_refused) /
		    sizeof(ci_refused[0]); i++)
			if (strcmp(o->keyword, ci_refused[i].keyword) == 0) {
				ci_err(err, errlen, "database: %s: %s",
				    o->keyword, ci_refused[i].why);
				goto out;
			}
		if (strcmp(o->keyword, "host") == 0) {
			if (o->val[0] != '/' || strchr(o->val, ',') != NULL) {
				ci_err(err, errlen, "database: host must be "
				    "the absolute path of one PostgreSQL "
				    "socket directory");
				goto out;
			}
			if (strlen(o->val) >= sizeof(ci->sockdir)) {
				ci_err(err, errlen, "database: host: path "
				    "too long");
				goto out;
			}
			memcpy(ci->sockdir, o->val, strlen(o->val) + 1);
			/* The socket directory is policyd's root. */
			if (ci_add(ci, &n, "host", "/") == -1)
				goto oom;
			continue;
		}
		if (strcmp(o->keyword, "user") == 0)
			have_user = 1;
		if (strcmp(o->keyword, "fallback_application_name") == 0)
			have_app = 1;
		if (ci_add(ci, &n, o->keyword, o->val) == -1)
			goto oom;
	}
	if (ci->sockdir[0] == '\0') {
		ci_err(err, errlen, "database: the conninfo must name "
		    "host=SOCKETDIR, the PostgreSQL socket directory");
		goto out;
	}
	if (!have_user && default_user == NULL) {
		ci_err(err, errlen, "database: the conninfo must name user=; "
		    "there is no user database in policyd's jail");
		goto out;
	}
	if (!have_user && ci_add(ci, &n, "user", default_user) == -1)
		goto oom;
	if (!have_app && ci_add(ci, &n, "fallback_application_name",
	    DB_APPLICATION_NAME) == -1)
		goto oom;
	if (ci_add(ci, &n, "passfile", DB_NO_PASSFILE) == -1)
		goto oom;
	rc = 0;
	goto out;
 oom:
	ci_err(err, errlen, "database: out of memory, or more than %d "
	    "conninfo parameters", DB_CONNINFO_MAX);
 out:
	/* The parse holds a copy of any password too. */
	for (o = opts; o->keyword != NULL; o++)
		if (o->val != NULL)
			explicit_bzero(o->val, strlen(o->val));
	PQconninfoFree(opts);
	if (rc == -1)
		db_conninfo_free(ci);
	return rc;
}

void
db_conninfo_free(struct db_conninfo *ci)
{
	for (size_t i = 0; i < DB_CONNINFO_MAX; i++) {
		free(ci->keywords[i]);
		if (ci->values[i] != NULL) {
			explicit_bzero(ci->values[i], strlen(ci->values[i]));
			free(ci->values[i]);
		}
		ci->keywords[i] = ci->values[i] = NULL;
	}
}
