/*
 * smtp_parse: the pure half of smtpd's SMTP/LMTP server and relay client.
 * It turns one command line (without its CRLF) into a verb and checked
 * arguments, and the arguments of HELO/EHLO/LHLO, MAIL, RCPT, BDAT and
 * XFORWARD into envelope fields, answering every refusal with a ready
 * struct smtp_reply carrying an RFC 3463 enhanced code.  It also formats
 * what the relay sends back out: MAIL and RCPT parameters limited to what
 * the next hop offers, and the XFORWARD lines.  Nothing here does I/O,
 * allocates or logs, so that all of it can be unit-tested and fuzzed.
 */
#ifndef PGPMG_SMTP_PARSE_H
#define PGPMG_SMTP_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "smtpd/envelope.h"

/*
 * RFC 5321 4.5.3.1.4: a command line is at most 512 octets with its CRLF.
 * The caller enforces the length while reading; the parser refuses longer
 * input too, so that its buffers stay bounded whatever the caller does.
 */
#define SMTP_LINE_MAX		510
/* RFC 5321 4.5.3.1.2: a domain name is at most 255 octets. */
#define SMTP_DOMAIN_MAX		255
/* RFC 1035 2.3.4: a DNS label is at most 63 octets. */
#define SMTP_LABEL_MAX		63
/*
 * Decimal digits accepted in SIZE= and BDAT: 2^63 has 19, one more lets a
 * leading zero through; a longer number is refused before it can overflow.
 */
#define SMTP_NUMBER_DIGITS	20
/* RFC 1870 SIZE values we still represent; beyond it the value is absurd. */
#define SMTP_SIZE_PARAM_MAX	(UINT64_C(1) << 63)
/* Postfix XFORWARD_README: at most one value per attribute, seven names. */
#define SMTP_XFORWARD_NATTR	7

/* Verbs, in no particular order; UNKNOWN is anything else. */
enum smtp_verb {
	SMTP_CMD_UNKNOWN = 0,
	SMTP_CMD_HELO,
	SMTP_CMD_EHLO,
	SMTP_CMD_LHLO,
	SMTP_CMD_MAIL,
	SMTP_CMD_RCPT,
	SMTP_CMD_DATA,
	SMTP_CMD_BDAT,
	SMTP_CMD_RSET,
	SMTP_CMD_NOOP,
	SMTP_CMD_QUIT,
	SMTP_CMD_VRFY,
	SMTP_CMD_EXPN,
	SMTP_CMD_HELP,
	SMTP_CMD_STARTTLS,
	SMTP_CMD_XFORWARD,
};

/*
 * What the session tells the parser about its state (a bit mask).
 * UTF8_OFFERED: the EHLO/LHLO reply announced SMTPUTF8, so a MAIL command
 * that carries the SMTPUTF8 parameter may use UTF-8 in its own path.
 * UTF8_TXN: the current transaction's MAIL carried SMTPUTF8 (RFC 6531
 * 3.4), so RCPT, VRFY and EXPN may use UTF-8.
 * HELO: the client greeted with HELO, which does not allow ESMTP
 * parameters (RFC 5321 4.1.1.1): every MAIL/RCPT parameter is refused.
 */
#define SMTP_PARSE_UTF8_OFFERED	0x01
#define SMTP_PARSE_UTF8_TXN	0x02
#define SMTP_PARSE_HELO		0x04

/*
 * A checked command line: the verb, and its arguments (what follows the
 * verb and its separating spaces, without trailing blanks) as a C string.
 * eightbit says the arguments contain bytes >= 0x80, which the parser has
 * already checked to be well-formed UTF-8 allowed in this state.
 */
struct smtp_command {
	enum smtp_verb	 verb;
	int		 eightbit;
	size_t		 argslen;
	char		 args[SMTP_LINE_MAX + 1];
};

/* BDAT's arguments (RFC 3030 2). */
struct smtp_bdat {
	uint64_t	 size;
	int		 last;
	/*
	 * Set when the chunk size parsed, even if the command is refused
	 * (for example a chunk above the caller's bound): the caller must
	 * still read and discard that many bytes.  When clear, the caller
	 * cannot know where the chunk ends and must close the session.
	 */
	int		 size_known;
};

/* XFORWARD attribute bits, for what a relay announces in its EHLO reply. */
#define SMTP_XF_NAME	0x01
#define SMTP_XF_ADDR	0x02
#define SMTP_XF_PORT	0x04
#define SMTP_XF_PROTO	0x08
#define SMTP_XF_HELO	0x10
#define SMTP_XF_IDENT	0x20
#define SMTP_XF_SOURCE	0x40
#define SMTP_XF_ALL	0x7f

/*
 * Flags for smtp_parse_path(): which path forms the command allows.
 * NULL allows "<>" (MAIL), POSTMASTER allows bare "<postmaster>" (RCPT,
 * RFC 5321 4.5.1), UTF8 allows UTF-8 in the local part and U-labels.
 */
#define SMTP_PATH_NULL		0x01
#define SMTP_PATH_POSTMASTER	0x02
#define SMTP_PATH_UTF8		0x04

/*
 * All functions returning int answer 0 on success and -1 on refusal with
 * *reply filled in (code, enhanced code, text without CRLF).  On refusal
 * the envelope is left as it was.
 */

