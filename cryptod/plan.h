/*
 * plan: what happens to a message for each recipient, as policyd decided
 * it (the plan protocol in common/msg.h), turned into what cryptod does:
 * the groups of recipients that get one and the same output message, and
 * the refusals.
 */
#ifndef PGPMG_CRYPTOD_PLAN_H
#define PGPMG_CRYPTOD_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include <gpgme.h>

#include "common/config.h"
#include "cryptod/keystore.h"

#define PLAN_RULE_MAX		200
#define PLAN_KEYWORD_MAX	100

enum plan_action {
	PLAN_PASS = 0,		/* unchanged */
	PLAN_SIGN,		/* PGP/MIME multipart/signed */
	PLAN_ENCRYPT,		/* PGP/MIME multipart/encrypted, signed
				   inside when there is a signer */
	PLAN_INLINE,		/* inline PGP for a legacy client */
	PLAN_INCOMING,		/* decrypt and verify */
	PLAN_BOUNCE,		/* refused 5xx: no key, must be encrypted */
	PLAN_HOLD,		/* refused 4xx: held by policy */
	PLAN_NACTIONS,
};

struct plan_rcpt {
	uint32_t		 policy;	/* POLICY_*, as policyd said */
	enum plan_action	 action;
	gpgme_key_t		 key;	/* ENCRYPT, INLINE: the recipient's */
	char			 rule[PLAN_RULE_MAX + 1];
};

struct plan {
	gpgme_key_t		 signer;	/* outgoing: the sender's */
	struct plan_rcpt	*rcpt;
	size_t			 n;
	uint32_t		 flags;		/* PLAN_DONE_F_* */
	char			 keyword[PLAN_KEYWORD_MAX + 1];
};

int	plan_alloc(struct plan *, size_t n);
/* policyd's answers (policy and rule of every recipient, the flags) made
 * into actions: keys looked up, signing added where the policy signs. */
void	plan_resolve(struct plan *, const struct pgpmg_conf *,
	    const struct keystore *, const char *sender,
	    const char *const *rcpts);
void	plan_free(struct plan *);
const char *plan_action_name(enum plan_action);

#endif /* PGPMG_CRYPTOD_PLAN_H */
