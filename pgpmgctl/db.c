/*
 * db migrate: apply the numbered migrations of sql/ (NNN_name.sql) in
 * order, each in a transaction of its own, and record each in
 * pgpmg.schema_version with the SHA-256 of the file.
 *
 * First every migration the database has recorded is compared with the
 * file of that number: a different name or checksum, or a recorded number
 * without a file, is refused before anything is applied (an applied
 * migration must never change; a change goes into a new file).  Then each
 * missing one runs: BEGIN, an advisory lock (so that two migrators, e.g.
 * two gateways' installs, take turns), a second look at schema_version
 * under that lock, the file's statements, its schema_version row, an
 * audit row (kind schema-migrate) once the audit log exists, COMMIT.  A
 * failing statement rolls the whole file back, and its error names the
 * file and the line.  Running it again changes nothing.
 *
 * The migrations directory is -D DIR, else the build's PGPMG_SQLDIR, else
 * ../sql beside the pgpmgctl executable (the repository's sql/ when run
 * from a build tree, as pgpmgd finds its children beside itself).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <openssl/evp.h>

#include "common/auditchain.h"
#include "common/config.h"
#include "pgpmgctl/pgpmgctl.h"

#define MIG_MAX		999		/* numbers 001 to 999 */
#define MIG_FILE_MAX	((size_t)1 << 20)
#define MIG_TOTAL_MAX	((size_t)32 << 20)
#define MIG_NAME_MAX	64		/* the part between NNN_ and .sql */
/* pg_advisory_xact_lock(1885826407, 2): 'pgmg', migrations */
#define MIG_LOCK_SQL	"SELECT pg_advisory_xact_lock(1885826407, 2)"

struct mig {
	unsigned	 number;
	char		 name[4 + MIG_NAME_MAX + 5];	/* NNN_name.sql */
	char		*text;				/* NUL-terminated */
	size_t		 len;
	char		 sha[2 * 32 + 1];
};

struct migset {
	const char	*dir;
	struct mig	*m;
	size_t		 n;
};

/* NNN_name.sql, name of [a-z0-9_-]; the number, or 0. */
static unsigned
mig_number(const char *name)
{
	size_t	 len = strlen(name), stem;

	if (len < 4 + 1 + 4 || strcmp(name + len - 4, ".sql") != 0)
		return 0;
	stem = len - 4 - 4;
	if (stem > MIG_NAME_MAX || name[3] != '_')
		return 0;
	for (size_t i = 0; i < 3; i++)
		if (name[i] < '0' || name[i] > '9')
			return 0;
	for (size_t i = 4; i < len - 4; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '_' ||
		    name[i] == '-'))
			return 0;
	return (unsigned)((name[0] - '0') * 100 + (name[1] - '0') * 10 +
	    (name[2] - '0'));
}

static int
mig_cmp(const void *a, const void *b)
{
	const struct mig *x = a, *y = b;

	return x->number < y->number ? -1 : x->number > y->number;
}

