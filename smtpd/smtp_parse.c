/*
 * smtp_parse: command lines, paths, ESMTP parameters, xtext, XFORWARD and
 * BDAT arguments for smtpd, and the formatters the relay uses to pass
 * parameters on.  The grammar is RFC 5321 4.1 with the extensions we
 * announce: SIZE (RFC 1870), 8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531),
 * DSN (RFC 3461), CHUNKING (RFC 3030) and Postfix's XFORWARD.  It is
 * strict: smtpd sits behind Postfix, which speaks the grammar exactly,
 * and anything a parser forgives here is something the relay's parser
 * might read differently.  The only tolerances are the ones real clients
 * need: blanks at the end of a line, and one space after "FROM:"/"TO:".
 * Every refusal comes back as a struct smtp_reply; nothing here logs.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/utf8.h"
#include "smtpd/smtp_parse.h"

/*
 * An address literal's text between "[" and "]" (after "IPv6:"): the
 * longest IPv6 form with an embedded IPv4 is 45 characters; anything
 * longer is not an address and is refused without copying.
 */
#define SMTP_LITERAL_MAX	64
/*
 * RFC 5890 allows a U-label whose A-label fits 63 octets; in UTF-8 that
 * can be up to four octets per code point.  The domain's 255 still holds.
 */
#define SMTP_ULABEL_MAX		(4 * SMTP_LABEL_MAX)
/* How much of a client's keyword we quote back in a reply. */
#define SMTP_ECHO_MAX		32
/* RFC 3461 4: "+" and two hex digits. */
#define SMTP_XTEXT_HEXLEN	3
/* "XFORWARD" and the space before the first attribute. */
#define SMTP_XFORWARD_VERB	"XFORWARD"

enum smtp_args {
	SMTP_ARGS_NONE,		/* nothing may follow the verb */
	SMTP_ARGS_OPTIONAL,	/* NOOP, HELP: anything, ignored by us */
	SMTP_ARGS_REQUIRED,
};

static const struct smtp_verb_desc {
	const char	*name;
	enum smtp_verb	 verb;
	enum smtp_args	 args;
	const char	*usage;		/* for "501 syntax: ..." */
} smtp_verbs[] = {
	{ "HELO",	SMTP_CMD_HELO,		SMTP_ARGS_REQUIRED, "HELO domain" },
	{ "EHLO",	SMTP_CMD_EHLO,		SMTP_ARGS_REQUIRED, "EHLO domain" },
	{ "LHLO",	SMTP_CMD_LHLO,		SMTP_ARGS_REQUIRED, "LHLO domain" },
	{ "MAIL",	SMTP_CMD_MAIL,		SMTP_ARGS_REQUIRED,
	    "MAIL FROM:<address>" },
	{ "RCPT",	SMTP_CMD_RCPT,		SMTP_ARGS_REQUIRED,
	    "RCPT TO:<address>" },
	{ "DATA",	SMTP_CMD_DATA,		SMTP_ARGS_NONE,	"DATA" },
	{ "BDAT",	SMTP_CMD_BDAT,		SMTP_ARGS_REQUIRED,
	    "BDAT size [LAST]" },
	{ "RSET",	SMTP_CMD_RSET,		SMTP_ARGS_NONE,	"RSET" },
	{ "NOOP",	SMTP_CMD_NOOP,		SMTP_ARGS_OPTIONAL, "NOOP" },
	{ "QUIT",	SMTP_CMD_QUIT,		SMTP_ARGS_NONE,	"QUIT" },
	{ "VRFY",	SMTP_CMD_VRFY,		SMTP_ARGS_REQUIRED, "VRFY string" },
	{ "EXPN",	SMTP_CMD_EXPN,		SMTP_ARGS_REQUIRED, "EXPN string" },
	{ "HELP",	SMTP_CMD_HELP,		SMTP_ARGS_OPTIONAL, "HELP" },
	{ "STARTTLS",	SMTP_CMD_STARTTLS,	SMTP_ARGS_NONE,	"STARTTLS" },
	{ "XFORWARD",	SMTP_CMD_XFORWARD,	SMTP_ARGS_REQUIRED,
	    "XFORWARD attribute=value ..." },
};
#define SMTP_NVERBS	(sizeof(smtp_verbs) / sizeof(smtp_verbs[0]))

/* XFORWARD attributes, in the order they are stored and sent. */
static const char *const smtp_xforward_names[SMTP_XFORWARD_NATTR] = {
	"NAME", "ADDR", "PORT", "PROTO", "HELO", "IDENT", "SOURCE"
};


void
smtp_reply_set(struct smtp_reply *reply, int code, const char *enhanced,
    const char *fmt, ...)
{
	va_list	 ap;

	reply->code = code;
	snprintf(reply->enhanced, sizeof(reply->enhanced), "%s", enhanced);
	va_start(ap, fmt);
	vsnprintf(reply->text, sizeof(reply->text), fmt, ap);
	va_end(ap);
}

