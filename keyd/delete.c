/*
 * KEY_OP_DELETE: remove someone else's public key, named by its
 * fingerprint (an address may name several keys, and deleting is not a
 * thing to guess about).  A key pair keyd holds is never deleted: its
 * secret part still opens the mail that was encrypted to it, so it is
 * revoked instead (revoke.c), and stays.
 */
#include <string.h>

#include "common/log.h"
#include "common/msg.h"
#include "keyd/keyd.h"

void
keys_delete(struct keyd *k, const char *arg, struct keyreply *r)
{
	struct keylist	 l = { NULL, 0 };
	gpgme_ctx_t	 ctx;
	gpgme_key_t	 key;
	gpgme_error_t	 e;

	if (!gpg_is_fpr(arg)) {
		reply_set(r, KEY_E_INVALID, "\"%s\" is not a fingerprint: a "
		    "key is deleted by its fingerprint", arg);
		return;
	}
	if ((ctx = gpg_ctx(k)) == NULL) {
		reply_set(r, KEY_E_FAILED, "gpgme context");
		return;
	}
	if (keys_resolve(ctx, arg, &l, r) == -1)
		goto out;
	key = l.keys[0];
	if (key->secret) {
		reply_set(r, KEY_E_INVALID, "%s is a key pair the gateway "
		    "holds: revoke it instead (its secret part is kept, so "
		    "that mail encrypted to it can still be read)", key->fpr);
		goto out;
	}
	if ((e = gpgme_op_delete_ext(ctx, key, GPGME_DELETE_FORCE)) != 0) {
		reply_set(r, KEY_E_FAILED, "deleting %s: %s", key->fpr,
		    gpgme_strerror(e));
		goto out;
	}
	reply_set(r, KEY_E_OK, "%s", key->fpr);
	log_info("deleted public key %s", key->fpr);
out:
	gpg_list_free(&l);
	gpgme_release(ctx);
}
