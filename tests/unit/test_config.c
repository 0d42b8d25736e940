/*
 * Tests for common/config.c: defaults, every key, the tokenizer (comments,
 * quotes, escapes), and every kind of error with its exact "FILE:LINE:"
 * prefix.  Each text is copied into a malloc'd buffer of exactly its
 * length, with no NUL after it, because that is how the children receive
 * the configuration: under ASan an overread fails the test.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "common/config.h"

#define ERRLEN	512

static char	errbuf[ERRLEN];

/* Parse text[0..len) from an exact-size heap copy. */
static int
parse_len(const char *text, size_t len, struct pgpmg_conf *conf)
{
	char	*copy;
	int	 rc;

	/* malloc(0) may return NULL; keep one byte but pass len 0. */
	copy = malloc(len > 0 ? len : 1);
	cr_assert_not_null(copy);
	memcpy(copy, text, len);
	rc = conf_parse_text("pgpmg.conf", copy, len, conf, errbuf,
	    sizeof(errbuf));
	free(copy);
	return rc;
}

static int
parse(const char *text, struct pgpmg_conf *conf)
{
	return parse_len(text, strlen(text), conf);
}

/* The text must be refused with exactly this message. */
static void
expect_error(const char *text, const char *msg)
{
	struct pgpmg_conf	conf;

	cr_assert_eq(parse(text, &conf), -1, "accepted: %s", text);
	cr_expect_str_eq(errbuf, msg, "text: %s", text);
	/* A failed parse leaves nothing to free; freeing again is safe. */
	conf_free(&conf);
}

Test(config, defaults_when_empty)
{
	struct pgpmg_conf	conf;
	long			ncpu;
	unsigned		want;

	cr_assert_eq(parse("", &conf), 0, "%s", errbuf);
	cr_expect_str_eq(conf.source, "pgpmg.conf");
	cr_expect_str_eq(conf.smtp_listen.host, "127.0.0.1");
	cr_expect_eq(conf.smtp_listen.port, 2525);
	cr_expect_eq(conf.smtp_lmtp, 0);
	cr_expect_str_eq(conf.web_listen.host, "127.0.0.1");
	cr_expect_eq(conf.web_listen.port, 8443);
	cr_expect_str_eq(conf.relay.host, "127.0.0.1");
	cr_expect_eq(conf.relay.port, 10026);
	cr_expect_eq(conf.n_internal_domains, 0);
	cr_expect_str_eq(conf.control_socket, "/run/pgpmg/pgpmgd.sock");
	cr_expect_str_eq(conf.tls_certificate, "/etc/pgpmg/tls/cert.pem");
	cr_expect_str_eq(conf.tls_key, "/etc/pgpmg/tls/key.pem");
	cr_expect_str_eq(conf.database,
	    "host=/var/run/postgresql dbname=pgpmg");
	cr_expect_str_eq(conf.chroot_dir, "/var/lib/pgpmg/empty");
	cr_expect_str_eq(conf.keyd_home, "/var/lib/pgpmg/keyd");
	cr_expect_str_eq(conf.cryptod_home, "/var/lib/pgpmg/cryptod");
	cr_expect_str_eq(conf.web_root, "/usr/share/pgpmg/www");
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	want = ncpu < 1 ? 1 : ncpu > CONF_MAX_WORKERS ? CONF_MAX_WORKERS :
	    (unsigned)ncpu;
	cr_expect_eq(conf.cryptod_workers, want);
	cr_expect_eq(conf.verbose, 0);
	conf_free(&conf);
}

Test(config, only_comments_and_blanks)
{
	struct pgpmg_conf	conf;

	cr_assert_eq(parse("\n# nothing\n   \t\n\t# more\n", &conf), 0,
	    "%s", errbuf);
	cr_expect_eq(conf.relay.port, 10026);
	conf_free(&conf);
}

Test(config, every_key)
{
	struct pgpmg_conf	conf;
	const char		*text =
	    "listen smtp 192.0.2.1:25 lmtp\n"
	    "listen web [::1]:443\n"
	    "relay mx.example.net:10025\n"
	    "internal-domain Example.COM\n"
	    "internal-domain mail.example.org\n"
	    "control-socket /tmp/pgpmg.sock\n"
	    "tls-certificate /etc/ssl/c.pem\n"
	    "tls-key /etc/ssl/k.pem\n"
	    "database \"host=/tmp dbname=test user=pgpmg\"\n"
	    "chroot /var/empty\n"
	    "keyd-home /srv/keyd\n"
	    "cryptod-home /srv/cryptod\n"
	    "web-root /srv/www\n"
	    "cryptod-workers 3\n"
	    "log-level debug\n";

	cr_assert_eq(parse(text, &conf), 0, "%s", errbuf);
	cr_expect_str_eq(conf.smtp_listen.host, "192.0.2.1");
	cr_expect_eq(conf.smtp_listen.port, 25);
	cr_expect_eq(conf.smtp_lmtp, 1);
	cr_expect_str_eq(conf.web_listen.host, "::1");
	cr_expect_eq(conf.web_listen.port, 443);
	cr_expect_str_eq(conf.relay.host, "mx.example.net");
	cr_expect_eq(conf.relay.port, 10025);
	cr_assert_eq(conf.n_internal_domains, 2);
	cr_expect_str_eq(conf.internal_domains[0], "example.com");
	cr_expect_str_eq(conf.internal_domains[1], "mail.example.org");
	cr_expect_str_eq(conf.control_socket, "/tmp/pgpmg.sock");
	cr_expect_str_eq(conf.tls_certificate, "/etc/ssl/c.pem");
	cr_expect_str_eq(conf.tls_key, "/etc/ssl/k.pem");
	cr_expect_str_eq(conf.database, "host=/tmp dbname=test user=pgpmg");
	cr_expect_str_eq(conf.chroot_dir, "/var/empty");
	cr_expect_str_eq(conf.keyd_home, "/srv/keyd");
	cr_expect_str_eq(conf.cryptod_home, "/srv/cryptod");
	cr_expect_str_eq(conf.web_root, "/srv/www");
	cr_expect_eq(conf.cryptod_workers, 3);
	cr_expect_eq(conf.verbose, 1);

	cr_expect(conf_is_internal_domain(&conf, "example.com"));
	cr_expect(conf_is_internal_domain(&conf, "EXAMPLE.com"));
	cr_expect(conf_is_internal_domain(&conf, "Mail.Example.Org"));
	cr_expect(!conf_is_internal_domain(&conf, "example.org"));
	cr_expect(!conf_is_internal_domain(&conf, "sub.example.com"));
	cr_expect(!conf_is_internal_domain(&conf, NULL));
	conf_free(&conf);
	cr_expect_null(conf.source);
	cr_expect_eq(conf.n_internal_domains, 0);
}

