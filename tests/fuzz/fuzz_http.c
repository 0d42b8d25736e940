/*
 * libFuzzer target for webd's parsing layer: what a hostile client sends
 * on the HTTPS port once TLS is done.  The input goes through the head
 * parser; an accepted head's target through the path decoder; what
 * follows the head (or the whole input) through the form parser; and the
 * input through the HTML escaper.  Besides the sanitizers, the target
 * checks promises of its own:
 *
 * - a refusal carries a status we have a reason for and a fixed text;
 * - an accepted head is within every bound, ends in CRLF CRLF, and has a
 *   method we serve and a target in origin-form;
 * - the verdict on a prefix stands: a head refused on a prefix is refused
 *   whole with the same status, one accepted on a prefix is the same head
 *   whole, and no prefix shorter than an accepted head is anything but
 *   "more" (so conn.c may parse whatever it has at any time);
 * - a decoded path is clean by the rules http_path.h states;
 * - form fields are non-empty names, UTF-8, NUL-free, and at most 64;
 * - escaped HTML holds no < > " ' and no '&' that does not open one of
 *   our entities, and a short buffer is never overrun;
 * - on an accepted head the gates (webd/gate.c) answer without reading
 *   past it: a session id they find is 64 lower-case hex digits, and an
 *   Origin they take is "https://" and the Host, or a Sec-Fetch-Site of
 *   same-origin stood in for it;
 * - the plain listener's redirect (webd/redirect.c), for an accepted head,
 *   is "https://", a host of RFC 3986's characters with no '@', the port
 *   unless 443, and the target as sent, all of it within its bound and
 *   of the characters RFC 3986 allows; or a refusal with a reason.
 *
 * The parsers are not in any library the Makefile links, so their
 * sources are compiled in here.
 */
#include "webd/http_parse.c"
#include "webd/http_path.c"
#include "webd/form.c"
#include "webd/html.c"
#include "webd/gate.c"
#include "webd/redirect.c"

#include <stdlib.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The escaper's output for a short test: at most 8 bytes an input byte. */
#define FUZZ_ESC_IN	512

