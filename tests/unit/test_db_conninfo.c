/*
 * Tests for policyd/db_conninfo.c: the admin's conninfo made fit for
 * policyd's jail.  The host becomes "/" and its path the chroot; the user,
 * the password file and the application name get their defaults only when
 * the admin gave none; what cannot work in the jail is refused with a
 * message naming the keyword.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "policyd/db_conninfo.c"

#define ERRLEN	512

static char	errbuf[ERRLEN];

static const char *
ci_get(const struct db_conninfo *ci, const char *kw)
{
	for (size_t i = 0; ci->keywords[i] != NULL; i++)
		if (strcmp(ci->keywords[i], kw) == 0)
			return ci->values[i];
	return NULL;
}

static size_t
ci_count(const struct db_conninfo *ci, const char *kw)
{
	size_t	 n = 0;

	for (size_t i = 0; ci->keywords[i] != NULL; i++)
		n += strcmp(ci->keywords[i], kw) == 0;
	return n;
}

static void
expect_refused(const char *conninfo, const char *msg)
{
	struct db_conninfo	 ci;

	errbuf[0] = '\0';
	cr_assert_eq(db_conninfo_prepare(conninfo, "_pgpmg_policyd", &ci,
	    errbuf, sizeof(errbuf)), -1, "accepted: %s", conninfo);
	cr_expect(strstr(errbuf, msg) != NULL, "for %s: got \"%s\", "
	    "wanted \"%s\"", conninfo, errbuf, msg);
	/* A refusal leaves nothing allocated. */
	cr_expect_null(ci.keywords[0]);
}

Test(db_conninfo, host_becomes_root_of_the_jail)
{
	struct db_conninfo	 ci;

	cr_assert_eq(db_conninfo_prepare("host=/var/run/postgresql "
	    "dbname=pgpmg port=5433", "_pgpmg_policyd", &ci, errbuf,
	    sizeof(errbuf)), 0, "%s", errbuf);
	cr_expect_str_eq(ci.sockdir, "/var/run/postgresql");
	cr_expect_str_eq(ci_get(&ci, "host"), "/");
	cr_expect_eq(ci_count(&ci, "host"), 1);
	/* everything else as written */
	cr_expect_str_eq(ci_get(&ci, "dbname"), "pgpmg");
	cr_expect_str_eq(ci_get(&ci, "port"), "5433");
	/* the defaults */
	cr_expect_str_eq(ci_get(&ci, "user"), "_pgpmg_policyd");
	cr_expect_str_eq(ci_get(&ci, "passfile"), "/nonexistent/.pgpass");
	cr_expect_str_eq(ci_get(&ci, "fallback_application_name"),
	    "pgpmg-policyd");
	db_conninfo_free(&ci);
	cr_expect_null(ci.keywords[0]);
}

Test(db_conninfo, admin_values_win)
{
	struct db_conninfo	 ci;

	cr_assert_eq(db_conninfo_prepare("host=/s user=other "
	    "fallback_application_name=mine password='a b\\'c' "
	    "options='-c search_path=pgpmg'", "_pgpmg_policyd", &ci, errbuf,
	    sizeof(errbuf)), 0, "%s", errbuf);
	cr_expect_str_eq(ci_get(&ci, "user"), "other");
	cr_expect_eq(ci_count(&ci, "user"), 1);
	cr_expect_str_eq(ci_get(&ci, "fallback_application_name"), "mine");
	cr_expect_eq(ci_count(&ci, "fallback_application_name"), 1);
	/* values are unquoted once, never re-quoted: arrays, not a string */
	cr_expect_str_eq(ci_get(&ci, "password"), "a b'c");
	cr_expect_str_eq(ci_get(&ci, "options"), "-c search_path=pgpmg");
	db_conninfo_free(&ci);
}

Test(db_conninfo, uri_form)
{
	struct db_conninfo	 ci;

	cr_assert_eq(db_conninfo_prepare("postgresql:///pgpmg?host=%2Frun%2F"
	    "pg", "u", &ci, errbuf, sizeof(errbuf)), 0, "%s", errbuf);
	cr_expect_str_eq(ci.sockdir, "/run/pg");
	cr_expect_str_eq(ci_get(&ci, "dbname"), "pgpmg");
	cr_expect_str_eq(ci_get(&ci, "host"), "/");
	db_conninfo_free(&ci);
}

Test(db_conninfo, refusals)
{
	expect_refused("dbname=pgpmg", "must name host=SOCKETDIR");
	expect_refused("host=db.example.org dbname=pgpmg",
	    "host must be the absolute path");
	expect_refused("host=/a,/b", "host must be the absolute path");
	expect_refused("host=relative/dir", "host must be the absolute path");
	expect_refused("host=/s hostaddr=127.0.0.1", "hostaddr: a TCP address");
	expect_refused("host=/s service=pgpmg", "service: a service file");
	expect_refused("host=/s passfile=/root/.pgpass",
	    "passfile: a password file");
	expect_refused("host=/s bogus=1", "database: invalid connection "
	    "option \"bogus\"");
	expect_refused("host='/s", "database: unterminated quoted string");
}

Test(db_conninfo, no_user_and_no_default)
{
	struct db_conninfo	 ci;

	cr_assert_eq(db_conninfo_prepare("host=/s", NULL, &ci, errbuf,
	    sizeof(errbuf)), -1);
	cr_expect(strstr(errbuf, "must name user=") != NULL, "%s", errbuf);
	cr_assert_eq(db_conninfo_prepare("host=/s user=x", NULL, &ci, errbuf,
	    sizeof(errbuf)), 0, "%s", errbuf);
	db_conninfo_free(&ci);
}

Test(db_conninfo, host_path_bound)
{
	struct db_conninfo	 ci;
	char			 long_host[PATH_MAX + 32];
	char			 conninfo[PATH_MAX + 64];

	memset(long_host, 'a', sizeof(long_host) - 1);
	long_host[0] = '/';
	long_host[sizeof(long_host) - 1] = '\0';
	snprintf(conninfo, sizeof(conninfo), "host=%s", long_host);
	cr_assert_eq(db_conninfo_prepare(conninfo, "u", &ci, errbuf,
	    sizeof(errbuf)), -1);
	cr_expect(strstr(errbuf, "too long") != NULL, "%s", errbuf);
}
