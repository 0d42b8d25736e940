/*
 * redirect: the Location of the plain-HTTP listener's 301.  Everything in
 * it but the scheme and the port comes from the request, so each part is
 * taken only when it means the same to every URL parser that will read
 * it (RFC 3986's, and the WHATWG's that browsers use), and never changed:
 *
 * - the host of the Host field, narrower than RFC 3986's reg-name: a DNS
 *   name of letters, digits and hyphens (RFC 1123; no percent-encoding,
 *   no sub-delims, no '_' or '~'), that does not end in a label a browser
 *   reads as a number ("a.1" is an IPv4 address to the WHATWG parser); an
 *   IPv4 address as four decimal parts without leading zeros (a browser
 *   reads "010" as octal); or an IPv6 literal in brackets that inet_pton()
 *   takes (no zone, no IPvFuture).  Its port is dropped: ours is the
 *   console's.  Userinfo never reaches here: http_parse.c refuses '@'.
 * - the target byte for byte, never decoded and re-encoded, and only when
 *   it is origin-form in RFC 3986's grammar (pchar, '/', '?', and '%' with
 *   two hex digits): http_parse.c lets any visible ASCII but '#' through,
 *   and a '"', '<', '\' or '{' in a Location is read differently by
 *   different clients.  Whether the path is one of ours is the HTTPS
 *   side's to say, after the redirect, with its own checks.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "webd/redirect.h"

/* RFC 1035 2.3.4: 63 bytes a label; 253 a name in text form, without the
 * final dot of an absolute name. */
#define REDIRECT_LABEL_MAX	63
#define REDIRECT_NAME_MAX	253
/* The longest text of an IPv6 address, brackets left out. */
#define REDIRECT_IPV6_MAX	(INET6_ADDRSTRLEN - 1)
/* A port in a Host field: 1 to 5 digits (http_parse.c says as much). */
#define REDIRECT_PORT_DIGITS	5
/* The port https:// means when none is written (RFC 9110 4.2.2). */
#define REDIRECT_HTTPS_PORT	443

static const char redirect_scheme[] = "https://";

static int
redirect_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
redirect_hex(char c)
{
	return redirect_digit(c) || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

static int
redirect_alnum(char c)
{
	return redirect_digit(c) || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

/* Four decimal parts of 0 to 255, "0" the only one with a leading 0. */
static int
redirect_ipv4(const char *s, size_t len)
{
	size_t		 i = 0;
	unsigned	 v;

	for (int part = 0; part < 4; part++) {
		if (part > 0) {
			if (i >= len || s[i] != '.')
				return 0;
			i++;
		}
		if (i >= len || !redirect_digit(s[i]))
			return 0;
		if (s[i] == '0' && i + 1 < len && redirect_digit(s[i + 1]))
			return 0;
		for (v = 0; i < len && redirect_digit(s[i]); i++)
			if ((v = v * 10 + (unsigned)(s[i] - '0')) > 255)
				return 0;
	}
	return i == len;
}

/* The WHATWG URL standard's "ends in a number": such a host is parsed
 * as an IPv4 address, and "a.1" or "a.0x1" is none. */
static int
redirect_number(const char *s, size_t len)
{
	size_t	 i = 0;

	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		for (i = 2; i < len && redirect_hex(s[i]); i++)
			;
		return i == len;
	}
	for (; i < len && redirect_digit(s[i]); i++)
		;
	return i == len;
}

/* LDH labels of 1 to 63, no hyphen at either end, 253 bytes in all and
 * perhaps the final dot of an absolute name; the last label no number. */
static int
redirect_name(const char *s, size_t len)
{
	size_t	 label = 0, last;

	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || len > REDIRECT_NAME_MAX)
		return 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (label == 0 || label > REDIRECT_LABEL_MAX ||
			    s[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!redirect_alnum(s[i]) && s[i] != '-')
			return 0;
		if (label == 0 && s[i] == '-')
			return 0;
		label++;
	}
	for (last = len; last > 0 && s[last - 1] != '.'; last--)
		;
	return !redirect_number(s + last, len - last);
}

