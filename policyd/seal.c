/*
 * seal: AES-256-GCM for policyd's sensitive columns; the format and the
 * key file are described in seal.h.  Pure functions over caller buffers,
 * except seal_keyring_load(), which reads the key file, and the nonce,
 * which comes from getrandom().  Every failure is a distinct code; none
 * returns plaintext.
 */
#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "policyd/seal.h"

#define SEAL_MAGIC		"PGS1"
#define SEAL_MAGIC_LEN		4
#define SEAL_OFF_ALG		4
#define SEAL_OFF_IDLEN		5
#define SEAL_OFF_ID		6
#define SEAL_OFF_NONCE		(SEAL_OFF_ID + SEAL_KEYID_LEN)
#define SEAL_OFF_TAG		SEAL_HDR_LEN
#define SEAL_OFF_CT		SEAL_OVERHEAD
#define SEAL_ID_DOMAIN		"pgpmg-seal-key-id"
/* A key file: a few keys, comments; anything larger is not one. */
#define SEAL_FILE_MAX		4096

int
seal_key_init(struct seal_key *k, const unsigned char key[SEAL_KEY_LEN])
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 buf[sizeof(SEAL_ID_DOMAIN) + SEAL_KEY_LEN];
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen = 0;
	int			 ok;

	if (k == NULL || key == NULL)
		return SEAL_E_ARG;
	memset(k, 0, sizeof(*k));
	/* sizeof includes the domain's NUL: it separates domain and key. */
	memcpy(buf, SEAL_ID_DOMAIN, sizeof(SEAL_ID_DOMAIN));
	memcpy(buf + sizeof(SEAL_ID_DOMAIN), key, SEAL_KEY_LEN);
	ok = EVP_Digest(buf, sizeof(buf), md, &mdlen, EVP_sha256(), NULL);
	explicit_bzero(buf, sizeof(buf));
	if (ok != 1 || mdlen < SEAL_KEYID_LEN / 2)
		return SEAL_E_CRYPTO;
	memcpy(k->key, key, SEAL_KEY_LEN);
	for (size_t i = 0; i < SEAL_KEYID_LEN / 2; i++) {
		k->id[2 * i] = hex[md[i] >> 4];
		k->id[2 * i + 1] = hex[md[i] & 0xf];
	}
	k->id[SEAL_KEYID_LEN] = '\0';
	return SEAL_OK;
}

void
seal_key_clear(struct seal_key *k)
{
	if (k != NULL)
		explicit_bzero(k, sizeof(*k));
}

size_t
seal_size(size_t len)
{
	return SEAL_OVERHEAD + len;
}

