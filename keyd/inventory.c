/*
 * KEY_OP_INVENTORY: every key keyd has, for policyd's record of them (the
 * table pgpmg.keys), as a sealed memfd of JSON lines, one object per key:
 *
 *   {"fpr":"<hex>","secret":true|false,"created":<epoch>,
 *    "expires":<epoch>|null (when it stops being good for encryption),"revoked":true|false,"address":"<owner>"|null,
 *    "addresses":["<address>",...],"armoured":"<armour>"|null}
 *
 * "fpr" always comes first, so a line can be told from its first bytes.
 * "address" is the owner: for a key pair keyd holds, its first address in
 * an internal domain; otherwise the first address of a valid user ID.
 * "addresses" are those of every user ID that is neither revoked nor
 * invalid.  Only addresses gpg_valid_address() accepts appear (printable
 * ASCII without quotes or backslashes), so no user ID an outsider wrote
 * can bend the JSON; strings are escaped all the same.  A key with no
 * such address has "address": null, and one whose armour would exceed
 * what the table keeps (1 MiB) "armoured": null: policyd keeps such keys
 * as they were recorded (or leaves them out) rather than guess.
 *
 * The armour is made here from one binary export of all keys (one gpg
 * run however many keys there are), cut per key (keyblock.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/msg.h"
#include "keyd/keyblock.h"
#include "keyd/keyd.h"

/* As the table's CHECK on keys.armoured. */
#define INVENTORY_ARMOUR_MAX	((size_t)1 << 20)

static int
json_str(FILE *f, const char *s)
{
	if (fputc('"', f) == EOF)
		return -1;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			if (fprintf(f, "\\%c", c) < 0)
				return -1;
		} else if (c < 0x20 || c >= 0x7f) {
			if (fprintf(f, "\\u%04x", c) < 0)
				return -1;
		} else if (fputc(c, f) == EOF)
			return -1;
	}
	return fputc('"', f) == EOF ? -1 : 0;
}

static int
uid_listed(gpgme_user_id_t u)
{
	return !u->revoked && !u->invalid && u->email != NULL &&
	    gpg_valid_address(u->email);
}

static const char *
key_owner(const struct keyd *k, gpgme_key_t key)
{
	gpgme_user_id_t	 u;

	if (key->secret)
		for (u = key->uids; u != NULL; u = u->next)
			if (uid_listed(u) &&
			    conf_is_internal_address(k->conf, u->email))
				return u->email;
	for (u = key->uids; u != NULL; u = u->next)
		if (uid_listed(u))
			return u->email;
	/* A revoked user ID still says whose the key was. */
	for (u = key->uids; u != NULL; u = u->next)
		if (u->email != NULL && gpg_valid_address(u->email))
			return u->email;
	return NULL;
}

/*
 * When the key stops being good for encryption: the primary key's expiry,
 * or earlier, the last expiry among its encryption subkeys (a primary key
 * that never expires with a subkey that does is common).  0: never.
 */
static long
key_expires(gpgme_key_t key)
{
	gpgme_subkey_t	 pk = key->subkeys;
	long		 primary = pk->expires > 0 ? (long)pk->expires : 0;
	long		 enc = -1;	/* none yet */

	for (gpgme_subkey_t sk = pk; sk != NULL; sk = sk->next) {
		if (!sk->can_encrypt || sk->revoked || sk->invalid ||
		    sk->disabled)
			continue;
		if (sk->expires <= 0) {
			enc = 0;
			break;
		}
		if ((long)sk->expires > enc)
			enc = (long)sk->expires;
	}
	if (enc <= 0 || (primary != 0 && primary < enc))
		return primary;
	return enc;
}

