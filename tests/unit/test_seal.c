/*
 * Tests for policyd/seal.c: the round trip at every interesting length,
 * and every way a sealed value can be wrong (another key, another key id,
 * a flipped bit in any byte of the header, nonce, tag or ciphertext, other
 * additional data, every truncation, trailing bytes), each of which must
 * fail with its own code and return no plaintext.  Then the key file:
 * its format (comments, several keys, bad lines) and its permissions.
 * The source is compiled in: libpgpmg.a holds no policyd code.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "policyd/seal.c"

static const char AAD[] = "pgpmg.secrets:webd/session-key";

static void
make_key(struct seal_key *k, unsigned char fill)
{
	unsigned char	 raw[SEAL_KEY_LEN];

	memset(raw, fill, sizeof(raw));
	raw[0] ^= 0x5a;
	cr_assert_eq(seal_key_init(k, raw), SEAL_OK);
}

/* Seal pt with k and AAD into a fresh heap blob of exactly its size. */
static unsigned char *
seal_new(const struct seal_key *k, const void *pt, size_t len, size_t *blen)
{
	unsigned char	*b;

	b = malloc(seal_size(len));
	cr_assert_not_null(b);
	cr_assert_eq(seal(k, pt, len, AAD, strlen(AAD), b, seal_size(len),
	    blen), SEAL_OK);
	cr_assert_eq(*blen, seal_size(len));
	return b;
}

/* Opening must fail with want, leave no plaintext and say length 0. */
static void
expect_open_fails(const struct seal_key *k, const unsigned char *b,
    size_t blen, const char *aad, int want, const char *what)
{
	unsigned char	 pt[256];
	size_t		 ptlen = 99;
	int		 rc;

	memset(pt, 0xee, sizeof(pt));
	rc = seal_open(k, b, blen, aad, strlen(aad), pt, sizeof(pt), &ptlen);
	cr_expect_eq(rc, want, "%s: got %d (%s), want %d", what, rc,
	    seal_strerror(rc), want);
	cr_expect_eq(ptlen, 0, "%s", what);
	for (size_t i = 0; i < sizeof(pt); i++)
		if (pt[i] != 0) {
			cr_expect_fail("%s: plaintext buffer not wiped", what);
			break;
		}
}

Test(seal, key_id)
{
	struct seal_key	 a, b, a2;

	make_key(&a, 1);
	make_key(&b, 2);
	make_key(&a2, 1);
	cr_expect_eq(strlen(a.id), SEAL_KEYID_LEN);
	cr_expect_str_eq(a.id, a2.id, "the id depends on the key only");
	cr_expect_str_neq(a.id, b.id);
	for (size_t i = 0; i < SEAL_KEYID_LEN; i++)
		cr_expect(strchr("0123456789abcdef", a.id[i]) != NULL);
	/* The id is not the key's first bytes. */
	cr_expect_neq(memcmp(a.id, "5b01010101010101", SEAL_KEYID_LEN), 0);
	seal_key_clear(&a);
	for (size_t i = 0; i < sizeof(a.key); i++)
		cr_expect_eq(a.key[i], 0);
}

Test(seal, round_trip)
{
	static const size_t	 lens[] = { 0, 1, 15, 16, 17, 31, 32, 33, 1000,
				    4096, SEAL_MAX_PLAINTEXT };
	struct seal_key		 k;
	unsigned char		*pt, *out, *b;
	size_t			 blen, olen;

	make_key(&k, 7);
	pt = malloc(SEAL_MAX_PLAINTEXT);
	out = malloc(SEAL_MAX_PLAINTEXT);
	cr_assert(pt != NULL && out != NULL);
	for (size_t i = 0; i < SEAL_MAX_PLAINTEXT; i++)
		pt[i] = (unsigned char)(i * 31 + 7);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		b = seal_new(&k, pt, lens[i], &blen);
		cr_expect_eq(memcmp(b, "PGS1\x01\x10", 6), 0);
		cr_expect_eq(memcmp(b + 6, k.id, SEAL_KEYID_LEN), 0);
		/* An exact-size output buffer is enough. */
		cr_assert_eq(seal_open(&k, b, blen, AAD, strlen(AAD), out,
		    lens[i], &olen), SEAL_OK, "len %zu", lens[i]);
		cr_expect_eq(olen, lens[i]);
		cr_expect_eq(memcmp(out, pt, lens[i]), 0, "len %zu", lens[i]);
		if (lens[i] > 0) {
			/* The ciphertext is not the plaintext. */
			cr_expect_neq(memcmp(b + SEAL_OVERHEAD, pt, lens[i]),
			    0);
		}
		free(b);
	}
	free(pt);
	free(out);
}