static int
seal_random(unsigned char *p, size_t len)
{
	size_t	 off = 0;
	ssize_t	 n;

	while (off < len) {
		if ((n = getrandom(p + off, len - off, 0)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		off += (size_t)n;
	}
	return 0;
}

/* The GCM context for key and nonce, with the header and aad absorbed. */
static EVP_CIPHER_CTX *
seal_ctx(int enc, const struct seal_key *k, const unsigned char *hdr,
    const void *aad, size_t aadlen)
{
	EVP_CIPHER_CTX	*ctx;
	int		 outl;

	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return NULL;
	if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL,
	    enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SEAL_NONCE_LEN,
	    NULL) != 1 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, k->key, hdr + SEAL_OFF_NONCE,
	    enc) != 1 ||
	    EVP_CipherUpdate(ctx, NULL, &outl, hdr, SEAL_HDR_LEN) != 1 ||
	    (aadlen > 0 && EVP_CipherUpdate(ctx, NULL, &outl, aad,
	    (int)aadlen) != 1)) {
		EVP_CIPHER_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

int
seal(const struct seal_key *k, const void *pt, size_t ptlen, const void *aad,
    size_t aadlen, unsigned char *out, size_t outlen, size_t *written)
{
	EVP_CIPHER_CTX	*ctx;
	int		 l1 = 0, l2 = 0, rc = SEAL_E_CRYPTO;

	if (written != NULL)
		*written = 0;
	if (k == NULL || out == NULL || written == NULL ||
	    (pt == NULL && ptlen > 0) || (aad == NULL && aadlen > 0) ||
	    aadlen > SEAL_MAX_AAD)
		return SEAL_E_ARG;
	if (ptlen > SEAL_MAX_PLAINTEXT || outlen < seal_size(ptlen))
		return SEAL_E_SIZE;

	memcpy(out, SEAL_MAGIC, SEAL_MAGIC_LEN);
	out[SEAL_OFF_ALG] = SEAL_ALG_AES256GCM;
	out[SEAL_OFF_IDLEN] = SEAL_KEYID_LEN;
	memcpy(out + SEAL_OFF_ID, k->id, SEAL_KEYID_LEN);
	if (seal_random(out + SEAL_OFF_NONCE, SEAL_NONCE_LEN) == -1)
		goto fail;
	if ((ctx = seal_ctx(1, k, out, aad, aadlen)) == NULL)
		goto fail;
	if ((ptlen > 0 && EVP_EncryptUpdate(ctx, out + SEAL_OFF_CT, &l1, pt,
	    (int)ptlen) != 1) ||
	    EVP_EncryptFinal_ex(ctx, out + SEAL_OFF_CT + l1, &l2) != 1 ||
	    (size_t)l1 + (size_t)l2 != ptlen ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SEAL_TAG_LEN,
	    out + SEAL_OFF_TAG) != 1) {
		EVP_CIPHER_CTX_free(ctx);
		goto fail;
	}
	EVP_CIPHER_CTX_free(ctx);
	*written = seal_size(ptlen);
	return SEAL_OK;

 fail:
	explicit_bzero(out, outlen);
	return rc;
}

/* The header's checks, short of the key: SEAL_OK and the id, or why not. */
static int
seal_check_header(const unsigned char *blob, size_t bloblen,
    char id[SEAL_KEYID_LEN + 1])
{
	if (blob == NULL)
		return SEAL_E_ARG;
	if (bloblen < SEAL_MAGIC_LEN + 2 ||
	    memcmp(blob, SEAL_MAGIC, SEAL_MAGIC_LEN) != 0)
		return SEAL_E_FORMAT;
	if (blob[SEAL_OFF_ALG] != SEAL_ALG_AES256GCM)
		return SEAL_E_ALG;
	if (blob[SEAL_OFF_IDLEN] != SEAL_KEYID_LEN || bloblen < SEAL_OVERHEAD)
		return SEAL_E_FORMAT;
	if (bloblen - SEAL_OVERHEAD > SEAL_MAX_PLAINTEXT)
		return SEAL_E_SIZE;
	for (size_t i = 0; i < SEAL_KEYID_LEN; i++) {
		unsigned char c = blob[SEAL_OFF_ID + i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return SEAL_E_FORMAT;
		id[i] = (char)c;
	}
	id[SEAL_KEYID_LEN] = '\0';
	return SEAL_OK;
}

int
seal_blob_key_id(const unsigned char *blob, size_t bloblen,
    char id[SEAL_KEYID_LEN + 1])
{
	if (id == NULL)
		return SEAL_E_ARG;
	id[0] = '\0';
	return seal_check_header(blob, bloblen, id);
}

int
seal_open(const struct seal_key *k, const unsigned char *blob, size_t bloblen,
    const void *aad, size_t aadlen, unsigned char *pt, size_t ptcap,
    size_t *ptlen)
{
	EVP_CIPHER_CTX	*ctx = NULL;
	unsigned char	 tag[SEAL_TAG_LEN];
	char		 id[SEAL_KEYID_LEN + 1];
	size_t		 ctlen;
	int		 l1 = 0, l2 = 0, rc;

	if (ptlen != NULL)
		*ptlen = 0;
	if (k == NULL || ptlen == NULL || (pt == NULL && ptcap > 0) ||
	    (aad == NULL && aadlen > 0) || aadlen > SEAL_MAX_AAD) {
		rc = SEAL_E_ARG;
		goto fail;
	}
	if ((rc = seal_check_header(blob, bloblen, id)) != SEAL_OK)
		goto fail;
	if (strcmp(id, k->id) != 0) {
		rc = SEAL_E_KEYID;
		goto fail;
	}
	ctlen = bloblen - SEAL_OVERHEAD;
	if (ptcap < ctlen) {
		rc = SEAL_E_SIZE;
		goto fail;
	}
	rc = SEAL_E_CRYPTO;
	if ((ctx = seal_ctx(0, k, blob, aad, aadlen)) == NULL)
		goto fail;
	if (ctlen > 0 && EVP_DecryptUpdate(ctx, pt, &l1, blob + SEAL_OFF_CT,
	    (int)ctlen) != 1)
		goto fail;
	memcpy(tag, blob + SEAL_OFF_TAG, SEAL_TAG_LEN);
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SEAL_TAG_LEN,
	    tag) != 1)
		goto fail;
	if (EVP_DecryptFinal_ex(ctx, pt + l1, &l2) != 1) {
		rc = SEAL_E_AUTH;
		goto fail;
	}
	if ((size_t)l1 + (size_t)l2 != ctlen)
		goto fail;
	EVP_CIPHER_CTX_free(ctx);
	*ptlen = ctlen;
	return SEAL_OK;

 fail:
	EVP_CIPHER_CTX_free(ctx);
	if (pt != NULL && ptcap > 0)
		explicit_bzero(pt, ptcap);
	return rc;
}

