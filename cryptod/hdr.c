/*
 * Header helpers; see hdr.h.
 */
#include <sys/random.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/log.h"
#include "cryptod/hdr.h"

int
hdr_is(const struct mime_field *f, const char *name)
{
	return f->name_len == strlen(name) &&
	    strncasecmp(f->name, name, f->name_len) == 0;
}

int
hdr_has_prefix(const struct mime_field *f, const char *prefix)
{
	size_t	 n = strlen(prefix);

	return f->name_len >= n && strncasecmp(f->name, prefix, n) == 0;
}

int
hdr_is_ours(const struct mime_field *f)
{
	return hdr_has_prefix(f, "X-PGPMG-");
}

int
hdr_is_content(const struct mime_field *f)
{
	return hdr_has_prefix(f, "Content-") || hdr_is(f, "MIME-Version");
}

static void
hdr_random_hex(char *out, size_t nbytes)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 r[32];

	if (nbytes > sizeof(r) || getrandom(r, nbytes, 0) != (ssize_t)nbytes)
		fatal("getrandom");
	for (size_t i = 0; i < nbytes; i++) {
		out[2 * i] = hex[r[i] >> 4];
		out[2 * i + 1] = hex[r[i] & 15];
	}
	out[2 * nbytes] = '\0';
}

void
hdr_boundary(char out[HDR_BOUNDARY_LEN + 1])
{
	/* "=_" occurs in no quoted-printable text (it would be a broken
	 * escape) and in no base64 or armour; in plain text the 128 random
	 * bits make a clash beyond chance, and callers check it anyway. */
	memcpy(out, "=_pgpmg_", 8);
	hdr_random_hex(out + 8, 16);
}

void
hdr_date(char *out, size_t len)
{
	time_t		 now = time(NULL);
	struct tm	 tm;

	gmtime_r(&now, &tm);
	strftime(out, len, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

void
hdr_message_id(char *out, size_t len, const char *hostname)
{
	char	 r[33];

	hdr_random_hex(r, 16);
	snprintf(out, len, "<%s.pgpmg@%s>", r, hostname);
}

int
hdr_add(struct buf *b, const char *name, const char *value)
{
	size_t	 col = strlen(name) + 2;
	const char *p = value;

	buf_printf(b, "%s: ", name);
	while (*p != '\0') {
		const char *sp = strchr(p + 1, ' ');
		size_t word = sp != NULL ? (size_t)(sp - p) : strlen(p);

		/* Fold before a space once the line would pass 76. */
		if (p != value && *p == ' ' && col + word > 76) {
			buf_addstr(b, "\r\n");
			col = 0;
		}
		buf_add(b, p, word);
		col += word;
		p += word;
	}
	buf_addstr(b, "\r\n");
	return buf_failed(b) ? -1 : 0;
}