Test(seal, no_aad)
{
	struct seal_key	 k;
	unsigned char	 b[SEAL_OVERHEAD + 5], out[5];
	size_t		 blen, olen;

	make_key(&k, 3);
	cr_assert_eq(seal(&k, "hello", 5, NULL, 0, b, sizeof(b), &blen),
	    SEAL_OK);
	cr_assert_eq(seal_open(&k, b, blen, NULL, 0, out, sizeof(out), &olen),
	    SEAL_OK);
	cr_expect_eq(memcmp(out, "hello", 5), 0);
	/* Sealed without aad, opened with some: refused. */
	expect_open_fails(&k, b, blen, AAD, SEAL_E_AUTH, "aad added");
}

Test(seal, fresh_nonce_every_time)
{
	struct seal_key	 k;
	unsigned char	*a, *b;
	size_t		 al, bl;

	make_key(&k, 4);
	a = seal_new(&k, "same", 4, &al);
	b = seal_new(&k, "same", 4, &bl);
	cr_expect_neq(memcmp(a + 22, b + 22, SEAL_NONCE_LEN), 0);
	cr_expect_neq(memcmp(a + SEAL_OVERHEAD, b + SEAL_OVERHEAD, 4), 0);
	free(a);
	free(b);
}

Test(seal, wrong_key)
{
	struct seal_key	 k, other, forged;
	unsigned char	*b;
	size_t		 blen;

	make_key(&k, 5);
	make_key(&other, 6);
	b = seal_new(&k, "secret", 6, &blen);
	/* Another key: its id differs, refused before decrypting. */
	expect_open_fails(&other, b, blen, AAD, SEAL_E_KEYID, "other key");
	/* Another key that claims the right id: the tag catches it. */
	forged = other;
	memcpy(forged.id, k.id, sizeof(forged.id));
	expect_open_fails(&forged, b, blen, AAD, SEAL_E_AUTH, "forged id");
	free(b);
}

Test(seal, wrong_key_id_in_blob)
{
	struct seal_key	 k;
	unsigned char	*b;
	size_t		 blen;

	make_key(&k, 8);
	b = seal_new(&k, "secret", 6, &blen);
	/* Another valid-looking id: not ours. */
	b[6] = b[6] == 'a' ? 'b' : 'a';
	expect_open_fails(&k, b, blen, AAD, SEAL_E_KEYID, "key id changed");
	/* Not hex at all: malformed. */
	b[6] = 'Z';
	expect_open_fails(&k, b, blen, AAD, SEAL_E_FORMAT, "key id not hex");
	free(b);
}

Test(seal, every_bit_matters)
{
	struct seal_key	 k;
	unsigned char	*b;
	size_t		 blen;
	char		 what[64];

	make_key(&k, 9);
	b = seal_new(&k, "a secret value", 14, &blen);
	for (size_t i = 0; i < blen; i++) {
		for (int bit = 0; bit < 8; bit += 7) {
			int want;

			b[i] ^= (unsigned char)(1 << bit);
			if (i < 4 || i == 5)
				want = SEAL_E_FORMAT;	/* magic, id length */
			else if (i == 4)
				want = SEAL_E_ALG;
			else if (i < 22)
				want = -1;		/* the key id */
			else
				want = SEAL_E_AUTH;	/* nonce, tag, text */
			snprintf(what, sizeof(what), "byte %zu bit %d", i, bit);
			if (want == -1) {
				unsigned char pt[64];
				size_t ptlen;
				cr_expect_neq(seal_open(&k, b, blen, AAD,
				    strlen(AAD), pt, sizeof(pt), &ptlen),
				    SEAL_OK, "%s", what);
			} else
				expect_open_fails(&k, b, blen, AAD, want, what);
			b[i] ^= (unsigned char)(1 << bit);
		}
	}
	free(b);
}