/* ASCII classes by hand: <ctype.h> depends on the locale. */
static int
smtp_parse_isalpha(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int
smtp_parse_isdigit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int
smtp_parse_isalnum(unsigned char c)
{
	return smtp_parse_isalpha(c) || smtp_parse_isdigit(c);
}

static unsigned char
smtp_parse_upper(unsigned char c)
{
	return (c >= 'a' && c <= 'z') ? c - 'a' + 'A' : c;
}

/* RFC 3461 4: upper-case hex only. */
static int
smtp_parse_ishexup(unsigned char c)
{
	return smtp_parse_isdigit(c) || (c >= 'A' && c <= 'F');
}

/* RFC 5322 3.2.3 atext. */
static int
smtp_parse_isatext(unsigned char c)
{
	return smtp_parse_isalnum(c) || (c != '\0' &&
	    strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* s[0..len) equals the upper-case word w, ignoring ASCII case. */
static int
smtp_parse_word_eq(const char *s, size_t len, const char *w)
{
	size_t	 i;

	if (strlen(w) != len)
		return 0;
	for (i = 0; i < len; i++)
		if (smtp_parse_upper((unsigned char)s[i]) != (unsigned char)w[i])
			return 0;
	return 1;
}

/* s starts with the upper-case prefix w, ignoring ASCII case. */
static int
smtp_parse_prefix_eq(const char *s, size_t len, const char *w)
{
	size_t	 wlen = strlen(w);

	return len >= wlen && smtp_parse_word_eq(s, wlen, w);
}

const char *
smtp_verb_name(enum smtp_verb verb)
{
	size_t	 i;

	for (i = 0; i < SMTP_NVERBS; i++)
		if (smtp_verbs[i].verb == verb)
			return smtp_verbs[i].name;
	return "UNKNOWN";
}

/* RFC 3461 4: xchar is "!".."~" except "+" and "="; "+" takes 2 HEX. */
static int
smtp_parse_xtext_utf8(const char *s, size_t len, int utf8)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i;

	for (i = 0; i < len; i++) {
		if (p[i] == '+') {
			if (len - i < SMTP_XTEXT_HEXLEN)
				return 0;
			if (!smtp_parse_ishexup(p[i + 1]) ||
			    !smtp_parse_ishexup(p[i + 2]))
				return 0;
			i += SMTP_XTEXT_HEXLEN - 1;
		} else if (p[i] >= 0x80) {
			/* RFC 6533 utf-8-addr-unitext, checked by the caller. */
			if (!utf8)
				return 0;
		} else if (p[i] < '!' || p[i] > '~' || p[i] == '=')
			return 0;
	}
	return 1;
}

int
smtp_parse_xtext_valid(const char *s, size_t len)
{
	return smtp_parse_xtext_utf8(s, len, 0);
}

static int
smtp_parse_hexval(unsigned char c)
{
	return smtp_parse_isdigit(c) ? c - '0' : c - 'A' + 10;
}

int
smtp_xtext_decode(const char *s, size_t len, char *out, size_t outlen)
{
	size_t	 i, o = 0;

	if (!smtp_parse_xtext_valid(s, len))
		return -1;
	for (i = 0; i < len; i++) {
		if (o + 1 >= outlen)
			return -1;
		if (s[i] == '+') {
			out[o++] = (char)(smtp_parse_hexval(s[i + 1]) * 16 +
			    smtp_parse_hexval(s[i + 2]));
			i += SMTP_XTEXT_HEXLEN - 1;
		} else
			out[o++] = s[i];
	}
	if (outlen == 0)
		return -1;
	out[o] = '\0';
	return (int)o;
}

int
smtp_xtext_encode(const void *buf, size_t len, char *out, size_t outlen)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*s = buf;
	size_t			 i, o = 0;

	for (i = 0; i < len; i++) {
		if (s[i] >= '!' && s[i] <= '~' && s[i] != '+' && s[i] != '=') {
			if (o + 1 >= outlen)
				return -1;
			out[o++] = (char)s[i];
		} else {
			if (o + SMTP_XTEXT_HEXLEN >= outlen)
				return -1;
			out[o++] = '+';
			out[o++] = hex[s[i] >> 4];
			out[o++] = hex[s[i] & 0xf];
		}
	}
	if (outlen == 0)
		return -1;
	out[o] = '\0';
	return (int)o;
}

/* "[1.2.3.4]" or "[IPv6:...]"; general literals (RFC 5321 4.1.3) have no
 * registered tag besides IPv6, so nothing else is an address. */
static int
smtp_parse_literal(const char *s, size_t len)
{
	char		 buf[SMTP_LITERAL_MAX + 1];
	struct in6_addr	 a6;
	struct in_addr	 a4;
	int		 af = AF_INET;

	if (len < 2 || s[0] != '[' || s[len - 1] != ']')
		return 0;
	s++;
	len -= 2;
	if (smtp_parse_prefix_eq(s, len, "IPV6:")) {
		af = AF_INET6;
		s += strlen("IPV6:");
		len -= strlen("IPV6:");
	}
	if (len == 0 || len > SMTP_LITERAL_MAX)
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (af == AF_INET6)
		return inet_pton(AF_INET6, buf, &a6) == 1;
	return inet_pton(AF_INET, buf, &a4) == 1;
}

/*
 * RFC 5321 4.1.2 Domain: dot-separated labels of letters, digits and
 * hyphens, not starting or ending with a hyphen; with utf8, U-labels
 * (already checked to be well-formed UTF-8 by the command check).
 * Or an address literal.
 */
int
smtp_parse_domain(const char *s, size_t len, int utf8)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i, start = 0;
	int			 eightbit = 0;

	if (len > 0 && s[0] == '[')
		return smtp_parse_literal(s, len);
	if (len == 0 || len > SMTP_DOMAIN_MAX)
		return 0;
	for (i = 0; i <= len; i++) {
		if (i == len || p[i] == '.') {
			if (i == start)
				return 0;
			if (i - start > (eightbit ? SMTP_ULABEL_MAX :
			    SMTP_LABEL_MAX))
				return 0;
			if (p[start] == '-' || p[i - 1] == '-')
				return 0;
			start = i + 1;
			eightbit = 0;
		} else if (p[i] >= 0x80) {
			if (!utf8)
				return 0;
			eightbit = 1;
		} else if (!smtp_parse_isalnum(p[i]) && p[i] != '-')
			return 0;
	}
	return 1;
}

/* RFC 5321 4.1.2 Local-part: Dot-string or Quoted-string; *endp is
 * where it stops (the "@", or len). */
static int
smtp_parse_localpart(const char *s, size_t len, int utf8, size_t *endp)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i;

	if (len > 0 && p[0] == '"') {
		for (i = 1; i < len; i++) {
			if (p[i] == '"') {
				*endp = i + 1;
				return 1;
			}
			if (p[i] == '\\') {
				/* quoted-pairSMTP: %d92 %d32-126 */
				if (++i == len || p[i] < ' ' || p[i] > '~')
					return 0;
			} else if (p[i] >= 0x80) {
				if (!utf8)
					return 0;
			} else if (p[i] < ' ' || p[i] > '~')
				return 0;
		}
		return 0;
	}
	for (i = 0; i < len && p[i] != '@'; i++) {
		if (p[i] == '.') {
			if (i == 0 || p[i - 1] == '.' || i + 1 == len ||
			    p[i + 1] == '@')
				return 0;
		} else if (p[i] >= 0x80) {
			if (!utf8)
				return 0;
		} else if (!smtp_parse_isatext(p[i]))
			return 0;
	}
	if (i == 0)
		return 0;
	*endp = i;
	return 1;
}

