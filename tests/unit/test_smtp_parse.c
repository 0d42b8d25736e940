/*
 * Tests for smtpd/smtp_parse.c: every verb, the argument policy, NUL,
 * control and 8-bit bytes in commands with and without SMTPUTF8, UTF-8
 * well-formedness, every path form (quoted local parts, address literals,
 * source routes, postmaster, the 256-octet limit exactly and one over),
 * every MAIL and RCPT parameter with its errors and duplicates, xtext,
 * XFORWARD accumulation and formatting, BDAT arguments and the relay's
 * parameter formatters.  The parser is not in libpgpmg.a (smtpd/ is
 * linked only into smtpd), so it is compiled into this test directly.
 * Every line is handed over in a malloc'd buffer of exactly its length,
 * as the session does, so that under ASan an overread fails the test.
 */
#include "smtpd/smtp_parse.c"

#include <stdlib.h>

#include <criterion/criterion.h>

static struct smtp_command	 c;
static struct smtp_reply	 r;
static struct envelope		 env;
static struct envelope_rcpt	 rc;

/* Parse line[0..len) from an exact-size heap copy. */
static int
cmdn(const char *line, size_t len, int flags)
{
	char	*copy;
	int	 rv;

	copy = malloc(len > 0 ? len : 1);
	cr_assert_not_null(copy);
	memcpy(copy, line, len);
	memset(&r, 0, sizeof(r));
	rv = smtp_parse_command(copy, len, flags, &c, &r);
	free(copy);
	return rv;
}

static int
cmd(const char *line, int flags)
{
	return cmdn(line, strlen(line), flags);
}

/* A whole MAIL line: command check, then the MAIL parser. */
static int
mail(const char *line, int flags)
{
	if (cmd(line, flags) == -1)
		return -1;
	cr_assert_eq(c.verb, SMTP_CMD_MAIL);
	return smtp_parse_mail(&c, flags, &env, &r);
}

static int
rcpt(const char *line, int flags)
{
	if (cmd(line, flags) == -1)
		return -1;
	cr_assert_eq(c.verb, SMTP_CMD_RCPT);
	return smtp_parse_rcpt(&c, flags, &rc, &r);
}

static int
xforward(const char *line)
{
	if (cmd(line, 0) == -1)
		return -1;
	cr_assert_eq(c.verb, SMTP_CMD_XFORWARD);
	return smtp_parse_xforward(&c, &env, &r);
}

static void
expect(int code, const char *enhanced)
{
	cr_assert_eq(r.code, code, "code %d (%s %s), wanted %d", r.code,
	    r.enhanced, r.text, code);
	cr_assert_str_eq(r.enhanced, enhanced, "enhanced %s (%d %s)",
	    r.enhanced, r.code, r.text);
	cr_assert_neq(r.text[0], '\0');
}

static void
reset(void)
{
	memset(&env, 0, sizeof(env));
	memset(&rc, 0, sizeof(rc));
	memset(&c, 0, sizeof(c));
}

TestSuite(cmd, .init = reset);
TestSuite(path, .init = reset);
TestSuite(param, .init = reset);
TestSuite(xforward, .init = reset);
TestSuite(bdat, .init = reset);
TestSuite(format, .init = reset);
TestSuite(utf8, .init = reset);

/* ------------------------------------------------------------ commands */

Test(cmd, every_verb)
{
	static const struct {
		const char	*line;
		enum smtp_verb	 verb;
	} t[] = {
		{ "HELO a.example", SMTP_CMD_HELO },
		{ "EHLO a.example", SMTP_CMD_EHLO },
		{ "LHLO a.example", SMTP_CMD_LHLO },
		{ "MAIL FROM:<>", SMTP_CMD_MAIL },
		{ "RCPT TO:<a@b.example>", SMTP_CMD_RCPT },
		{ "DATA", SMTP_CMD_DATA },
		{ "BDAT 10", SMTP_CMD_BDAT },
		{ "RSET", SMTP_CMD_RSET },
		{ "NOOP", SMTP_CMD_NOOP },
		{ "QUIT", SMTP_CMD_QUIT },
		{ "VRFY postmaster", SMTP_CMD_VRFY },
		{ "EXPN list", SMTP_CMD_EXPN },
		{ "HELP", SMTP_CMD_HELP },
		{ "STARTTLS", SMTP_CMD_STARTTLS },
		{ "XFORWARD NAME=x", SMTP_CMD_XFORWARD },
	};
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		cr_assert_eq(cmd(t[i].line, 0), 0, "%s: %d %s", t[i].line,
		    r.code, r.text);
		cr_assert_eq(c.verb, t[i].verb, "%s", t[i].line);
		cr_assert_eq(strncmp(smtp_verb_name(c.verb), t[i].line,
		    strcspn(t[i].line, " ")), 0, "%s", t[i].line);
		cr_assert_eq(strlen(smtp_verb_name(c.verb)),
		    strcspn(t[i].line, " "), "%s", t[i].line);
	}
	cr_assert_str_eq(smtp_verb_name(SMTP_CMD_STARTTLS), "STARTTLS");
	cr_assert_str_eq(smtp_verb_name(SMTP_CMD_UNKNOWN), "UNKNOWN");
}

Test(cmd, verbs_are_case_insensitive)
{
	cr_assert_eq(cmd("quit", 0), 0);
	cr_assert_eq(c.verb, SMTP_CMD_QUIT);
	cr_assert_eq(cmd("StartTls", 0), 0);
	cr_assert_eq(c.verb, SMTP_CMD_STARTTLS);
	cr_assert_eq(cmd("ehlo mx.example", 0), 0);
	cr_assert_eq(c.verb, SMTP_CMD_EHLO);
	cr_assert_str_eq(c.args, "mx.example");
}

Test(cmd, unknown)
{
	cr_assert_eq(cmd("FOO bar", 0), -1);
	cr_assert_eq(c.verb, SMTP_CMD_UNKNOWN);
	expect(500, "5.5.1");
	cr_assert_eq(cmd("DATAX", 0), -1);
	expect(500, "5.5.1");
	cr_assert_eq(cmd("QUI", 0), -1);
	expect(500, "5.5.1");
	cr_assert_eq(cmd("", 0), -1);
	expect(500, "5.5.1");
	cr_assert_eq(cmd(" QUIT", 0), -1);
	expect(500, "5.5.1");
	cr_assert_eq(cmd("MAIL\tFROM:<>", 0), -1);
	expect(500, "5.5.1");
}

Test(cmd, argument_policy)
{
	const char	*none[] = { "DATA x", "RSET x", "QUIT now",
	    "STARTTLS x" };
	const char	*need[] = { "HELO", "EHLO", "LHLO", "MAIL", "RCPT",
	    "BDAT", "VRFY", "EXPN", "XFORWARD", "EHLO   " };
	size_t		 i;

	for (i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		cr_assert_eq(cmd(none[i], 0), -1, "%s", none[i]);
		expect(501, "5.5.4");
		cr_assert_neq(c.verb, SMTP_CMD_UNKNOWN);
	}
	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		cr_assert_eq(cmd(need[i], 0), -1, "%s", need[i]);
		expect(501, "5.5.4");
	}
	cr_assert_eq(cmd("NOOP anything at all", 0), 0);
	cr_assert_str_eq(c.args, "anything at all");
	cr_assert_eq(cmd("HELP MAIL", 0), 0);
	cr_assert_eq(cmd("NOOP", 0), 0);
	cr_assert_eq(c.argslen, 0);
}

Test(cmd, separators_and_trailing_blanks)
{
	cr_assert_eq(cmd("QUIT  ", 0), 0);
	cr_assert_eq(cmd("DATA \t", 0), 0);
	cr_assert_eq(cmd("NOOP   x \t ", 0), 0);
	cr_assert_str_eq(c.args, "x");
	cr_assert_eq(c.argslen, 1);
	cr_assert_eq(cmd("NOOP a\tb", 0), 0);	/* HTAB is allowed */
	cr_assert_str_eq(c.args, "a\tb");
}

