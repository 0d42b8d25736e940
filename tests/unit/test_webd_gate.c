/*
 * Tests for webd's gates (webd/gate.c): where a POST may come from (Origin
 * against Host, Sec-Fetch-Site without Origin), the session cookie (one,
 * of 64 lower-case hex digits, among others, never two), the form's media
 * type (and an upload's one Content-Type), and the CSRF comparison.  Each request is a real head, parsed by
 * webd/http_parse.c from an exact-size heap copy, so that under ASan a
 * read past a field fails.
 */
#include "webd/http_parse.c"
#include "webd/gate.c"

#include <stdio.h>
#include <stdlib.h>

#include <criterion/criterion.h>

#define SID	"0123456789abcdef0123456789abcdef" \
		"0123456789abcdef0123456789abcdef"

static struct http_request	 req;
static char			*copy;

/* Parse "POST / HTTP/1.1\r\n" + fields + "\r\n" into req. */
static const struct http_request *
head(const char *fields)
{
	char	 buf[HTTP_HEAD_MAX];
	int	 n;

	n = snprintf(buf, sizeof(buf), "POST / HTTP/1.1\r\n%s\r\n", fields);
	cr_assert(n > 0 && (size_t)n < sizeof(buf));
	free(copy);
	copy = malloc((size_t)n);
	cr_assert_not_null(copy);
	memcpy(copy, buf, (size_t)n);
	cr_assert_eq(http_parse_head(copy, (size_t)n, &req), HTTP_PARSE_DONE,
	    "%s", fields);
	return &req;
}

/* The same for HTTP/1.0, which may come without Host. */
static const struct http_request *
head10(const char *fields)
{
	char	 buf[1024];
	int	 n;

	n = snprintf(buf, sizeof(buf), "POST / HTTP/1.0\r\n%s\r\n", fields);
	free(copy);
	copy = malloc((size_t)n);
	cr_assert_not_null(copy);
	memcpy(copy, buf, (size_t)n);
	cr_assert_eq(http_parse_head(copy, (size_t)n, &req), HTTP_PARSE_DONE);
	return &req;
}

static int
origin_ok(const struct http_request *r)
{
	const char	*why = NULL;
	int		 rc = gate_origin(r, &why);

	cr_assert(rc == 0 || why != NULL);
	return rc == 0;
}

Test(gate, origin)
{
	cr_expect(origin_ok(head("Host: gw.example:8443\r\n"
	    "Origin: https://gw.example:8443\r\n")));
	cr_expect(origin_ok(head("Host: gw.example\r\n"
	    "Origin: https://gw.example\r\n")));
	cr_expect(origin_ok(head("Host: [::1]:8443\r\n"
	    "Origin: https://[::1]:8443\r\n")));
	/* Anything else is refused. */
	cr_expect(!origin_ok(head("Host: gw.example\r\n")));
	cr_expect(!origin_ok(head("Host: gw.example\r\nOrigin: null\r\n")));
	cr_expect(!origin_ok(head("Host: gw.example\r\n"
	    "Origin: http://gw.example\r\n")));
	cr_expect(!origin_ok(head("Host: gw.example\r\n"
	    "Origin: https://gw.example:443\r\n")));
	cr_expect(!origin_ok(head("Host: gw.example:8443\r\n"
	    "Origin: https://gw.example\r\n")));
	cr_expect(!origin_ok(head("Host: gw.example\r\n"
	    "Origin: https://gw.example/\r\n")));
	cr_expect(!origin_ok(head("Host: gw.example\r\n"
	    "Origin: https://gw.example.evil\r\n")));
	cr_expect(!origin_ok(head("Host: gw.example.evil\r\n"
	    "Origin: https://gw.example\r\n")));
	cr_expect(!origin_ok(head("Host: gw.example\r\n"
	    "Origin: https://GW.example\r\n")));
	cr_expect(!origin_ok(head("Host: gw.example\r\n"
	    "Origin: HTTPS://gw.example\r\n")));
	cr_expect(!origin_ok(head("Host: gw.example\r\n"
	    "Origin: https://evil.example\r\n")));
	cr_expect(!origin_ok(head("Host: gw.example\r\n"
	    "Origin: https://gw.example\r\nOrigin: https://gw.example\r\n")));
	cr_expect(!origin_ok(head("Host: gw.example\r\n"
	    "Origin: https://evil.example\r\nOrigin: https://gw.example\r\n")));
	cr_expect(!origin_ok(head("Host: gw.example\r\nOrigin: \r\n")));
	/* Field names are case-insensitive. */
	cr_expect(origin_ok(head("host: gw.example\r\n"
	    "ORIGIN: https://gw.example\r\n")));
	/* HTTP/1.0 without Host: nothing to compare with. */
	cr_expect(!origin_ok(head10("Origin: https://gw.example\r\n")));
}

