/*
 * policyd's plan made into cryptod's actions; see plan.h.
 */
#include <stdlib.h>
#include <string.h>

#include "common/msg.h"
#include "cryptod/plan.h"

int
plan_alloc(struct plan *p, size_t n)
{
	memset(p, 0, sizeof(*p));
	p->n = n;
	if ((p->rcpt = calloc(n ? n : 1, sizeof(*p->rcpt))) == NULL)
		return -1;
	return 0;
}

void
plan_resolve(struct plan *p, const struct pgpmg_conf *conf,
    const struct keystore *ks, const char *sender, const char *const *rcpts)
{
	if (p->flags & PLAN_DONE_F_SIGN)
		p->signer = keystore_signer(ks, sender);
	for (size_t i = 0; i < p->n; i++) {
		struct plan_rcpt *r = &p->rcpt[i];

		switch (r->policy) {
		case POLICY_INCOMING:
			r->action = PLAN_INCOMING;
			break;
		case POLICY_ENCRYPT:
			/* The key went away since we asked: better held
			 * than sent in the clear. */
			if ((r->key = keystore_encrypt_key(ks, rcpts[i])) ==
			    NULL)
				r->action = PLAN_HOLD;
			else
				r->action = conf_wants_inline_pgp(conf,
				    rcpts[i]) ? PLAN_INLINE : PLAN_ENCRYPT;
			break;
		case POLICY_BOUNCE:
			r->action = PLAN_BOUNCE;
			break;
		case POLICY_HOLD:
			r->action = PLAN_HOLD;
			break;
		default:	/* POLICY_PASS */
			r->action = p->signer != NULL ? PLAN_SIGN : PLAN_PASS;
		}
	}
}

void
plan_free(struct plan *p)
{
	free(p->rcpt);
	p->rcpt = NULL;
	p->n = 0;
}

const char *
plan_action_name(enum plan_action a)
{
	static const char *const names[PLAN_NACTIONS] = {
		[PLAN_PASS] = "pass", [PLAN_SIGN] = "sign",
		[PLAN_ENCRYPT] = "encrypt", [PLAN_INLINE] = "inline",
		[PLAN_INCOMING] = "incoming", [PLAN_BOUNCE] = "bounce",
		[PLAN_HOLD] = "hold",
	};

	return (unsigned)a < PLAN_NACTIONS ? names[a] : "unknown";
}