Test(cmd, nul_is_refused)
{
	cr_assert_eq(cmdn("NOOP a\0b", 8, 0), -1);
	expect(500, "5.5.2");
	cr_assert_eq(cmdn("\0QUIT", 5, 0), -1);
	expect(500, "5.5.2");
	cr_assert_eq(cmdn("QUIT\0", 5, 0), -1);
	expect(500, "5.5.2");
	cr_assert_eq(cmdn("MAIL FROM:<a\0@b.example>", 24, SMTP_PARSE_UTF8_TXN),
	    -1);
	expect(500, "5.5.2");
	cr_assert_str_eq(r.text, "NUL in command");
}

Test(cmd, control_characters)
{
	const char	*bad[] = { "NOOP \x01", "NOOP a\rb", "NOOP a\nb",
	    "QUIT\x7f", "NOOP \x1b[0m", "RCPT TO:<a\x0c@b>" };
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(cmd(bad[i], SMTP_PARSE_UTF8_TXN), -1, "%zu", i);
		expect(500, "5.5.2");
	}
}

Test(cmd, line_length)
{
	char	 line[SMTP_LINE_MAX + 2];

	memset(line, 'a', sizeof(line));
	memcpy(line, "NOOP ", 5);
	cr_assert_eq(cmdn(line, SMTP_LINE_MAX, 0), 0);
	cr_assert_eq(c.argslen, SMTP_LINE_MAX - 5);
	cr_assert_eq(cmdn(line, SMTP_LINE_MAX + 1, 0), -1);
	expect(500, "5.5.2");
}

Test(cmd, eightbit_without_smtputf8)
{
	cr_assert_eq(cmd("NOOP caf\xc3\xa9", 0), -1);
	expect(500, "5.5.2");
	cr_assert_eq(cmd("NOOP caf\xc3\xa9", SMTP_PARSE_UTF8_OFFERED), -1);
	expect(500, "5.5.2");
	cr_assert_eq(cmd("VRFY caf\xc3\xa9", 0), -1);
	expect(500, "5.5.2");
	cr_assert_eq(cmd("RCPT TO:<caf\xc3\xa9@b.example>", 0), -1);
	expect(553, "5.6.7");
	cr_assert_eq(c.verb, SMTP_CMD_RCPT);
	cr_assert_eq(cmd("RCPT TO:<caf\xc3\xa9@b.example>",
	    SMTP_PARSE_UTF8_OFFERED), -1);
	expect(553, "5.6.7");
	cr_assert_eq(cmd("MAIL FROM:<caf\xc3\xa9@b.example> SMTPUTF8", 0), -1);
	expect(553, "5.6.7");
	/* 8-bit junk in place of a verb. */
	cr_assert_eq(cmd("\xff\xfe", 0), -1);
	expect(500, "5.5.2");
	cr_assert_eq(c.verb, SMTP_CMD_UNKNOWN);
}

Test(cmd, eightbit_with_smtputf8)
{
	cr_assert_eq(cmd("NOOP caf\xc3\xa9", SMTP_PARSE_UTF8_TXN), 0);
	cr_assert_eq(c.eightbit, 1);
	cr_assert_eq(cmd("VRFY caf\xc3\xa9", SMTP_PARSE_UTF8_TXN), 0);
	cr_assert_eq(cmd("NOOP plain", SMTP_PARSE_UTF8_TXN), 0);
	cr_assert_eq(c.eightbit, 0);
	/* MAIL may carry UTF-8 when offered, if it has the parameter. */
	cr_assert_eq(cmd("MAIL FROM:<caf\xc3\xa9@b.example> SMTPUTF8",
	    SMTP_PARSE_UTF8_OFFERED), 0);
	cr_assert_eq(c.eightbit, 1);
}

Test(cmd, malformed_utf8)
{
	const char	*bad[] = {
		"NOOP \xc0\xaf",		/* overlong "/" */
		"NOOP \xe0\x80\x80",		/* overlong NUL */
		"NOOP \xed\xa0\x80",		/* surrogate */
		"NOOP \xf4\x90\x80\x80",	/* above U+10FFFF */
		"NOOP \xf5\x80\x80\x80",
		"NOOP \x80",			/* stray continuation */
		"NOOP \xc3",			/* truncated at the end */
		"NOOP \xe2\x82x",		/* truncated in the middle */
		"NOOP \xfe",
	};
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(cmd(bad[i], SMTP_PARSE_UTF8_TXN), -1, "%zu", i);
		expect(500, "5.5.2");
	}
	cr_assert_eq(cmd("MAIL FROM:<a\xc0\xaf@b.example> SMTPUTF8",
	    SMTP_PARSE_UTF8_OFFERED), -1);
	expect(500, "5.5.2");
}

Test(utf8, validator)
{
	cr_assert(utf8_valid("", 0));
	cr_assert(utf8_valid("ascii", 5));
	cr_assert(utf8_valid("\xc2\x80", 2));
	cr_assert(utf8_valid("\xdf\xbf", 2));
	cr_assert(utf8_valid("\xe0\xa0\x80", 3));
	cr_assert(utf8_valid("\xef\xbf\xbf", 3));
	cr_assert(utf8_valid("\xf0\x90\x80\x80", 4));
	cr_assert(utf8_valid("\xf4\x8f\xbf\xbf", 4));
	cr_assert(!utf8_valid("\xc1\xbf", 2));
	cr_assert(!utf8_valid("\xe0\x9f\xbf", 3));
	cr_assert(!utf8_valid("\xf0\x8f\xbf\xbf", 4));
	cr_assert(!utf8_valid("\xed\xbf\xbf", 3));
	cr_assert(!utf8_valid("\xf4\x90\x80\x80", 4));
	cr_assert(!utf8_valid("\xc2", 1));
	cr_assert(!utf8_valid("\xc2\x41", 2));
	/* The length bounds the check, not a NUL. */
	cr_assert(!utf8_valid("\xe2\x82\xac", 2));
}

/* ---------------------------------------------------------------- HELO */

Test(cmd, helo_domains)
{
	char		 dom[SMTP_DOMAIN_MAX + 1];
	const char	*good[] = { "EHLO mx.example.com", "HELO localhost",
	    "LHLO a-b.c0", "EHLO [192.0.2.1]", "EHLO [IPv6:2001:db8::1]",
	    "EHLO [ipv6:::ffff:192.0.2.1]", "EHLO 192.0.2.1", "EHLO x" };
	const char	*bad[] = { "EHLO foo_bar.example", "EHLO a b",
	    "EHLO -a.example", "EHLO a-.example", "EHLO a..b", "EHLO .a",
	    "EHLO a.", "EHLO [192.0.2.256]", "EHLO [2001:db8::1]",
	    "EHLO [IPv6:1.2.3.4]", "EHLO [foo:bar]", "EHLO [192.0.2.1",
	    "EHLO <mx.example>" };
	size_t		 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		cr_assert_eq(cmd(good[i], 0), 0, "%s", good[i]);
		cr_assert_eq(smtp_parse_helo(&c, dom, sizeof(dom), &r), 0,
		    "%s", good[i]);
		cr_assert_str_eq(dom, good[i] + 5);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(cmd(bad[i], 0), 0, "%s", bad[i]);
		cr_assert_eq(smtp_parse_helo(&c, dom, sizeof(dom), &r), -1,
		    "%s", bad[i]);
		expect(501, "5.5.4");
	}
	/* EHLO stays ASCII even inside an SMTPUTF8 transaction. */
	cr_assert_eq(cmd("EHLO b\xc3\xbc.example", SMTP_PARSE_UTF8_TXN), 0);
	cr_assert_eq(smtp_parse_helo(&c, dom, sizeof(dom), &r), -1);
	/* The caller's buffer bounds the copy. */
	cr_assert_eq(cmd("EHLO mx.example", 0), 0);
	cr_assert_eq(smtp_parse_helo(&c, dom, 5, &r), -1);
}

