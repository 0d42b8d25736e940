/*
 * response: the status line and header block of every response webd
 * writes, errors included, so that none goes out without the security
 * headers, a Content-Length or (for a page) its charset.  Error pages are
 * a fixed frame around the status, its reason and a fixed explanation of
 * ours, escaped all the same; nothing of the request is ever echoed.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "common/log.h"
#include "webd/html.h"
#include "webd/webd.h"

/* IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT", and its NUL. */
#define RESPONSE_DATE_LEN	30
/* Static files may be cached a little: they change only with an
 * upgrade.  Everything else is dynamic and never stored. */
#define RESPONSE_STATIC_CACHE	"max-age=3600"

/*
 * On every response over TLS.  HSTS: the console is HTTPS only, for a
 * year, and for its subdomains.  Never over plain HTTP (the redirect
 * listener's): RFC 6797 7.2 forbids it there, as a man in the middle
 * could set or clear it.
 */
static const char response_hsts[] =
    "Strict-Transport-Security: max-age=31536000; includeSubDomains\r\n";
/*
 * On every response.  CSP: our own scripts, styles and images, no
 * plugins, no <base>, forms to ourselves, never framed.  nosniff: the
 * Content-Type is the type.  Referrer-Policy same-origin, not
 * no-referrer: with no-referrer a browser sends "Origin: null" on POST,
 * and the CSRF checks (gate.c) want a real Origin.  X-Frame-Options
 * for browsers older than frame-ancestors.
 */
static const char response_security[] =
    "Content-Security-Policy: default-src 'self'; script-src 'self'; "
    "style-src 'self'; img-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "Referrer-Policy: same-origin\r\n"
    "X-Frame-Options: DENY\r\n";

static void
response_date(char *buf, size_t len)
{
	struct tm	 tm;
	time_t		 now = time(NULL);

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(buf, len, "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
		fatalx("response: cannot format the date");
}

/* A header value we write must not end the header block early. */
static void
response_check_value(const char *what, const char *v)
{
	for (; *v != '\0'; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			fatalx("response: control character in %s", what);
}

/*
 * After an error we no longer trust the framing of what follows, or have
 * left a body unread: the connection closes.  A well-formed request for
 * a path we do not have, or with a method it does not take, does not;
 * nor does a page that answers a whole request (r->keep: a refusal of
 * the console's, a wrong password, a value policyd did not take).
 */
static int
response_keeps_connection(const struct response *r)
{
	return r->keep || r->status < 400 || r->status == 404 ||
	    r->status == 405;
}

void
response_send(struct conn *c, const struct response *r)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);
	const char	*reason;
	char		 date[RESPONSE_DATE_LEN];
	int		 rc = 0;

	if ((reason = http_reason(r->status)) == NULL)
		fatalx("response: no reason phrase for %d", r->status);
	if (r->bodylen > 0 && r->content_type == NULL)
		fatalx("response: a body without a Content-Type");
	if (r->status == 204 && r->bodylen > 0)
		fatalx("response: a 204 with a body");
	/* The plain listener answers one request, whatever it was. */
	if (c->plain || !response_keeps_connection(r))
		c->close = 1;
	response_date(date, sizeof(date));
	rc |= evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\nDate: %s\r\n",
	    r->status, reason, date);
	if (r->content_type != NULL)
		rc |= evbuffer_add_printf(out, "Content-Type: %s\r\n",
		    r->content_type);
	/* RFC 9110 8.6: never in a 204. */
	if (r->status != 204)
		rc |= evbuffer_add_printf(out, "Content-Length: %zu\r\n",
		    r->bodylen);
	if (r->location != NULL) {
		response_check_value("Location", r->location);
		rc |= evbuffer_add_printf(out, "Location: %s\r\n",
		    r->location);
	}
	if (r->disposition != NULL) {
		response_check_value("Content-Disposition", r->disposition);
		rc |= evbuffer_add_printf(out, "Content-Disposition: %s\r\n",
		    r->disposition);
	}
	if (r->allow != NULL) {
		response_check_value("Allow", r->allow);
		rc |= evbuffer_add_printf(out, "Allow: %s\r\n", r->allow);
	}
	if (r->cookie != NULL) {
		response_check_value("Set-Cookie", r->cookie);
		rc |= evbuffer_add_printf(out, "Set-Cookie: %s\r\n",
		    r->cookie);
	}
	if (r->retry_after > 0)
		rc |= evbuffer_add_printf(out, "Retry-After: %u\r\n",
		    r->retry_after);
	rc |= evbuffer_add_printf(out, "Cache-Control: %s\r\n",
	    r->cacheable ? RESPONSE_STATIC_CACHE : "no-store");
	if (!c->plain)
		rc |= evbuffer_add(out, response_hsts,
		    sizeof(response_hsts) - 1);
	rc |= evbuffer_add(out, response_security,
	    sizeof(response_security) - 1);
	if (c->close)
		rc |= evbuffer_add_printf(out, "Connection: close\r\n");
	rc |= evbuffer_add(out, "\r\n", 2);
	/* RFC 9110 9.3.2: HEAD gets the same header block, no content. */
	if (r->bodylen > 0 && !conn_head_only(c))
		rc |= evbuffer_add(out, r->body, r->bodylen);
	if (rc < 0)
		fatalx("response: out of memory");
	log_debug("conn %llu (%s): %d, %zu bytes", (unsigned long long)c->id,
	    c->peer, r->status, r->bodylen);
	conn_responded(c);
}