static void
smtp_parse_path_refuse(int flags, struct smtp_reply *reply, const char *why)
{
	if (flags & SMTP_PATH_NULL)
		smtp_reply_set(reply, 501, "5.1.7",
		    "bad sender address syntax: %s", why);
	else
		smtp_reply_set(reply, 501, "5.1.3",
		    "bad recipient address syntax: %s", why);
}

int
smtp_parse_path(const char *s, size_t len, int flags, char *out,
    size_t outlen, struct smtp_reply *reply)
{
	const char	*m, *colon;
	size_t		 mlen, i, lend;

	if (len > SMTP_PATH_MAX) {
		smtp_parse_path_refuse(flags, reply, "path too long");
		return -1;
	}
	if (len < 2 || s[0] != '<' || s[len - 1] != '>') {
		smtp_parse_path_refuse(flags, reply, "path not in <>");
		return -1;
	}
	m = s + 1;
	mlen = len - 2;
	if (!(flags & SMTP_PATH_UTF8)) {
		for (i = 0; i < mlen; i++)
			if ((unsigned char)m[i] >= 0x80) {
				smtp_reply_set(reply, 553, "5.6.7",
				    "non-ASCII address requires SMTPUTF8");
				return -1;
			}
	}
	if (mlen == 0) {
		if (!(flags & SMTP_PATH_NULL)) {
			smtp_parse_path_refuse(flags, reply, "empty address");
			return -1;
		}
		if (outlen < 1)
			goto toolong;
		out[0] = '\0';
		return 0;
	}

	/* RFC 5321 4.1.2 A-d-l: "@dom,@dom:"; checked, then ignored (C.). */
	if (m[0] == '@') {
		if ((colon = memchr(m, ':', mlen)) == NULL) {
			smtp_parse_path_refuse(flags, reply, "bad source route");
			return -1;
		}
		for (i = 0; i < (size_t)(colon - m); i = lend + 1) {
			const char	*d, *comma;

			if (m[i] != '@') {
				smtp_parse_path_refuse(flags, reply,
				    "bad source route");
				return -1;
			}
			d = m + i + 1;
			comma = memchr(d, ',', colon - d);
			lend = (comma != NULL ? comma : colon) - m;
			if (!smtp_parse_domain(d, m + lend - d,
			    flags & SMTP_PATH_UTF8) || d[0] == '[' ||
			    (comma != NULL && comma + 1 == colon)) {
				smtp_parse_path_refuse(flags, reply,
				    "bad source route");
				return -1;
			}
		}
		mlen -= colon + 1 - m;
		m = colon + 1;
	} else if ((flags & SMTP_PATH_POSTMASTER) &&
	    smtp_parse_word_eq(m, mlen, "POSTMASTER"))
		goto copy;

	if (!smtp_parse_localpart(m, mlen, flags & SMTP_PATH_UTF8, &lend)) {
		smtp_parse_path_refuse(flags, reply, "bad local part");
		return -1;
	}
	if (lend == mlen || m[lend] != '@') {
		smtp_parse_path_refuse(flags, reply, "missing @domain");
		return -1;
	}
	if (!smtp_parse_domain(m + lend + 1, mlen - lend - 1,
	    flags & SMTP_PATH_UTF8)) {
		smtp_parse_path_refuse(flags, reply, "bad domain");
		return -1;
	}
 copy:
	if (mlen >= outlen)
		goto toolong;
	memcpy(out, m, mlen);
	out[mlen] = '\0';
	return 0;
 toolong:
	smtp_parse_path_refuse(flags, reply, "path too long");
	return -1;
}

/*
 * The end of the path token starting at s[0] == '<': just past the ">"
 * that is not inside a quoted local part, or 0.  The token is then
 * checked whole by smtp_parse_path(), so this only has to find it.
 */
static size_t
smtp_parse_path_end(const char *s, size_t len)
{
	size_t	 i;
	int	 quoted = 0;

	if (len == 0 || s[0] != '<')
		return 0;
	for (i = 1; i < len; i++) {
		if (quoted && s[i] == '\\')
			i++;
		else if (s[i] == '"')
			quoted = !quoted;
		else if (!quoted && s[i] == '>')
			return i + 1;
	}
	return 0;
}