Test(cmd, domain_limits)
{
	char	 d[SMTP_DOMAIN_MAX + 2];
	size_t	 i;

	/* A 63-octet label is fine, 64 is not. */
	memset(d, 'a', sizeof(d));
	cr_assert(smtp_parse_domain(d, SMTP_LABEL_MAX, 0));
	cr_assert(!smtp_parse_domain(d, SMTP_LABEL_MAX + 1, 0));
	/* 255 octets in total (labels of 63 with dots), then 256. */
	for (i = SMTP_LABEL_MAX; i < sizeof(d); i += SMTP_LABEL_MAX + 1)
		d[i] = '.';
	d[SMTP_DOMAIN_MAX - 1] = 'z';
	cr_assert(smtp_parse_domain(d, SMTP_DOMAIN_MAX, 0));
	d[SMTP_DOMAIN_MAX] = 'z';
	cr_assert(!smtp_parse_domain(d, SMTP_DOMAIN_MAX + 1, 0));
	cr_assert(!smtp_parse_domain("", 0, 0));
	cr_assert(!smtp_parse_domain("[]", 2, 0));
	cr_assert(!smtp_parse_domain("[IPv6:]", 7, 0));
	cr_assert(smtp_parse_domain("b\xc3\xbc.example", 11, 1));
	cr_assert(!smtp_parse_domain("b\xc3\xbc.example", 11, 0));
}

/* ---------------------------------------------------------------- paths */

Test(path, null_sender)
{
	strcpy(env.mail_from, "old@x.example");
	cr_assert_eq(mail("MAIL FROM:<>", 0), 0);
	cr_assert_str_eq(env.mail_from, "");
	cr_assert_eq(rcpt("RCPT TO:<>", 0), -1);
	expect(501, "5.1.3");
}

Test(path, plain_and_case)
{
	cr_assert_eq(mail("MAIL FROM:<a@b.example>", 0), 0);
	cr_assert_str_eq(env.mail_from, "a@b.example");
	cr_assert_eq(mail("mail from:<Jo.Doe+tag@Mx.B-2.Example>", 0), 0);
	cr_assert_str_eq(env.mail_from, "Jo.Doe+tag@Mx.B-2.Example");
	cr_assert_eq(rcpt("rcpt to:<x!#$%&'*+-/=?^_`{|}~@b.example>", 0), 0);
	cr_assert_str_eq(rc.addr, "x!#$%&'*+-/=?^_`{|}~@b.example");
}

Test(path, one_space_after_colon)
{
	cr_assert_eq(mail("MAIL FROM: <a@b.example>", 0), 0);
	cr_assert_str_eq(env.mail_from, "a@b.example");
	cr_assert_eq(rcpt("RCPT TO: <c@d.example>", 0), 0);
	cr_assert_str_eq(rc.addr, "c@d.example");
	cr_assert_eq(mail("MAIL FROM:  <a@b.example>", 0), -1);
	expect(501, "5.1.7");
	cr_assert_eq(rcpt("RCPT TO:\t<c@d.example>", 0), -1);
	expect(501, "5.1.3");
}

Test(path, sloppy_forms_refused)
{
	cr_assert_eq(mail("MAIL FROM:a@b.example", 0), -1);
	expect(501, "5.1.7");
	cr_assert_eq(mail("MAIL FROM <a@b.example>", 0), -1);
	expect(501, "5.5.2");
	cr_assert_eq(mail("MAIL FROM=<a@b.example>", 0), -1);
	expect(501, "5.5.2");
	cr_assert_eq(mail("MAIL TO:<a@b.example>", 0), -1);
	expect(501, "5.5.2");
	cr_assert_eq(rcpt("RCPT FROM:<a@b.example>", 0), -1);
	expect(501, "5.5.2");
	cr_assert_eq(mail("MAIL FROM:<a@b.example", 0), -1);
	expect(501, "5.1.7");
	cr_assert_eq(mail("MAIL FROM:<a@b.example>x", 0), -1);
	expect(501, "5.1.7");
	cr_assert_eq(mail("MAIL FROM:<<a@b.example>>", 0), -1);
	expect(501, "5.1.7");
	cr_assert_eq(rcpt("RCPT TO:<a@b.example> <c@d.example>", 0), -1);
	cr_assert_eq(r.code, 501);
}

Test(path, local_part)
{
	const char	*bad[] = { "<.a@b.example>", "<a.@b.example>",
	    "<a..b@b.example>", "<a b@b.example>", "<@b.example>",
	    "<a@b@c.example>", "<a(c)@b.example>", "<a,b@b.example>",
	    "<a[b]@b.example>", "<a\\b@b.example>", "<a\"b@b.example>",
	    "<a@>", "<a>", "<a@b.example.>", "<a@-b.example>",
	    "<a@b-.example>", "<a@b_c.example>", "<a:b@c.example>" };
	size_t		 i;

	cr_assert_eq(rcpt("RCPT TO:<a.b.c@b.example>", 0), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char	 line[128];

		snprintf(line, sizeof(line), "RCPT TO:%s", bad[i]);
		cr_assert_eq(rcpt(line, 0), -1, "%s", line);
		expect(501, "5.1.3");
		snprintf(line, sizeof(line), "MAIL FROM:%s", bad[i]);
		cr_assert_eq(mail(line, 0), -1, "%s", line);
		expect(501, "5.1.7");
	}
}

Test(path, quoted_local_part)
{
	cr_assert_eq(rcpt("RCPT TO:<\"john doe\"@b.example>", 0), 0);
	cr_assert_str_eq(rc.addr, "\"john doe\"@b.example");
	cr_assert_eq(rcpt("RCPT TO:<\"a\\\"b\"@b.example>", 0), 0);
	cr_assert_str_eq(rc.addr, "\"a\\\"b\"@b.example");
	cr_assert_eq(rcpt("RCPT TO:<\"a\\\\\"@b.example>", 0), 0);
	cr_assert_eq(rcpt("RCPT TO:<\"\"@b.example>", 0), 0);
	/* A ">" or "@" inside quotes does not end anything. */
	cr_assert_eq(rcpt("RCPT TO:<\"a>b@c\"@b.example> NOTIFY=NEVER", 0), 0);
	cr_assert_str_eq(rc.addr, "\"a>b@c\"@b.example");
	cr_assert_eq(rc.notify, NOTIFY_NEVER);
	cr_assert_eq(mail("MAIL FROM:<\"x y\"@b.example> SIZE=5", 0), 0);
	cr_assert_str_eq(env.mail_from, "\"x y\"@b.example");
	cr_assert_eq(env.size, 5);

	cr_assert_eq(rcpt("RCPT TO:<\"abc@b.example>", 0), -1);
	expect(501, "5.1.3");
	cr_assert_eq(rcpt("RCPT TO:<\"a\\\"@b.example>", 0), -1);
	expect(501, "5.1.3");
	cr_assert_eq(rcpt("RCPT TO:<\"a\"b@b.example>", 0), -1);
	expect(501, "5.1.3");
	cr_assert_eq(rcpt("RCPT TO:<\"a\".b@b.example>", 0), -1);
	expect(501, "5.1.3");
	cr_assert_eq(rcpt("RCPT TO:<\"a\"\"@b.example>", 0), -1);
	cr_assert_eq(r.code, 501);
	cr_assert_eq(rcpt("RCPT TO:<\"a\tb\"@b.example>", 0), -1);
	expect(501, "5.1.3");
}

