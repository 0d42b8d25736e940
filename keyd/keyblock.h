/*
 * keyblock: a binary export of public keys cut into one block per key,
 * each named by its fingerprint (keyblock.c); and a block in ASCII armour
 * (armour.c).
 */
#ifndef PGPMG_KEYD_KEYBLOCK_H
#define PGPMG_KEYD_KEYBLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct keyblock {
	size_t		 off;		/* into the export */
	size_t		 len;
	char		 fpr[65];	/* "" for a key version we cannot name */
};

struct keyblocks {
	struct keyblock	*blocks;
	size_t		 n;
};

/* 0, or -1 when the export does not parse (nothing is returned then). */
int	keyblock_split(const uint8_t *, size_t, struct keyblocks *);
void	keyblock_free(struct keyblocks *);

/* The bytes as a PUBLIC KEY BLOCK (RFC 4880 6.2), with its CRC-24, to f;
 * as the JSON string's content when json is set (newlines as \n). */
int	armour_write(FILE *f, const uint8_t *, size_t, int json);
/* The armoured length of len bytes, for the bound before writing. */
size_t	armour_len(size_t len);

#endif /* PGPMG_KEYD_KEYBLOCK_H */
