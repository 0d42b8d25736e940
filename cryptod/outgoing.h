/*
 * outgoing: the forms of an outgoing message (RFC 3156 PGP/MIME, and
 * inline PGP for legacy readers).  Each writes one whole output message
 * into a spool; on failure nothing of it may be sent.
 */
#ifndef PGPMG_CRYPTOD_OUTGOING_H
#define PGPMG_CRYPTOD_OUTGOING_H

#include <gpgme.h>

#include "common/memfd.h"
#include "cryptod/cryptod.h"
#include "cryptod/message.h"

/* multipart/encrypted, signed inside (one OpenPGP message, RFC 3156 6.2)
 * when signer is set; keys: NULL-terminated. */
int	out_encrypt(struct cryptod *, struct message *, gpgme_key_t *keys,
	    gpgme_key_t signer, struct spool *, struct job_err *);
/* multipart/signed */
int	out_sign(struct cryptod *, struct message *, gpgme_key_t signer,
	    struct spool *, struct job_err *);
/* Inline PGP: only for a single text/plain part; -1 with err->code 0
 * when the message has another form (the caller uses PGP/MIME). */
int	out_inline(struct cryptod *, struct message *, gpgme_key_t *keys,
	    gpgme_key_t signer, struct spool *, struct job_err *);
/* 1 when the message is encrypted already (PGP/MIME, S/MIME, inline). */
int	out_is_encrypted(struct message *);

#endif /* PGPMG_CRYPTOD_OUTGOING_H */