Test(path, address_literals)
{
	const char	*good[] = { "<u@[192.0.2.1]>", "<u@[IPv6:2001:db8::1]>",
	    "<u@[ipv6:::1]>", "<u@[IPv6:::ffff:192.0.2.1]>",
	    "<u@[IPv6:2001:db8:0:0:0:0:0:1]>" };
	const char	*bad[] = { "<u@[300.1.1.1]>", "<u@[1.2.3]>",
	    "<u@[01.2.3.4]>", "<u@[IPv6:zz]>", "<u@[1.2.3.4>",
	    "<u@[tag:foo]>", "<u@[2001:db8::1]>", "<u@[IPv6:2001:db8::1::2]>",
	    "<u@[ 1.2.3.4]>", "<u@[]>", "<u@x[1.2.3.4]>" };
	size_t		 i;
	char		 line[128];

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(line, sizeof(line), "RCPT TO:%s", good[i]);
		cr_assert_eq(rcpt(line, 0), 0, "%s: %s", line, r.text);
		cr_assert_eq(strncmp(rc.addr, good[i] + 1,
		    strlen(good[i]) - 2), 0);
		cr_assert_eq(strlen(rc.addr), strlen(good[i]) - 2);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "RCPT TO:%s", bad[i]);
		cr_assert_eq(rcpt(line, 0), -1, "%s", line);
		expect(501, "5.1.3");
	}
}

Test(path, source_routes)
{
	cr_assert_eq(rcpt("RCPT TO:<@a.example:u@d.example>", 0), 0);
	cr_assert_str_eq(rc.addr, "u@d.example");
	cr_assert_eq(rcpt("RCPT TO:<@a.example,@b.example:u@d.example>", 0),
	    0);
	cr_assert_str_eq(rc.addr, "u@d.example");
	cr_assert_eq(mail("MAIL FROM:<@a.example:u@[192.0.2.1]>", 0), 0);
	cr_assert_str_eq(env.mail_from, "u@[192.0.2.1]");

	const char	*bad[] = { "<@a.example>", "<@a.example,:u@d.example>",
	    "<@:u@d.example>", "<@a.example,b.example:u@d.example>",
	    "<@[192.0.2.1]:u@d.example>", "<@a.example;@b.example:u@d.example>",
	    "<@a_b.example:u@d.example>", "<@a.example:>",
	    "<@a.example:@b.example:u@d.example>", "<@a.example,@:u@d.example>" };
	size_t		 i;
	char		 line[128];

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "RCPT TO:%s", bad[i]);
		cr_assert_eq(rcpt(line, 0), -1, "%s", line);
		expect(501, "5.1.3");
	}
}

Test(path, postmaster)
{
	cr_assert_eq(rcpt("RCPT TO:<postmaster>", 0), 0);
	cr_assert_str_eq(rc.addr, "postmaster");
	cr_assert_eq(rcpt("RCPT TO:<PostMaster>", 0), 0);
	cr_assert_str_eq(rc.addr, "PostMaster");
	cr_assert_eq(rcpt("RCPT TO:<postmaster@b.example>", 0), 0);
	cr_assert_eq(rcpt("RCPT TO:<postmistress>", 0), -1);
	expect(501, "5.1.3");
	cr_assert_eq(rcpt("RCPT TO:<@a.example:postmaster>", 0), -1);
	cr_assert_eq(mail("MAIL FROM:<postmaster>", 0), -1);
	expect(501, "5.1.7");
}

/* A path of exactly n octets with its brackets: <L...@d...> */
static void
make_path(char *buf, size_t n, size_t local)
{
	size_t	 dom = n - 3 - local, i;

	buf[0] = '<';
	memset(buf + 1, 'l', local);
	buf[1 + local] = '@';
	memset(buf + 2 + local, 'd', dom);
	for (i = SMTP_LABEL_MAX; i < dom; i += SMTP_LABEL_MAX + 1)
		buf[2 + local + i] = '.';
	buf[n - 1] = '>';
	buf[n] = '\0';
}

Test(path, length_limit)
{
	char	 path[SMTP_PATH_MAX + 2], line[SMTP_LINE_MAX + 1];
	char	 out[SMTP_PATH_MAX + 1];

	make_path(path, SMTP_PATH_MAX, 64);
	cr_assert_eq(strlen(path), SMTP_PATH_MAX);
	cr_assert_eq(smtp_parse_path(path, SMTP_PATH_MAX, 0, out, sizeof(out),
	    &r), 0, "%s", r.text);
	cr_assert_eq(strlen(out), SMTP_PATH_MAX - 2);
	snprintf(line, sizeof(line), "RCPT TO:%s", path);
	cr_assert_eq(rcpt(line, 0), 0, "%s", r.text);
	cr_assert_eq(strlen(rc.addr), SMTP_PATH_MAX - 2);
	snprintf(line, sizeof(line), "MAIL FROM:%s SIZE=1", path);
	cr_assert_eq(mail(line, 0), 0, "%s", r.text);
	cr_assert_eq(strlen(env.mail_from), SMTP_PATH_MAX - 2);

	make_path(path, SMTP_PATH_MAX + 1, 65);
	cr_assert_eq(smtp_parse_path(path, SMTP_PATH_MAX + 1, 0, out,
	    sizeof(out), &r), -1);
	expect(501, "5.1.3");
	snprintf(line, sizeof(line), "RCPT TO:%s", path);
	cr_assert_eq(rcpt(line, 0), -1);
	expect(501, "5.1.3");
	snprintf(line, sizeof(line), "MAIL FROM:%s", path);
	cr_assert_eq(mail(line, 0), -1);
	expect(501, "5.1.7");

	/* A small output buffer is a refusal, not an overflow. */
	cr_assert_eq(smtp_parse_path("<a@b.example>", 13, 0, out, 11, &r), -1);
	cr_assert_eq(smtp_parse_path("<a@b.example>", 13, 0, out, 12, &r), 0);
}

Test(path, smtputf8_addresses)
{
	int	 f = SMTP_PARSE_UTF8_OFFERED;

	cr_assert_eq(mail("MAIL FROM:<\xe7\x94\xa8\xe6\x88\xb7@"
	    "\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a> SMTPUTF8", f),
	    0, "%s", r.text);
	cr_assert_eq(env.smtputf8, 1);
	cr_assert_str_eq(env.mail_from, "\xe7\x94\xa8\xe6\x88\xb7@"
	    "\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a");
	/* Offered but the parameter is missing. */
	cr_assert_eq(mail("MAIL FROM:<caf\xc3\xa9@b.example>", f), -1);
	expect(553, "5.6.7");
	/* In a quoted local part, and in RCPT inside the transaction. */
	cr_assert_eq(rcpt("RCPT TO:<\"j\xc3\xb6 d\"@b\xc3\xbc.example>",
	    SMTP_PARSE_UTF8_TXN), 0);
	cr_assert_str_eq(rc.addr, "\"j\xc3\xb6 d\"@b\xc3\xbc.example");
	cr_assert_eq(rcpt("RCPT TO:<j\xc3\xb6@b.example>", 0), -1);
	expect(553, "5.6.7");
	/* smtp_parse_path() on its own refuses it without the flag. */
	cr_assert_eq(smtp_parse_path("<\xc3\xa9@b.example>", 14, 0, rc.addr,
	    sizeof(rc.addr), &r), -1);
	expect(553, "5.6.7");
	cr_assert_eq(smtp_parse_path("<\xc3\xa9@b.example>", 14, SMTP_PATH_UTF8,
	    rc.addr, sizeof(rc.addr), &r), 0);
	/* An ASCII MAIL with SMTPUTF8 is fine too (RFC 6531 3.4). */
	cr_assert_eq(mail("MAIL FROM:<a@b.example> SMTPUTF8", f), 0);
	cr_assert_eq(env.smtputf8, 1);
}

