/*
 * passhash: scrypt password hashes as PHC strings; see passhash.h.  The
 * base64 here is our own, strict in both directions: the PHC format has
 * no padding and OpenSSL's EVP_DecodeBlock wants it, and accepting only
 * the canonical form means one hash has exactly one spelling.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "common/passhash.h"

#define PHC_PREFIX	"$scrypt$"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Characters of the base64 of n bytes, without padding. */
#define B64_LEN(n)	(((n) * 4 + 2) / 3)

static void
b64_encode(const unsigned char *in, size_t len, char *out)
{
	uint32_t	 acc = 0;
	int		 bits = 0;
	size_t		 o = 0;

	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = b64_alphabet[(acc >> bits) & 0x3f];
		}
		acc &= (1u << bits) - 1;
	}
	if (bits > 0)
		out[o++] = b64_alphabet[(acc << (6 - bits)) & 0x3f];
	out[o] = '\0';
}

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * The n characters at s into out: min to max bytes, no padding, and the
 * bits of the last character that make no byte must be zero (the
 * canonical form).  -1 for anything else.
 */
static int
b64_decode(const char *s, size_t n, unsigned char *out, size_t min,
    size_t max, size_t *outlen)
{
	uint32_t	 acc = 0;
	int		 bits = 0, v;
	size_t		 o = 0, want;

	want = n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1);
	if (n % 4 == 1 || want < min || want > max)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if ((v = b64_value((unsigned char)s[i])) == -1)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
		acc &= (1u << bits) - 1;
	}
	if (acc != 0)
		return -1;
	*outlen = o;
	return 0;
}

/* Whether scrypt may be asked for this much memory and work. */
static int
cost_ok(unsigned ln, unsigned r, unsigned p)
{
	uint64_t	 n;

	if (ln < PASSHASH_LN_MIN || ln > PASSHASH_LN_MAX ||
	    r < PASSHASH_R_MIN || r > PASSHASH_R_MAX ||
	    p < PASSHASH_P_MIN || p > PASSHASH_P_MAX)
		return 0;
	n = (uint64_t)1 << ln;
	return 128 * r * n <= PASSHASH_MEM_MAX &&
	    n * r * p <= PASSHASH_WORK_MAX;
}

int
passhash_scrypt(const void *pass, size_t passlen, const unsigned char *salt,
    size_t saltlen, unsigned ln, unsigned r, unsigned p, unsigned char *out,
    size_t outlen)
{
	EVP_KDF		*kdf;
	EVP_KDF_CTX	*ctx = NULL;
	OSSL_PARAM	 params[7];
	uint64_t	 n, maxmem;
	uint32_t	 r32 = r, p32 = p;
	int		 rc = -1;

	if (passlen > PASSHASH_PASS_MAX || saltlen < PASSHASH_SALT_MIN ||
	    saltlen > PASSHASH_SALT_MAX || outlen < PASSHASH_HASH_MIN ||
	    outlen > PASSHASH_HASH_MAX || !cost_ok(ln, r, p))
		return -1;
	n = (uint64_t)1 << ln;
	/*
	 * OpenSSL refuses to use more than maxmem bytes, 32 MiB unless told
	 * otherwise, which our own N = 2^17, r = 8 (128 MiB) exceeds: allow
	 * what these parameters need, its B and V arrays, and no more.
	 */
	maxmem = 128 * (uint64_t)r * p + 128 * (uint64_t)r * (n + 2);
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
	    (void *)pass, passlen);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
	    (void *)salt, saltlen);
	params[2] = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
	params[3] = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r32);
	params[4] = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p32);
	params[5] = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM,
	    &maxmem);
	params[6] = OSSL_PARAM_construct_end();

	if ((kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_SCRYPT, NULL)) == NULL)
		return -1;
	if ((ctx = EVP_KDF_CTX_new(kdf)) != NULL &&
	    EVP_KDF_derive(ctx, out, outlen, params) == 1)
		rc = 0;
	else
		OPENSSL_cleanse(out, outlen);
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return rc;
}

int
passhash_make(const char *pass, char *phc, size_t phclen)
{
	unsigned char	 salt[PASSHASH_SALT_LEN], hash[PASSHASH_HASH_LEN];
	char		 salt64[B64_LEN(PASSHASH_SALT_LEN) + 1];
	char		 hash64[B64_LEN(PASSHASH_HASH_LEN) + 1];
	size_t		 len = strnlen(pass, PASSHASH_PASS_MAX + 1);
	int		 n, rc = -1;

	if (len == 0 || len > PASSHASH_PASS_MAX ||
	    phclen < PASSHASH_PHC_MAX + 1)
		return -1;
	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return -1;
	if (passhash_scrypt(pass, len, salt, sizeof(salt), PASSHASH_LN,
	    PASSHASH_R, PASSHASH_P, hash, sizeof(hash)) == -1)
		goto out;
	b64_encode(salt, sizeof(salt), salt64);
	b64_encode(hash, sizeof(hash), hash64);
	n = snprintf(phc, phclen, PHC_PREFIX "ln=%d,r=%d,p=%d$%s$%s",
	    PASSHASH_LN, PASSHASH_R, PASSHASH_P, salt64, hash64);
	if (n > 0 && (size_t)n < phclen)
		rc = 0;
out:
	OPENSSL_cleanse(hash, sizeof(hash));
	OPENSSL_cleanse(hash64, sizeof(hash64));
	if (rc == -1)
		OPENSSL_cleanse(phc, phclen);
	return rc;
}

