/*
 * policy: policyd's picture of the policy (the global settings, the
 * rules, the internal domains) and the decision for one message.  Pure
 * code: it knows nothing of the database or of imsg, so a unit test
 * drives it directly (tests/unit/test_policy.c).  policyload.c fills a
 * policy_set from the database; plan.c asks it for decisions.
 *
 * The decision for each recipient (docs/DESIGN-NOTES.md, "The policy
 * engine"), in this order:
 *  1. the recipient's domain is internal: POLICY_INCOMING;
 *  2. the sender's domain is not internal: POLICY_PASS;
 *  3. otherwise the message is outgoing, and the mode is the one of the
 *     rule that applies (below), else the global mode:
 *       off      PASS
 *       possible ENCRYPT with a key, else PASS
 *       all      ENCRYPT with a key, else the missing-key action (the
 *                rule's own, else the global one): plain PASS, bounce
 *                BOUNCE, hold HOLD
 *       keyword  like all when the Subject contains the keyword (ASCII
 *                letters compared without case), else PASS
 *  4. a BOUNCE or HOLD for a message that is encrypted already becomes
 *     PASS: the sender encrypted it, the gateway has nothing to add.
 * The rule that applies: there is at most one address rule for the
 * recipient's address and one domain rule for its domain (patterns are
 * unique per scope, compared without ASCII case); the one with the
 * higher priority wins, and at equal priority the address rule.
 */
#ifndef PGPMG_POLICYD_POLICY_H
#define PGPMG_POLICYD_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "common/policydef.h"

/* msg.h's bounds on the plan protocol's strings. */
#define POLICY_ADDR_MAX		256
#define POLICY_SUBJECT_MAX	4096
#define POLICY_RULE_MAX		200
/* What policyd keeps in memory; a database with more is not loaded (and
 * policyd refuses to add more). */
#define POLICY_MAX_RULES	20000
#define POLICY_MAX_DOMAINS	10000

struct policy_rule {
	int64_t		 id;
	int		 scope;		/* POL_SCOPE_* */
	int		 priority;
	int		 mode;		/* POL_MODE_* */
	int		 missing;	/* POL_MISSING_*, or _GLOBAL */
	char		*pattern;	/* ASCII lower case */
};

struct policy_set {
	int		 mode;
	int		 missing;
	int		 sign;
	int		 decrypt;
	int		 protect;
	char		*keyword;
	int64_t		 version;	/* policy.version */
	int64_t		 generation;	/* policy_changes.generation */
	/* Sorted by pattern once finished, for bsearch. */
	struct policy_rule *rules[POL_NSCOPES];
	size_t		 nrules[POL_NSCOPES];
	size_t		 rules_cap[POL_NSCOPES];
	char		**domains;
	size_t		 ndomains;
	size_t		 domains_cap;
	int		 finished;
};

struct policy_msg {
	const char	*sender;	/* "" for the null sender */
	const char	*subject;	/* decoded; "" for none */
	uint32_t	 flags;		/* PLAN_MSG_F_* */
};

struct policy_rcpt {
	const char	*address;
	uint32_t	 flags;		/* PLAN_RCPT_F_* */
};

struct policy_answer {
	uint32_t	 action;	/* POLICY_* */
	char		 rule[POLICY_RULE_MAX + 1];
};

struct policy_done {
	uint32_t	 flags;		/* PLAN_DONE_F_* */
	/* The keyword as the Subject has it, when a recipient's decision
	 * was made by the keyword: cryptod removes it.  "" for none. */
	char		 keyword[POL_KEYWORD_MAX + 1];
};

/* An empty set with the schema's defaults; NULL when out of memory. */
struct policy_set *policy_set_new(void);
void	policy_set_free(struct policy_set *);
/* The global settings; -1 on a bad value or no memory. */
int	policy_set_global(struct policy_set *, int mode, const char *keyword,
	    int missing, int sign, int decrypt, int protect);
/* -1 on a bad value, too many, or no memory (err says which). */
int	policy_set_add_rule(struct policy_set *, int64_t id, int scope,
	    const char *pattern, int priority, int mode, int missing,
	    char *err, size_t errlen);
int	policy_set_add_domain(struct policy_set *, const char *name,
	    char *err, size_t errlen);
/* Sort for lookups; -1 when a pattern or domain is there twice. */
int	policy_set_finish(struct policy_set *, char *err, size_t errlen);

/* True when the address's domain (after its last '@') is internal. */
int	policy_internal(const struct policy_set *, const char *address);
int	policy_domain_internal(const struct policy_set *, const char *domain);
/* The rule that applies to an outgoing recipient, or NULL. */
const struct policy_rule *policy_rule_for(const struct policy_set *,
	    const char *address);
/* The keyword in the subject, ASCII letters compared without case: its
 * first occurrence, or NULL. */
const char *policy_keyword_find(const char *subject, const char *keyword);

/* A finished set's decision for every recipient (answers[n]). */
void	policy_decide(const struct policy_set *, const struct policy_msg *,
	    const struct policy_rcpt *, size_t n, struct policy_answer *,
	    struct policy_done *);
const char *policy_action_name(uint32_t);

#endif /* PGPMG_POLICYD_POLICY_H */