Test(path, failure_leaves_envelope_alone)
{
	cr_assert_eq(mail("MAIL FROM:<a@b.example> SIZE=10 BODY=8BITMIME "
	    "RET=HDRS ENVID=e1", 0), 0);
	cr_assert_eq(mail("MAIL FROM:<x@y.example> SIZE=20 FOO=1", 0), -1);
	cr_assert_eq(mail("MAIL FROM:<x@@y.example> SIZE=20", 0), -1);
	cr_assert_str_eq(env.mail_from, "a@b.example");
	cr_assert_eq(env.size, 10);
	cr_assert_eq(env.body, BODY_8BITMIME);
	cr_assert_eq(env.ret, RET_HDRS);
	cr_assert_str_eq(env.envid, "e1");

	cr_assert_eq(rcpt("RCPT TO:<a@b.example> NOTIFY=DELAY ORCPT=rfc822;x",
	    0), 0);
	cr_assert_eq(rcpt("RCPT TO:<c@d.example> NOTIFY=BOGUS", 0), -1);
	cr_assert_str_eq(rc.addr, "a@b.example");
	cr_assert_eq(rc.notify, NOTIFY_DELAY);
	cr_assert_str_eq(rc.orcpt, "rfc822;x");

	/* A new MAIL resets what the old one set. */
	cr_assert_eq(mail("MAIL FROM:<>", 0), 0);
	cr_assert_eq(env.size, 0);
	cr_assert_eq(env.body, BODY_NONE);
	cr_assert_eq(env.ret, RET_NONE);
	cr_assert_str_eq(env.envid, "");
}

/* ----------------------------------------------------------- parameters */

Test(param, size)
{
	cr_assert_eq(mail("MAIL FROM:<> SIZE=1000", 0), 0);
	cr_assert_eq(env.size, 1000);
	cr_assert_eq(mail("MAIL FROM:<> size=0", 0), 0);
	cr_assert_eq(env.size, 0);
	cr_assert_eq(mail("MAIL FROM:<> SIZE=9223372036854775808", 0), 0);
	cr_assert_eq(env.size, UINT64_C(9223372036854775808));
	cr_assert_eq(mail("MAIL FROM:<> SIZE=9223372036854775809", 0), -1);
	expect(552, "5.3.4");
	cr_assert_eq(mail("MAIL FROM:<> SIZE=18446744073709551616", 0), -1);
	cr_assert_eq(r.code, 501);
	cr_assert_eq(mail("MAIL FROM:<> SIZE=123456789012345678901", 0), -1);
	expect(501, "5.5.4");
	cr_assert_eq(mail("MAIL FROM:<> SIZE=", 0), -1);
	expect(501, "5.5.4");
	cr_assert_eq(mail("MAIL FROM:<> SIZE", 0), -1);
	expect(501, "5.5.4");
	cr_assert_eq(mail("MAIL FROM:<> SIZE=12a", 0), -1);
	expect(501, "5.5.4");
	cr_assert_eq(mail("MAIL FROM:<> SIZE=-1", 0), -1);
	expect(501, "5.5.4");
	cr_assert_eq(mail("MAIL FROM:<> SIZE=+1", 0), -1);
	expect(501, "5.5.4");
}

Test(param, body)
{
	cr_assert_eq(mail("MAIL FROM:<> BODY=7BIT", 0), 0);
	cr_assert_eq(env.body, BODY_7BIT);
	cr_assert_eq(mail("MAIL FROM:<> BODY=8BITMIME", 0), 0);
	cr_assert_eq(env.body, BODY_8BITMIME);
	cr_assert_eq(mail("MAIL FROM:<> body=8bitmime", 0), 0);
	cr_assert_eq(env.body, BODY_8BITMIME);
	cr_assert_eq(mail("MAIL FROM:<> BODY=BINARYMIME", 0), -1);
	expect(504, "5.5.4");
	cr_assert_eq(mail("MAIL FROM:<> BODY=FOO", 0), -1);
	expect(501, "5.5.4");
	cr_assert_eq(mail("MAIL FROM:<> BODY", 0), -1);
	expect(501, "5.5.4");
}

Test(param, smtputf8)
{
	cr_assert_eq(mail("MAIL FROM:<> SMTPUTF8", SMTP_PARSE_UTF8_OFFERED), 0);
	cr_assert_eq(env.smtputf8, 1);
	cr_assert_eq(mail("MAIL FROM:<> smtputf8", SMTP_PARSE_UTF8_OFFERED), 0);
	cr_assert_eq(mail("MAIL FROM:<>", SMTP_PARSE_UTF8_OFFERED), 0);
	cr_assert_eq(env.smtputf8, 0);
	cr_assert_eq(mail("MAIL FROM:<> SMTPUTF8", 0), -1);
	expect(555, "5.5.4");
	cr_assert_eq(mail("MAIL FROM:<> SMTPUTF8=YES",
	    SMTP_PARSE_UTF8_OFFERED), -1);
	expect(501, "5.5.4");
}

Test(param, ret)
{
	cr_assert_eq(mail("MAIL FROM:<> RET=FULL", 0), 0);
	cr_assert_eq(env.ret, RET_FULL);
	cr_assert_eq(mail("MAIL FROM:<> ret=hdrs", 0), 0);
	cr_assert_eq(env.ret, RET_HDRS);
	cr_assert_eq(mail("MAIL FROM:<> RET=NONE", 0), -1);
	expect(501, "5.5.4");
	cr_assert_eq(mail("MAIL FROM:<> RET", 0), -1);
	expect(501, "5.5.4");
}

Test(param, envid)
{
	char	 line[SMTP_LINE_MAX + 1];
	char	 id[SMTP_ENVID_MAX + 2];

	cr_assert_eq(mail("MAIL FROM:<> ENVID=QQ314159+2B+3D", 0), 0);
	cr_assert_str_eq(env.envid, "QQ314159+2B+3D");
	cr_assert_eq(mail("MAIL FROM:<> ENVID=a+2b", 0), -1);
	expect(501, "5.5.4");
	cr_assert_eq(mail("MAIL FROM:<> ENVID=a+2", 0), -1);
	expect(501, "5.5.4");
	cr_assert_eq(mail("MAIL FROM:<> ENVID=a+", 0), -1);
	expect(501, "5.5.4");
	cr_assert_eq(mail("MAIL FROM:<> ENVID=a+G0", 0), -1);
	expect(501, "5.5.4");

	memset(id, 'x', sizeof(id));
	id[SMTP_ENVID_MAX] = '\0';
	snprintf(line, sizeof(line), "MAIL FROM:<> ENVID=%s", id);
	cr_assert_eq(mail(line, 0), 0);
	cr_assert_eq(strlen(env.envid), SMTP_ENVID_MAX);
	id[SMTP_ENVID_MAX] = 'x';
	id[SMTP_ENVID_MAX + 1] = '\0';
	snprintf(line, sizeof(line), "MAIL FROM:<> ENVID=%s", id);
	cr_assert_eq(mail(line, 0), -1);
	expect(501, "5.5.4");
}

Test(param, all_mail_params_together)
{
	cr_assert_eq(mail("MAIL FROM:<a@b.example> SIZE=42 BODY=8BITMIME "
	    "SMTPUTF8 RET=HDRS ENVID=id1", SMTP_PARSE_UTF8_OFFERED), 0);
	cr_assert_eq(env.size, 42);
	cr_assert_eq(env.body, BODY_8BITMIME);
	cr_assert_eq(env.smtputf8, 1);
	cr_assert_eq(env.ret, RET_HDRS);
	cr_assert_str_eq(env.envid, "id1");
}

Test(param, duplicates)
{
	const char	*dup[] = {
		"MAIL FROM:<> SIZE=1 SIZE=1",
		"MAIL FROM:<> BODY=7BIT body=8BITMIME",
		"MAIL FROM:<> SMTPUTF8 SMTPUTF8",
		"MAIL FROM:<> RET=FULL RET=HDRS",
		"MAIL FROM:<> ENVID=a SIZE=3 ENVID=a",
	};
	size_t		 i;

	for (i = 0; i < sizeof(dup) / sizeof(dup[0]); i++) {
		cr_assert_eq(mail(dup[i], SMTP_PARSE_UTF8_OFFERED), -1, "%s",
		    dup[i]);
		expect(501, "5.5.4");
		cr_assert_not_null(strstr(r.text, "duplicate"), "%s", r.text);
	}
	cr_assert_eq(rcpt("RCPT TO:<a@b.example> NOTIFY=NEVER NOTIFY=NEVER", 0),
	    -1);
	expect(501, "5.5.4");
	cr_assert_eq(rcpt("RCPT TO:<a@b.example> ORCPT=rfc822;a ORCPT=rfc822;a",
	    0), -1);
	expect(501, "5.5.4");
}