/* The whole file, bounded, with no NUL in it (libpq takes a C string). */
static int
mig_read(const char *dir, struct mig *m, size_t *total)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	struct stat	 st;
	char		 path[PATH_MAX];
	size_t		 off = 0;
	ssize_t		 n;
	int		 fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, m->name) >=
	    (int)sizeof(path)) {
		ctl_warnx("%s: path too long", dir);
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		ctl_warnx("%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size > MIG_FILE_MAX ||
	    *total + (size_t)st.st_size > MIG_TOTAL_MAX) {
		ctl_warnx("%s: not a regular file of at most %zu bytes", path,
		    MIG_FILE_MAX);
		close(fd);
		return -1;
	}
	if ((m->text = malloc((size_t)st.st_size + 1)) == NULL) {
		ctl_warnx("out of memory");
		close(fd);
		return -1;
	}
	while (off < (size_t)st.st_size) {
		n = read(fd, m->text + off, (size_t)st.st_size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			ctl_warnx("%s: %s", path, n == 0 ? "changed while "
			    "being read" : strerror(errno));
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	close(fd);
	m->text[off] = '\0';
	m->len = off;
	*total += off;
	if (memchr(m->text, '\0', off) != NULL) {
		ctl_warnx("%s: holds a NUL byte", path);
		return -1;
	}
	if (EVP_Digest(m->text, off, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32) {
		ctl_warnx("%s: SHA-256 failed", path);
		return -1;
	}
	audit_hex(md, 32, m->sha);
	return 0;
}

static void
migset_free(struct migset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->m[i].text);
	free(s->m);
	s->m = NULL;
	s->n = 0;
}

/* Every migration of dir, read, sorted, numbered 1..n without a gap. */
static int
migset_load(struct migset *s, const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	struct mig	*m;
	size_t		 cap = 0, total = 0;
	unsigned	 num;

	memset(s, 0, sizeof(*s));
	s->dir = dir;
	if ((d = opendir(dir)) == NULL) {
		ctl_warnx("%s: %s (the migrations directory; -D DIR names "
		    "another)", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.' || len < 4 ||
		    strcmp(de->d_name + len - 4, ".sql") != 0)
			continue;
		if ((num = mig_number(de->d_name)) == 0) {
			ctl_warnx("%s/%s: a migration is named NNN_name.sql "
			    "(001 to 999, name of a-z 0-9 _ -, at most %d)",
			    dir, de->d_name, MIG_NAME_MAX);
			goto fail;
		}
		if (s->n == MIG_MAX) {
			ctl_warnx("%s: more than %d migrations", dir, MIG_MAX);
			goto fail;
		}
		if (s->n == cap) {
			cap = cap ? 2 * cap : 16;
			if ((m = reallocarray(s->m, cap, sizeof(*m))) == NULL) {
				ctl_warnx("out of memory");
				goto fail;
			}
			s->m = m;
		}
		m = &s->m[s->n++];
		memset(m, 0, sizeof(*m));
		m->number = num;
		snprintf(m->name, sizeof(m->name), "%s", de->d_name);
	}
	closedir(d);
	d = NULL;
	if (s->n == 0) {
		ctl_warnx("%s: no migrations (NNN_name.sql) there", dir);
		goto fail;
	}
	qsort(s->m, s->n, sizeof(*s->m), mig_cmp);
	for (size_t i = 0; i < s->n; i++) {
		if (i > 0 && s->m[i].number == s->m[i - 1].number) {
			ctl_warnx("%s: two migrations numbered %03u: %s and %s",
			    dir, s->m[i].number, s->m[i - 1].name,
			    s->m[i].name);
			goto fail;
		}
		if (s->m[i].number != i + 1) {
			ctl_warnx("%s: migration %03zu is missing (the next is "
			    "%s)", dir, i + 1, s->m[i].name);
			goto fail;
		}
		if (mig_read(dir, &s->m[i], &total) == -1)
			goto fail;
	}
	return 0;

 fail:
	if (d != NULL)
		closedir(d);
	migset_free(s);
	return -1;
}

/* ../sql beside our executable, unless the build says where. */
static int
default_sql_dir(char *buf, size_t len)
{
#ifdef PGPMG_SQLDIR
	return snprintf(buf, len, "%s", PGPMG_SQLDIR) < (int)len ? 0 : -1;
#else
	char	 self[PATH_MAX];
	ssize_t	 n;

	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) == -1)
		return -1;
	self[n] = '\0';
	return snprintf(buf, len, "%s/../sql", dirname(self)) < (int)len ?
	    0 : -1;
#endif
}

static PGresult *
exec_ok(PGconn *conn, const char *sql, int nparams, const char *const *p,
    const char *what)
{
	PGresult	*res;

	res = PQexecParams(conn, sql, nparams, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK) {
		ctl_db_error(what, res);
		PQclear(res);
		return NULL;
	}
	return res;
}

/* True when the relation exists; -1 on error. */
static int
has_table(PGconn *conn, const char *name)
{
	const char	*p[1] = { name };
	PGresult	*res;
	int		 rc;

	if ((res = exec_ok(conn, "SELECT to_regclass($1) IS NOT NULL", 1, p,
	    "looking for the schema")) == NULL)
		return -1;
	rc = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return rc;
}

/*
 * Every recorded migration must be the file of that number, unchanged.
 * *applied is the highest number recorded.  Returns -1 after saying what
 * differs (all of it).
 */
