/*
 * mime_cte: transfer encodings.  Decoders are lenient (what arrives was
 * written by every mailer there is); encoders are strict and write only
 * what survives any MTA: CRLF, lines of at most 76 octets, and in
 * quoted-printable no line that an MTA or a MIME parser could take for
 * something else (a "From " line, a lone dot, a boundary delimiter).
 * Output goes through a small local chunk so that the per-byte loops do
 * not call into buf for every octet.
 */
#include <string.h>

#include "cryptod/buf.h"
#include "cryptod/mime.h"
#include "cryptod/mime_local.h"

#define CTE_LINE	76	/* RFC 2045 6.7 and 6.8 */
#define CTE_B64_IN	57	/* input octets per full base64 line */

/* A chunk in front of a buf. */
struct cte_out {
	struct buf	*b;
	size_t		 n;
	char		 c[4096];
};

static int
cte_flush(struct cte_out *o)
{
	int	 rv = buf_add(o->b, o->c, o->n);

	o->n = 0;
	return rv;
}

/* Room for n more octets in the chunk. */
static int
cte_room(struct cte_out *o, size_t n)
{
	if (o->n + n > sizeof(o->c))
		return cte_flush(o);
	return 0;
}

static int
cte_done(struct cte_out *o)
{
	if (cte_flush(o) == -1 || buf_failed(o->b))
		return -1;
	return 0;
}

#define XX	0xff	/* not in the alphabet */
#define PD	0xfe	/* the pad '=' */
static const unsigned char b64_dec[256] = {
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, 62, XX, XX, XX, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, XX, XX, XX, PD, XX, XX,
	XX,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, XX, XX, XX, XX, XX,
	XX, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
};
#undef XX

