/*
 * mime_param: what is inside structured field values: parameters (RFC
 * 2045 with RFC 2231 continuations and charsets), RFC 2047 encoded
 * words, and the charset conversion both need.  Everything here reads
 * header values, which the parser has already bounded to MIME_MAX_HEADER,
 * and every scan is a single pass.
 */
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "cryptod/buf.h"
#include "cryptod/mime.h"
#include "cryptod/mime_local.h"

#define PARAM_MAXSEG	100	/* RFC 2231 continuations accepted */
#define PARAM_CSMAX	64	/* a charset name, with its NUL */

struct param_val {
	const char	*v;
	size_t		 len;
	int		 quoted;
	int		 ext;		/* RFC 2231 percent-encoded */
};

static int
param_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

size_t
mime_cfws(const char *s, size_t i, size_t n)
{
	int	 depth = 0;

	for (; i < n; i++) {
		if (depth > 0) {
			if (s[i] == '\\' && i + 1 < n)
				i++;
			else if (s[i] == '(')
				depth++;
			else if (s[i] == ')')
				depth--;
		} else if (s[i] == '(')
			depth++;
		else if (!param_ws(s[i]))
			break;
	}
	return i;
}

/* Past the next ';' outside quoted strings and comments, or n. */
static size_t
param_next(const char *s, size_t i, size_t n)
{
	int	 quoted = 0;

	for (; i < n; i++) {
		if (quoted) {
			if (s[i] == '\\' && i + 1 < n)
				i++;
			else if (s[i] == '"')
				quoted = 0;
		} else if (s[i] == '"')
			quoted = 1;
		else if (s[i] == '(')
			i = mime_cfws(s, i, n) - 1;
		else if (s[i] == ';')
			return i + 1;
	}
	return n;
}

/*
 * Which of name's forms the attribute [a, a+alen) is: 1 plain, 2
 * "name*", 3 a continuation "name*k" or "name*k*" (*k set, *ext set when
 * encoded); 0 none or a continuation number beyond PARAM_MAXSEG.
 */
static int
param_attr(const char *a, size_t alen, const char *name, size_t *k,
    int *ext)
{
	size_t	 n = strlen(name), i;

	if (alen < n || strncasecmp(a, name, n) != 0)
		return 0;
	if (alen == n)
		return 1;
	if (a[n] != '*')
		return 0;
	if (alen == n + 1)
		return 2;
	*k = 0;
	for (i = n + 1; i < alen && a[i] >= '0' && a[i] <= '9'; i++) {
		*k = *k * 10 + (size_t)(a[i] - '0');
		if (*k >= PARAM_MAXSEG)
			return 0;
	}
	if (i == n + 1)
		return 0;
	*ext = 0;
	if (i + 1 == alen && a[i] == '*')
		*ext = 1;
	else if (i != alen)
		return 0;
	return 3;
}

/* The value at s[i]: a quoted string or, leniently, anything up to ';',
 * white space or a comment.  Returns the index after it. */
static size_t
param_value(const char *s, size_t i, size_t n, struct param_val *v)
{
	size_t	 j;

	v->quoted = i < n && s[i] == '"';
	if (v->quoted) {
		for (j = i + 1; j < n && s[j] != '"'; j++)
			if (s[j] == '\\' && j + 1 < n)
				j++;
		v->v = s + i + 1;
		v->len = (j < n ? j : n) - i - 1;
		return j < n ? j + 1 : n;
	}
	for (j = i; j < n && s[j] != ';' && s[j] != '(' && s[j] != '"' &&
	    !param_ws(s[j]); j++)
		;
	v->v = s + i;
	v->len = j - i;
	return j;
}

/* The value without quoting: escapes undone, folding line ends gone. */
static int
param_unquote(const struct param_val *v, struct buf *b)
{
	size_t	 i;

	if (!v->quoted)
		return buf_add(b, v->v, v->len);
	for (i = 0; i < v->len; i++) {
		if (v->v[i] == '\r' || v->v[i] == '\n')
			continue;
		if (v->v[i] == '\\' && i + 1 < v->len)
			i++;
		if (buf_addc(b, v->v[i]) == -1)
			return -1;
	}
	return 0;
}

/* %XX undone (a stray '%' stays). */
static int
param_pct(const char *s, size_t n, struct buf *b)
{
	size_t	 i;
	int	 h;

	for (i = 0; i < n; i++) {
		if (s[i] == '%' && n - i >= 3 &&
		    (h = mime_hex2(s + i + 1)) >= 0) {
			if (buf_addc(b, (char)h) == -1)
				return -1;
			i += 2;
		} else if (buf_addc(b, s[i]) == -1)
			return -1;
	}
	return 0;
}

