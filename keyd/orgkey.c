/*
 * The organisation key: made on the first start of an empty keyd home, and
 * found again through the fingerprint recorded in <keyd-home>/pgpmg-orgkey.
 * It certifies every key the gateway generates or imports as a key pair;
 * it is for certification only (no signing, no encryption subkey), and it
 * does not expire: a certifier that expired would leave every key it
 * certified looking unvouched for.
 *
 * Its passphrase is not the master passphrase itself but derived from it
 * (KEYD_ORG_SUFFIX appended).  gpg-agent, when a restricted client needs a
 * key that is not in its cache, silently tries the last passphrase that
 * worked for any key; with one passphrase for all keys, cryptod's requests
 * would then unlock the organisation key too, and cryptod could have it
 * certify a key of its choosing.  With its own passphrase it is unlocked
 * only by keyd (preset on the standard socket, or keyd's loopback), and
 * the agent's pinentry never hands that passphrase out (pinserve.c
 * refuses the organisation key's keygrips).
 *
 * At every start keyd checks that the passphrase unlocks it: a passphrase
 * file that was replaced would otherwise surface only at the first
 * decryption.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "keyd/keyd.h"

#define ORG_UID_PREFIX	"pgpmg organisation key"

static long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The recorded fingerprint, or "" when there is no record. */
static void
orgkey_read_record(struct keyd *k, char *fpr, size_t len)
{
	char	 path[PATH_MAX], buf[KEYD_FPR_MAX + 2];
	ssize_t	 n;
	int	 fd;

	fpr[0] = '\0';
	if (snprintf(path, sizeof(path), "%s/%s", k->conf->keyd_home,
	    KEYD_ORGKEY_FILE) >= (int)sizeof(path))
		fatalx("keyd-home too long");
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return;
		fatal("%s", path);
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		fatalx("%s: empty or unreadable", path);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (!gpg_is_fpr(buf) || strlen(buf) >= len)
		fatalx("%s: not a fingerprint", path);
	snprintf(fpr, len, "%s", buf);
}

static void
orgkey_create(struct keyd *k, gpgme_ctx_t ctx, char *fpr, size_t len)
{
	const struct pgpmg_conf	*conf = k->conf;
	gpgme_genkey_result_t	 gr;
	gpgme_error_t		 e;
	char			 uid[512];
	long			 t0 = now_ms();

	snprintf(uid, sizeof(uid), "%s <postmaster@%s>", ORG_UID_PREFIX,
	    conf->n_internal_domains > 0 ? conf->internal_domains[0] :
	    conf->hostname);
	gpgme_set_passphrase_cb(ctx, gpg_passphrase_cb, &k->orgpass);
	if ((e = gpgme_op_createkey(ctx, uid,
	    conf->key_algorithm == CONF_KEY_RSA3072 ? "rsa3072" : "ed25519",
	    0, 0, NULL, GPGME_CREATE_CERT | GPGME_CREATE_NOEXPIRE)) != 0 ||
	    (gr = gpgme_op_genkey_result(ctx)) == NULL || gr->fpr == NULL)
		fatalx("cannot create the organisation key: %s",
		    e ? gpgme_strerror(e) : "no fingerprint");
	gpgme_set_passphrase_cb(ctx, gpg_passphrase_cb, &k->pass);
	snprintf(fpr, len, "%s", gr->fpr);
	log_info("created the organisation key %s \"%s\" in %ld ms", fpr, uid,
	    now_ms() - t0);
}

static void
orgkey_record(struct keyd *k, const char *fpr)
{
	char	 text[KEYD_FPR_MAX + 2];

	snprintf(text, sizeof(text), "%s\n", fpr);
	home_write(k->conf->keyd_home, KEYD_ORGKEY_FILE, text);
}

/* No record: a new home gets a key; a home with exactly one secret key,
 * ours, lost only its record (a crash between the two steps). */