Test(param, unknown_and_misplaced)
{
	cr_assert_eq(mail("MAIL FROM:<> FOO=bar", 0), -1);
	expect(555, "5.5.4");
	cr_assert_not_null(strstr(r.text, "FOO"));
	cr_assert_eq(mail("MAIL FROM:<> AUTH=<>", 0), -1);
	expect(555, "5.5.4");
	cr_assert_eq(mail("MAIL FROM:<> NOTIFY=NEVER", 0), -1);
	expect(555, "5.5.4");
	cr_assert_eq(rcpt("RCPT TO:<a@b.example> SIZE=1", 0), -1);
	expect(555, "5.5.4");
	cr_assert_eq(rcpt("RCPT TO:<a@b.example> RET=FULL", 0), -1);
	expect(555, "5.5.4");
	/* The echo of a long keyword is bounded. */
	cr_assert_eq(mail("MAIL FROM:<> XAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "AAAAAAAAAAAAAAAAAAAAAAA=1", 0), -1);
	expect(555, "5.5.4");
	cr_assert_lt(strlen(r.text), 64);
}

Test(param, after_helo)
{
	cr_assert_eq(mail("MAIL FROM:<a@b.example>", SMTP_PARSE_HELO), 0);
	cr_assert_eq(mail("MAIL FROM:<a@b.example> SIZE=10", SMTP_PARSE_HELO),
	    -1);
	expect(555, "5.5.4");
	cr_assert_eq(rcpt("RCPT TO:<a@b.example> NOTIFY=NEVER",
	    SMTP_PARSE_HELO), -1);
	expect(555, "5.5.4");
}

Test(param, syntax)
{
	const char	*bad[] = {
		"MAIL FROM:<>  SIZE=1",		/* two spaces */
		"MAIL FROM:<> SIZE=1  BODY=7BIT",
		"MAIL FROM:<> -X=1",		/* keyword starts with '-' */
		"MAIL FROM:<> =1",
		"MAIL FROM:<> X_Y=1",
		"MAIL FROM:<> SIZE=1=2",	/* '=' in a value */
		"MAIL FROM:<>\tSIZE=1",
		"MAIL FROM:<> ENVID=\x7f",
	};
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(mail(bad[i], 0), -1, "%s", bad[i]);
		cr_assert_eq(r.code == 501 || r.code == 500, 1, "%s: %d",
		    bad[i], r.code);
	}
	/* A keyword with digits and hyphens is syntactically fine. */
	cr_assert_eq(mail("MAIL FROM:<> X-9=1", 0), -1);
	expect(555, "5.5.4");
	/* 8-bit in a MAIL value even with SMTPUTF8. */
	cr_assert_eq(mail("MAIL FROM:<> SMTPUTF8 ENVID=\xc3\xa9",
	    SMTP_PARSE_UTF8_OFFERED), -1);
	expect(501, "5.5.4");
}

Test(param, notify)
{
	static const struct {
		const char	*v;
		uint8_t		 bits;
	} good[] = {
		{ "NEVER", NOTIFY_NEVER },
		{ "never", NOTIFY_NEVER },
		{ "SUCCESS", NOTIFY_SUCCESS },
		{ "FAILURE,DELAY", NOTIFY_FAILURE | NOTIFY_DELAY },
		{ "DELAY,SUCCESS,FAILURE",
		    NOTIFY_SUCCESS | NOTIFY_FAILURE | NOTIFY_DELAY },
	};
	const char	*bad[] = { "NEVER,SUCCESS", "SUCCESS,NEVER",
	    "SUCCESS,SUCCESS", "SUCCESS,", ",SUCCESS", "SUCCESS,,DELAY",
	    "FOO", "SUCCES", "NEVERX" };
	char		 line[128];
	size_t		 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(line, sizeof(line), "RCPT TO:<a@b.example> NOTIFY=%s",
		    good[i].v);
		cr_assert_eq(rcpt(line, 0), 0, "%s", line);
		cr_assert_eq(rc.notify, good[i].bits, "%s", line);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "RCPT TO:<a@b.example> NOTIFY=%s",
		    bad[i]);
		cr_assert_eq(rcpt(line, 0), -1, "%s", line);
		expect(501, "5.5.4");
	}
	cr_assert_eq(rcpt("RCPT TO:<a@b.example> NOTIFY", 0), -1);
	expect(501, "5.5.4");
	cr_assert_eq(rcpt("RCPT TO:<a@b.example>", 0), 0);
	cr_assert_eq(rc.notify, 0);
	cr_assert_str_eq(rc.orcpt, "");
}

Test(param, orcpt)
{
	const char	*bad[] = { "rfc822", ";a@b", "rfc822;", "rfc822;a+zz",
	    "rfc 822;a", "rfc822;a=b", "rf(c;a", "rfc822;a+2" };
	char		 line[SMTP_LINE_MAX + 1], big[SMTP_ORCPT_MAX + 2];
	size_t		 i;

	cr_assert_eq(rcpt("RCPT TO:<a@b.example> ORCPT=rfc822;Bob+40b.example",
	    0), 0);
	cr_assert_str_eq(rc.orcpt, "rfc822;Bob+40b.example");
	cr_assert_eq(rcpt("RCPT TO:<a@b.example> ORCPT=utf-8;a\\x{E9}@b", 0),
	    0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "RCPT TO:<a@b.example> ORCPT=%s",
		    bad[i]);
		cr_assert_eq(rcpt(line, 0), -1, "%s", line);
		expect(501, "5.5.4");
	}
	/* Raw UTF-8 only for utf-8 addresses inside an SMTPUTF8 txn. */
	cr_assert_eq(rcpt("RCPT TO:<a@b.example> ORCPT=utf-8;j\xc3\xb6@b",
	    SMTP_PARSE_UTF8_TXN), 0);
	cr_assert_str_eq(rc.orcpt, "utf-8;j\xc3\xb6@b");
	cr_assert_eq(rcpt("RCPT TO:<a@b.example> ORCPT=rfc822;j\xc3\xb6@b",
	    SMTP_PARSE_UTF8_TXN), -1);
	expect(501, "5.5.4");
	cr_assert_eq(rcpt("RCPT TO:<a@b.example> ORCPT=utf-8;j\xc3\xb6@b", 0),
	    -1);
	expect(553, "5.6.7");
	/* SMTP_ORCPT_MAX: the line bound keeps it below; check directly. */
	memset(big, 'x', sizeof(big));
	memcpy(big, "rfc822;", 7);
	cr_assert(smtp_parse_orcpt(big, SMTP_ORCPT_MAX, 0));
	cr_assert(!smtp_parse_orcpt(big, SMTP_ORCPT_MAX + 1, 0));
}

Test(param, xtext)
{
	char	 out[64];

	cr_assert(smtp_parse_xtext_valid("", 0));
	cr_assert(smtp_parse_xtext_valid("abc+2B+3D!~", 11));
	cr_assert(!smtp_parse_xtext_valid("a b", 3));
	cr_assert(!smtp_parse_xtext_valid("a=b", 3));
	cr_assert(!smtp_parse_xtext_valid("a+", 2));
	cr_assert(!smtp_parse_xtext_valid("a+4", 3));
	cr_assert(!smtp_parse_xtext_valid("a+4g", 4));
	cr_assert(!smtp_parse_xtext_valid("a+4a", 4));
	cr_assert(!smtp_parse_xtext_valid("\xc3\xa9", 2));
	/* Bounded by length, not by a NUL: "+4" then end. */
	cr_assert(!smtp_parse_xtext_valid("a+41", 3));

	cr_assert_eq(smtp_xtext_decode("a+2Bb+3D", 8, out, sizeof(out)), 4);
	cr_assert_str_eq(out, "a+b=");
	cr_assert_eq(smtp_xtext_decode("a+2", 3, out, sizeof(out)), -1);
	cr_assert_eq(smtp_xtext_decode("abcd", 4, out, 4), -1);
	cr_assert_eq(smtp_xtext_decode("abcd", 4, out, 5), 4);
	cr_assert_eq(smtp_xtext_encode("a+b= \xff", 6, out, sizeof(out)), 14);
	cr_assert_str_eq(out, "a+2Bb+3D+20+FF");
	cr_assert_eq(smtp_xtext_encode("a+b", 3, out, 5), -1);
	cr_assert_eq(smtp_xtext_encode("a+b", 3, out, 6), 5);
	cr_assert_eq(smtp_xtext_decode(out, 5, out + 10, 10), 3);
	cr_assert_str_eq(out + 10, "a+b");
}

