/*
 * Tests for common/passhash.c: the known answer of RFC 7914 through the
 * KDF call every hash goes through; our own strings (their exact form,
 * the schema's CHECK, a round trip, a wrong password, a fresh salt each
 * time); and every way a stored string can be wrong, each of which must
 * be refused by the parser and be no match, without running scrypt on
 * parameters beyond the bounds.  Strings with cheap parameters (ln 10)
 * are made here from passhash_scrypt() so that most tests cost
 * milliseconds; only the round trip pays for our own parameters.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/evp.h>

#include "common/passhash.h"

/* RFC 7914, section 12: scrypt (P="pleaseletmein", S="SodiumChloride",
 * N=16384, r=8, p=1, dkLen=64). */
static const unsigned char rfc7914_dk[64] = {
	0x70, 0x23, 0xbd, 0xcb, 0x3a, 0xfd, 0x73, 0x48,
	0x46, 0x1c, 0x06, 0xcd, 0x81, 0xfd, 0x38, 0xeb,
	0xfd, 0xa8, 0xfb, 0xba, 0x90, 0x4f, 0x8e, 0x3e,
	0xa9, 0xb5, 0x43, 0xf6, 0x54, 0x5d, 0xa1, 0xf2,
	0xd5, 0x43, 0x29, 0x55, 0x61, 0x3f, 0x0f, 0xcf,
	0x62, 0xd4, 0x97, 0x05, 0x24, 0x2a, 0x9a, 0xf9,
	0xe6, 0x1e, 0x85, 0xdc, 0x0d, 0x65, 0x1e, 0x40,
	0xdf, 0xcf, 0x01, 0x7b, 0x45, 0x57, 0x58, 0x87,
};
/* The same as a PHC string: the salt's and dk's base64 without '='. */
#define RFC_PHC	"$scrypt$ln=14,r=8,p=1$U29kaXVtQ2hsb3JpZGU$cCO9yzr9c0hGHAbNgf" \
	"046/2o+7qQT44+qbVD9lRdofLVQylVYT8Pz2LUlwUkKpr55h6F3A1lHkDfzwF7RVdYhw"

/* The users.password_hash CHECK of sql/001_init.sql, as an ERE. */
#define SCHEMA_RE	"^\\$(scrypt|argon2id|7)\\$[A-Za-z0-9+/=.$,-]+$"

/* base64 without padding, by OpenSSL, not by the code under test. */
static void
b64(const unsigned char *in, size_t len, char *out)
{
	int	 n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);

	while (n > 0 && out[n - 1] == '=')
		out[--n] = '\0';
}

/* A PHC string for pass with the given parameters, made here. */
static void
make_phc(const char *pass, const char *salt, size_t saltlen, unsigned ln,
    unsigned r, unsigned p, size_t hashlen, char *out, size_t outlen)
{
	unsigned char	 hash[PASSHASH_HASH_MAX];
	char		 s64[128], h64[128];

	cr_assert_eq(passhash_scrypt(pass, strlen(pass),
	    (const unsigned char *)salt, saltlen, ln, r, p, hash, hashlen), 0);
	b64((const unsigned char *)salt, saltlen, s64);
	b64(hash, hashlen, h64);
	cr_assert_lt((size_t)snprintf(out, outlen, "$scrypt$ln=%u,r=%u,p=%u$%s$%s",
	    ln, r, p, s64, h64), outlen);
}

static int
matches(const char *re, const char *s)
{
	regex_t	 rx;
	int	 rc;

	cr_assert_eq(regcomp(&rx, re, REG_EXTENDED | REG_NOSUB), 0);
	rc = regexec(&rx, s, 0, NULL, 0) == 0;
	regfree(&rx);
	return rc;
}

/* A string that must be refused: by the parser, and as no match. */
static void
refused(const char *phc, const char *why)
{
	struct passhash_phc	 h;

	cr_expect_eq(passhash_parse(phc, &h), -1, "parsed: %s (%s)", phc, why);
	cr_expect_eq(passhash_verify("secret", phc), 0, "matched: %s (%s)",
	    phc, why);
}

Test(passhash, rfc7914_known_answer)
{
	unsigned char	 dk[64];

	cr_assert_eq(passhash_scrypt("pleaseletmein", 13,
	    (const unsigned char *)"SodiumChloride", 14, 14, 8, 1, dk,
	    sizeof(dk)), 0);
	cr_expect_eq(memcmp(dk, rfc7914_dk, sizeof(dk)), 0,
	    "scrypt differs from RFC 7914's test vector");
}