const struct seal_key *
seal_keyring_find(const struct seal_keyring *ring, const char *id)
{
	if (ring == NULL || id == NULL)
		return NULL;
	for (size_t i = 0; i < ring->n && i < SEAL_MAX_KEYS; i++)
		if (strcmp(ring->keys[i].id, id) == 0)
			return &ring->keys[i];
	return NULL;
}

int
seal_keyring_open(const struct seal_keyring *ring, const unsigned char *blob,
    size_t bloblen, const void *aad, size_t aadlen, unsigned char *pt,
    size_t ptcap, size_t *ptlen)
{
	const struct seal_key	*k;
	char			 id[SEAL_KEYID_LEN + 1];
	int			 rc;

	if (ptlen != NULL)
		*ptlen = 0;
	if (ring == NULL)
		rc = SEAL_E_ARG;
	else if ((rc = seal_blob_key_id(blob, bloblen, id)) == SEAL_OK) {
		if ((k = seal_keyring_find(ring, id)) != NULL)
			return seal_open(k, blob, bloblen, aad, aadlen, pt,
			    ptcap, ptlen);
		rc = SEAL_E_KEYID;
	}
	if (pt != NULL && ptcap > 0)
		explicit_bzero(pt, ptcap);
	return rc;
}

static void	seal_err(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static void
seal_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
seal_keyring_parse(struct seal_keyring *ring, const char *text, size_t len,
    char *err, size_t errlen)
{
	unsigned char	 key[SEAL_KEY_LEN];
	const char	*cur, *end, *nl;
	size_t		 llen;
	unsigned	 line = 0;

	if (ring == NULL || (text == NULL && len > 0)) {
		seal_err(err, errlen, "no key ring or text");
		return -1;
	}
	memset(ring, 0, sizeof(*ring));
	if (len > 0 && memchr(text, '\0', len) != NULL) {
		seal_err(err, errlen, "NUL byte in the key file");
		return -1;
	}
	for (cur = text, end = text + len; cur < end;
	    cur = nl < end ? nl + 1 : end) {
		line++;
		if ((nl = memchr(cur, '\n', (size_t)(end - cur))) == NULL)
			nl = end;
		llen = (size_t)(nl - cur);
		while (llen > 0 && (cur[llen - 1] == '\r' ||
		    cur[llen - 1] == ' ' || cur[llen - 1] == '\t'))
			llen--;
		while (llen > 0 && (*cur == ' ' || *cur == '\t')) {
			cur++;
			llen--;
		}
		if (llen == 0 || *cur == '#')
			continue;
		if (llen != 2 * SEAL_KEY_LEN) {
			seal_err(err, errlen, "line %u: a key is %d hex digits",
			    line, 2 * SEAL_KEY_LEN);
			goto fail;
		}
		for (size_t i = 0; i < SEAL_KEY_LEN; i++) {
			int hi = hexval((unsigned char)cur[2 * i]);
			int lo = hexval((unsigned char)cur[2 * i + 1]);
			if (hi < 0 || lo < 0) {
				seal_err(err, errlen, "line %u: not a hex "
				    "digit", line);
				goto fail;
			}
			key[i] = (unsigned char)(hi << 4 | lo);
		}
		if (ring->n == SEAL_MAX_KEYS) {
			seal_err(err, errlen, "line %u: more than %d keys",
			    line, SEAL_MAX_KEYS);
			goto fail;
		}
		if (seal_key_init(&ring->keys[ring->n], key) != SEAL_OK) {
			seal_err(err, errlen, "line %u: cannot compute the "
			    "key id", line);
			goto fail;
		}
		for (size_t i = 0; i < ring->n; i++)
			if (strcmp(ring->keys[i].id, ring->keys[ring->n].id) ==
			    0) {
				seal_err(err, errlen, "line %u: the same key "
				    "as an earlier line (id %s)", line,
				    ring->keys[i].id);
				goto fail;
			}
		ring->n++;
	}
	explicit_bzero(key, sizeof(key));
	if (ring->n == 0) {
		seal_err(err, errlen, "no key (one line of %d hex digits "
		    "expected)", 2 * SEAL_KEY_LEN);
		return -1;
	}
	return 0;

 fail:
	explicit_bzero(key, sizeof(key));
	seal_keyring_clear(ring);
	return -1;
}

int
seal_keyring_load(struct seal_keyring *ring, const char *path, char *err,
    size_t errlen)
{
	struct stat	 st;
	char		 buf[SEAL_FILE_MAX + 1], perr[256];
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd, rc = -1;

	if (ring != NULL)
		memset(ring, 0, sizeof(*ring));
	if (ring == NULL || path == NULL) {
		seal_err(err, errlen, "no key ring or path");
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
	    O_NOCTTY)) == -1) {
		seal_err(err, errlen, "%s: %s%s", path, strerror(errno),
		    errno == ELOOP ? " (a symbolic link is refused)" : "");
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		seal_err(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		seal_err(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_uid != 0 || (st.st_mode & 077) != 0) {
		seal_err(err, errlen, "%s: must be owned by root with mode "
		    "0600 (it is uid %ld, mode %04o): chown root %s; "
		    "chmod 0600 %s", path, (long)st.st_uid,
		    (unsigned)(st.st_mode & 07777), path, path);
		goto out;
	}
	for (;;) {
		if ((n = read(fd, buf + len, sizeof(buf) - len)) == -1) {
			if (errno == EINTR)
				continue;
			seal_err(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > SEAL_FILE_MAX) {
			seal_err(err, errlen, "%s: larger than %d bytes: not "
			    "a key file", path, SEAL_FILE_MAX);
			goto out;
		}
	}
	if (seal_keyring_parse(ring, buf, len, perr, sizeof(perr)) == -1) {
		seal_err(err, errlen, "%s: %s", path, perr);
		goto out;
	}
	rc = 0;
 out:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return rc;
}

void
seal_keyring_clear(struct seal_keyring *ring)
{
	if (ring != NULL)
		explicit_bzero(ring, sizeof(*ring));
}

const char *
seal_strerror(int rc)
{
	switch (rc) {
	case SEAL_OK:		return "ok";
	case SEAL_E_ARG:	return "invalid argument";
	case SEAL_E_SIZE:	return "value or buffer size out of bounds";
	case SEAL_E_FORMAT:	return "not a sealed value, or truncated";
	case SEAL_E_ALG:	return "unknown algorithm";
	case SEAL_E_KEYID:	return "sealed under another key";
	case SEAL_E_AUTH:	return "authentication failed (wrong key, "
				    "altered value or wrong context)";
	case SEAL_E_CRYPTO:	return "cryptographic library failure";
	}
	return "unknown error";
}
