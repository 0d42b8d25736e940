/*
 * sealopen: opens a value of pgpmg.secrets as policyd does (the key file,
 * the additional data "pgpmg.secrets:" and the row's name), for
 * test_secrets.sh, and prints the SHA-256 of the value in hex: a suite
 * can see that a value is the same before and after a rotation, or
 * across a restart, without printing it.  -x prints the value in hex on
 * a second line, for the one check that needs it (that it appears
 * nowhere in a dump of the database).  A test program only.
 *
 *   sealopen [-x] KEYFILE NAME HEX|-
 *
 * HEX is the blob as psql gives it: encode(sealed, 'hex'); "-" reads it
 * from standard input (an argument is at most 128 KiB, less than the
 * hex of the largest blob).  Exit 0 with the hash; 1 with the seal error
 * when the blob does not open; 2 on a usage error or a key file that
 * does not load.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "policyd/seal.h"
#include "policyd/secrets.h"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: sealopen [-x] KEYFILE NAME HEX|-\n");
	exit(2);
}

static void
print_hex(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		printf("%02x", p[i]);
	printf("\n");
}

/* The hex from standard input, up to a newline; NULL when too long. */
static const char *
read_hex(void)
{
	static char	 buf[2 * (SEAL_OVERHEAD + SEAL_MAX_PLAINTEXT) + 2];
	size_t		 n;

	n = fread(buf, 1, sizeof(buf) - 1, stdin);
	if (n == sizeof(buf) - 1)
		return NULL;
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf;
}

static int
hexval(int c)
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
main(int argc, char *argv[])
{
	static struct seal_keyring	 ring;
	static unsigned char	 blob[SEAL_OVERHEAD + SEAL_MAX_PLAINTEXT];
	static unsigned char	 pt[SEAL_MAX_PLAINTEXT];
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen = 0;
	char			 aad[SECRETS_AAD_MAX + 1], err[512];
	const char		*hex;
	size_t			 hexlen, bloblen, ptlen = 0;
	int			 ch, xflag = 0, n, rc;

	while ((ch = getopt(argc, argv, "x")) != -1) {
		if (ch != 'x')
			usage();
		xflag = 1;
	}
	argc -= optind;
	argv += optind;
	if (argc != 3 || strlen(argv[1]) > SECRETS_NAME_MAX)
		usage();

	if (seal_keyring_load(&ring, argv[0], err, sizeof(err)) == -1) {
		fprintf(stderr, "sealopen: %s\n", err);
		return 2;
	}
	if ((hex = strcmp(argv[2], "-") == 0 ? read_hex() : argv[2]) == NULL) {
		fprintf(stderr, "sealopen: too long for a sealed value\n");
		return 1;
	}
	hexlen = strlen(hex);
	if (hexlen % 2 != 0 || hexlen / 2 > sizeof(blob)) {
		fprintf(stderr, "sealopen: not the hex of a sealed value\n");
		return 1;
	}
	bloblen = hexlen / 2;
	for (size_t i = 0; i < bloblen; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			fprintf(stderr, "sealopen: not hex\n");
			return 1;
		}
		blob[i] = (unsigned char)(hi << 4 | lo);
	}

	n = snprintf(aad, sizeof(aad), "%s%s", SECRETS_AAD_PREFIX, argv[1]);
	rc = seal_keyring_open(&ring, blob, bloblen, aad, (size_t)n, pt,
	    sizeof(pt), &ptlen);
	seal_keyring_clear(&ring);
	if (rc != SEAL_OK) {
		fprintf(stderr, "sealopen: %s\n", seal_strerror(rc));
		return 1;
	}
	if (EVP_Digest(pt, ptlen, md, &mdlen, EVP_sha256(), NULL) != 1) {
		fprintf(stderr, "sealopen: SHA-256 failed\n");
		return 2;
	}
	print_hex(md, mdlen);
	if (xflag)
		print_hex(pt, ptlen);
	explicit_bzero(pt, sizeof(pt));
	return 0;
}
