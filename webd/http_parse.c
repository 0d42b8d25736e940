/*
 * http_parse: the request head of RFC 9112, read strictly.  Every rule
 * that lets two HTTP implementations disagree about where a request ends
 * or what it says (bare CR or LF, folded lines, whitespace before a
 * colon, two Content-Lengths, Transfer-Encoding, two Hosts) is a refusal
 * here rather than a guess: webd may sit behind a proxy one day, and
 * request smuggling lives in exactly those differences.
 *
 * The buffer may hold a partial head.  Whatever is already wrong in it is
 * reported at once, so a client is answered as soon as its request cannot
 * become valid, not when its head would have ended; only the first
 * HTTP_HEAD_MAX bytes are ever read.
 */
#include <string.h>

#include "webd/http_parse.h"

/* The fixed part of the request line after the target: "HTTP/d.d". */
#define HTTP_VERSION_LEN	8
/* Content-Length digits that fit in 64 bits whatever they are. */
#define HTTP_LENGTH_DIGITS	19

/* RFC 9110 5.6.2: tchar. */
static int
http_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* RFC 9110 5.5: field-vchar or SP/HTAB inside a value.  obs-text
 * (0x80-0xFF) is let through and never interpreted. */
static int
http_value_char(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* Bytes a request target may hold as sent: visible ASCII without '#'
 * (a fragment never travels).  What the bytes mean is http_path.c's. */
static int
http_target_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '#';
}

static char
http_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* ASCII case-insensitive a[0..alen) == b (NUL-terminated). */
static int
http_caseeq(const char *a, size_t alen, const char *b)
{
	size_t	 i;

	for (i = 0; i < alen; i++)
		if (b[i] == '\0' || http_lower(a[i]) != http_lower(b[i]))
			return 0;
	return b[i] == '\0';
}

static enum http_parse_status
http_error(struct http_request *req, int status, const char *why)
{
	req->status = status;
	req->error = why;
	return HTTP_PARSE_ERROR;
}

/* Byte i is not there yet: wait, unless the head can no longer fit. */
static enum http_parse_status
http_short(struct http_request *req, size_t len)
{
	if (len >= HTTP_HEAD_MAX)
		return http_error(req, 431, "the request head is too large");
	return HTTP_PARSE_MORE;
}

/*
 * A line end at buf[*i]: CRLF moves *i past it.  Returns DONE when it was
 * one, MORE when the LF has not arrived, an error for anything else.
 */
static enum http_parse_status
http_crlf(const char *buf, size_t lim, size_t len, size_t *i,
    struct http_request *req)
{
	if (buf[*i] == '\n')
		return http_error(req, 400, "a line ends in a bare LF");
	if (buf[*i] != '\r')
		return http_error(req, 400, "malformed request line");
	if (*i + 1 >= lim)
		return http_short(req, len);
	if (buf[*i + 1] != '\n')
		return http_error(req, 400, "a bare CR in the request head");
	*i += 2;
	return HTTP_PARSE_DONE;
}

/* METHOD SP origin-form SP HTTP-version CRLF (RFC 9112 3). */
static enum http_parse_status
http_request_line(const char *buf, size_t lim, size_t len, size_t *pos,
    struct http_request *req)
{
	static const char	 vpat[] = "HTTP/d.d";
	const char		*method, *version;
	size_t			 i = *pos, mlen, k;
	enum http_parse_status	 st;

	/* RFC 9112 2.2: empty lines before the request line are ignored. */
	while (i < lim && buf[i] == '\r')
		if ((st = http_crlf(buf, lim, len, &i, req)) != HTTP_PARSE_DONE)
			return st;

	method = buf + i;
	for (mlen = 0; i < lim && http_tchar((unsigned char)buf[i]); i++)
		if (++mlen > HTTP_METHOD_MAX)
			return http_error(req, 501,
			    "the request method is not implemented");
	if (i >= lim)
		return http_short(req, len);
	if (mlen == 0 || buf[i] != ' ')
		return http_error(req, 400, "malformed request line");
	i++;

	if (i >= lim)
		return http_short(req, len);
	if (buf[i] != '/')
		return http_error(req, 400,
		    "the request target must be an absolute path");
	req->target = buf + i;
	for (; i < lim && buf[i] != ' '; i++) {
		if (!http_target_char((unsigned char)buf[i]))
			return http_error(req, 400,
			    "malformed request target");
		if (++req->targetlen > HTTP_TARGET_MAX)
			return http_error(req, 414,
			    "the request target is too long");
	}
	if (i >= lim)
		return http_short(req, len);
	i++;

	version = buf + i;
	for (k = 0; k < HTTP_VERSION_LEN; k++, i++) {
		if (i >= lim)
			return http_short(req, len);
		if (vpat[k] == 'd' ? buf[i] < '0' || buf[i] > '9' :
		    buf[i] != vpat[k])
			return http_error(req, 400, "malformed HTTP version");
	}
	if (i >= lim)
		return http_short(req, len);
	if ((st = http_crlf(buf, lim, len, &i, req)) != HTTP_PARSE_DONE)
		return st;

