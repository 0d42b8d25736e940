/*
 * policydef: the vocabulary of the policy model, and the syntax of every
 * value an administrator gives it: the global modes and missing-key
 * actions, rule scopes and actions, the settings of `pgpmgctl policy
 * set`, rule patterns and internal domain names.  pgpmgctl checks with it
 * before it connects, policyd again before it writes (it is the one that
 * decides), and the database's CHECK constraints (sql/001, sql/003) a
 * third time.  Pure code: no I/O, no allocation.
 */
#ifndef PGPMG_POLICYDEF_H
#define PGPMG_POLICYDEF_H

#include <stddef.h>
#include <stdint.h>

/* The global mode, and a rule's action (sql: policy.mode, rules.action). */
enum pol_mode {
	POL_MODE_OFF = 0,	/* never encrypt */
	POL_MODE_POSSIBLE,	/* encrypt when there is a key */
	POL_MODE_ALL,		/* encrypt; without a key: missing-key */
	POL_MODE_KEYWORD,	/* like all when the Subject has the keyword */
	POL_NMODES
};

/* What happens to a recipient without a key when the mode wants
 * encryption (sql: policy.missing_key, rules.missing_key). */
enum pol_missing {
	POL_MISSING_PLAIN = 0,	/* send it plain */
	POL_MISSING_BOUNCE,	/* refuse it, 5xx */
	POL_MISSING_HOLD,	/* refuse it, 4xx: Postfix keeps it */
	POL_NMISSING
};
/* A rule without a missing-key action of its own. */
#define POL_MISSING_GLOBAL	(-1)

enum pol_scope {
	POL_SCOPE_DOMAIN = 0,
	POL_SCOPE_ADDRESS,
	POL_NSCOPES
};

/* The settings of `policy set KEY VALUE`. */
enum pol_setting {
	POL_SET_MODE = 0,
	POL_SET_KEYWORD,
	POL_SET_MISSING_KEY,
	POL_SET_SIGN,
	POL_SET_DECRYPT,
	POL_SET_PROTECT,
	POL_NSETTINGS
};

/* Bounds, as the schema has them (characters) and in bytes. */
#define POL_DOMAIN_MAX		253	/* bytes: only ASCII */
#define POL_ADDRESS_MIN		3	/* characters */
#define POL_ADDRESS_MAX		320	/* bytes (the schema: characters) */
#define POL_KEYWORD_CHARS	100	/* characters */
#define POL_KEYWORD_MAX		400	/* bytes: 100 of at most 4 bytes */
#define POL_PRIORITY_MAX	1000000
#define POL_PRIORITY_DEFAULT	100
/* Any one value of a command: the longest is a keyword or an address. */
#define POL_VALUE_MAX		400
/* A rule action as text: "keyword+bounce". */
#define POL_ACTION_MAX		32

const char	*pol_mode_name(int);
const char	*pol_missing_name(int);
const char	*pol_scope_name(int);
const char	*pol_setting_name(int);
/* 0 and the value, or -1 for a name that is not one. */
int	pol_mode_parse(const char *, int *);
int	pol_missing_parse(const char *, int *);
int	pol_scope_parse(const char *, int *);

/*
 * `policy set KEY VALUE`: the setting and the value as the database
 * stores it in canon (a mode's or action's name; "true" or "false" for
 * yes/no; the keyword as given).  -1 with a message in err.
 */
int	pol_setting_parse(const char *key, const char *value, int *setting,
	    char *canon, size_t canonlen, char *err, size_t errlen);

/*
 * A rule's action: a mode (off, possible, all, keyword; "plain" and
 * "encrypt" are other names for off and all), and for all and keyword
 * optionally "+plain", "+bounce" or "+hold", the rule's own missing-key
 * action (*missing is POL_MISSING_GLOBAL without one).
 */
int	pol_action_parse(const char *, int *mode, int *missing, char *err,
	    size_t errlen);
/* The canonical text of an action: "all", "keyword+hold". */
void	pol_action_format(int mode, int missing, char *buf, size_t len);

/*
 * A domain name as the domains table and domain rules take it: ASCII
 * letters, digits and hyphens in dot-separated labels of 1 to 63, no
 * label beginning or ending with a hyphen, at most 253 bytes; written to
 * out in lower case (outlen > POL_DOMAIN_MAX).
 */
int	pol_domain_parse(const char *, char *out, size_t outlen, char *err,
	    size_t errlen);
/*
 * An address as address rules take it: valid UTF-8, 3 to 320 bytes, an
 * '@' that is neither the first character nor the last, no control or
 * white space character.  ASCII letters are written to out in lower case,
 * every other byte as it is (outlen > POL_ADDRESS_MAX).
 */
int	pol_address_parse(const char *, char *out, size_t outlen, char *err,
	    size_t errlen);
/* A rule's pattern in its scope: a domain or an address. */
int	pol_pattern_parse(int scope, const char *, char *out, size_t outlen,
	    char *err, size_t errlen);
int	pol_priority_parse(const char *, int *, char *err, size_t errlen);
/* A rule id: a decimal number from 1 to 2^63 - 1. */
int	pol_id_parse(const char *, int64_t *, char *err, size_t errlen);

/* True when s has a control character: C0, DEL, or C1 (U+0080 to
 * U+009F, as UTF-8). */
int	pol_has_control(const char *s);

#endif /* PGPMG_POLICYDEF_H */