/*
 * One RFC 2231 segment appended to raw.  The first carries
 * charset'language' in front when it is encoded; cs gets the charset.
 */
static int
param_seg(const struct param_val *v, int first, char *cs, struct buf *raw)
{
	struct buf	 u;
	const char	*s, *q1, *q2;
	size_t		 n;
	int		 rv = -1;

	if (!v->ext)
		return param_unquote(v, raw);
	buf_init(&u, 0);
	if (param_unquote(v, &u) == -1)
		goto done;
	s = u.data != NULL ? u.data : "";
	n = u.len;
	if (first && (q1 = memchr(s, '\'', n)) != NULL &&
	    (q2 = memchr(q1 + 1, '\'', n - (q1 + 1 - s))) != NULL) {
		if ((size_t)(q1 - s) >= PARAM_CSMAX)
			goto done;
		memcpy(cs, s, q1 - s);
		cs[q1 - s] = '\0';
		n -= q2 + 1 - s;
		s = q2 + 1;
	}
	rv = param_pct(s, n, raw);
 done:
	buf_free(&u);
	return rv;
}

/* The bytes of the parameter, RFC 2231 segments joined, into raw; *cs
 * the charset they are in, "" when nothing was encoded. */
static int
param_collect(const struct param_val *plain, const struct param_val *ext,
    const struct param_val *seg, size_t nseg, char *cs, struct buf *raw)
{
	size_t	 k;
	int	 encoded = 0;

	cs[0] = '\0';
	if (nseg > 0) {
		for (k = 0; k < nseg && seg[k].v != NULL; k++) {
			encoded |= seg[k].ext;
			if (param_seg(&seg[k], k == 0, cs, raw) == -1)
				return -1;
		}
	} else if (ext->v != NULL) {
		encoded = 1;
		if (param_seg(ext, 1, cs, raw) == -1)
			return -1;
	} else if (param_unquote(plain, raw) == -1)
		return -1;
	/* Encoded without a charset: take UTF-8, it includes ASCII. */
	if (encoded && cs[0] == '\0')
		strcpy(cs, "utf-8");
	return 0;
}

/* The parameter's bytes converted to UTF-8 when a charset was given. */
static int
param_finish(const struct param_val *plain, const struct param_val *ext,
    const struct param_val *seg, size_t nseg, char *out, size_t outlen)
{
	struct buf	 raw, u;
	const struct buf *r = &raw;
	char		 cs[PARAM_CSMAX];
	int		 rv = -1;

	buf_init(&raw, 0);
	buf_init(&u, 0);
	if (param_collect(plain, ext, seg, nseg, cs, &raw) == -1)
		goto done;
	if (cs[0] != '\0') {
		if (mime_to_utf8(cs, raw.data, raw.len, &u) == -1)
			goto done;
		r = &u;
	}
	/* The caller takes a C string: a NUL would cut it short. */
	if (r->len + 1 > outlen ||
	    (r->len > 0 && memchr(r->data, '\0', r->len) != NULL))
		goto done;
	if (r->len > 0)
		memcpy(out, r->data, r->len);
	out[r->len] = '\0';
	rv = 0;
 done:
	buf_free(&raw);
	buf_free(&u);
	return rv;
}

/*
 * One pass over the parameters notes where each form of name is; an
 * RFC 2231 form wins over the plain one, which older readers use.
 */
int
mime_param(const char *s, size_t n, const char *name, char *out,
    size_t outlen)
{
	struct param_val	 plain = { 0 }, ext = { 0 }, seg[PARAM_MAXSEG];
	struct param_val	 v;
	size_t			 i, a, alen, k = 0, nseg = 0;

	memset(seg, 0, sizeof(seg));
	/* The first item is the type (or disposition), not a parameter. */
	for (i = param_next(s, 0, n); i < n; i = param_next(s, i, n)) {
		i = mime_cfws(s, i, n);
		for (a = i; i < n && s[i] != '=' && s[i] != ';' &&
		    s[i] != '(' && !param_ws(s[i]); i++)
			;
		alen = i - a;
		i = mime_cfws(s, i, n);
		if (alen == 0 || i == n || s[i] != '=')
			continue;
		i = param_value(s, mime_cfws(s, i + 1, n), n, &v);
		v.ext = 0;
		switch (param_attr(s + a, alen, name, &k, &v.ext)) {
		case 1:
			if (plain.v == NULL)
				plain = v;
			break;
		case 2:
			v.ext = 1;
			if (ext.v == NULL)
				ext = v;
			break;
		case 3:
			if (seg[k].v == NULL)
				seg[k] = v;
			if (k >= nseg)
				nseg = k + 1;
			break;
		}
	}
	if (seg[0].v == NULL)
		nseg = 0;
	if (nseg == 0 && ext.v == NULL && plain.v == NULL)
		return -1;
	return param_finish(&plain, &ext, seg, nseg, out, outlen);
}