Test(passhash, rfc7914_as_phc)
{
	struct passhash_phc	 h;

	cr_assert_eq(passhash_parse(RFC_PHC, &h), 0);
	cr_expect_eq(h.ln, 14);
	cr_expect_eq(h.r, 8);
	cr_expect_eq(h.p, 1);
	cr_expect_eq(h.saltlen, 14);
	cr_expect_eq(memcmp(h.salt, "SodiumChloride", 14), 0);
	cr_expect_eq(h.hashlen, 64);
	cr_expect_eq(memcmp(h.hash, rfc7914_dk, 64), 0);
	cr_expect_eq(passhash_verify("pleaseletmein", RFC_PHC), 1);
	cr_expect_eq(passhash_verify("pleaseletmeiN", RFC_PHC), 0);
	cr_expect_eq(passhash_verify("pleaseletmein ", RFC_PHC), 0);
	cr_expect_eq(passhash_verify("pleaseletmei", RFC_PHC), 0);
}

/* The only test that pays for our own parameters (about 0.6 s a hash). */
Test(passhash, round_trip, .timeout = 60)
{
	char	 a[PASSHASH_PHC_MAX + 1], b[PASSHASH_PHC_MAX + 1];

	cr_assert_eq(passhash_make("correct horse battery staple", a,
	    sizeof(a)), 0);
	cr_expect(matches("^\\$scrypt\\$ln=17,r=8,p=1\\$[A-Za-z0-9+/]{22}"
	    "\\$[A-Za-z0-9+/]{43}$", a), "form: %s", a);
	cr_expect(matches(SCHEMA_RE, a) && strlen(a) >= 20 && strlen(a) <= 512,
	    "the schema would refuse %s", a);
	cr_expect_eq(passhash_verify("correct horse battery staple", a), 1);
	cr_expect_eq(passhash_verify("correct horse battery stapl", a), 0);
	cr_assert_eq(passhash_make("correct horse battery staple", b,
	    sizeof(b)), 0);
	cr_expect_str_neq(a, b, "two hashes of one password share a salt");
}

Test(passhash, make_refuses)
{
	char	 out[PASSHASH_PHC_MAX + 1], small[PASSHASH_PHC_MAX];
	char	*big = malloc(PASSHASH_PASS_MAX + 2);

	cr_assert_not_null(big);
	memset(big, 'x', PASSHASH_PASS_MAX + 1);
	big[PASSHASH_PASS_MAX + 1] = '\0';
	cr_expect_eq(passhash_make("", out, sizeof(out)), -1, "empty");
	cr_expect_eq(passhash_make(big, out, sizeof(out)), -1, "1025 bytes");
	cr_expect_eq(passhash_make("x", small, sizeof(small)), -1,
	    "a buffer too small for the longest string");
	free(big);
}

Test(passhash, password_lengths)
{
	char	 phc[PASSHASH_PHC_MAX + 1];
	char	*pass = malloc(PASSHASH_PASS_MAX + 2);

	cr_assert_not_null(pass);
	memset(pass, 'p', PASSHASH_PASS_MAX);
	pass[PASSHASH_PASS_MAX] = '\0';
	make_phc(pass, "0123456789abcdef", 16, 10, 1, 1, 32, phc, sizeof(phc));
	cr_expect_eq(passhash_verify(pass, phc), 1, "1024 bytes");
	pass[PASSHASH_PASS_MAX - 1] = 'q';
	cr_expect_eq(passhash_verify(pass, phc), 0, "the last byte counts");
	pass[PASSHASH_PASS_MAX - 1] = 'p';
	pass[PASSHASH_PASS_MAX] = 'p';
	pass[PASSHASH_PASS_MAX + 1] = '\0';
	cr_expect_eq(passhash_verify(pass, phc), 0, "1025 bytes");
	cr_expect_eq(passhash_verify("", phc), 0, "empty");
	cr_expect_eq(passhash_verify(NULL, phc), 0);
	cr_expect_eq(passhash_verify("x", NULL), 0);
	free(pass);
}

