/*
 * The built-in default policy; see plan.h.
 */
#include <stdlib.h>

#include "cryptod/plan.h"

int
plan_default(const struct pgpmg_conf *conf, const struct keystore *ks,
    const char *sender, const char *const *rcpts, size_t n, struct plan *p)
{
	int	 outgoing = conf_is_internal_address(conf, sender);

	p->n = n;
	p->signer = outgoing ? keystore_signer(ks, sender) : NULL;
	if ((p->rcpt = calloc(n ? n : 1, sizeof(*p->rcpt))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct plan_rcpt *r = &p->rcpt[i];

		if (conf_is_internal_address(conf, rcpts[i])) {
			r->action = PLAN_INCOMING;
			r->rule = "default: internal recipient";
		} else if (!outgoing) {
			r->action = PLAN_PASS;
			r->rule = "default: neither end internal";
		} else if ((r->key = keystore_encrypt_key(ks, rcpts[i])) !=
		    NULL) {
			r->action = conf_wants_inline_pgp(conf, rcpts[i]) ?
			    PLAN_INLINE : PLAN_ENCRYPT;
			r->rule = "default: recipient key known";
		} else if (p->signer != NULL) {
			r->action = PLAN_SIGN;
			r->rule = "default: no recipient key, sender key held";
		} else {
			r->action = PLAN_PASS;
			r->rule = "default: no key";
		}
	}
	return 0;
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
		[PLAN_INCOMING] = "incoming",
	};

	return (unsigned)a < PLAN_NACTIONS ? names[a] : "unknown";
}