Test(config, log_level_info_and_smtp_without_lmtp)
{
	struct pgpmg_conf	conf;

	cr_assert_eq(parse("log-level info\nlisten smtp localhost:2526\n",
	    &conf), 0, "%s", errbuf);
	cr_expect_eq(conf.verbose, 0);
	cr_expect_eq(conf.smtp_lmtp, 0);
	cr_expect_str_eq(conf.smtp_listen.host, "localhost");
	cr_expect_eq(conf.smtp_listen.port, 2526);
	conf_free(&conf);
}

Test(config, comments_quotes_escapes)
{
	struct pgpmg_conf	conf;
	const char		*text =
	    "# a comment\n"
	    "   \t relay\t127.0.0.1:25   # trailing comment\n"
	    "database \"a \\\"quoted\\\" \\\\ word # not a comment\"\n"
	    "web-root \"/srv/with space\"# comment right after\n"
	    "keyd-home /srv/k#comment with no space\n"
	    "tls-key \"/k\"\r\n";

	cr_assert_eq(parse(text, &conf), 0, "%s", errbuf);
	cr_expect_str_eq(conf.relay.host, "127.0.0.1");
	cr_expect_eq(conf.relay.port, 25);
	cr_expect_str_eq(conf.database,
	    "a \"quoted\" \\ word # not a comment");
	cr_expect_str_eq(conf.web_root, "/srv/with space");
	cr_expect_str_eq(conf.keyd_home, "/srv/k");
	cr_expect_str_eq(conf.tls_key, "/k");
	conf_free(&conf);
}

Test(config, quoted_keyword_and_last_line_without_newline)
{
	struct pgpmg_conf	conf;

	cr_assert_eq(parse("\"relay\" \"10.0.0.1:2\"", &conf), 0, "%s",
	    errbuf);
	cr_expect_str_eq(conf.relay.host, "10.0.0.1");
	cr_expect_eq(conf.relay.port, 2);
	conf_free(&conf);
}

Test(config, tokenizer_errors)
{
	expect_error("database \"open\n",
	    "pgpmg.conf:1: missing closing quote");
	expect_error("\n\ndatabase \"a\\n\"\n",
	    "pgpmg.conf:3: only \\\" and \\\\ may follow a backslash");
	expect_error("database \"a\\",
	    "pgpmg.conf:1: missing closing quote");
	expect_error("database \"a\"b\n",
	    "pgpmg.conf:1: text right after a closing quote");
	expect_error("database a\"b\"\n",
	    "pgpmg.conf:1: quote inside a word");
	expect_error("relay 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n",
	    "pgpmg.conf:1: more than 16 words on a line");
	expect_error("# ok\nrelay\x01 127.0.0.1:25\n",
	    "pgpmg.conf:2: control character 0x01 in line");
	expect_error("database \"\"\n",
	    "pgpmg.conf:1: database: empty connection string");
}

Test(config, line_numbers_after_blanks_and_comments)
{
	expect_error("\n# comment\n\n   \n\t# another\nlisen 1.2.3.4:25\n",
	    "pgpmg.conf:6: unknown keyword \"lisen\"");
	expect_error("relay 127.0.0.1:25\n# c\n\nrelay 127.0.0.1:26\n",
	    "pgpmg.conf:4: relay: already set on line 1");
	expect_error("\r\n\r\nfoo\r\n",
	    "pgpmg.conf:3: unknown keyword \"foo\"");
}

Test(config, unknown_keys)
{
	expect_error("lisen smtp 127.0.0.1:25\n",
	    "pgpmg.conf:1: unknown keyword \"lisen\"");
	expect_error("Relay 127.0.0.1:25\n",
	    "pgpmg.conf:1: unknown keyword \"Relay\"");
	expect_error("listen imap 127.0.0.1:143\n",
	    "pgpmg.conf:1: listen: unknown kind \"imap\"");
	expect_error("listen\n",
	    "pgpmg.conf:1: listen: missing kind");
}

Test(config, argument_counts)
{
	expect_error("relay\n",
	    "pgpmg.conf:1: relay: missing arguments, expected: relay HOST:PORT");
	expect_error("relay a:1 b:2\n",
	    "pgpmg.conf:1: relay: too many arguments, expected: relay HOST:PORT");
	expect_error("listen smtp\n",
	    "pgpmg.conf:1: listen smtp: missing arguments, expected: "
	    "listen smtp HOST:PORT [lmtp]");
	expect_error("listen smtp 127.0.0.1:25 lmtp x\n",
	    "pgpmg.conf:1: listen smtp: too many arguments, expected: "
	    "listen smtp HOST:PORT [lmtp]");
	expect_error("listen smtp 127.0.0.1:25 smtp\n",
	    "pgpmg.conf:1: listen smtp: expected \"lmtp\", not \"smtp\"");
	expect_error("listen web 127.0.0.1:25 lmtp\n",
	    "pgpmg.conf:1: listen web: too many arguments, expected: "
	    "listen web HOST:PORT");
	expect_error("log-level\n",
	    "pgpmg.conf:1: log-level: missing arguments, expected: "
	    "log-level info|debug");
	expect_error("log-level verbose\n",
	    "pgpmg.conf:1: log-level: expected info or debug, not \"verbose\"");
}

Test(config, duplicate_keys)
{
	expect_error("listen smtp 127.0.0.1:25\nlisten smtp 127.0.0.1:26\n",
	    "pgpmg.conf:2: listen smtp: already set on line 1");
	expect_error("log-level info\nlog-level info\n",
	    "pgpmg.conf:2: log-level: already set on line 1");
	expect_error("internal-domain a.example\ninternal-domain A.Example\n",
	    "pgpmg.conf:2: internal-domain: \"A.Example\" is listed twice");
}

Test(config, listen_smtp_and_web_are_different_keys)
{
	struct pgpmg_conf	conf;

	cr_assert_eq(parse("listen web 0.0.0.0:8443\n"
	    "listen smtp 0.0.0.0:25\n", &conf), 0, "%s", errbuf);
	cr_expect_eq(conf.web_listen.port, 8443);
	cr_expect_eq(conf.smtp_listen.port, 25);
	conf_free(&conf);
}

