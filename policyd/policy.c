/*
 * policy: the policy in memory and the decision for a message; see
 * policy.h for the order of the decision.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/msg.h"
#include "common/utf8.h"
#include "policyd/policy.h"

/* A buffer for a lower-cased address or domain. */
#define POLICY_KEY_MAX	(POL_ADDRESS_MAX + 1)

static int __attribute__((format(printf, 3, 4)))
policy_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* s with ASCII letters in lower case, into buf; -1 when it does not fit. */
static int
lower_ascii(const char *s, char *buf, size_t len)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i + 1 >= len)
			return -1;
		buf[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') :
		    s[i];
	}
	buf[i] = '\0';
	return 0;
}

struct policy_set *
policy_set_new(void)
{
	struct policy_set	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	/* The schema's defaults (sql/001_init.sql). */
	p->mode = POL_MODE_POSSIBLE;
	p->missing = POL_MISSING_PLAIN;
	p->sign = p->decrypt = p->protect = 1;
	if ((p->keyword = strdup("[secure]")) == NULL) {
		free(p);
		return NULL;
	}
	return p;
}

void
policy_set_free(struct policy_set *p)
{
	if (p == NULL)
		return;
	for (int s = 0; s < POL_NSCOPES; s++) {
		for (size_t i = 0; i < p->nrules[s]; i++)
			free(p->rules[s][i].pattern);
		free(p->rules[s]);
	}
	for (size_t i = 0; i < p->ndomains; i++)
		free(p->domains[i]);
	free(p->domains);
	free(p->keyword);
	free(p);
}

int
policy_set_global(struct policy_set *p, int mode, const char *keyword,
    int missing, int sign, int decrypt, int protect)
{
	char	*k;

	if (mode < 0 || mode >= POL_NMODES || missing < 0 ||
	    missing >= POL_NMISSING || keyword[0] == '\0' ||
	    strlen(keyword) > POL_KEYWORD_MAX)
		return -1;
	if ((k = strdup(keyword)) == NULL)
		return -1;
	free(p->keyword);
	p->keyword = k;
	p->mode = mode;
	p->missing = missing;
	p->sign = sign != 0;
	p->decrypt = decrypt != 0;
	p->protect = protect != 0;
	return 0;
}

int
policy_set_add_rule(struct policy_set *p, int64_t id, int scope,
    const char *pattern, int priority, int mode, int missing, char *err,
    size_t errlen)
{
	struct policy_rule	*r;
	char			 key[POLICY_KEY_MAX];
	size_t			 total = p->nrules[0] + p->nrules[1];

	if (scope < 0 || scope >= POL_NSCOPES || mode < 0 ||
	    mode >= POL_NMODES || missing < POL_MISSING_GLOBAL ||
	    missing >= POL_NMISSING || priority < 0 ||
	    priority > POL_PRIORITY_MAX)
		return policy_err(err, errlen, "rule %lld: a value out of "
		    "range", (long long)id);
	if (lower_ascii(pattern, key, sizeof(key)) == -1 || key[0] == '\0')
		return policy_err(err, errlen, "rule %lld: pattern too long "
		    "or empty", (long long)id);
	if (total >= POLICY_MAX_RULES)
		return policy_err(err, errlen, "more than %d rules",
		    POLICY_MAX_RULES);
	if (p->nrules[scope] == p->rules_cap[scope]) {
		size_t cap = p->rules_cap[scope] ? 2 * p->rules_cap[scope] : 16;

		if ((r = reallocarray(p->rules[scope], cap, sizeof(*r))) ==
		    NULL)
			return policy_err(err, errlen, "out of memory");
		p->rules[scope] = r;
		p->rules_cap[scope] = cap;
	}
	r = &p->rules[scope][p->nrules[scope]];
	if ((r->pattern = strdup(key)) == NULL)
		return policy_err(err, errlen, "out of memory");
	r->id = id;
	r->scope = scope;
	r->priority = priority;
	r->mode = mode;
	r->missing = missing;
	p->nrules[scope]++;
	p->finished = 0;
	return 0;
}