Test(passhash, utf8_password)
{
	char	 phc[PASSHASH_PHC_MAX + 1];

	make_phc("Zoë 山田 🔑", "saltsaltsalt", 12, 10, 8, 1, 32, phc,
	    sizeof(phc));
	cr_expect_eq(passhash_verify("Zoë 山田 🔑", phc), 1);
	cr_expect_eq(passhash_verify("Zoe 山田 🔑", phc), 0);
}

Test(passhash, bounds_accepted)
{
	struct passhash_phc	 h;
	char			 phc[PASSHASH_PHC_MAX + 1];
	const char		 salt[] = "0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef";

	/* The extremes of every field, with cheap parameters. */
	make_phc("secret", salt, 8, 10, 1, 1, 16, phc, sizeof(phc));
	cr_expect_eq(passhash_verify("secret", phc), 1, "%s", phc);
	make_phc("secret", salt, 64, 10, 32, 16, 64, phc, sizeof(phc));
	cr_expect_eq(passhash_verify("secret", phc), 1, "%s", phc);
	cr_expect_leq(strlen(phc), PASSHASH_PHC_MAX);
	/* The largest ln, parsed only: 1 GiB to verify. */
	cr_expect_eq(passhash_parse("$scrypt$ln=20,r=8,p=1$MDEyMzQ1Njc$"
	    "MDEyMzQ1Njc4OWFiY2RlZg", &h), 0);
	cr_expect_eq(h.ln, 20);
}

Test(passhash, kdf_bounds)
{
	unsigned char	 out[PASSHASH_HASH_MAX + 1];
	const unsigned char *salt = (const unsigned char *)
	    "0123456789abcdef0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0";

	cr_expect_eq(passhash_scrypt("x", 1, salt, 16, 9, 8, 1, out, 32), -1);
	cr_expect_eq(passhash_scrypt("x", 1, salt, 16, 21, 8, 1, out, 32), -1);
	cr_expect_eq(passhash_scrypt("x", 1, salt, 16, 10, 0, 1, out, 32), -1);
	cr_expect_eq(passhash_scrypt("x", 1, salt, 16, 10, 33, 1, out, 32), -1);
	cr_expect_eq(passhash_scrypt("x", 1, salt, 16, 10, 8, 0, out, 32), -1);
	cr_expect_eq(passhash_scrypt("x", 1, salt, 16, 10, 8, 17, out, 32), -1);
	cr_expect_eq(passhash_scrypt("x", 1, salt, 7, 10, 8, 1, out, 32), -1);
	cr_expect_eq(passhash_scrypt("x", 1, salt, 65, 10, 8, 1, out, 32), -1);
	cr_expect_eq(passhash_scrypt("x", 1, salt, 16, 10, 8, 1, out, 15), -1);
	cr_expect_eq(passhash_scrypt("x", 1, salt, 16, 10, 8, 1, out, 65), -1);
	/* Within every bound, but 4 GiB or 16 times the work. */
	cr_expect_eq(passhash_scrypt("x", 1, salt, 16, 20, 32, 1, out, 32), -1);
	cr_expect_eq(passhash_scrypt("x", 1, salt, 16, 20, 8, 16, out, 32), -1);
}