static const char b64_enc[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char cte_hex[] = "0123456789ABCDEF";

/* The octets a partial quantum of n sextets (n = 2 or 3) stands for. */
static void
b64_partial(struct cte_out *o, unsigned int acc, int n)
{
	if (n == 2)
		o->c[o->n++] = (char)(acc >> 4);
	else if (n == 3) {
		o->c[o->n++] = (char)(acc >> 10);
		o->c[o->n++] = (char)(acc >> 2);
	}
}

/*
 * Lenient: characters outside the alphabet are skipped and a pad ends
 * the quantum it is in (mailers that concatenate base64 blocks exist).
 * Strict, for RFC 2047: anything outside the alphabet fails.  Whole
 * quanta of four alphabet characters go through the fast loop.
 */
int
mime_b64_decode(const char *in, size_t len, struct buf *b, int strict)
{
	const unsigned char	*s = (const unsigned char *)in;
	struct cte_out		 o;
	unsigned int		 acc = 0, v;
	size_t			 i = 0;
	int			 n = 0, pad = 0;

	o.b = b;
	o.n = 0;
	while (i < len) {
		while (n == 0 && len - i >= 4 && o.n + 3 <= sizeof(o.c)) {
			unsigned int a = b64_dec[s[i]], c = b64_dec[s[i + 1]],
			    d = b64_dec[s[i + 2]], e = b64_dec[s[i + 3]];

			if ((a | c | d | e) & 0xc0)
				break;
			v = a << 18 | c << 12 | d << 6 | e;
			o.c[o.n++] = (char)(v >> 16);
			o.c[o.n++] = (char)(v >> 8);
			o.c[o.n++] = (char)v;
			i += 4;
			pad = 0;
		}
		if (cte_room(&o, 3) == -1)
			return -1;
		if (i == len)
			break;
		v = b64_dec[s[i++]];
		if (v < 64) {
			pad = 0;
			acc = acc << 6 | v;
			if (++n == 4) {
				o.c[o.n++] = (char)(acc >> 16);
				o.c[o.n++] = (char)(acc >> 8);
				o.c[o.n++] = (char)acc;
				n = 0;
				acc = 0;
			}
		} else if (v == PD) {
			/* One or two pads end a quantum of three or two. */
			if (strict && (n == 1 || (n == 0 && !pad)))
				return -1;
			b64_partial(&o, acc, n);
			pad = n > 0 || pad;
			n = 0;
			acc = 0;
			continue;
		} else if (strict)
			return -1;
	}
	if (strict && n == 1)
		return -1;
	b64_partial(&o, acc, n);
	return cte_done(&o);
}
#undef PD

int
mime_encode_base64(const char *in, size_t len, struct buf *b)
{
	const unsigned char	*s = (const unsigned char *)in;
	struct cte_out		 o;
	size_t			 i = 0, k;
	unsigned int		 v;

	o.b = b;
	o.n = 0;
	while (i < len) {
		size_t	 take = len - i < CTE_B64_IN ? len - i : CTE_B64_IN;

		if (cte_room(&o, CTE_LINE + 2) == -1)
			return -1;
		for (k = 0; k + 3 <= take; k += 3) {
			v = (unsigned int)s[i + k] << 16 |
			    (unsigned int)s[i + k + 1] << 8 | s[i + k + 2];
			o.c[o.n++] = b64_enc[v >> 18];
			o.c[o.n++] = b64_enc[(v >> 12) & 63];
			o.c[o.n++] = b64_enc[(v >> 6) & 63];
			o.c[o.n++] = b64_enc[v & 63];
		}
		if (k < take) {
			v = (unsigned int)s[i + k] << 16;
			if (k + 1 < take)
				v |= (unsigned int)s[i + k + 1] << 8;
			o.c[o.n++] = b64_enc[v >> 18];
			o.c[o.n++] = b64_enc[(v >> 12) & 63];
			o.c[o.n++] = k + 1 < take ?
			    b64_enc[(v >> 6) & 63] : '=';
			o.c[o.n++] = '=';
		}
		o.c[o.n++] = '\r';
		o.c[o.n++] = '\n';
		i += take;
	}
	return cte_done(&o);
}

static int
cte_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
mime_hex2(const char *s)
{
	int	 h = cte_hexval(s[0]), l;

	if (h < 0 || (l = cte_hexval(s[1])) < 0)
		return -1;
	return h << 4 | l;
}

/* The length of the line break at s[i], or 0. */
static size_t
qp_eol(const char *s, size_t i, size_t len)
{
	if (i < len && s[i] == '\n')
		return 1;
	if (i + 1 < len && s[i] == '\r' && s[i + 1] == '\n')
		return 2;
	return 0;
}

/*
 * Lenient: a bad escape is copied as it is; white space at the end of a
 * line was added in transport and goes (RFC 2045 6.7 (3)); "=" and white
 * space before a line end, or at the very end, is a soft break.
 */
static int
qp_decode(const char *s, size_t len, struct buf *b)
{
	struct cte_out	 o;
	size_t		 i = 0, j, k;
	int		 h;

	o.b = b;
	o.n = 0;
	while (i < len) {
		if (cte_room(&o, 1) == -1)
			return -1;
		if (s[i] == '=') {
			if (len - i >= 3 && (h = mime_hex2(s + i + 1)) >= 0) {
				o.c[o.n++] = (char)h;
				i += 3;
				continue;
			}
			for (j = i + 1; j < len && (s[j] == ' ' ||
			    s[j] == '\t'); j++)
				;
			if (j == len || (k = qp_eol(s, j, len)) > 0) {
				i = j == len ? len : j + k;
				continue;
			}
			o.c[o.n++] = '=';
			i++;
		} else if (s[i] == ' ' || s[i] == '\t') {
			for (j = i; j < len && (s[j] == ' ' || s[j] == '\t');
			    j++)
				;
			if (j == len || qp_eol(s, j, len) > 0) {
				i = j;
				continue;
			}
			for (; i < j; i++) {
				if (cte_room(&o, 1) == -1)
					return -1;
				o.c[o.n++] = s[i];
			}
		} else
			o.c[o.n++] = s[i++];
	}
	return cte_done(&o);
}

/* Must this octet be =XX, at output column col? */
static int
qp_must(const char *s, size_t i, size_t len, size_t col, int at_eol)
{
	unsigned char	 c = (unsigned char)s[i];

	if (c == '=' || c > 126 || (c < 32 && c != '\t'))
		return 1;
	if (c == ' ' || c == '\t')
		return at_eol;
	if (col > 0)
		return 0;
	/* Line starts an MTA or a MIME parser would act on: a lone dot
	 * (SMTP, some MTAs take any leading dot), "From " (mbox), and a
	 * boundary delimiter, which starts with "--". */
	if (c == '.')
		return 1;
	if (c == 'F' && len - i >= 5 && memcmp(s + i + 1, "rom ", 4) == 0)
		return 1;
	if (c == '-' && len - i >= 2 && s[i + 1] == '-')
		return 1;
	return 0;
}

int
mime_encode_qp(const char *s, size_t len, struct buf *b)
{
	struct cte_out	 o;
	size_t		 i, col = 0, k, tok;
	int		 at_eol, enc;

	o.b = b;
	o.n = 0;
	for (i = 0; i < len; i++) {
		unsigned char	 c = (unsigned char)s[i];

		if (cte_room(&o, 8) == -1)
			return -1;
		/* Most octets: printable, mid-line, clear of the limit;
		 * what follows them does not matter. */
		if (col > 0 && col < CTE_LINE - 1 && c > ' ' && c < 127 &&
		    c != '=') {
			o.c[o.n++] = (char)c;
			col++;
			continue;
		}
		if ((k = qp_eol(s, i, len)) > 0) {
			o.c[o.n++] = '\r';
			o.c[o.n++] = '\n';
			col = 0;
			i += k - 1;
			continue;
		}
		at_eol = i + 1 == len || qp_eol(s, i + 1, len) > 0;
		enc = qp_must(s, i, len, col, at_eol);
		tok = enc ? 3 : 1;
		/* The last token of a line may use column 76; any other
		 * leaves room for the '=' of a soft break. */
		if (col + tok > (at_eol ? CTE_LINE : CTE_LINE - 1)) {
			o.c[o.n++] = '=';
			o.c[o.n++] = '\r';
			o.c[o.n++] = '\n';
			col = 0;
			enc = qp_must(s, i, len, col, at_eol);
			tok = enc ? 3 : 1;
		}
		if (enc) {
			o.c[o.n++] = '=';
			o.c[o.n++] = cte_hex[c >> 4];
			o.c[o.n++] = cte_hex[c & 15];
		} else
			o.c[o.n++] = (char)c;
		col += tok;
	}
	return cte_done(&o);
}

int
mime_cte_decode(enum mime_cte cte, const char *s, size_t len, struct buf *b)
{
	switch (cte) {
	case MIME_CTE_QP:
		return qp_decode(s, len, b);
	case MIME_CTE_BASE64:
		return mime_b64_decode(s, len, b, 0);
	default:
		return buf_add(b, s, len) == -1 || buf_failed(b) ? -1 : 0;
	}
}

int
mime_decode_body(const struct mime_msg *m, const struct mime_part *p,
    struct buf *out)
{
	return mime_cte_decode(p->cte, m->data + p->body_off,
	    p->end - p->body_off, out);
}

/*
 * Lines must be CRLF-terminated and at most 998 octets (RFC 5322 2.1.1)
 * and hold no NUL or 8-bit octet (RFC 2045 2.7).
 */
int
mime_needs_encoding(const char *data, size_t len)
{
	const unsigned char	*s = (const unsigned char *)data;
	size_t			 i, line = 0;

	for (i = 0; i < len; i++) {
		unsigned char	 c = s[i];

		/* RFC 3156 3: no trailing white space in what is signed,
		 * and a "From " line start is what mbox MTAs rewrite. */
		if (line == 0 && len - i >= 5 && memcmp(s + i, "From ", 5) == 0)
			return 1;
		if (c >= 32 && c < 128) {
			if (++line > 998)
				return 1;
			continue;
		}
		if (c == '\r') {
			if (i + 1 == len || s[i + 1] != '\n')
				return 1;
			if (i > 0 && line > 0 && (s[i - 1] == ' ' ||
			    s[i - 1] == '\t'))
				return 1;
			i++;
			line = 0;
		} else if (c == '\n' || c == 0 || c >= 128)
			return 1;
		else if (++line > 998)
			return 1;
	}
	/* The last line, unterminated, ends in white space. */
	if (len > 0 && line > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		return 1;
	return 0;
}