static int
redirect_ipv6(const char *s, size_t len)
{
	char		 buf[REDIRECT_IPV6_MAX + 1];
	struct in6_addr	 a;

	if (len == 0 || len > REDIRECT_IPV6_MAX)
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(AF_INET6, buf, &a) == 1;
}

/*
 * The host of a Host field value: its length (brackets included) in
 * *hostlen, and 1 when it is one we write into a Location.  What follows
 * the host must be nothing, or ':' and a port of digits.
 */
static int
redirect_host(const char *v, size_t len, size_t *hostlen)
{
	const char	*close;
	size_t		 h, digits, numeric;

	if (len == 0 || len > HTTP_HOST_MAX)
		return 0;
	if (v[0] == '[') {
		if ((close = memchr(v, ']', len)) == NULL ||
		    !redirect_ipv6(v + 1, (size_t)(close - v) - 1))
			return 0;
		h = (size_t)(close - v) + 1;
	} else {
		for (h = 0; h < len && v[h] != ':'; h++)
			;
		for (numeric = 0; numeric < h && (redirect_digit(v[numeric]) ||
		    v[numeric] == '.'); numeric++)
			;
		/* All digits and dots is meant as an address: it must be
		 * one, not be taken as a name that a browser would read as
		 * an address anyway. */
		if (numeric == h ? !redirect_ipv4(v, h) : !redirect_name(v, h))
			return 0;
	}
	if (h < len) {
		if (v[h] != ':')
			return 0;
		for (digits = 0; h + 1 + digits < len; digits++)
			if (!redirect_digit(v[h + 1 + digits]) ||
			    digits == REDIRECT_PORT_DIGITS)
				return 0;
		if (digits == 0)
			return 0;
	}
	*hostlen = h;
	return 1;
}

/* RFC 3986 3.3 and 3.4: origin-form = absolute-path [ "?" query ], every
 * byte a pchar, '/' or '?' (pchar: unreserved, pct-encoded, sub-delims,
 * ':' and '@'). */
static int
redirect_target(const char *t, size_t len)
{
	if (len == 0 || t[0] != '/')
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (t[i] == '%') {
			if (i + 2 >= len || !redirect_hex(t[i + 1]) ||
			    !redirect_hex(t[i + 2]))
				return 0;
			i += 2;
			continue;
		}
		if (!redirect_alnum(t[i]) && (t[i] == '\0' ||
		    strchr("-._~!$&'()*+,;=:@/?", t[i]) == NULL))
			return 0;
	}
	return 1;
}

int
redirect_location(const struct http_request *req, uint16_t port, char *out,
    size_t outlen, const char **why)
{
	const struct http_field	*host;
	char			 portstr[sizeof(":65535")] = "";
	size_t			 hostlen = 0, plen = 0, need;

	/* An HTTP/1.0 request may come without Host: we would have to
	 * guess the name the person typed, and no browser of this century
	 * leaves it out. */
	if ((host = http_field_get(req, "host")) == NULL) {
		*why = "a redirect needs the Host the browser was given";
		return -1;
	}
	if (!redirect_host(host->value, host->valuelen, &hostlen)) {
		*why = "the Host is not a name or address to redirect to";
		return -1;
	}
	if (!redirect_target(req->target, req->targetlen)) {
		*why = "malformed request target";
		return -1;
	}
	if (port != REDIRECT_HTTPS_PORT)
		plen = (size_t)snprintf(portstr, sizeof(portstr), ":%u",
		    (unsigned)port);
	need = sizeof(redirect_scheme) - 1 + hostlen + plen +
	    req->targetlen + 1;
	if (need > outlen) {
		*why = "the redirect would be too long";
		return -1;
	}
	memcpy(out, redirect_scheme, sizeof(redirect_scheme) - 1);
	out += sizeof(redirect_scheme) - 1;
	memcpy(out, host->value, hostlen);
	out += hostlen;
	memcpy(out, portstr, plen);
	out += plen;
	memcpy(out, req->target, req->targetlen);
	out[req->targetlen] = '\0';
	return 0;
}