/* Strict UTF-8: no overlong forms, surrogates or values past U+10FFFF. */
static int
utf8_valid(const unsigned char *s, size_t n)
{
	size_t	 i = 0, k, need;
	unsigned int cp, min;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			need = 1;
			cp = s[i] & 0x1f;
			min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			need = 2;
			cp = s[i] & 0x0f;
			min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			need = 3;
			cp = s[i] & 0x07;
			min = 0x10000;
		} else
			return 0;
		if (n - i <= need)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += need + 1;
	}
	return 1;
}

/* A charset name as it may reach iconv_open(): no "//" suffixes that
 * change iconv's behaviour, nothing odd. */
static int
conv_name_ok(const char *cs)
{
	size_t	 i;

	for (i = 0; cs[i] != '\0'; i++)
		if (!((cs[i] >= 'a' && cs[i] <= 'z') ||
		    (cs[i] >= 'A' && cs[i] <= 'Z') ||
		    (cs[i] >= '0' && cs[i] <= '9') ||
		    strchr("-_.:+", cs[i]) != NULL))
			return 0;
	return i > 0 && i < PARAM_CSMAX;
}

static int
conv_iconv(const char *cs, const char *in, size_t len, struct buf *out)
{
	iconv_t	 cd;
	char	 chunk[4096], *ip = (char *)(uintptr_t)in, *op;
	size_t	 il = len, ol, r;
	int	 rv = 0, final = 0;

	if ((cd = iconv_open("UTF-8", cs)) == (iconv_t)-1)
		return -1;
	for (;;) {
		op = chunk;
		ol = sizeof(chunk);
		/* After the input, a last call writes any shift back. */
		if (il > 0)
			r = iconv(cd, &ip, &il, &op, &ol);
		else {
			r = iconv(cd, NULL, NULL, &op, &ol);
			final = 1;
		}
		if (buf_add(out, chunk, op - chunk) == -1) {
			rv = -1;
			break;
		}
		if (r == (size_t)-1 && errno != E2BIG) {
			rv = -1;	/* EILSEQ, EINVAL: not valid in cs */
			break;
		}
		if (final && r != (size_t)-1)
			break;
	}
	iconv_close(cd);
	return rv;
}

int
mime_to_utf8(const char *cs, const char *in, size_t len, struct buf *out)
{
	size_t	 i;

	if (cs == NULL || *cs == '\0' || strcasecmp(cs, "us-ascii") == 0 ||
	    strcasecmp(cs, "ascii") == 0) {
		for (i = 0; i < len; i++)
			if ((unsigned char)in[i] >= 0x80)
				return -1;
	} else if (strcasecmp(cs, "utf-8") == 0 ||
	    strcasecmp(cs, "utf8") == 0) {
		if (!utf8_valid((const unsigned char *)in, len))
			return -1;
	} else if (!conv_name_ok(cs))
		return -1;
	else
		return conv_iconv(cs, in, len, out);
	if (buf_add(out, in, len) == -1)
		return -1;
	return 0;
}

/* An encoded word "=?charset?B|Q?text?=" at s[i]. */
struct w2047 {
	char		 cs[PARAM_CSMAX];	/* without an RFC 2231 *lang */
	char		 enc;			/* 'B' or 'Q' */
	const char	*text;
	size_t		 len;
	size_t		 end;			/* index after "?=" */
};

static int
w2047_parse(const char *s, size_t i, size_t n, struct w2047 *w)
{
	size_t	 j, k;

	if (n - i < 8 || s[i] != '=' || s[i + 1] != '?')
		return -1;
	for (j = i + 2; j < n && s[j] != '?' && !param_ws(s[j]) &&
	    j - i - 2 < PARAM_CSMAX; j++)
		;
	if (j == i + 2 || j - i - 2 >= PARAM_CSMAX || n - j < 5 ||
	    s[j] != '?' || s[j + 2] != '?')
		return -1;
	memcpy(w->cs, s + i + 2, j - i - 2);
	w->cs[j - i - 2] = '\0';
	w->cs[strcspn(w->cs, "*")] = '\0';
	w->enc = s[j + 1] & ~0x20;
	if (w->enc != 'B' && w->enc != 'Q')
		return -1;
	w->text = s + j + 3;
	for (k = j + 3; k < n && s[k] != '?' && !param_ws(s[k]); k++)
		;
	if (n - k < 2 || s[k] != '?' || s[k + 1] != '=')
		return -1;
	w->len = k - (j + 3);
	w->end = k + 2;
	return 0;
}