Test(passhash, malformed)
{
	static const char *const bad[][2] = {
		{ "", "empty" },
		{ "$scrypt$", "nothing after the name" },
		{ "$scrypt$ln=10,r=8,p=1", "no salt, no hash" },
		{ "$scrypt$ln=10,r=8,p=1$", "an empty salt, no hash" },
		{ "$scrypt$ln=10,r=8,p=1$MDEyMzQ1Njc", "no hash" },
		{ "$scrypt$ln=10,r=8,p=1$MDEyMzQ1Njc$", "an empty hash" },
		{ "$scrypt$ln=10,r=8,p=1$$MDEyMzQ1Njc4OWFiY2RlZg",
		    "an empty salt" },
		{ "$scrypt$ln=10,r=8$MDEyMzQ1Njc$MDEyMzQ1Njc4OWFiY2RlZg",
		    "no p" },
		{ "$scrypt$ln=10,p=1$MDEyMzQ1Njc$MDEyMzQ1Njc4OWFiY2RlZg",
		    "no r" },
		{ "$scrypt$r=8,p=1$MDEyMzQ1Njc$MDEyMzQ1Njc4OWFiY2RlZg",
		    "no ln" },
		{ "$scrypt$$MDEyMzQ1Njc$MDEyMzQ1Njc4OWFiY2RlZg",
		    "no parameters" },
		{ "$scrypt$r=8,ln=10,p=1$MDEyMzQ1Njc$MDEyMzQ1Njc4OWFiY2RlZg",
		    "parameters out of order" },
		{ "$scrypt$ln=10,r=8,p=1,x=1$MDEyMzQ1Njc$MDEyMzQ1Njc4OWFiY2RlZg",
		    "an extra parameter" },
		{ "$scrypt$v=1$ln=10,r=8,p=1$MDEyMzQ1Njc$MDEyMzQ1Njc4OWFiY2RlZg",
		    "a version field" },
		{ "$scrypt$ln=10,r=8,p=1$MDEyMzQ1Njc$MDEyMzQ1Njc4OWFiY2RlZg$",
		    "a trailing $" },
		{ "$scrypt$ln=10,r=8,p=1$MDEyMzQ1Njc$MDEyMzQ1Njc4OWFiY2RlZg$x",
		    "a field too many" },
		{ "$scrypt$ln=10,r=8,p=1$MDEyMzQ1Njc$MDEyMzQ1Njc4OWFiY2RlZg\n",
		    "a trailing newline" },
		{ " $scrypt$ln=10,r=8,p=1$MDEyMzQ1Njc$MDEyMzQ1Njc4OWFiY2RlZg",
		    "a leading space" },
		{ "$SCRYPT$ln=10,r=8,p=1$MDEyMzQ1Njc$MDEyMzQ1Njc4OWFiY2RlZg",
		    "the name in capitals" },
		{ "$scrypt$LN=10,r=8,p=1$MDEyMzQ1Njc$MDEyMzQ1Njc4OWFiY2RlZg",
		    "a parameter in capitals" },
		{ "scrypt$ln=10,r=8,p=1$MDEyMzQ1Njc$MDEyMzQ1Njc4OWFiY2RlZg",
		    "no leading $" },
		{ "$argon2id$v=19$m=65536,t=3,p=4$MDEyMzQ1Njc$MDEyMzQ1Njc4OWFiY2RlZg",
		    "another algorithm" },
		{ "$7$DU..../....2Q9obwLhin8qvQl6sisAO/$sHayJhhvsWUtsLpr5MdOxUtLo",
		    "libxcrypt's scrypt" },
		{ "$scrypt$ln=9,r=8,p=1$MDEyMzQ1Njc$MDEyMzQ1Njc4OWFiY2RlZg",
		    "ln below 10" },
		{ "$scrypt$ln=21,r=8,p=1$MDEyMzQ1Njc$MDEyMzQ1Njc4OWFiY2RlZg",
		    "ln above 20" },
		{ "$scrypt$ln=99999999999999999999,r=8,p=1$MDEyMzQ1Njc$"
		    "MDEyMzQ1Njc4OWFiY2RlZg", "a huge ln" },
		{ "$scrypt$ln=4294967306,r=8,p=1$MDEyMzQ1Njc$"
		    "MDEyMzQ1Njc4OWFiY2RlZg", "ln that wraps to 10" },
		{ "$scrypt$ln=010,r=8,p=1$MDEyMzQ1Njc$MDEyMzQ1Njc4OWFiY2RlZg",
		    "a leading zero" },
		{ "$scrypt$ln=+10,r=8,p=1$MDEyMzQ1Njc$MDEyMzQ1Njc4OWFiY2RlZg",
		    "a sign" },
		{ "$scrypt$ln=-1,r=8,p=1$MDEyMzQ1Njc$MDEyMzQ1Njc4OWFiY2RlZg",
		    "a negative ln" },
		{ "$scrypt$ln= 10,r=8,p=1$MDEyMzQ1Njc$MDEyMzQ1Njc4OWFiY2RlZg",
		    "a space" },
		{ "$scrypt$ln=,r=8,p=1$MDEyMzQ1Njc$MDEyMzQ1Njc4OWFiY2RlZg",
		    "an empty number" },
		{ "$scrypt$ln=10,r=0,p=1$MDEyMzQ1Njc$MDEyMzQ1Njc4OWFiY2RlZg",
		    "r 0" },
		{ "$scrypt$ln=10,r=33,p=1$MDEyMzQ1Njc$MDEyMzQ1Njc4OWFiY2RlZg",
		    "r above 32" },
		{ "$scrypt$ln=10,r=8,p=0$MDEyMzQ1Njc$MDEyMzQ1Njc4OWFiY2RlZg",
		    "p 0" },
		{ "$scrypt$ln=10,r=8,p=17$MDEyMzQ1Njc$MDEyMzQ1Njc4OWFiY2RlZg",
		    "p above 16" },
		{ "$scrypt$ln=20,r=32,p=1$MDEyMzQ1Njc$MDEyMzQ1Njc4OWFiY2RlZg",
		    "4 GiB" },
		{ "$scrypt$ln=20,r=8,p=16$MDEyMzQ1Njc$MDEyMzQ1Njc4OWFiY2RlZg",
		    "sixteen times the work" },
		{ "$scrypt$ln=10,r=8,p=1$MDEyMzQ1Nj$MDEyMzQ1Njc4OWFiY2RlZg",
		    "a salt of 7 bytes" },
		{ "$scrypt$ln=10,r=8,p=1$MDEyMzQ1Njc=$MDEyMzQ1Njc4OWFiY2RlZg",
		    "padding" },
		{ "$scrypt$ln=10,r=8,p=1$MDEyMzQ1Njc$MDEyMzQ1Njc4OWFiY2RlZg==",
		    "padding on the hash" },
		{ "$scrypt$ln=10,r=8,p=1$MDEyMzQ1N.c$MDEyMzQ1Njc4OWFiY2RlZg",
		    "a character of another alphabet" },
		{ "$scrypt$ln=10,r=8,p=1$MDEyMzQ1Njc$MDEyMzQ1Njc4OWFiY2Rl_g",
		    "URL-safe base64" },
		{ "$scrypt$ln=10,r=8,p=1$MDEy MzQ1Njc$MDEyMzQ1Njc4OWFiY2RlZg",
		    "a space in the salt" },
		{ "$scrypt$ln=10,r=8,p=1$MDEyMzQ1Njc$MDEyMzQ1Njc4OWFiY2RlZ",
		    "a hash of 4n+1 characters" },
		{ "$scrypt$ln=10,r=8,p=1$MDEyMzQ1Njc$MDEyMzQ1Njc4OWFiY2RlZh",
		    "bits after the last byte" },
		{ "$scrypt$ln=10,r=8,p=1$MDEyMzQ1Njd$MDEyMzQ1Njc4OWFiY2RlZg",
		    "bits after the salt's last byte" },
		{ "$scrypt$ln=10,r=8,p=1$MDEyMzQ1Njc$MDEyMzQ1Njc4OWFiY2Rl",
		    "a hash of 15 bytes" },
		{ "$scrypt$ln=10,r=8,p=1$MDEyMzQ1Njc$\xc3\xa9MDEyMzQ1Njc4OWFiY2RlZg",
		    "UTF-8 in the hash" },
		{ "$scrypt$ln=10,r=8,p=1$MDEyMzQ1Njc$MDEyMzQ1\x01Njc4OWFiY2RlZg",
		    "a control character" },
	};
	unsigned char	 bytes65[65];
	char		 b65[128], phc[320];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refused(bad[i][0], bad[i][1]);

	/* 65 bytes of salt, 65 of hash, canonically encoded. */
	memset(bytes65, 'A', sizeof(bytes65));
	b64(bytes65, sizeof(bytes65), b65);
	snprintf(phc, sizeof(phc), "$scrypt$ln=10,r=8,p=1$%s$"
	    "MDEyMzQ1Njc4OWFiY2RlZg", b65);
	refused(phc, "a salt of 65 bytes");
	snprintf(phc, sizeof(phc), "$scrypt$ln=10,r=8,p=1$MDEyMzQ1Njc$%s",
	    b65);
	refused(phc, "a hash of 65 bytes");
	b64(bytes65, 64, b65);		/* 64 bytes: taken */
	snprintf(phc, sizeof(phc), "$scrypt$ln=10,r=8,p=1$%s$%s", b65, b65);
	cr_expect_eq(passhash_parse(phc, &(struct passhash_phc){ 0 }), 0,
	    "64 bytes of salt and of hash: %s", phc);
}