static int
check_recorded(PGconn *conn, const struct migset *s, unsigned *applied)
{
	PGresult	*res;
	int		 bad = 0, t;

	*applied = 0;
	if ((t = has_table(conn, "pgpmg.schema_version")) != 1)
		return t;
	if ((res = exec_ok(conn, "SELECT number, name, sha256, "
	    "to_char(applied_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD HH24:MI:SS \"UTC\"') FROM pgpmg.schema_version "
	    "ORDER BY number", 0, NULL, "reading pgpmg.schema_version")) ==
	    NULL)
		return -1;
	for (int i = 0; i < PQntuples(res); i++) {
		unsigned long	 num = strtoul(PQgetvalue(res, i, 0), NULL, 10);
		const char	*name = PQgetvalue(res, i, 1);
		const char	*sha = PQgetvalue(res, i, 2);
		const char	*when = PQgetvalue(res, i, 3);

		if (num == 0 || num > s->n) {
			ctl_warnx("the database has migration %03lu (%s, "
			    "applied %s), which %s does not have: is this "
			    "pgpmgctl older than the database?", num, name,
			    when, s->dir);
			bad = 1;
			continue;
		}
		if (num > *applied)
			*applied = (unsigned)num;
		const struct mig *m = &s->m[num - 1];
		if (strcmp(m->name, name) != 0) {
			ctl_warnx("migration %03lu is %s in the database but "
			    "%s in %s", num, name, m->name, s->dir);
			bad = 1;
		} else if (strcmp(m->sha, sha) != 0) {
			ctl_warnx("%s/%s changed since it was applied on %s "
			    "(sha256 recorded %s, file %s): an applied "
			    "migration must never change; put the change in "
			    "a new migration", s->dir, m->name, when, sha,
			    m->sha);
			bad = 1;
		}
	}
	if (!bad && (unsigned)PQntuples(res) != *applied) {
		ctl_warnx("pgpmg.schema_version records %d migrations, up to "
		    "%03u: some are missing", PQntuples(res), *applied);
		bad = 1;
	}
	PQclear(res);
	return bad ? -1 : 0;
}

/* 1-based character position in text to a line number. */
static unsigned
pos_line(const char *text, size_t len, unsigned long pos)
{
	unsigned	 line = 1;
	unsigned long	 chars = 0;

	for (size_t i = 0; i < len && chars + 1 < pos; i++) {
		/* Count UTF-8 lead bytes: the server counts characters. */
		if (((unsigned char)text[i] & 0xc0) != 0x80)
			chars++;
		if (text[i] == '\n')
			line++;
	}
	return line;
}

static void
rollback(PGconn *conn)
{
	PQclear(PQexec(conn, "ROLLBACK"));
}

