/*
 * secrets: policyd's named secrets, in pgpmg.secrets, sealed (seal.h)
 * under the first key of policyd-key-file with the additional data
 * "pgpmg.secrets:" and the row's name, so that a value moved to another
 * row does not open.  Only policyd ever sees a value in the clear.
 *
 * secrets_get() gives a module of policyd the value of a name, making it
 * the first time: len random bytes, sealed and inserted with ON CONFLICT
 * DO NOTHING, then read back, so that gateways sharing the database that
 * race to make it all end with the winner's value.  Making one is logged,
 * not audited (nothing was decided by anybody); re-sealing one under a
 * new key is audited (sealrotate.c).
 *
 * A stored value that does not open (a key no longer in the key file, an
 * altered blob, one copied from another row, a length other than the one
 * asked for) is never replaced: the caller is told SECRETS_BROKEN and
 * must fail closed, and the log names the row and why, for an
 * administrator to restore the key or delete the row.
 *
 * The key ring and every value in the clear live in one locked page
 * range (never swapped, left out of core dumps), mapped as root before
 * the sandbox and wiped when policyd exits; a value in the clear exists
 * only for the length of its callback.  The first secret is the console's
 * session key, which webd's sessions and CSRF tokens are keyed with:
 * policyd fetches it (making it if need be) whenever the database is up
 * and it has not got it yet, and keeps it for its life.
 */
#ifndef PGPMG_POLICYD_SECRETS_H
#define PGPMG_POLICYD_SECRETS_H

#include <stddef.h>

#include "policyd/seal.h"

/* The table's CHECK on name. */
#define SECRETS_NAME_MAX	400
/* "pgpmg.secrets:" and a name: below SEAL_MAX_AAD. */
#define SECRETS_AAD_PREFIX	"pgpmg.secrets:"
#define SECRETS_AAD_MAX		(sizeof(SECRETS_AAD_PREFIX) - 1 + \
				    SECRETS_NAME_MAX)

/* The console's session and CSRF key: 256 bits for HMAC-SHA-256. */
#define SECRETS_CONSOLE_KEY	"console.session-key"
#define SECRETS_CONSOLE_KEY_LEN	32
/* While the database is up and the console key is not loaded, it is
 * asked for again this often after an answer that was not one (a
 * timeout, a lost connection): soon, but not in a loop.  A value that
 * does not open is asked for again every housekeeping-interval, which
 * is also how often its error is logged again. */
#define SECRETS_RETRY_SEC	30

enum secrets_status {
	SECRETS_OK = 0,
	SECRETS_UNAVAILABLE,	/* no answer from the database: later */
	SECRETS_BROKEN,		/* stored, but does not open: never replaced */
};

/* The value (len bytes, wiped when the callback returns) with
 * SECRETS_OK; NULL and 0 otherwise.  Always called from the loop. */
typedef void	(*secrets_cb)(enum secrets_status, const unsigned char *value,
		    size_t len, void *arg);

struct child;

/*
 * Before the sandbox, as root: map and lock the page range, and load
 * policyd-key-file into it (seal_keyring_load()); fatal with the file's
 * name and what is wrong when it cannot be loaded.
 */
void	secrets_prepare(const char *key_file);
/* On the loop: fetch the console key whenever the database comes up. */
void	secrets_init(struct child *);

/*
 * The value of name (1 to SECRETS_NAME_MAX bytes, no control
 * characters), len bytes (1 to SEAL_MAX_PLAINTEXT), made if there is
 * none.  Anything else is a bug in policyd: fatal.
 */
void	secrets_get(const char *name, size_t len, secrets_cb, void *arg);

/* The console key (SECRETS_CONSOLE_KEY_LEN bytes), NULL until loaded. */
const unsigned char *secrets_console_key(void);

/* The key ring: [0] seals. */
const struct seal_keyring *secrets_keyring(void);

/*
 * Re-seal name's blob under the first key: open it with the ring's key
 * its header names, seal the value again into out (outcap bytes; the
 * blob's own length is enough), and wipe the value.  A seal_err code;
 * on failure *outlen is 0.
 */
int	secrets_reseal(const char *name, const unsigned char *blob,
	    size_t bloblen, unsigned char *out, size_t outcap, size_t *outlen);

/* Why a blob did not open, for the log: rc (a seal_err code) in words,
 * and for SEAL_E_KEYID the key the blob names. */
void	secrets_describe(int rc, const unsigned char *blob, size_t bloblen,
	    char *buf, size_t cap);

/*
 * A blob as the statements read it (encode(sealed, 'hex')): into a new
 * buffer (free() it), or NULL when the text is not even hex of a length
 * a blob may have.
 */
unsigned char *secrets_blob_from_hex(const char *hex, size_t hexlen,
	    size_t *len);
/* And back, for a parameter: a new NUL-terminated string. */
char	*secrets_blob_to_hex(const unsigned char *blob, size_t len);

#endif /* PGPMG_POLICYD_SECRETS_H */
