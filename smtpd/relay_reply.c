/*
 * relay_reply: the relay client's pure parts.  It reads the relay's reply
 * lines (RFC 5321 4.2: a three-digit code, '-' on every line but the
 * last, the same code throughout), picks the EHLO capabilities out of
 * them, and turns a reply into the result smtpd passes upstream.  The
 * relay is a peer like any other: every line is checked and bounded, and
 * text that goes upstream is made printable first, so a hostile or broken
 * relay can neither crash us nor forge a line in Postfix's conversation.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smtpd/relay_internal.h"

/* Text for upstream is cut at RELAY_RESULT_TEXT_MAX on purpose. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

/* The longest enhanced status code: "5.999.999". */
#define RELAY_ENH_MAX	9

static int
relay_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * RFC 3463: class "." subject "." detail, 1-3 digits each, the class
 * matching the reply code's first digit.  Returns its length or 0.
 */
static size_t
relay_enhanced_len(const char *p, size_t len, int code)
{
	size_t	 i = 0, n;
	int	 part;

	if (len < 5 || p[0] != '0' + code / 100 || p[1] != '.')
		return 0;
	i = 2;
	for (part = 0; part < 2; part++) {
		for (n = 0; i < len && relay_is_digit(p[i]) && n < 3; i++)
			n++;
		if (n == 0)
			return 0;
		if (part == 0) {
			if (i >= len || p[i] != '.')
				return 0;
			i++;
		}
	}
	if (i < len && p[i] != ' ')
		return 0;
	return i;
}

/* Copy text for upstream: printable ASCII only, bounded. */
static void
relay_copy_text(char *dst, size_t dstsz, const char *src, size_t len)
{
	size_t	 i;

	if (len > dstsz - 1)
		len = dstsz - 1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	dst[len] = '\0';
}

/*
 * Add one line (without its CRLF) to the reply.  Returns RELAY_REPLY_MORE
 * when more lines follow, RELAY_REPLY_DONE on the last one, -1 with a
 * reason on a malformed line.
 */
int
relay_reply_line(struct relay_reply *rep, const char *line, size_t len,
    const char **why)
{
	size_t	 n;
	int	 code, more;

	if (len + 2 > RELAY_LINE_MAX) {
		*why = "reply line too long";
		return -1;
	}
	if (len < 3 || line[0] < '2' || line[0] > '5' ||
	    line[1] < '0' || line[1] > '5' || !relay_is_digit(line[2])) {
		*why = "malformed reply code";
		return -1;
	}
	if (len > 3 && line[3] != ' ' && line[3] != '-') {
		*why = "malformed reply line";
		return -1;
	}
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	more = len > 3 && line[3] == '-';
	if (rep->nlines >= RELAY_REPLY_MAX_LINES) {
		*why = "too many reply lines";
		return -1;
	}
	if (rep->nlines++ > 0) {
		if (code != rep->code) {
			*why = "reply code changed within a reply";
			return -1;
		}
		return more ? RELAY_REPLY_MORE : RELAY_REPLY_DONE;
	}

	rep->code = code;
	rep->enhanced[0] = '\0';
	line += len > 3 ? 4 : 3;
	len -= len > 3 ? 4 : 3;
	if ((n = relay_enhanced_len(line, len, code)) > 0 &&
	    n <= RELAY_ENH_MAX) {
		memcpy(rep->enhanced, line, n);
		rep->enhanced[n] = '\0';
		line += n;
		len -= n;
	}
	while (len > 0 && *line == ' ') {
		line++;
		len--;
	}
	relay_copy_text(rep->text, sizeof(rep->text), line, len);
	return more ? RELAY_REPLY_MORE : RELAY_REPLY_DONE;
}

static const struct {
	const char	*name;
	unsigned	 flag;
} relay_cap_names[] = {
	{ "PIPELINING",		RELAY_CAP_PIPELINING },
	{ "SIZE",		RELAY_CAP_SIZE },
	{ "8BITMIME",		RELAY_CAP_8BITMIME },
	{ "SMTPUTF8",		RELAY_CAP_SMTPUTF8 },
	{ "DSN",		RELAY_CAP_DSN },
	{ "STARTTLS",		RELAY_CAP_STARTTLS },
	{ "XFORWARD",		RELAY_CAP_XFORWARD },
	{ "ENHANCEDSTATUSCODES", RELAY_CAP_ENHANCED },
	{ "CHUNKING",		RELAY_CAP_CHUNKING },
};

static const struct {
	const char	*name;
	unsigned	 flag;
} relay_xf_names[] = {
	{ "NAME",	RELAY_XF_NAME },
	{ "ADDR",	RELAY_XF_ADDR },
	{ "PORT",	RELAY_XF_PORT },
	{ "PROTO",	RELAY_XF_PROTO },
	{ "HELO",	RELAY_XF_HELO },
	{ "IDENT",	RELAY_XF_IDENT },
	{ "SOURCE",	RELAY_XF_SOURCE },
};