/* Digits to a number no larger than max; -1 on junk or overflow. */
static int
smtp_parse_number(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t	 v = 0;
	size_t		 i;

	if (len == 0 || len > SMTP_NUMBER_DIGITS)
		return -1;
	for (i = 0; i < len; i++) {
		if (!smtp_parse_isdigit((unsigned char)s[i]))
			return -1;
		if (v > (max - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* One esmtp-param, split. */
struct smtp_param {
	const char	*key;
	size_t		 keylen;
	const char	*val;		/* NULL: no "=" */
	size_t		 vallen;
};

/*
 * The next parameter from *sp (which points after the path), advancing
 * it: RFC 5321 4.1.2 esmtp-param, separated by exactly one SP.  Values
 * are printable ASCII except "=" (RFC 6531 adds UTF-8 under SMTPUTF8;
 * which parameter may use it is the handler's business).  Returns 1 with
 * *p filled, 0 at the end, -1 with *reply.
 */
static int
smtp_parse_next_param(const char **sp, const char *end, int utf8,
    struct smtp_param *p, struct smtp_reply *reply)
{
	const char	*s = *sp, *tok, *eq;
	size_t		 i, toklen;

	if (s == end)
		return 0;
	if (*s != ' ' || s + 1 == end || s[1] == ' ') {
		smtp_reply_set(reply, 501, "5.5.4",
		    "syntax: parameters are separated by one space");
		return -1;
	}
	tok = s + 1;
	for (s = tok; s < end && *s != ' '; s++)
		;
	toklen = s - tok;
	*sp = s;

	eq = memchr(tok, '=', toklen);
	p->key = tok;
	p->keylen = eq != NULL ? (size_t)(eq - tok) : toklen;
	p->val = eq != NULL ? eq + 1 : NULL;
	p->vallen = eq != NULL ? toklen - p->keylen - 1 : 0;

	/* esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-") */
	if (p->keylen == 0 || !smtp_parse_isalnum((unsigned char)p->key[0])) {
		smtp_reply_set(reply, 501, "5.5.4", "syntax: bad parameter");
		return -1;
	}
	for (i = 1; i < p->keylen; i++)
		if (!smtp_parse_isalnum((unsigned char)p->key[i]) &&
		    p->key[i] != '-') {
			smtp_reply_set(reply, 501, "5.5.4",
			    "syntax: bad parameter");
			return -1;
		}
	if (p->val != NULL) {
		if (p->vallen == 0) {
			smtp_reply_set(reply, 501, "5.5.4",
			    "syntax: empty value for %.*s", (int)(p->keylen >
			    SMTP_ECHO_MAX ? SMTP_ECHO_MAX : p->keylen), p->key);
			return -1;
		}
		for (i = 0; i < p->vallen; i++) {
			unsigned char	c = (unsigned char)p->val[i];

			if ((c >= 0x80 && !utf8) ||
			    (c < 0x80 && (c < '!' || c > '~' || c == '='))) {
				smtp_reply_set(reply, 501, "5.5.4",
				    "syntax: bad value for %.*s",
				    (int)(p->keylen > SMTP_ECHO_MAX ?
				    SMTP_ECHO_MAX : p->keylen), p->key);
				return -1;
			}
		}
	}
	return 1;
}

static int
smtp_parse_param_unknown(const struct smtp_param *p, struct smtp_reply *reply)
{
	smtp_reply_set(reply, 555, "5.5.4", "unsupported parameter %.*s",
	    (int)(p->keylen > SMTP_ECHO_MAX ? SMTP_ECHO_MAX : p->keylen),
	    p->key);
	return -1;
}

static int
smtp_parse_param_bad(const struct smtp_param *p, struct smtp_reply *reply)
{
	smtp_reply_set(reply, 501, "5.5.4", "bad value for %.*s",
	    (int)(p->keylen > SMTP_ECHO_MAX ? SMTP_ECHO_MAX : p->keylen),
	    p->key);
	return -1;
}

/* Each keyword at most once (RFC 5321 4.1.2 does not allow repeats of
 * the parameters we know, and two values would be ambiguous to relay). */
static int
smtp_parse_param_once(const struct smtp_param *p, unsigned int *seen,
    unsigned int bit, struct smtp_reply *reply)
{
	if (*seen & bit) {
		smtp_reply_set(reply, 501, "5.5.4", "duplicate parameter %.*s",
		    (int)(p->keylen > SMTP_ECHO_MAX ? SMTP_ECHO_MAX :
		    p->keylen), p->key);
		return -1;
	}
	*seen |= bit;
	return 0;
}

/*
 * "FROM:" or "TO:", optionally one space (Postfix's own smtpd accepts
 * it, and some clients send it), then the path token.  Sets *path and
 * *pathlen, and *rest to what follows the path.
 */
static int
smtp_parse_cmd_path(const struct smtp_command *cmd, const char *prefix,
    int pathflags, const char **path, size_t *pathlen, const char **rest,
    struct smtp_reply *reply)
{
	const char	*s = cmd->args;
	size_t		 len = cmd->argslen, plen;

	if (!smtp_parse_prefix_eq(s, len, prefix)) {
		smtp_reply_set(reply, 501, "5.5.2", "syntax: %s",
		    cmd->verb == SMTP_CMD_MAIL ? "MAIL FROM:<address>" :
		    "RCPT TO:<address>");
		return -1;
	}
	s += strlen(prefix);
	len -= strlen(prefix);
	if (len > 0 && s[0] == ' ') {
		s++;
		len--;
	}
	if ((plen = smtp_parse_path_end(s, len)) == 0) {
		if (len > SMTP_PATH_MAX)
			smtp_parse_path_refuse(pathflags, reply,
			    "path too long");
		else
			smtp_parse_path_refuse(pathflags, reply,
			    "path not in <>");
		return -1;
	}
	if (plen < len && s[plen] != ' ') {
		/* "<a@b>x" or "<<a@b>>": the path does not end where the
		 * brackets say. */
		smtp_parse_path_refuse(pathflags, reply, "junk after path");
		return -1;
	}
	*path = s;
	*pathlen = plen;
	*rest = s + plen;
	return 0;
}

#define SMTP_MAILP_SIZE		0x01
#define SMTP_MAILP_BODY		0x02
#define SMTP_MAILP_SMTPUTF8	0x04
#define SMTP_MAILP_RET		0x08
#define SMTP_MAILP_ENVID	0x10

int
smtp_parse_mail(const struct smtp_command *cmd, int flags,
    struct envelope *env, struct smtp_reply *reply)
{
	struct smtp_param	 p;
	char			 from[SMTP_PATH_MAX + 1];
	char			 envid[SMTP_ENVID_MAX + 1] = "";
	const char		*path, *rest, *end;
	size_t			 pathlen;
	uint64_t		 size = 0;
	enum smtp_body		 body = BODY_NONE;
	enum smtp_ret		 ret = RET_NONE;
	unsigned int		 seen = 0;
	int			 r, smtputf8 = 0;

	if (cmd->verb != SMTP_CMD_MAIL) {
		smtp_reply_set(reply, 500, "5.5.1", "not a MAIL command");
		return -1;
	}
	if (smtp_parse_cmd_path(cmd, "FROM:", SMTP_PATH_NULL, &path, &pathlen,
	    &rest, reply) == -1)
		return -1;
	end = cmd->args + cmd->argslen;

	while ((r = smtp_parse_next_param(&rest, end, 0, &p, reply)) == 1) {
		if (flags & SMTP_PARSE_HELO)
			return smtp_parse_param_unknown(&p, reply);
		if (smtp_parse_word_eq(p.key, p.keylen, "SIZE")) {
			if (smtp_parse_param_once(&p, &seen, SMTP_MAILP_SIZE,
			    reply) == -1)
				return -1;
			if (p.val == NULL || smtp_parse_number(p.val, p.vallen,
			    UINT64_MAX, &size) == -1)
				return smtp_parse_param_bad(&p, reply);
			if (size > SMTP_SIZE_PARAM_MAX) {
				smtp_reply_set(reply, 552, "5.3.4",
				    "message size exceeds fixed maximum");
				return -1;
			}
		} else if (smtp_parse_word_eq(p.key, p.keylen, "BODY")) {
			if (smtp_parse_param_once(&p, &seen, SMTP_MAILP_BODY,
			    reply) == -1)
				return -1;
			if (p.val == NULL)
				return smtp_parse_param_bad(&p, reply);
			if (smtp_parse_word_eq(p.val, p.vallen, "7BIT"))
				body = BODY_7BIT;
			else if (smtp_parse_word_eq(p.val, p.vallen,
			    "8BITMIME"))
				body = BODY_8BITMIME;
			else if (smtp_parse_word_eq(p.val, p.vallen,
			    "BINARYMIME")) {
				/* RFC 3030 3: only with BINARYMIME announced. */
				smtp_reply_set(reply, 504, "5.5.4",
				    "BODY=BINARYMIME is not supported");
				return -1;
			} else
				return smtp_parse_param_bad(&p, reply);
		} else if (smtp_parse_word_eq(p.key, p.keylen, "SMTPUTF8")) {
			if (!(flags & SMTP_PARSE_UTF8_OFFERED))
				return smtp_parse_param_unknown(&p, reply);
			if (smtp_parse_param_once(&p, &seen,
			    SMTP_MAILP_SMTPUTF8, reply) == -1)
				return -1;
			if (p.val != NULL)
				return smtp_parse_param_bad(&p, reply);
			smtputf8 = 1;
		} else if (smtp_parse_word_eq(p.key, p.keylen, "RET")) {
			if (smtp_parse_param_once(&p, &seen, SMTP_MAILP_RET,
			    reply) == -1)
				return -1;
			if (p.val == NULL)
				return smtp_parse_param_bad(&p, reply);
			if (smtp_parse_word_eq(p.val, p.vallen, "FULL"))
				ret = RET_FULL;
			else if (smtp_parse_word_eq(p.val, p.vallen, "HDRS"))
				ret = RET_HDRS;
			else
				return smtp_parse_param_bad(&p, reply);
		} else if (smtp_parse_word_eq(p.key, p.keylen, "ENVID")) {
			if (smtp_parse_param_once(&p, &seen, SMTP_MAILP_ENVID,
			    reply) == -1)
				return -1;
			if (p.val == NULL || p.vallen > SMTP_ENVID_MAX ||
			    !smtp_parse_xtext_valid(p.val, p.vallen))
				return smtp_parse_param_bad(&p, reply);
			memcpy(envid, p.val, p.vallen);
			envid[p.vallen] = '\0';
		} else
			return smtp_parse_param_unknown(&p, reply);
	}
	if (r == -1)
		return -1;

	/* RFC 6531 3.4: UTF-8 in MAIL only with its SMTPUTF8 parameter. */
	if (cmd->eightbit && !smtputf8) {
		smtp_reply_set(reply, 553, "5.6.7",
		    "non-ASCII address requires SMTPUTF8");
		return -1;
	}
	if (smtp_parse_path(path, pathlen, SMTP_PATH_NULL |
	    (smtputf8 ? SMTP_PATH_UTF8 : 0), from, sizeof(from), reply) == -1)
		return -1;

	memcpy(env->mail_from, from, sizeof(env->mail_from));
	env->body = body;
	env->smtputf8 = smtputf8;
	env->ret = ret;
	memcpy(env->envid, envid, sizeof(env->envid));
	env->size = size;
	return 0;
}

/* RFC 3461 4.1: NEVER alone, or a list of SUCCESS, FAILURE, DELAY. */
static int
smtp_parse_notify(const char *s, size_t len, uint8_t *out)
{
	static const struct {
		const char	*name;
		uint8_t		 bit;
	} words[] = {
		{ "NEVER", NOTIFY_NEVER },
		{ "SUCCESS", NOTIFY_SUCCESS },
		{ "FAILURE", NOTIFY_FAILURE },
		{ "DELAY", NOTIFY_DELAY },
	};
	const char	*comma, *end = s + len;
	size_t		 i, wlen;
	uint8_t		 v = 0, bit;

	for (;;) {
		comma = memchr(s, ',', end - s);
		wlen = (comma != NULL ? comma : end) - s;
		bit = 0;
		for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			if (smtp_parse_word_eq(s, wlen, words[i].name))
				bit = words[i].bit;
		if (bit == 0 || (v & bit))
			return -1;
		v |= bit;
		if (comma == NULL)
			break;
		s = comma + 1;
	}
	if ((v & NOTIFY_NEVER) && v != NOTIFY_NEVER)
		return -1;
	*out = v;
	return 0;
}

/* RFC 3461 4.2: ORCPT=addr-type ";" xtext, addr-type an atom. */
static int
smtp_parse_orcpt(const char *s, size_t len, int utf8)
{
	const char	*semi;
	size_t		 i, tlen;

	if (len > SMTP_ORCPT_MAX || (semi = memchr(s, ';', len)) == NULL)
		return 0;
	tlen = semi - s;
	if (tlen == 0 || semi + 1 == s + len)
		return 0;
	for (i = 0; i < tlen; i++)
		if (!smtp_parse_isatext((unsigned char)s[i]))
			return 0;
	/*
	 * RFC 6533 3: with SMTPUTF8, a "utf-8" address may carry raw UTF-8
	 * (utf-8-addr-unitext); the command check proved it well-formed.
	 */
	return smtp_parse_xtext_utf8(semi + 1, len - tlen - 1,
	    utf8 && smtp_parse_word_eq(s, tlen, "UTF-8"));
}

#define SMTP_RCPTP_NOTIFY	0x01
#define SMTP_RCPTP_ORCPT	0x02

int
smtp_parse_rcpt(const struct smtp_command *cmd, int flags,
    struct envelope_rcpt *rcpt, struct smtp_reply *reply)
{
	struct smtp_param	 p;
	char			 addr[SMTP_PATH_MAX + 1];
	char			 orcpt[SMTP_ORCPT_MAX + 1] = "";
	const char		*path, *rest, *end;
	size_t			 pathlen;
	unsigned int		 seen = 0;
	uint8_t			 notify = 0;
	int			 r, utf8 = (flags & SMTP_PARSE_UTF8_TXN) != 0;

	if (cmd->verb != SMTP_CMD_RCPT) {
		smtp_reply_set(reply, 500, "5.5.1", "not a RCPT command");
		return -1;
	}
	if (cmd->eightbit && !utf8) {
		smtp_reply_set(reply, 553, "5.6.7",
		    "non-ASCII address requires SMTPUTF8");
		return -1;
	}
	if (smtp_parse_cmd_path(cmd, "TO:", SMTP_PATH_POSTMASTER, &path,
	    &pathlen, &rest, reply) == -1)
		return -1;
	end = cmd->args + cmd->argslen;

	while ((r = smtp_parse_next_param(&rest, end, utf8, &p, reply)) == 1) {
		if (flags & SMTP_PARSE_HELO)
			return smtp_parse_param_unknown(&p, reply);
		if (smtp_parse_word_eq(p.key, p.keylen, "NOTIFY")) {
			if (smtp_parse_param_once(&p, &seen, SMTP_RCPTP_NOTIFY,
			    reply) == -1)
				return -1;
			if (p.val == NULL || smtp_parse_notify(p.val, p.vallen,
			    &notify) == -1)
				return smtp_parse_param_bad(&p, reply);
		} else if (smtp_parse_word_eq(p.key, p.keylen, "ORCPT")) {
			if (smtp_parse_param_once(&p, &seen, SMTP_RCPTP_ORCPT,
			    reply) == -1)
				return -1;
			if (p.val == NULL || !smtp_parse_orcpt(p.val,
			    p.vallen, utf8))
				return smtp_parse_param_bad(&p, reply);
			memcpy(orcpt, p.val, p.vallen);
			orcpt[p.vallen] = '\0';
		} else
			return smtp_parse_param_unknown(&p, reply);
	}
	if (r == -1)
		return -1;
	/* Only ORCPT's value may carry UTF-8; the path is checked below. */
	if (smtp_parse_path(path, pathlen, SMTP_PATH_POSTMASTER |
	    (utf8 ? SMTP_PATH_UTF8 : 0), addr, sizeof(addr), reply) == -1)
		return -1;

	memcpy(rcpt->addr, addr, sizeof(rcpt->addr));
	memcpy(rcpt->orcpt, orcpt, sizeof(rcpt->orcpt));
	rcpt->notify = notify;
	return 0;
}

int
smtp_parse_helo(const struct smtp_command *cmd, char *domain,
    size_t domainlen, struct smtp_reply *reply)
{
	/* RFC 6531 3.7.1 keeps the EHLO argument ASCII (A-labels). */
	if (cmd->eightbit || !smtp_parse_domain(cmd->args, cmd->argslen, 0)) {
		smtp_reply_set(reply, 501, "5.5.4",
		    "syntax: %s domain or address literal",
		    smtp_verb_name(cmd->verb));
		return -1;
	}
	if (cmd->argslen >= domainlen) {
		smtp_reply_set(reply, 501, "5.5.4", "domain too long");
		return -1;
	}
	memcpy(domain, cmd->args, cmd->argslen);
	domain[cmd->argslen] = '\0';
	return 0;
}

int
smtp_parse_bdat(const struct smtp_command *cmd, uint64_t maxsize,
    struct smtp_bdat *bdat, struct smtp_reply *reply)
{
	const char	*s = cmd->args, *sp;
	size_t		 len = cmd->argslen, nlen;

	memset(bdat, 0, sizeof(*bdat));
	sp = memchr(s, ' ', len);
	nlen = sp != NULL ? (size_t)(sp - s) : len;
	if (cmd->verb != SMTP_CMD_BDAT || smtp_parse_number(s, nlen,
	    SMTP_SIZE_PARAM_MAX, &bdat->size) == -1) {
		smtp_reply_set(reply, 501, "5.5.4",
		    "syntax: BDAT size [LAST]");
		return -1;
	}
	/* RFC 3030 2: the number stands first; from here the chunk's end
	 * is known even if the rest is refused. */
	bdat->size_known = 1;
	if (sp != NULL) {
		if (!smtp_parse_word_eq(sp + 1, len - nlen - 1, "LAST")) {
			smtp_reply_set(reply, 501, "5.5.4",
			    "syntax: BDAT size [LAST]");
			return -1;
		}
		bdat->last = 1;
	}
	if (bdat->size > maxsize) {
		smtp_reply_set(reply, 552, "5.3.4",
		    "message size exceeds fixed maximum");
		return -1;
	}
	return 0;
}

static int
smtp_parse_xforward_index(const char *s, size_t len)
{
	int	 i;

	for (i = 0; i < SMTP_XFORWARD_NATTR; i++)
		if (smtp_parse_word_eq(s, len, smtp_xforward_names[i]))
			return i;
	return -1;
}

/* Split env->xforward (our own "NAME=value" words) into the slots. */
static void
smtp_parse_xforward_split(const char *xf, const char *val[], size_t vlen[])
{
	const char	*w, *eq, *sp;
	size_t		 wlen;
	int		 i;

	for (w = xf; *w != '\0'; w = sp != NULL ? sp + 1 : w + wlen) {
		sp = strchr(w, ' ');
		wlen = sp != NULL ? (size_t)(sp - w) : strlen(w);
		if ((eq = memchr(w, '=', wlen)) == NULL ||
		    (i = smtp_parse_xforward_index(w, eq - w)) == -1)
			continue;
		val[i] = eq + 1;
		vlen[i] = wlen - (eq + 1 - w);
	}
}

int
smtp_parse_xforward(const struct smtp_command *cmd, struct envelope *env,
    struct smtp_reply *reply)
{
	const char	*val[SMTP_XFORWARD_NATTR] = { NULL };
	size_t		 vlen[SMTP_XFORWARD_NATTR] = { 0 };
	char		 out[SMTP_XFORWARD_MAX + 1];
	const char	*s, *end, *w, *eq;
	size_t		 o = 0, wlen;
	int		 i;

	if (cmd->verb != SMTP_CMD_XFORWARD || cmd->eightbit ||
	    cmd->argslen == 0) {
		smtp_reply_set(reply, 501, "5.5.4",
		    "syntax: XFORWARD attribute=value ...");
		return -1;
	}
	smtp_parse_xforward_split(env->xforward, val, vlen);

	s = cmd->args;
	end = s + cmd->argslen;
	for (;;) {
		for (w = s; s < end && *s != ' '; s++)
			;
		wlen = s - w;
		if (wlen == 0 || (eq = memchr(w, '=', wlen)) == NULL) {
			smtp_reply_set(reply, 501, "5.5.4",
			    "syntax: XFORWARD attribute=value ...");
			return -1;
		}
		if ((i = smtp_parse_xforward_index(w, eq - w)) == -1) {
			smtp_reply_set(reply, 501, "5.5.4",
			    "bad XFORWARD attribute %.*s",
			    (int)(eq - w > SMTP_ECHO_MAX ? SMTP_ECHO_MAX :
			    eq - w), w);
			return -1;
		}
		if (!smtp_parse_xtext_valid(eq + 1, w + wlen - eq - 1)) {
			smtp_reply_set(reply, 501, "5.5.4",
			    "bad XFORWARD value for %s",
			    smtp_xforward_names[i]);
			return -1;
		}
		val[i] = eq + 1;
		vlen[i] = w + wlen - eq - 1;
		if (s == end)
			break;
		s++;		/* the one SP */
	}

	for (i = 0; i < SMTP_XFORWARD_NATTR; i++) {
		size_t	 nlen = strlen(smtp_xforward_names[i]);

		if (val[i] == NULL)
			continue;
		if (o + (o > 0) + nlen + 1 + vlen[i] > SMTP_XFORWARD_MAX) {
			smtp_reply_set(reply, 501, "5.5.4",
			    "XFORWARD attributes too long");
			return -1;
		}
		if (o > 0)
			out[o++] = ' ';
		memcpy(out + o, smtp_xforward_names[i], nlen);
		o += nlen;
		out[o++] = '=';
		memcpy(out + o, val[i], vlen[i]);
		o += vlen[i];
	}
	out[o] = '\0';
	memcpy(env->xforward, out, o + 1);
	return 0;
}

unsigned int
smtp_parse_xforward_offer(const char *s, size_t len)
{
	const char	*end = s + len, *w;
	unsigned int	 mask = 0;
	int		 i;

	while (s < end) {
		while (s < end && *s == ' ')
			s++;
		for (w = s; s < end && *s != ' '; s++)
			;
		if (s > w && (i = smtp_parse_xforward_index(w, s - w)) != -1)
			mask |= 1U << i;
	}
	return mask;
}

int
smtp_format_xforward(const struct envelope *env, unsigned int offered,
    char *buf, size_t len)
{
	const char	*val[SMTP_XFORWARD_NATTR] = { NULL };
	size_t		 vlen[SMTP_XFORWARD_NATTR] = { 0 };
	size_t		 o = 0, line = 0, need, nlen;
	int		 i;

	if (len == 0)
		return -1;
	smtp_parse_xforward_split(env->xforward, val, vlen);
	for (i = 0; i < SMTP_XFORWARD_NATTR; i++) {
		if (val[i] == NULL || vlen[i] == 0 || !(offered & (1U << i)))
			continue;
		nlen = strlen(smtp_xforward_names[i]);
		/* A word that cannot fit even alone is dropped: the relay
		 * would refuse the whole line, and this is only logging. */
		if (strlen(SMTP_XFORWARD_VERB) + 1 + nlen + 1 + vlen[i] >
		    SMTP_LINE_MAX)
			continue;
		if (line > 0 && line + 1 + nlen + 1 + vlen[i] > SMTP_LINE_MAX) {
			if (o + 2 >= len)
				return -1;
			memcpy(buf + o, "\r\n", 2);
			o += 2;
			line = 0;
		}
		if (line == 0) {
			need = strlen(SMTP_XFORWARD_VERB);
			if (o + need >= len)
				return -1;
			memcpy(buf + o, SMTP_XFORWARD_VERB, need);
			o += need;
			line = need;
		}
		need = 1 + nlen + 1 + vlen[i];
		if (o + need >= len)
			return -1;
		buf[o] = ' ';
		memcpy(buf + o + 1, smtp_xforward_names[i], nlen);
		buf[o + 1 + nlen] = '=';
		memcpy(buf + o + 2 + nlen, val[i], vlen[i]);
		o += need;
		line += need;
	}
	if (line > 0) {
		if (o + 2 >= len)
			return -1;
		memcpy(buf + o, "\r\n", 2);
		o += 2;
	}
	buf[o] = '\0';
	return (int)o;
}

/* Append to buf at *o; -1 when it does not fit with its NUL. */
static int	smtp_format_add(char *, size_t, size_t *, const char *, ...)
		    __attribute__((format(printf, 4, 5)));

static int
smtp_format_add(char *buf, size_t len, size_t *o, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (*o >= len)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(buf + *o, len - *o, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len - *o)
		return -1;
	*o += n;
	return 0;
}

int
smtp_format_mail_params(const struct envelope *env, uint64_t size,
    int offers_dsn, int offers_8bitmime, int offers_smtputf8, char *buf,
    size_t len)
{
	size_t	 o = 0;

	if (len == 0)
		return -1;
	buf[0] = '\0';
	if (size > 0 && smtp_format_add(buf, len, &o, " SIZE=%" PRIu64,
	    size) == -1)
		return -1;
	if (offers_8bitmime && env->body != BODY_NONE &&
	    smtp_format_add(buf, len, &o, " BODY=%s",
	    env->body == BODY_8BITMIME ? "8BITMIME" : "7BIT") == -1)
		return -1;
	if (offers_smtputf8 && env->smtputf8 &&
	    smtp_format_add(buf, len, &o, " SMTPUTF8") == -1)
		return -1;
	if (offers_dsn && env->ret != RET_NONE &&
	    smtp_format_add(buf, len, &o, " RET=%s",
	    env->ret == RET_FULL ? "FULL" : "HDRS") == -1)
		return -1;
	if (offers_dsn && env->envid[0] != '\0' &&
	    smtp_format_add(buf, len, &o, " ENVID=%s", env->envid) == -1)
		return -1;
	return (int)o;
}

int
smtp_format_rcpt_params(const struct envelope_rcpt *rcpt, int offers_dsn,
    char *buf, size_t len)
{
	size_t	 o = 0;

	if (len == 0)
		return -1;
	buf[0] = '\0';
	if (!offers_dsn)
		return 0;
	if (rcpt->notify & NOTIFY_NEVER) {
		if (smtp_format_add(buf, len, &o, " NOTIFY=NEVER") == -1)
			return -1;
	} else if (rcpt->notify != 0) {
		if (smtp_format_add(buf, len, &o, " NOTIFY=%s%s%s%s%s",
		    (rcpt->notify & NOTIFY_SUCCESS) ? "SUCCESS" : "",
		    (rcpt->notify & NOTIFY_SUCCESS) &&
		    (rcpt->notify & (NOTIFY_FAILURE | NOTIFY_DELAY)) ? "," : "",
		    (rcpt->notify & NOTIFY_FAILURE) ? "FAILURE" : "",
		    (rcpt->notify & NOTIFY_FAILURE) &&
		    (rcpt->notify & NOTIFY_DELAY) ? "," : "",
		    (rcpt->notify & NOTIFY_DELAY) ? "DELAY" : "") == -1)
			return -1;
	}
	if (rcpt->orcpt[0] != '\0' &&
	    smtp_format_add(buf, len, &o, " ORCPT=%s", rcpt->orcpt) == -1)
		return -1;
	return (int)o;
}

int
smtp_parse_command(const void *line, size_t len, int flags,
    struct smtp_command *cmd, struct smtp_reply *reply)
{
	const unsigned char		*p = line;
	const struct smtp_verb_desc	*v = NULL;
	size_t				 i, vlen, a;
	int				 eightbit = 0, utf8ok;

	cmd->verb = SMTP_CMD_UNKNOWN;
	cmd->eightbit = 0;
	cmd->argslen = 0;
	cmd->args[0] = '\0';

	if (len > SMTP_LINE_MAX) {
		smtp_reply_set(reply, 500, "5.5.2", "line too long");
		return -1;
	}
	for (i = 0; i < len; i++) {
		if (p[i] == '\0') {
			smtp_reply_set(reply, 500, "5.5.2",
			    "NUL in command");
			return -1;
		}
		if ((p[i] < ' ' && p[i] != '\t') || p[i] == 0x7f) {
			smtp_reply_set(reply, 500, "5.5.2",
			    "control character in command");
			return -1;
		}
		if (p[i] >= 0x80)
			eightbit = 1;
	}
	/* Trailing blanks are invisible in a log and harmless to drop. */
	while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;

	for (vlen = 0; vlen < len && p[vlen] != ' '; vlen++)
		;
	for (i = 0; i < SMTP_NVERBS; i++)
		if (smtp_parse_word_eq((const char *)p, vlen,
		    smtp_verbs[i].name)) {
			v = &smtp_verbs[i];
			break;
		}
	if (v == NULL) {
		if (eightbit)
			smtp_reply_set(reply, 500, "5.5.2",
			    "8-bit characters in command");
		else
			smtp_reply_set(reply, 500, "5.5.1",
			    "command unrecognized");
		return -1;
	}
	cmd->verb = v->verb;

	/* RFC 5321 4.1.1: the verb and its arguments are separated by SP;
	 * a run of them is not ambiguous, so it is accepted. */
	for (a = vlen; a < len && p[a] == ' '; a++)
		;
	if ((v->args == SMTP_ARGS_NONE && a < len) ||
	    (v->args == SMTP_ARGS_REQUIRED && a == len)) {
		smtp_reply_set(reply, 501, "5.5.4", "syntax: %s", v->usage);
		return -1;
	}

	if (eightbit) {
		/*
		 * RFC 6531 3.4: UTF-8 only inside a transaction whose MAIL
		 * had SMTPUTF8, or in that MAIL itself (which must carry the
		 * parameter: smtp_parse_mail() checks) when we offered it.
		 */
		utf8ok = (flags & SMTP_PARSE_UTF8_TXN) ||
		    (v->verb == SMTP_CMD_MAIL &&
		    (flags & SMTP_PARSE_UTF8_OFFERED));
		if (!utf8ok) {
			if (v->verb == SMTP_CMD_MAIL ||
			    v->verb == SMTP_CMD_RCPT)
				smtp_reply_set(reply, 553, "5.6.7",
				    "non-ASCII address requires SMTPUTF8");
			else
				smtp_reply_set(reply, 500, "5.5.2",
				    "8-bit characters in command");
			return -1;
		}
		if (!utf8_valid(p, len)) {
			smtp_reply_set(reply, 500, "5.5.2",
			    "malformed UTF-8 in command");
			return -1;
		}
	}

	cmd->eightbit = eightbit && a < len;
	cmd->argslen = len - a;
	memcpy(cmd->args, p + a, len - a);
	cmd->args[len - a] = '\0';
	return 0;
}