/*
 * Check one command line (len bytes, no CRLF, not NUL-terminated, may
 * contain NUL) and split it into verb and arguments.  flags: SMTP_PARSE_*.
 * An unknown verb returns -1 with verb SMTP_CMD_UNKNOWN and a 500 5.5.1;
 * a known verb with refused arguments returns -1 with cmd->verb set, so
 * that the caller can count the error against the right command.
 */
int	 smtp_parse_command(const void *line, size_t len, int flags,
	    struct smtp_command *cmd, struct smtp_reply *reply);

/* HELO/EHLO/LHLO: the client's domain or address literal, copied out. */
int	 smtp_parse_helo(const struct smtp_command *cmd, char *domain,
	    size_t domainlen, struct smtp_reply *reply);

/*
 * MAIL FROM:<path> [params].  On success sets env->mail_from, body,
 * smtputf8, ret, envid and size (all reset first); the recipients and
 * XFORWARD attributes are untouched.  env->size is the client's SIZE=
 * estimate: comparing it to the configured limit is the caller's job.
 */
int	 smtp_parse_mail(const struct smtp_command *cmd, int flags,
	    struct envelope *env, struct smtp_reply *reply);

/* RCPT TO:<path> [params]: fills *rcpt entirely on success. */
int	 smtp_parse_rcpt(const struct smtp_command *cmd, int flags,
	    struct envelope_rcpt *rcpt, struct smtp_reply *reply);

/*
 * BDAT size [LAST].  A size above maxsize is refused with 552 5.3.4 and
 * bdat->size_known set (see struct smtp_bdat).
 */
int	 smtp_parse_bdat(const struct smtp_command *cmd, uint64_t maxsize,
	    struct smtp_bdat *bdat, struct smtp_reply *reply);

/*
 * XFORWARD attr=value ...: checks every attribute, then merges them into
 * env->xforward ("NAME=value" words, one per attribute, raw xtext; a name
 * sent again replaces its earlier value).  All or nothing.
 */
int	 smtp_parse_xforward(const struct smtp_command *cmd,
	    struct envelope *env, struct smtp_reply *reply);

/*
 * A path "<...>" at s[0..len), which must be exactly the path.  flags:
 * SMTP_PATH_*.  Writes the address without brackets and without a source
 * route as a C string to out (at least SMTP_PATH_MAX + 1 bytes; "" for
 * "<>").  On refusal the reply says 501 5.1.7 if flags allow "<>" (a
 * sender), 501 5.1.3 otherwise, or 553 5.6.7 for UTF-8 where not allowed.
 */
int	 smtp_parse_path(const char *s, size_t len, int flags, char *out,
	    size_t outlen, struct smtp_reply *reply);

/* Syntax checks exposed for the session and the tests. */
int	 smtp_parse_domain(const char *s, size_t len, int utf8);
int	 smtp_parse_xtext_valid(const char *s, size_t len);

/*
 * Decode RFC 3461 xtext into out (NUL-terminated); -1 if invalid or too
 * long.  Encode a raw string as xtext; -1 if it does not fit.  Both
 * return the output length.
 */
int	 smtp_xtext_decode(const char *s, size_t len, char *out,
	    size_t outlen);
int	 smtp_xtext_encode(const void *s, size_t len, char *out,
	    size_t outlen);

/*
 * The relay's side: the XFORWARD attributes a server announces ("NAME
 * ADDR PROTO HELO" after the XFORWARD keyword of its EHLO reply) as a
 * mask of SMTP_XF_*.
 */
unsigned int	 smtp_parse_xforward_offer(const char *s, size_t len);

/*
 * Parameters for the relay's MAIL and RCPT commands, each preceded by a
 * space, written to buf as a C string; the return is its length, or -1
 * if it does not fit.  size (SIZE=) is omitted when 0: pass 0 when the
 * relay did not announce SIZE.  DSN parameters go only to a relay that
 * offers DSN, BODY only to one offering 8BITMIME, SMTPUTF8 only to one
 * offering it.  Whether a message may go to a relay lacking an extension
 * it needs (SMTPUTF8, 8BITMIME) is the relay code's decision.
 */
int	 smtp_format_mail_params(const struct envelope *env, uint64_t size,
	    int offers_dsn, int offers_8bitmime, int offers_smtputf8,
	    char *buf, size_t len);
int	 smtp_format_rcpt_params(const struct envelope_rcpt *rcpt,
	    int offers_dsn, char *buf, size_t len);

/*
 * env->xforward as complete "XFORWARD ...\r\n" lines of at most 512
 * octets each, restricted to the attributes in offered (SMTP_XF_*), into
 * buf as a C string.  Returns the length (0: nothing to send), or -1 if
 * it does not fit.
 */
int	 smtp_format_xforward(const struct envelope *env, unsigned int offered,
	    char *buf, size_t len);

/* Fill a reply: code, enhanced code ("" for none) and formatted text. */
void	 smtp_reply_set(struct smtp_reply *, int code, const char *enhanced,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The name of a verb, for logs ("MAIL"); "UNKNOWN" for anything else. */
const char	*smtp_verb_name(enum smtp_verb);

#endif /* PGPMG_SMTP_PARSE_H */
