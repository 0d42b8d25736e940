/*
 * incoming: mail to an internal address.  PGP/MIME and inline PGP are
 * decrypted with the keys keyd holds, signatures are verified against the
 * keys the gateway knows, and the result is written into X-PGPMG-* header
 * fields, after every such field that came from outside was removed.  When
 * decryption fails, the original is delivered unchanged and marked, and the
 * recipient gets a notice: mail is never dropped.
 */
#ifndef PGPMG_CRYPTOD_INCOMING_H
#define PGPMG_CRYPTOD_INCOMING_H

#include "common/memfd.h"
#include "cryptod/cryptod.h"
#include "cryptod/message.h"

/* Encrypted or signed blocks handled in one message; more is refused
 * work (each costs a gpg run), and the rest is left as it came. */
#define IN_MAX_BLOCKS	16

enum in_decryption {
	IN_DEC_NONE = 0,	/* nothing was encrypted */
	IN_DEC_OK,
	IN_DEC_FAILED,
};

struct in_result {
	enum in_decryption	 dec;
	char			 reason[160];	/* why it failed */
	struct pgp_sig		 sigs[PGP_MAX_SIGS];
	size_t			 nsigs;
	/* The key that decrypted each encrypted block: a recipient may read
	 * the result only if it holds every one of them. */
	char			 dec_key[IN_MAX_BLOCKS][PGP_FPR_MAX + 1];
	size_t			 ndec;
};

/* Decrypt and verify; the delivered form goes into sp.  -1 and err only
 * when the message cannot be handled at all (a MIME limit). */
int	in_process(struct cryptod *, struct message *, struct spool *,
	    struct in_result *, struct job_err *);
/* The original, unchanged but for our fields: decryption failed. */
int	in_original(struct cryptod *, struct message *, const char *reason,
	    struct spool *);
/* The short notice to a recipient whose message could not be decrypted. */
int	in_notice(struct cryptod *, struct message *, const char *reason,
	    struct spool *);

#endif /* PGPMG_CRYPTOD_INCOMING_H */
