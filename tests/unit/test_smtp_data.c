/*
 * Tests for smtpd/smtp_data.c, the DATA/BDAT byte scanner: every
 * smuggling form of the end marker and every bare CR or LF is fatal in
 * DATA mode; feeding a message in any split (one byte at a time, and two
 * chunks cut at every position) gives the same output and the same end;
 * pipelined bytes after the end are left to the caller; the latched
 * limits (998-octet lines, size, NUL), the 8-bit flag, a failing sink,
 * and BDAT mode across chunks.  The scanner is compiled in directly
 * (smtpd/ is not in libpgpmg.a), and every feed comes from an exact-size
 * heap copy so that ASan catches a read past the end.
 */
#include "smtpd/smtp_data.c"

#include <stdlib.h>

#include <criterion/criterion.h>

/* A growing sink that counts its calls and can be told to fail. */
struct sink {
	char	*buf;
	size_t	 len;
	size_t	 cap;
	int	 calls;
	int	 fail;
};

static struct sink	 sk;
static struct smtp_data	 d;
static struct smtp_reply r;

static int
sink_out(void *arg, const void *buf, size_t len)
{
	struct sink	*s = arg;

	cr_assert_gt(len, 0, "the sink is never called for nothing");
	s->calls++;
	if (s->fail)
		return -1;
	if (s->len + len > s->cap) {
		s->cap = (s->len + len) * 2;
		s->buf = realloc(s->buf, s->cap);
		cr_assert_not_null(s->buf);
	}
	memcpy(s->buf + s->len, buf, len);
	s->len += len;
	return 0;
}

static void
setup(void)
{
	free(sk.buf);
	memset(&sk, 0, sizeof(sk));
	memset(&r, 0, sizeof(r));
}

static void
teardown(void)
{
	free(sk.buf);
	memset(&sk, 0, sizeof(sk));
}

TestSuite(data, .init = setup, .fini = teardown);
TestSuite(bdat, .init = setup, .fini = teardown);

/* One feed from an exact-size heap copy. */
static enum smtp_data_status
feed(const void *buf, size_t len, size_t *consumed)
{
	enum smtp_data_status	 st;
	void			*copy;

	copy = malloc(len > 0 ? len : 1);
	cr_assert_not_null(copy);
	memcpy(copy, buf, len);
	st = smtp_data_feed(&d, copy, len, consumed);
	free(copy);
	cr_assert_leq(*consumed, len);
	return st;
}

/* Start a DATA scan and feed it all of s in one go. */
static enum smtp_data_status
data1(const char *s, size_t len, uint64_t max, size_t *consumed)
{
	smtp_data_init(&d, SMTP_DATA_DOT, max, sink_out, &sk);
	return feed(s, len, consumed);
}

static void
expect_out(const char *want, size_t wantlen)
{
	cr_assert_eq(sk.len, wantlen, "output %zu bytes, wanted %zu", sk.len,
	    wantlen);
	cr_assert(wantlen == 0 || memcmp(sk.buf, want, wantlen) == 0,
	    "output differs");
}

static void
expect_reply(int code, const char *enhanced)
{
	cr_assert_eq(smtp_data_finish(&d, &r), -1);
	cr_assert_eq(r.code, code, "code %d (%s %s)", r.code, r.enhanced,
	    r.text);
	cr_assert_str_eq(r.enhanced, enhanced);
	cr_assert_neq(r.text[0], '\0');
}

#define S(x)	x, sizeof(x) - 1
#define BIG	(UINT64_C(1) << 40)

