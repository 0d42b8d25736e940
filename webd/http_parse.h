/*
 * http_parse: one HTTP/1.1 request head (RFC 9112) from a byte buffer.
 * Pure and bounded: no allocation, no I/O, no libevent, so that the unit
 * tests and the fuzz target run it exactly as webd does.  The connection
 * (conn.c) calls it on what has arrived so far; it answers "more",
 * "done", or the status code the connection must answer before closing.
 */
#ifndef PGPMG_HTTP_PARSE_H
#define PGPMG_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* The whole head: request line, fields and the empty line, CRLFs
 * included.  Browsers send a few hundred bytes to 2 KiB (cookies make
 * the most); 16 KiB is what nginx and Apache accept per line or head by
 * default, and anything beyond it is answered 431. */
#define HTTP_HEAD_MAX		(16 * 1024)
/* Field lines: browsers send 10 to 20; more than 64 is not a browser. */
#define HTTP_FIELDS_MAX		64
/* The request target, as sent (before percent-decoding).  Our paths are
 * short; 2048 is what the smallest browsers of old still handled, and a
 * longer target is answered 414. */
#define HTTP_TARGET_MAX		2048
/* A method token: the longest registered one (VERSION-CONTROL) has 15
 * characters; a longer token is still a method we do not implement. */
#define HTTP_METHOD_MAX		16
/* Host: a DNS name (253) or a bracketed IPv6 literal, and ":65535". */
#define HTTP_HOST_MAX		(253 + 6)

enum http_method {
	HTTP_METHOD_GET = 1,
	HTTP_METHOD_HEAD,
	HTTP_METHOD_POST,
};

enum http_parse_status {
	HTTP_PARSE_MORE,	/* no whole head yet, nothing wrong so far */
	HTTP_PARSE_DONE,	/* req is filled in; req->head_len bytes used */
	HTTP_PARSE_ERROR,	/* answer req->status, then close */
};

/* A field line as received: pointers into the caller's buffer, the value
 * without the whitespace around it.  Neither is NUL-terminated. */
struct http_field {
	const char	*name;
	size_t		 namelen;
	const char	*value;
	size_t		 valuelen;
};

struct http_request {
	enum http_method	 method;
	int			 minor;		/* HTTP/1.0 or HTTP/1.1 */
	const char		*target;	/* origin-form, as sent */
	size_t			 targetlen;
	struct http_field	 fields[HTTP_FIELDS_MAX];
	size_t			 nfields;
	int			 has_length;	/* a Content-Length was sent */
	uint64_t		 content_length;	/* UINT64_MAX: larger */
	int			 close;		/* no further request after this one */
	int			 expect_continue;	/* Expect: 100-continue */
	size_t			 head_len;	/* bytes of the head, final CRLF included */

	/* on HTTP_PARSE_ERROR */
	int			 status;
	const char		*error;		/* a fixed text, never request bytes */
};

/*
 * Parse buf[0..len) as the start of a request.  Only the first
 * HTTP_HEAD_MAX bytes are ever looked at.  On HTTP_PARSE_DONE the
 * pointers in req point into buf.
 */
enum http_parse_status	http_parse_head(const char *buf, size_t len,
			    struct http_request *req);

/* The first field of that name (case-insensitive), or NULL. */
const struct http_field	*http_field_get(const struct http_request *,
			    const char *name);

/* The reason phrase of a status code we send ("Not Found"). */
const char		*http_reason(int status);

#endif /* PGPMG_HTTP_PARSE_H */