Test(seal, tampered_regions)
{
	struct seal_key	 k;
	unsigned char	*b;
	size_t		 blen;

	make_key(&k, 10);
	b = seal_new(&k, "the plaintext", 13, &blen);
	b[22] ^= 1;
	expect_open_fails(&k, b, blen, AAD, SEAL_E_AUTH, "nonce");
	b[22] ^= 1;
	b[34] ^= 0x80;
	expect_open_fails(&k, b, blen, AAD, SEAL_E_AUTH, "tag");
	b[34] ^= 0x80;
	b[blen - 1] ^= 1;
	expect_open_fails(&k, b, blen, AAD, SEAL_E_AUTH, "ciphertext");
	b[blen - 1] ^= 1;
	expect_open_fails(&k, b, blen, "pgpmg.secrets:webd/other", SEAL_E_AUTH,
	    "other aad");
	expect_open_fails(&k, b, blen, "", SEAL_E_AUTH, "empty aad");
	b[4] = 2;
	expect_open_fails(&k, b, blen, AAD, SEAL_E_ALG, "algorithm 2");
	free(b);
}

Test(seal, truncated_and_extended)
{
	struct seal_key	 k;
	unsigned char	*b, *longer;
	size_t		 blen;
	char		 what[64];

	make_key(&k, 11);
	b = seal_new(&k, "twelve bytes", 12, &blen);
	for (size_t n = 0; n < blen; n++) {
		/* An exact-size copy, so ASan sees any read past it. */
		unsigned char *t = malloc(n > 0 ? n : 1);
		cr_assert_not_null(t);
		memcpy(t, b, n);
		snprintf(what, sizeof(what), "first %zu bytes", n);
		expect_open_fails(&k, t, n, AAD, n < SEAL_OVERHEAD ?
		    SEAL_E_FORMAT : SEAL_E_AUTH, what);
		free(t);
	}
	longer = malloc(blen + 1);
	cr_assert_not_null(longer);
	memcpy(longer, b, blen);
	longer[blen] = 0;
	expect_open_fails(&k, longer, blen + 1, AAD, SEAL_E_AUTH,
	    "one byte more");
	free(longer);
	free(b);
}

Test(seal, bounds)
{
	struct seal_key	 k;
	unsigned char	 small[SEAL_OVERHEAD + 3], out[2];
	unsigned char	*big, *b;
	size_t		 n, blen;
	char		 aad[SEAL_MAX_AAD + 1];

	make_key(&k, 12);
	/* Output too small by one. */
	cr_expect_eq(seal(&k, "abcd", 4, NULL, 0, small, sizeof(small), &n),
	    SEAL_E_SIZE);
	cr_expect_eq(n, 0);
	/* Plaintext too long. */
	big = malloc(seal_size(SEAL_MAX_PLAINTEXT + 1));
	cr_assert_not_null(big);
	cr_expect_eq(seal(&k, big, SEAL_MAX_PLAINTEXT + 1, NULL, 0, big,
	    seal_size(SEAL_MAX_PLAINTEXT + 1), &n), SEAL_E_SIZE);
	free(big);
	/* aad too long. */
	memset(aad, 'a', sizeof(aad));
	cr_expect_eq(seal(&k, "x", 1, aad, sizeof(aad), small, sizeof(small),
	    &n), SEAL_E_ARG);
	/* NULLs. */
	cr_expect_eq(seal(NULL, "x", 1, NULL, 0, small, sizeof(small), &n),
	    SEAL_E_ARG);
	cr_expect_eq(seal(&k, NULL, 1, NULL, 0, small, sizeof(small), &n),
	    SEAL_E_ARG);
	cr_expect_eq(seal_open(&k, NULL, 0, NULL, 0, out, sizeof(out), &n),
	    SEAL_E_ARG);
	/* An empty blob. */
	b = seal_new(&k, "abc", 3, &blen);
	cr_expect_eq(seal_open(&k, b, 0, AAD, strlen(AAD), out, sizeof(out),
	    &n), SEAL_E_FORMAT);
	free(b);
}

Test(seal, open_buffer_too_small)
{
	struct seal_key	 k;
	unsigned char	*b, out[2] = { 1, 1 };
	size_t		 blen, olen = 5;

	make_key(&k, 13);
	b = seal_new(&k, "abc", 3, &blen);
	cr_expect_eq(seal_open(&k, b, blen, AAD, strlen(AAD), out,
	    sizeof(out), &olen), SEAL_E_SIZE);
	cr_expect_eq(olen, 0);
	cr_expect(out[0] == 0 && out[1] == 0);
	free(b);
}

