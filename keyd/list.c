/*
 * KEY_OP_LIST: every key keyd has, one line each, as a sealed memfd.  The
 * format is stable (README, "Managing keys"): tab-separated fingerprint;
 * "yes" when keyd holds the secret key, else "no"; created and expiry
 * dates (UTC, YYYY-MM-DD, or "never"); flags (revoked, expired, disabled,
 * invalid, org; comma-separated, or "-"); then one field per user ID, with
 * bytes outside printable ASCII and the backslash as \xHH.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/msg.h"
#include "keyd/keyd.h"

static void
list_date(char *buf, size_t len, long t)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL)
		snprintf(buf, len, "never");
	else
		strftime(buf, len, "%Y-%m-%d", &tm);
}

/* A user ID as one field: bytes outside printable ASCII, and the
 * backslash, as \xHH, so that no tab or newline of an imported key's
 * user ID can break the format. */
static int
list_field(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c >= 0x7f || c == '\\') {
			if (fprintf(f, "\\x%02x", c) < 0)
				return -1;
		} else if (fputc(c, f) == EOF)
			return -1;
	}
	return 0;
}

static void
list_flag(char *flags, size_t len, const char *flag)
{
	size_t	 n = strlen(flags);

	snprintf(flags + n, len - n, "%s%s", n > 0 ? "," : "", flag);
}

static int
list_line(FILE *f, const struct keyd *k, gpgme_key_t key)
{
	char		 created[16], expires[16], flags[64] = "";
	time_t		 now = time(NULL);
	gpgme_subkey_t	 pk = key->subkeys;

	if (pk == NULL)
		return 0;
	list_date(created, sizeof(created), pk->timestamp);
	list_date(expires, sizeof(expires), pk->expires);
	if (key->revoked)
		list_flag(flags, sizeof(flags), "revoked");
	if (key->expired || (pk->expires > 0 && pk->expires <= now))
		list_flag(flags, sizeof(flags), "expired");
	if (key->disabled)
		list_flag(flags, sizeof(flags), "disabled");
	if (key->invalid)
		list_flag(flags, sizeof(flags), "invalid");
	if (strcasecmp(key->fpr, k->org_fpr) == 0)
		list_flag(flags, sizeof(flags), "org");
	if (fprintf(f, "%s\t%s\t%s\t%s\t%s", key->fpr,
	    key->secret ? "yes" : "no", created, expires,
	    flags[0] != '\0' ? flags : "-") < 0)
		return -1;
	for (gpgme_user_id_t u = key->uids; u != NULL; u = u->next) {
		if (fputc('\t', f) == EOF || list_field(f, u->uid ? u->uid :
		    "") == -1)
			return -1;
	}
	return fputc('\n', f) == EOF ? -1 : 0;
}

void
keys_list(struct keyd *k, struct keyreply *r)
{
	struct keylist	 l;
	gpgme_ctx_t	 ctx;
	FILE		*f;
	char		*buf = NULL;
	size_t		 len = 0;
	int		 rc = 0;

	if ((ctx = gpg_ctx(k)) == NULL) {
		reply_set(r, KEY_E_FAILED, "gpgme context");
		return;
	}
	if (gpg_list(ctx, 0, &l) == -1) {
		gpgme_release(ctx);
		reply_set(r, KEY_E_FAILED, "cannot list the keys");
		return;
	}
	if ((f = open_memstream(&buf, &len)) == NULL)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < l.n; i++)
		rc = list_line(f, k, l.keys[i]);
	if (f != NULL && fclose(f) == EOF)
		rc = -1;
	if (rc == -1)
		reply_set(r, KEY_E_FAILED, "list: out of memory");
	else if (keys_memfd("pgpmg-list", buf != NULL ? buf : "", len, r) == 0)
		reply_set(r, KEY_E_OK, "%zu keys", l.n);
	free(buf);
	gpg_list_free(&l);
	gpgme_release(ctx);
}
