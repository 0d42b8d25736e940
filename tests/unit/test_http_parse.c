/*
 * Tests for webd's pure parsers: the request head (webd/http_parse.c),
 * every rule good and bad and every limit exactly at and one over it; the
 * path decoder (webd/http_path.c) and its refusals; the urlencoded form
 * parser (webd/form.c) with its UTF-8 check; the HTML escaper
 * (webd/html.c).  webd/ is not in libpgpmg.a, so the sources are compiled
 * in here.  Every input is handed over in a malloc'd buffer of exactly its
 * length, as the connection does, so that under ASan an overread fails.
 */
#include "webd/http_parse.c"
#include "webd/http_path.c"
#include "webd/form.c"
#include "webd/html.c"

#include <stdio.h>
#include <stdlib.h>

#include <criterion/criterion.h>

static struct http_request	 req;
/* The copy the last parse read: req points into it until the next. */
static char			*copy;

/* Parse buf[0..len) from an exact-size heap copy. */
static enum http_parse_status
headn(const char *buf, size_t len)
{
	enum http_parse_status	 st;

	free(copy);
	copy = malloc(len > 0 ? len : 1);
	cr_assert_not_null(copy);
	memcpy(copy, buf, len);
	st = http_parse_head(copy, len, &req);
	if (st == HTTP_PARSE_DONE) {
		cr_assert(req.head_len <= len);
		cr_assert(req.target >= copy && req.target + req.targetlen <=
		    copy + req.head_len);
		for (size_t i = 0; i < req.nfields; i++)
			cr_assert(req.fields[i].value + req.fields[i].valuelen <=
			    copy + req.head_len);
	}
	return st;
}

static enum http_parse_status
head(const char *s)
{
	return headn(s, strlen(s));
}

/* The parse fails with this status. */
static void
expect_status(const char *s, int status)
{
	cr_assert_eq(head(s), HTTP_PARSE_ERROR, "accepted: %s", s);
	cr_expect_eq(req.status, status, "%d, not %d: %s", req.status, status,
	    s);
	cr_expect_not_null(req.error);
	cr_expect_not_null(http_reason(req.status));
}

/* A head of exactly len bytes: a GET with filler fields of at most 8000
 * bytes each ("X: vvv\r\n", 5 bytes at the least), then the empty line. */
static char *
sized_head(size_t len)
{
	static const char	 start[] = "GET / HTTP/1.1\r\nHost: a\r\n";
	char			*s;
	size_t			 o, n, rem;

	cr_assert(len >= sizeof(start) - 1 + 2 + 5);
	cr_assert_not_null(s = malloc(len + 1));
	memcpy(s, start, sizeof(start) - 1);
	o = sizeof(start) - 1;
	rem = len - o - 2;
	while (rem > 0) {
		n = rem > 8000 ? 8000 : rem;
		if (rem - n > 0 && rem - n < 5)
			n -= 5;
		memcpy(s + o, "X: ", 3);
		memset(s + o + 3, 'v', n - 5);
		memcpy(s + o + n - 2, "\r\n", 2);
		o += n;
		rem -= n;
	}
	memcpy(s + o, "\r\n", 2);
	s[len] = '\0';
	cr_assert_eq(strlen(s), len);
	return s;
}

