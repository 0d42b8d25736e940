/*
 * The worker's key store; see keystore.h.
 */
#include <sys/mman.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/memfd.h"
#include "common/msg.h"
#include "cryptod/keystore.h"
#include "cryptod/pgp.h"
#include "imsg/imsg.h"

/* A published keyring larger than this is refused (a broken keyd). */
#define KEYSTORE_MAX_SIZE	((uint64_t)256 << 20)

void
keystore_init(struct keystore *ks)
{
	memset(ks, 0, sizeof(*ks));
	for (int i = 0; i < 3; i++)
		ks->pending_fd[i] = -1;
}

static void
keystore_clear(struct keystore *ks)
{
	for (size_t i = 0; i < ks->nkeys; i++)
		gpgme_key_unref(ks->keys[i]);
	free(ks->keys);
	free(ks->held);
	ks->keys = NULL;
	ks->held = NULL;
	ks->nkeys = ks->nheld = 0;
}

/* Map a sealed memfd read-only; *len 0 maps nothing. */
static const char *
keystore_map(int fd, size_t *len)
{
	uint64_t	 size;
	void		*p;

	if (memfd_check_sealed(fd, &size) == -1 || size > KEYSTORE_MAX_SIZE)
		fatalx("keyring: not a sealed memfd of sane size");
	*len = (size_t)size;
	if (size == 0)
		return "";
	if ((p = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED)
		fatal("keyring: mmap");
	return p;
}

static void
keystore_unmap(const char *p, size_t len)
{
	if (len > 0)
		munmap((void *)(uintptr_t)p, len);
}

/* "FINGERPRINT ADDRESS\n" lines; anything else is keyd's bug. */
static int
keystore_parse_held(struct keystore *ks, const char *p, size_t len)
{
	const char	*end = p + len, *nl, *sp;
	size_t		 n = 0;

	for (const char *c = p; c < end; c++)
		if (*c == '\n')
			n++;
	if ((ks->held = calloc(n ? n : 1, sizeof(*ks->held))) == NULL)
		return -1;
	for (; p < end; p = nl + 1) {
		struct keystore_held *h;
		size_t flen, alen;

		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL ||
		    (sp = memchr(p, ' ', (size_t)(nl - p))) == NULL)
			return -1;
		flen = (size_t)(sp - p);
		alen = (size_t)(nl - sp - 1);
		if (flen == 0 || flen >= sizeof(h->fpr) || alen == 0 ||
		    alen >= sizeof(h->addr))
			return -1;
		h = &ks->held[ks->nheld++];
		memcpy(h->fpr, p, flen);
		memcpy(h->addr, sp + 1, alen);
	}
	return 0;
}

static int
keystore_list(struct keystore *ks, struct pgp *pgp)
{
	gpgme_key_t	 key;
	gpgme_error_t	 e;
	size_t		 cap = 0;

	if ((e = gpgme_op_keylist_start(pgp->ctx, NULL, 0)) != 0) {
		log_warnx("keylist: %s", gpgme_strerror(e));
		return -1;
	}
	while ((e = gpgme_op_keylist_next(pgp->ctx, &key)) == 0) {
		if (ks->nkeys == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			gpgme_key_t *n = reallocarray(ks->keys, ncap,
			    sizeof(*n));
			if (n == NULL) {
				gpgme_key_unref(key);
				gpgme_op_keylist_end(pgp->ctx);
				return -1;
			}
			ks->keys = n;
			cap = ncap;
		}
		ks->keys[ks->nkeys++] = key;
	}
	gpgme_op_keylist_end(pgp->ctx);
	if (gpgme_err_code(e) != GPG_ERR_EOF) {
		log_warnx("keylist: %s", gpgme_strerror(e));
		return -1;
	}
	return 0;
}

static void
keystore_load(struct keystore *ks, struct pgp *pgp, uint32_t gen)
{
	const char	*pub, *held;
	size_t		 publen, heldlen;
	int		 rc;

	pub = keystore_map(ks->pending_fd[KEYRING_PUBLIC], &publen);
	held = keystore_map(ks->pending_fd[KEYRING_HELD], &heldlen);
	keystore_clear(ks);
	rc = pgp_load_keyring(pgp, pub, publen);
	if (rc == 0)
		rc = keystore_list(ks, pgp);
	if (rc == 0)
		rc = keystore_parse_held(ks, held, heldlen);
	keystore_unmap(pub, publen);
	keystore_unmap(held, heldlen);
	for (int i = KEYRING_PUBLIC; i <= KEYRING_HELD; i++) {
		close(ks->pending_fd[i]);
		ks->pending_fd[i] = -1;
	}
	/* A half-loaded store would encrypt to fewer keys than it should:
	 * better no worker than a wrong one.  The parent restarts us. */
	if (rc == -1)
		fatalx("keyring generation %u could not be loaded", gen);
	ks->generation = gen;
	log_debug("keyring generation %u: %zu keys, %zu held", gen, ks->nkeys,
	    ks->nheld);
}