Test(seal, blob_key_id)
{
	struct seal_key	 k;
	unsigned char	*b;
	size_t		 blen;
	char		 id[SEAL_KEYID_LEN + 1];

	make_key(&k, 14);
	b = seal_new(&k, "x", 1, &blen);
	cr_assert_eq(seal_blob_key_id(b, blen, id), SEAL_OK);
	cr_expect_str_eq(id, k.id);
	cr_expect_eq(seal_blob_key_id(b, 10, id), SEAL_E_FORMAT);
	cr_expect_eq(id[0], '\0');
	free(b);
}

/* ---------------------------------------------------------------- keys */

#define K1 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define K2 "F0E0D0C0B0A090807060504030201000FFEEDDCCBBAA99887766554433221100"

static int
parse(struct seal_keyring *r, const char *text, char *err, size_t errlen)
{
	char	*copy;
	size_t	 len = strlen(text);
	int	 rc;

	/* An exact-size copy without a NUL, as a file's bytes are. */
	copy = malloc(len > 0 ? len : 1);
	cr_assert_not_null(copy);
	memcpy(copy, text, len);
	rc = seal_keyring_parse(r, copy, len, err, errlen);
	free(copy);
	return rc;
}

Test(seal_keyring, parse_and_rotate)
{
	struct seal_keyring	 old, ring;
	unsigned char		*b, out[16];
	size_t			 blen, olen;
	char			 err[256];

	cr_assert_eq(parse(&old, K1 "\n", err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(old.n, 1);
	/* Sealed under the old key... */
	b = malloc(seal_size(6));
	cr_assert_not_null(b);
	cr_assert_eq(seal(&old.keys[0], "secret", 6, "a", 1, b, seal_size(6),
	    &blen), SEAL_OK);
	/* ...opens after a rotation, which puts a new key first. */
	cr_assert_eq(parse(&ring, "# rotated\n" K2 "\r\n\n  " K1 "  \n# end",
	    err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(ring.n, 2);
	cr_expect_str_neq(ring.keys[0].id, old.keys[0].id);
	cr_expect_str_eq(ring.keys[1].id, old.keys[0].id);
	cr_expect_eq(seal_keyring_find(&ring, old.keys[0].id), &ring.keys[1]);
	cr_expect_null(seal_keyring_find(&ring, "0000000000000000"));
	cr_assert_eq(seal_keyring_open(&ring, b, blen, "a", 1, out,
	    sizeof(out), &olen), SEAL_OK);
	cr_expect_eq(olen, 6);
	cr_expect_eq(memcmp(out, "secret", 6), 0);
	/* Without the old key: refused as another key's. */
	ring.n = 1;
	cr_expect_eq(seal_keyring_open(&ring, b, blen, "a", 1, out,
	    sizeof(out), &olen), SEAL_E_KEYID);
	seal_keyring_clear(&ring);
	cr_expect_eq(ring.n, 0);
	seal_keyring_clear(&old);
	free(b);
}

static void
parse_fails(const char *text, const char *want)
{
	struct seal_keyring	 r;
	char			 err[256];

	cr_expect_eq(parse(&r, text, err, sizeof(err)), -1, "accepted: %s",
	    text);
	cr_expect_str_eq(err, want, "text: %s", text);
	cr_expect_eq(r.n, 0);
}

Test(seal_keyring, parse_errors)
{
	parse_fails("", "no key (one line of 64 hex digits expected)");
	parse_fails("# only a comment\n\n",
	    "no key (one line of 64 hex digits expected)");
	parse_fails(K1 "0\n", "line 1: a key is 64 hex digits");
	parse_fails("\n" K1 "\n" "abc\n", "line 3: a key is 64 hex digits");
	parse_fails("x" K1 "\n", "line 1: a key is 64 hex digits");
	parse_fails("g00102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	    "line 1: not a hex digit");
}

Test(seal_keyring, duplicate_key)
{
	struct seal_keyring	 r;
	char			 err[256], want[256];

	cr_assert_eq(parse(&r, K1, err, sizeof(err)), 0, "%s", err);
	snprintf(want, sizeof(want), "line 3: the same key as an earlier line "
	    "(id %s)", r.keys[0].id);
	/* Upper or lower case, it is the same key. */
	parse_fails(K1 "\n# again\n" "000102030405060708090A0B0C0D0E0F"
	    "101112131415161718191A1B1C1D1E1F\n", want);
}

Test(seal_keyring, too_many_and_nul)
{
	struct seal_keyring	 r;
	char			 text[(SEAL_MAX_KEYS + 1) * 65 + 1], err[256];
	char			 nul[70];

	for (int i = 0; i <= SEAL_MAX_KEYS; i++) {
		memset(text + i * 65, '0' + i, 64);
		text[i * 65 + 64] = '\n';
	}
	text[(SEAL_MAX_KEYS + 1) * 65] = '\0';
	cr_expect_eq(parse(&r, text, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "line 9: more than 8 keys");
	text[SEAL_MAX_KEYS * 65] = '\0';
	cr_expect_eq(parse(&r, text, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(r.n, SEAL_MAX_KEYS);

	memcpy(nul, K1, 64);
	nul[64] = '\0';
	nul[65] = '\n';
	cr_expect_eq(seal_keyring_parse(&r, nul, 66, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "NUL byte in the key file");
}

static char	 tmpdir[] = "/tmp/test_seal.XXXXXX";

static void
write_file(const char *path, const char *text, mode_t mode)
{
	int	 fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	cr_assert_neq(fd, -1, "%s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	cr_assert_eq(fchmod(fd, mode), 0);
	close(fd);
}

Test(seal_keyring, load_checks_the_file)
{
	struct seal_keyring	 r;
	char			 path[128], link[128], err[1024], want[1024];

	if (geteuid() != 0)
		cr_skip_test("the key file must be root's: run as root");
	cr_assert_not_null(mkdtemp(tmpdir));
	snprintf(path, sizeof(path), "%s/policyd.key", tmpdir);
	snprintf(link, sizeof(link), "%s/link.key", tmpdir);

	write_file(path, K1 "\n", 0600);
	cr_expect_eq(seal_keyring_load(&r, path, err, sizeof(err)), 0, "%s",
	    err);
	cr_expect_eq(r.n, 1);
	seal_keyring_clear(&r);

	write_file(path, K1 "\n", 0400);
	cr_expect_eq(seal_keyring_load(&r, path, err, sizeof(err)), 0, "%s",
	    err);

	write_file(path, K1 "\n", 0640);
	cr_expect_eq(seal_keyring_load(&r, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: must be owned by root with mode "
	    "0600 (it is uid 0, mode 0640): chown root %s; chmod 0600 %s",
	    path, path, path);
	cr_expect_str_eq(err, want);
	cr_expect_eq(r.n, 0);

	write_file(path, K1 "\n", 0604);
	cr_expect_eq(seal_keyring_load(&r, path, err, sizeof(err)), -1);

	/* Owned by someone else. */
	write_file(path, K1 "\n", 0600);
	cr_assert_eq(chown(path, 1, 1), 0);
	cr_expect_eq(seal_keyring_load(&r, path, err, sizeof(err)), -1);
	cr_expect(strstr(err, "it is uid 1, mode 0600") != NULL, "%s", err);
	cr_assert_eq(chown(path, 0, 0), 0);

	/* A symbolic link is refused, even to a good file. */
	cr_assert_eq(symlink(path, link), 0);
	cr_expect_eq(seal_keyring_load(&r, link, err, sizeof(err)), -1);
	cr_expect(strstr(err, "symbolic link") != NULL, "%s", err);

	/* A directory, a missing file, a bad key line. */
	cr_expect_eq(seal_keyring_load(&r, tmpdir, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s/missing.key", tmpdir);
	cr_expect_eq(seal_keyring_load(&r, want, err, sizeof(err)), -1);
	cr_expect(strstr(err, "No such file") != NULL, "%s", err);
	write_file(path, "not a key\n", 0600);
	cr_expect_eq(seal_keyring_load(&r, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: line 1: a key is 64 hex digits",
	    path);
	cr_expect_str_eq(err, want);

	/* Too large to be a key file. */
	{
		char *big = malloc(SEAL_FILE_MAX + 2);
		cr_assert_not_null(big);
		memset(big, '#', SEAL_FILE_MAX + 1);
		big[SEAL_FILE_MAX + 1] = '\0';
		write_file(path, big, 0600);
		free(big);
	}
	cr_expect_eq(seal_keyring_load(&r, path, err, sizeof(err)), -1);
	cr_expect(strstr(err, "larger than 4096 bytes") != NULL, "%s", err);

	unlink(link);
	unlink(path);
	rmdir(tmpdir);
}
