/*
 * userdef: the syntax of every value of pgpmgctl's user commands: an
 * address, a display name, a role, the fields of `user set`, and a
 * password.  As with policydef, pgpmgctl checks with it before it
 * connects, policyd again before it writes (it is the one that decides),
 * and the schema's CHECKs on pgpmg.users (sql/001) a third time.  Pure
 * code: no I/O, no allocation.
 */
#ifndef PGPMG_USERDEF_H
#define PGPMG_USERDEF_H

#include <stddef.h>

/* Bounds, as the schema has them (characters) and in bytes. */
#define USER_ADDRESS_MAX	320	/* bytes (the schema: characters) */
#define USER_NAME_CHARS		200	/* characters */
#define USER_NAME_MAX		800	/* bytes: 200 of at most 4 bytes */

/* users.role: what a person may do in the console and the portal. */
enum user_role {
	USER_ROLE_ADMIN = 0,	/* the console */
	USER_ROLE_USER,		/* the portal, when portal_login is on */
	USER_ROLE_NONE,		/* an address known for other reasons */
	USER_NROLES
};
#define USER_ROLE_DEFAULT	USER_ROLE_USER

/* The fields of `user set ADDRESS FIELD VALUE`. */
enum user_field {
	USER_FIELD_NAME = 0,
	USER_FIELD_ROLE,
	USER_FIELD_PORTAL,
	USER_NFIELDS
};

const char	*user_role_name(int);
const char	*user_field_name(int);
/* 0 and the role, or -1 for a name that is not one. */
int	user_role_parse(const char *, int *);

/*
 * An address as users.address takes it, stored as given: valid UTF-8, 3
 * to 320 bytes, exactly one '@', neither first nor last, no control or
 * white space character.  0, or -1 with a message in err.
 */
int	user_address_check(const char *, char *err, size_t errlen);
/*
 * A display name: valid UTF-8, at most 200 characters, no control
 * character (C0, DEL, C1, and the line and paragraph separators U+2028
 * and U+2029, which glibc's locales count as control characters, as the
 * schema's [[:cntrl:]] then does).  "" is a name: none.
 */
int	user_name_check(const char *, char *err, size_t errlen);
/*
 * `user set`: the field, and the value as the statement takes it, in
 * canon: the display name as given, a role's name, "true" or "false" for
 * portal yes|no (or on|off).  -1 with a message in err.
 */
int	user_field_parse(const char *field, const char *value, int *f,
	    char *canon, size_t canonlen, char *err, size_t errlen);
/*
 * A password as `user passwd` takes it: 1 to PASSHASH_PASS_MAX bytes of
 * valid UTF-8 (what a login form sends) without control characters.
 */
int	user_password_check(const char *, char *err, size_t errlen);

#endif /* PGPMG_USERDEF_H */