int
keystore_msg(struct keystore *ks, struct pgp *pgp, struct imsg *imsg)
{
	struct imsg_reader	 r;
	uint32_t		 gen, kind;
	int			 fd;

	imsg_reader_init(&r, imsg);
	if (imsg_read_u32(&r, &gen) == -1 || imsg_read_u32(&r, &kind) == -1 ||
	    imsg_reader_end(&r) == -1 || gen == 0 ||
	    (kind != KEYRING_PUBLIC && kind != KEYRING_HELD) ||
	    (fd = imsg_get_fd(imsg)) == -1)
		fatalx("malformed PARENT_KEYRING");
	if (ks->pending_fd[kind] != -1)
		close(ks->pending_fd[kind]);
	ks->pending_fd[kind] = fd;
	ks->pending_gen[kind] = gen;
	if (ks->pending_fd[KEYRING_PUBLIC] == -1 ||
	    ks->pending_fd[KEYRING_HELD] == -1 ||
	    ks->pending_gen[KEYRING_PUBLIC] != ks->pending_gen[KEYRING_HELD])
		return 0;
	keystore_load(ks, pgp, gen);
	return 1;
}

int
keystore_ready(const struct keystore *ks)
{
	return ks->generation != 0;
}

/* A key that can encrypt now: one subkey valid for it. */
static int
key_encrypts(gpgme_key_t k, time_t now)
{
	if (k->revoked || k->expired || k->disabled || k->invalid)
		return 0;
	for (gpgme_subkey_t s = k->subkeys; s != NULL; s = s->next)
		if (s->can_encrypt && !s->revoked && !s->expired &&
		    !s->disabled && !s->invalid &&
		    (s->expires == 0 || s->expires > now))
			return 1;
	return 0;
}

static int
key_has_addr(gpgme_key_t k, const char *addr)
{
	for (gpgme_user_id_t u = k->uids; u != NULL; u = u->next)
		if (!u->revoked && !u->invalid && u->email != NULL &&
		    strcasecmp(u->email, addr) == 0)
			return 1;
	return 0;
}

gpgme_key_t
keystore_encrypt_key(const struct keystore *ks, const char *addr)
{
	gpgme_key_t	 best = NULL;
	time_t		 now = time(NULL);

	for (size_t i = 0; i < ks->nkeys; i++) {
		gpgme_key_t k = ks->keys[i];
		if (!key_encrypts(k, now) || !key_has_addr(k, addr))
			continue;
		if (best == NULL ||
		    k->subkeys->timestamp > best->subkeys->timestamp)
			best = k;
	}
	return best;
}

static gpgme_key_t
keystore_by_fpr(const struct keystore *ks, const char *fpr)
{
	for (size_t i = 0; i < ks->nkeys; i++)
		for (gpgme_subkey_t s = ks->keys[i]->subkeys; s != NULL;
		    s = s->next)
			if (s->fpr != NULL && strcasecmp(s->fpr, fpr) == 0)
				return ks->keys[i];
	return NULL;
}

gpgme_key_t
keystore_signer(const struct keystore *ks, const char *addr)
{
	time_t		 now = time(NULL);

	for (size_t i = 0; i < ks->nheld; i++) {
		gpgme_key_t k;

		if (strcasecmp(ks->held[i].addr, addr) != 0 ||
		    (k = keystore_by_fpr(ks, ks->held[i].fpr)) == NULL)
			continue;
		if (k->revoked || k->expired || k->disabled || k->invalid ||
		    !k->can_sign || (k->subkeys->expires != 0 &&
		    k->subkeys->expires <= now))
			continue;
		return k;
	}
	return NULL;
}

int
keystore_holds(const struct keystore *ks, const char *addr, const char *fpr)
{
	gpgme_key_t	 k;

	if (fpr == NULL || *fpr == '\0')
		return 0;
	for (size_t i = 0; i < ks->nheld; i++) {
		if (strcasecmp(ks->held[i].addr, addr) != 0 ||
		    (k = keystore_by_fpr(ks, ks->held[i].fpr)) == NULL)
			continue;
		for (gpgme_subkey_t s = k->subkeys; s != NULL; s = s->next)
			if (s->fpr != NULL && strcasecmp(s->fpr, fpr) == 0)
				return 1;
	}
	return 0;
}

const char *
keystore_addr_of(const struct keystore *ks, const char *fpr)
{
	gpgme_key_t	 k;

	if (fpr == NULL || *fpr == '\0' || (k = keystore_by_fpr(ks, fpr)) ==
	    NULL)
		return NULL;
	for (gpgme_user_id_t u = k->uids; u != NULL; u = u->next)
		if (!u->revoked && !u->invalid && u->email != NULL &&
		    *u->email != '\0')
			return u->email;
	return NULL;
}