/* listen web-redirect: off unless given, a HOST:PORT like listen web. */
Test(config, listen_web_redirect)
{
	struct pgpmg_conf	conf;

	cr_assert_eq(parse("", &conf), 0, "%s", errbuf);
	cr_expect_eq(conf.web_redirect_listen.port, 0);
	cr_expect_str_eq(conf.web_redirect_listen.host, "");
	conf_free(&conf);

	cr_assert_eq(parse("listen web 0.0.0.0:443\n"
	    "listen web-redirect 0.0.0.0:80\n", &conf), 0, "%s", errbuf);
	cr_expect_str_eq(conf.web_redirect_listen.host, "0.0.0.0");
	cr_expect_eq(conf.web_redirect_listen.port, 80);
	cr_expect_eq(conf.web_listen.port, 443);
	conf_free(&conf);

	/* beside the console's default address */
	cr_assert_eq(parse("listen web-redirect [::1]:8080\n", &conf), 0,
	    "%s", errbuf);
	cr_expect_str_eq(conf.web_redirect_listen.host, "::1");
	cr_expect_eq(conf.web_redirect_listen.port, 8080);
	conf_free(&conf);
	cr_assert_eq(parse("listen web-redirect console.example.com:80\n",
	    &conf), 0, "%s", errbuf);
	cr_expect_str_eq(conf.web_redirect_listen.host, "console.example.com");
	conf_free(&conf);
	/* the same port on another address is another socket */
	cr_assert_eq(parse("listen web 127.0.0.1:8443\n"
	    "listen web-redirect 127.0.0.2:8443\n", &conf), 0, "%s", errbuf);
	conf_free(&conf);
	cr_assert_eq(parse("listen web [::1]:8443\n"
	    "listen web-redirect 0.0.0.0:8443\n", &conf), 0, "%s", errbuf);
	conf_free(&conf);

	expect_error("listen web-redirect 127.0.0.1:80\n"
	    "listen web-redirect 127.0.0.1:81\n",
	    "pgpmg.conf:2: listen web-redirect: already set on line 1");
	expect_error("listen web-redirect\n",
	    "pgpmg.conf:1: listen web-redirect: missing arguments, expected: "
	    "listen web-redirect HOST:PORT");
	expect_error("listen web-redirect 127.0.0.1:80 lmtp\n",
	    "pgpmg.conf:1: listen web-redirect: too many arguments, expected: "
	    "listen web-redirect HOST:PORT");
	expect_error("listen web-redirect 127.0.0.1\n",
	    "pgpmg.conf:1: listen web-redirect: \"127.0.0.1\": expected "
	    "HOST:PORT");
	expect_error("listen web-redirect 127.0.0.1:0\n",
	    "pgpmg.conf:1: listen web-redirect: port 0 out of range");
	expect_error("listen web-redirect ::1:80\n",
	    "pgpmg.conf:1: listen web-redirect: \"::1:80\": an IPv6 address "
	    "needs brackets, as in [::1]:25");
	expect_error("listen web-redirect bad_host:80\n",
	    "pgpmg.conf:1: listen web-redirect: \"bad_host\" is not a valid "
	    "host name");
	expect_error("listen webredirect 127.0.0.1:80\n",
	    "pgpmg.conf:1: listen: unknown kind \"webredirect\"");
}

/* No two listeners on one address and port, said on the later line. */
Test(config, listeners_on_one_address)
{
	/* the same as listen web, given before or after it, or defaulted */
	expect_error("listen web 127.0.0.1:8443\n"
	    "listen web-redirect 127.0.0.1:8443\n",
	    "pgpmg.conf:2: listen web-redirect: the same address and port as "
	    "listen web");
	expect_error("listen web-redirect 127.0.0.1:8443\n"
	    "log-level info\n"
	    "listen web 127.0.0.1:8443\n",
	    "pgpmg.conf:3: listen web: the same address and port as "
	    "listen web-redirect");
	expect_error("listen web-redirect 127.0.0.1:8443\n",
	    "pgpmg.conf:1: listen web-redirect: the same address and port as "
	    "listen web");
	/* the same address written otherwise, or a wildcard taking it in */
	expect_error("listen web [::1]:443\nlisten web-redirect [0::1]:443\n",
	    "pgpmg.conf:2: listen web-redirect: the same address and port as "
	    "listen web");
	expect_error("listen web 0.0.0.0:443\n"
	    "listen web-redirect 192.0.2.1:443\n",
	    "pgpmg.conf:2: listen web-redirect: the same address and port as "
	    "listen web");
	expect_error("listen web 192.0.2.1:443\n"
	    "listen web-redirect [::]:443\n",
	    "pgpmg.conf:2: listen web-redirect: the same address and port as "
	    "listen web");
	expect_error("listen web Console.Example.com:443\n"
	    "listen web-redirect console.example.COM:443\n",
	    "pgpmg.conf:2: listen web-redirect: the same address and port as "
	    "listen web");
	/* and smtpd's */
	expect_error("listen smtp 127.0.0.1:2525\n"
	    "listen web-redirect 127.0.0.1:2525\n",
	    "pgpmg.conf:2: listen web-redirect: the same address and port as "
	    "listen smtp");
	expect_error("listen web 127.0.0.1:2525\n",
	    "pgpmg.conf:1: listen web: the same address and port as "
	    "listen smtp");
}

Test(config, ports)
{
	struct pgpmg_conf	conf;

	expect_error("relay 127.0.0.1:99999\n",
	    "pgpmg.conf:1: relay: port 99999 out of range");
	expect_error("relay 127.0.0.1:0\n",
	    "pgpmg.conf:1: relay: port 0 out of range");
	expect_error("relay 127.0.0.1:65536\n",
	    "pgpmg.conf:1: relay: port 65536 out of range");
	expect_error("relay 127.0.0.1:99999999999999999999999\n",
	    "pgpmg.conf:1: relay: port 99999999999999999999999 out of range");
	expect_error("relay 127.0.0.1:smtp\n",
	    "pgpmg.conf:1: relay: port \"smtp\" is not a number");
	expect_error("relay 127.0.0.1:-1\n",
	    "pgpmg.conf:1: relay: port \"-1\" is not a number");
	expect_error("relay 127.0.0.1:\n",
	    "pgpmg.conf:1: relay: missing port");
	expect_error("relay 127.0.0.1\n",
	    "pgpmg.conf:1: relay: \"127.0.0.1\": expected HOST:PORT");
	expect_error("relay :25\n",
	    "pgpmg.conf:1: relay: \":25\": missing host");
	expect_error("listen web 127.0.0.1:70000\n",
	    "pgpmg.conf:1: listen web: port 70000 out of range");

	cr_assert_eq(parse("relay 127.0.0.1:65535\n", &conf), 0, "%s",
	    errbuf);
	cr_expect_eq(conf.relay.port, 65535);
	conf_free(&conf);
	cr_assert_eq(parse("relay 127.0.0.1:1\n", &conf), 0, "%s", errbuf);
	cr_expect_eq(conf.relay.port, 1);
	conf_free(&conf);
}

