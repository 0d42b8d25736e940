/*
 * plan: what happens to a message for each recipient, and the groups of
 * recipients that get one and the same output message.
 *
 * Until policyd decides (issue 5), the built-in default policy applies:
 * mail to an internal address is incoming (decrypt, verify); mail from an
 * internal sender to an external address is encrypted when the gateway
 * knows the recipient's key, signed with the sender's gateway-held key when
 * there is one, and otherwise passed; anything else passes.
 */
#ifndef PGPMG_CRYPTOD_PLAN_H
#define PGPMG_CRYPTOD_PLAN_H

#include <stddef.h>

#include <gpgme.h>

#include "common/config.h"
#include "cryptod/keystore.h"

enum plan_action {
	PLAN_PASS = 0,		/* unchanged */
	PLAN_SIGN,		/* PGP/MIME multipart/signed */
	PLAN_ENCRYPT,		/* PGP/MIME multipart/encrypted, signed
				   inside when there is a signer */
	PLAN_INLINE,		/* inline PGP for a legacy client */
	PLAN_INCOMING,		/* decrypt and verify */
	PLAN_NACTIONS,
};

struct plan_rcpt {
	enum plan_action	 action;
	gpgme_key_t		 key;	/* ENCRYPT, INLINE: the recipient's */
	const char		*rule;	/* what decided, for the log */
};

struct plan {
	gpgme_key_t		 signer;	/* outgoing: the sender's */
	struct plan_rcpt	*rcpt;
	size_t			 n;
};

/* rcpts: n addresses.  Fills plan->rcpt (allocated; plan_free). */
int	plan_default(const struct pgpmg_conf *, const struct keystore *,
	    const char *sender, const char *const *rcpts, size_t n,
	    struct plan *);
void	plan_free(struct plan *);
const char *plan_action_name(enum plan_action);

#endif /* PGPMG_CRYPTOD_PLAN_H */