/* Run one migration in its own transaction. 1 applied, 0 was there. */
static int
apply_one(PGconn *conn, const struct migset *s, const struct mig *m,
    const char *actor)
{
	PGresult	*res;
	const char	*p[4];
	char		 num[16], where[4200];
	const char	*pos;
	int		 t;

	snprintf(num, sizeof(num), "%u", m->number);
	if ((res = exec_ok(conn, "BEGIN", 0, NULL, "BEGIN")) == NULL)
		return -1;
	PQclear(res);
	if ((res = exec_ok(conn, MIG_LOCK_SQL, 0, NULL, "locking")) == NULL)
		goto fail;
	PQclear(res);
	/* Someone may have applied it while we waited for the lock. */
	if ((t = has_table(conn, "pgpmg.schema_version")) == -1)
		goto fail;
	if (t == 1) {
		p[0] = num;
		if ((res = exec_ok(conn, "SELECT sha256 FROM "
		    "pgpmg.schema_version WHERE number = $1", 1, p,
		    "reading pgpmg.schema_version")) == NULL)
			goto fail;
		if (PQntuples(res) == 1) {
			t = strcmp(PQgetvalue(res, 0, 0), m->sha) == 0;
			PQclear(res);
			rollback(conn);
			if (t)
				return 0;
			ctl_warnx("%s/%s was applied meanwhile with another "
			    "checksum", s->dir, m->name);
			return -1;
		}
		PQclear(res);
	}

	res = PQexec(conn, m->text);
	if (PQresultStatus(res) == PGRES_FATAL_ERROR ||
	    PQresultStatus(res) == PGRES_NONFATAL_ERROR ||
	    PQresultStatus(res) == PGRES_BAD_RESPONSE || res == NULL) {
		pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
		if (pos != NULL)
			snprintf(where, sizeof(where), "%.4000s/%s:%u", s->dir,
			    m->name, pos_line(m->text, m->len,
			    strtoul(pos, NULL, 10)));
		else
			snprintf(where, sizeof(where), "%.4000s/%s", s->dir,
			    m->name);
		ctl_db_error(where, res);
		fprintf(stderr, "  %s was rolled back; nothing of it was "
		    "applied\n", m->name);
		PQclear(res);
		goto fail;
	}
	PQclear(res);
	if (PQtransactionStatus(conn) != PQTRANS_INTRANS) {
		ctl_warnx("%s/%s ended the transaction itself (COMMIT, "
		    "ROLLBACK): a migration must not; the database may hold "
		    "part of it, unrecorded", s->dir, m->name);
		goto fail;
	}
	if ((t = has_table(conn, "pgpmg.schema_version")) != 1) {
		if (t == 0)
			ctl_warnx("%s/%s: pgpmg.schema_version does not exist "
			    "after it (001 must create it)", s->dir, m->name);
		goto fail;
	}
	p[0] = num;
	p[1] = m->name;
	p[2] = m->sha;
	if ((res = exec_ok(conn, "INSERT INTO pgpmg.schema_version "
	    "(number, name, sha256) VALUES ($1, $2, $3)", 3, p,
	    "recording the migration")) == NULL)
		goto fail;
	PQclear(res);
	if ((t = has_table(conn, "pgpmg.audit_log")) == -1)
		goto fail;
	if (t == 1) {
		p[0] = actor;
		p[1] = m->name;
		p[2] = num;
		p[3] = m->sha;
		if ((res = exec_ok(conn, "INSERT INTO pgpmg.audit_log "
		    "(actor, kind, subject, details) VALUES ($1, "
		    "'schema-migrate', $2, json_build_object('number', "
		    "$3::integer, 'sha256', $4::text)::text)", 4, p,
		    "auditing the migration")) == NULL)
			goto fail;
		PQclear(res);
	}
	if ((res = exec_ok(conn, "COMMIT", 0, NULL, "COMMIT")) == NULL)
		goto fail;
	PQclear(res);
	return 1;

 fail:
	if (PQtransactionStatus(conn) != PQTRANS_IDLE)
		rollback(conn);
	return -1;
}

int
ctl_db_migrate(const struct pgpmg_conf *conf, int argc, char **argv)
{
	struct migset	 s;
	struct passwd	*pw;
	PGconn		*conn;
	const char	*conninfo = conf->database_admin, *dir = NULL;
	char		 defdir[PATH_MAX], actor[300];
	unsigned	 applied;
	int		 rc, n = 0;

	if (ctl_db_options(argc, argv, &conninfo, &dir) == -1) {
		fprintf(stderr, "usage: pgpmgctl [-f file] db migrate "
		    "[-D dir] [-c conninfo]\n");
		return EXIT_USAGE;
	}
	if (dir == NULL) {
		if (default_sql_dir(defdir, sizeof(defdir)) == -1) {
			ctl_warnx("cannot tell where the migrations are: "
			    "give -D DIR");
			return EXIT_USAGE;
		}
		dir = defdir;
	}
	if (migset_load(&s, dir) == -1)
		return EXIT_USAGE;
	pw = getpwuid(getuid());
	snprintf(actor, sizeof(actor), "pgpmgctl:%s", pw != NULL ?
	    pw->pw_name : "?");

	if ((conn = ctl_db_connect(conninfo)) == NULL) {
		migset_free(&s);
		return EXIT_USAGE;
	}
	if (check_recorded(conn, &s, &applied) == -1) {
		rc = EXIT_REFUSED;
		goto out;
	}
	rc = 0;
	for (size_t i = applied; i < s.n; i++) {
		int r = apply_one(conn, &s, &s.m[i], actor);
		if (r == -1) {
			rc = EXIT_REFUSED;
			break;
		}
		if (r == 1) {
			printf("applied %s\n", s.m[i].name);
			n++;
		}
	}
	if (rc == 0) {
		if (n == 0)
			printf("database schema at version %zu: up to date\n",
			    s.n);
		else
			printf("database schema at version %zu (%d applied)\n",
			    s.n, n);
	}
 out:
	PQfinish(conn);
	migset_free(&s);
	return rc;
}