Test(config, hosts)
{
	struct pgpmg_conf	conf;

	cr_assert_eq(parse("relay [2001:db8::1]:25\n"
	    "listen smtp [::]:2525\n", &conf), 0, "%s", errbuf);
	cr_expect_str_eq(conf.relay.host, "2001:db8::1");
	cr_expect_eq(conf.relay.port, 25);
	cr_expect_str_eq(conf.smtp_listen.host, "::");
	conf_free(&conf);

	expect_error("relay ::1:25\n",
	    "pgpmg.conf:1: relay: \"::1:25\": an IPv6 address needs "
	    "brackets, as in [::1]:25");
	expect_error("relay [::1:25\n",
	    "pgpmg.conf:1: relay: \"[::1:25\": missing ']'");
	expect_error("relay [::1]25\n",
	    "pgpmg.conf:1: relay: \"[::1]25\": expected HOST:PORT");
	expect_error("relay [::1]\n",
	    "pgpmg.conf:1: relay: \"[::1]\": expected HOST:PORT");
	expect_error("relay [1.2.3.4]:25\n",
	    "pgpmg.conf:1: relay: \"1.2.3.4\" is not an IPv6 address");
	expect_error("relay []:25\n",
	    "pgpmg.conf:1: relay: \"\" is not an IPv6 address");
	expect_error("relay 256.1.1.1:25\n",
	    "pgpmg.conf:1: relay: \"256.1.1.1\" is not an IPv4 address");
	expect_error("relay 1.2.3:25\n",
	    "pgpmg.conf:1: relay: \"1.2.3\" is not an IPv4 address");
	expect_error("relay bad_host:25\n",
	    "pgpmg.conf:1: relay: \"bad_host\" is not a valid host name");
	expect_error("relay -mx.example:25\n",
	    "pgpmg.conf:1: relay: \"-mx.example\" is not a valid host name");
}

Test(config, domains)
{
	struct pgpmg_conf	conf;
	char			text[1024];
	char			label63[64], label64[65];

	memset(label63, 'a', 63);
	label63[63] = '\0';
	memset(label64, 'a', 64);
	label64[64] = '\0';

	snprintf(text, sizeof(text), "internal-domain %s.example\n"
	    "internal-domain x-y.b2\ninternal-domain localhost\n", label63);
	cr_assert_eq(parse(text, &conf), 0, "%s", errbuf);
	cr_expect_eq(conf.n_internal_domains, 3);
	conf_free(&conf);

	snprintf(text, sizeof(text), "internal-domain %s.example\n", label64);
	cr_assert_eq(parse(text, &conf), -1);
	cr_expect(strstr(errbuf, "pgpmg.conf:1: internal-domain: \"") ==
	    errbuf, "%s", errbuf);
	cr_expect(strstr(errbuf, "is not a valid domain name") != NULL);
	conf_free(&conf);

	expect_error("internal-domain -a.example\n",
	    "pgpmg.conf:1: internal-domain: \"-a.example\" is not a valid "
	    "domain name");
	expect_error("internal-domain a-.example\n",
	    "pgpmg.conf:1: internal-domain: \"a-.example\" is not a valid "
	    "domain name");
	expect_error("internal-domain a..example\n",
	    "pgpmg.conf:1: internal-domain: \"a..example\" is not a valid "
	    "domain name");
	expect_error("internal-domain example.com.\n",
	    "pgpmg.conf:1: internal-domain: \"example.com.\" is not a valid "
	    "domain name");
	expect_error("internal-domain .example.com\n",
	    "pgpmg.conf:1: internal-domain: \".example.com\" is not a valid "
	    "domain name");
	expect_error("internal-domain ex_ample.com\n",
	    "pgpmg.conf:1: internal-domain: \"ex_ample.com\" is not a valid "
	    "domain name");
	expect_error("internal-domain \"\"\n",
	    "pgpmg.conf:1: internal-domain: \"\" is not a valid domain name");
	expect_error("internal-domain \"\xc3\xa9.example\"\n",
	    "pgpmg.conf:1: internal-domain: \"\xc3\xa9.example\" is not a "
	    "valid domain name");
}

/* 253 bytes is the most a name may have; build one of 253 and of 254. */
Test(config, domain_total_length)
{
	struct pgpmg_conf	conf;
	char			name[300], text[400];
	size_t			len = 0;

	/* 4 labels of 63 + 3 dots = 255: too long.  Cut to 253 and 254. */
	while (len < 253) {
		size_t chunk = 63;

		if (len > 0)
			name[len++] = '.';
		if (len + chunk > 253)
			chunk = 253 - len;
		memset(name + len, 'b', chunk);
		len += chunk;
	}
	name[len] = '\0';
	cr_assert_eq(strlen(name), 253);
	snprintf(text, sizeof(text), "internal-domain %s\n", name);
	cr_assert_eq(parse(text, &conf), 0, "%s", errbuf);
	conf_free(&conf);

	name[253] = 'b';
	name[254] = '\0';
	snprintf(text, sizeof(text), "internal-domain %s\n", name);
	cr_assert_eq(parse(text, &conf), -1);
	conf_free(&conf);
}

Test(config, domain_limit)
{
	struct pgpmg_conf	 conf;
	char			*text, *p;
	size_t			 size = (CONF_MAX_DOMAINS + 1) * 32;

	text = p = malloc(size);
	cr_assert_not_null(text);
	for (int i = 0; i < CONF_MAX_DOMAINS; i++)
		p += sprintf(p, "internal-domain d%d.example\n", i);
	cr_assert_eq(parse(text, &conf), 0, "%s", errbuf);
	cr_expect_eq(conf.n_internal_domains, CONF_MAX_DOMAINS);
	cr_expect(conf_is_internal_domain(&conf, "d255.example"));
	conf_free(&conf);

	sprintf(p, "internal-domain one-too-many.example\n");
	cr_assert_eq(parse(text, &conf), -1);
	cr_expect_str_eq(errbuf, "pgpmg.conf:257: internal-domain: more "
	    "than 256 domains");
	conf_free(&conf);
	free(text);
}

