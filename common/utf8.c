/*
 * utf8: RFC 3629 well-formedness, and the few things done with text that
 * must stay well-formed (counting characters, copying untrusted bytes,
 * cutting at a character boundary).  The lead byte fixes the length and
 * the range of the second byte, so overlong forms, surrogates and code
 * points above U+10FFFF fall out of one comparison; C0, C1 and F5..FF can
 * never lead.
 */
#include <string.h>

#include "common/utf8.h"

/* The length of the well-formed sequence at s (avail bytes there, at
 * least 1), or 0. */
static size_t
utf8_seq(const unsigned char *s, size_t avail)
{
	unsigned	 c = s[0], lo = 0x80, hi = 0xbf;
	size_t		 n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (c == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;	/* overlong */
		else if (c == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else
		return 0;
	if (avail < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

int
utf8_valid(const void *buf, size_t len)
{
	const unsigned char	*s = buf;
	size_t			 i = 0, n;

	while (i < len) {
		if ((n = utf8_seq(s + i, len - i)) == 0)
			return 0;
		i += n;
	}
	return 1;
}

int
utf8_valid_str(const char *s)
{
	return utf8_valid(s, strlen(s));
}

size_t
utf8_chars(const char *s)
{
	size_t	 n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

void
utf8_copy(char *dst, size_t dstlen, const char *src)
{
	const unsigned char	*p = (const unsigned char *)src;
	size_t			 o = 0, n, left = strlen(src);

	while (left > 0) {
		if ((n = utf8_seq(p, left)) == 0) {
			if (o + 1 >= dstlen)
				break;
			dst[o++] = '?';
			p++;
			left--;
			continue;
		}
		if (o + n >= dstlen)
			break;
		memcpy(dst + o, p, n);
		o += n;
		p += n;
		left -= n;
	}
	dst[o] = '\0';
}

void
utf8_cut(char *s, size_t max)
{
	size_t	 len = strlen(s), cut;

	if (len <= max)
		return;
	cut = max - 3;
	while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
		cut--;
	memcpy(s + cut, "...", 4);
}