/* The word's octets (still in its charset) appended to b. */
static int
w2047_decode(const struct w2047 *w, struct buf *b)
{
	size_t	 i;
	int	 h;

	if (w->enc == 'B')
		return mime_b64_decode(w->text, w->len, b, 1);
	for (i = 0; i < w->len; i++) {
		char	 c = w->text[i];

		if (c == '_')
			c = ' ';
		else if (c == '=') {
			if (w->len - i < 3 ||
			    (h = mime_hex2(w->text + i + 1)) < 0)
				return -1;
			c = (char)h;
			i += 2;
		}
		if (buf_addc(b, c) == -1)
			return -1;
	}
	return 0;
}

/* Text copied with line ends dropped: that is all unfolding is. */
static int
w2047_text(const char *s, size_t n, struct buf *out)
{
	size_t	 i, j;

	for (i = 0; i < n; i = j) {
		for (j = i; j < n && s[j] != '\r' && s[j] != '\n'; j++)
			;
		if (buf_add(out, s + i, j - i) == -1)
			return -1;
		while (j < n && (s[j] == '\r' || s[j] == '\n'))
			j++;
	}
	return 0;
}

/* A run of adjacent words in one charset, decoded but not converted:
 * a character may be split across words (RFC 2047 forbids it, mailers
 * do it), so the run is converted as a whole. */
struct w2047_run {
	int		 open;
	char		 cs[PARAM_CSMAX];
	struct buf	 bytes;
	size_t		 start, end;		/* as written */
};

/* The run converted, or as written when it does not convert. */
static int
w2047_flush(const char *s, struct w2047_run *r, struct buf *out)
{
	size_t	 mark = out->len;

	if (!r->open)
		return 0;
	r->open = 0;
	if (buf_failed(&r->bytes))
		return -1;
	if (mime_to_utf8(r->cs, r->bytes.data, r->bytes.len, out) == 0)
		return 0;
	if (buf_failed(out))
		return -1;
	out->len = mark;
	if (out->data != NULL)
		out->data[mark] = '\0';
	return w2047_text(s + r->start, r->end - r->start, out);
}

/* The white space held back after a run: dropped when a word follows,
 * copied otherwise. */
static int
w2047_close(const char *s, size_t i, struct w2047_run *r, struct buf *out)
{
	size_t	 end = r->end;

	if (!r->open)
		return 0;
	if (w2047_flush(s, r, out) == -1)
		return -1;
	return w2047_text(s + end, i - end, out);
}

/*
 * A decodable word joins the open run when only white space separates
 * them (RFC 2047 6.2: that white space goes) and the charset is the
 * same; white space after a run is held back until it is known whether
 * another word follows.  An undecodable word is plain text.
 */
int
mime_decode_2047(const char *s, size_t n, struct buf *out)
{
	struct w2047_run	 r;
	struct w2047		 w;
	struct buf		 wb;
	size_t			 i = 0, j;
	int			 rv = -1;

	memset(&r, 0, sizeof(r));
	buf_init(&r.bytes, 0);
	buf_init(&wb, 0);
	while (i < n) {
		buf_reset(&wb);
		if (s[i] == '=' && w2047_parse(s, i, n, &w) == 0 &&
		    w2047_decode(&w, &wb) == 0) {
			if (r.open && strcasecmp(w.cs, r.cs) != 0 &&
			    w2047_flush(s, &r, out) == -1)
				goto done;
			if (!r.open) {
				r.open = 1;
				r.start = i;
				memcpy(r.cs, w.cs, sizeof(r.cs));
				buf_reset(&r.bytes);
			}
			if (buf_add(&r.bytes, wb.data, wb.len) == -1)
				goto done;
			r.end = i = w.end;
			continue;
		}
		if (buf_failed(&wb))
			goto done;
		if (r.open && param_ws(s[i])) {
			i++;
			continue;
		}
		if (w2047_close(s, i, &r, out) == -1)
			goto done;
		/* Plain text up to where a word could start. */
		for (j = i + 1; j < n && s[j] != '='; j++)
			;
		if (w2047_text(s + i, j - i, out) == -1)
			goto done;
		i = j;
	}
	if (w2047_close(s, n, &r, out) == -1)
		goto done;
	rv = buf_failed(out) ? -1 : 0;
 done:
	buf_free(&r.bytes);
	buf_free(&wb);
	return rv;
}
