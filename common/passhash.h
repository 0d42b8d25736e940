/*
 * passhash: the one-way form of a console or portal password.  scrypt
 * (RFC 7914) through OpenSSL 3's EVP_KDF "SCRYPT", kept as a PHC string
 *
 *	$scrypt$ln=17,r=8,p=1$<salt>$<hash>
 *
 * (N = 2^ln; salt and hash in standard base64 without padding, as the
 * PHC string format has them), which the schema's CHECK on
 * users.password_hash accepts.  pgpmgctl hashes (it runs outside any
 * sandbox, and the half second of work never blocks policyd's event loop);
 * policyd only parses what it is given before it stores it; the console
 * will verify.  docs/DESIGN-NOTES.md ("Users and passwords") has the
 * reasons and the measured time.
 *
 * A stored string is parsed strictly and within bounds: anything else is
 * not a match, never a crash, and never a computation larger than the
 * one our own parameters cost many times over.
 */
#ifndef PGPMG_PASSHASH_H
#define PGPMG_PASSHASH_H

#include <stddef.h>
#include <stdint.h>

/* A password: bytes, at most this many (a passphrase of a few hundred
 * words; beyond that it is data, not something typed). */
#define PASSHASH_PASS_MAX	1024

/* What we make: 128 MiB and about 0.6 s of one core per hash where we
 * measured it (docs/DESIGN-NOTES.md), the "interactive logins" cost of
 * the scrypt paper moved on by a decade. */
#define PASSHASH_LN		17
#define PASSHASH_R		8
#define PASSHASH_P		1
#define PASSHASH_SALT_LEN	16
#define PASSHASH_HASH_LEN	32

/* What a stored string may say. */
#define PASSHASH_LN_MIN		10
#define PASSHASH_LN_MAX		20
#define PASSHASH_R_MIN		1
#define PASSHASH_R_MAX		32
#define PASSHASH_P_MIN		1
#define PASSHASH_P_MAX		16
#define PASSHASH_SALT_MIN	8
#define PASSHASH_SALT_MAX	64
#define PASSHASH_HASH_MIN	16
#define PASSHASH_HASH_MAX	64
/* Within those, at most the memory (128 r N bytes) and the work (N r p)
 * of ln 20, r 8, p 1: 1 GiB and 8 times ours.  ln 20 with r 32 would ask
 * for 4 GiB, and p 16 for sixteen times the work, of whoever verifies. */
#define PASSHASH_MEM_MAX	((uint64_t)1 << 30)
#define PASSHASH_WORK_MAX	((uint64_t)8 << 20)
/* The longest string: "$scrypt$ln=20,r=32,p=16$", 86 characters of salt,
 * "$", 86 of hash. */
#define PASSHASH_PHC_MAX	200

/*
 * Random passwords (pgpmgctl's `user passwd --random`, the console's new
 * users and resets): letters and digits but 0, O, o, 1, l and I, which
 * people read wrong; 56 characters, each worth log2(56) = 5.8 bits.
 */
#define PASSHASH_RANDOM_ALPHABET \
	"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
/* The longest a caller may ask for. */
#define PASSHASH_RANDOM_MAX	64

/* A parsed PHC string. */
struct passhash_phc {
	unsigned	 ln;
	unsigned	 r;
	unsigned	 p;
	unsigned char	 salt[PASSHASH_SALT_MAX];
	size_t		 saltlen;
	unsigned char	 hash[PASSHASH_HASH_MAX];
	size_t		 hashlen;
};

/*
 * Hash a password (1 to PASSHASH_PASS_MAX bytes, NUL-terminated) with a
 * fresh random salt and our parameters into phc (at least
 * PASSHASH_PHC_MAX + 1 bytes).  0, or -1 (a bad length, OpenSSL failed).
 */
int	passhash_make(const char *pass, char *phc, size_t phclen);
/*
 * nchars (1 to PASSHASH_RANDOM_MAX) characters of
 * PASSHASH_RANDOM_ALPHABET, each as likely, from RAND_bytes, into out
 * (nchars + 1 bytes).  0, or -1 when there are no random bytes.
 */
int	passhash_random(char *out, size_t nchars);
/* 1 when pass matches phc; 0 otherwise, including for any phc that
 * passhash_parse() refuses. */
int	passhash_verify(const char *pass, const char *phc);
/* 0 and the fields, or -1 for anything but a well-formed string within
 * the bounds above. */
int	passhash_parse(const char *phc, struct passhash_phc *);
/*
 * The KDF itself, every call goes through it: scrypt with N = 2^ln, r and
 * p within the bounds above, into out (outlen bytes, at most
 * PASSHASH_HASH_MAX).  0, or -1.
 */
int	passhash_scrypt(const void *pass, size_t passlen,
	    const unsigned char *salt, size_t saltlen, unsigned ln, unsigned r,
	    unsigned p, unsigned char *out, size_t outlen);

#endif /* PGPMG_PASSHASH_H */
