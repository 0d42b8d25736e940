/*
 * A binary export of many public keys, cut into one block per key
 * (RFC 4880 11.1, a "transferable public key": a Public-Key packet and
 * everything up to the next one), each named by the fingerprint computed
 * from its Public-Key packet (RFC 4880 12.2 for v4: SHA-1 over 0x99, a
 * two-octet length and the packet body; the v5 draft's SHA-256 over 0x9A
 * and a four-octet length).
 *
 * gpg made the export, so the input is trusted to be sane; it is still
 * parsed with every length checked against what is left, and anything
 * that does not parse ends the split with an error rather than a guess:
 * a key we cannot name is a key we must not record under a wrong name.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "keyd/keyblock.h"

#define TAG_PUBLIC_KEY	6

/* One packet header at buf[0..len): its tag and where its body lies. */
static int
packet_header(const uint8_t *buf, size_t len, int *tag, size_t *hdrlen,
    size_t *bodylen)
{
	uint8_t	 c;

	if (len < 2 || !((c = buf[0]) & 0x80))
		return -1;
	if (c & 0x40) {			/* new format */
		uint8_t o = buf[1];

		*tag = c & 0x3f;
		if (o < 192) {
			*hdrlen = 2;
			*bodylen = o;
		} else if (o < 224) {
			if (len < 3)
				return -1;
			*hdrlen = 3;
			*bodylen = ((size_t)(o - 192) << 8) + buf[2] + 192;
		} else if (o == 255) {
			if (len < 6)
				return -1;
			*hdrlen = 6;
			*bodylen = (size_t)buf[2] << 24 | (size_t)buf[3] << 16 |
			    (size_t)buf[4] << 8 | buf[5];
		} else
			return -1;	/* partial lengths: not in keys */
	} else {			/* old format */
		*tag = (c >> 2) & 0x0f;
		switch (c & 3) {
		case 0:
			*hdrlen = 2;
			*bodylen = buf[1];
			break;
		case 1:
			if (len < 3)
				return -1;
			*hdrlen = 3;
			*bodylen = (size_t)buf[1] << 8 | buf[2];
			break;
		case 2:
			if (len < 5)
				return -1;
			*hdrlen = 5;
			*bodylen = (size_t)buf[1] << 24 | (size_t)buf[2] << 16 |
			    (size_t)buf[3] << 8 | buf[4];
			break;
		default:
			return -1;	/* indeterminate: not in keys */
		}
	}
	return *bodylen <= len - *hdrlen ? 0 : -1;
}

/* The fingerprint of a Public-Key packet's body, in upper-case hex. */
static int
key_fingerprint(const uint8_t *body, size_t len, char *fpr, size_t fprlen)
{
	uint8_t		 pre[5], md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen;
	size_t		 prelen;
	const EVP_MD	*alg;
	EVP_MD_CTX	*ctx;
	int		 ok;

	if (len < 1)
		return -1;
	if (body[0] == 4 && len <= 0xffff) {
		pre[0] = 0x99;
		pre[1] = (uint8_t)(len >> 8);
		pre[2] = (uint8_t)len;
		prelen = 3;
		alg = EVP_sha1();
	} else if (body[0] == 5 && len <= 0xffffffffu) {
		pre[0] = 0x9a;
		pre[1] = (uint8_t)(len >> 24);
		pre[2] = (uint8_t)(len >> 16);
		pre[3] = (uint8_t)(len >> 8);
		pre[4] = (uint8_t)len;
		prelen = 5;
		alg = EVP_sha256();
	} else
		return -1;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestInit_ex(ctx, alg, NULL) == 1 &&
	    EVP_DigestUpdate(ctx, pre, prelen) == 1 &&
	    EVP_DigestUpdate(ctx, body, len) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &mdlen) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -1;
	if (fprlen < 2 * (size_t)mdlen + 1)
		return -1;
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(fpr + 2 * i, 3, "%02X", md[i]);
	return 0;
}

int
keyblock_split(const uint8_t *buf, size_t len, struct keyblocks *out)
{
	size_t	 off = 0, cap = 0;

	memset(out, 0, sizeof(*out));
	while (off < len) {
		size_t	 hdrlen, bodylen;
		int	 tag;

		if (packet_header(buf + off, len - off, &tag, &hdrlen,
		    &bodylen) == -1)
			goto bad;
		if (tag == TAG_PUBLIC_KEY) {
			struct keyblock *b;

			if (out->n == cap) {
				size_t ncap = cap ? cap * 2 : 64;
				if ((b = reallocarray(out->blocks, ncap,
				    sizeof(*b))) == NULL)
					goto bad;
				out->blocks = b;
				cap = ncap;
			}
			b = &out->blocks[out->n++];
			b->off = off;
			b->len = 0;
			if (key_fingerprint(buf + off + hdrlen, bodylen,
			    b->fpr, sizeof(b->fpr)) == -1)
				b->fpr[0] = '\0';	/* unknown version */
		} else if (out->n == 0)
			goto bad;	/* a packet before any key */
		off += hdrlen + bodylen;
		out->blocks[out->n - 1].len = off - out->blocks[out->n - 1].off;
	}
	return 0;
bad:
	keyblock_free(out);
	return -1;
}

void
keyblock_free(struct keyblocks *b)
{
	free(b->blocks);
	memset(b, 0, sizeof(*b));
}
