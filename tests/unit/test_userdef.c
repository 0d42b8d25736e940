/*
 * Tests for common/userdef.c: what the user commands take and refuse,
 * the same for pgpmgctl and policyd: addresses (kept as given, one @),
 * display names (UTF-8, 200 characters, no control characters, the line
 * and paragraph separators included), roles, the fields of `user set`,
 * and passwords.  tests/integration/test_users.sh shows the same through
 * the commands and the database.
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "common/passhash.h"
#include "common/userdef.h"

static int
address_ok(const char *s)
{
	char	 err[512];

	return user_address_check(s, err, sizeof(err)) == 0;
}

static int
name_ok(const char *s)
{
	char	 err[512];

	return user_name_check(s, err, sizeof(err)) == 0;
}

static int
password_ok(const char *s)
{
	char	 err[512];

	return user_password_check(s, err, sizeof(err)) == 0;
}

/* n copies of s. */
static void
repeat(char *out, size_t outlen, const char *s, int n)
{
	cr_assert_lt(strlen(s) * (size_t)n, outlen);
	out[0] = '\0';
	for (int i = 0; i < n; i++)
		strcat(out, s);
}

Test(userdef, addresses)
{
	char	 buf[1024];

	cr_expect(address_ok("alice@example.com"));
	cr_expect(address_ok("Bob@Example.COM"));
	cr_expect(address_ok("o'brien@example.com"));
	cr_expect(address_ok("\"x;--\"@example.com"));
	cr_expect(address_ok("zoë.山田@例え.example"));
	cr_expect(address_ok("a@b"));
	cr_expect(!address_ok(""));
	cr_expect(!address_ok("@"));
	cr_expect(!address_ok("a@"));
	cr_expect(!address_ok("@example.com"));
	cr_expect(!address_ok("no-at.example.com"));
	cr_expect(!address_ok("two@at@example.com"), "one @");
	cr_expect(!address_ok("sp ace@example.com"));
	cr_expect(!address_ok("tab\t@example.com"));
	cr_expect(!address_ok("nl\n@example.com"));
	cr_expect(!address_ok("nbsp\xc2\xa0@example.com"));
	cr_expect(!address_ok("nel\xc2\x85@example.com"));
	cr_expect(!address_ok("\xff@example.com"));
	repeat(buf, sizeof(buf), "a", 308);
	strcat(buf, "@example.com");	/* 320 bytes */
	cr_expect(address_ok(buf));
	memmove(buf + 1, buf, strlen(buf) + 1);
	cr_expect(!address_ok(buf), "321 bytes");
}

Test(userdef, names)
{
	char	 buf[1024];

	cr_expect(name_ok(""), "no name");
	cr_expect(name_ok("O'Brien"));
	cr_expect(name_ok("Robert'); DROP TABLE pgpmg.users;--"));
	cr_expect(name_ok("%s%n $1 \\x27 \\\\"));
	cr_expect(name_ok("Zoë 山田"));
	cr_expect(name_ok(" spaces around "));
	repeat(buf, sizeof(buf), "\xf0\x9f\x98\x80", 200);
	cr_expect(name_ok(buf), "200 characters of 4 bytes");
	strcat(buf, "x");
	cr_expect(!name_ok(buf), "201 characters");
	repeat(buf, sizeof(buf), "x", 201);
	cr_expect(!name_ok(buf), "201 ASCII characters");
	cr_expect(!name_ok("a\tb"));
	cr_expect(!name_ok("a\nb"));
	cr_expect(!name_ok("a\rb"));
	cr_expect(!name_ok("\x1b[31m"));
	cr_expect(!name_ok("a\x7f"));
	cr_expect(!name_ok("nel\xc2\x85"), "C1");
	cr_expect(!name_ok("ls\xe2\x80\xa8"), "U+2028");
	cr_expect(!name_ok("ps\xe2\x80\xa9"), "U+2029");
	cr_expect(name_ok("nnbsp\xe2\x80\xaf"), "U+202F is a space, not a control");
	cr_expect(!name_ok("\xff"));
	cr_expect(!name_ok("\xc3\x28"));
	cr_expect(!name_ok("\xed\xa0\x80"), "a surrogate");
	cr_expect(!name_ok("\xc0\xaf"), "overlong");
	cr_expect(!name_ok("cut\xe5\xb1"));
}