Test(config, paths)
{
	struct pgpmg_conf	conf;
	char			text[512], path[200];

	expect_error("tls-key etc/key.pem\n",
	    "pgpmg.conf:1: tls-key: path \"etc/key.pem\" is not absolute");
	expect_error("chroot ./empty\n",
	    "pgpmg.conf:1: chroot: path \"./empty\" is not absolute");
	expect_error("web-root \"\"\n",
	    "pgpmg.conf:1: web-root: path \"\" is not absolute");
	expect_error("control-socket run/s.sock\n",
	    "pgpmg.conf:1: control-socket: path \"run/s.sock\" is not "
	    "absolute");
	expect_error("keyd-home ~/keyd\n",
	    "pgpmg.conf:1: keyd-home: path \"~/keyd\" is not absolute");
	expect_error("cryptod-home x\n",
	    "pgpmg.conf:1: cryptod-home: path \"x\" is not absolute");
	expect_error("tls-certificate x\n",
	    "pgpmg.conf:1: tls-certificate: path \"x\" is not absolute");

	/* sun_path: 107 bytes and a NUL. */
	path[0] = '/';
	memset(path + 1, 's', 106);
	path[107] = '\0';
	snprintf(text, sizeof(text), "control-socket %s\n", path);
	cr_assert_eq(parse(text, &conf), 0, "%s", errbuf);
	cr_expect_eq(strlen(conf.control_socket), 107);
	conf_free(&conf);

	path[107] = 's';
	path[108] = '\0';
	snprintf(text, sizeof(text), "control-socket %s\n", path);
	expect_error(text, "pgpmg.conf:1: control-socket: path longer than "
	    "107 bytes");
}

Test(config, cryptod_workers)
{
	struct pgpmg_conf	conf;
	char			text[64];

	cr_assert_eq(parse("cryptod-workers 1\n", &conf), 0, "%s", errbuf);
	cr_expect_eq(conf.cryptod_workers, 1);
	conf_free(&conf);
	snprintf(text, sizeof(text), "cryptod-workers %d\n", CONF_MAX_WORKERS);
	cr_assert_eq(parse(text, &conf), 0, "%s", errbuf);
	cr_expect_eq(conf.cryptod_workers, CONF_MAX_WORKERS);
	conf_free(&conf);

	expect_error("cryptod-workers 0\n",
	    "pgpmg.conf:1: cryptod-workers: 0 out of range 1..64");
	expect_error("cryptod-workers 65\n",
	    "pgpmg.conf:1: cryptod-workers: 65 out of range 1..64");
	expect_error("cryptod-workers 18446744073709551617\n",
	    "pgpmg.conf:1: cryptod-workers: 18446744073709551617 out of "
	    "range 1..64");
	expect_error("cryptod-workers -1\n",
	    "pgpmg.conf:1: cryptod-workers: \"-1\" is not a number");
	expect_error("cryptod-workers 2x\n",
	    "pgpmg.conf:1: cryptod-workers: \"2x\" is not a number");
	expect_error("cryptod-workers \"\"\n",
	    "pgpmg.conf:1: cryptod-workers: \"\" is not a number");
}

Test(config, crypto_keys)
{
	struct pgpmg_conf	conf;

	cr_assert_eq(parse("", &conf), 0, "%s", errbuf);
	cr_expect_eq(conf.key_algorithm, CONF_KEY_ED25519);
	cr_expect_eq(conf.key_lifetime, 730);
	cr_expect_eq(conf.crypto_max_output, (uint64_t)256 << 20);
	cr_expect_eq(conf.n_inline_pgp, 0);
	cr_expect_str_eq(conf.keyd_passphrase_file, "/etc/pgpmg/keyd.passphrase");
	conf_free(&conf);

	cr_assert_eq(parse("key-algorithm rsa3072\nkey-lifetime 365\n"
	    "crypto-max-output 1048576\n"
	    "internal-domain example.com\n"
	    "inline-pgp Old@Partner.Example\ninline-pgp legacy.example\n",
	    &conf), 0, "%s", errbuf);
	cr_expect_eq(conf.key_algorithm, CONF_KEY_RSA3072);
	cr_expect_eq(conf.key_lifetime, 365);
	cr_expect_eq(conf.crypto_max_output, 1048576);
	cr_expect(conf_wants_inline_pgp(&conf, "old@partner.example"));
	cr_expect(conf_wants_inline_pgp(&conf, "anyone@LEGACY.example"));
	cr_expect(!conf_wants_inline_pgp(&conf, "new@partner.example"));
	cr_expect(!conf_wants_inline_pgp(&conf, "x@sub.legacy.example"));
	cr_expect(conf_is_internal_address(&conf, "a@Example.COM"));
	cr_expect(!conf_is_internal_address(&conf, "a@example.org"));
	cr_expect(!conf_is_internal_address(&conf, "example.com"));
	conf_free(&conf);

	expect_error("key-algorithm dsa\n", "pgpmg.conf:1: key-algorithm: "
	    "expected ed25519 or rsa3072, not \"dsa\"");
	expect_error("crypto-max-output 1000\n", "pgpmg.conf:1: "
	    "crypto-max-output: 1000 out of range 1048576..17179869184");
	expect_error("key-lifetime 0\n",
	    "pgpmg.conf:1: key-lifetime: 0 out of range 1..36500");
	expect_error("inline-pgp @\n", "pgpmg.conf:1: inline-pgp: \"@\" is "
	    "neither an address nor a domain");
	expect_error("inline-pgp a@b@\n", "pgpmg.conf:1: inline-pgp: "
	    "\"a@b@\" is neither an address nor a domain");
}

Test(config, line_length)
{
	struct pgpmg_conf	 conf;
	char			 text[1100];
	size_t			 n;

	/* Exactly 1024 bytes before the newline is allowed. */
	n = (size_t)snprintf(text, sizeof(text), "# comment\n#");
	memset(text + n, 'x', 1023);
	text[n + 1023] = '\n';
	text[n + 1024] = '\0';
	cr_assert_eq(parse(text, &conf), 0, "%s", errbuf);
	conf_free(&conf);

	/* 1025 is not, even in a comment, and even on the last line. */
	text[n + 1023] = 'x';
	text[n + 1024] = '\0';
	expect_error(text, "pgpmg.conf:2: line longer than 1024 bytes");
	text[n + 1024] = '\n';
	text[n + 1025] = '\0';
	expect_error(text, "pgpmg.conf:2: line longer than 1024 bytes");
}

Test(config, nul_byte)
{
	struct pgpmg_conf	conf;
	const char		text[] = "# ok\nrelay 127.0.0.1:25\0 x\n";

	cr_assert_eq(parse_len(text, sizeof(text) - 1, &conf), -1);
	cr_expect_str_eq(errbuf, "pgpmg.conf:2: NUL byte in line");
	conf_free(&conf);

	/* A NUL in a comment is as wrong. */
	cr_assert_eq(parse_len("#\0\n", 3, &conf), -1);
	cr_expect_str_eq(errbuf, "pgpmg.conf:1: NUL byte in line");
	conf_free(&conf);
}

