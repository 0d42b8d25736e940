/*
 * Tests for the plain-HTTP listener's Location (webd/redirect.c): a head
 * goes through the parser as conn.c hands it over, then redirect_location
 * builds the console's URL or refuses.  Every host form taken and refused,
 * the port replaced (and left out for 443), the target kept byte for byte
 * and refused outside RFC 3986's origin-form, and the longest Location
 * within its bound.  Heads are parsed from exact-size heap copies, so that
 * under ASan an overread fails.
 */
#include "webd/http_parse.c"
#include "webd/redirect.c"

#include <stdio.h>
#include <stdlib.h>

#include <criterion/criterion.h>

static struct http_request	 req;
static char			*copy;
static char			 loc[REDIRECT_LOCATION_MAX];
static const char		*why;

static void
fini(void)
{
	free(copy);
	copy = NULL;
}

TestSuite(redirect, .fini = fini);

/* Parse the head (it must be accepted), then build the Location. */
static int
locate_head(const char *head, size_t len, uint16_t port)
{
	free(copy);
	cr_assert_not_null(copy = malloc(len));
	memcpy(copy, head, len);
	cr_assert_eq(http_parse_head(copy, len, &req), HTTP_PARSE_DONE,
	    "refused by the parser: %s", head);
	why = NULL;
	loc[0] = '\0';
	return redirect_location(&req, port, loc, sizeof(loc), &why);
}

/* A GET of target with this Host (NULL: none) over HTTP/1.1 */
static int
locate(const char *target, const char *host, uint16_t port)
{
	char	 head[HTTP_HEAD_MAX];
	int	 n;

	if (host != NULL)
		n = snprintf(head, sizeof(head), "GET %s HTTP/1.1\r\nHost: %s"
		    "\r\n\r\n", target, host);
	else
		n = snprintf(head, sizeof(head), "GET %s HTTP/1.0\r\n\r\n",
		    target);
	cr_assert(n > 0 && (size_t)n < sizeof(head));
	return locate_head(head, (size_t)n, port);
}

static void
expect_location(const char *target, const char *host, uint16_t port,
    const char *want)
{
	cr_assert_eq(locate(target, host, port), 0, "Host %s, %s: refused: %s",
	    host, target, why);
	cr_expect_str_eq(loc, want, "Host %s, %s", host, target);
}

static void
expect_refused(const char *target, const char *host)
{
	cr_expect_eq(locate(target, host, 8443), -1, "Host %s, %s: %s",
	    host, target, loc);
	cr_expect_not_null(why);
}

Test(redirect, names_and_addresses)
{
	expect_location("/login", "127.0.0.1:8080", 8443,
	    "https://127.0.0.1:8443/login");
	expect_location("/", "console.example.com", 8443,
	    "https://console.example.com:8443/");
	/* as sent: case kept, an absolute name's final dot kept */
	expect_location("/", "Console.Example.COM:80", 8443,
	    "https://Console.Example.COM:8443/");
	expect_location("/", "console.example.com.", 8443,
	    "https://console.example.com.:8443/");
	expect_location("/", "localhost", 8443, "https://localhost:8443/");
	expect_location("/", "xn--bcher-kva.example", 8443,
	    "https://xn--bcher-kva.example:8443/");
	expect_location("/", "a-b.c1", 8443, "https://a-b.c1:8443/");
	expect_location("/", "0.0.0.0", 8443, "https://0.0.0.0:8443/");
	expect_location("/", "255.255.255.255:1", 8443,
	    "https://255.255.255.255:8443/");
	expect_location("/", "[::1]", 8443, "https://[::1]:8443/");
	expect_location("/", "[2001:DB8::1]:80", 8443,
	    "https://[2001:DB8::1]:8443/");
	expect_location("/", "[::ffff:192.0.2.1]", 8443,
	    "https://[::ffff:192.0.2.1]:8443/");
}

Test(redirect, port_443_left_out)
{
	expect_location("/login", "console.example.com:80", 443,
	    "https://console.example.com/login");
	expect_location("/", "[::1]:80", 443, "https://[::1]/");
	expect_location("/", "192.0.2.1", 443, "https://192.0.2.1/");
	expect_location("/", "a", 1, "https://a:1/");
	expect_location("/", "a", 65535, "https://a:65535/");
	expect_location("/", "a", 444, "https://a:444/");
}

Test(redirect, hosts_refused)
{
	/* the parser's own refusals (userinfo, a bad character, too long,
	 * an empty port, an unclosed bracket) are a 400 before redirect.c:
	 * test_http_parse.c has them; these are the parser's to let by */
	expect_refused("/", "-a.example");
	expect_refused("/", "a-.example");
	expect_refused("/", "a..example");
	expect_refused("/", ".a.example");
	expect_refused("/", "a.example..");
	expect_refused("/", "a_b.example");
	expect_refused("/", "a~b.example");
	/* a name that ends in a number is an IPv4 address to a browser */
	expect_refused("/", "a.1");
	expect_refused("/", "a.0x1f");
	expect_refused("/", "a.0X");
	expect_refused("/", "1.2.3");
	expect_refused("/", "1.2.3.4.5");
	expect_refused("/", "256.1.1.1");
	expect_refused("/", "01.2.3.4");
	expect_refused("/", "1.2.3.04");
	expect_refused("/", "1..2.3");
	expect_refused("/", "1.2.3.4.");
	expect_refused("/", "4294967295");
	expect_refused("/", "[1.2.3.4]");
	expect_refused("/", "[::1::2]");
	expect_refused("/", "[0:0:0:0:0:0:0:0:0]");
	/* HTTP/1.0 without Host: nothing to redirect to */
	expect_refused("/", NULL);
	/* a name of letters only is fine even if it looks like hex */
	cr_expect_eq(locate("/", "a.0xg", 8443), 0);
	cr_expect_eq(locate("/", "a.x1", 8443), 0);
}