Test(userdef, roles)
{
	int	 r;

	cr_expect(user_role_parse("admin", &r) == 0 && r == USER_ROLE_ADMIN);
	cr_expect(user_role_parse("user", &r) == 0 && r == USER_ROLE_USER);
	cr_expect(user_role_parse("none", &r) == 0 && r == USER_ROLE_NONE);
	cr_expect_eq(user_role_parse("Admin", &r), -1);
	cr_expect_eq(user_role_parse("root", &r), -1);
	cr_expect_eq(user_role_parse("", &r), -1);
	cr_expect_str_eq(user_role_name(USER_ROLE_DEFAULT), "user");
	cr_expect_str_eq(user_role_name(USER_NROLES), "?");
	cr_expect_str_eq(user_role_name(-1), "?");
}

Test(userdef, fields)
{
	static const struct {
		const char	*field, *value, *canon;
		int		 f;
	} good[] = {
		{ "name", "Zoë", "Zoë", USER_FIELD_NAME },
		{ "name", "", "", USER_FIELD_NAME },
		{ "role", "admin", "admin", USER_FIELD_ROLE },
		{ "role", "none", "none", USER_FIELD_ROLE },
		{ "portal", "yes", "true", USER_FIELD_PORTAL },
		{ "portal", "on", "true", USER_FIELD_PORTAL },
		{ "portal", "no", "false", USER_FIELD_PORTAL },
		{ "portal", "off", "false", USER_FIELD_PORTAL },
	};
	static const char *const bad[][2] = {
		{ "colour", "blue" }, { "Name", "x" }, { "", "" },
		{ "name", "a\tb" }, { "name", "\xff" }, { "role", "" },
		{ "role", "root" }, { "portal", "true" }, { "portal", "" },
		{ "portal", "YES" },
	};
	char	 canon[USER_NAME_MAX + 1], err[512];
	int	 f;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		cr_expect_eq(user_field_parse(good[i].field, good[i].value, &f,
		    canon, sizeof(canon), err, sizeof(err)), 0, "%s %s: %s",
		    good[i].field, good[i].value, err);
		cr_expect_eq(f, good[i].f);
		cr_expect_str_eq(canon, good[i].canon);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(user_field_parse(bad[i][0], bad[i][1], &f, canon,
		    sizeof(canon), err, sizeof(err)), -1, "%s %s", bad[i][0],
		    bad[i][1]);
	cr_expect_eq(user_field_parse("colour", "x", &f, canon, sizeof(canon),
	    err, sizeof(err)), -1);
	cr_expect_str_eq(err, "unknown field \"colour\" (name, role, portal)");
	cr_expect_str_eq(user_field_name(USER_FIELD_PORTAL), "portal");
}

Test(userdef, passwords)
{
	char	 buf[PASSHASH_PASS_MAX + 2];

	cr_expect(password_ok("x"));
	cr_expect(password_ok("correct horse battery staple"));
	cr_expect(password_ok("Zoë 山田 🔑"));
	repeat(buf, sizeof(buf), "p", PASSHASH_PASS_MAX);
	cr_expect(password_ok(buf), "1024 bytes");
	strcat(buf, "p");
	cr_expect(!password_ok(buf), "1025 bytes");
	cr_expect(!password_ok(""));
	cr_expect(!password_ok("a\tb"));
	cr_expect(!password_ok("a\r"));
	cr_expect(!password_ok("\x1b"));
	cr_expect(!password_ok("a\x7f"));
	cr_expect(!password_ok("\xc2\x85"));
	cr_expect(!password_ok("\xff\xfe"));
}
