/*
 * policydef: the policy model's names and the syntax of its values; see
 * policydef.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/policydef.h"
#include "common/utf8.h"

static const char *const mode_names[POL_NMODES] = {
	[POL_MODE_OFF] = "off", [POL_MODE_POSSIBLE] = "possible",
	[POL_MODE_ALL] = "all", [POL_MODE_KEYWORD] = "keyword",
};
static const char *const missing_names[POL_NMISSING] = {
	[POL_MISSING_PLAIN] = "plain", [POL_MISSING_BOUNCE] = "bounce",
	[POL_MISSING_HOLD] = "hold",
};
static const char *const scope_names[POL_NSCOPES] = {
	[POL_SCOPE_DOMAIN] = "domain", [POL_SCOPE_ADDRESS] = "address",
};
static const char *const setting_names[POL_NSETTINGS] = {
	[POL_SET_MODE] = "mode", [POL_SET_KEYWORD] = "keyword",
	[POL_SET_MISSING_KEY] = "missing-key", [POL_SET_SIGN] = "sign",
	[POL_SET_DECRYPT] = "decrypt",
	[POL_SET_PROTECT] = "protected-headers",
};

static int
find_name(const char *const *names, int n, const char *s, int *out)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0) {
			*out = i;
			return 0;
		}
	return -1;
}

const char *
pol_mode_name(int m)
{
	return m >= 0 && m < POL_NMODES ? mode_names[m] : "?";
}

const char *
pol_missing_name(int m)
{
	return m >= 0 && m < POL_NMISSING ? missing_names[m] : "?";
}

const char *
pol_scope_name(int s)
{
	return s >= 0 && s < POL_NSCOPES ? scope_names[s] : "?";
}

const char *
pol_setting_name(int s)
{
	return s >= 0 && s < POL_NSETTINGS ? setting_names[s] : "?";
}

int
pol_mode_parse(const char *s, int *m)
{
	return find_name(mode_names, POL_NMODES, s, m);
}

int
pol_missing_parse(const char *s, int *m)
{
	return find_name(missing_names, POL_NMISSING, s, m);
}

int
pol_scope_parse(const char *s, int *m)
{
	return find_name(scope_names, POL_NSCOPES, s, m);
}

int
pol_has_control(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;

	for (; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f ||
		    (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
			return 1;
	return 0;
}

/* White space beyond ASCII's: NBSP, U+1680, U+2000-U+200A, U+2028,
 * U+2029, U+202F, U+205F, U+3000. */
static int
has_space(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;

	for (; *p != '\0'; p++) {
		if (*p == ' ' || (*p >= '\t' && *p <= '\r'))
			return 1;
		if (*p == 0xc2 && p[1] == 0xa0)
			return 1;
		if (*p == 0xe1 && p[1] == 0x9a && p[2] == 0x80)
			return 1;
		if (*p == 0xe2 && p[1] == 0x80 && (p[2] <= 0x8a ||
		    p[2] == 0xa8 || p[2] == 0xa9 || p[2] == 0xaf))
			return 1;
		if (*p == 0xe2 && p[1] == 0x81 && p[2] == 0x9f)
			return 1;
		if (*p == 0xe3 && p[1] == 0x80 && p[2] == 0x80)
			return 1;
	}
	return 0;
}

/* ---------------------------------------------------------------- values */

static int __attribute__((format(printf, 3, 4)))
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int
pol_setting_parse(const char *key, const char *value, int *setting,
    char *canon, size_t canonlen, char *err, size_t errlen)
{
	const unsigned char	*p;
	int			 v;

	if (find_name(setting_names, POL_NSETTINGS, key, setting) == -1)
		return fail(err, errlen, "unknown setting \"%s\" (mode, "
		    "keyword, missing-key, sign, decrypt, protected-headers)",
		    key);
	switch (*setting) {
	case POL_SET_MODE:
		if (pol_mode_parse(value, &v) == -1)
			return fail(err, errlen, "mode: \"%s\" is not one of "
			    "off, possible, all, keyword", value);
		snprintf(canon, canonlen, "%s", mode_names[v]);
		return 0;
	case POL_SET_MISSING_KEY:
		if (pol_missing_parse(value, &v) == -1)
			return fail(err, errlen, "missing-key: \"%s\" is not "
			    "one of plain, bounce, hold", value);
		snprintf(canon, canonlen, "%s", missing_names[v]);
		return 0;
	case POL_SET_KEYWORD:
		if (!utf8_valid_str(value))
			return fail(err, errlen, "keyword: not valid UTF-8");
		if (pol_has_control(value))
			return fail(err, errlen, "keyword: no control "
			    "characters");
		if (utf8_chars(value) > POL_KEYWORD_CHARS ||
		    strlen(value) > POL_KEYWORD_MAX)
			return fail(err, errlen, "keyword: at most 100 "
			    "characters");
		for (p = (const unsigned char *)value; *p == ' '; p++)
			;
		if (*p == '\0')
			return fail(err, errlen, "keyword: must have a "
			    "character other than a space");
		if (strlen(value) >= canonlen)
			return fail(err, errlen, "keyword: too long");
		memcpy(canon, value, strlen(value) + 1);
		return 0;
	default:	/* sign, decrypt, protected-headers */
		if (strcmp(value, "yes") == 0)
			snprintf(canon, canonlen, "true");
		else if (strcmp(value, "no") == 0)
			snprintf(canon, canonlen, "false");
		else {
			snprintf(err, errlen, "%s: \"%s\" is not yes or no",
			    setting_names[*setting], value);
			return -1;
		}
		return 0;
	}
}