/* A request with n fields: Host and n - 1 others. */
static char *
fields_head(size_t n)
{
	char	*s;
	size_t	 o;

	cr_assert_not_null(s = malloc(64 + n * 16));
	o = (size_t)sprintf(s, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (size_t i = 1; i < n; i++)
		o += (size_t)sprintf(s + o, "X-%zu: v\r\n", i);
	sprintf(s + o, "\r\n");
	return s;
}

/* ------------------------------------------------------------ request line */

Test(http_parse, good_requests)
{
	cr_assert_eq(head("GET /login HTTP/1.1\r\nHost: gw.example.com\r\n\r\n"),
	    HTTP_PARSE_DONE);
	cr_expect_eq(req.method, HTTP_METHOD_GET);
	cr_expect_eq(req.minor, 1);
	cr_expect_eq(req.targetlen, 6);
	cr_expect_eq(req.nfields, 1);
	cr_expect_eq(req.head_len, 45);
	cr_expect_eq(req.close, 0);
	cr_expect_eq(req.has_length, 0);

	cr_assert_eq(head("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n"),
	    HTTP_PARSE_DONE);
	cr_expect_eq(req.method, HTTP_METHOD_HEAD);
	cr_assert_eq(head("POST /login HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 7\r\n\r\na=1&b=2"), HTTP_PARSE_DONE);
	cr_expect_eq(req.method, HTTP_METHOD_POST);
	cr_expect_eq(req.has_length, 1);
	cr_expect_eq(req.content_length, 7);
	cr_expect_eq(req.head_len, strlen("POST /login HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 7\r\n\r\n"), "the body is not part of the head");

	/* HTTP/1.0: no Host needed, one request per connection */
	cr_assert_eq(head("GET / HTTP/1.0\r\n\r\n"), HTTP_PARSE_DONE);
	cr_expect_eq(req.minor, 0);
	cr_expect_eq(req.close, 1);
	/* a higher HTTP/1 minor version is served as 1.1 */
	cr_assert_eq(head("GET / HTTP/1.9\r\nHost: a\r\n\r\n"),
	    HTTP_PARSE_DONE);
	cr_expect_eq(req.minor, 1);
	/* RFC 9112 2.2: empty lines before the request line */
	cr_assert_eq(head("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"),
	    HTTP_PARSE_DONE);
	cr_expect_eq(req.head_len, 31);
	/* a query and every target character we pass on */
	cr_assert_eq(head("GET /a/b.css?x=1&y=%20;:@!$'()*+,~-_ HTTP/1.1\r\n"
	    "Host: a\r\n\r\n"), HTTP_PARSE_DONE);
}

Test(http_parse, every_prefix_is_more)
{
	const char	*s = "POST /login?x=1 HTTP/1.1\r\nHost: a:8443\r\n"
	    "Content-Length: 3\r\nConnection: close\r\nX-Empty:\r\n"
	    "X-Obs: \xe9t\xe9\r\n\r\n";
	size_t		 len = strlen(s);

	for (size_t i = 0; i < len; i++)
		cr_assert_eq(headn(s, i), HTTP_PARSE_MORE, "prefix %zu", i);
	cr_assert_eq(headn(s, len), HTTP_PARSE_DONE);
	cr_expect_eq(req.close, 1);
	cr_expect_eq(req.nfields, 5);
}

Test(http_parse, methods)
{
	expect_status("BREW / HTTP/1.1\r\nHost: a\r\n\r\n", 501);
	expect_status("PUT / HTTP/1.1\r\nHost: a\r\n\r\n", 501);
	expect_status("DELETE / HTTP/1.1\r\nHost: a\r\n\r\n", 501);
	expect_status("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	expect_status("OPTIONS / HTTP/1.1\r\nHost: a\r\n\r\n", 501);
	expect_status("CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n", 501);
	/* methods are case-sensitive */
	expect_status("get / HTTP/1.1\r\nHost: a\r\n\r\n", 501);
	/* 16 token characters: a method; 17: still one, refused at once */
	expect_status("ABCDEFGHIJKLMNOP / HTTP/1.1\r\nHost: a\r\n\r\n", 501);
	expect_status("ABCDEFGHIJKLMNOPQ", 501);
	cr_expect_eq(head("ABCDEFGHIJKLMNOP"), HTTP_PARSE_MORE);
	/* not a token */
	expect_status(" / HTTP/1.1\r\n\r\n", 400);
	expect_status("GE(T / HTTP/1.1\r\n\r\n", 400);
	expect_status("G\xc3\x89T / HTTP/1.1\r\n\r\n", 400);
	/* an unknown method is answered before its version is looked at
	 * only when the line is whole: a 2.0 line is not ours at all */
	expect_status("BREW / HTTP/2.0\r\n\r\n", 505);
}

Test(http_parse, request_line_syntax)
{
	expect_status("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	expect_status("GET /  HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	expect_status("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	expect_status("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400);
	expect_status("GET /\r\n\r\n", 400);		/* HTTP/0.9 */
	expect_status("GET / \r\n\r\n", 400);
	expect_status("GET / http/1.1\r\nHost: a\r\n\r\n", 400);
	expect_status("GET / HTTP/11\r\nHost: a\r\n\r\n", 400);
	expect_status("GET / HTTP/1.x\r\nHost: a\r\n\r\n", 400);
	expect_status("GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400);
	expect_status("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	expect_status("\r\rGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	cr_expect_eq(head("\r"), HTTP_PARSE_MORE);
}

Test(http_parse, versions)
{
	expect_status("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505);
	expect_status("GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505);
	expect_status("GET / HTTP/3.1\r\nHost: a\r\n\r\n", 505);
	expect_status("GET / HTTP/9.9\r\n", 505);
}

Test(http_parse, targets)
{
	/* origin-form only */
	expect_status("GET http://evil.example/ HTTP/1.1\r\nHost: a\r\n\r\n",
	    400);
	expect_status("GET evil.example:443 HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	expect_status("GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	/* bytes a target cannot hold */
	expect_status("GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	expect_status("GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	expect_status("GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	expect_status("GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	expect_status("GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	expect_status("GET /a\rb HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

Test(http_parse, target_length)
{
	char	*s;
	size_t	 o;

	cr_assert_not_null(s = malloc(HTTP_TARGET_MAX + 64));
	/* exactly at the limit */
	o = (size_t)sprintf(s, "GET /");
	memset(s + o, 'a', HTTP_TARGET_MAX - 1);
	o += HTTP_TARGET_MAX - 1;
	sprintf(s + o, " HTTP/1.1\r\nHost: a\r\n\r\n");
	cr_assert_eq(head(s), HTTP_PARSE_DONE);
	cr_expect_eq(req.targetlen, HTTP_TARGET_MAX);
	/* one over: 414, and before the line is complete */
	o = (size_t)sprintf(s, "GET /");
	memset(s + o, 'a', HTTP_TARGET_MAX);
	o += HTTP_TARGET_MAX;
	s[o] = '\0';
	expect_status(s, 414);
	sprintf(s + o, " HTTP/1.1\r\nHost: a\r\n\r\n");
	expect_status(s, 414);
	free(s);
}

/* ---------------------------------------------------------- line endings */

Test(http_parse, bare_lf_and_cr)
{
	expect_status("GET / HTTP/1.1\nHost: a\r\n\r\n", 400);
	expect_status("GET / HTTP/1.1\r\nHost: a\n\r\n", 400);
	expect_status("GET / HTTP/1.1\r\nHost: a\r\n\n", 400);
	expect_status("GET / HTTP/1.1\nHost: a\n\n", 400);
	expect_status("GET / HTTP/1.1\rHost: a\r\n\r\n", 400);
	expect_status("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400);
	expect_status("GET / HTTP/1.1\r\nHost: a\r\n\rX", 400);
	/* a CR waits for its LF */
	cr_expect_eq(head("GET / HTTP/1.1\r"), HTTP_PARSE_MORE);
	cr_expect_eq(head("GET / HTTP/1.1\r\nHost: a\r"), HTTP_PARSE_MORE);
	cr_expect_eq(head("GET / HTTP/1.1\r\nHost: a\r\n\r"), HTTP_PARSE_MORE);
}

/* ---------------------------------------------------------------- fields */

Test(http_parse, field_syntax)
{
	static const char	 nul[] =
	    "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n";

	/* obs-fold, and whitespace before the first field */
	expect_status("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n two\r\n\r\n", 400);
	expect_status("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n\ttwo\r\n\r\n",
	    400);
	expect_status("GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400);
	/* RFC 9112 5.1: no whitespace between name and colon */
	expect_status("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400);
	expect_status("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 400);
	/* names are tokens */
	expect_status("GET / HTTP/1.1\r\n: a\r\n\r\n", 400);
	expect_status("GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n", 400);
	expect_status("GET / HTTP/1.1\r\nHost: a\r\nX(y): x\r\n\r\n", 400);
	expect_status("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400);
	expect_status("GET / HTTP/1.1\r\nHost: a\r\nX\xc3\xa9: x\r\n\r\n",
	    400);
	/* values: no NUL, no controls but HTAB, no DEL */
	cr_assert_eq(headn(nul, sizeof(nul) - 1), HTTP_PARSE_ERROR);
	cr_expect_eq(req.status, 400);
	expect_status("GET / HTTP/1.1\r\nHost: a\r\nX: a\x01" "b\r\n\r\n", 400);
	expect_status("GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f" "b\r\n\r\n", 400);
	expect_status("GET / HTTP/1.1\r\nHost: a\r\nX: a\x1b[0m\r\n\r\n", 400);
}

Test(http_parse, field_values)
{
	const struct http_field	*f;

	cr_assert_eq(head("GET / HTTP/1.1\r\nHost: a\r\n"
	    "X-Trim: \t  some value \t \r\n"
	    "x-empty:\r\n"
	    "X-Spaces:    \r\n"
	    "X-Obs-Text: caf\xe9 \xff\r\n"
	    "X-Tab: a\tb\r\n\r\n"), HTTP_PARSE_DONE);
	cr_assert_not_null(f = http_field_get(&req, "x-trim"));
	cr_expect_eq(f->valuelen, 10);
	cr_expect(memcmp(f->value, "some value", 10) == 0);
	cr_assert_not_null(f = http_field_get(&req, "X-EMPTY"));
	cr_expect_eq(f->valuelen, 0);
	cr_assert_not_null(f = http_field_get(&req, "X-Spaces"));
	cr_expect_eq(f->valuelen, 0);
	cr_assert_not_null(f = http_field_get(&req, "x-obs-text"));
	cr_expect_eq(f->valuelen, 6);
	cr_assert_not_null(f = http_field_get(&req, "X-Tab"));
	cr_expect_eq(f->valuelen, 3);
	cr_expect_null(http_field_get(&req, "X-Missing"));
	cr_expect_null(http_field_get(&req, "X-Tri"));
	cr_expect_null(http_field_get(&req, "X-Trimmed"));
	/* the first of two */
	cr_assert_eq(head("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\nX: 2\r\n\r\n"),
	    HTTP_PARSE_DONE);
	cr_expect_eq(http_field_get(&req, "x")->value[0], '1');
}

Test(http_parse, field_count_limit)
{
	char	*s;

	s = fields_head(HTTP_FIELDS_MAX);
	cr_assert_eq(head(s), HTTP_PARSE_DONE);
	cr_expect_eq(req.nfields, HTTP_FIELDS_MAX);
	free(s);
	s = fields_head(HTTP_FIELDS_MAX + 1);
	expect_status(s, 431);
	free(s);
}

Test(http_parse, head_size_limit)
{
	char	*s, *more;

	s = sized_head(HTTP_HEAD_MAX);
	cr_assert_eq(head(s), HTTP_PARSE_DONE);
	cr_expect_eq(req.head_len, HTTP_HEAD_MAX);
	free(s);

	s = sized_head(HTTP_HEAD_MAX + 1);
	expect_status(s, 431);
	/* cut at the limit it is still waiting; one byte more decides */
	cr_expect_eq(headn(s, HTTP_HEAD_MAX - 1), HTTP_PARSE_MORE);
	cr_expect_eq(headn(s, HTTP_HEAD_MAX), HTTP_PARSE_ERROR);
	free(s);

	/* a whole head within the limit, then a body: done */
	s = sized_head(HTTP_HEAD_MAX);
	cr_assert_not_null(more = malloc(HTTP_HEAD_MAX + 101));
	memcpy(more, s, HTTP_HEAD_MAX);
	memset(more + HTTP_HEAD_MAX, 'b', 100);
	more[HTTP_HEAD_MAX + 100] = '\0';
	cr_assert_eq(head(more), HTTP_PARSE_DONE);
	cr_expect_eq(req.head_len, HTTP_HEAD_MAX);
	free(more);
	free(s);

	/* 17 KiB of fields */
	s = sized_head(17 * 1024);
	expect_status(s, 431);
	free(s);
}

/* ------------------------------------------------------------------ Host */

Test(http_parse, host)
{
	const char	*good[] = { "a", "gw.example.com", "gw.example.com:8443",
	    "127.0.0.1", "127.0.0.1:443", "[::1]", "[::1]:8443",
	    "[fe80::1:2:3]", "xn--bcher-kva.example", "under_score.example",
	    "a:65535", "A.EXAMPLE" };
	const char	*bad[] = { "", "a b", "a/b", "user@host", "user:pw@host",
	    ":443", "host:", "host:123456", "host:65536", "host:99999",
	    "host:12a", "[::1", "[]",
	    "[::g]", "[::1]x", "[::1]:", "a,b", "a%41", "host:443:1",
	    "caf\xc3\xa9.example", "a\tb" };
	char		 s[600];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(s, sizeof(s), "GET / HTTP/1.1\r\nHost: %s\r\n\r\n",
		    good[i]);
		cr_expect_eq(head(s), HTTP_PARSE_DONE, "refused: %s", good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(s, sizeof(s), "GET / HTTP/1.1\r\nHost: %s\r\n\r\n",
		    bad[i]);
		cr_expect_eq(head(s), HTTP_PARSE_ERROR, "accepted: %s", bad[i]);
		cr_expect_eq(req.status, 400);
	}
	/* required in 1.1, optional in 1.0; never twice */
	expect_status("GET / HTTP/1.1\r\n\r\n", 400);
	expect_status("GET / HTTP/1.1\r\nX: y\r\n\r\n", 400);
	cr_expect_eq(head("GET / HTTP/1.0\r\nHost: a\r\n\r\n"),
	    HTTP_PARSE_DONE);
	expect_status("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400);
	expect_status("GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", 400);
	/* the longest name, and one over */
	memset(s, 0, sizeof(s));
	strcpy(s, "GET / HTTP/1.1\r\nHost: ");
	memset(s + strlen(s), 'h', HTTP_HOST_MAX);
	strcat(s, "\r\n\r\n");
	cr_expect_eq(head(s), HTTP_PARSE_DONE);
	memset(s, 0, sizeof(s));
	strcpy(s, "GET / HTTP/1.1\r\nHost: ");
	memset(s + strlen(s), 'h', HTTP_HOST_MAX + 1);
	strcat(s, "\r\n\r\n");
	expect_status(s, 400);
}

/* ------------------------------------------------------- framing fields */

Test(http_parse, content_length)
{
	cr_assert_eq(head("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n"
	    "\r\n"), HTTP_PARSE_DONE);
	cr_expect_eq(req.has_length, 1);
	cr_expect_eq(req.content_length, 0);
	/* OWS around the value is not part of it */
	cr_assert_eq(head("POST / HTTP/1.1\r\nHost: a\r\ncontent-length:  "
	    "42 \r\n\r\n"), HTTP_PARSE_DONE);
	cr_expect_eq(req.content_length, 42);
	/* 19 digits fit; more are "too large", never wrapped */
	cr_assert_eq(head("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: "
	    "9999999999999999999\r\n\r\n"), HTTP_PARSE_DONE);
	cr_expect_eq(req.content_length, 9999999999999999999ULL);
	cr_assert_eq(head("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: "
	    "18446744073709551617\r\n\r\n"), HTTP_PARSE_DONE);
	cr_expect_eq(req.content_length, UINT64_MAX);

	expect_status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
	    "Content-Length: 3\r\n\r\n", 400);
	expect_status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
	    "content-length: 10\r\n\r\n", 400);
	expect_status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n"
	    "\r\n", 400);
	expect_status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n"
	    "\r\n", 400);
	expect_status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n"
	    "\r\n", 400);
	expect_status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3a\r\n"
	    "\r\n", 400);
	expect_status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n"
	    "\r\n", 400);
	expect_status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n"
	    "\r\n", 400);
	expect_status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n"
	    "\r\n", 400);
}

Test(http_parse, transfer_encoding)
{
	expect_status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n", 501);
	expect_status("POST / HTTP/1.1\r\nHost: a\r\ntransfer-encoding: "
	    "gzip\r\nContent-Length: 3\r\n\r\n", 501);
	expect_status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", 501);
	expect_status("GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
	    501);
}

Test(http_parse, connection_and_expect)
{
	cr_assert_eq(head("GET / HTTP/1.1\r\nHost: a\r\nConnection: "
	    "keep-alive, Close\r\n\r\n"), HTTP_PARSE_DONE);
	cr_expect_eq(req.close, 1);
	cr_assert_eq(head("GET / HTTP/1.1\r\nHost: a\r\nConnection: "
	    "closed, keep-alive\r\n\r\n"), HTTP_PARSE_DONE);
	cr_expect_eq(req.close, 0);
	cr_assert_eq(head("GET / HTTP/1.1\r\nHost: a\r\nConnection: , ,close "
	    "\r\n\r\n"), HTTP_PARSE_DONE);
	cr_expect_eq(req.close, 1);
	cr_assert_eq(head("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"),
	    HTTP_PARSE_DONE);
	cr_expect_eq(req.close, 1, "one request per HTTP/1.0 connection");

	cr_assert_eq(head("POST / HTTP/1.1\r\nHost: a\r\nExpect: "
	    "100-Continue\r\nContent-Length: 1\r\n\r\n"), HTTP_PARSE_DONE);
	cr_expect_eq(req.expect_continue, 1);
	cr_assert_eq(head("POST / HTTP/1.0\r\nExpect: 100-continue\r\n"
	    "Content-Length: 1\r\n\r\n"), HTTP_PARSE_DONE);
	cr_expect_eq(req.expect_continue, 0, "ignored in HTTP/1.0");
	expect_status("GET / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n",
	    417);
	expect_status("GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue, "
	    "x\r\n\r\n", 417);
}

Test(http_parse, reasons)
{
	const int	 ours[] = { 100, 200, 303, 400, 404, 405, 408, 413, 414,
	    415, 417, 431, 500, 501, 503, 505 };

	for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
		cr_expect_not_null(http_reason(ours[i]), "%d", ours[i]);
	cr_expect_str_eq(http_reason(431), "Request Header Fields Too Large");
	cr_expect_str_eq(http_reason(413), "Content Too Large");
	cr_expect_null(http_reason(0));
	cr_expect_null(http_reason(418));
}

/* ------------------------------------------------------------------ paths */

static struct http_target	 tg;
static const char		*why;

static int
pathn(const char *s, size_t len)
{
	int	 rc;

	free(copy);
	cr_assert_not_null(copy = malloc(len > 0 ? len : 1));
	memcpy(copy, s, len);
	why = NULL;
	rc = http_path_decode(copy, len, &tg, &why);
	if (rc == 0 && tg.query != NULL)
		cr_assert(tg.query >= copy && tg.query + tg.querylen <=
		    copy + len);
	return rc;
}

static int
path(const char *s)
{
	return pathn(s, strlen(s));
}

static void
path_ok(const char *s, const char *decoded)
{
	cr_assert_eq(path(s), 0, "refused %s: %s", s, why);
	cr_expect_str_eq(tg.path, decoded);
	cr_expect_eq(tg.pathlen, strlen(decoded));
}

static void
path_bad(const char *s)
{
	cr_expect_eq(path(s), -1, "accepted %s as %s", s, tg.path);
	cr_expect_not_null(why);
}

Test(http_path, clean_paths)
{
	path_ok("/", "/");
	path_ok("/login", "/login");
	path_ok("/static/pgpmg.css", "/static/pgpmg.css");
	path_ok("/a/b/", "/a/b/");
	path_ok("/%41%62c", "/Abc");
	path_ok("/a%25b", "/a%b");
	path_ok("/a+b", "/a+b");		/* '+' is a space only in forms */
	path_ok("/caf%C3%A9", "/caf\xc3\xa9");
	path_ok("/..a/.b/a..", "/..a/.b/a..");
	path_ok("/%3f", "/?");
}

Test(http_path, queries)
{
	path_ok("/login?next=%2Fkeys&x", "/login");
	cr_expect_eq(tg.querylen, 14);
	cr_expect(memcmp(tg.query, "next=%2Fkeys&x", 14) == 0);
	path_ok("/a?", "/a");
	cr_expect_not_null(tg.query);
	cr_expect_eq(tg.querylen, 0);
	path_ok("/a?b?c", "/a");
	cr_expect_eq(tg.querylen, 3);
	path_ok("/a", "/a");
	cr_expect_null(tg.query);
	/* a dot segment in the query is the query's business */
	path_ok("/a?../../etc/passwd", "/a");
}

Test(http_path, refusals)
{
	path_bad("");
	path_bad("?x");
	path_bad("a/b");
	path_bad("//etc/passwd");
	path_bad("/a//b");
	path_bad("/static/../etc/passwd");
	path_bad("/static/./x");
	path_bad("/..");
	path_bad("/.");
	path_bad("/a/..");
	path_bad("/a/../");
	path_bad("/static/%2e%2e/%2e%2e/etc/passwd");
	path_bad("/static/%2E%2E/x");
	path_bad("/static/.%2e/x");
	path_bad("/%2e");
	path_bad("/static/..%2fetc%2fpasswd");
	path_bad("/static/%2fetc%2fpasswd");
	path_bad("/%2F");
	path_bad("/a%00b");
	path_bad("/a%0ab");
	path_bad("/a%0D%0AX:%20y");
	path_bad("/a%7f");
	path_bad("/a%09");
	path_bad("/a\\b");
	path_bad("/a%5cb");
	path_bad("/a%5C..%5C..%5Cwin.ini");
	path_bad("/%");
	path_bad("/%4");
	path_bad("/%4g");
	path_bad("/%zz");
	path_bad("/a%");
	/* well-formed UTF-8 only: overlong '/', surrogates, cut short */
	path_bad("/%c0%af");
	path_bad("/%e0%80%af");
	path_bad("/%ed%a0%80");
	path_bad("/%e2%82");
	path_bad("/%f4%90%80%80");
	path_bad("/%ff");
	cr_expect_eq(pathn("/\x80", 2), -1);
}

Test(http_path, length)
{
	char	*s;

	cr_assert_not_null(s = malloc(HTTP_TARGET_MAX + 2));
	s[0] = '/';
	memset(s + 1, 'a', HTTP_TARGET_MAX);
	cr_expect_eq(pathn(s, HTTP_TARGET_MAX), 0);
	cr_expect_eq(tg.pathlen, HTTP_TARGET_MAX);
	cr_expect_eq(pathn(s, HTTP_TARGET_MAX + 1), -1);
	free(s);
}

/* ------------------------------------------------------------------ forms */

static struct form	 fm;

static int
formn(const char *s, size_t len)
{
	char	*body;
	int	 rc;

	cr_assert_not_null(body = malloc(len > 0 ? len : 1));
	memcpy(body, s, len);
	why = NULL;
	rc = form_parse(body, len, &fm, &why);
	free(body);
	return rc;
}

static int
form(const char *s)
{
	return formn(s, strlen(s));
}

static void
form_bad(const char *s, int status)
{
	cr_expect_eq(form(s), status, "%s", s);
	cr_expect_not_null(why);
	cr_expect_eq(fm.n, 0);
	cr_expect_null(fm.buf);
}

Test(form, pairs)
{
	cr_assert_eq(form("address=alice%40example.com&password=s3cr%C3%A9t+"
	    "x%2By&csrf="), 0, "%s", why);
	cr_assert_eq(fm.n, 3);
	cr_expect_str_eq(form_value(&fm, "address"), "alice@example.com");
	cr_expect_str_eq(form_value(&fm, "password"), "s3cr\xc3\xa9t x+y");
	cr_expect_str_eq(form_value(&fm, "csrf"), "");
	cr_expect_null(form_value(&fm, "missing"));
	cr_expect_null(form_value(&fm, "Address"));
	form_free(&fm);
	cr_expect_null(fm.buf);

	cr_assert_eq(form("a&&b=2&"), 0);
	cr_assert_eq(fm.n, 2);
	cr_expect_str_eq(form_value(&fm, "a"), "");
	cr_expect_str_eq(form_value(&fm, "b"), "2");
	form_free(&fm);

	cr_assert_eq(form(""), 0);
	cr_expect_eq(fm.n, 0);
	form_free(&fm);
	cr_assert_eq(form("&&&"), 0);
	cr_expect_eq(fm.n, 0);
	form_free(&fm);

	/* '=' in a value, '+' and %20 in a name, a CRLF of a textarea */
	cr_assert_eq(form("a+b%20c=x=y&t=l1%0D%0Al2"), 0);
	cr_expect_str_eq(form_value(&fm, "a b c"), "x=y");
	cr_expect_str_eq(form_value(&fm, "t"), "l1\r\nl2");
	form_free(&fm);
}

Test(form, repeated_names_are_no_answer)
{
	cr_assert_eq(form("a=1&a=2&b=3"), 0);
	cr_expect_null(form_value(&fm, "a"));
	cr_expect_str_eq(form_value(&fm, "b"), "3");
	form_free(&fm);
}

Test(form, malformed)
{
	form_bad("=x", 400);
	form_bad("a=1&=x", 400);
	form_bad("a=%", 400);
	form_bad("a=%4", 400);
	form_bad("a=%4g", 400);
	form_bad("a%=1", 400);
	form_bad("a=%00", 400);
	form_bad("a%00=1", 400);
}

Test(form, utf8)
{
	cr_assert_eq(form("a=%C3%A9%E2%82%AC%F0%9F%98%80%F4%8F%BF%BF"), 0);
	form_free(&fm);
	form_bad("a=%C0%AF", 400);		/* overlong '/' */
	form_bad("a=%C1%BF", 400);		/* overlong */
	form_bad("a=%E0%80%AF", 400);		/* overlong, 3 bytes */
	form_bad("a=%F0%80%80%AF", 400);	/* overlong, 4 bytes */
	form_bad("a=%ED%A0%80", 400);		/* surrogate D800 */
	form_bad("a=%ED%BF%BF", 400);		/* surrogate DFFF */
	form_bad("a=%F4%90%80%80", 400);	/* U+110000 */
	form_bad("a=%F5%80%80%80", 400);
	form_bad("a=%E2%82", 400);		/* cut short */
	form_bad("a=%E2%82&b=%AC", 400);	/* cut by the separator */
	form_bad("a=%C3", 400);
	form_bad("a=%80", 400);			/* a lone continuation */
	form_bad("a=%FF", 400);
	form_bad("%C3=1", 400);			/* in a name */
	cr_expect_eq(formn("a=\xc3", 3), 400, "raw bytes as well");
	cr_expect_eq(formn("a=\xc3\xa9", 4), 0);
	form_free(&fm);
}

Test(form, limits)
{
	char	*s;
	size_t	 o = 0;

	/* 64 fields of the largest expansion: names alone */
	cr_assert_not_null(s = malloc(FORM_BODY_MAX + 2));
	for (int i = 0; i < FORM_FIELDS_MAX; i++)
		o += (size_t)sprintf(s + o, "%s%c", i ? "&" : "", 'a' + i % 26);
	cr_assert_eq(formn(s, o), 0, "%s", why);
	cr_expect_eq(fm.n, FORM_FIELDS_MAX);
	form_free(&fm);
	o += (size_t)sprintf(s + o, "&z");
	cr_expect_eq(formn(s, o), 413);
	cr_expect_eq(fm.n, 0);

	/* the body: exactly at the limit, and one over */
	memcpy(s, "a=", 2);
	memset(s + 2, 'x', FORM_BODY_MAX - 2);
	cr_assert_eq(formn(s, FORM_BODY_MAX), 0);
	cr_expect_eq(strlen(form_value(&fm, "a")), FORM_BODY_MAX - 2);
	form_free(&fm);
	s[FORM_BODY_MAX] = 'x';
	cr_expect_eq(formn(s, FORM_BODY_MAX + 1), 413);
	/* a body of separators only, at the limit */
	memset(s, '&', FORM_BODY_MAX);
	cr_assert_eq(formn(s, FORM_BODY_MAX), 0);
	form_free(&fm);
	free(s);
}

/* ------------------------------------------------------------------- html */

static char	 esc[256];

Test(html, escapes)
{
	size_t	 n;

	n = html_escape(esc, sizeof(esc), "<script>alert('x' & \"y\")</script>",
	    33);
	cr_expect_str_eq(esc, "&lt;script&gt;alert(&#39;x&#39; &amp; "
	    "&quot;y&quot;)&lt;/script&gt;");
	cr_expect_eq(n, strlen(esc));
	html_escape(esc, sizeof(esc), "a\tb\nc\rd", 7);
	cr_expect_str_eq(esc, "a\tb\nc\rd");
	html_escape(esc, sizeof(esc), "a\0b\x01\x1b\x7f", 6);
	cr_expect_str_eq(esc, "a&#xfffd;b&#xfffd;&#xfffd;&#xfffd;");
	html_escape(esc, sizeof(esc), "caf\xc3\xa9 \xe2\x82\xac", 9);
	cr_expect_str_eq(esc, "caf\xc3\xa9 \xe2\x82\xac");
	cr_expect_eq(html_escape(esc, sizeof(esc), "", 0), 0);
	cr_expect_str_eq(esc, "");
}

Test(html, truncates_at_whole_entities)
{
	char	 small[8];

	/* "a&amp;" fits in 7, the next entity does not */
	cr_expect_eq(html_escape(small, sizeof(small), "a&<", 3), 10);
	cr_expect_str_eq(small, "a&amp;");
	cr_expect_eq(html_escape(small, 1, "<", 1), 4);
	cr_expect_str_eq(small, "");
	cr_expect_eq(html_escape(NULL, 0, "<>", 2), 8);
	cr_expect_eq(html_escape(small, sizeof(small), "abcdefgh", 8), 8);
	cr_expect_str_eq(small, "abcdefg");
}

Test(html, every_byte_agrees)
{
	struct evbuffer	*b;
	char		 in[2], *out;
	size_t		 n;

	for (int c = 1; c < 256; c++) {
		in[0] = (char)c;
		in[1] = '\0';
		cr_assert_not_null(b = evbuffer_new());
		cr_assert_eq(html_add(b, in), 0);
		n = html_escape(esc, sizeof(esc), in, 1);
		cr_expect_eq(evbuffer_get_length(b), n);
		out = (char *)evbuffer_pullup(b, -1);
		cr_expect(memcmp(out, esc, n) == 0, "byte %d", c);
		/* nothing that can open markup or end an attribute */
		cr_expect(memchr(esc, '<', n) == NULL && memchr(esc, '>', n) ==
		    NULL && memchr(esc, '"', n) == NULL &&
		    memchr(esc, '\'', n) == NULL);
		evbuffer_free(b);
	}
}

Test(html, page_frame_escapes_its_title)
{
	struct evbuffer	*b;
	char		*s;

	cr_assert_not_null(b = evbuffer_new());
	cr_assert_eq(html_page_open(b, "</title><script>x</script>"), 0);
	cr_assert_eq(html_page_close(b), 0);
	evbuffer_add(b, "", 1);
	s = (char *)evbuffer_pullup(b, -1);
	cr_expect_not_null(strstr(s, "<title>&lt;/title&gt;&lt;script&gt;"));
	cr_expect_null(strstr(s, "<script>"));
	cr_expect_not_null(strstr(s, "<meta charset=\"utf-8\">"));
	evbuffer_free(b);
}
