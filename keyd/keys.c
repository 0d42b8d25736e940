/*
 * Key operations: generate and export, and what every operation shares
 * (replies, output memfds, finding keys by address or fingerprint,
 * removing a key).  list.c, revoke.c and import.c hold the others.
 *
 * Every operation runs gpg through gpgme on keyd's home and blocks keyd's
 * loop until it is done.  Replies carry a KEY_E_* code and a text; output
 * (an exported key, the list) travels as a sealed memfd.
 */
#include <sys/mman.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/memfd.h"
#include "common/msg.h"
#include "keyd/keyd.h"

void
reply_set(struct keyreply *r, uint32_t code, const char *fmt, ...)
{
	va_list	 ap;

	r->code = code;
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
}

int
keys_memfd(const char *name, const void *data, size_t len,
    struct keyreply *r)
{
	struct spool	 sp;

	if (spool_open(&sp, name) == -1 || spool_write(&sp, data, len) == -1 ||
	    spool_seal(&sp) == -1) {
		reply_set(r, KEY_E_FAILED, "memfd: %s", strerror(errno));
		spool_discard(&sp);
		return -1;
	}
	r->fd = sp.fd;
	return 0;
}

/* A gpgme data object's bytes into a sealed memfd of the reply. */
int
keys_data_out(gpgme_data_t d, const char *name, struct keyreply *r)
{
	char	*buf;
	size_t	 len;
	int	 rc;

	if ((buf = gpgme_data_release_and_get_mem(d, &len)) == NULL &&
	    len != 0) {
		reply_set(r, KEY_E_FAILED, "out of memory");
		return -1;
	}
	rc = keys_memfd(name, buf != NULL ? buf : "", len, r);
	gpgme_free(buf);
	return rc;
}

int
keys_resolve(gpgme_ctx_t ctx, const char *arg, struct keylist *out,
    struct keyreply *r)
{
	struct keylist	 l;
	int		 fpr = gpg_is_fpr(arg);