Test(config, not_nul_terminated)
{
	struct pgpmg_conf	 conf;
	const char		*lines[] = {
		"relay 127.0.0.1:2526",
		"relay 127.0.0.1:2526 ",
		"relay 127.0.0.1:2526 #",
		"database \"x\"",
		"database \"x",
		"database \"x\\",
		"log-level debug",
	};

	/* parse_len() copies exactly len bytes: ASan sees any overread. */
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		(void)parse(lines[i], &conf);
		conf_free(&conf);
	}
	cr_assert_eq(parse("relay 127.0.0.1:2526", &conf), 0, "%s", errbuf);
	cr_expect_eq(conf.relay.port, 2526);
	conf_free(&conf);

	/* A length shorter than the text: what follows is not read. */
	cr_assert_eq(parse_len("relay 127.0.0.1:25junk", 18, &conf), 0,
	    "%s", errbuf);
	cr_expect_eq(conf.relay.port, 25);
	conf_free(&conf);
}

Test(config, text_too_large)
{
	struct pgpmg_conf	 conf;
	char			*text;

	text = malloc(CONF_MAX_SIZE + 1);
	cr_assert_not_null(text);
	memset(text, '\n', CONF_MAX_SIZE + 1);
	cr_assert_eq(parse_len(text, CONF_MAX_SIZE, &conf), 0, "%s", errbuf);
	conf_free(&conf);
	cr_assert_eq(parse_len(text, CONF_MAX_SIZE + 1, &conf), -1);
	cr_expect_str_eq(errbuf, "pgpmg.conf: larger than 61440 bytes");
	conf_free(&conf);
	free(text);
}

Test(config, free_is_safe)
{
	struct pgpmg_conf	conf;

	memset(&conf, 0, sizeof(conf));
	conf_free(&conf);
	conf_free(&conf);
	conf_free(NULL);

	/* Fails after having set several strings and domains. */
	cr_assert_eq(parse("internal-domain a.example\n"
	    "tls-key /k\ndatabase x\nrelay 127.0.0.1:0\n", &conf), -1);
	cr_expect_null(conf.tls_key);
	cr_expect_null(conf.database);
	cr_expect_eq(conf.n_internal_domains, 0);
	conf_free(&conf);
}

/* ---------------------------------------------------------------- files */

/* Short, so that names built under it always fit in PATH_MAX. */
#define TMPDIR_LEN	64
static char	tmpdir[TMPDIR_LEN];

static void
make_tmpdir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_config.XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
}