	/* RFC 9110 6.2: a higher minor version of HTTP/1 is answered as
	 * the highest we speak; any other major version is not ours. */
	if (version[5] != '1')
		return http_error(req, 505, "only HTTP/1.0 and HTTP/1.1 are "
		    "supported");
	req->minor = version[7] == '0' ? 0 : 1;

	/* RFC 9110 9.1: methods are case-sensitive. */
	if (mlen == 3 && memcmp(method, "GET", 3) == 0)
		req->method = HTTP_METHOD_GET;
	else if (mlen == 4 && memcmp(method, "HEAD", 4) == 0)
		req->method = HTTP_METHOD_HEAD;
	else if (mlen == 4 && memcmp(method, "POST", 4) == 0)
		req->method = HTTP_METHOD_POST;
	else
		return http_error(req, 501,
		    "the request method is not implemented");
	*pos = i;
	return HTTP_PARSE_DONE;
}

/* field-name ":" OWS field-value OWS CRLF (RFC 9112 5). */
static enum http_parse_status
http_field_line(const char *buf, size_t lim, size_t len, size_t *pos,
    struct http_request *req)
{
	struct http_field	*f;
	size_t			 i = *pos, end;
	enum http_parse_status	 st;

	/* RFC 9112 5.2: obs-fold, refused rather than unfolded. */
	if (buf[i] == ' ' || buf[i] == '\t')
		return http_error(req, 400,
		    "folded header lines are not accepted");
	if (req->nfields == HTTP_FIELDS_MAX)
		return http_error(req, 431, "too many header fields");
	f = &req->fields[req->nfields];
	f->name = buf + i;
	for (; i < lim && http_tchar((unsigned char)buf[i]); i++)
		f->namelen++;
	if (i >= lim)
		return http_short(req, len);
	if (f->namelen == 0 || buf[i] != ':')
		/* RFC 9112 5.1: no whitespace before the colon. */
		return http_error(req, 400, "malformed header field name");
	i++;
	while (i < lim && (buf[i] == ' ' || buf[i] == '\t'))
		i++;
	f->value = buf + i;
	end = i;
	for (; i < lim && buf[i] != '\r' && buf[i] != '\n'; i++) {
		if (!http_value_char((unsigned char)buf[i]))
			return http_error(req, 400,
			    "a control character in a header field");
		if (buf[i] != ' ' && buf[i] != '\t')
			end = i + 1;
	}
	if (i >= lim)
		return http_short(req, len);
	f->valuelen = (size_t)(buf + end - f->value);
	if ((st = http_crlf(buf, lim, len, &i, req)) != HTTP_PARSE_DONE)
		return st;
	req->nfields++;
	*pos = i;
	return HTTP_PARSE_DONE;
}

/*
 * RFC 9110 7.2: uri-host [ ":" port ], read narrowly: a DNS name or IPv4
 * address of letters, digits, '-', '.', '_' and '~', or an IPv6 literal in
 * brackets; no userinfo, no percent-encoding, no IPvFuture.
 */
static int
http_host_valid(const char *s, size_t len)
{
	size_t	 i = 0, digits = 0;
	unsigned	 port = 0;

	if (len == 0 || len > HTTP_HOST_MAX)
		return 0;
	if (s[0] == '[') {
		for (i = 1; i < len && s[i] != ']'; i++)
			if (!((s[i] >= '0' && s[i] <= '9') ||
			    (http_lower(s[i]) >= 'a' && http_lower(s[i]) <= 'f') ||
			    s[i] == ':' || s[i] == '.'))
				return 0;
		if (i == len || i == 1)
			return 0;
		i++;
	} else {
		for (; i < len && s[i] != ':'; i++)
			if (!((s[i] >= '0' && s[i] <= '9') ||
			    (http_lower(s[i]) >= 'a' && http_lower(s[i]) <= 'z') ||
			    s[i] == '-' || s[i] == '.' || s[i] == '_' ||
			    s[i] == '~'))
				return 0;
		if (i == 0)
			return 0;
	}
	if (i == len)
		return 1;
	if (s[i] != ':')
		return 0;
	/* RFC 3986's port is any digits; a TCP port is at most 65535. */
	for (i++; i < len; i++, digits++) {
		if (s[i] < '0' || s[i] > '9' || digits == 5)
			return 0;
		port = port * 10 + (unsigned)(s[i] - '0');
	}
	return digits > 0 && port <= 65535;
}

/* Does a comma-separated list of tokens hold tok (case-insensitive)? */
static int
http_list_has(const char *s, size_t len, const char *tok)
{
	size_t	 i = 0, start, end;

	while (i < len) {
		while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == ','))
			i++;
		start = i;
		while (i < len && s[i] != ',')
			i++;
		end = i;
		while (end > start && (s[end - 1] == ' ' || s[end - 1] == '\t'))
			end--;
		if (end > start && http_caseeq(s + start, end - start, tok))
			return 1;
	}
	return 0;
}

