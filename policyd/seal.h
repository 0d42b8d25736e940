/*
 * seal: policyd's column encryption.  Sensitive values (secrets of the web
 * console, stored passphrases or tokens) are sealed with AES-256-GCM under
 * a key only policyd reads (policyd-key-file) before they reach the
 * database, and opened only by policyd.
 *
 * A sealed value is one self-describing blob (a bytea column):
 *
 *	offset	len	
 *	0	4	magic "PGS1"
 *	4	1	algorithm: 1 = aes-256-gcm
 *	5	1	key id length: 16
 *	6	16	key id, lower-case hex (see below)
 *	22	12	nonce, random for every seal
 *	34	16	GCM tag
 *	50	n	ciphertext, as long as the plaintext
 *
 * The GCM additional data is the 34-byte header (magic to nonce) followed
 * by the caller's aad, which binds the value to where it is stored (for
 * pgpmg.secrets: "pgpmg.secrets:" and the row's name), so a blob moved to
 * another row does not open.  seal_open() checks every field and fails
 * closed: on any failure no plaintext is returned (the buffer is wiped).
 *
 * A key is 32 random bytes; its id is the first 8 bytes of
 * SHA-256("pgpmg-seal-key-id" NUL key), in hex: it names the key without
 * revealing it, and a new key has a new id by itself.
 *
 * The key file holds one key per line, 64 hex digits; blank lines and
 * lines starting with '#' are ignored.  The first key seals; all of them
 * open (old keys kept for rotation, docs/DESIGN-NOTES.md).  It must be a
 * regular file owned by root, with no access for group or others.
 */
#ifndef PGPMG_SEAL_H
#define PGPMG_SEAL_H

#include <stddef.h>

#define SEAL_KEY_LEN		32
#define SEAL_KEYID_LEN		16	/* hex digits */
#define SEAL_NONCE_LEN		12
#define SEAL_TAG_LEN		16
#define SEAL_HDR_LEN		(4 + 1 + 1 + SEAL_KEYID_LEN + SEAL_NONCE_LEN)
#define SEAL_OVERHEAD		(SEAL_HDR_LEN + SEAL_TAG_LEN)
#define SEAL_MAX_PLAINTEXT	(64 * 1024)
#define SEAL_MAX_AAD		1024
#define SEAL_MAX_KEYS		8
#define SEAL_ALG_AES256GCM	1
#define SEAL_ALG_NAME		"aes-256-gcm"

enum seal_err {
	SEAL_OK = 0,
	SEAL_E_ARG,		/* a NULL pointer, an over-long aad */
	SEAL_E_SIZE,		/* plaintext too long, output too small */
	SEAL_E_FORMAT,		/* not a sealed value, or truncated */
	SEAL_E_ALG,		/* an algorithm we do not know */
	SEAL_E_KEYID,		/* sealed under another key */
	SEAL_E_AUTH,		/* tag mismatch: wrong key, altered, wrong aad */
	SEAL_E_CRYPTO,		/* OpenSSL or the random source failed */
};

struct seal_key {
	unsigned char	 key[SEAL_KEY_LEN];
	char		 id[SEAL_KEYID_LEN + 1];
};

struct seal_keyring {
	struct seal_key	 keys[SEAL_MAX_KEYS];	/* [0] seals */
	size_t		 n;
};

/* A key from its 32 bytes; computes its id.  SEAL_E_CRYPTO on failure. */
int	seal_key_init(struct seal_key *, const unsigned char key[SEAL_KEY_LEN]);
void	seal_key_clear(struct seal_key *);

/* The blob's size for a plaintext of len bytes. */
size_t	seal_size(size_t len);

/*
 * Seal pt[0..ptlen) with aad[0..aadlen) into out (outlen bytes, at least
 * seal_size(ptlen)); *written is the blob's length.
 */
int	seal(const struct seal_key *, const void *pt, size_t ptlen,
	    const void *aad, size_t aadlen, unsigned char *out, size_t outlen,
	    size_t *written);

/*
 * Open a blob sealed under key with the same aad into pt (ptcap bytes; a
 * blob of n bytes needs n - SEAL_OVERHEAD).  On failure pt[0..ptcap) is
 * wiped and *ptlen is 0.
 */
int	seal_open(const struct seal_key *, const unsigned char *blob,
	    size_t bloblen, const void *aad, size_t aadlen, unsigned char *pt,
	    size_t ptcap, size_t *ptlen);

/* The key id a blob names (NUL-terminated), after checking its header. */
int	seal_blob_key_id(const unsigned char *blob, size_t bloblen,
	    char id[SEAL_KEYID_LEN + 1]);

/* The key of the ring with that id, or NULL. */
const struct seal_key *seal_keyring_find(const struct seal_keyring *,
	    const char *id);

/* seal_open() with the ring's key that the blob names. */
int	seal_keyring_open(const struct seal_keyring *, const unsigned char *blob,
	    size_t bloblen, const void *aad, size_t aadlen, unsigned char *pt,
	    size_t ptcap, size_t *ptlen);

/*
 * Parse the key file's text (len bytes, no NUL needed); on failure return
 * -1 with a message ("line N: ...") in err.
 */
int	seal_keyring_parse(struct seal_keyring *, const char *text, size_t len,
	    char *err, size_t errlen);

/*
 * Read and parse the key file at path, as root before the sandbox: it
 * must be a regular file (not a link) owned by root with no access for
 * group or others.  Returns -1 with "PATH: ..." in err.
 */
int	seal_keyring_load(struct seal_keyring *, const char *path, char *err,
	    size_t errlen);

void	seal_keyring_clear(struct seal_keyring *);

const char *seal_strerror(int);

#endif /* PGPMG_SEAL_H */