Test(redirect, host_lengths)
{
	char	 name[300], label[70];

	/* 63 bytes a label, not 64 */
	memset(label, 'a', 63);
	label[63] = '\0';
	snprintf(name, sizeof(name), "%s.example", label);
	cr_expect_eq(locate("/", name, 8443), 0, "%s", why);
	snprintf(name, sizeof(name), "a%s.example", label);
	expect_refused("/", name);

	/* 253 bytes a name, not 254; its final dot beside them */
	snprintf(name, sizeof(name), "%s.%s.%s.%.61s", label, label, label,
	    label);
	cr_assert_eq(strlen(name), 253);
	cr_expect_eq(locate("/", name, 8443), 0, "%s", why);
	strcat(name, ".");
	cr_expect_eq(locate("/", name, 8443), 0, "%s", why);
	snprintf(name, sizeof(name), "%s.%s.%s.%.62s", label, label, label,
	    label);
	cr_assert_eq(strlen(name), 254);
	expect_refused("/", name);
}

Test(redirect, target_as_sent)
{
	expect_location("/a/b%2Fc/%7e?x=1&y=%20z%3F?w=/v:@!$'()*+,;", "h",
	    8443, "https://h:8443/a/b%2Fc/%7e?x=1&y=%20z%3F?w=/v:@!$'()*+,;");
	/* not normalized: dot segments, empty segments, encoded dots */
	expect_location("/a/../b//c/%2e%2E/", "h", 8443,
	    "https://h:8443/a/../b//c/%2e%2E/");
	/* a path of two slashes stays a path after the authority */
	expect_location("//evil.example/x", "h", 8443,
	    "https://h:8443//evil.example/x");
	expect_location("/?", "h", 8443, "https://h:8443/?");
	expect_location("/%00", "h", 8443, "https://h:8443/%00");
}

Test(redirect, target_refused)
{
	static const char *const bad[] = {
		"/a\"b", "/a<b", "/a>b", "/a\\b", "/a^b", "/a`b", "/a{b",
		"/a}b", "/a|b", "/a[b", "/a]b", "/?q=\"", "/%", "/%2",
		"/%g0", "/%0g", "/a%", "/?%2",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_eq(locate(bad[i], "h", 8443), -1, "%s: %s", bad[i],
		    loc);
		cr_expect_str_eq(why, "malformed request target", "%s",
		    bad[i]);
	}
}

Test(redirect, every_method_and_version)
{
	static const char *const heads[] = {
		"HEAD /x HTTP/1.1\r\nHost: h\r\n\r\n",
		"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n",
		"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999\r\n"
		    "Expect: 100-continue\r\n\r\n",
		"GET /x HTTP/1.0\r\nHost: h\r\n\r\n",
		"GET /x HTTP/1.9\r\nHost: h\r\n\r\n",
	};

	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		cr_expect_eq(locate_head(heads[i], strlen(heads[i]), 8443), 0,
		    "%s", heads[i]);
		cr_expect_str_eq(loc, "https://h:8443/x", "%s", heads[i]);
	}
}

/* The longest Host and target the parser takes, within the bound. */
Test(redirect, longest)
{
	char	*head, target[HTTP_TARGET_MAX + 1], host[HTTP_HOST_MAX + 1];
	size_t	 len;
	int	 n;

	target[0] = '/';
	memset(target + 1, 'a', HTTP_TARGET_MAX - 1);
	target[HTTP_TARGET_MAX] = '\0';
	/* 253 bytes of name with its final dot, and ":65535" */
	memset(host, 'a', sizeof(host));
	for (size_t i = 63; i < 253; i += 64)
		host[i] = '.';
	host[253] = '.';
	memcpy(host + 254, ":6553", 5);
	host[HTTP_HOST_MAX] = '\0';
	cr_assert_eq(strlen(host), HTTP_HOST_MAX);
	cr_assert_not_null(head = malloc(HTTP_HEAD_MAX));
	n = snprintf(head, HTTP_HEAD_MAX, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n",
	    target, host);
	cr_assert(n > 0);
	cr_assert_eq(locate_head(head, (size_t)n, 65535), 0, "%s", why);
	len = strlen(loc);
	cr_expect_eq(len, 8 + 254 + 6 + HTTP_TARGET_MAX);
	cr_expect_lt(len, sizeof(loc));
	free(head);

	/* a buffer one byte short is refused, not overrun */
	cr_assert_eq(locate("/abc", "h", 8443), 0);
	len = strlen(loc);
	cr_expect_eq(redirect_location(&req, 8443, loc, len, &why), -1);
	cr_expect_eq(redirect_location(&req, 8443, loc, len + 1, &why), 0);
	cr_expect_str_eq(loc, "https://h:8443/abc");
}