/* What the fields say about framing and the connection. */
static enum http_parse_status
http_fields_check(struct http_request *req)
{
	const struct http_field	*f;
	size_t			 nhost = 0, nlength = 0;

	for (size_t n = 0; n < req->nfields; n++) {
		f = &req->fields[n];
		if (http_caseeq(f->name, f->namelen, "host")) {
			/* RFC 9112 3.2: one Host, and a valid one. */
			if (++nhost > 1 || !http_host_valid(f->value,
			    f->valuelen))
				return http_error(req, 400,
				    "a missing, repeated or invalid Host");
		} else if (http_caseeq(f->name, f->namelen,
		    "content-length")) {
			/* RFC 9112 6.3: anything but one plain number is
			 * a framing error.  "3, 3" is refused as well. */
			if (++nlength > 1 || f->valuelen == 0)
				return http_error(req, 400,
				    "a repeated or empty Content-Length");
			for (size_t k = 0; k < f->valuelen; k++) {
				if (f->value[k] < '0' || f->value[k] > '9')
					return http_error(req, 400,
					    "a malformed Content-Length");
				if (k >= HTTP_LENGTH_DIGITS)
					req->content_length = UINT64_MAX;
				else
					req->content_length =
					    req->content_length * 10 +
					    (uint64_t)(f->value[k] - '0');
			}
			req->has_length = 1;
		} else if (http_caseeq(f->name, f->namelen,
		    "transfer-encoding")) {
			/* RFC 9112 6.1: a coding we do not implement.  We
			 * take no chunked bodies: forms have a length. */
			return http_error(req, 501,
			    "Transfer-Encoding is not supported");
		} else if (http_caseeq(f->name, f->namelen, "connection")) {
			if (http_list_has(f->value, f->valuelen, "close"))
				req->close = 1;
		} else if (http_caseeq(f->name, f->namelen, "expect")) {
			/* RFC 9110 10.1.1: only 100-continue exists, and
			 * an HTTP/1.0 client cannot mean it. */
			if (!http_caseeq(f->value, f->valuelen,
			    "100-continue"))
				return http_error(req, 417,
				    "the expectation cannot be met");
			req->expect_continue = req->minor == 1;
		}
	}
	if (nhost == 0 && req->minor == 1)
		return http_error(req, 400,
		    "a missing, repeated or invalid Host");
	/* One request per HTTP/1.0 connection: its keep-alive is an
	 * extension we do not need. */
	if (req->minor == 0)
		req->close = 1;
	return HTTP_PARSE_DONE;
}

enum http_parse_status
http_parse_head(const char *buf, size_t len, struct http_request *req)
{
	size_t			 lim, pos = 0;
	enum http_parse_status	 st;

	memset(req, 0, sizeof(*req));
	lim = len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX;
	if ((st = http_request_line(buf, lim, len, &pos, req)) !=
	    HTTP_PARSE_DONE)
		return st;
	for (;;) {
		if (pos >= lim)
			return http_short(req, len);
		if (buf[pos] == '\r' || buf[pos] == '\n') {
			if ((st = http_crlf(buf, lim, len, &pos, req)) !=
			    HTTP_PARSE_DONE)
				return st;
			break;
		}
		if ((st = http_field_line(buf, lim, len, &pos, req)) !=
		    HTTP_PARSE_DONE)
			return st;
	}
	req->head_len = pos;
	return http_fields_check(req);
}

const struct http_field *
http_field_get(const struct http_request *req, const char *name)
{
	for (size_t n = 0; n < req->nfields; n++)
		if (http_caseeq(req->fields[n].name, req->fields[n].namelen,
		    name))
			return &req->fields[n];
	return NULL;
}

const char *
http_reason(int status)
{
	static const struct {
		int		 status;
		const char	*reason;
	} reasons[] = {
		{ 100, "Continue" },
		{ 200, "OK" },
		{ 204, "No Content" },
		{ 301, "Moved Permanently" },
		{ 303, "See Other" },
		{ 400, "Bad Request" },
		{ 401, "Unauthorized" },
		{ 403, "Forbidden" },
		{ 404, "Not Found" },
		{ 405, "Method Not Allowed" },
		{ 408, "Request Timeout" },
		{ 409, "Conflict" },
		{ 413, "Content Too Large" },
		{ 414, "URI Too Long" },
		{ 415, "Unsupported Media Type" },
		{ 417, "Expectation Failed" },
		{ 429, "Too Many Requests" },
		{ 431, "Request Header Fields Too Large" },
		{ 500, "Internal Server Error" },
		{ 501, "Not Implemented" },
		{ 502, "Bad Gateway" },
		{ 503, "Service Unavailable" },
		{ 504, "Gateway Timeout" },
		{ 505, "HTTP Version Not Supported" },
	};

	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return NULL;
}