/* ------------------------------------------------------------- XFORWARD */

Test(xforward, accumulate)
{
	cr_assert_eq(xforward("XFORWARD NAME=mx.example ADDR=192.0.2.1"), 0);
	cr_assert_str_eq(env.xforward, "NAME=mx.example ADDR=192.0.2.1");
	cr_assert_eq(xforward("xforward proto=ESMTP HELO=client.example "
	    "name=other.example"), 0);
	cr_assert_str_eq(env.xforward, "NAME=other.example ADDR=192.0.2.1 "
	    "PROTO=ESMTP HELO=client.example");
	cr_assert_eq(xforward("XFORWARD SOURCE=REMOTE IDENT=abc+2Bd PORT=25"),
	    0);
	cr_assert_str_eq(env.xforward, "NAME=other.example ADDR=192.0.2.1 "
	    "PORT=25 PROTO=ESMTP HELO=client.example IDENT=abc+2Bd "
	    "SOURCE=REMOTE");
	cr_assert_eq(xforward("XFORWARD NAME=[UNAVAILABLE] HELO=[TEMPUNAVAIL]"),
	    0);
	cr_assert_not_null(strstr(env.xforward, "NAME=[UNAVAILABLE]"));
	cr_assert_not_null(strstr(env.xforward, "HELO=[TEMPUNAVAIL]"));
}

Test(xforward, refused)
{
	const char	*bad[] = {
		"XFORWARD FOO=bar",
		"XFORWARD NAME=a FOO=bar",
		"XFORWARD NAME",
		"XFORWARD =x",
		"XFORWARD NAME=a  ADDR=b",
		"XFORWARD NAME=a+zz",
		"XFORWARD NAME=a=b",
		"XFORWARD NAMEX=a",
	};
	size_t		 i;

	strcpy(env.xforward, "ADDR=192.0.2.1");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(xforward(bad[i]), -1, "%s", bad[i]);
		expect(501, "5.5.4");
		cr_assert_str_eq(env.xforward, "ADDR=192.0.2.1");
	}
	cr_assert_eq(cmd("XFORWARD NAME=b\xc3\xbc", SMTP_PARSE_UTF8_TXN), 0);
	cr_assert_eq(smtp_parse_xforward(&c, &env, &r), -1);
	expect(501, "5.5.4");
	cr_assert_eq(cmd("XFORWARD NAME=b\xc3\xbc", 0), -1);
	expect(500, "5.5.2");
}

Test(xforward, too_long)
{
	char	 line[SMTP_LINE_MAX + 1], v[401];

	memset(v, 'v', sizeof(v) - 1);
	v[sizeof(v) - 1] = '\0';
	snprintf(line, sizeof(line), "XFORWARD NAME=%s", v);
	cr_assert_eq(xforward(line), 0);
	snprintf(line, sizeof(line), "XFORWARD HELO=%s", v);
	cr_assert_eq(xforward(line), 0);
	snprintf(line, sizeof(line), "XFORWARD IDENT=%s", v);
	cr_assert_eq(xforward(line), -1);
	expect(501, "5.5.4");
	cr_assert_eq(strlen(env.xforward), 2 * (5 + 400) + 1);
	/* Replacing a long value by a short one makes room again. */
	cr_assert_eq(xforward("XFORWARD NAME=x"), 0);
	snprintf(line, sizeof(line), "XFORWARD IDENT=%s", v);
	cr_assert_eq(xforward(line), 0);
	cr_assert_leq(strlen(env.xforward), SMTP_XFORWARD_MAX);
}

Test(xforward, offer)
{
	cr_assert_eq(smtp_parse_xforward_offer("NAME ADDR PROTO HELO", 20),
	    SMTP_XF_NAME | SMTP_XF_ADDR | SMTP_XF_PROTO | SMTP_XF_HELO);
	cr_assert_eq(smtp_parse_xforward_offer("name  addr port proto helo "
	    "ident source", 39), SMTP_XF_ALL);
	cr_assert_eq(smtp_parse_xforward_offer("FOO", 3), 0);
	cr_assert_eq(smtp_parse_xforward_offer("", 0), 0);
	/* The length bounds it: "NAME ADDR" cut after "NAME". */
	cr_assert_eq(smtp_parse_xforward_offer("NAME ADDR", 4), SMTP_XF_NAME);
}

