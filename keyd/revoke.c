/*
 * KEY_OP_REVOKE: a key gpg generated here is revoked with the certificate
 * gpg kept for it in openpgp-revocs.d (its first armour line is guarded by
 * a ':', which is removed before the import); an imported key pair has
 * none, and is revoked with gpg's revkey (gpgme_op_interact).  Someone
 * else's public key cannot be revoked, and keyd does not revoke the
 * organisation key.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/log.h"
#include "common/msg.h"
#include "keyd/keyd.h"

/* A kept revocation certificate is a few hundred bytes. */
#define REVOC_MAX	(64 * 1024)

/* The certificate gpg kept when it made the key, with the ':' that
 * guards its first armour line against an accidental import removed. */
static int
revoke_read_cert(struct keyd *k, const char *fpr, char **cert, size_t *len)
{
	char	 path[PATH_MAX], *buf, *p;
	ssize_t	 n;
	size_t	 off = 0;
	int	 fd;

	*cert = NULL;
	if (snprintf(path, sizeof(path), "%s/%s/%s.rev", k->conf->keyd_home,
	    KEYD_REVOCS_DIR, fpr) >= (int)sizeof(path))
		return -1;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -1;
	if ((buf = malloc(REVOC_MAX + 1)) == NULL) {
		close(fd);
		return -1;
	}
	while (off < REVOC_MAX && (n = read(fd, buf + off, REVOC_MAX - off)) >
	    0)
		off += (size_t)n;
	close(fd);
	buf[off] = '\0';
	if ((p = strstr(buf, ":-----BEGIN PGP PUBLIC KEY BLOCK-----")) != NULL) {
		memmove(p, p + 1, off - (size_t)(p - buf));
		off--;
	} else if (strstr(buf, "-----BEGIN PGP PUBLIC KEY BLOCK-----") == NULL) {
		free(buf);
		return -1;
	}
	*cert = buf;
	*len = off;
	return 1;
}

/* --edit-key FPR revkey: the answers gpg's prompts need, by keyword. */
struct revkey_state {
	int	 saved;
	int	 asked;
};

/* keyword is the status (GET_LINE, GET_BOOL), args the prompt's name. */
static gpgme_error_t
revkey_cb(void *opaque, const char *status, const char *args, int fd)
{
	struct revkey_state	*s = opaque;
	const char		*answer = NULL, *keyword = args;

	if (fd < 0)
		return 0;		/* a status line only */
	if (strcmp(status, "GET_LINE") != 0 && strcmp(status, "GET_BOOL") != 0)
		return gpg_error(GPG_ERR_GENERAL);
	if (strcmp(keyword, "keyedit.prompt") == 0) {
		answer = s->asked ? "save" : "revkey";
		if (s->asked)
			s->saved = 1;
		s->asked = 1;
	} else if (strcmp(keyword, "ask_revocation_reason.code") == 0)
		answer = "0";
	else if (strcmp(keyword, "ask_revocation_reason.text") == 0)
		answer = "";
	else if (strcmp(keyword, "keyedit.save.okay") == 0 ||
	    strstr(keyword, ".okay") != NULL)
		answer = "y";
	else
		return gpg_error(GPG_ERR_GENERAL);
	if (gpgme_io_writen(fd, answer, strlen(answer)) != 0 ||
	    gpgme_io_writen(fd, "\n", 1) != 0)
		return gpgme_error_from_syserror();
	return 0;
}

static gpgme_error_t
revoke_interactive(gpgme_ctx_t ctx, gpgme_key_t key)
{
	struct revkey_state	 s = { 0, 0 };
	gpgme_data_t		 out;
	gpgme_error_t		 e;

	if ((e = gpgme_data_new(&out)) != 0)
		return e;
	e = gpgme_op_interact(ctx, key, 0, revkey_cb, &s, out);
	gpgme_data_release(out);
	if (e == 0 && !s.saved)
		e = gpg_error(GPG_ERR_GENERAL);
	return e;
}

void
keys_revoke(struct keyd *k, const char *arg, struct keyreply *r)
{
	struct keylist	 l = { NULL, 0 };
	gpgme_ctx_t	 ctx;
	gpgme_key_t	 key = NULL, after = NULL;
	gpgme_data_t	 in;
	gpgme_error_t	 e = 0;
	char		*cert = NULL;
	size_t		 len = 0, live = 0;
	int		 have;

	if ((ctx = gpg_ctx(k)) == NULL) {
		reply_set(r, KEY_E_FAILED, "gpgme context");
		return;
	}
	if (keys_resolve(ctx, arg, &l, r) == -1)
		goto out;
	/* Revoking a revoked key does nothing: among several keys of an
	 * address, the one that is not revoked yet is meant. */
	for (size_t i = 0; i < l.n; i++)
		if (!l.keys[i]->revoked)
			live++;
	for (size_t i = 0; key == NULL && i < l.n; i++)
		if (!l.keys[i]->revoked)
			key = l.keys[i];
	if (key == NULL)
		key = l.keys[0];	/* all revoked already */
	if (live > 1) {
		reply_set(r, KEY_E_INVALID, "%zu keys for %s: give a "
		    "fingerprint", live, arg);
		key = NULL;
		goto out;
	}
	gpgme_key_ref(key);
	if (strcasecmp(key->fpr, k->org_fpr) == 0) {
		reply_set(r, KEY_E_INVALID, "%s is the organisation key, "
		    "which keyd does not revoke", key->fpr);
		goto out;
	}
	if (key->revoked) {
		reply_set(r, KEY_E_OK, "%s", key->fpr);
		goto out;
	}
	if ((have = revoke_read_cert(k, key->fpr, &cert, &len)) == -1) {
		reply_set(r, KEY_E_FAILED, "the revocation certificate of %s "
		    "is unreadable", key->fpr);
		goto out;
	}
	if (have == 1) {
		if ((e = gpgme_data_new_from_mem(&in, cert, len, 0)) == 0) {
			e = gpgme_op_import(ctx, in);
			gpgme_data_release(in);
		}
	} else if (key->secret)
		e = revoke_interactive(ctx, key);
	else {
		reply_set(r, KEY_E_INVALID, "%s is someone else's key (no "
		    "secret part here): only its owner can revoke it",
		    key->fpr);
		goto out;
	}
	if (e == 0)
		e = gpgme_get_key(ctx, key->fpr, &after, 0);
	if (e != 0 || !after->revoked)
		reply_set(r, KEY_E_FAILED, "revoking %s: %s", key->fpr,
		    e ? gpgme_strerror(e) : "still not revoked");
	else {
		reply_set(r, KEY_E_OK, "%s", key->fpr);
		log_info("revoked key %s", key->fpr);
	}
out:
	free(cert);
	if (after != NULL)
		gpgme_key_unref(after);
	if (key != NULL)
		gpgme_key_unref(key);
	gpg_list_free(&l);
	gpgme_release(ctx);
}
