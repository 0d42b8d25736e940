/*
 * pgpmgctl: what its files share.  pgpmgctl.c talks to pgpmgd over the
 * control socket; the database commands (db.c: db migrate, audit.c:
 * audit verify) connect to PostgreSQL themselves, with libpq, as the role
 * database-admin names (dbconn.c), and never through pgpmgd.
 */
#ifndef PGPMG_PGPMGCTL_H
#define PGPMG_PGPMGCTL_H

#include <stdint.h>

#include <libpq-fe.h>

#include "common/msg.h"

struct imsg;
struct imsgbuf;
struct pgpmg_conf;

/* What keyd accepts: a passphrase; and the longest text of a reply. */
#define KEY_PASS_MAX	1024
#define CTL_TEXT_MAX	(16 * 1024)

/* One request to pgpmgd, prepared before we connect. */
struct ctl_req {
	uint32_t	 op;		/* KEY_OP_* or ADMIN_OP_* */
	const char	*arg;
	char		 pass[KEY_PASS_MAX + 2];
	int		 fd;		/* key data, or -1 */
	/* policy, rule, domain and user commands (policy.c, users.c): ""
	 * when unused */
	const char	*args[ADMIN_NARGS];
	/* Where the reply's output goes: stdout, but stderr for `user
	 * passwd --random`, whose stdout is the password alone. */
	int		 out;
};

/* Exit status; README lists them. */
#define EXIT_USAGE	1	/* usage, a local file, no connection */
#define EXIT_REFUSED	2	/* refused or failed (pgpmgd, keyd, the
				   database, a migration) */
#define EXIT_NOTFOUND	3
#define EXIT_EXISTS	4
#define EXIT_PASSPHRASE	5
#define EXIT_CHAIN	6	/* audit verify: the chain is broken */

/* One command's usage line, then exit 1. */
void	ctl_usage(const char *which) __attribute__((noreturn));
/* "pgpmgctl: " and the message on stderr. */
void	ctl_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
/* The same, then exit with status. */
void	ctl_die_status(int status, const char *, ...)
	    __attribute__((noreturn, format(printf, 2, 3)));

/* pgpmgctl.c: the control socket.  Each dies with a message on failure. */
void	ctl_send(struct imsgbuf *);
void	ctl_read(struct imsgbuf *, struct imsg *);
/* A sealed output memfd to out (stdout, stderr); closes it. */
void	ctl_print_fd(int fd, int out);

/* policy.c: policy, rule and domain commands, through pgpmgd to policyd.
 * The prep_* check the arguments before we connect (exit 1 with a
 * message when one is bad); cmd_admin() sends them, and the user
 * commands too. */
void	prep_policy_show(struct ctl_req *, int, char **);
void	prep_policy_set(struct ctl_req *, int, char **);
void	prep_rule_add(struct ctl_req *, int, char **);
void	prep_rule_del(struct ctl_req *, int, char **);
void	prep_rule_list(struct ctl_req *, int, char **);
void	prep_domain_add(struct ctl_req *, int, char **);
void	prep_domain_del(struct ctl_req *, int, char **);
void	prep_domain_list(struct ctl_req *, int, char **);
int	cmd_admin(struct imsgbuf *, struct ctl_req *);

/* users.c: user commands, likewise; `user passwd` reads and hashes the
 * password here, and sends only the hash. */
void	prep_user_add(struct ctl_req *, int, char **);
void	prep_user_list(struct ctl_req *, int, char **);
void	prep_user_set(struct ctl_req *, int, char **);
void	prep_user_passwd(struct ctl_req *, int, char **);
void	prep_user_del(struct ctl_req *, int, char **);
int	cmd_user_passwd(struct imsgbuf *, struct ctl_req *);
int	cmd_user_add(struct imsgbuf *, struct ctl_req *);

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
