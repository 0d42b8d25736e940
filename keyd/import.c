/*
 * KEY_OP_IMPORT: keys from a sealed memfd, armoured or binary, at most
 * KEYD_IMPORT_MAX bytes and KEYD_IMPORT_MAX_KEYS keys.
 *
 * Public keys are imported as they are: someone else's keys, to encrypt
 * to and to verify with.  A secret key is a user's own key pair handed to
 * the gateway, and must come with its passphrase.  Before anything is
 * imported, keyd looks at the data (gpg --show-keys): every key in it must
 * then be a key pair with a user ID in an internal domain and a usable
 * encryption subkey, and none may be held already.  After the import
 * every secret (sub)key must open with the given passphrase; then each is
 * re-protected with the master passphrase (the agent's PASSWD, in
 * loopback), the master passphrase is checked to open it, and the key is
 * certified by the organisation key.  If any step fails, what was
 * imported goes again: a wrong passphrase leaves nothing behind.
 *
 * A user's upload from the console (policyd's MY_KEY_IMPORT) names the
 * user's address: then every user ID of every key in the data, revoked
 * ones included, must be exactly that address (compared without case, as
 * the users table does), or nothing is imported.  Otherwise a user could
 * put a key in the store for somebody else's address, and have mail to
 * them encrypted to a key the user holds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/log.h"
#include "common/memfd.h"
#include "common/msg.h"
#include "keyd/keyd.h"

/* The reply lists the fingerprints, one per line. */
#define KEYD_IMPORT_MAX_KEYS	64

/* What one import is about, for the steps and for a rollback. */
struct import {
	struct keyd	*k;
	gpgme_ctx_t	 ctx;
	const char	*pass;
	const char	*required;	/* "" or every user ID's address */
	struct keylist	 incoming;	/* from the data */
	struct keylist	 before;	/* keyd's keys before */
	struct keyreply	*r;
};