Test(data, simple_message)
{
	size_t	 n;

	cr_assert_eq(data1(S("Subject: x\r\n\r\nbody\r\n.\r\n"), BIG, &n),
	    SMTP_DATA_DONE);
	cr_assert_eq(n, 23);
	expect_out(S("Subject: x\r\n\r\nbody\r\n"));
	cr_assert_eq(smtp_data_finish(&d, &r), 0);
	cr_assert_eq(d.size, 20);
	cr_assert_eq(d.lines, 3);
	cr_assert_eq(d.eightbit, 0);
	cr_assert_eq(d.fatal, 0);
	cr_assert_eq(d.done, 1);
	/* One batch, not a call per line. */
	cr_assert_eq(sk.calls, 1);
}

Test(data, empty_message)
{
	size_t	 n;

	cr_assert_eq(data1(S(".\r\n"), BIG, &n), SMTP_DATA_DONE);
	cr_assert_eq(n, 3);
	expect_out("", 0);
	cr_assert_eq(sk.calls, 0);
	cr_assert_eq(smtp_data_finish(&d, &r), 0);
	cr_assert_eq(d.size, 0);
	/* An empty line is a line, then the end. */
	setup();
	cr_assert_eq(data1(S("\r\n.\r\n"), BIG, &n), SMTP_DATA_DONE);
	cr_assert_eq(n, 5);
	expect_out(S("\r\n"));
}

Test(data, dot_unstuffing)
{
	size_t	 n;

	cr_assert_eq(data1(S("..a\r\n...\r\n..\r\n.x\r\nb.\r\n. \r\n.\r\n"),
	    BIG, &n), SMTP_DATA_DONE);
	expect_out(S(".a\r\n..\r\n.\r\nx\r\nb.\r\n \r\n"));
	cr_assert_eq(smtp_data_finish(&d, &r), 0);
}

Test(data, dots_not_at_line_start)
{
	size_t	 n;

	cr_assert_eq(data1(S("a.\r\n.\r\n"), BIG, &n), SMTP_DATA_DONE);
	expect_out(S("a.\r\n"));
	setup();
	/* "\r\n.\r\n" inside a line is not split from its CRLF. */
	cr_assert_eq(data1(S("x\r\n.y\r\n.\r\n"), BIG, &n), SMTP_DATA_DONE);
	expect_out(S("x\r\ny\r\n"));
}

Test(data, pipelined_after_end)
{
	static const char	 in[] = "a\r\n.\r\nQUIT\r\n";
	size_t			 n;

	cr_assert_eq(data1(in, sizeof(in) - 1, BIG, &n), SMTP_DATA_DONE);
	cr_assert_eq(n, 6);
	cr_assert_str_eq(in + n, "QUIT\r\n");
	expect_out(S("a\r\n"));
	/* Later feeds consume nothing. */
	cr_assert_eq(feed(S("more"), &n), SMTP_DATA_DONE);
	cr_assert_eq(n, 0);
	expect_out(S("a\r\n"));

	/* Ending exactly at the marker consumes everything. */
	setup();
	cr_assert_eq(data1(S("a\r\n.\r\n"), BIG, &n), SMTP_DATA_DONE);
	cr_assert_eq(n, 6);
	/* A second end marker in the same buffer is the next command's. */
	setup();
	cr_assert_eq(data1(S(".\r\n.\r\n"), BIG, &n), SMTP_DATA_DONE);
	cr_assert_eq(n, 3);
}

Test(data, more)
{
	size_t	 n;

	cr_assert_eq(data1(S("abc\r\n"), BIG, &n), SMTP_DATA_MORE);
	cr_assert_eq(n, 5);
	cr_assert_eq(feed(S(".\r"), &n), SMTP_DATA_MORE);
	cr_assert_eq(n, 2);
	cr_assert_eq(feed("", 0, &n), SMTP_DATA_MORE);
	cr_assert_eq(n, 0);
	cr_assert_eq(feed(S("\nX"), &n), SMTP_DATA_DONE);
	cr_assert_eq(n, 1);
	expect_out(S("abc\r\n"));
}

/*
 * Every form of a smuggled or ambiguous end, and every bare CR or LF,
 * placed after a good line and before what would be a good end.
 */
