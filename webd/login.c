/*
 * login: the sign-in page.  It posts the address and password to /login,
 * which takes them once policyd can check them; the form already carries
 * its CSRF field, empty until sessions exist.  Nothing of the request is
 * shown on the page.
 */
#include <string.h>

#include <event2/buffer.h>

#include "common/log.h"
#include "webd/html.h"
#include "webd/webd.h"

/* The longest address RFC 5321 allows in a path, less its brackets. */
#define LOGIN_ADDRESS_MAX	254

void
login_page(struct conn *c, const struct webd_request *r)
{
	struct response	 resp;
	struct evbuffer	*b;
	const char	*csrf = "";	/* the session's token, later */

	(void)r;
	if ((b = evbuffer_new()) == NULL ||
	    html_page_open(b, "pgpmg: sign in") == -1 ||
	    evbuffer_add_printf(b,
	    "<h1>pgpmg</h1>\n"
	    "<form method=\"post\" action=\"/login\">\n"
	    "<input type=\"hidden\" name=\"csrf\" value=\"") == -1 ||
	    html_add(b, csrf) == -1 ||
	    evbuffer_add_printf(b, "\">\n"
	    "<label for=\"address\">Address</label>\n"
	    "<input id=\"address\" name=\"address\" type=\"email\" "
	    "autocomplete=\"username\" maxlength=\"%d\" required>\n"
	    "<label for=\"password\">Password</label>\n"
	    "<input id=\"password\" name=\"password\" type=\"password\" "
	    "autocomplete=\"current-password\" required>\n"
	    "<button type=\"submit\">Sign in</button>\n"
	    "</form>\n", LOGIN_ADDRESS_MAX) == -1 ||
	    html_page_close(b) == -1)
		fatalx("login: out of memory");
	memset(&resp, 0, sizeof(resp));
	resp.status = 200;
	resp.content_type = "text/html; charset=utf-8";
	resp.bodylen = evbuffer_get_length(b);
	if ((resp.body = evbuffer_pullup(b, -1)) == NULL)
		fatalx("login: out of memory");
	response_send(c, &resp);
	evbuffer_free(b);
}