static int
import_read(int fd, char **buf, size_t *len, struct keyreply *r)
{
	uint64_t	 size;
	size_t		 off = 0;
	ssize_t		 n;

	if (fd == -1) {
		reply_set(r, KEY_E_INVALID, "no key data");
		return -1;
	}
	if (memfd_check_sealed(fd, &size) == -1) {
		reply_set(r, KEY_E_INVALID, "the key data is not a sealed "
		    "memfd");
		return -1;
	}
	if (size == 0 || size > KEYD_IMPORT_MAX) {
		reply_set(r, KEY_E_INVALID, "the key data is %s (at most %llu "
		    "bytes)", size == 0 ? "empty" : "too large",
		    (unsigned long long)KEYD_IMPORT_MAX);
		return -1;
	}
	if ((*buf = malloc((size_t)size)) == NULL) {
		reply_set(r, KEY_E_FAILED, "out of memory");
		return -1;
	}
	while (off < size) {
		if ((n = pread(fd, *buf + off, (size_t)size - off,
		    (off_t)off)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			free(*buf);
			reply_set(r, KEY_E_FAILED, "reading the key data");
			return -1;
		}
		off += (size_t)n;
	}
	*len = off;
	return 0;
}

/* The keys in the data, without importing them. */
static int
import_peek(struct import *im, gpgme_data_t in)
{
	struct keylist	*l = &im->incoming;
	gpgme_key_t	 key;
	gpgme_error_t	 e;

	memset(l, 0, sizeof(*l));
	if ((e = gpgme_op_keylist_from_data_start(im->ctx, in, 0)) != 0) {
		reply_set(im->r, KEY_E_FAILED, "reading the keys: %s",
		    gpgme_strerror(e));
		return -1;
	}
	if ((l->keys = calloc(KEYD_IMPORT_MAX_KEYS, sizeof(*l->keys))) == NULL)
		e = gpgme_error_from_syserror();
	while (e == 0 && (e = gpgme_op_keylist_next(im->ctx, &key)) == 0) {
		if (l->n == KEYD_IMPORT_MAX_KEYS) {
			gpgme_key_unref(key);
			gpgme_op_keylist_end(im->ctx);
			reply_set(im->r, KEY_E_INVALID, "more than %d keys in "
			    "one import", KEYD_IMPORT_MAX_KEYS);
			return -1;
		}
		l->keys[l->n++] = key;
	}
	gpgme_op_keylist_end(im->ctx);
	if (gpgme_err_code(e) != GPG_ERR_EOF) {
		reply_set(im->r, KEY_E_INVALID, "not OpenPGP key data: %s",
		    gpgme_strerror(e));
		return -1;
	}
	if (l->n == 0) {
		reply_set(im->r, KEY_E_INVALID, "no OpenPGP key in the data");
		return -1;
	}
	return 0;
}

/* With a required address, every user ID of every key is it. */
static int
import_check_owner(struct import *im)
{
	gpgme_key_t	 key;

	if (im->required[0] == '\0')
		return 0;
	for (size_t i = 0; i < im->incoming.n; i++) {
		key = im->incoming.keys[i];
		if (key->uids == NULL) {
			reply_set(im->r, KEY_E_INVALID, "key %s has no user "
			    "ID: only a key whose every user ID is %s can be "
			    "uploaded", key->fpr, im->required);
			return -1;
		}
		/* What the user ID says beyond the address is the
		 * uploader's to write; it is not repeated here. */
		for (gpgme_user_id_t u = key->uids; u != NULL; u = u->next)
			if (u->email == NULL ||
			    strcasecmp(u->email, im->required) != 0) {
				reply_set(im->r, KEY_E_INVALID, "key %s has a "
				    "user ID that is not %s: only a key whose "
				    "every user ID is your address can be "
				    "uploaded", key->fpr, im->required);
				return -1;
			}
	}
	return 0;
}

static int
key_has_internal_uid(const struct pgpmg_conf *conf, gpgme_key_t key)
{
	for (gpgme_user_id_t u = key->uids; u != NULL; u = u->next)
		if (!u->revoked && !u->invalid && u->email != NULL &&
		    conf_is_internal_address(conf, u->email))
			return 1;
	return 0;
}

/* Every key of a key-pair import must qualify before any is imported. */
static int
import_check_pairs(struct import *im)
{
	gpgme_key_t	 key, old;

	for (size_t i = 0; i < im->incoming.n; i++) {
		key = im->incoming.keys[i];
		if (!key->secret) {
			reply_set(im->r, KEY_E_INVALID, "the data mixes key "
			    "pairs and public keys (%s): import them "
			    "separately", key->fpr);
			return -1;
		}
		if (!key_has_internal_uid(im->k->conf, key)) {
			reply_set(im->r, KEY_E_INVALID, "key pair %s has no "
			    "user ID in an internal domain", key->fpr);
			return -1;
		}
		if (!gpg_key_encrypts(key)) {
			reply_set(im->r, KEY_E_INVALID, "key pair %s has no "
			    "usable encryption subkey (revoked, expired or "
			    "none)", key->fpr);
			return -1;
		}
		if ((old = gpg_list_find(&im->before, key->fpr)) != NULL &&
		    old->secret) {
			reply_set(im->r, KEY_E_EXISTS, "key pair %s is already "
			    "held", key->fpr);
			return -1;
		}
	}
	if (im->pass == NULL || im->pass[0] == '\0') {
		reply_set(im->r, KEY_E_PASSPHRASE, "a key pair needs its "
		    "passphrase");
		return -1;
	}
	return 0;
}

static void
reply_fprs(struct keyreply *r, const struct keylist *l)
{
	size_t	 off = 0;

	r->code = KEY_E_OK;
	r->text[0] = '\0';
	for (size_t i = 0; i < l->n && off < sizeof(r->text); i++)
		off += (size_t)snprintf(r->text + off, sizeof(r->text) - off,
		    "%s%s", i ? "\n" : "", l->keys[i]->fpr);
}

static void
import_public(struct import *im, gpgme_data_t in)
{
	gpgme_import_result_t	 res;
	gpgme_error_t		 e;

	if ((e = gpgme_op_import(im->ctx, in)) != 0 ||
	    (res = gpgme_op_import_result(im->ctx)) == NULL) {
		reply_set(im->r, KEY_E_FAILED, "import: %s", gpgme_strerror(e));
		return;
	}
	/* A key gpg merged into one it had (a renewal, a revocation, a new
	 * user ID or subkey) counts as neither imported nor unchanged: what
	 * matters is whether any key was taken at all. */
	if (res->considered <= 0 || res->not_imported + res->skipped_v3_keys +
	    res->skipped_new_keys >= res->considered) {
		reply_set(im->r, KEY_E_INVALID, "no key could be imported "
		    "(%d considered, %d not imported)", res->considered,
		    res->not_imported);
		return;
	}
	reply_fprs(im->r, &im->incoming);
	log_info("imported %d public key%s (%d updated, %d unchanged)",
	    res->imported, res->imported == 1 ? "" : "s", res->considered -
	    res->imported - res->unchanged - res->not_imported -
	    res->skipped_v3_keys - res->skipped_new_keys, res->unchanged);
}

/* The secret keygrips of a key that the agent now holds. */
static size_t
pair_grips(struct import *im, gpgme_key_t key, const char **grips,
    size_t max, int *enc_held)
{
	size_t	 n = 0;

	*enc_held = 0;
	for (gpgme_subkey_t s = key->subkeys; s != NULL && n < max;
	    s = s->next) {
		if (s->keygrip == NULL || !agentcmd_havekey(im->k, s->keygrip))
			continue;
		grips[n++] = s->keygrip;
		if (s->can_encrypt && !s->revoked && !s->expired)
			*enc_held = 1;
	}
	return n;
}

/* Undo a key-pair import: the secret parts always; the public key only
 * where keyd did not have it before. */
static void
import_rollback(struct import *im)
{
	gpgme_key_t	 key;

	for (size_t i = 0; i < im->incoming.n; i++) {
		key = im->incoming.keys[i];
		for (gpgme_subkey_t s = key->subkeys; s != NULL; s = s->next)
			if (s->keygrip != NULL &&
			    agentcmd_havekey(im->k, s->keygrip))
				(void)agentcmd_delete(im->k, s->keygrip);
		if (gpg_list_find(&im->before, key->fpr) == NULL)
			keys_remove(im->k, im->ctx, key->fpr);
	}
}

/* One imported key pair: check, re-protect, verify, certify, preset. */
static int
import_pair(struct import *im, gpgme_key_t incoming)
{
	const char	*grips[16];
	gpgme_key_t	 key;
	gpgme_error_t	 e;
	size_t		 n;
	int		 enc_held;
	char		 err[256];

	n = pair_grips(im, incoming, grips, 16, &enc_held);
	if (n == 0 || !enc_held) {
		reply_set(im->r, KEY_E_INVALID, "key pair %s: the secret part "
		    "of its encryption subkey is missing", incoming->fpr);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if ((e = agentcmd_verify(im->k, grips[i], im->pass)) != 0) {
			reply_set(im->r, gpgme_err_code(e) ==
			    GPG_ERR_BAD_PASSPHRASE ? KEY_E_PASSPHRASE :
			    KEY_E_FAILED, "key pair %s: the passphrase does "
			    "not unlock it (%s)", incoming->fpr,
			    gpgme_strerror(e));
			return -1;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if ((e = agentcmd_passwd(im->k, grips[i], im->pass)) != 0 ||
		    (e = agentcmd_verify(im->k, grips[i], im->k->pass.buf)) !=
		    0) {
			reply_set(im->r, KEY_E_FAILED, "key pair %s: "
			    "re-protecting it: %s", incoming->fpr,
			    gpgme_strerror(e));
			return -1;
		}
		if (agentcmd_preset(im->k, grips[i], &im->k->pass) == -1)
			log_warnx("could not preset keygrip %s", grips[i]);
	}
	if ((e = gpgme_get_key(im->ctx, incoming->fpr, &key, 0)) != 0) {
		reply_set(im->r, KEY_E_FAILED, "key pair %s: %s",
		    incoming->fpr, gpgme_strerror(e));
		return -1;
	}
	if (orgkey_certify(im->k, im->ctx, key, err, sizeof(err)) == -1) {
		gpgme_key_unref(key);
		reply_set(im->r, KEY_E_FAILED, "key pair %s: %s", incoming->fpr,
		    err);
		return -1;
	}
	gpgme_key_unref(key);
	log_info("imported key pair %s", incoming->fpr);
	return 0;
}

static void
import_pairs(struct import *im, gpgme_data_t in)
{
	gpgme_import_result_t	 res;
	gpgme_error_t		 e;

	if (import_check_pairs(im) == -1)
		return;
	if ((e = gpgme_op_import(im->ctx, in)) != 0 ||
	    (res = gpgme_op_import_result(im->ctx)) == NULL) {
		reply_set(im->r, KEY_E_FAILED, "import: %s", gpgme_strerror(e));
		import_rollback(im);
		return;
	}
	if (res->secret_imported == 0) {
		reply_set(im->r, KEY_E_INVALID, "no secret key could be "
		    "imported (%d read)", res->secret_read);
		import_rollback(im);
		return;
	}
	for (size_t i = 0; i < im->incoming.n; i++) {
		if (import_pair(im, im->incoming.keys[i]) == -1) {
			import_rollback(im);
			return;
		}
	}
	reply_fprs(im->r, &im->incoming);
}

void
import_keys(struct keyd *k, int fd, const char *pass, const char *required,
    struct keyreply *r)
{
	struct import	 im;
	gpgme_data_t	 in = NULL;
	gpgme_error_t	 e;
	char		*buf = NULL;
	size_t		 len;
	int		 secret = 0;

	memset(&im, 0, sizeof(im));
	im.k = k;
	im.pass = pass;
	im.required = required;
	im.r = r;
	if (import_read(fd, &buf, &len, r) == -1)
		return;
	if ((im.ctx = gpg_ctx(k)) == NULL) {
		reply_set(r, KEY_E_FAILED, "gpgme context");
		goto out;
	}
	if ((e = gpgme_data_new_from_mem(&in, buf, len, 0)) != 0) {
		reply_set(r, KEY_E_FAILED, "gpgme data: %s", gpgme_strerror(e));
		goto out;
	}
	if (import_peek(&im, in) == -1 || import_check_owner(&im) == -1)
		goto out;
	if (gpg_list(im.ctx, 0, &im.before) == -1) {
		reply_set(r, KEY_E_FAILED, "cannot list the keys");
		goto out;
	}
	for (size_t i = 0; i < im.incoming.n; i++)
		secret |= im.incoming.keys[i]->secret;
	if (gpgme_data_seek(in, 0, SEEK_SET) != 0) {
		reply_set(r, KEY_E_FAILED, "gpgme data: seek");
		goto out;
	}
	if (secret)
		import_pairs(&im, in);
	else
		import_public(&im, in);
out:
	if (in != NULL)
		gpgme_data_release(in);
	gpg_list_free(&im.incoming);
	gpg_list_free(&im.before);
	if (im.ctx != NULL)
		gpgme_release(im.ctx);
	if (buf != NULL) {
		/* A key pair's data: its protection is the user's. */
		explicit_bzero(buf, len);
		free(buf);
	}
}