Test(data, smuggling_is_fatal)
{
	static const struct {
		const char		*in;
		size_t			 len;
		enum smtp_data_error	 e;
	} t[] = {
		{ S("a\r\n\n.\n"), SMTP_DATA_E_BARE_LF },	/* <LF>.<LF> */
		{ S("a\n.\nb\r\n.\r\n"), SMTP_DATA_E_BARE_LF },
		{ S("a\r.\rb\r\n.\r\n"), SMTP_DATA_E_BARE_CR },	/* <CR>.<CR> */
		{ S("a\n.\r\nb\r\n.\r\n"), SMTP_DATA_E_BARE_LF },
		{ S("a\r\n.\nb\r\n.\r\n"), SMTP_DATA_E_BARE_LF },
		{ S("a\r\n.\rb\r\n.\r\n"), SMTP_DATA_E_BARE_CR },
		{ S("a\r.\r\nb\r\n.\r\n"), SMTP_DATA_E_BARE_CR },
		{ S("a\r\n.\r.\r\n"), SMTP_DATA_E_BARE_CR },
		{ S("a\r\n..\n.\r\n"), SMTP_DATA_E_BARE_LF },
		{ S("ab\ncd\r\n.\r\n"), SMTP_DATA_E_BARE_LF },	/* mid-line */
		{ S("ab\rcd\r\n.\r\n"), SMTP_DATA_E_BARE_CR },
		{ S("ab\r\r\n.\r\n"), SMTP_DATA_E_BARE_CR },
		{ S("ab\r\n\n.\r\n"), SMTP_DATA_E_BARE_LF },
		{ S("\n.\r\n"), SMTP_DATA_E_BARE_LF },		/* at start */
		{ S("\r.\r\n"), SMTP_DATA_E_BARE_CR },
		{ S(".\n"), SMTP_DATA_E_BARE_LF },
		{ S(".\rx"), SMTP_DATA_E_BARE_CR },
		{ S(".\r.\r\n"), SMTP_DATA_E_BARE_CR },
		{ S("0123456789abcdef\n.\r\n"), SMTP_DATA_E_BARE_LF },
		{ S("0123456789abcdef\r.\r\n"), SMTP_DATA_E_BARE_CR },
	};
	size_t	 i, n, k;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		setup();
		cr_assert_eq(data1(t[i].in, t[i].len, BIG, &n),
		    SMTP_DATA_FATAL, "case %zu", i);
		cr_assert_eq(d.fatal, 1);
		cr_assert_eq(d.error, t[i].e, "case %zu", i);
		expect_reply(521, "5.5.2");
		cr_assert_eq(feed(S(".\r\n"), &n), SMTP_DATA_FATAL);
		cr_assert_eq(n, 0);

		/* Byte by byte it is the same verdict. */
		setup();
		smtp_data_init(&d, SMTP_DATA_DOT, BIG, sink_out, &sk);
		for (k = 0; k < t[i].len; k++)
			if (feed(t[i].in + k, 1, &n) != SMTP_DATA_MORE)
				break;
		cr_assert_lt(k, t[i].len, "case %zu", i);
		cr_assert_eq(d.fatal, 1, "case %zu", i);
		cr_assert_eq(d.error, t[i].e, "case %zu", i);
	}
}

/* Feed "in" in the given pieces; check output and where the end was. */
static void
split_check(const char *in, size_t len, const char *want, size_t wantlen,
    size_t endpos, const size_t *cuts, size_t ncuts)
{
	enum smtp_data_status	 st = SMTP_DATA_MORE;
	size_t			 pos = 0, i, n, next;

	setup();
	smtp_data_init(&d, SMTP_DATA_DOT, BIG, sink_out, &sk);
	for (i = 0; i <= ncuts && st == SMTP_DATA_MORE; i++) {
		next = i < ncuts ? cuts[i] : len;
		st = feed(in + pos, next - pos, &n);
		if (st == SMTP_DATA_MORE)
			cr_assert_eq(n, next - pos);
		pos += n;
	}
	cr_assert_eq(st, SMTP_DATA_DONE);
	cr_assert_eq(pos, endpos, "end at %zu, wanted %zu", pos, endpos);
	expect_out(want, wantlen);
	cr_assert_eq(smtp_data_finish(&d, &r), 0);
}