int
pol_action_parse(const char *s, int *mode, int *missing, char *err,
    size_t errlen)
{
	char		 m[16];
	const char	*plus = strchr(s, '+');
	size_t		 len = plus != NULL ? (size_t)(plus - s) : strlen(s);

	*missing = POL_MISSING_GLOBAL;
	if (len >= sizeof(m))
		goto bad;
	memcpy(m, s, len);
	m[len] = '\0';
	if (strcmp(m, "plain") == 0)
		*mode = POL_MODE_OFF;
	else if (strcmp(m, "encrypt") == 0)
		*mode = POL_MODE_ALL;
	else if (pol_mode_parse(m, mode) == -1)
		goto bad;
	if (plus == NULL)
		return 0;
	if (pol_missing_parse(plus + 1, missing) == -1)
		goto bad;
	if (*mode != POL_MODE_ALL && *mode != POL_MODE_KEYWORD)
		return fail(err, errlen, "action \"%s\": only all and keyword "
		    "can want a key, so only they take +plain, +bounce or "
		    "+hold", s);
	return 0;
bad:
	return fail(err, errlen, "action \"%s\" is not one of off (or plain), "
	    "possible, all (or encrypt), keyword, optionally with +plain, "
	    "+bounce or +hold after all or keyword", s);
}

void
pol_action_format(int mode, int missing, char *buf, size_t len)
{
	if (missing == POL_MISSING_GLOBAL)
		snprintf(buf, len, "%s", pol_mode_name(mode));
	else
		snprintf(buf, len, "%s+%s", pol_mode_name(mode),
		    pol_missing_name(missing));
}

int
pol_domain_parse(const char *s, char *out, size_t outlen, char *err,
    size_t errlen)
{
	size_t	 len = strlen(s), label = 0;

	if (len == 0 || len > POL_DOMAIN_MAX || len >= outlen)
		goto bad;
	for (size_t i = 0; i <= len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				goto bad;
			label = 0;
			out[i] = (char)c;
			continue;
		}
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-') || (label == 0 && c == '-'))
			goto bad;
		out[i] = (char)c;
		label++;
	}
	return 0;
bad:
	return fail(err, errlen, "\"%s\" is not a domain name (ASCII letters, "
	    "digits and hyphens in dot-separated labels; an internationalised "
	    "name in its xn-- form)", s);
}

int
pol_address_parse(const char *s, char *out, size_t outlen, char *err,
    size_t errlen)
{
	size_t		 len = strlen(s);
	const char	*at = strrchr(s, '@');

	if (!utf8_valid_str(s))
		return fail(err, errlen, "the address is not valid UTF-8");
	if (len > POL_ADDRESS_MAX || len >= outlen)
		return fail(err, errlen, "the address is longer than 320 "
		    "bytes");
	if (utf8_chars(s) < POL_ADDRESS_MIN || at == NULL || s[0] == '@' ||
	    at[1] == '\0')
		return fail(err, errlen, "\"%s\" is not an address "
		    "(local-part@domain)", s);
	if (pol_has_control(s) || has_space(s))
		return fail(err, errlen, "\"%s\": an address has no white "
		    "space or control characters", s);
	for (size_t i = 0; i <= len; i++)
		out[i] = s[i] >= 'A' && s[i] <= 'Z' ?
		    (char)(s[i] - 'A' + 'a') : s[i];
	return 0;
}

int
pol_pattern_parse(int scope, const char *s, char *out, size_t outlen,
    char *err, size_t errlen)
{
	if (scope == POL_SCOPE_DOMAIN)
		return pol_domain_parse(s, out, outlen, err, errlen);
	if (scope == POL_SCOPE_ADDRESS)
		return pol_address_parse(s, out, outlen, err, errlen);
	return fail(err, errlen, "scope \"%s\" is not domain or address",
	    pol_scope_name(scope));
}

int
pol_priority_parse(const char *s, int *prio, char *err, size_t errlen)
{
	char	*end;
	long	 v;

	if (s[0] < '0' || s[0] > '9')
		goto bad;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end != '\0' || errno != 0 || v > POL_PRIORITY_MAX)
		goto bad;
	*prio = (int)v;
	return 0;
bad:
	return fail(err, errlen, "priority \"%s\" is not a number from 0 to "
	    "1000000", s);
}

int
pol_id_parse(const char *s, int64_t *id, char *err, size_t errlen)
{
	char		*end;
	long long	 v;

	if (s[0] < '1' || s[0] > '9')
		goto bad;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || errno != 0)
		goto bad;
	*id = v;
	return 0;
bad:
	return fail(err, errlen, "\"%s\" is not a rule id (a number from "
	    "rule list)", s);
}