Test(gate, sec_fetch_site)
{
	cr_expect(origin_ok(head("Host: gw.example\r\n"
	    "Sec-Fetch-Site: same-origin\r\n")));
	cr_expect(!origin_ok(head("Host: gw.example\r\n"
	    "Sec-Fetch-Site: same-site\r\n")));
	cr_expect(!origin_ok(head("Host: gw.example\r\n"
	    "Sec-Fetch-Site: cross-site\r\n")));
	cr_expect(!origin_ok(head("Host: gw.example\r\n"
	    "Sec-Fetch-Site: none\r\n")));
	cr_expect(!origin_ok(head("Host: gw.example\r\n"
	    "Sec-Fetch-Site: same-origin, cross-site\r\n")));
	cr_expect(!origin_ok(head("Host: gw.example\r\n"
	    "Sec-Fetch-Site: same-origin\r\nSec-Fetch-Site: same-origin\r\n")));
	cr_expect(!origin_ok(head("Host: gw.example\r\n"
	    "Sec-Fetch-Site: Same-Origin\r\n")));
	/* An Origin there is the one that counts. */
	cr_expect(!origin_ok(head("Host: gw.example\r\n"
	    "Sec-Fetch-Site: same-origin\r\nOrigin: https://evil.example\r\n")));
}

static int
cookie(const char *fields, char *sid)
{
	return gate_cookie(head(fields), sid);
}

Test(gate, cookie)
{
	char	 sid[CONSOLE_TOKEN_LEN + 1];

	cr_assert(cookie("Host: a\r\nCookie: __Host-pgpmg=" SID "\r\n", sid));
	cr_expect_str_eq(sid, SID);
	cr_expect(cookie("Host: a\r\nCookie: a=1; __Host-pgpmg=" SID
	    "; b=2\r\n", sid));
	cr_expect_str_eq(sid, SID);
	cr_expect(cookie("Host: a\r\nCookie: a=1;__Host-pgpmg=" SID ";b\r\n",
	    sid));
	cr_expect(cookie("Host: a\r\nCookie: a=1\r\nCookie: __Host-pgpmg="
	    SID "\r\n", sid));
	cr_expect(cookie("Host: a\r\nCookie: __Host-pgpmg = " SID " \r\n",
	    sid));
	cr_expect_str_eq(sid, SID);
	cr_expect(cookie("Host: a\r\nCookie: x=__Host-pgpmg=1; __Host-pgpmg="
	    SID "\r\n", sid));

	/* None, or not ours. */
	cr_expect(!cookie("Host: a\r\n", sid));
	cr_expect_str_eq(sid, "");
	cr_expect(!cookie("Host: a\r\nCookie: pgpmg=" SID "\r\n", sid));
	cr_expect(!cookie("Host: a\r\nCookie: __host-pgpmg=" SID "\r\n", sid));
	cr_expect(!cookie("Host: a\r\nCookie: __Host-pgpmgx=" SID "\r\n", sid));
	cr_expect(!cookie("Host: a\r\nCookie: __Host-pgpmg\r\n", sid));
	cr_expect(!cookie("Host: a\r\nCookie: ;;;\r\n", sid));
	/* Malformed: not asked about. */
	cr_expect(!cookie("Host: a\r\nCookie: __Host-pgpmg=\r\n", sid));
	cr_expect(!cookie("Host: a\r\nCookie: __Host-pgpmg=" SID "0\r\n", sid));
	cr_expect(!cookie("Host: a\r\nCookie: __Host-pgpmg=123\r\n", sid));
	cr_expect(!cookie("Host: a\r\nCookie: __Host-pgpmg="
	    "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"
	    "\r\n", sid));
	cr_expect(!cookie("Host: a\r\nCookie: __Host-pgpmg=\"" SID "\"\r\n",
	    sid));
	cr_expect(!cookie("Host: a\r\nCookie: __Host-pgpmg="
	    "0123456789abcdef0123456789abcdef 123456789abcdef0123456789abcdef"
	    "\r\n", sid));
	cr_expect_str_eq(sid, "");
	/* Twice, even the same id: which one was meant? */
	cr_expect(!cookie("Host: a\r\nCookie: __Host-pgpmg=" SID
	    "; __Host-pgpmg=" SID "\r\n", sid));
	cr_expect(!cookie("Host: a\r\nCookie: __Host-pgpmg=" SID
	    "\r\nCookie: __Host-pgpmg=" SID "\r\n", sid));
	cr_expect(!cookie("Host: a\r\nCookie: __Host-pgpmg=" SID
	    "; __Host-pgpmg=1\r\n", sid));
	cr_expect_str_eq(sid, "");
}