static void
fuzz_check_error(const struct http_request *r)
{
	static const int	 ours[] = { 400, 414, 417, 431, 501, 505 };
	size_t			 i;

	for (i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
		if (r->status == ours[i])
			break;
	if (i == sizeof(ours) / sizeof(ours[0]) || r->error == NULL ||
	    http_reason(r->status) == NULL)
		abort();
}

static void
fuzz_check_head(const char *buf, size_t len, const struct http_request *r)
{
	if (r->head_len < 4 || r->head_len > len ||
	    r->head_len > HTTP_HEAD_MAX ||
	    memcmp(buf + r->head_len - 4, "\r\n\r\n", 4) != 0)
		abort();
	if (r->method != HTTP_METHOD_GET && r->method != HTTP_METHOD_HEAD &&
	    r->method != HTTP_METHOD_POST)
		abort();
	if (r->minor != 0 && r->minor != 1)
		abort();
	if (r->targetlen == 0 || r->targetlen > HTTP_TARGET_MAX ||
	    r->target[0] != '/' || r->target < buf ||
	    r->target + r->targetlen > buf + r->head_len)
		abort();
	if (r->nfields > HTTP_FIELDS_MAX)
		abort();
	for (size_t i = 0; i < r->nfields; i++) {
		const struct http_field *f = &r->fields[i];

		if (f->namelen == 0 || f->name + f->namelen > buf + r->head_len ||
		    f->value + f->valuelen > buf + r->head_len)
			abort();
		for (size_t k = 0; k < f->namelen; k++)
			if (!http_tchar((unsigned char)f->name[k]))
				abort();
		for (size_t k = 0; k < f->valuelen; k++)
			if (!http_value_char((unsigned char)f->value[k]) ||
			    f->value[k] == '\r' || f->value[k] == '\n')
				abort();
		if (f->valuelen > 0 && (f->value[0] == ' ' ||
		    f->value[0] == '\t' || f->value[f->valuelen - 1] == ' ' ||
		    f->value[f->valuelen - 1] == '\t'))
			abort();
	}
	if (r->minor == 1 && http_field_get(r, "host") == NULL)
		abort();
	if (http_field_get(r, "transfer-encoding") != NULL)
		abort();
}

static void
fuzz_path(const char *target, size_t len)
{
	struct http_target	*t;
	const char		*why = NULL;

	if ((t = malloc(sizeof(*t))) == NULL)
		abort();
	if (http_path_decode(target, len, t, &why) == -1) {
		if (why == NULL)
			abort();
		free(t);
		return;
	}
	if (t->pathlen == 0 || t->path[0] != '/' || t->pathlen > len ||
	    strlen(t->path) != t->pathlen || !utf8_valid(t->path, t->pathlen) ||
	    strstr(t->path, "//") != NULL || strstr(t->path, "/./") != NULL ||
	    strstr(t->path, "/../") != NULL || strchr(t->path, '\\') != NULL)
		abort();
	if ((t->pathlen >= 2 && strcmp(t->path + t->pathlen - 2, "/.") == 0) ||
	    (t->pathlen >= 3 && strcmp(t->path + t->pathlen - 3, "/..") == 0))
		abort();
	for (size_t i = 0; i < t->pathlen; i++)
		if ((unsigned char)t->path[i] < 0x20 || t->path[i] == 0x7f)
			abort();
	free(t);
}

static void
fuzz_form(const char *body, size_t len)
{
	struct form	*f;
	const char	*why = NULL;
	int		 rc;

	if ((f = malloc(sizeof(*f))) == NULL)
		abort();
	if ((rc = form_parse(body, len, f, &why)) != 0) {
		if (why == NULL || (rc != 400 && rc != 413 && rc != 500) ||
		    f->n != 0 || f->buf != NULL)
			abort();
		free(f);
		return;
	}
	if (len > FORM_BODY_MAX || f->n > FORM_FIELDS_MAX)
		abort();
	for (size_t i = 0; i < f->n; i++) {
		const char *n = f->fields[i].name, *v = f->fields[i].value;

		if (n[0] == '\0' || !utf8_valid(n, strlen(n)) ||
		    !utf8_valid(v, strlen(v)))
			abort();
		/* form_value() gives the value of a name given once */
		if (form_value(f, n) != NULL && form_value(f, n) != v) {
			size_t k;

			for (k = 0; k < i; k++)
				if (strcmp(f->fields[k].name, n) == 0)
					break;
			if (k == i)
				abort();
		}
	}
	form_free(f);
	free(f);
}

static void
fuzz_gate(const struct http_request *r)
{
	const struct http_field	*host, *origin;
	char			 sid[CONSOLE_TOKEN_LEN + 1];
	const char		*why = NULL;

	if (gate_cookie(r, sid)) {
		if (strlen(sid) != CONSOLE_TOKEN_LEN ||
		    strspn(sid, "0123456789abcdef") != CONSOLE_TOKEN_LEN)
			abort();
	} else if (sid[0] != '\0')
		abort();
	if (gate_origin(r, &why) == 0) {
		if ((origin = http_field_get(r, "origin")) != NULL) {
			if ((host = http_field_get(r, "host")) == NULL ||
			    origin->valuelen != 8 + host->valuelen ||
			    memcmp(origin->value, "https://", 8) != 0 ||
			    memcmp(origin->value + 8, host->value,
			    host->valuelen) != 0)
				abort();
		} else if (http_field_get(r, "sec-fetch-site") == NULL)
			abort();
	} else if (why == NULL)
		abort();
	(void)gate_form_type(r);
}

static void
fuzz_redirect(const struct http_request *r, uint16_t port)
{
	char		 loc[REDIRECT_LOCATION_MAX], want[8];
	const char	*why = NULL, *host, *slash;
	size_t		 len;

	if (redirect_location(r, port, loc, sizeof(loc), &why) == -1) {
		if (why == NULL)
			abort();
		return;
	}
	len = strlen(loc);
	if (len >= sizeof(loc) || strncmp(loc, "https://", 8) != 0 ||
	    len < 8 + r->targetlen ||
	    memcmp(loc + len - r->targetlen, r->target, r->targetlen) != 0)
		abort();
	for (size_t i = 0; i < len; i++)
		if (!redirect_alnum(loc[i]) && (loc[i] == '\0' ||
		    strchr("-._~!$&'()*+,;=:@/?%[]", loc[i]) == NULL))
			abort();
	/* the authority: a host without userinfo, then our port */
	host = loc + 8;
	slash = loc + len - r->targetlen;
	if (slash <= host || memchr(host, '@', (size_t)(slash - host)) != NULL)
		abort();
	snprintf(want, sizeof(want), ":%u", (unsigned)port);
	if (port == 443 ? (slash - host > 0 && slash[-1] == ']' ? 0 :
	    memchr(host, ':', (size_t)(slash - host)) != NULL) :
	    (size_t)(slash - host) <= strlen(want) ||
	    memcmp(slash - strlen(want), want, strlen(want)) != 0)
		abort();
}

static void
fuzz_html(const char *in, size_t len, size_t cut)
{
	char	*out, *small;
	size_t	 need, got;

	if (len > FUZZ_ESC_IN)
		len = FUZZ_ESC_IN;
	if ((out = malloc(len * 8 + 1)) == NULL)
		abort();
	need = html_escape(out, len * 8 + 1, in, len);
	if (need > len * 8 || strlen(out) != need ||
	    strpbrk(out, "<>\"'") != NULL)
		abort();
	for (const char *a = out; (a = strchr(a, '&')) != NULL; a++)
		if (strncmp(a, "&amp;", 5) != 0 && strncmp(a, "&lt;", 4) != 0 &&
		    strncmp(a, "&gt;", 4) != 0 &&
		    strncmp(a, "&quot;", 6) != 0 &&
		    strncmp(a, "&#39;", 5) != 0 &&
		    strncmp(a, "&#xfffd;", 8) != 0)
			abort();
	/* a short buffer: a prefix of the whole, ended at an entity */
	if (cut > 0) {
		if ((small = malloc(cut)) == NULL)
			abort();
		if (html_escape(small, cut, in, len) != need)
			abort();
		got = strlen(small);
		if (got >= cut || memcmp(small, out, got) != 0)
			abort();
		free(small);
	}
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_request	*whole, *part;
	enum http_parse_status	 st, pst;
	const char		*buf = (const char *)data;
	size_t			 cut;

	if ((whole = malloc(sizeof(*whole))) == NULL ||
	    (part = malloc(sizeof(*part))) == NULL)
		abort();
	st = http_parse_head(buf, size, whole);
	switch (st) {
	case HTTP_PARSE_MORE:
		if (size >= HTTP_HEAD_MAX)
			abort();
		break;
	case HTTP_PARSE_ERROR:
		fuzz_check_error(whole);
		break;
	case HTTP_PARSE_DONE:
		fuzz_check_head(buf, size, whole);
		fuzz_path(whole->target, whole->targetlen);
		fuzz_gate(whole);
		fuzz_redirect(whole, size % 2 ? 443 : (uint16_t)(1 + size));
		break;
	}

	/* A cut the input chooses: the verdict on the prefix stands. */
	cut = size > 0 ? (size_t)data[size - 1] * 97 % (size + 1) : 0;
	pst = http_parse_head(buf, cut, part);
	if (pst == HTTP_PARSE_ERROR && (st != HTTP_PARSE_ERROR ||
	    part->status != whole->status))
		abort();
	if (pst == HTTP_PARSE_DONE && (st != HTTP_PARSE_DONE ||
	    part->head_len != whole->head_len))
		abort();
	if (st == HTTP_PARSE_DONE && cut < whole->head_len &&
	    pst != HTTP_PARSE_MORE)
		abort();

	if (st == HTTP_PARSE_DONE)
		fuzz_form(buf + whole->head_len, size - whole->head_len);
	else
		fuzz_form(buf, size);
	fuzz_path(buf, size > HTTP_TARGET_MAX + 1 ? HTTP_TARGET_MAX + 1 : size);
	fuzz_html(buf, size, size > 0 ? data[0] % 64 : 0);
	free(part);
	free(whole);
	return 0;
}