int
policy_set_add_domain(struct policy_set *p, const char *name, char *err,
    size_t errlen)
{
	char	 key[POLICY_KEY_MAX], **d;

	if (lower_ascii(name, key, sizeof(key)) == -1 || key[0] == '\0')
		return policy_err(err, errlen, "domain too long or empty");
	if (p->ndomains >= POLICY_MAX_DOMAINS)
		return policy_err(err, errlen, "more than %d internal domains",
		    POLICY_MAX_DOMAINS);
	if (p->ndomains == p->domains_cap) {
		size_t cap = p->domains_cap ? 2 * p->domains_cap : 16;

		if ((d = reallocarray(p->domains, cap, sizeof(*d))) == NULL)
			return policy_err(err, errlen, "out of memory");
		p->domains = d;
		p->domains_cap = cap;
	}
	if ((p->domains[p->ndomains] = strdup(key)) == NULL)
		return policy_err(err, errlen, "out of memory");
	p->ndomains++;
	p->finished = 0;
	return 0;
}

static int
rule_cmp(const void *a, const void *b)
{
	return strcmp(((const struct policy_rule *)a)->pattern,
	    ((const struct policy_rule *)b)->pattern);
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
policy_set_finish(struct policy_set *p, char *err, size_t errlen)
{
	for (int s = 0; s < POL_NSCOPES; s++) {
		if (p->nrules[s] == 0)
			continue;
		qsort(p->rules[s], p->nrules[s], sizeof(*p->rules[s]),
		    rule_cmp);
		for (size_t i = 1; i < p->nrules[s]; i++)
			if (strcmp(p->rules[s][i - 1].pattern,
			    p->rules[s][i].pattern) == 0)
				return policy_err(err, errlen, "rules %lld and "
				    "%lld: both for %s %s",
				    (long long)p->rules[s][i - 1].id,
				    (long long)p->rules[s][i].id,
				    pol_scope_name(s), p->rules[s][i].pattern);
	}
	if (p->ndomains > 0) {
		qsort(p->domains, p->ndomains, sizeof(*p->domains), str_cmp);
		for (size_t i = 1; i < p->ndomains; i++)
			if (strcmp(p->domains[i - 1], p->domains[i]) == 0)
				return policy_err(err, errlen, "internal domain "
				    "%s twice", p->domains[i]);
	}
	p->finished = 1;
	return 0;
}

int
policy_domain_internal(const struct policy_set *p, const char *domain)
{
	char		 key[POLICY_KEY_MAX];
	const char	*k = key;

	if (!p->finished || p->ndomains == 0 ||
	    lower_ascii(domain, key, sizeof(key)) == -1)
		return 0;
	return bsearch(&k, p->domains, p->ndomains, sizeof(*p->domains),
	    str_cmp) != NULL;
}

int
policy_internal(const struct policy_set *p, const char *address)
{
	const char	*at;

	if (address == NULL || (at = strrchr(address, '@')) == NULL)
		return 0;
	return policy_domain_internal(p, at + 1);
}

static const struct policy_rule *
rule_find(const struct policy_set *p, int scope, const char *s)
{
	struct policy_rule	 k;
	char			 key[POLICY_KEY_MAX];

	if (p->nrules[scope] == 0 || lower_ascii(s, key, sizeof(key)) == -1)
		return NULL;
	k.pattern = key;
	return bsearch(&k, p->rules[scope], p->nrules[scope],
	    sizeof(*p->rules[scope]), rule_cmp);
}

const struct policy_rule *
policy_rule_for(const struct policy_set *p, const char *address)
{
	const struct policy_rule	*a, *d = NULL;
	const char			*at;

	if (!p->finished)
		return NULL;
	a = rule_find(p, POL_SCOPE_ADDRESS, address);
	if ((at = strrchr(address, '@')) != NULL)
		d = rule_find(p, POL_SCOPE_DOMAIN, at + 1);
	if (a == NULL)
		return d;
	if (d == NULL || a->priority >= d->priority)
		return a;
	return d;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

const char *
policy_keyword_find(const char *subject, const char *keyword)
{
	size_t	 n = strlen(keyword);

	if (n == 0)
		return NULL;
	for (const char *s = subject; *s != '\0'; s++) {
		size_t i;

		for (i = 0; i < n && s[i] != '\0' &&
		    lower((unsigned char)s[i]) ==
		    lower((unsigned char)keyword[i]); i++)
			;
		if (i == n)
			return s;
	}
	return NULL;
}

const char *
policy_action_name(uint32_t a)
{
	switch (a) {
	case POLICY_PASS:	return "pass";
	case POLICY_ENCRYPT:	return "encrypt";
	case POLICY_BOUNCE:	return "bounce";
	case POLICY_HOLD:	return "hold";
	case POLICY_INCOMING:	return "incoming";
	}
	return "unknown";
}

static uint32_t
missing_action(int missing)
{
	switch (missing) {
	case POL_MISSING_BOUNCE:
		return POLICY_BOUNCE;
	case POL_MISSING_HOLD:
		return POLICY_HOLD;
	default:
		return POLICY_PASS;
	}
}

/* One outgoing recipient; *by_keyword set when the keyword decided. */
static void
decide_outgoing(const struct policy_set *p, const struct policy_msg *m,
    const struct policy_rcpt *rc, int keyword_found,
    struct policy_answer *a, int *by_keyword)
{
	const struct policy_rule	*r = policy_rule_for(p, rc->address);
	char				 text[POLICY_KEY_MAX + 64];
	int				 mode, missing, key;

	key = (rc->flags & PLAN_RCPT_F_KEY) != 0;
	mode = r != NULL ? r->mode : p->mode;
	missing = r != NULL && r->missing != POL_MISSING_GLOBAL ? r->missing :
	    p->missing;
	/* Whole first, then cut at a character boundary. */
	if (r != NULL)
		snprintf(text, sizeof(text), "rule %lld: %s %s",
		    (long long)r->id, pol_scope_name(r->scope), r->pattern);
	else
		snprintf(text, sizeof(text), "global: %s", pol_mode_name(mode));
	utf8_cut(text, POLICY_RULE_MAX);
	memcpy(a->rule, text, strlen(text) + 1);

	switch (mode) {
	case POL_MODE_OFF:
		a->action = POLICY_PASS;
		return;
	case POL_MODE_POSSIBLE:
		a->action = key ? POLICY_ENCRYPT : POLICY_PASS;
		return;
	case POL_MODE_KEYWORD:
		if (!keyword_found) {
			a->action = POLICY_PASS;
			return;
		}
		*by_keyword = 1;
		break;
	}
	a->action = key ? POLICY_ENCRYPT : missing_action(missing);
	if ((a->action == POLICY_BOUNCE || a->action == POLICY_HOLD) &&
	    (m->flags & PLAN_MSG_F_ENCRYPTED)) {
		size_t	 len;

		a->action = POLICY_PASS;
		/* Room for the note: the rule text is cut to make it. */
		utf8_cut(a->rule, POLICY_RULE_MAX - 20);
		len = strlen(a->rule);
		snprintf(a->rule + len, sizeof(a->rule) - len,
		    " (encrypted already)");
	}
}

void
policy_decide(const struct policy_set *p, const struct policy_msg *m,
    const struct policy_rcpt *rcpts, size_t n, struct policy_answer *out,
    struct policy_done *done)
{
	const char	*kw = NULL;
	int		 outgoing, by_keyword = 0;

	outgoing = policy_internal(p, m->sender);
	if (outgoing)
		kw = policy_keyword_find(m->subject, p->keyword);
	for (size_t i = 0; i < n; i++) {
		struct policy_answer *a = &out[i];

		if (policy_internal(p, rcpts[i].address)) {
			a->action = POLICY_INCOMING;
			snprintf(a->rule, sizeof(a->rule),
			    "internal recipient");
		} else if (!outgoing) {
			a->action = POLICY_PASS;
			snprintf(a->rule, sizeof(a->rule), "external sender");
		} else
			decide_outgoing(p, m, &rcpts[i], kw != NULL, a,
			    &by_keyword);
	}
	done->flags = (p->sign ? PLAN_DONE_F_SIGN : 0) |
	    (p->decrypt ? PLAN_DONE_F_DECRYPT : 0) |
	    (p->protect ? PLAN_DONE_F_PROTECT : 0);
	done->keyword[0] = '\0';
	if (by_keyword) {
		size_t len = strlen(p->keyword);

		memcpy(done->keyword, kw, len);
		done->keyword[len] = '\0';
	}
}