Test(gate, form_type)
{
	cr_expect(gate_form_type(head("Host: a\r\n"
	    "Content-Type: application/x-www-form-urlencoded\r\n")));
	cr_expect(gate_form_type(head("Host: a\r\n"
	    "Content-Type: application/x-www-form-urlencoded;charset=UTF-8\r\n")));
	cr_expect(gate_form_type(head("Host: a\r\n"
	    "Content-Type: Application/X-WWW-Form-URLEncoded ; charset=utf-8\r\n")));
	cr_expect(!gate_form_type(head("Host: a\r\n")));
	cr_expect(!gate_form_type(head("Host: a\r\nContent-Type: text/plain\r\n")));
	cr_expect(!gate_form_type(head("Host: a\r\n"
	    "Content-Type: multipart/form-data; boundary=x\r\n")));
	cr_expect(!gate_form_type(head("Host: a\r\n"
	    "Content-Type: application/x-www-form-urlencodedx\r\n")));
	cr_expect(!gate_form_type(head("Host: a\r\n"
	    "Content-Type: application/x-www-form\r\n")));
	cr_expect(!gate_form_type(head("Host: a\r\n"
	    "Content-Type: application/x-www-form-urlencoded\r\n"
	    "Content-Type: application/x-www-form-urlencoded\r\n")));
}

/* An upload's Content-Type: the one field, its value for multipart.c. */
Test(gate, content_type)
{
	const struct http_field	*f;

	f = gate_content_type(head("Host: a\r\n"
	    "Content-Type: multipart/form-data; boundary=x\r\n"));
	cr_assert_not_null(f);
	cr_expect_eq(f->valuelen, strlen("multipart/form-data; boundary=x"));
	cr_expect(memcmp(f->value, "multipart/form-data; boundary=x",
	    f->valuelen) == 0);
	cr_expect_null(gate_content_type(head("Host: a\r\n")));
	cr_expect_null(gate_content_type(head("Host: a\r\n"
	    "Content-Type: multipart/form-data; boundary=x\r\n"
	    "content-type: multipart/form-data; boundary=y\r\n")));
}

Test(gate, csrf)
{
	char	 other[] = SID;

	cr_expect(gate_csrf(SID, SID));
	other[63] = '0';
	cr_expect(!gate_csrf(other, SID));
	other[63] = 'f';
	other[0] = '1';
	cr_expect(!gate_csrf(other, SID));
	cr_expect(!gate_csrf(NULL, SID));
	cr_expect(!gate_csrf("", SID));
	cr_expect(!gate_csrf(SID "0", SID));
	cr_expect(!gate_csrf("0123456789abcdef", "0123456789abcdef"));
	cr_expect(!gate_csrf("", ""));
	cr_expect(!gate_csrf(SID, NULL));
}
