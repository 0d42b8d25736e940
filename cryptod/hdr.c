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

/* RFC 2047 B words for UTF-8 text: at most 45 bytes (60 base64) each,
 * never cutting a character, separated by a space (folding is hdr_add's). */
static int
hdr_encode_words(const char *p, size_t len, struct buf *out)
{
	static const char	 b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t			 off = 0;

	while (off < len) {
		size_t n = len - off > 45 ? 45 : len - off;

		/* Back off to the start of a UTF-8 character. */
		while (n > 1 && off + n < len &&
		    ((unsigned char)p[off + n] & 0xc0) == 0x80)
			n--;
		if (off > 0)
			buf_addc(out, ' ');
		buf_addstr(out, "=?UTF-8?B?");
		for (size_t i = 0; i < n; i += 3) {
			unsigned v = (unsigned char)p[off + i] << 16;
			if (i + 1 < n)
				v |= (unsigned char)p[off + i + 1] << 8;
			if (i + 2 < n)
				v |= (unsigned char)p[off + i + 2];
			buf_addc(out, b64[(v >> 18) & 63]);
			buf_addc(out, b64[(v >> 12) & 63]);
			buf_addc(out, i + 1 < n ? b64[(v >> 6) & 63] : '=');
			buf_addc(out, i + 2 < n ? b64[v & 63] : '=');
		}
		buf_addstr(out, "?=");
		off += n;
	}
	return buf_failed(out) ? -1 : 0;
}

int
hdr_subject_without(const char *subject, size_t len, const char *keyword,
    struct buf *out)
{
	struct buf	 text;
	size_t		 klen = strlen(keyword);
	int		 ascii = 1, space = 1, rc;

	buf_init(&text, len + 1);
	for (size_t i = 0; i < len; i++) {
		if (klen > 0 && len - i >= klen &&
		    strncasecmp(subject + i, keyword, klen) == 0) {
			i += klen - 1;
			continue;
		}
		/* Control characters never reach a header we write. */
		if ((unsigned char)subject[i] < 0x20 || subject[i] == 0x7f) {
			if (!space)
				buf_addc(&text, ' ');
			space = 1;
			continue;
		}
		if (subject[i] == ' ') {
			if (!space)
				buf_addc(&text, ' ');
			space = 1;
			continue;
		}
		ascii &= (unsigned char)subject[i] < 0x80;
		buf_addc(&text, subject[i]);
		space = 0;
	}
	while (text.len > 0 && text.data[text.len - 1] == ' ')
		text.len--;
	if (buf_failed(&text))
		rc = -1;
	else if (ascii)
		rc = buf_add(out, text.data != NULL ? text.data : "", text.len);
	else
		rc = hdr_encode_words(text.data, text.len, out);
	buf_addc(out, '\0');
	out->len--;
	buf_free(&text);
	return rc == -1 || buf_failed(out) ? -1 : 0;
}