/* The tests create plain files and a FIFO, never a directory. */
static void
remove_tmpdir(void)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[PATH_MAX];

	if ((d = opendir(tmpdir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(tmpdir);
}

static void
write_file(const char *path, const char *data, size_t len)
{
	FILE	*f;

	cr_assert_not_null(f = fopen(path, "w"));
	cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

TestSuite(config_file, .init = make_tmpdir, .fini = remove_tmpdir);

Test(config_file, parse_file)
{
	struct pgpmg_conf	 conf;
	char			 path[PATH_MAX];
	const char		*text = "relay 127.0.0.1:2\n\nrelay x:1\n";
	char			*buf;
	size_t			 len;

	snprintf(path, sizeof(path), "%s/pgpmg.conf", tmpdir);
	write_file(path, text, strlen(text));

	buf = conf_read_file(path, &len, errbuf, sizeof(errbuf));
	cr_assert_not_null(buf, "%s", errbuf);
	cr_expect_eq(len, strlen(text));
	cr_expect_eq(buf[len], '\0');
	cr_expect_str_eq(buf, text);
	free(buf);

	cr_assert_eq(conf_parse_file(path, &conf, errbuf, sizeof(errbuf)), -1);
	cr_expect(strncmp(errbuf, path, strlen(path)) == 0, "%s", errbuf);
	cr_expect_str_eq(errbuf + strlen(path),
	    ":3: relay: already set on line 1");
	conf_free(&conf);

	write_file(path, "relay 127.0.0.1:2\n", 18);
	cr_assert_eq(conf_parse_file(path, &conf, errbuf, sizeof(errbuf)), 0,
	    "%s", errbuf);
	cr_expect_str_eq(conf.source, path);
	cr_expect_eq(conf.relay.port, 2);
	conf_free(&conf);
}

Test(config_file, missing_file)
{
	struct pgpmg_conf	conf;
	char			path[PATH_MAX], want[PATH_MAX + 64];
	size_t			len;

	snprintf(path, sizeof(path), "%s/absent.conf", tmpdir);
	snprintf(want, sizeof(want), "%s: %s", path, strerror(ENOENT));
	cr_assert_null(conf_read_file(path, &len, errbuf, sizeof(errbuf)));
	cr_expect_str_eq(errbuf, want);
	cr_assert_eq(conf_parse_file(path, &conf, errbuf, sizeof(errbuf)), -1);
	cr_expect_str_eq(errbuf, want);
	conf_free(&conf);
}

Test(config_file, directory)
{
	char	want[PATH_MAX + 64];
	size_t	len;

	snprintf(want, sizeof(want), "%s: not a regular file", tmpdir);
	cr_assert_null(conf_read_file(tmpdir, &len, errbuf, sizeof(errbuf)));
	cr_expect_str_eq(errbuf, want);
}

Test(config_file, fifo)
{
	char	path[PATH_MAX], want[PATH_MAX + 64];
	size_t	len;

	/* Would block in open() or read() if the parser did not check. */
	snprintf(path, sizeof(path), "%s/fifo", tmpdir);
	cr_assert_eq(mkfifo(path, 0600), 0);
	snprintf(want, sizeof(want), "%s: not a regular file", path);
	cr_assert_null(conf_read_file(path, &len, errbuf, sizeof(errbuf)));
	cr_expect_str_eq(errbuf, want);
}

Test(config_file, too_large)
{
	char	 path[PATH_MAX], want[PATH_MAX + 128];
	char	*data, *buf;
	size_t	 len;

	data = malloc(CONF_MAX_SIZE + 1);
	cr_assert_not_null(data);
	memset(data, '\n', CONF_MAX_SIZE + 1);
	snprintf(path, sizeof(path), "%s/big.conf", tmpdir);

	/* At the limit: read whole. */
	write_file(path, data, CONF_MAX_SIZE);
	buf = conf_read_file(path, &len, errbuf, sizeof(errbuf));
	cr_assert_not_null(buf, "%s", errbuf);
	cr_expect_eq(len, CONF_MAX_SIZE);
	free(buf);

	/* One byte over. */
	write_file(path, data, CONF_MAX_SIZE + 1);
	snprintf(want, sizeof(want), "%s: %d bytes, larger than the limit "
	    "of %d", path, CONF_MAX_SIZE + 1, CONF_MAX_SIZE);
	cr_assert_null(conf_read_file(path, &len, errbuf, sizeof(errbuf)));
	cr_expect_str_eq(errbuf, want);
	free(data);
}

Test(config, example_file_parses)
{
	struct pgpmg_conf	 conf;
	const char		*paths[] = {
		"etc/pgpmg.conf.example",
		"../etc/pgpmg.conf.example",
		"../../etc/pgpmg.conf.example",
	};
	const char		*found = NULL;

	/* The shipped example must stay valid; the tests may run from the
	 * top of the tree or below it. */
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (access(paths[i], R_OK) == 0) {
			found = paths[i];
			break;
		}
	if (found == NULL)
		cr_skip_test("etc/pgpmg.conf.example not found from here");
	cr_assert_eq(conf_parse_file(found, &conf, errbuf, sizeof(errbuf)), 0,
	    "%s", errbuf);
	cr_expect(conf_is_internal_domain(&conf, "example.com"));
	conf_free(&conf);
}

Test(config, smtpd_defaults)
{
	struct pgpmg_conf	conf;

	cr_assert_eq(parse("", &conf), 0, "%s", errbuf);
	cr_expect_eq(conf.smtp_max_size, (uint64_t)64 << 20);
	cr_expect_eq(conf.smtp_max_recipients, 1000);
	cr_expect_eq(conf.smtp_max_sessions, 1024);
	cr_expect_eq(conf.smtp_command_timeout, 300);
	cr_expect_eq(conf.smtp_data_timeout, 180);
	cr_expect_eq(conf.smtp_max_errors, 10);
	cr_expect_eq(conf.smtp_max_line_length, 998);
	cr_expect_eq(conf.smtp_tls, 1);
	cr_expect_eq(conf.relay_tls, CONF_RELAY_TLS_OPPORTUNISTIC);
	cr_expect_eq(conf.relay_timeout, 300);
	cr_expect_eq(conf.relay_connect_timeout, 30);
	cr_expect_neq(conf.hostname[0], '\0');
	conf_free(&conf);
}

Test(config, smtpd_keys)
{
	struct pgpmg_conf	conf;

	cr_assert_eq(parse("smtp-max-message-size 2048\n"
	    "smtp-max-recipients 100\n"
	    "smtp-max-sessions 5\n"
	    "smtp-command-timeout 7\n"
	    "smtp-data-timeout 8\n"
	    "smtp-max-errors 3\n"
	    "smtp-tls no\n"
	    "relay-tls require\n"
	    "relay-timeout 9\n"
	    "relay-connect-timeout 2\n"
	    "hostname mx.example.org\n", &conf), 0, "%s", errbuf);
	cr_expect_eq(conf.smtp_max_size, 2048);
	cr_expect_eq(conf.smtp_max_recipients, 100);
	cr_expect_eq(conf.smtp_max_sessions, 5);
	cr_expect_eq(conf.smtp_command_timeout, 7);
	cr_expect_eq(conf.smtp_data_timeout, 8);
	cr_expect_eq(conf.smtp_max_errors, 3);
	cr_expect_eq(conf.smtp_tls, 0);
	cr_expect_eq(conf.relay_tls, CONF_RELAY_TLS_REQUIRE);
	cr_expect_eq(conf.relay_timeout, 9);
	cr_expect_eq(conf.relay_connect_timeout, 2);
	cr_expect_str_eq(conf.hostname, "mx.example.org");
	conf_free(&conf);
}

Test(config, smtpd_key_errors)
{
	expect_error("smtp-max-recipients 99\n",
	    "pgpmg.conf:1: smtp-max-recipients: 99 out of range 100..10000");
	expect_error("smtp-max-message-size 99999999999999999999999\n",
	    "pgpmg.conf:1: smtp-max-message-size: 99999999999999999999999 "
	    "out of range 1024..4294967296");
	expect_error("\nsmtp-data-timeout 1s\n",
	    "pgpmg.conf:2: smtp-data-timeout: \"1s\" is not a number");
	expect_error("smtp-tls maybe\n",
	    "pgpmg.conf:1: smtp-tls: expected yes or no, not \"maybe\"");
	expect_error("relay-tls always\n", "pgpmg.conf:1: relay-tls: expected "
	    "no, opportunistic or require, not \"always\"");
	expect_error("hostname -bad-\n",
	    "pgpmg.conf:1: hostname: \"-bad-\" is not a valid host name");
	expect_error("smtp-max-errors 3\nsmtp-max-errors 4\n",
	    "pgpmg.conf:2: smtp-max-errors: already set on line 1");
}

Test(config, webd_keys)
{
	struct pgpmg_conf	conf;

	cr_assert_eq(parse("", &conf), 0, "%s", errbuf);
	cr_expect_eq(conf.web_max_connections, 256);
	cr_expect_eq(conf.web_max_requests, 100);
	cr_expect_eq(conf.web_head_timeout, 10);
	cr_expect_eq(conf.web_body_timeout, 30);
	cr_expect_eq(conf.web_idle_timeout, 60);
	conf_free(&conf);

	cr_assert_eq(parse("web-max-connections 4096\n"
	    "web-max-requests 1\n"
	    "web-head-timeout 300\n"
	    "web-body-timeout 1\n"
	    "web-idle-timeout 3600\n", &conf), 0, "%s", errbuf);
	cr_expect_eq(conf.web_max_connections, 4096);
	cr_expect_eq(conf.web_max_requests, 1);
	cr_expect_eq(conf.web_head_timeout, 300);
	cr_expect_eq(conf.web_body_timeout, 1);
	cr_expect_eq(conf.web_idle_timeout, 3600);
	conf_free(&conf);

	expect_error("web-max-connections 4097\n",
	    "pgpmg.conf:1: web-max-connections: 4097 out of range 1..4096");
	expect_error("web-max-connections 0\n",
	    "pgpmg.conf:1: web-max-connections: 0 out of range 1..4096");
	expect_error("web-max-requests 10001\n",
	    "pgpmg.conf:1: web-max-requests: 10001 out of range 1..10000");
	expect_error("web-head-timeout 301\n",
	    "pgpmg.conf:1: web-head-timeout: 301 out of range 1..300");
	expect_error("web-body-timeout 0\n",
	    "pgpmg.conf:1: web-body-timeout: 0 out of range 1..600");
	expect_error("web-idle-timeout 1m\n",
	    "pgpmg.conf:1: web-idle-timeout: \"1m\" is not a number");
	expect_error("web-head-timeout 5\nweb-head-timeout 6\n",
	    "pgpmg.conf:2: web-head-timeout: already set on line 1");
}

Test(config, database_keys)
{
	struct pgpmg_conf	conf;

	cr_assert_eq(parse("", &conf), 0, "%s", errbuf);
	cr_expect_str_eq(conf.database_admin,
	    "host=/var/run/postgresql dbname=pgpmg user=postgres");
	cr_expect_str_eq(conf.policyd_key_file, "/etc/pgpmg/policyd.key");
	conf_free(&conf);

	cr_assert_eq(parse("database \"host=/s dbname=d user=_pgpmg_policyd\"\n"
	    "database-admin \"host=/s dbname=d user=dba\"\n"
	    "policyd-key-file /srv/pgpmg/policyd.key\n", &conf), 0, "%s",
	    errbuf);
	cr_expect_str_eq(conf.database, "host=/s dbname=d user=_pgpmg_policyd");
	cr_expect_str_eq(conf.database_admin, "host=/s dbname=d user=dba");
	cr_expect_str_eq(conf.policyd_key_file, "/srv/pgpmg/policyd.key");
	conf_free(&conf);

	expect_error("database-admin \"\"\n",
	    "pgpmg.conf:1: database-admin: empty connection string");
	expect_error("database-admin a\ndatabase-admin b\n",
	    "pgpmg.conf:2: database-admin: already set on line 1");
	expect_error("policyd-key-file policyd.key\n",
	    "pgpmg.conf:1: policyd-key-file: path \"policyd.key\" is not "
	    "absolute");
	expect_error("policyd-key-file\n",
	    "pgpmg.conf:1: policyd-key-file: missing arguments, expected: "
	    "policyd-key-file PATH");
}

Test(config, database_timeout)
{
	struct pgpmg_conf	conf;

	cr_assert_eq(parse("", &conf), 0, "%s", errbuf);
	cr_expect_eq(conf.database_timeout, 10);
	conf_free(&conf);
	cr_assert_eq(parse("database-timeout 2\n", &conf), 0, "%s", errbuf);
	cr_expect_eq(conf.database_timeout, 2);
	conf_free(&conf);
	expect_error("database-timeout 0\n",
	    "pgpmg.conf:1: database-timeout: 0 out of range 1..3600");
	expect_error("database-timeout 10s\n",
	    "pgpmg.conf:1: database-timeout: \"10s\" is not a number");
}

Test(config, housekeeping)
{
	struct pgpmg_conf	conf;

	cr_assert_eq(parse("", &conf), 0, "%s", errbuf);
	cr_expect_eq(conf.housekeeping_interval, 3600);
	cr_expect_eq(conf.notice_retention, 90);
	conf_free(&conf);
	cr_assert_eq(parse("housekeeping-interval 1\nnotice-retention 3650\n",
	    &conf), 0, "%s", errbuf);
	cr_expect_eq(conf.housekeeping_interval, 1);
	cr_expect_eq(conf.notice_retention, 3650);
	conf_free(&conf);
	cr_assert_eq(parse("housekeeping-interval 86400\nnotice-retention 1\n",
	    &conf), 0, "%s", errbuf);
	cr_expect_eq(conf.housekeeping_interval, 86400);
	cr_expect_eq(conf.notice_retention, 1);
	conf_free(&conf);
	expect_error("housekeeping-interval 0\n",
	    "pgpmg.conf:1: housekeeping-interval: 0 out of range 1..86400");
	expect_error("housekeeping-interval 86401\n",
	    "pgpmg.conf:1: housekeeping-interval: 86401 out of range "
	    "1..86400");
	expect_error("notice-retention 0\n",
	    "pgpmg.conf:1: notice-retention: 0 out of range 1..3650");
	expect_error("notice-retention 3651\n",
	    "pgpmg.conf:1: notice-retention: 3651 out of range 1..3650");
	expect_error("notice-retention 90d\n",
	    "pgpmg.conf:1: notice-retention: \"90d\" is not a number");
	expect_error("notice-retention\n",
	    "pgpmg.conf:1: notice-retention: missing arguments, expected: "
	    "notice-retention DAYS");
}

Test(config, console)
{
	struct pgpmg_conf	conf;

	cr_assert_eq(parse("", &conf), 0, "%s", errbuf);
	cr_expect_eq(conf.console_idle_timeout, 1800);
	cr_expect_eq(conf.console_session_lifetime, 43200);
	cr_expect_eq(conf.console_lockout, 3600);
	conf_free(&conf);
	cr_assert_eq(parse("console-idle-timeout 1\nconsole-session-lifetime 1\n"
	    "console-lockout 60\n", &conf), 0, "%s", errbuf);
	cr_expect_eq(conf.console_idle_timeout, 1);
	cr_expect_eq(conf.console_session_lifetime, 1);
	cr_expect_eq(conf.console_lockout, 60);
	conf_free(&conf);
	cr_assert_eq(parse("console-idle-timeout 86400\n"
	    "console-session-lifetime 604800\nconsole-lockout 604800\n",
	    &conf), 0, "%s", errbuf);
	cr_expect_eq(conf.console_idle_timeout, 86400);
	cr_expect_eq(conf.console_session_lifetime, 604800);
	cr_expect_eq(conf.console_lockout, 604800);
	conf_free(&conf);
	expect_error("console-idle-timeout 0\n",
	    "pgpmg.conf:1: console-idle-timeout: 0 out of range 1..86400");
	expect_error("console-idle-timeout 86401\n",
	    "pgpmg.conf:1: console-idle-timeout: 86401 out of range 1..86400");
	expect_error("console-session-lifetime 604801\n",
	    "pgpmg.conf:1: console-session-lifetime: 604801 out of range "
	    "1..604800");
	/* Less than a minute is no lock: refused, not taken as a minute. */
	expect_error("console-lockout 59\n",
	    "pgpmg.conf:1: console-lockout: 59 out of range 60..604800");
	expect_error("console-lockout 604801\n",
	    "pgpmg.conf:1: console-lockout: 604801 out of range 60..604800");
	expect_error("console-lockout 1h\n",
	    "pgpmg.conf:1: console-lockout: \"1h\" is not a number");
}
