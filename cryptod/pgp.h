/*
 * pgp: the OpenPGP operations cryptod needs, on top of gpgme.  gpg runs as
 * a child of the worker, inside its sandbox, on the worker's own GnuPG home
 * (public keys only); decrypt and sign reach the secret keys through keyd's
 * restricted agent socket, which that home's S.gpg-agent redirects to.
 *
 * Inputs are lists of byte ranges (so a message body can go to gpg straight
 * from the mapped memfd), outputs go to a sink with a hard cap: past the cap
 * the write fails, gpg stops, and the operation reports too_big.  That cap is
 * what turns a compression bomb into a refusal.
 */
#ifndef PGPMG_CRYPTOD_PGP_H
#define PGPMG_CRYPTOD_PGP_H

#include <sys/uio.h>

#include <stdint.h>

#include <gpgme.h>

#include "common/memfd.h"
#include "cryptod/buf.h"

#define PGP_MAX_SIGS	8	/* signatures reported per operation */
#define PGP_FPR_MAX	64

enum pgp_sigstate {
	PGP_SIG_NONE = 0,
	PGP_SIG_GOOD,
	PGP_SIG_BAD,
	PGP_SIG_UNKNOWN_KEY,
	PGP_SIG_EXPIRED,
	PGP_SIG_REVOKED,
};

struct pgp_sig {
	enum pgp_sigstate	 state;
	char			 fpr[PGP_FPR_MAX + 1];	/* signing (sub)key */
	int			 partial;	/* it covers only part of the
						   message (set by the caller) */
};

struct pgp_result {
	int			 ok;		/* the operation succeeded */
	int			 too_big;	/* the output cap was reached */
	char			 error[128];	/* why not ok */
	struct pgp_sig		 sigs[PGP_MAX_SIGS];
	size_t			 nsigs;
	char			 micalg[32];	/* sign: "pgp-sha256" */
	/* decrypt: the (sub)key that actually decrypted it, as gpg says
	 * (DECRYPTION_KEY), not the key IDs the message claims: those are
	 * the sender's to forge */
	char			 dec_key[PGP_FPR_MAX + 1];
};

/* Where output goes: a buffer, or a spool (memfd) being written. */
struct pgp_sink {
	struct buf		*buf;
	struct spool		*spool;
	uint64_t		 written;
	uint64_t		 max;
	int			 overflow;
	int			 failed;
	int			 crlf;		/* write LF as CRLF (armour) */
	char			 last;		/* last byte seen, for crlf */
};

struct pgp {
	gpgme_ctx_t		 ctx;
	char			 home[4096];
};

void	pgp_sink_buf(struct pgp_sink *, struct buf *, uint64_t max);
void	pgp_sink_spool(struct pgp_sink *, struct spool *, uint64_t max);

/* Before the sandbox: gpgme's engine discovery. */
void	pgp_prejail(void);
/* gpgme for this home; fatal on failure (nothing works without it). */
void	pgp_init(struct pgp *, const char *home);

/* Sign (when signer != NULL) and encrypt to every key of the
 * NULL-terminated list, in one OpenPGP message, ASCII-armoured; text:
 * canonical text mode (inline PGP), else binary (PGP/MIME). */
int	pgp_encrypt(struct pgp *, gpgme_key_t *rcpts, gpgme_key_t signer,
	    int text, const struct iovec *, int iovcnt, struct pgp_sink *,
	    struct pgp_result *);
/* Detached, armoured signature over the exact bytes; sets micalg. */
int	pgp_sign_detached(struct pgp *, gpgme_key_t signer,
	    const struct iovec *, int iovcnt, struct pgp_sink *,
	    struct pgp_result *);
/* Decrypt and verify any signature inside. */
int	pgp_decrypt(struct pgp *, const char *in, size_t len,
	    struct pgp_sink *, struct pgp_result *);
/* A detached signature over signed bytes. */
int	pgp_verify_detached(struct pgp *, const char *data, size_t len,
	    const char *sig, size_t siglen, struct pgp_result *);
/* A cleartext-signed block; the signed text goes to the sink (NULL:
 * nowhere). */
int	pgp_verify_clear(struct pgp *, const char *in, size_t len,
	    struct pgp_sink *, struct pgp_result *);
/* Replace the home's public keyring with the keys in [data, len). */
int	pgp_load_keyring(struct pgp *, const char *data, size_t len);

const char *pgp_sigstate_name(enum pgp_sigstate);

#endif /* PGPMG_CRYPTOD_PGP_H */