static const char	 split_in[] =
    "From: a@b.example\r\n"
    "\r\n"
    "..leading dot\r\n"
    "...\r\n"
    ".\x01x\r\n"
    "caf\xc3\xa9 \r\n"
    "a.\r\n"
    "..\r\n"
    "\r\n"
    ".\r\n"
    "RSET\r\n";
static const char	 split_out[] =
    "From: a@b.example\r\n"
    "\r\n"
    ".leading dot\r\n"
    "..\r\n"
    "\x01x\r\n"
    "caf\xc3\xa9 \r\n"
    "a.\r\n"
    ".\r\n"
    "\r\n";
#define SPLIT_END	(sizeof(split_in) - 1 - 6)

Test(data, split_everywhere)
{
	size_t	 len = sizeof(split_in) - 1, cuts[SPLIT_END + 8], k, j;

	/* In one piece. */
	split_check(split_in, len, S(split_out), SPLIT_END, NULL, 0);
	cr_assert_eq(d.eightbit, 1);
	/* Cut in two at every position. */
	for (k = 0; k <= len; k++) {
		cuts[0] = k;
		split_check(split_in, len, S(split_out), SPLIT_END, cuts, 1);
	}
	/* Cut in three at every pair of positions around the dots. */
	for (k = 0; k <= len; k++)
		for (j = k; j <= len && j < k + 8; j++) {
			cuts[0] = k;
			cuts[1] = j;
			split_check(split_in, len, S(split_out), SPLIT_END,
			    cuts, 2);
		}
	/* One byte at a time. */
	for (k = 0; k < len; k++)
		cuts[k] = k + 1;
	split_check(split_in, len, S(split_out), SPLIT_END, cuts, len - 1);
}

Test(data, batching)
{
	char	*msg;
	size_t	 n, i, len = 1 << 20;

	/* 1 MiB of 78-character lines, no dots: one sink call. */
	msg = malloc(len + 3);
	cr_assert_not_null(msg);
	for (i = 0; i < len; i++)
		msg[i] = (i % 80 == 78) ? '\r' : (i % 80 == 79) ? '\n' :
		    'a' + i % 26;
	msg[len - 2] = '\r';
	msg[len - 1] = '\n';
	memcpy(msg + len, ".\r\n", 3);
	cr_assert_eq(data1(msg, len + 3, BIG, &n), SMTP_DATA_DONE);
	cr_assert_eq(n, len + 3);
	cr_assert_eq(sk.calls, 1);
	expect_out(msg, len);
	cr_assert_eq(smtp_data_finish(&d, &r), 0);
	free(msg);
}

/* A line of n octets (after unstuffing if stuffed), then the end. */
static char *
long_line(size_t n, int stuffed, size_t *lenp)
{
	char	*s;
	size_t	 o = 0;

	s = malloc(n + 8);
	cr_assert_not_null(s);
	if (stuffed) {
		s[o++] = '.';
		s[o++] = '.';
		n--;
	}
	memset(s + o, 'x', n);
	o += n;
	memcpy(s + o, "\r\n.\r\n", 5);
	*lenp = o + 5;
	return s;
}

