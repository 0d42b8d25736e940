/*
 * pgpmgctl: what its files share.  pgpmgctl.c talks to pgpmgd over the
 * control socket; the database commands (db.c: db migrate, audit.c:
 * audit verify) connect to PostgreSQL themselves, with libpq, as the role
 * database-admin names (dbconn.c), and never through pgpmgd.
 */
#ifndef PGPMG_PGPMGCTL_H
#define PGPMG_PGPMGCTL_H

#include <libpq-fe.h>

struct pgpmg_conf;

/* Exit status; README lists them. */
#define EXIT_USAGE	1	/* usage, a local file, no connection */
#define EXIT_REFUSED	2	/* refused or failed (pgpmgd, keyd, the
				   database, a migration) */
#define EXIT_NOTFOUND	3
#define EXIT_EXISTS	4
#define EXIT_PASSPHRASE	5
#define EXIT_CHAIN	6	/* audit verify: the chain is broken */

/* "pgpmgctl: " and the message on stderr. */
void	ctl_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));

/*
 * Connect with conninfo (client encoding UTF8, application_name
 * pgpmgctl), refusing a conninfo that holds a password (pgpmg.conf goes
 * to every process: use peer authentication or a passfile).  NULL after
 * saying why.
 */
PGconn	*ctl_db_connect(const char *conninfo);
/* A failed result's message, DETAIL and HINT, prefixed with what. */
void	ctl_db_error(const char *what, const PGresult *);

/*
 * The options of a database command: -c CONNINFO (both), -D DIR (db
 * migrate, when dir is not NULL).  Returns -1 on a usage error.
 */
int	ctl_db_options(int argc, char **argv, const char **conninfo,
	    const char **dir);

int	ctl_db_migrate(const struct pgpmg_conf *, int argc, char **argv);
int	ctl_audit_verify(const struct pgpmg_conf *, int argc, char **argv);

#endif /* PGPMG_PGPMGCTL_H */