#define RELAY_NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* The RELAY_XF_* bit of an attribute name, 0 if unknown. */
unsigned
relay_xforward_attr(const char *p, size_t len)
{
	size_t	 i;

	for (i = 0; i < RELAY_NELEM(relay_xf_names); i++)
		if (strlen(relay_xf_names[i].name) == len &&
		    strncasecmp(relay_xf_names[i].name, p, len) == 0)
			return relay_xf_names[i].flag;
	return 0;
}

/* Next space-separated word of p[0..len) from *i; its length, 0 at end. */
static size_t
relay_next_word(const char *p, size_t len, size_t *i, const char **w)
{
	size_t	 start;

	while (*i < len && p[*i] == ' ')
		(*i)++;
	start = *i;
	while (*i < len && p[*i] != ' ')
		(*i)++;
	*w = p + start;
	return *i - start;
}

/*
 * One line of an EHLO reply after its "250-" (the first line, the
 * relay's name, is not passed here).  Unknown keywords and malformed
 * parameters are ignored: they only mean we use less of the relay.
 */
void
relay_caps_line(struct relay_caps *caps, const char *p, size_t len)
{
	const char	*w;
	size_t		 i = 0, n, k;
	unsigned	 flag = 0;
	uint64_t	 v;

	if ((n = relay_next_word(p, len, &i, &w)) == 0)
		return;
	for (k = 0; k < RELAY_NELEM(relay_cap_names); k++)
		if (strlen(relay_cap_names[k].name) == n &&
		    strncasecmp(relay_cap_names[k].name, w, n) == 0)
			flag = relay_cap_names[k].flag;
	caps->flags |= flag;

	if (flag == RELAY_CAP_SIZE) {
		caps->size_max = 0;
		if ((n = relay_next_word(p, len, &i, &w)) == 0)
			return;
		for (v = 0, k = 0; k < n; k++) {
			if (!relay_is_digit(w[k]) ||
			    v > (UINT64_MAX - 9) / 10)
				return;	/* no usable limit */
			v = v * 10 + (uint64_t)(w[k] - '0');
		}
		caps->size_max = v;
	} else if (flag == RELAY_CAP_XFORWARD) {
		while ((n = relay_next_word(p, len, &i, &w)) > 0)
			caps->xforward |= relay_xforward_attr(w, n);
	}
}

void
relay_result_local(struct relay_result *res, int code, const char *enh,
    const char *fmt, ...)
{
	va_list	 ap;

	memset(res, 0, sizeof(*res));
	res->accepted = 0;
	res->reply.code = code;
	(void)snprintf(res->reply.enhanced, sizeof(res->reply.enhanced), "%s",
	    enh);
	va_start(ap, fmt);
	(void)vsnprintf(res->reply.text, RELAY_RESULT_TEXT_MAX, fmt, ap);
	va_end(ap);
}

/* The relay's enhanced code, or "C.0.0" (RFC 3463: other or undefined)
 * for its class when it gave none. */
static void
relay_result_enhanced(struct relay_result *res, const struct relay_reply *rep,
    int class)
{
	if (rep->enhanced[0] != '\0')
		(void)snprintf(res->reply.enhanced, sizeof(res->reply.enhanced),
		    "%s", rep->enhanced);
	else
		(void)snprintf(res->reply.enhanced, sizeof(res->reply.enhanced),
		    "%d.0.0", class);
	res->reply.enhanced[0] = (char)('0' + class);
}

/*
 * A 4xx or 5xx from the relay about this message, passed upstream.  A 421
 * becomes 451: it means the relay is closing its connection, but upstream
 * a 421 would claim that smtpd closes Postfix's.
 */
void
relay_result_relay(struct relay_result *res, const struct relay_reply *rep)
{
	memset(res, 0, sizeof(*res));
	res->reply.code = rep->code == 421 ? 451 : rep->code;
	relay_result_enhanced(res, rep, res->reply.code / 100);
	(void)snprintf(res->reply.text, RELAY_RESULT_TEXT_MAX,
	    "relay said: %s", rep->text);
}

/*
 * The relay refused the session itself (greeting, EHLO, STARTTLS): that
 * says something about the relay or our configuration, not about this
 * message, so it is always temporary whatever the relay's code.
 */
void
relay_result_session(struct relay_result *res, const struct relay_reply *rep,
    const char *name, const char *what)
{
	memset(res, 0, sizeof(*res));
	res->reply.code = 451;
	if (rep->enhanced[0] != '\0')
		relay_result_enhanced(res, rep, 4);
	else
		(void)snprintf(res->reply.enhanced, sizeof(res->reply.enhanced),
		    "4.4.0");
	(void)snprintf(res->reply.text, RELAY_RESULT_TEXT_MAX,
	    "relay %s refused %s: %d %s", name, what, rep->code, rep->text);
}

void
relay_result_accepted(struct relay_result *res, const struct relay_reply *rep)
{
	memset(res, 0, sizeof(*res));
	res->accepted = 1;
	res->reply.code = 250;
	relay_result_enhanced(res, rep, 2);
	(void)snprintf(res->reply.text, RELAY_RESULT_TEXT_MAX,
	    "relay said: %s", rep->text);
}