/* A string cut anywhere before its hash is refused; so is one of any
 * length beyond the longest we take. */
Test(passhash, truncated_and_long)
{
	char	 phc[PASSHASH_PHC_MAX + 1], cut[PASSHASH_PHC_MAX + 1];
	char	 huge[4096];
	size_t	 hashat;

	make_phc("secret", "0123456789abcdef", 16, 10, 8, 1, 32, phc,
	    sizeof(phc));
	cr_assert_eq(passhash_verify("secret", phc), 1);
	hashat = (size_t)(strrchr(phc, '$') - phc) + 1;
	for (size_t n = 0; n <= hashat; n++) {
		memcpy(cut, phc, n);
		cut[n] = '\0';
		refused(cut, "cut before the hash");
	}
	/*
	 * Within the hash, a cut that leaves whole bytes (16 or more) is a
	 * shorter hash of the same password, as the PHC format has it; the
	 * others are not base64 of whole bytes.  Neither matches another
	 * password.
	 */
	for (size_t n = hashat + 1; n < strlen(phc); n++) {
		memcpy(cut, phc, n);
		cut[n] = '\0';
		cr_expect_eq(passhash_verify("Secret", cut), 0, "%s", cut);
	}
	memset(huge, 'A', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	memcpy(huge, phc, strlen(phc));
	refused(huge, "4095 bytes");
	memcpy(cut, phc, strlen(phc) + 1);
	cut[hashat] = cut[hashat] == 'A' ? 'B' : 'A';
	cr_expect_eq(passhash_verify("secret", cut), 0, "another hash");
}

/* Every byte of a good string replaced by each of a few characters: the
 * parser never reads out of bounds (ASan) and never takes a value beyond
 * its bounds.  Parsed only: a changed ln may cost a second to verify. */
Test(passhash, every_byte_replaced)
{
	static const char subst[] = "$,=0123456789A/+.-_ \x01\x7f\xff";
	struct passhash_phc	 h;
	char			 phc[PASSHASH_PHC_MAX + 1], m[PASSHASH_PHC_MAX + 1];

	make_phc("secret", "0123456789abcdef", 16, 10, 8, 1, 32, phc,
	    sizeof(phc));
	for (size_t i = 0; i < strlen(phc); i++)
		for (size_t j = 0; j < sizeof(subst) - 1; j++) {
			memcpy(m, phc, strlen(phc) + 1);
			m[i] = subst[j];
			if (passhash_parse(m, &h) == -1)
				continue;
			cr_expect(h.ln >= PASSHASH_LN_MIN &&
			    h.ln <= PASSHASH_LN_MAX && h.r >= PASSHASH_R_MIN &&
			    h.r <= PASSHASH_R_MAX && h.p >= PASSHASH_P_MIN &&
			    h.p <= PASSHASH_P_MAX &&
			    h.saltlen >= PASSHASH_SALT_MIN &&
			    h.saltlen <= PASSHASH_SALT_MAX &&
			    h.hashlen >= PASSHASH_HASH_MIN &&
			    h.hashlen <= PASSHASH_HASH_MAX, "%s", m);
		}
}

/* Random passwords: the length asked for, the alphabet only (none of the
 * characters read wrong), every character of it turning up, and no two
 * alike; the bounds refused. */
Test(passhash, random_passwords)
{
	static const char	 alphabet[] = PASSHASH_RANDOM_ALPHABET;
	char			 pw[PASSHASH_RANDOM_MAX + 1], prev[sizeof(pw)];
	int			 seen[256] = { 0 };

	cr_assert_eq(strlen(alphabet), 56);
	cr_assert_null(strpbrk(alphabet, "0Oo1lI"));
	prev[0] = '\0';
	for (int i = 0; i < 400; i++) {
		cr_assert_eq(passhash_random(pw, 22), 0);
		cr_assert_eq(strlen(pw), 22);
		cr_assert_eq(strspn(pw, alphabet), 22);
		cr_assert_str_neq(pw, prev);
		for (size_t k = 0; k < 22; k++)
			seen[(unsigned char)pw[k]]++;
		memcpy(prev, pw, sizeof(pw));
	}
	for (size_t k = 0; k < sizeof(alphabet) - 1; k++)
		cr_assert_gt(seen[(unsigned char)alphabet[k]], 0,
		    "%c never drawn", alphabet[k]);
	cr_assert_eq(passhash_random(pw, PASSHASH_RANDOM_MAX), 0);
	cr_assert_eq(strlen(pw), PASSHASH_RANDOM_MAX);
	cr_assert_eq(passhash_random(pw, 0), -1);
	cr_assert_eq(passhash_random(pw, PASSHASH_RANDOM_MAX + 1), -1);
}