	memset(out, 0, sizeof(*out));
	if (!fpr && !gpg_valid_address(arg)) {
		reply_set(r, KEY_E_INVALID, "\"%s\" is neither a fingerprint "
		    "nor an address", arg);
		return -1;
	}
	if (gpg_list(ctx, 0, &l) == -1) {
		reply_set(r, KEY_E_FAILED, "cannot list the keys");
		return -1;
	}
	/* The matches move to out, in the list's order; the rest go. */
	for (size_t i = 0; i < l.n; i++) {
		gpgme_key_t key = l.keys[i];

		if (fpr ? strcasecmp(key->fpr, arg) == 0 :
		    gpg_key_has_addr(key, arg, 1))
			l.keys[out->n++] = key;
		else
			gpgme_key_unref(key);
	}
	out->keys = l.keys;
	if (out->n == 0) {
		gpg_list_free(out);
		reply_set(r, KEY_E_NOTFOUND, "no key for %s", arg);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------- generate */

/* Remove a key keyd made or imported, secret and public, and its kept
 * revocation certificate. */
void
keys_remove(struct keyd *k, gpgme_ctx_t ctx, const char *fpr)
{
	gpgme_key_t	 key;
	gpgme_error_t	 e;
	char		 path[PATH_MAX];

	if ((e = gpgme_get_key(ctx, fpr, &key, 0)) == 0) {
		e = gpgme_op_delete_ext(ctx, key, GPGME_DELETE_ALLOW_SECRET |
		    GPGME_DELETE_FORCE);
		gpgme_key_unref(key);
	}
	if (e != 0)
		log_warnx("could not remove key %s: %s", fpr,
		    gpgme_strerror(e));
	if (snprintf(path, sizeof(path), "%s/%s/%s.rev", k->conf->keyd_home,
	    KEYD_REVOCS_DIR, fpr) < (int)sizeof(path))
		(void)unlink(path);
}

static int
keys_held_for(gpgme_ctx_t ctx, const char *addr, struct keyreply *r)
{
	struct keylist	 l;
	int		 held = 0;

	if (gpg_list(ctx, 0, &l) == -1) {
		reply_set(r, KEY_E_FAILED, "cannot list the keys");
		return -1;
	}
	for (size_t i = 0; i < l.n; i++)
		if (l.keys[i]->secret && gpg_key_usable(l.keys[i]) &&
		    gpg_key_has_addr(l.keys[i], addr, 0))
			held = 1;
	gpg_list_free(&l);
	return held;
}

void
keys_generate(struct keyd *k, const char *arg, struct keyreply *r)
{
	const struct pgpmg_conf	*conf = k->conf;
	gpgme_ctx_t		 ctx;
	gpgme_genkey_result_t	 gr;
	gpgme_key_t		 key = NULL;
	gpgme_error_t		 e;
	char			 addr[KEYD_ARG_MAX + 1], err[256];
	char			 fpr[KEYD_FPR_MAX] = "";
	unsigned long		 expires = (unsigned long)conf->key_lifetime *
				    86400UL;
	int			 rsa = conf->key_algorithm == CONF_KEY_RSA3072;
	int			 held;

	snprintf(addr, sizeof(addr), "%s", arg);
	for (char *c = addr; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	if (!gpg_valid_address(addr)) {
		reply_set(r, KEY_E_INVALID, "\"%s\" is not an address", arg);
		return;
	}
	if (!conf_is_internal_address(conf, addr)) {
		reply_set(r, KEY_E_INVALID, "%s is not in an internal domain: "
		    "the gateway makes keys for internal addresses only", addr);
		return;
	}
	if ((ctx = gpg_ctx(k)) == NULL) {
		reply_set(r, KEY_E_FAILED, "gpgme context");
		return;
	}
	if ((held = keys_held_for(ctx, addr, r)) != 0) {
		if (held == 1)
			reply_set(r, KEY_E_EXISTS, "a usable key for %s is "
			    "already held", addr);
		gpgme_release(ctx);
		return;
	}
	/* Primary for signing and certifying, one subkey for encryption,
	 * both with the configured lifetime; gpg protects them with the
	 * master passphrase (loopback) and writes the revocation
	 * certificate into openpgp-revocs.d, which revoke uses. */
	/* FORCE: a revoked or expired key may carry the same user ID. */
	if ((e = gpgme_op_createkey(ctx, addr, rsa ? "rsa3072" : "ed25519", 0,
	    expires, NULL, GPGME_CREATE_SIGN | GPGME_CREATE_CERT |
	    GPGME_CREATE_FORCE)) != 0 ||
	    (gr = gpgme_op_genkey_result(ctx)) == NULL || gr->fpr == NULL) {
		reply_set(r, KEY_E_FAILED, "key generation: %s",
		    e ? gpgme_strerror(e) : "no fingerprint");
		goto out;
	}
	snprintf(fpr, sizeof(fpr), "%s", gr->fpr);
	reply_set(r, KEY_E_OK, "%s", fpr);
	if ((e = gpgme_get_key(ctx, fpr, &key, 1)) != 0 ||
	    (e = gpgme_op_createsubkey(ctx, key, rsa ? "rsa3072" : "cv25519",
	    0, expires, GPGME_CREATE_ENCR)) != 0) {
		reply_set(r, KEY_E_FAILED, "encryption subkey: %s",
		    gpgme_strerror(e));
		goto out;
	}
	gpgme_key_unref(key);
	key = NULL;
	if ((e = gpgme_get_key(ctx, fpr, &key, 1)) != 0) {
		reply_set(r, KEY_E_FAILED, "new key: %s", gpgme_strerror(e));
		goto out;
	}
	if (orgkey_certify(k, ctx, key, err, sizeof(err)) == -1) {
		reply_set(r, KEY_E_FAILED, "%s", err);
		goto out;
	}
	if (gpg_preset_key(k, key) == -1)
		log_warnx("could not preset the passphrase of %s", key->fpr);
	log_info("generated key %s for %s", key->fpr, addr);
out:
	if (key != NULL)
		gpgme_key_unref(key);
	/* Half a key is no key: what was made goes again. */
	if (r->code != KEY_E_OK && fpr[0] != '\0')
		keys_remove(k, ctx, fpr);
	gpgme_release(ctx);
}

/* ---------------------------------------------------------- export */

/* Every key the argument names (an address may name a revoked key and
 * its successor), armoured, public parts only. */
void
keys_export(struct keyd *k, const char *arg, struct keyreply *r)
{
	struct keylist	 l;
	gpgme_ctx_t	 ctx;
	gpgme_key_t	*keys;
	gpgme_data_t	 out = NULL;
	gpgme_error_t	 e;

	if ((ctx = gpg_ctx(k)) == NULL) {
		reply_set(r, KEY_E_FAILED, "gpgme context");
		return;
	}
	if (keys_resolve(ctx, arg, &l, r) == -1) {
		gpgme_release(ctx);
		return;
	}
	gpgme_set_armor(ctx, 1);
	if ((keys = calloc(l.n + 1, sizeof(*keys))) == NULL)
		e = gpgme_error_from_syserror();
	else {
		memcpy(keys, l.keys, l.n * sizeof(*keys));
		/* Mode 0: public keys only; no mode of keyd exports a
		 * secret. */
		if ((e = gpgme_data_new(&out)) == 0)
			e = gpgme_op_export_keys(ctx, keys, 0, out);
		free(keys);
	}
	if (e != 0) {
		if (out != NULL)
			gpgme_data_release(out);
		reply_set(r, KEY_E_FAILED, "export: %s", gpgme_strerror(e));
	} else if (keys_data_out(out, "pgpmg-export", r) == 0)
		reply_set(r, KEY_E_OK, "%zu key%s", l.n, l.n == 1 ? "" : "s");
	gpg_list_free(&l);
	gpgme_release(ctx);
}
