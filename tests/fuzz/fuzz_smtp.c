/*
 * libFuzzer target for smtpd's parsing layer: what a hostile client sends
 * on the SMTP port.  The input is cut into lines that go through the
 * command check and the parser for their verb, and the whole input is
 * also fed to the DATA and BDAT scanners in chunks of random sizes.
 * Besides the sanitizers, the target checks promises of its own: every
 * refusal carries a 4xx/5xx reply with an enhanced code; whatever MAIL,
 * RCPT or XFORWARD accepts, the relay's formatters write back in a form
 * that parses to the same envelope; the DATA scanner agrees with a
 * byte-at-a-time reference decoder on the status, the end and the
 * output, whatever the chunking; BDAT passes bytes through unchanged.
 * The parsers are not in any library the Makefile links, so their
 * sources are compiled in here.
 *
 * Input layout: byte 0 is the parser's SMTP_PARSE_* flags and the relay's
 * offers (bits 3-6), byte 1 seeds the chunk sizes, byte 2 picks the
 * size limit of the scanner's limit run; the rest is the traffic.
 */
#include "smtpd/smtp_parse.c"
#include "smtpd/smtp_data.c"

#include <stdlib.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_HDR	3
/* Lines longer than a command are still tried, to hit the refusal. */
#define FUZZ_LINE_MAX	(SMTP_LINE_MAX + 16)
/* Largest random chunk: small, so that cuts land inside markers. */
#define FUZZ_MAXCHUNK	64
/* Room for every XFORWARD line the formatter may write. */
#define FUZZ_XFBUF	(4 * (SMTP_LINE_MAX + 2) + 1)

/* A sink into a buffer the size of the input (it can never need more,
 * plus the CRLF BDAT may add). */
struct fuzz_sink {
	uint8_t	*buf;
	size_t	 len;
	size_t	 cap;
};

static int
fuzz_sink_out(void *arg, const void *buf, size_t len)
{
	struct fuzz_sink	*s = arg;

	if (len == 0 || len > s->cap - s->len)
		abort();
	memcpy(s->buf + s->len, buf, len);
	s->len += len;
	return 0;
}

static void
fuzz_check_reply(const struct smtp_reply *r)
{
	if (r->code < 400 || r->code > 599 || r->enhanced[0] == '\0' ||
	    r->enhanced[0] != '0' + r->code / 100 || r->text[0] == '\0' ||
	    strchr(r->text, '\r') != NULL || strchr(r->text, '\n') != NULL)
		abort();
}

