/*
 * Publishing the keyring to the parent (IMSG_KEYD_KEYRING), once at start
 * and after every change, with a generation number that only grows:
 *
 *  KEYRING_PUBLIC  every public key keyd has, as one binary OpenPGP export
 *                  (never a secret part);
 *  KEYRING_HELD    "FINGERPRINT ADDRESS\n" for each usable (not revoked,
 *                  not expired) key keyd holds the secret of, one line per
 *                  internal address among its user IDs; the organisation
 *                  key is left out (it only certifies).
 *
 * Both are sealed memfds, sent one after the other with the same
 * generation.  The parent keeps the latest pair and hands it to every
 * cryptod worker.  A keyring keyd cannot publish is fatal: the workers
 * would go on with keys that are no longer right.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/msg.h"
#include "imsg/imsg.h"
#include "keyd/keyd.h"

static void
publish_send(struct keyd *k, uint32_t kind, int fd)
{
	uint32_t	 v[2] = { k->generation, kind };

	if (imsgev_compose(&k->child->parent, IMSG_KEYD_KEYRING, 0, fd, v,
	    sizeof(v)) == -1)
		fatal("compose KEYD_KEYRING");
}

static int
publish_held(struct keyd *k, const struct keylist *l, struct keyreply *r)
{
	FILE	*f;
	char	*buf = NULL;
	size_t	 len = 0;
	int	 rc = 0;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return -1;
	for (size_t i = 0; i < l->n && rc == 0; i++) {
		gpgme_key_t key = l->keys[i];

		if (!key->secret || !gpg_key_usable(key) ||
		    strcasecmp(key->fpr, k->org_fpr) == 0)
			continue;
		for (gpgme_user_id_t u = key->uids; u != NULL; u = u->next) {
			if (u->revoked || u->invalid || u->email == NULL ||
			    !gpg_valid_address(u->email) ||
			    !conf_is_internal_address(k->conf, u->email))
				continue;
			if (fprintf(f, "%s %s\n", key->fpr, u->email) < 0)
				rc = -1;
		}
	}
	if (fclose(f) == EOF)
		rc = -1;
	if (rc == 0)
		rc = keys_memfd("pgpmg-held", buf != NULL ? buf : "", len, r);
	free(buf);
	return rc;
}

void
publish_keyring(struct keyd *k)
{
	struct keyreply	 pub, held;
	struct keylist	 l;
	gpgme_ctx_t	 ctx;
	gpgme_data_t	 out;
	gpgme_error_t	 e;
	char		*buf;
	size_t		 len;

	memset(&pub, 0, sizeof(pub));
	memset(&held, 0, sizeof(held));
	pub.fd = held.fd = -1;
	if ((ctx = gpg_ctx(k)) == NULL || gpg_list(ctx, 0, &l) == -1)
		fatalx("keyring: cannot list the keys");
	if ((e = gpgme_data_new(&out)) != 0 ||
	    (e = gpgme_op_export(ctx, NULL, 0, out)) != 0)
		fatalx("keyring: export: %s", gpgme_strerror(e));
	if ((buf = gpgme_data_release_and_get_mem(out, &len)) == NULL &&
	    len != 0)
		fatalx("keyring: out of memory");
	if (keys_memfd("pgpmg-public", buf != NULL ? buf : "", len, &pub) ==
	    -1 || publish_held(k, &l, &held) == -1)
		fatalx("keyring: %s", pub.text[0] ? pub.text : held.text);
	gpgme_free(buf);

	k->generation++;
	publish_send(k, KEYRING_PUBLIC, pub.fd);
	publish_send(k, KEYRING_HELD, held.fd);
	log_debug("keyring generation %u: %zu keys, %zu bytes", k->generation,
	    l.n, len);
	gpg_list_free(&l);
	gpgme_release(ctx);
}