Test(data, line_length)
{
	char	*s;
	size_t	 len, n, i;

	s = long_line(SMTP_DATA_LINE_MAX, 0, &len);
	cr_assert_eq(data1(s, len, BIG, &n), SMTP_DATA_DONE);
	cr_assert_eq(smtp_data_finish(&d, &r), 0);
	free(s);

	setup();
	s = long_line(SMTP_DATA_LINE_MAX + 1, 0, &len);
	cr_assert_eq(data1(s, len, BIG, &n), SMTP_DATA_DONE);
	cr_assert_eq(n, len);
	expect_reply(500, "5.5.6");
	free(s);

	/* The stuffed dot does not count (RFC 5321 4.5.3.1.6). */
	setup();
	s = long_line(SMTP_DATA_LINE_MAX, 1, &len);
	cr_assert_eq(len, SMTP_DATA_LINE_MAX + 1 + 5);
	cr_assert_eq(data1(s, len, BIG, &n), SMTP_DATA_DONE);
	cr_assert_eq(smtp_data_finish(&d, &r), 0);
	cr_assert_eq(sk.len, SMTP_DATA_LINE_MAX + 2);
	free(s);

	setup();
	s = long_line(SMTP_DATA_LINE_MAX + 1, 1, &len);
	cr_assert_eq(data1(s, len, BIG, &n), SMTP_DATA_DONE);
	expect_reply(500, "5.5.6");
	free(s);

	/* Across feeds the count goes on. */
	setup();
	s = long_line(SMTP_DATA_LINE_MAX + 1, 0, &len);
	smtp_data_init(&d, SMTP_DATA_DOT, BIG, sink_out, &sk);
	cr_assert_eq(feed(s, 500, &n), SMTP_DATA_MORE);
	cr_assert_eq(feed(s + 500, len - 500, &n), SMTP_DATA_DONE);
	expect_reply(500, "5.5.6");
	free(s);

	/* Many lines of exactly the limit are fine. */
	setup();
	s = long_line(SMTP_DATA_LINE_MAX, 0, &len);
	smtp_data_init(&d, SMTP_DATA_DOT, BIG, sink_out, &sk);
	for (i = 0; i < 3; i++) {
		cr_assert_eq(feed(s, len - 3, &n), SMTP_DATA_MORE);
		cr_assert_eq(n, len - 3);
	}
	cr_assert_eq(feed(S(".\r\n"), &n), SMTP_DATA_DONE);
	cr_assert_eq(smtp_data_finish(&d, &r), 0);
	cr_assert_eq(d.lines, 3);
	free(s);
}

Test(data, size_limit)
{
	size_t	 n;

	/* "abc\r\n" is 5 octets: max 5 passes, max 4 does not. */
	cr_assert_eq(data1(S("abc\r\n.\r\n"), 5, &n), SMTP_DATA_DONE);
	cr_assert_eq(smtp_data_finish(&d, &r), 0);
	expect_out(S("abc\r\n"));

	setup();
	cr_assert_eq(data1(S("abc\r\n.\r\n"), 4, &n), SMTP_DATA_DONE);
	cr_assert_eq(n, 8);
	expect_reply(552, "5.3.4");
	cr_assert_leq(sk.len, 4);
	cr_assert_eq(d.size, 5);

	/* Stuffed dots do not count toward the size. */
	setup();
	cr_assert_eq(data1(S("..\r\n.\r\n"), 3, &n), SMTP_DATA_DONE);
	cr_assert_eq(smtp_data_finish(&d, &r), 0);

	/* Once over, nothing more is written, but the end is found. */
	setup();
	smtp_data_init(&d, SMTP_DATA_DOT, 10, sink_out, &sk);
	cr_assert_eq(feed(S("0123456789"), &n), SMTP_DATA_MORE);
	cr_assert_eq(sk.len, 10);
	cr_assert_eq(feed(S("\r\n"), &n), SMTP_DATA_MORE);
	cr_assert_eq(feed(S("more\r\n"), &n), SMTP_DATA_MORE);
	cr_assert_eq(feed(S(".\r\nNOOP\r\n"), &n), SMTP_DATA_DONE);
	cr_assert_eq(n, 3);
	cr_assert_eq(sk.len, 10);
	cr_assert_eq(d.size, 18);
	expect_reply(552, "5.3.4");

	/* A limit of 0 allows only the empty message. */
	setup();
	cr_assert_eq(data1(S(".\r\n"), 0, &n), SMTP_DATA_DONE);
	cr_assert_eq(smtp_data_finish(&d, &r), 0);
}