/*
 * "NAME=" and a decimal number from min to max, without sign or leading
 * zeros, at *sp; *sp moves past it.
 */
static int
phc_number(const char **sp, const char *name, unsigned min, unsigned max,
    unsigned *v)
{
	const char	*s = *sp;
	size_t		 len = strlen(name);
	unsigned	 n = 0;
	int		 digits = 0;

	if (strncmp(s, name, len) != 0 || s[len] != '=')
		return -1;
	s += len + 1;
	if (s[0] == '0')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		/* The bounds are two digits at most: no overflow. */
		if (++digits > 2)
			return -1;
		n = n * 10 + (unsigned)(*s - '0');
	}
	if (digits == 0 || n < min || n > max)
		return -1;
	*v = n;
	*sp = s;
	return 0;
}

int
passhash_parse(const char *phc, struct passhash_phc *h)
{
	const char	*s = phc, *salt, *dollar;
	size_t		 len = strnlen(phc, PASSHASH_PHC_MAX + 1);

	memset(h, 0, sizeof(*h));
	if (len > PASSHASH_PHC_MAX || strncmp(s, PHC_PREFIX,
	    strlen(PHC_PREFIX)) != 0)
		goto bad;
	s += strlen(PHC_PREFIX);
	if (phc_number(&s, "ln", PASSHASH_LN_MIN, PASSHASH_LN_MAX, &h->ln) ==
	    -1 || *s++ != ',' ||
	    phc_number(&s, "r", PASSHASH_R_MIN, PASSHASH_R_MAX, &h->r) == -1 ||
	    *s++ != ',' ||
	    phc_number(&s, "p", PASSHASH_P_MIN, PASSHASH_P_MAX, &h->p) == -1 ||
	    *s++ != '$')
		goto bad;
	if (!cost_ok(h->ln, h->r, h->p))
		goto bad;
	salt = s;
	if ((dollar = strchr(salt, '$')) == NULL)
		goto bad;
	if (b64_decode(salt, (size_t)(dollar - salt), h->salt,
	    PASSHASH_SALT_MIN, PASSHASH_SALT_MAX, &h->saltlen) == -1 ||
	    b64_decode(dollar + 1, strlen(dollar + 1), h->hash,
	    PASSHASH_HASH_MIN, PASSHASH_HASH_MAX, &h->hashlen) == -1)
		goto bad;
	return 0;
bad:
	OPENSSL_cleanse(h, sizeof(*h));
	return -1;
}

int
passhash_verify(const char *pass, const char *phc)
{
	struct passhash_phc	 h;
	unsigned char		 out[PASSHASH_HASH_MAX];
	size_t			 len;
	int			 match = 0;

	if (pass == NULL || phc == NULL)
		return 0;
	len = strnlen(pass, PASSHASH_PASS_MAX + 1);
	if (len == 0 || len > PASSHASH_PASS_MAX ||
	    passhash_parse(phc, &h) == -1)
		return 0;
	if (passhash_scrypt(pass, len, h.salt, h.saltlen, h.ln, h.r, h.p,
	    out, h.hashlen) == 0)
		match = CRYPTO_memcmp(out, h.hash, h.hashlen) == 0;
	OPENSSL_cleanse(out, sizeof(out));
	OPENSSL_cleanse(&h, sizeof(h));
	return match;
}

int
passhash_random(char *out, size_t nchars)
{
	static const char	 alphabet[] = PASSHASH_RANDOM_ALPHABET;
	const size_t		 nalpha = sizeof(alphabet) - 1;
	unsigned char		 b[64];
	size_t			 n = 0, i = sizeof(b);

	if (nchars == 0 || nchars > PASSHASH_RANDOM_MAX)
		return -1;
	while (n < nchars) {
		if (i == sizeof(b)) {
			if (RAND_bytes(b, sizeof(b)) != 1) {
				OPENSSL_cleanse(out, n);
				OPENSSL_cleanse(b, sizeof(b));
				return -1;
			}
			i = 0;
		}
		/* Bytes from 4 x 56 on would favour the first 32
		 * characters: drawn again. */
		if (b[i] < 4 * nalpha)
			out[n++] = alphabet[b[i] % nalpha];
		i++;
	}
	out[n] = '\0';
	OPENSSL_cleanse(b, sizeof(b));
	return 0;
}