Test(xforward, format)
{
	char	 buf[2048];

	cr_assert_eq(smtp_format_xforward(&env, SMTP_XF_ALL, buf, sizeof(buf)),
	    0);
	cr_assert_str_eq(buf, "");
	cr_assert_eq(xforward("XFORWARD NAME=mx.example ADDR=192.0.2.1 "
	    "PROTO=ESMTP HELO=c.example"), 0);
	cr_assert_gt(smtp_format_xforward(&env, SMTP_XF_ALL, buf,
	    sizeof(buf)), 0);
	cr_assert_str_eq(buf, "XFORWARD NAME=mx.example ADDR=192.0.2.1 "
	    "PROTO=ESMTP HELO=c.example\r\n");
	cr_assert_gt(smtp_format_xforward(&env, SMTP_XF_ADDR | SMTP_XF_HELO,
	    buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "XFORWARD ADDR=192.0.2.1 HELO=c.example\r\n");
	cr_assert_eq(smtp_format_xforward(&env, SMTP_XF_IDENT, buf,
	    sizeof(buf)), 0);
	cr_assert_str_eq(buf, "");
	/* Too small a buffer is -1, never a cut line. */
	cr_assert_eq(smtp_format_xforward(&env, SMTP_XF_ALL, buf, 20), -1);
}

Test(xforward, format_splits_lines)
{
	char		 line[SMTP_LINE_MAX + 1], v[301], buf[4096];
	const char	*p, *e;
	int		 n, nlines = 0;

	memset(v, 'v', sizeof(v) - 1);
	v[sizeof(v) - 1] = '\0';
	snprintf(line, sizeof(line), "XFORWARD NAME=%s ADDR=192.0.2.1", v);
	cr_assert_eq(xforward(line), 0);
	snprintf(line, sizeof(line), "XFORWARD HELO=%s PROTO=SMTP", v);
	cr_assert_eq(xforward(line), 0);
	n = smtp_format_xforward(&env, SMTP_XF_ALL, buf, sizeof(buf));
	cr_assert_gt(n, 0);
	cr_assert_eq((size_t)n, strlen(buf));
	for (p = buf; *p != '\0'; p = e + 2) {
		e = strstr(p, "\r\n");
		cr_assert_not_null(e);
		cr_assert_leq(e + 2 - p, SMTP_LINE_MAX + 2);
		cr_assert_eq(strncmp(p, "XFORWARD ", 9), 0);
		nlines++;
	}
	cr_assert_eq(nlines, 2);
	cr_assert_not_null(strstr(buf, "ADDR=192.0.2.1"));
	cr_assert_not_null(strstr(buf, "PROTO=SMTP"));
	cr_assert_not_null(strstr(buf, "NAME=vvv"));
	cr_assert_not_null(strstr(buf, "HELO=vvv"));
}

/* ----------------------------------------------------------------- BDAT */

static int
bdat(const char *line, uint64_t max, struct smtp_bdat *b)
{
	if (cmd(line, 0) == -1)
		return -2;
	return smtp_parse_bdat(&c, max, b, &r);
}

Test(bdat, arguments)
{
	struct smtp_bdat	 b;

	cr_assert_eq(bdat("BDAT 100", 1000, &b), 0);
	cr_assert_eq(b.size, 100);
	cr_assert_eq(b.last, 0);
	cr_assert_eq(b.size_known, 1);
	cr_assert_eq(bdat("BDAT 0 LAST", 1000, &b), 0);
	cr_assert_eq(b.size, 0);
	cr_assert_eq(b.last, 1);
	cr_assert_eq(bdat("bdat 5 last", 1000, &b), 0);
	cr_assert_eq(b.last, 1);
	cr_assert_eq(bdat("BDAT 1000", 1000, &b), 0);
	cr_assert_eq(bdat("BDAT 007", 1000, &b), 0);
	cr_assert_eq(b.size, 7);
}

Test(bdat, refused)
{
	struct smtp_bdat	 b;

	cr_assert_eq(bdat("BDAT 1001", 1000, &b), -1);
	expect(552, "5.3.4");
	cr_assert_eq(b.size_known, 1);
	cr_assert_eq(b.size, 1001);
	cr_assert_eq(bdat("BDAT 5 LAST x", 1000, &b), -1);
	expect(501, "5.5.4");
	cr_assert_eq(b.size_known, 1);
	cr_assert_eq(bdat("BDAT 5 FIRST", 1000, &b), -1);
	cr_assert_eq(b.size_known, 1);
	cr_assert_eq(bdat("BDAT 5  LAST", 1000, &b), -1);
	cr_assert_eq(bdat("BDAT x", 1000, &b), -1);
	expect(501, "5.5.4");
	cr_assert_eq(b.size_known, 0);
	cr_assert_eq(bdat("BDAT -1", 1000, &b), -1);
	cr_assert_eq(b.size_known, 0);
	cr_assert_eq(bdat("BDAT +1", 1000, &b), -1);
	cr_assert_eq(b.size_known, 0);
	cr_assert_eq(bdat("BDAT 1x LAST", 1000, &b), -1);
	cr_assert_eq(b.size_known, 0);
	cr_assert_eq(bdat("BDAT 123456789012345678901", UINT64_MAX, &b), -1);
	cr_assert_eq(b.size_known, 0);
	cr_assert_eq(bdat("BDAT 9223372036854775809", UINT64_MAX, &b), -1);
	cr_assert_eq(b.size_known, 0);
	cr_assert_eq(bdat("BDAT LAST", 1000, &b), -1);
	cr_assert_eq(b.size_known, 0);
}

/* ---------------------------------------------------------- formatters */

Test(format, mail_params)
{
	char	 buf[512];

	cr_assert_eq(mail("MAIL FROM:<a@b.example> SIZE=42 BODY=8BITMIME "
	    "SMTPUTF8 RET=HDRS ENVID=id+2B1", SMTP_PARSE_UTF8_OFFERED), 0);
	cr_assert_gt(smtp_format_mail_params(&env, 1234, 1, 1, 1, buf,
	    sizeof(buf)), 0);
	cr_assert_str_eq(buf, " SIZE=1234 BODY=8BITMIME SMTPUTF8 RET=HDRS "
	    "ENVID=id+2B1");
	/* Each extension the relay lacks drops its parameters. */
	smtp_format_mail_params(&env, 1234, 0, 1, 1, buf, sizeof(buf));
	cr_assert_str_eq(buf, " SIZE=1234 BODY=8BITMIME SMTPUTF8");
	smtp_format_mail_params(&env, 1234, 1, 0, 1, buf, sizeof(buf));
	cr_assert_str_eq(buf, " SIZE=1234 SMTPUTF8 RET=HDRS ENVID=id+2B1");
	smtp_format_mail_params(&env, 1234, 1, 1, 0, buf, sizeof(buf));
	cr_assert_str_eq(buf, " SIZE=1234 BODY=8BITMIME RET=HDRS ENVID=id+2B1");
	cr_assert_eq(smtp_format_mail_params(&env, 0, 0, 0, 0, buf,
	    sizeof(buf)), 0);
	cr_assert_str_eq(buf, "");
	/* A buffer too small is -1. */
	cr_assert_eq(smtp_format_mail_params(&env, 1234, 1, 1, 1, buf, 20),
	    -1);
	cr_assert_eq(smtp_format_mail_params(&env, 1234, 1, 1, 1, buf, 0), -1);

	cr_assert_eq(mail("MAIL FROM:<> BODY=7BIT RET=FULL", 0), 0);
	smtp_format_mail_params(&env, 7, 1, 1, 1, buf, sizeof(buf));
	cr_assert_str_eq(buf, " SIZE=7 BODY=7BIT RET=FULL");
	cr_assert_eq(mail("MAIL FROM:<>", 0), 0);
	smtp_format_mail_params(&env, 0, 1, 1, 1, buf, sizeof(buf));
	cr_assert_str_eq(buf, "");
}

Test(format, rcpt_params)
{
	char	 buf[SMTP_ORCPT_MAX + 64];

	cr_assert_eq(rcpt("RCPT TO:<a@b.example> NOTIFY=DELAY,SUCCESS "
	    "ORCPT=rfc822;a+40b", 0), 0);
	cr_assert_gt(smtp_format_rcpt_params(&rc, 1, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, " NOTIFY=SUCCESS,DELAY ORCPT=rfc822;a+40b");
	cr_assert_eq(smtp_format_rcpt_params(&rc, 0, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "");
	cr_assert_eq(smtp_format_rcpt_params(&rc, 1, buf, 10), -1);

	cr_assert_eq(rcpt("RCPT TO:<a@b.example> NOTIFY=NEVER", 0), 0);
	smtp_format_rcpt_params(&rc, 1, buf, sizeof(buf));
	cr_assert_str_eq(buf, " NOTIFY=NEVER");
	cr_assert_eq(rcpt("RCPT TO:<a@b.example> NOTIFY=FAILURE,DELAY", 0), 0);
	smtp_format_rcpt_params(&rc, 1, buf, sizeof(buf));
	cr_assert_str_eq(buf, " NOTIFY=FAILURE,DELAY");
	cr_assert_eq(rcpt("RCPT TO:<a@b.example> NOTIFY=FAILURE,SUCCESS", 0),
	    0);
	smtp_format_rcpt_params(&rc, 1, buf, sizeof(buf));
	cr_assert_str_eq(buf, " NOTIFY=SUCCESS,FAILURE");
	cr_assert_eq(rcpt("RCPT TO:<a@b.example> NOTIFY=DELAY,FAILURE,SUCCESS",
	    0), 0);
	smtp_format_rcpt_params(&rc, 1, buf, sizeof(buf));
	cr_assert_str_eq(buf, " NOTIFY=SUCCESS,FAILURE,DELAY");
	cr_assert_eq(rcpt("RCPT TO:<a@b.example>", 0), 0);
	cr_assert_eq(smtp_format_rcpt_params(&rc, 1, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "");
}

/* What the relay sends must parse back to the same envelope. */
Test(format, round_trip)
{
	struct envelope	 env2;
	char		 params[512], line[1024];

	cr_assert_eq(mail("MAIL FROM:<\"a b\"@[IPv6:::1]> SIZE=9 BODY=7BIT "
	    "RET=FULL ENVID=x+2By", 0), 0);
	smtp_format_mail_params(&env, 9, 1, 1, 1, params, sizeof(params));
	snprintf(line, sizeof(line), "MAIL FROM:<%s>%s", env.mail_from,
	    params);
	env2 = env;
	memset(&env, 0, sizeof(env));
	cr_assert_eq(mail(line, 0), 0, "%s: %s", line, r.text);
	cr_assert_str_eq(env.mail_from, env2.mail_from);
	cr_assert_eq(env.size, env2.size);
	cr_assert_eq(env.body, env2.body);
	cr_assert_eq(env.ret, env2.ret);
	cr_assert_str_eq(env.envid, env2.envid);
}