/* Send a page built in b; b is emptied. */
void
response_page(struct conn *c, struct response *r, struct evbuffer *b)
{
	r->content_type = "text/html; charset=utf-8";
	r->bodylen = evbuffer_get_length(b);
	if ((r->body = evbuffer_pullup(b, -1)) == NULL && r->bodylen > 0)
		fatalx("response: out of memory");
	response_send(c, r);
	evbuffer_drain(b, r->bodylen);
}

static struct evbuffer *
response_buffer(void)
{
	struct evbuffer	*b;

	if ((b = evbuffer_new()) == NULL)
		fatalx("response: out of memory");
	return b;
}

/* The error page of r->status, with our explanation of it. */
static void
response_error_page(struct conn *c, struct response *r, const char *detail)
{
	struct evbuffer	*b = response_buffer();
	const char	*reason;
	char		 title[64];

	if ((reason = http_reason(r->status)) == NULL)
		fatalx("response: no reason phrase for %d", r->status);
	snprintf(title, sizeof(title), "%d %s", r->status, reason);
	if (html_page_open(b, title) == -1 ||
	    evbuffer_add_printf(b, "<h1>") == -1 || html_add(b, title) == -1 ||
	    evbuffer_add_printf(b, "</h1>\n") == -1 ||
	    (detail != NULL && (evbuffer_add_printf(b, "<p>") == -1 ||
	    html_add(b, detail) == -1 ||
	    evbuffer_add_printf(b, ".</p>\n") == -1)) ||
	    html_page_close(b) == -1)
		fatalx("response: out of memory");
	response_page(c, r, b);
	evbuffer_free(b);
}

void
response_error(struct conn *c, int status, const char *detail)
{
	struct response	 r;

	memset(&r, 0, sizeof(r));
	r.status = status;
	response_error_page(c, &r, detail);
}

/* 503 with Retry-After (RFC 9110 10.2.3): not now, but later. */
void
response_unavailable(struct conn *c, uint32_t retry_after, const char *detail)
{
	struct response	 r;

	memset(&r, 0, sizeof(r));
	r.status = 503;
	r.retry_after = retry_after;
	response_error_page(c, &r, detail);
}

/* RFC 9110 15.5.6: a 405 names the methods the resource takes. */
void
response_not_allowed(struct conn *c, const char *allow)
{
	struct response	 r;

	memset(&r, 0, sizeof(r));
	r.status = 405;
	r.allow = allow;
	response_error_page(c, &r, "this page does not take that method");
}

/* RFC 9110 15.4.4: a 303 carries a short note linking to where it
 * points; the browser goes there with GET. */
void
response_redirect(struct conn *c, const char *location)
{
	response_redirect_cookie(c, location, NULL);
}

void
response_redirect_cookie(struct conn *c, const char *location,
    const char *cookie)
{
	struct response	 r;
	struct evbuffer	*b = response_buffer();

	memset(&r, 0, sizeof(r));
	r.status = 303;
	r.location = location;
	r.cookie = cookie;
	if (html_page_open(b, "See Other") == -1 ||
	    evbuffer_add_printf(b, "<p><a href=\"") == -1 ||
	    html_add(b, location) == -1 ||
	    evbuffer_add_printf(b, "\">Continue</a></p>\n") == -1 ||
	    html_page_close(b) == -1)
		fatalx("response: out of memory");
	response_page(c, &r, b);
	evbuffer_free(b);
}

/*
 * The plain-HTTP listener's answer (conn.c): 301 to the console, with no
 * body, so that nothing of the request but the Location goes back, and
 * no-store like every dynamic answer, so that a browser asks again (and
 * is sent to the right port) should the console move.
 */
void
response_moved(struct conn *c, const char *location)
{
	struct response	 r;

	memset(&r, 0, sizeof(r));
	r.status = 301;
	r.location = location;
	response_send(c, &r);
}
