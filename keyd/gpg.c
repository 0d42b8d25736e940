/*
 * gpgme on keyd's home: a context for every operation (OpenPGP, keyd's
 * home, offline, pinentry in loopback mode with the master passphrase
 * from keyd's memory), whole keyrings as lists, and the questions keyd
 * asks of a key.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/log.h"
#include "keyd/keyd.h"

/* An address: RFC 5321 limits, and no character a user ID would choke
 * on. */
#define ADDR_MAX	254
#define LOCAL_MAX	64

gpgme_error_t
gpg_passphrase_cb(void *hook, const char *uid_hint, const char *info,
    int prev_was_bad, int fd)
{
	const struct secret	*s = hook;

	(void)uid_hint; (void)info;
	/* The master passphrase is the only one; asking again is no use. */
	if (prev_was_bad)
		return gpg_error(GPG_ERR_BAD_PASSPHRASE);
	if (gpgme_io_writen(fd, s->buf, s->len) != 0 ||
	    gpgme_io_writen(fd, "\n", 1) != 0)
		return gpgme_error_from_syserror();
	return 0;
}

gpgme_ctx_t
gpg_ctx(struct keyd *k)
{
	gpgme_ctx_t	 ctx;
	gpgme_error_t	 e;

	if ((e = gpgme_new(&ctx)) != 0) {
		log_warnx("gpgme: %s", gpgme_strerror(e));
		return NULL;
	}
	if ((e = gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP)) != 0 ||
	    (e = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, NULL,
	    k->conf->keyd_home)) != 0 ||
	    (e = gpgme_set_pinentry_mode(ctx, GPGME_PINENTRY_MODE_LOOPBACK)) !=
	    0) {
		log_warnx("gpgme: %s", gpgme_strerror(e));
		gpgme_release(ctx);
		return NULL;
	}
	gpgme_set_offline(ctx, 1);
	gpgme_set_passphrase_cb(ctx, gpg_passphrase_cb, &k->pass);
	return ctx;
}

int
gpg_is_fpr(const char *s)
{
	size_t	 n = strlen(s);

	return (n == 40 || n == 64) && strspn(s, "0123456789ABCDEFabcdef") == n;
}

int
gpg_key_usable(gpgme_key_t key)
{
	time_t	 now = time(NULL);

	return !key->revoked && !key->expired && !key->disabled &&
	    !key->invalid && key->subkeys != NULL &&
	    (key->subkeys->expires == 0 || key->subkeys->expires > now);
}

int
gpg_key_encrypts(gpgme_key_t key)
{
	time_t	 now = time(NULL);

	if (!gpg_key_usable(key))
		return 0;
	for (gpgme_subkey_t s = key->subkeys; s != NULL; s = s->next)
		if (s->can_encrypt && !s->revoked && !s->expired &&
		    !s->disabled && !s->invalid &&
		    (s->expires == 0 || s->expires > now))
			return 1;
	return 0;
}

/* A user ID with this address; a revoked one counts only with any. */
int
gpg_key_has_addr(gpgme_key_t key, const char *addr, int any)
{
	for (gpgme_user_id_t u = key->uids; u != NULL; u = u->next)
		if ((any || (!u->revoked && !u->invalid)) && u->email != NULL &&
		    strcasecmp(u->email, addr) == 0)
			return 1;
	return 0;
}

int
gpg_valid_address(const char *s)
{
	const char	*at = strrchr(s, '@');
	size_t		 len = strlen(s);

	if (at == NULL || at == s || at[1] == '\0' || len > ADDR_MAX ||
	    (size_t)(at - s) > LOCAL_MAX || strchr(s, '@') != at)
		return 0;
	for (const char *c = s; *c != '\0'; c++) {
		unsigned char u = (unsigned char)*c;
		if (u <= 0x20 || u >= 0x7f || strchr("<>()[]\\,;:\"", u))
			return 0;
	}
	for (const char *c = at + 1; *c != '\0'; c++)
		if (!isalnum((unsigned char)*c) && *c != '-' && *c != '.')
			return 0;
	return at[1] != '.' && s[len - 1] != '.';
}

int
gpg_list(gpgme_ctx_t ctx, int secret_only, struct keylist *l)
{
	gpgme_key_t	 key;
	gpgme_error_t	 e;
	size_t		 cap = 0;

	memset(l, 0, sizeof(*l));
	/* A public listing says which keys have a secret part too. */
	if ((e = gpgme_set_keylist_mode(ctx, GPGME_KEYLIST_MODE_LOCAL |
	    (secret_only ? 0 : GPGME_KEYLIST_MODE_WITH_SECRET))) != 0 ||
	    (e = gpgme_op_keylist_start(ctx, NULL, secret_only)) != 0) {
		log_warnx("keylist: %s", gpgme_strerror(e));
		return -1;
	}
	while ((e = gpgme_op_keylist_next(ctx, &key)) == 0) {
		if (l->n == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			gpgme_key_t *n = reallocarray(l->keys, ncap,
			    sizeof(*n));
			if (n == NULL) {
				gpgme_key_unref(key);
				gpgme_op_keylist_end(ctx);
				gpg_list_free(l);
				return -1;
			}
			l->keys = n;
			cap = ncap;
		}
		l->keys[l->n++] = key;
	}
	gpgme_op_keylist_end(ctx);
	if (gpgme_err_code(e) != GPG_ERR_EOF) {
		log_warnx("keylist: %s", gpgme_strerror(e));
		gpg_list_free(l);
		return -1;
	}
	return 0;
}

void
gpg_list_free(struct keylist *l)
{
	for (size_t i = 0; i < l->n; i++)
		gpgme_key_unref(l->keys[i]);
	free(l->keys);
	memset(l, 0, sizeof(*l));
}

gpgme_key_t
gpg_list_find(const struct keylist *l, const char *fpr)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->keys[i]->fpr != NULL &&
		    strcasecmp(l->keys[i]->fpr, fpr) == 0)
			return l->keys[i];
	return NULL;
}

/* Every secret (sub)key of one key gets the master passphrase in the
 * agent's cache for the standard socket. */
int
gpg_preset_key(struct keyd *k, gpgme_key_t key)
{
	const struct secret	*pass = &k->pass;
	int			 rc = 0;

	if (k->org_fpr[0] != '\0' && strcasecmp(key->fpr, k->org_fpr) == 0)
		pass = &k->orgpass;
	for (gpgme_subkey_t s = key->subkeys; s != NULL; s = s->next)
		if (s->secret && s->keygrip != NULL &&
		    agentcmd_preset(k, s->keygrip, pass) == -1)
			rc = -1;
	return rc;
}

int
gpg_preset_all(struct keyd *k)
{
	struct keylist	 l;
	gpgme_ctx_t	 ctx;
	int		 rc = 0;

	if ((ctx = gpg_ctx(k)) == NULL)
		return -1;
	if (gpg_list(ctx, 1, &l) == -1) {
		gpgme_release(ctx);
		return -1;
	}
	for (size_t i = 0; i < l.n; i++)
		if (gpg_preset_key(k, l.keys[i]) == -1)
			rc = -1;
	gpg_list_free(&l);
	gpgme_release(ctx);
	return rc;
}