Test(data, nul)
{
	size_t	 n;

	cr_assert_eq(data1("a\0b\r\n.\r\n", 8, BIG, &n), SMTP_DATA_DONE);
	cr_assert_eq(n, 8);
	expect_reply(554, "5.6.0");
	setup();
	cr_assert_eq(data1("\0\r\n.\r\n", 6, BIG, &n), SMTP_DATA_DONE);
	expect_reply(554, "5.6.0");
	setup();
	cr_assert_eq(data1(".\0\r\n.\r\n", 7, BIG, &n), SMTP_DATA_DONE);
	expect_reply(554, "5.6.0");
	/* The first fault is the one reported. */
	setup();
	cr_assert_eq(data1("a\0b\r\n.\r\n", 8, 2, &n), SMTP_DATA_DONE);
	expect_reply(554, "5.6.0");
}

Test(data, eightbit)
{
	size_t	 n, i;
	char	 buf[64];

	cr_assert_eq(data1(S("plain ascii text, long enough\r\n.\r\n"), BIG,
	    &n), SMTP_DATA_DONE);
	cr_assert_eq(d.eightbit, 0);
	/* At every position of a line, word-aligned or not. */
	for (i = 0; i < 40; i++) {
		setup();
		memset(buf, 'a', 40);
		buf[i] = (char)0x80;
		memcpy(buf + 40, "\r\n.\r\n", 5);
		cr_assert_eq(data1(buf, 45, BIG, &n), SMTP_DATA_DONE);
		cr_assert_eq(d.eightbit, 1, "at %zu", i);
		cr_assert_eq(smtp_data_finish(&d, &r), 0);
	}
	/* After a stuffed dot too. */
	setup();
	cr_assert_eq(data1(S(".\xff\r\n.\r\n"), BIG, &n), SMTP_DATA_DONE);
	cr_assert_eq(d.eightbit, 1);
	expect_out(S("\xff\r\n"));
}

Test(data, failing_sink)
{
	size_t	 n;

	sk.fail = 1;
	cr_assert_eq(data1(S("abc\r\n..x\r\n.\r\n"), BIG, &n), SMTP_DATA_DONE);
	cr_assert_eq(n, 13);
	cr_assert_eq(sk.calls, 1, "no more writes after a failure");
	expect_reply(451, "4.3.0");
}

Test(data, finish_before_end)
{
	size_t	 n;

	cr_assert_eq(data1(S("abc\r\n"), BIG, &n), SMTP_DATA_MORE);
	expect_reply(451, "4.3.0");
}

/* ---------------------------------------------------------------- BDAT */

static void
bdat_start(uint64_t max)
{
	smtp_data_init(&d, SMTP_DATA_BDAT, max, sink_out, &sk);
}

static void
bdat_chunk(const char *s, size_t len)
{
	size_t	 n;

	cr_assert_eq(feed(s, len, &n), SMTP_DATA_MORE);
	cr_assert_eq(n, len);
}

Test(bdat, chunks)
{
	bdat_start(BIG);
	bdat_chunk(S("Subject: x\r"));
	bdat_chunk(S("\n\r\n..not stuffed\r\n.\r\n"));
	bdat_chunk("", 0);
	bdat_chunk(S("end\r\n"));
	cr_assert_eq(smtp_data_finish(&d, &r), 0);
	expect_out(S("Subject: x\r\n\r\n..not stuffed\r\n.\r\nend\r\n"));
	cr_assert_eq(d.lines, 5);
	cr_assert_eq(d.size, sk.len);
}