static int
inventory_line(FILE *f, const struct keyd *k, gpgme_key_t key,
    const uint8_t *blk, size_t blklen)
{
	gpgme_subkey_t	 pk = key->subkeys;
	const char	*owner = key_owner(k, key);
	int		 first = 1;

	if (pk == NULL)
		return 0;
	if (fprintf(f, "{\"fpr\":") < 0 || json_str(f, key->fpr) == -1 ||
	    fprintf(f, ",\"secret\":%s,\"created\":%ld,\"expires\":",
	    key->secret ? "true" : "false", pk->timestamp > 0 ?
	    (long)pk->timestamp : 0L) < 0)
		return -1;
	if ((key_expires(key) > 0 ? fprintf(f, "%ld", key_expires(key)) :
	    fprintf(f, "null")) < 0 ||
	    fprintf(f, ",\"revoked\":%s,\"address\":", key->revoked ? "true" :
	    "false") < 0 ||
	    (owner != NULL ? json_str(f, owner) : fprintf(f, "null")) < 0 ||
	    fprintf(f, ",\"addresses\":[") < 0)
		return -1;
	for (gpgme_user_id_t u = key->uids; u != NULL; u = u->next) {
		if (!uid_listed(u))
			continue;
		if ((!first && fputc(',', f) == EOF) ||
		    json_str(f, u->email) == -1)
			return -1;
		first = 0;
	}
	if (fprintf(f, "],\"armoured\":") < 0)
		return -1;
	if (blk == NULL || armour_len(blklen) > INVENTORY_ARMOUR_MAX) {
		if (blk != NULL)
			log_warnx("key %s is too large to record (%zu bytes)",
			    key->fpr, blklen);
		if (fprintf(f, "null") < 0)
			return -1;
	} else if (fputc('"', f) == EOF || armour_write(f, blk, blklen, 1) ==
	    -1 || fputc('"', f) == EOF)
		return -1;
	return fprintf(f, "}\n") < 0 ? -1 : 0;
}

/* The block of key fpr in the export, if the export has it. */
static const struct keyblock *
block_find(const struct keyblocks *b, const char *fpr)
{
	for (size_t i = 0; i < b->n; i++)
		if (strcasecmp(b->blocks[i].fpr, fpr) == 0)
			return &b->blocks[i];
	return NULL;
}

void
keys_inventory(struct keyd *k, struct keyreply *r)
{
	struct keylist		 l;
	struct keyblocks	 blocks = { NULL, 0 };
	gpgme_ctx_t		 ctx;
	gpgme_data_t		 exp = NULL;
	gpgme_error_t		 e;
	FILE			*f = NULL;
	char			*bin = NULL, *out = NULL;
	size_t			 binlen = 0, outlen = 0;
	int			 rc = 0;

	if ((ctx = gpg_ctx(k)) == NULL) {
		reply_set(r, KEY_E_FAILED, "gpgme context");
		return;
	}
	if (gpg_list(ctx, 0, &l) == -1) {
		gpgme_release(ctx);
		reply_set(r, KEY_E_FAILED, "cannot list the keys");
		return;
	}
	/* Mode 0: public keys only. */
	if ((e = gpgme_data_new(&exp)) != 0 ||
	    (e = gpgme_op_export(ctx, NULL, 0, exp)) != 0) {
		reply_set(r, KEY_E_FAILED, "export: %s", gpgme_strerror(e));
		goto out;
	}
	bin = gpgme_data_release_and_get_mem(exp, &binlen);
	exp = NULL;
	if (bin == NULL && binlen != 0) {
		reply_set(r, KEY_E_FAILED, "out of memory");
		goto out;
	}
	if (keyblock_split((const uint8_t *)bin, binlen, &blocks) == -1) {
		reply_set(r, KEY_E_FAILED, "gpg's export does not parse");
		goto out;
	}
	if ((f = open_memstream(&out, &outlen)) == NULL) {
		reply_set(r, KEY_E_FAILED, "out of memory");
		goto out;
	}
	for (size_t i = 0; rc == 0 && i < l.n; i++) {
		const struct keyblock *b = block_find(&blocks, l.keys[i]->fpr);

		rc = inventory_line(f, k, l.keys[i], b != NULL ?
		    (const uint8_t *)bin + b->off : NULL, b != NULL ? b->len :
		    0);
	}
	if (fclose(f) == EOF)
		rc = -1;
	f = NULL;
	if (rc == -1)
		reply_set(r, KEY_E_FAILED, "inventory: out of memory");
	else if (keys_memfd("pgpmg-inventory", out != NULL ? out : "",
	    outlen, r) == 0)
		reply_set(r, KEY_E_OK, "%zu keys", l.n);
out:
	if (exp != NULL)
		gpgme_data_release(exp);
	gpgme_free(bin);
	free(out);
	keyblock_free(&blocks);
	gpg_list_free(&l);
	gpgme_release(ctx);
}
