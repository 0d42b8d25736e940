/*
 * token: session ids, their hashes and their CSRF tokens; see token.h.
 */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "common/log.h"
#include "policyd/secrets.h"
#include "policyd/token.h"

_Static_assert(CONSOLE_TOKEN_LEN == 2 * SHA256_DIGEST_LENGTH,
    "a token is 32 bytes in hex");

static void
token_hex(const unsigned char *p, size_t len, char *out)
{
	static const char	 digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * len] = '\0';
}

int
token_session_new(char *id)
{
	unsigned char	 r[CONSOLE_TOKEN_LEN / 2];

	if (RAND_bytes(r, sizeof(r)) != 1)
		return -1;
	token_hex(r, sizeof(r), id);
	explicit_bzero(r, sizeof(r));
	return 0;
}

int
token_session_valid(const char *id)
{
	size_t	 i;

	for (i = 0; i < CONSOLE_TOKEN_LEN; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		    (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	return id[i] == '\0';
}

void
token_session_hash(const char *id, char *out)
{
	unsigned char	 md[SHA256_DIGEST_LENGTH];

	if (!token_session_valid(id))
		fatalx("token: hashing what is not a session id");
	if (SHA256((const unsigned char *)id, CONSOLE_TOKEN_LEN, md) == NULL)
		fatalx("token: SHA256");
	token_hex(md, sizeof(md), out);
}

void
token_csrf(const unsigned char *key, const char *id, char *out)
{
	unsigned char	 msg[sizeof(TOKEN_CSRF_CONTEXT) + CONSOLE_TOKEN_LEN];
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;

	if (key == NULL || !token_session_valid(id))
		fatalx("token: a CSRF token without a key or a session id");
	/* The context with its NUL, then the id's digits. */
	memcpy(msg, TOKEN_CSRF_CONTEXT, sizeof(TOKEN_CSRF_CONTEXT));
	memcpy(msg + sizeof(TOKEN_CSRF_CONTEXT), id, CONSOLE_TOKEN_LEN);
	if (HMAC(EVP_sha256(), key, SECRETS_CONSOLE_KEY_LEN, msg, sizeof(msg),
	    md, &mdlen) == NULL || mdlen != SHA256_DIGEST_LENGTH)
		fatalx("token: HMAC");
	token_hex(md, mdlen, out);
	explicit_bzero(md, sizeof(md));
}
