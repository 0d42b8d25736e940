/*
 * http_path: percent-decoding of the path, and the refusal of every path
 * that could mean something else to a file system or to another decoder.
 * The router matches decoded paths exactly; nothing here ever touches a
 * file, but static.c relies on a clean path all the same, so that a name
 * it is handed cannot climb out of its directory whatever it does.
 */
#include <string.h>

#include "common/utf8.h"
#include "webd/http_path.h"

static int
http_path_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Each segment between slashes: not empty (but the last), not a dot
 * segment.  Decoded, so "%2e%2e" is caught as "..". */
static int
http_path_segments(const char *p, size_t len, const char **why)
{
	size_t	 i = 1, start, n;

	while (i <= len) {
		start = i;
		while (i < len && p[i] != '/')
			i++;
		n = i - start;
		if (n == 0 && i < len) {
			*why = "an empty path segment";
			return -1;
		}
		if ((n == 1 && p[start] == '.') ||
		    (n == 2 && p[start] == '.' && p[start + 1] == '.')) {
			*why = "a dot segment in the path";
			return -1;
		}
		i++;
	}
	return 0;
}

int
http_path_decode(const char *target, size_t len, struct http_target *t,
    const char **why)
{
	const char	*q;
	size_t		 plen, o = 0;
	int		 hi, lo;
	unsigned char	 c;

	memset(t, 0, sizeof(*t));
	if (len > HTTP_TARGET_MAX) {
		*why = "the request target is too long";
		return -1;
	}
	if ((q = memchr(target, '?', len)) != NULL) {
		t->query = q + 1;
		t->querylen = len - (size_t)(q + 1 - target);
		plen = (size_t)(q - target);
	} else
		plen = len;
	if (plen == 0 || target[0] != '/') {
		*why = "the path is not absolute";
		return -1;
	}
	for (size_t i = 0; i < plen; i++) {
		c = (unsigned char)target[i];
		if (c == '%') {
			if (plen - i < 3 ||
			    (hi = http_path_hex(target[i + 1])) == -1 ||
			    (lo = http_path_hex(target[i + 2])) == -1) {
				*why = "malformed percent-encoding in the path";
				return -1;
			}
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
			/* An encoded slash would be a separator to some
			 * decoders and a name byte to others. */
			if (c == '/') {
				*why = "an encoded '/' in the path";
				return -1;
			}
		}
		if (c < 0x20 || c == 0x7f) {
			*why = "a NUL or control character in the path";
			return -1;
		}
		/* A separator on other systems, never one of our names. */
		if (c == '\\') {
			*why = "a backslash in the path";
			return -1;
		}
		t->path[o++] = (char)c;
	}
	t->path[o] = '\0';
	t->pathlen = o;
	if (!utf8_valid(t->path, o)) {
		*why = "the path is not valid UTF-8";
		return -1;
	}
	return http_path_segments(t->path, o, why);
}
