/*
 * gate: Origin, cookie, media type and CSRF token, read strictly.  Where
 * a browser could send something we did not expect (two Origins, two
 * cookies of our name, a token of the wrong length), the answer is the
 * refusal, never a guess at which one was meant.
 */
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "webd/gate.h"

#define GATE_SCHEME	"https://"
#define GATE_FORM_TYPE	"application/x-www-form-urlencoded"

/* The one field of that name: 0 and *f; -1 when absent or repeated. */
static int
gate_field_once(const struct http_request *req, const char *name,
    const struct http_field **f)
{
	size_t	 len = strlen(name);

	*f = NULL;
	for (size_t i = 0; i < req->nfields; i++) {
		if (req->fields[i].namelen != len ||
		    strncasecmp(req->fields[i].name, name, len) != 0)
			continue;
		if (*f != NULL) {
			*f = NULL;
			return -1;
		}
		*f = &req->fields[i];
	}
	return *f != NULL ? 0 : -1;
}

static int
gate_field_count(const struct http_request *req, const char *name)
{
	size_t	 len = strlen(name);
	int	 n = 0;

	for (size_t i = 0; i < req->nfields; i++)
		if (req->fields[i].namelen == len &&
		    strncasecmp(req->fields[i].name, name, len) == 0)
			n++;
	return n;
}

static int
gate_value_is(const struct http_field *f, const char *s)
{
	return f->valuelen == strlen(s) && memcmp(f->value, s, f->valuelen) ==
	    0;
}

int
gate_origin(const struct http_request *req, const char **why)
{
	const struct http_field	*origin, *host, *site;
	size_t			 n = sizeof(GATE_SCHEME) - 1;

	switch (gate_field_count(req, "Origin")) {
	case 0:
		/* Browsers that send no Origin on a same-origin POST say
		 * where it comes from this way; nothing else stands in. */
		if (gate_field_once(req, "Sec-Fetch-Site", &site) == 0 &&
		    gate_value_is(site, "same-origin"))
			return 0;
		*why = "no Origin, and not Sec-Fetch-Site: same-origin";
		return -1;
	case 1:
		break;
	default:
		*why = "more than one Origin";
		return -1;
	}
	(void)gate_field_once(req, "Origin", &origin);
	/* HTTP/1.0 may come without Host: nothing to compare with. */
	if (gate_field_once(req, "Host", &host) == -1) {
		*why = "an Origin, but no Host to compare it with";
		return -1;
	}
	if (origin->valuelen != n + host->valuelen ||
	    memcmp(origin->value, GATE_SCHEME, n) != 0 ||
	    memcmp(origin->value + n, host->value, host->valuelen) != 0) {
		*why = "an Origin other than this console's";
		return -1;
	}
	return 0;
}

static int
gate_ows(char c)
{
	return c == ' ' || c == '\t';
}

static int
gate_hex(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* One "name=value" of a Cookie field: found it (1), or not (0); -1 when
 * it is ours and malformed. */
static int
gate_cookie_pair(const char *p, const char *semi,
    char sid[CONSOLE_TOKEN_LEN + 1])
{
	const char	*eq, *value;
	size_t		 namelen, valuelen, want = sizeof(GATE_COOKIE) - 1;

	while (p < semi && gate_ows(*p))
		p++;
	if ((eq = memchr(p, '=', (size_t)(semi - p))) == NULL)
		return 0;
	namelen = (size_t)(eq - p);
	while (namelen > 0 && gate_ows(p[namelen - 1]))
		namelen--;
	if (namelen != want || memcmp(p, GATE_COOKIE, want) != 0)
		return 0;
	value = eq + 1;
	valuelen = (size_t)(semi - value);
	while (valuelen > 0 && gate_ows(*value)) {
		value++;
		valuelen--;
	}
	while (valuelen > 0 && gate_ows(value[valuelen - 1]))
		valuelen--;
	if (valuelen != CONSOLE_TOKEN_LEN || !gate_hex(value, valuelen))
		return -1;
	memcpy(sid, value, valuelen);
	sid[valuelen] = '\0';
	return 1;
}

int
gate_cookie(const struct http_request *req, char sid[CONSOLE_TOKEN_LEN + 1])
{
	const struct http_field	*f;
	const char		*p, *end, *semi;
	int			 found = 0, rc;

	sid[0] = '\0';
	for (size_t i = 0; i < req->nfields; i++) {
		f = &req->fields[i];
		if (f->namelen != 6 || strncasecmp(f->name, "Cookie", 6) != 0)
			continue;
		end = f->value + f->valuelen;
		/* RFC 6265 5.4: "name=value" pairs joined by "; ". */
		for (p = f->value;; p = semi + 1) {
			if ((semi = memchr(p, ';', (size_t)(end - p))) == NULL)
				semi = end;
			if ((rc = gate_cookie_pair(p, semi, sid)) == -1 ||
			    (rc == 1 && found++ > 0)) {
				explicit_bzero(sid, CONSOLE_TOKEN_LEN + 1);
				return 0;
			}
			if (semi == end)
				break;
		}
	}
	return found == 1;
}

int
gate_form_type(const struct http_request *req)
{
	const struct http_field	*f;
	size_t			 n = sizeof(GATE_FORM_TYPE) - 1;

	if (gate_field_once(req, "Content-Type", &f) == -1 ||
	    f->valuelen < n || strncasecmp(f->value, GATE_FORM_TYPE, n) != 0)
		return 0;
	/* "; charset=UTF-8" and the like may follow, nothing else. */
	return f->valuelen == n || f->value[n] == ';' || gate_ows(f->value[n]);
}

const struct http_field *
gate_content_type(const struct http_request *req)
{
	const struct http_field	*f;

	return gate_field_once(req, "Content-Type", &f) == 0 ? f : NULL;
}

int
gate_csrf(const char *given, const char *token)
{
	if (given == NULL || token == NULL ||
	    strlen(token) != CONSOLE_TOKEN_LEN ||
	    strlen(given) != CONSOLE_TOKEN_LEN)
		return 0;
	return CRYPTO_memcmp(given, token, CONSOLE_TOKEN_LEN) == 0;
}