static void
orgkey_find_or_create(struct keyd *k, gpgme_ctx_t ctx,
    const struct keylist *held, char *fpr, size_t len)
{
	gpgme_key_t	 key;

	if (held->n == 0) {
		orgkey_create(k, ctx, fpr, len);
		orgkey_record(k, fpr);
		return;
	}
	key = held->keys[0];
	if (held->n == 1 && key->uids != NULL && key->uids->uid != NULL &&
	    strncmp(key->uids->uid, ORG_UID_PREFIX,
	    strlen(ORG_UID_PREFIX)) == 0) {
		snprintf(fpr, len, "%s", key->fpr);
		orgkey_record(k, fpr);
		log_warnx("recorded the organisation key %s again", fpr);
		return;
	}
	fatalx("%s/%s is missing but the home holds %zu secret keys: restore "
	    "the file (one line: the organisation key's fingerprint)",
	    k->conf->keyd_home, KEYD_ORGKEY_FILE, held->n);
}

void
orgkey_init(struct keyd *k)
{
	struct keylist	 held;
	gpgme_ctx_t	 ctx;
	gpgme_key_t	 key;
	gpgme_error_t	 e;
	char		 fpr[KEYD_FPR_MAX];

	if ((ctx = gpg_ctx(k)) == NULL)
		fatalx("gpgme context");
	if (gpg_list(ctx, 1, &held) == -1)
		fatalx("cannot list keyd's secret keys");
	orgkey_read_record(k, fpr, sizeof(fpr));
	if (fpr[0] == '\0')
		orgkey_find_or_create(k, ctx, &held, fpr, sizeof(fpr));
	gpg_list_free(&held);

	if ((e = gpgme_get_key(ctx, fpr, &key, 1)) != 0)
		fatalx("the organisation key %s (%s/%s) is not in keyd's "
		    "home: %s", fpr, k->conf->keyd_home, KEYD_ORGKEY_FILE,
		    gpgme_strerror(e));
	snprintf(k->org_fpr, sizeof(k->org_fpr), "%s", key->fpr);
	k->norg_grips = 0;
	for (gpgme_subkey_t s = key->subkeys; s != NULL; s = s->next) {
		if (s->keygrip == NULL || k->norg_grips == 4)
			continue;
		snprintf(k->org_grips[k->norg_grips++],
		    sizeof(k->org_grips[0]), "%s", s->keygrip);
	}
	if (k->norg_grips == 0)
		fatalx("the organisation key %s has no keygrip", k->org_fpr);
	if ((e = agentcmd_verify(k, k->org_grips[0], k->orgpass.buf)) != 0)
		fatalx("keyd-passphrase-file %s does not unlock the "
		    "organisation key %s (%s): was the file replaced?",
		    k->conf->keyd_passphrase_file, k->org_fpr,
		    gpgme_strerror(e));
	gpgme_key_unref(key);
	gpgme_release(ctx);
	log_info("organisation key %s", k->org_fpr);
}

int
orgkey_is_grip(const struct keyd *k, const char *grip)
{
	for (size_t i = 0; i < k->norg_grips; i++)
		if (strcasecmp(k->org_grips[i], grip) == 0)
			return 1;
	return 0;
}

int
orgkey_certify(struct keyd *k, gpgme_ctx_t ctx, gpgme_key_t key, char *err,
    size_t errlen)
{
	gpgme_key_t	 org;
	gpgme_error_t	 e;

	if ((e = gpgme_get_key(ctx, k->org_fpr, &org, 1)) != 0) {
		snprintf(err, errlen, "organisation key: %s",
		    gpgme_strerror(e));
		return -1;
	}
	gpgme_signers_clear(ctx);
	gpgme_set_passphrase_cb(ctx, gpg_passphrase_cb, &k->orgpass);
	if ((e = gpgme_signers_add(ctx, org)) == 0)
		/* Exportable, every user ID, no expiry. */
		e = gpgme_op_keysign(ctx, key, NULL, 0, 0);
	gpgme_set_passphrase_cb(ctx, gpg_passphrase_cb, &k->pass);
	gpgme_signers_clear(ctx);
	gpgme_key_unref(org);
	if (e != 0) {
		snprintf(err, errlen, "certification by the organisation "
		    "key: %s", gpgme_strerror(e));
		return -1;
	}
	return 0;
}
