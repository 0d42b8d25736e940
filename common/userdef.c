/*
 * userdef: the names of the user model and the syntax of its values; see
 * userdef.h.  The UTF-8 and control character checks are policydef's,
 * so that a value means the same wherever the administrator gives it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/passhash.h"
#include "common/policydef.h"
#include "common/userdef.h"
#include "common/utf8.h"

static const char *const role_names[USER_NROLES] = {
	[USER_ROLE_ADMIN] = "admin", [USER_ROLE_USER] = "user",
	[USER_ROLE_NONE] = "none",
};
static const char *const field_names[USER_NFIELDS] = {
	[USER_FIELD_NAME] = "name", [USER_FIELD_ROLE] = "role",
	[USER_FIELD_PORTAL] = "portal",
};

static int __attribute__((format(printf, 3, 4)))
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

const char *
user_role_name(int r)
{
	return r >= 0 && r < USER_NROLES ? role_names[r] : "?";
}

const char *
user_field_name(int f)
{
	return f >= 0 && f < USER_NFIELDS ? field_names[f] : "?";
}

int
user_role_parse(const char *s, int *r)
{
	for (int i = 0; i < USER_NROLES; i++)
		if (strcmp(role_names[i], s) == 0) {
			*r = i;
			return 0;
		}
	return -1;
}

int
user_address_check(const char *s, char *err, size_t errlen)
{
	char	 folded[USER_ADDRESS_MAX + 1];

	/* policydef's address, folded into a copy we do not keep: the
	 * users table keeps the address as it was given. */
	if (pol_address_parse(s, folded, sizeof(folded), err, errlen) == -1)
		return -1;
	if (strchr(s, '@') != strrchr(s, '@'))
		return fail(err, errlen, "\"%s\": an address has one @", s);
	return 0;
}

/* U+2028 LINE SEPARATOR, U+2029 PARAGRAPH SEPARATOR. */
static int
has_separator(const char *s)
{
	return strstr(s, "\xe2\x80\xa8") != NULL ||
	    strstr(s, "\xe2\x80\xa9") != NULL;
}

int
user_name_check(const char *s, char *err, size_t errlen)
{
	if (!utf8_valid_str(s))
		return fail(err, errlen, "display name: not valid UTF-8");
	if (pol_has_control(s) || has_separator(s))
		return fail(err, errlen, "display name: no control characters "
		    "(tabs, line ends, escapes)");
	if (utf8_chars(s) > USER_NAME_CHARS || strlen(s) > USER_NAME_MAX)
		return fail(err, errlen, "display name: at most %d characters",
		    USER_NAME_CHARS);
	return 0;
}

int
user_field_parse(const char *field, const char *value, int *f, char *canon,
    size_t canonlen, char *err, size_t errlen)
{
	int	 role;

	for (*f = 0; *f < USER_NFIELDS; (*f)++)
		if (strcmp(field_names[*f], field) == 0)
			break;
	switch (*f) {
	case USER_FIELD_NAME:
		if (user_name_check(value, err, errlen) == -1)
			return -1;
		if (strlen(value) >= canonlen)
			return fail(err, errlen, "display name: too long");
		memcpy(canon, value, strlen(value) + 1);
		return 0;
	case USER_FIELD_ROLE:
		if (user_role_parse(value, &role) == -1)
			return fail(err, errlen, "role: \"%s\" is not one of "
			    "admin, user, none", value);
		snprintf(canon, canonlen, "%s", role_names[role]);
		return 0;
	case USER_FIELD_PORTAL:
		if (strcmp(value, "yes") == 0 || strcmp(value, "on") == 0)
			snprintf(canon, canonlen, "true");
		else if (strcmp(value, "no") == 0 || strcmp(value, "off") == 0)
			snprintf(canon, canonlen, "false");
		else
			return fail(err, errlen, "portal: \"%s\" is not yes or "
			    "no (on or off)", value);
		return 0;
	default:
		return fail(err, errlen, "unknown field \"%s\" (name, role, "
		    "portal)", field);
	}
}

int
user_password_check(const char *s, char *err, size_t errlen)
{
	if (s[0] == '\0')
		return fail(err, errlen, "the password is empty");
	if (strlen(s) > PASSHASH_PASS_MAX)
		return fail(err, errlen, "the password is longer than %d bytes",
		    PASSHASH_PASS_MAX);
	if (!utf8_valid_str(s))
		return fail(err, errlen, "the password is not valid UTF-8");
	if (pol_has_control(s))
		return fail(err, errlen, "the password has a control "
		    "character");
	return 0;
}