Test(bdat, empty_and_unterminated)
{
	bdat_start(BIG);
	cr_assert_eq(smtp_data_finish(&d, &r), 0);
	expect_out("", 0);

	setup();
	bdat_start(BIG);
	bdat_chunk(S("abc\r\nno newline"));
	cr_assert_eq(smtp_data_finish(&d, &r), 0);
	expect_out(S("abc\r\nno newline\r\n"));
	cr_assert_eq(d.size, 17);

	/* The added CRLF counts toward the size. */
	setup();
	bdat_start(3);
	bdat_chunk(S("abc"));
	expect_reply(552, "5.3.4");
}

Test(bdat, bare_cr_lf_are_refusals)
{
	static const struct {
		const char	*in;
		size_t		 len;
	} t[] = {
		{ S("a\nb\r\n") }, { S("a\rb\r\n") }, { S("a\r\n.\n") },
		{ S("a\r\r\n") }, { S("\n") }, { S("abc\r") },
	};
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		setup();
		bdat_start(BIG);
		bdat_chunk(t[i].in, t[i].len);
		bdat_chunk(S("more\r\n"));
		cr_assert_eq(d.fatal, 0);
		expect_reply(550, "5.6.0");
	}
	/* A CR at the very end of the last chunk. */
	setup();
	bdat_start(BIG);
	bdat_chunk(S("abc\r"));
	expect_reply(550, "5.6.0");
}

Test(bdat, limits_across_chunks)
{
	char	 buf[SMTP_DATA_LINE_MAX + 1];

	memset(buf, 'x', sizeof(buf));
	bdat_start(BIG);
	bdat_chunk(buf, 500);
	bdat_chunk(buf, SMTP_DATA_LINE_MAX - 500);
	bdat_chunk(S("\r\n"));
	cr_assert_eq(smtp_data_finish(&d, &r), 0);

	setup();
	bdat_start(BIG);
	bdat_chunk(buf, 500);
	bdat_chunk(buf, SMTP_DATA_LINE_MAX + 1 - 500);
	bdat_chunk(S("\r\n"));
	expect_reply(500, "5.5.6");

	/* An unterminated last line over the limit. */
	setup();
	bdat_start(BIG);
	bdat_chunk(buf, SMTP_DATA_LINE_MAX + 1);
	expect_reply(500, "5.5.6");

	setup();
	bdat_start(10);
	bdat_chunk(S("01234"));
	bdat_chunk(S("567\r\n"));
	cr_assert_eq(smtp_data_finish(&d, &r), 0);

	setup();
	bdat_start(10);
	bdat_chunk(S("01234"));
	bdat_chunk(S("5678\r\n"));
	bdat_chunk(S("x\r\n"));
	expect_reply(552, "5.3.4");
	cr_assert_eq(sk.len, 5);
	cr_assert_eq(d.size, 14);

	setup();
	bdat_start(BIG);
	bdat_chunk("a\0\r\n", 4);
	expect_reply(554, "5.6.0");

	setup();
	bdat_start(BIG);
	bdat_chunk(S("caf\xc3"));
	bdat_chunk(S("\xa9\r\n"));
	cr_assert_eq(smtp_data_finish(&d, &r), 0);
	cr_assert_eq(d.eightbit, 1);
}

/* smtp-max-line-length: a 1500-octet line is refused by default and
 * accepted once the limit is raised. */
Test(data, configured_line_max)
{
	char	*s;
	size_t	 len, n;

	s = long_line(1500, 0, &len);
	cr_assert_eq(data1(s, len, BIG, &n), SMTP_DATA_DONE);
	expect_reply(500, "5.5.6");

	setup();
	smtp_data_init(&d, SMTP_DATA_DOT, BIG, sink_out, &sk);
	smtp_data_set_line_max(&d, 2000);
	cr_assert_eq(feed(s, len, &n), SMTP_DATA_DONE);
	cr_assert_eq(smtp_data_finish(&d, &r), 0);
	free(s);
}