static uint32_t
fuzz_rand(uint32_t *s)
{
	/* xorshift32: any nonzero state */
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* MAIL as the relay would send it must parse back to the same values. */
static void
fuzz_mail_roundtrip(const struct envelope *env, int flags)
{
	struct smtp_command	*c;
	struct smtp_reply	 r;
	struct envelope		 e2;
	char			 params[SMTP_LINE_MAX], line[2 * SMTP_LINE_MAX];
	int			 n;

	if (smtp_format_mail_params(env, env->size, 1, 1, 1, params,
	    sizeof(params)) < 0)
		abort();
	n = snprintf(line, sizeof(line), "MAIL FROM:<%s>%s", env->mail_from,
	    params);
	if (n < 0 || (size_t)n >= sizeof(line))
		abort();
	if ((size_t)n > SMTP_LINE_MAX)
		return;		/* a path near 256 with every parameter */
	if ((c = malloc(sizeof(*c))) == NULL)
		abort();
	memset(&e2, 0, sizeof(e2));
	flags &= ~SMTP_PARSE_HELO;
	if (env->smtputf8)
		flags |= SMTP_PARSE_UTF8_OFFERED;
	if (smtp_parse_command(line, n, flags, c, &r) == -1 ||
	    smtp_parse_mail(c, flags, &e2, &r) == -1)
		abort();
	if (strcmp(e2.mail_from, env->mail_from) != 0 ||
	    e2.body != env->body || e2.smtputf8 != env->smtputf8 ||
	    e2.ret != env->ret || strcmp(e2.envid, env->envid) != 0 ||
	    e2.size != env->size)
		abort();
	free(c);
}

static void
fuzz_rcpt_roundtrip(const struct envelope_rcpt *rc, int flags)
{
	struct smtp_command	*c;
	struct smtp_reply	 r;
	struct envelope_rcpt	 r2;
	char			 params[SMTP_LINE_MAX + SMTP_ORCPT_MAX];
	char			 line[2 * SMTP_LINE_MAX + SMTP_ORCPT_MAX];
	int			 n;

	if (smtp_format_rcpt_params(rc, 1, params, sizeof(params)) < 0)
		abort();
	n = snprintf(line, sizeof(line), "RCPT TO:<%s>%s", rc->addr, params);
	if (n < 0 || (size_t)n >= sizeof(line))
		abort();
	if ((size_t)n > SMTP_LINE_MAX)
		return;
	if ((c = malloc(sizeof(*c))) == NULL)
		abort();
	memset(&r2, 0, sizeof(r2));
	flags &= ~SMTP_PARSE_HELO;
	if (smtp_parse_command(line, n, flags, c, &r) == -1 ||
	    smtp_parse_rcpt(c, flags, &r2, &r) == -1)
		abort();
	if (strcmp(r2.addr, rc->addr) != 0 || strcmp(r2.orcpt,
	    rc->orcpt) != 0 || r2.notify != rc->notify)
		abort();
	free(c);
}

/* Every XFORWARD line the relay would send is one the parser accepts. */
static void
fuzz_xforward_roundtrip(const struct envelope *env, unsigned int offered)
{
	struct smtp_command	*c;
	struct smtp_reply	 r;
	struct envelope		*e2;
	char			*buf, *p, *e;
	int			 n;

	if ((buf = malloc(FUZZ_XFBUF)) == NULL ||
	    (c = malloc(sizeof(*c))) == NULL ||
	    (e2 = calloc(1, sizeof(*e2))) == NULL)
		abort();
	if ((n = smtp_format_xforward(env, offered, buf, FUZZ_XFBUF)) < 0 ||
	    (size_t)n != strlen(buf))
		abort();
	for (p = buf; *p != '\0'; p = e + 2) {
		if ((e = strstr(p, "\r\n")) == NULL ||
		    e - p > SMTP_LINE_MAX ||
		    smtp_parse_command(p, e - p, 0, c, &r) == -1 ||
		    c->verb != SMTP_CMD_XFORWARD ||
		    smtp_parse_xforward(c, e2, &r) == -1)
			abort();
	}
	free(e2);
	free(c);
	free(buf);
}

static void
fuzz_line(const uint8_t *line, size_t len, int flags, unsigned int offers,
    struct envelope *env, struct envelope_rcpt *rc)
{
	struct smtp_command	*c;
	struct smtp_reply	 r;
	struct smtp_bdat	 b;
	char			 out[SMTP_PATH_MAX + 1];
	char			 enc[3 * FUZZ_LINE_MAX + 1];
	char			 dec[FUZZ_LINE_MAX + 1];
	int			 n;

	/* Building blocks on the raw line. */
	(void)utf8_valid(line, len);
	(void)smtp_parse_xtext_valid((const char *)line, len);
	(void)smtp_parse_domain((const char *)line, len, flags & 1);
	(void)smtp_parse_xforward_offer((const char *)line, len);
	if (smtp_parse_path((const char *)line, len, flags & 7, out,
	    sizeof(out), &r) == 0) {
		if (strlen(out) + 2 > len)
			abort();
	} else
		fuzz_check_reply(&r);
	if ((n = smtp_xtext_encode(line, len, enc, sizeof(enc))) < 0 ||
	    smtp_xtext_decode(enc, n, dec, sizeof(dec)) != (int)len ||
	    memcmp(dec, line, len) != 0)
		abort();

	if ((c = malloc(sizeof(*c))) == NULL)
		abort();
	if (smtp_parse_command(line, len, flags, c, &r) == -1) {
		fuzz_check_reply(&r);
		free(c);
		return;
	}
	if (c->argslen > SMTP_LINE_MAX || strlen(c->args) != c->argslen)
		abort();
	switch (c->verb) {
	case SMTP_CMD_HELO:
	case SMTP_CMD_EHLO:
	case SMTP_CMD_LHLO:
		if (smtp_parse_helo(c, out, sizeof(out), &r) == -1)
			fuzz_check_reply(&r);
		else if (strlen(out) != c->argslen)
			abort();
		break;
	case SMTP_CMD_MAIL:
		if (smtp_parse_mail(c, flags, env, &r) == -1)
			fuzz_check_reply(&r);
		else
			fuzz_mail_roundtrip(env, flags);
		break;
	case SMTP_CMD_RCPT:
		if (smtp_parse_rcpt(c, flags, rc, &r) == -1)
			fuzz_check_reply(&r);
		else
			fuzz_rcpt_roundtrip(rc, flags);
		break;
	case SMTP_CMD_BDAT:
		if (smtp_parse_bdat(c, (uint64_t)offers << 8, &b, &r) == -1) {
			fuzz_check_reply(&r);
			if (r.code == 552 && (!b.size_known ||
			    b.size <= (uint64_t)offers << 8))
				abort();
		} else if (b.size > (uint64_t)offers << 8 || !b.size_known)
			abort();
		break;
	case SMTP_CMD_XFORWARD:
		if (smtp_parse_xforward(c, env, &r) == -1)
			fuzz_check_reply(&r);
		else if (strlen(env->xforward) > SMTP_XFORWARD_MAX)
			abort();
		fuzz_xforward_roundtrip(env, offers | (offers >> 1));
		break;
	default:
		break;
	}
	free(c);
}

/*
 * The reference: RFC 5321 4.5.2 one byte at a time, with the same
 * refusal of bare CR and LF.  Returns the status; *endp and the output
 * are meaningful for DONE and MORE.
 */
static enum smtp_data_status
fuzz_ref(const uint8_t *in, size_t n, uint8_t *out, size_t *outlen,
    size_t *endp)
{
	size_t	 i = 0, o = 0;
	int	 bol = 1;

	*outlen = 0;
	while (i < n) {
		if (bol && in[i] == '.') {
			if (i + 1 == n)
				break;
			if (in[i + 1] == '\r') {
				if (i + 2 == n)
					break;
				if (in[i + 2] != '\n')
					return SMTP_DATA_FATAL;
				*outlen = o;
				*endp = i + 3;
				return SMTP_DATA_DONE;
			}
			if (in[i + 1] == '\n')
				return SMTP_DATA_FATAL;
			i++;
		}
		bol = 0;
		if (in[i] == '\n')
			return SMTP_DATA_FATAL;
		if (in[i] == '\r') {
			out[o++] = '\r';
			if (i + 1 == n) {
				i++;
				break;
			}
			if (in[i + 1] != '\n')
				return SMTP_DATA_FATAL;
			out[o++] = '\n';
			i += 2;
			bol = 1;
			continue;
		}
		out[o++] = in[i++];
	}
	*outlen = o;
	*endp = n;
	return SMTP_DATA_MORE;
}

/* Feed in[0..n) in random chunks; returns the status, *endp the end. */
static enum smtp_data_status
fuzz_scan(struct smtp_data *d, const uint8_t *in, size_t n, uint32_t seed,
    size_t *endp)
{
	enum smtp_data_status	 st = SMTP_DATA_MORE;
	size_t			 pos = 0, chunk, used;

	while (pos < n) {
		chunk = 1 + fuzz_rand(&seed) % FUZZ_MAXCHUNK;
		if (fuzz_rand(&seed) % 8 == 0)
			chunk = n - pos;
		if (chunk > n - pos)
			chunk = n - pos;
		st = smtp_data_feed(d, in + pos, chunk, &used);
		if (used > chunk)
			abort();
		if (st == SMTP_DATA_MORE && used != chunk)
			abort();
		pos += used;
		if (st != SMTP_DATA_MORE)
			break;
	}
	*endp = pos;
	return st;
}

static void
fuzz_data(const uint8_t *in, size_t n, uint32_t seed, uint64_t limit)
{
	struct smtp_data	 d;
	struct smtp_reply	 r;
	struct fuzz_sink	 s1, s2;
	enum smtp_data_status	 st, ref;
	size_t			 end, refend, reflen;
	uint8_t			*refout;

	if ((s1.buf = malloc(n + 2)) == NULL ||
	    (s2.buf = malloc(n + 2)) == NULL ||
	    (refout = malloc(n + 1)) == NULL)
		abort();
	s1.cap = s2.cap = n + 2;
	s1.len = s2.len = 0;

	/* DATA, no limit that matters: must agree with the reference. */
	smtp_data_init(&d, SMTP_DATA_DOT, UINT64_MAX, fuzz_sink_out, &s1);
	st = fuzz_scan(&d, in, n, seed, &end);
	ref = fuzz_ref(in, n, refout, &reflen, &refend);
	if (st != ref)
		abort();
	if (st != SMTP_DATA_FATAL) {
		if (end != refend || s1.len != reflen ||
		    memcmp(s1.buf, refout, reflen) != 0 || d.size != s1.len)
			abort();
	}
	if (st == SMTP_DATA_DONE && (end < 3 || memcmp(in + end - 3, ".\r\n",
	    3) != 0))
		abort();
	if (st != SMTP_DATA_MORE) {
		if (smtp_data_finish(&d, &r) == -1)
			fuzz_check_reply(&r);
		else if (st != SMTP_DATA_DONE || d.error != SMTP_DATA_OK)
			abort();
		if (st == SMTP_DATA_FATAL && r.code != 521)
			abort();
	}

	/* DATA with a small limit: the end is the same, the output bounded. */
	smtp_data_init(&d, SMTP_DATA_DOT, limit, fuzz_sink_out, &s2);
	if (fuzz_scan(&d, in, n, seed ^ 0x5a5a5a5a, &end) != st ||
	    s2.len > limit)
		abort();
	/* Before a fatal byte, how much was flushed depends on the cuts. */
	if (st != SMTP_DATA_FATAL && (end != refend || s2.len > s1.len ||
	    memcmp(s2.buf, s1.buf, s2.len) != 0))
		abort();
	if (st == SMTP_DATA_DONE && smtp_data_finish(&d, &r) == 0 &&
	    d.size > limit)
		abort();

	/* BDAT: the bytes pass unchanged, plus at most a final CRLF. */
	s2.len = 0;
	smtp_data_init(&d, SMTP_DATA_BDAT, UINT64_MAX, fuzz_sink_out, &s2);
	if (fuzz_scan(&d, in, n, seed, &end) != SMTP_DATA_MORE || end != n)
		abort();
	if (smtp_data_finish(&d, &r) == -1)
		fuzz_check_reply(&r);
	if ((s2.len != n && s2.len != n + 2) || memcmp(s2.buf, in, n) != 0 ||
	    (s2.len == n + 2 && memcmp(s2.buf + n, "\r\n", 2) != 0))
		abort();
	if (d.error == SMTP_DATA_OK && n > 0 && (s2.len < 2 ||
	    memcmp(s2.buf + s2.len - 2, "\r\n", 2) != 0))
		abort();

	free(refout);
	free(s2.buf);
	free(s1.buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct envelope		*env;
	struct envelope_rcpt	 rc;
	const uint8_t		*p, *end, *nl;
	size_t			 len;
	int			 flags;
	unsigned int		 offers;
	uint32_t		 seed;

	if (size < FUZZ_HDR)
		return 0;
	flags = data[0] & 7;
	offers = (data[0] >> 3) & SMTP_XF_ALL;
	seed = data[1] | 0x100;
	if ((env = calloc(1, sizeof(*env))) == NULL)
		abort();
	memset(&rc, 0, sizeof(rc));

	end = data + size;
	for (p = data + FUZZ_HDR; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			nl = end;
		len = nl - p;
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (len <= FUZZ_LINE_MAX)
			fuzz_line(p, len, flags, offers, env, &rc);
		if (nl == end)
			break;
	}
	free(env);

	fuzz_data(data + FUZZ_HDR, size - FUZZ_HDR, seed, data[2] * 4);
	return 0;
}
