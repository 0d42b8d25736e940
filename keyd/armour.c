/*
 * ASCII armour for one public key (RFC 4880 6.2): the header line, an
 * empty line (no armour headers: a Version line tells an attacker what
 * runs here), the base64 body in lines of 64 characters, the CRC-24
 * checksum line (6.1), the tail line.  This is what pgpmg.keys.armoured
 * holds; gpg and other readers import it as they import gpg's own.
 *
 * For the inventory (inventory.c) the same text is written as the
 * content of a JSON string, where each newline is the two characters \n;
 * base64 and the armour lines hold nothing else that JSON escapes.
 */
#include <stdint.h>
#include <stdio.h>

#include <openssl/evp.h>

#include "keyd/keyblock.h"

#define ARMOUR_HEAD	"-----BEGIN PGP PUBLIC KEY BLOCK-----"
#define ARMOUR_TAIL	"-----END PGP PUBLIC KEY BLOCK-----"
/* 48 bytes make one line of 64 base64 characters. */
#define LINE_BYTES	48

#define CRC24_INIT	0xb704ceu
#define CRC24_POLY	0x1864cfbu

static uint32_t
crc24(const uint8_t *p, size_t len)
{
	uint32_t	 crc = CRC24_INIT;

	while (len-- > 0) {
		crc ^= (uint32_t)*p++ << 16;
		for (int i = 0; i < 8; i++) {
			crc <<= 1;
			if (crc & 0x1000000u)
				crc ^= CRC24_POLY;
		}
	}
	return crc & 0xffffffu;
}

size_t
armour_len(size_t len)
{
	size_t	 lines = (len + LINE_BYTES - 1) / LINE_BYTES;

	/* head, empty line, body lines, "=XXXX", tail: each with "\n". */
	return sizeof(ARMOUR_HEAD) + 1 + (len + 2) / 3 * 4 + lines + 6 +
	    sizeof(ARMOUR_TAIL);
}

int
armour_write(FILE *f, const uint8_t *p, size_t len, int json)
{
	const char	*nl = json ? "\\n" : "\n";
	unsigned char	 line[LINE_BYTES / 3 * 4 + 1];
	uint8_t		 c[3];
	uint32_t	 crc = crc24(p, len);

	if (fprintf(f, "%s%s%s", ARMOUR_HEAD, nl, nl) < 0)
		return -1;
	for (size_t off = 0; off < len; off += LINE_BYTES) {
		size_t n = len - off < LINE_BYTES ? len - off : LINE_BYTES;

		EVP_EncodeBlock(line, p + off, (int)n);
		if (fprintf(f, "%s%s", line, nl) < 0)
			return -1;
	}
	c[0] = (uint8_t)(crc >> 16);
	c[1] = (uint8_t)(crc >> 8);
	c[2] = (uint8_t)crc;
	EVP_EncodeBlock(line, c, 3);
	return fprintf(f, "=%s%s%s%s", line, nl, ARMOUR_TAIL, nl) < 0 ? -1 : 0;
}
