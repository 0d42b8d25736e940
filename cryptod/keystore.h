/*
 * keystore: the public keys this worker encrypts to and verifies with, and
 * which of them keyd holds the secret of (so they can sign).  Until policyd
 * serves keys, the store is what keyd publishes: the parent hands every
 * worker the latest public keyring and "held" list, and the worker loads
 * them into its own GnuPG home and an in-memory index.  No job runs before
 * the first load: an empty store would send mail in the clear that a key
 * should have protected.
 */
#ifndef PGPMG_CRYPTOD_KEYSTORE_H
#define PGPMG_CRYPTOD_KEYSTORE_H

#include <stddef.h>
#include <stdint.h>

#include <gpgme.h>

struct imsg;
struct pgp;

struct keystore_held {
	char		 fpr[65];
	char		 addr[257];
};

struct keystore {
	uint32_t		 generation;	/* loaded; 0: nothing yet */
	gpgme_key_t		*keys;
	size_t			 nkeys;
	struct keystore_held	*held;
	size_t			 nheld;
	/* What arrived and is not loaded yet, per KEYRING_* kind. */
	int			 pending_fd[3];
	uint32_t		 pending_gen[3];
};

void	keystore_init(struct keystore *);
/* IMSG_PARENT_KEYRING; returns 1 when a new generation was loaded. */
int	keystore_msg(struct keystore *, struct pgp *, struct imsg *);
int	keystore_ready(const struct keystore *);
/* The newest usable key with this address, for encryption; or NULL. */
gpgme_key_t keystore_encrypt_key(const struct keystore *, const char *addr);
/* The held key that signs for this address, or NULL. */
gpgme_key_t keystore_signer(const struct keystore *, const char *addr);
/* 1 when keyd holds, for this address, the key with this (sub)key
 * fingerprint: whatever its state, for it says who may read. */
int	keystore_holds(const struct keystore *, const char *addr,
	    const char *fpr);
/* The first user ID address of the key owning this (sub)key fingerprint,
 * or NULL. */
const char *keystore_addr_of(const struct keystore *, const char *fpr);

#endif /* PGPMG_CRYPTOD_KEYSTORE_H */
