/*
 * config: the pgpmg.conf parser.  The parent reads the file, checks it and
 * sends its very text to every child, which parses it again here; so this
 * file must never trust a buffer to be NUL-terminated, never read past the
 * length it is given, and never log (the children have no logger yet when
 * they parse): every error goes back to the caller as "FILE:LINE: what".
 * The keys live in one table, conf_keys[], with their argument counts,
 * parse functions and usage; docs/pgpmg.conf.5 documents each of them.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/config.h"

/* A statement is short; a longer line is a mistake, not a statement. */
#define CONF_MAX_LINE		1024
/* The longest statement, "listen smtp HOST:PORT lmtp", has four words;
 * room to spare so that a long line still gets "wrong arguments" from its
 * key rather than a tokenizer error. */
#define CONF_MAX_WORDS		16
/* "keyword sub", as messages name a key; the table's are far shorter. */
#define CONF_MAX_KEYNAME	64
/* sun_path holds 108 bytes with its NUL. */
#define CONF_MAX_SOCKET_PATH	(sizeof(((struct sockaddr_un *)0)->sun_path) - 1)
/* RFC 1035: 63 bytes a label, 253 a name in text form. */
#define CONF_MAX_LABEL		63
#define CONF_MAX_DOMAIN		253
/* Port numbers are 16 bits; 0 means "any", which no key wants. */
#define CONF_PORT_MIN		1
#define CONF_PORT_MAX		65535

#define CONF_DEF_SMTP_HOST	"127.0.0.1"
#define CONF_DEF_SMTP_PORT	2525
#define CONF_DEF_WEB_HOST	"127.0.0.1"
#define CONF_DEF_WEB_PORT	8443
#define CONF_DEF_RELAY_HOST	"127.0.0.1"
#define CONF_DEF_RELAY_PORT	10026
#define CONF_DEF_CONTROL_SOCKET	"/run/pgpmg/pgpmgd.sock"
#define CONF_DEF_TLS_CERT	"/etc/pgpmg/tls/cert.pem"
#define CONF_DEF_TLS_KEY	"/etc/pgpmg/tls/key.pem"
#define CONF_DEF_DATABASE	"host=/var/run/postgresql dbname=pgpmg"
#define CONF_DEF_DATABASE_ADMIN	"host=/var/run/postgresql dbname=pgpmg user=postgres"
#define CONF_DEF_POLICYD_KEY	"/etc/pgpmg/policyd.key"
#define CONF_DEF_CHROOT		"/var/lib/pgpmg/empty"
#define CONF_DEF_KEYD_HOME	"/var/lib/pgpmg/keyd"
#define CONF_DEF_CRYPTOD_HOME	"/var/lib/pgpmg/cryptod"
#define CONF_DEF_WEB_ROOT	"/usr/share/pgpmg/www"
#define CONF_DEF_KEYD_PASSPHRASE "/etc/pgpmg/keyd.passphrase"

struct conf_parser {
	const char		*name;		/* file name, for messages */
	unsigned		 line;
	struct pgpmg_conf	*conf;
	char			*err;
	size_t			 errlen;
	int			 smtp_tls_set;	/* defaults of the yes/no keys */
	int			 relay_tls_set;
	/* where each listener was set (0: its default), for the check
	 * that no two of them take the same address and port */
	unsigned		 smtp_line, web_line, web_redirect_line;
};

/* A key's parse function gets the words after the keyword(s). */
typedef int (*conf_parse_fn)(struct conf_parser *, const char *key,
    char **args, size_t nargs);

struct conf_key {
	const char	*keyword;
	const char	*sub;		/* second word ("listen smtp"), or NULL */
	size_t		 min_args;
	size_t		 max_args;
	conf_parse_fn	 parse;
	const char	*usage;		/* the arguments, for messages */
	int		 repeatable;
};

static void	conf_err(struct conf_parser *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* "FILE:LINE: message"; LINE is left out for errors about the whole file. */
static void
conf_err(struct conf_parser *p, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (p->err == NULL || p->errlen == 0)
		return;
	if (p->line > 0)
		n = snprintf(p->err, p->errlen, "%s:%u: ", p->name, p->line);
	else
		n = snprintf(p->err, p->errlen, "%s: ", p->name);
	if (n < 0 || (size_t)n >= p->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - n, fmt, ap);
	va_end(ap);
}

static int
conf_strset(struct conf_parser *p, char **dst, const char *val)
{
	char	*s;

	if ((s = strdup(val)) == NULL) {
		conf_err(p, "out of memory");
		return -1;
	}
	free(*dst);
	*dst = s;
	return 0;
}

/*
 * A DNS name: labels of 1..63 letters, digits and hyphens, no hyphen at
 * either end of a label, 253 bytes in all, no trailing dot.
 */
static int
conf_valid_domain(const char *s)
{
	size_t	 len, label = 0;

	len = strlen(s);
	if (len == 0 || len > CONF_MAX_DOMAIN)
		return 0;
	for (size_t i = 0; i <= len; i++) {
		if (s[i] == '.' || s[i] == '\0') {
			if (label == 0 || label > CONF_MAX_LABEL)
				return 0;
			if (s[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!isascii((unsigned char)s[i]) ||
		    (!isalnum((unsigned char)s[i]) && s[i] != '-'))
			return 0;
		if (label == 0 && s[i] == '-')
			return 0;
		label++;
	}
	return 1;
}

static int
conf_parse_port(struct conf_parser *p, const char *key, const char *s,
    uint16_t *port)
{
	unsigned long	 v = 0;

	if (*s == '\0') {
		conf_err(p, "%s: missing port", key);
		return -1;
	}
	for (const char *c = s; *c != '\0'; c++) {
		if (*c < '0' || *c > '9') {
			conf_err(p, "%s: port \"%s\" is not a number", key, s);
			return -1;
		}
		/* Stop counting once out of range: no overflow. */
		if (v <= CONF_PORT_MAX)
			v = v * 10 + (unsigned long)(*c - '0');
	}
	if (v < CONF_PORT_MIN || v > CONF_PORT_MAX) {
		conf_err(p, "%s: port %s out of range", key, s);
		return -1;
	}
	*port = (uint16_t)v;
	return 0;
}

/*
 * HOST:PORT, where HOST is an IPv4 address, an IPv6 address in brackets
 * (the brackets are how we tell its colons from the port's) or a name.
 */
static int
conf_parse_hostport(struct conf_parser *p, const char *key, const char *s,
    struct conf_hostport *hp)
{
	char		 host[sizeof(hp->host)];
	const char	*colon, *portstr;
	size_t		 hlen;
	unsigned char	 addr[sizeof(struct in6_addr)];

	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL) {
			conf_err(p, "%s: \"%s\": missing ']'", key, s);
			return -1;
		}
		if (close[1] != ':') {
			conf_err(p, "%s: \"%s\": expected HOST:PORT", key, s);
			return -1;
		}
		hlen = (size_t)(close - s - 1);
		if (hlen >= sizeof(host)) {
			conf_err(p, "%s: host name too long", key);
			return -1;
		}
		memcpy(host, s + 1, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET6, host, addr) != 1) {
			conf_err(p, "%s: \"%s\" is not an IPv6 address",
			    key, host);
			return -1;
		}
		portstr = close + 2;
	} else {
		if ((colon = strrchr(s, ':')) == NULL) {
			conf_err(p, "%s: \"%s\": expected HOST:PORT", key, s);
			return -1;
		}
		hlen = (size_t)(colon - s);
		if (memchr(s, ':', hlen) != NULL) {
			conf_err(p, "%s: \"%s\": an IPv6 address needs "
			    "brackets, as in [::1]:25", key, s);
			return -1;
		}
		if (hlen == 0) {
			conf_err(p, "%s: \"%s\": missing host", key, s);
			return -1;
		}
		if (hlen >= sizeof(host)) {
			conf_err(p, "%s: host name too long", key);
			return -1;
		}
		memcpy(host, s, hlen);
		host[hlen] = '\0';
		/* All digits and dots is meant as an address; say so if it
		 * is not one rather than try it as a name. */
		if (strspn(host, "0123456789.") == hlen) {
			if (inet_pton(AF_INET, host, addr) != 1) {
				conf_err(p, "%s: \"%s\" is not an IPv4 "
				    "address", key, host);
				return -1;
			}
		} else if (!conf_valid_domain(host)) {
			conf_err(p, "%s: \"%s\" is not a valid host name",
			    key, host);
			return -1;
		}
		portstr = colon + 1;
	}
	if (conf_parse_port(p, key, portstr, &hp->port) == -1)
		return -1;
	memcpy(hp->host, host, hlen + 1);
	return 0;
}

static int
conf_parse_path(struct conf_parser *p, const char *key, const char *s,
    size_t max, char **dst)
{
	if (*s != '/') {
		conf_err(p, "%s: path \"%s\" is not absolute", key, s);
		return -1;
	}
	if (strlen(s) > max) {
		conf_err(p, "%s: path longer than %zu bytes", key, max);
		return -1;
	}
	return conf_strset(p, dst, s);
}

static int
conf_parse_smtp(struct conf_parser *p, const char *key, char **args,
    size_t nargs)
{
	if (nargs == 2) {
		if (strcmp(args[1], "lmtp") != 0) {
			conf_err(p, "%s: expected \"lmtp\", not \"%s\"",
			    key, args[1]);
			return -1;
		}
		p->conf->smtp_lmtp = 1;
	}
	p->smtp_line = p->line;
	return conf_parse_hostport(p, key, args[0], &p->conf->smtp_listen);
}

static int
conf_parse_web(struct conf_parser *p, const char *key, char **args,
    size_t nargs)
{
	(void)nargs;
	p->web_line = p->line;
	return conf_parse_hostport(p, key, args[0], &p->conf->web_listen);
}

static int
conf_parse_web_redirect(struct conf_parser *p, const char *key, char **args,
    size_t nargs)
{
	(void)nargs;
	p->web_redirect_line = p->line;
	return conf_parse_hostport(p, key, args[0],
	    &p->conf->web_redirect_listen);
}

static int
conf_parse_relay(struct conf_parser *p, const char *key, char **args,
    size_t nargs)
{
	(void)nargs;
	return conf_parse_hostport(p, key, args[0], &p->conf->relay);
}

static int
conf_parse_domain(struct conf_parser *p, const char *key, char **args,
    size_t nargs)
{
	struct pgpmg_conf	*conf = p->conf;
	char			*d;

	(void)nargs;
	if (!conf_valid_domain(args[0])) {
		conf_err(p, "%s: \"%s\" is not a valid domain name",
		    key, args[0]);
		return -1;
	}
	if (conf_is_internal_domain(conf, args[0])) {
		conf_err(p, "%s: \"%s\" is listed twice", key, args[0]);
		return -1;
	}
	if (conf->n_internal_domains >= CONF_MAX_DOMAINS) {
		conf_err(p, "%s: more than %d domains", key, CONF_MAX_DOMAINS);
		return -1;
	}
	if ((d = strdup(args[0])) == NULL) {
		conf_err(p, "out of memory");
		return -1;
	}
	for (char *c = d; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	conf->internal_domains[conf->n_internal_domains++] = d;
	return 0;
}

static int
conf_parse_database(struct conf_parser *p, const char *key, char **args,
    size_t nargs)
{
	(void)nargs;
	/* libpq checks the conninfo itself, with better messages. */
	if (args[0][0] == '\0') {
		conf_err(p, "%s: empty connection string", key);
		return -1;
	}
	return conf_strset(p, strcmp(key, "database-admin") == 0 ?
	    &p->conf->database_admin : &p->conf->database, args[0]);
}

/* Path keys share one parser: an absolute path, bounded per key. */
struct conf_pathkey {
	const char	*key;
	size_t		 off;		/* of a char * in struct pgpmg_conf */
	size_t		 max;
};

#define CONF_PATHKEY(k, f, m)	{ k, offsetof(struct pgpmg_conf, f), m }
static const struct conf_pathkey conf_pathkeys[] = {
	CONF_PATHKEY("control-socket", control_socket, CONF_MAX_SOCKET_PATH),
	CONF_PATHKEY("tls-certificate", tls_certificate, PATH_MAX - 1),
	CONF_PATHKEY("tls-key", tls_key, PATH_MAX - 1),
	CONF_PATHKEY("chroot", chroot_dir, PATH_MAX - 1),
	CONF_PATHKEY("keyd-home", keyd_home, PATH_MAX - 1),
	CONF_PATHKEY("cryptod-home", cryptod_home, PATH_MAX - 1),
	CONF_PATHKEY("web-root", web_root, PATH_MAX - 1),
	CONF_PATHKEY("keyd-passphrase-file", keyd_passphrase_file, PATH_MAX - 1),
	CONF_PATHKEY("policyd-key-file", policyd_key_file, PATH_MAX - 1),
};

static int
conf_parse_pathkey(struct conf_parser *p, const char *key, char **args,
    size_t nargs)
{
	(void)nargs;
	for (size_t i = 0; i < sizeof(conf_pathkeys) / sizeof(conf_pathkeys[0]);
	    i++) {
		const struct conf_pathkey *k = &conf_pathkeys[i];
		if (strcmp(k->key, key) == 0)
			return conf_parse_path(p, key, args[0], k->max,
			    (char **)(void *)((char *)p->conf + k->off));
	}
	conf_err(p, "%s: not a path key", key);
	return -1;
}

/* A decimal number within [min, max]; the message names the key. */
static int
conf_number(struct conf_parser *p, const char *key, const char *s,
    uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t	 v = 0;

	if (*s == '\0') {
		conf_err(p, "%s: \"\" is not a number", key);
		return -1;
	}
	for (const char *c = s; *c != '\0'; c++) {
		if (*c < '0' || *c > '9') {
			conf_err(p, "%s: \"%s\" is not a number", key, s);
			return -1;
		}
		/* Stop growing once past max: no overflow, still refused. */
		if (v <= max)
			v = v * 10 + (uint64_t)(*c - '0');
	}
	if (v < min || v > max) {
		conf_err(p, "%s: %s out of range %llu..%llu", key, s,
		    (unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	*out = v;
	return 0;
}

static int
conf_parse_workers(struct conf_parser *p, const char *key, char **args,
    size_t nargs)
{
	uint64_t	 v;

	(void)nargs;
	if (conf_number(p, key, args[0], 1, CONF_MAX_WORKERS, &v) == -1)
		return -1;
	p->conf->cryptod_workers = (unsigned)v;
	return 0;
}

static int
conf_parse_log_level(struct conf_parser *p, const char *key, char **args,
    size_t nargs)
{
	(void)nargs;
	if (strcmp(args[0], "info") == 0)
		p->conf->verbose = 0;
	else if (strcmp(args[0], "debug") == 0)
		p->conf->verbose = 1;
	else {
		conf_err(p, "%s: expected info or debug, not \"%s\"",
		    key, args[0]);
		return -1;
	}
	return 0;
}

/*
 * Numeric keys share one parser and one table of bounds and defaults.  The
 * bounds say what makes sense, not what is merely representable.
 */
struct conf_num {
	const char	*key;
	size_t		 off;		/* of a uint64_t in struct pgpmg_conf */
	uint64_t	 min, max, def;
};

#define CONF_NUM(k, f, lo, hi, d) \
	{ k, offsetof(struct pgpmg_conf, f), lo, hi, d }
static const struct conf_num conf_nums[] = {
	/* 64 MiB: above Postfix's default message_size_limit (10 MB), and
	 * room for the 50 MiB messages the benchmarks push through. */
	CONF_NUM("smtp-max-message-size", smtp_max_size, 1024,
	    (uint64_t)1 << 32, (uint64_t)64 << 20),
	/* RFC 5321 4.5.3.1.8: at least 100; Postfix's own limit is 1000. */
	/* At most 10000: a recipient group travels to smtpd in one imsg
	 * (4 bytes a recipient, within its 64 KiB). */
	CONF_NUM("smtp-max-recipients", smtp_max_recipients, 100, 10000, 1000),
	CONF_NUM("smtp-max-sessions", smtp_max_sessions, 1, 65536, 1024),
	/* RFC 5321 4.5.3.2: 5 minutes for commands, 3 for each data block. */
	CONF_NUM("smtp-command-timeout", smtp_command_timeout, 1, 3600, 300),
	CONF_NUM("smtp-data-timeout", smtp_data_timeout, 1, 3600, 180),
	CONF_NUM("smtp-max-errors", smtp_max_errors, 1, 1000, 10),
	/* RFC 5321 4.5.3.1.6: 998 octets plus CRLF; a site with broken
	 * clients may allow more, never less. */
	CONF_NUM("smtp-max-line-length", smtp_max_line_length, 998, 1 << 20,
	    998),
	/* Behind Postfix every client waits for the greeting; a delay only
	 * widens the window in which an early talker is caught. */
	CONF_NUM("smtp-greet-delay", smtp_greet_delay, 0, 10000, 0),
	CONF_NUM("relay-timeout", relay_timeout, 1, 3600, 300),
	CONF_NUM("relay-connect-timeout", relay_connect_timeout, 1, 600, 30),
	/* webd.  A connection may hold a request head (16 KiB), a body
	 * (64 KiB) and OpenSSL's buffers (about 40 KiB): 4096 of them stay
	 * within half a GiB.  A console has a handful of users; 256 leaves
	 * room for their browsers' parallel connections many times over. */
	CONF_NUM("web-max-connections", web_max_connections, 1, 4096, 256),
	/* Requests one connection may carry before webd closes it, so that
	 * no client keeps a slot for ever by never idling. */
	CONF_NUM("web-max-requests", web_max_requests, 1, 10000, 100),
	/* The whole request head, from the first byte (or the accept, which
	 * covers the TLS handshake): a browser sends it in one write, so 10 s
	 * is generous, and a client that trickles it is holding a slot. */
	CONF_NUM("web-head-timeout", web_head_timeout, 1, 300, 10),
	/* The whole body: at most 64 KiB for a form, 30 s is ~2 KiB/s. */
	CONF_NUM("web-body-timeout", web_body_timeout, 1, 600, 30),
	/* An idle keep-alive connection; browsers keep theirs for about as
	 * long and open a new one when it is gone. */
	CONF_NUM("web-idle-timeout", web_idle_timeout, 1, 3600, 60),
	/* policyd: how long connecting to PostgreSQL, or any one query,
	 * may take before the connection is dropped and the caller told
	 * "unavailable" (a 4xx upstream).  Postfix's own timeouts for a
	 * content filter are minutes; a healthy query takes milliseconds. */
	CONF_NUM("database-timeout", database_timeout, 1, 3600, 10),
	/* policyd's scheduled jobs (key notices, the notices' purge): what
	 * they look for moves by the day, so hourly is plenty, and at most
	 * a day, so that no notice comes more than a day late. */
	CONF_NUM("housekeeping-interval", housekeeping_interval, 1, 86400,
	    3600),
	/* How long notices are kept, read or not: a quarter is enough to
	 * look back on, ten years is beyond any reason to. */
	CONF_NUM("notice-retention", notice_retention, 1, 3650, 90),
	/* The console's sessions: unused for half an hour, or twelve hours
	 * after the login whatever the use, a session ends (OWASP's advice
	 * for an application of this worth: minutes idle, hours in all).  A
	 * day idle and a week in all are as long as a session of an
	 * administrator's console should ever live; a second is only for
	 * tests, and refuses nothing it should not. */
	CONF_NUM("console-idle-timeout", console_idle_timeout, 1, 86400,
	    1800),
	CONF_NUM("console-session-lifetime", console_session_lifetime, 1,
	    7 * 86400, 12 * 3600),
	/* How long an account (or a client address) is locked after 20
	 * failed logins in a row (policyd/lockout.h): an hour turns a
	 * guessing attack into 24 guesses a day; a minute at least, since
	 * less is no lock; a week at most, since a longer lock is a denial
	 * of service an attacker can keep up for free (`user passwd`
	 * unlocks sooner). */
	CONF_NUM("console-lockout", console_lockout, 60, 7 * 86400, 3600),
	/* Two years, as gpg proposes; policyd warns 30 days ahead. */
	CONF_NUM("key-lifetime", key_lifetime, 1, 36500, 730),
	/* Any one output of cryptod (a decrypted message, a decoded part):
	 * the cap that turns a compression bomb into a refusal. */
	CONF_NUM("crypto-max-output", crypto_max_output, (uint64_t)1 << 20,
	    (uint64_t)1 << 34, (uint64_t)256 << 20),
};
#define CONF_NNUMS	(sizeof(conf_nums) / sizeof(conf_nums[0]))

static int
conf_parse_number(struct conf_parser *p, const char *key, char **args,
    size_t nargs)
{
	const struct conf_num	*n = NULL;

	(void)nargs;
	for (size_t i = 0; i < CONF_NNUMS; i++)
		if (strcmp(conf_nums[i].key, key) == 0)
			n = &conf_nums[i];
	if (n == NULL) {
		conf_err(p, "%s: not a numeric key", key);
		return -1;
	}
	return conf_number(p, key, args[0], n->min, n->max,
	    (uint64_t *)(void *)((char *)p->conf + n->off));
}

/* An address (local@domain) or a domain, for per-recipient lists. */
static int
conf_parse_inline_pgp(struct conf_parser *p, const char *key, char **args,
    size_t nargs)
{
	struct pgpmg_conf	*conf = p->conf;
	const char		*at = strrchr(args[0], '@');
	char			*d;

	(void)nargs;
	if (!conf_valid_domain(at != NULL ? at + 1 : args[0]) ||
	    (at != NULL && (at == args[0] || strlen(args[0]) > 254))) {
		conf_err(p, "%s: \"%s\" is neither an address nor a domain",
		    key, args[0]);
		return -1;
	}
	if (conf->n_inline_pgp >= CONF_MAX_DOMAINS) {
		conf_err(p, "%s: more than %d entries", key, CONF_MAX_DOMAINS);
		return -1;
	}
	if ((d = strdup(args[0])) == NULL) {
		conf_err(p, "out of memory");
		return -1;
	}
	for (char *c = d; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	conf->inline_pgp[conf->n_inline_pgp++] = d;
	return 0;
}

static int
conf_parse_key_algorithm(struct conf_parser *p, const char *key, char **args,
    size_t nargs)
{
	(void)nargs;
	if (strcmp(args[0], "ed25519") == 0)
		p->conf->key_algorithm = CONF_KEY_ED25519;
	else if (strcmp(args[0], "rsa3072") == 0)
		p->conf->key_algorithm = CONF_KEY_RSA3072;
	else {
		conf_err(p, "%s: expected ed25519 or rsa3072, not \"%s\"",
		    key, args[0]);
		return -1;
	}
	return 0;
}

static int
conf_parse_smtp_tls(struct conf_parser *p, const char *key, char **args,
    size_t nargs)
{
	(void)nargs;
	if (strcmp(args[0], "yes") == 0)
		p->conf->smtp_tls = 1;
	else if (strcmp(args[0], "no") == 0)
		p->conf->smtp_tls = 0;
	else {
		conf_err(p, "%s: expected yes or no, not \"%s\"", key, args[0]);
		return -1;
	}
	p->smtp_tls_set = 1;
	return 0;
}

static int
conf_parse_relay_tls(struct conf_parser *p, const char *key, char **args,
    size_t nargs)
{
	(void)nargs;
	if (strcmp(args[0], "no") == 0)
		p->conf->relay_tls = CONF_RELAY_TLS_NO;
	else if (strcmp(args[0], "opportunistic") == 0)
		p->conf->relay_tls = CONF_RELAY_TLS_OPPORTUNISTIC;
	else if (strcmp(args[0], "require") == 0)
		p->conf->relay_tls = CONF_RELAY_TLS_REQUIRE;
	else {
		conf_err(p, "%s: expected no, opportunistic or require, not "
		    "\"%s\"", key, args[0]);
		return -1;
	}
	p->relay_tls_set = 1;
	return 0;
}

static int
conf_parse_hostname(struct conf_parser *p, const char *key, char **args,
    size_t nargs)
{
	(void)nargs;
	if (!conf_valid_domain(args[0]) ||
	    strlen(args[0]) >= sizeof(p->conf->hostname)) {
		conf_err(p, "%s: \"%s\" is not a valid host name", key, args[0]);
		return -1;
	}
	snprintf(p->conf->hostname, sizeof(p->conf->hostname), "%s", args[0]);
	return 0;
}

/*
 * Split one line (len bytes, no newline, no NUL) into words in buf, which
 * holds at least len + 1 bytes: each word takes its bytes plus a NUL, and
 * is followed by a separator or ends the line, so it never needs more.
 * Returns the number of words, or -1.
 */
static int
conf_split(struct conf_parser *p, const char *line, size_t len, char *buf,
    char **words)
{
	size_t	 i = 0, o = 0;
	int	 n = 0;

	for (;;) {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == len || line[i] == '#')
			return n;
		if (n == CONF_MAX_WORDS) {
			conf_err(p, "more than %d words on a line",
			    CONF_MAX_WORDS);
			return -1;
		}
		words[n++] = buf + o;
		if (line[i] == '"') {
			for (i++;; i++) {
				if (i == len) {
					conf_err(p, "missing closing quote");
					return -1;
				}
				if (line[i] == '"')
					break;
				/* A backslash that ends the line leaves
				 * the quote open; the check above says so. */
				if (line[i] == '\\' && i + 1 < len) {
					if (line[i + 1] != '"' &&
					    line[i + 1] != '\\') {
						conf_err(p, "only \\\" and \\\\ "
						    "may follow a backslash");
						return -1;
					}
					i++;
				}
				buf[o++] = line[i];
			}
			i++;
			if (i < len && line[i] != ' ' && line[i] != '\t' &&
			    line[i] != '#') {
				conf_err(p, "text right after a closing quote");
				return -1;
			}
		} else {
			while (i < len && line[i] != ' ' && line[i] != '\t' &&
			    line[i] != '#') {
				if (line[i] == '"') {
					conf_err(p, "quote inside a word");
					return -1;
				}
				buf[o++] = line[i++];
			}
		}
		buf[o++] = '\0';
	}
}

/* Every key; docs/pgpmg.conf.5 documents each one. */
static const struct conf_key conf_keys[] = {
	{ "listen", "smtp",	1, 2, conf_parse_smtp,	"HOST:PORT [lmtp]", 0 },
	{ "listen", "web",	1, 1, conf_parse_web,	"HOST:PORT", 0 },
	{ "listen", "web-redirect", 1, 1, conf_parse_web_redirect,
	    "HOST:PORT", 0 },
	{ "relay", NULL,	1, 1, conf_parse_relay,	"HOST:PORT", 0 },
	{ "internal-domain", NULL, 1, 1, conf_parse_domain, "DOMAIN", 1 },
	{ "control-socket", NULL, 1, 1, conf_parse_pathkey, "PATH", 0 },
	{ "tls-certificate", NULL, 1, 1, conf_parse_pathkey, "PATH", 0 },
	{ "tls-key", NULL,	1, 1, conf_parse_pathkey,	"PATH", 0 },
	{ "database", NULL,	1, 1, conf_parse_database, "CONNINFO", 0 },
	{ "database-admin", NULL, 1, 1, conf_parse_database, "CONNINFO", 0 },
	{ "database-timeout", NULL, 1, 1, conf_parse_number, "SECONDS", 0 },
	{ "housekeeping-interval", NULL, 1, 1, conf_parse_number, "SECONDS",
	    0 },
	{ "notice-retention", NULL, 1, 1, conf_parse_number, "DAYS", 0 },
	{ "console-idle-timeout", NULL, 1, 1, conf_parse_number, "SECONDS",
	    0 },
	{ "console-session-lifetime", NULL, 1, 1, conf_parse_number,
	    "SECONDS", 0 },
	{ "console-lockout", NULL, 1, 1, conf_parse_number, "SECONDS", 0 },
	{ "chroot", NULL,	1, 1, conf_parse_pathkey, "PATH", 0 },
	{ "keyd-home", NULL,	1, 1, conf_parse_pathkey, "PATH", 0 },
	{ "cryptod-home", NULL,	1, 1, conf_parse_pathkey, "PATH", 0 },
	{ "web-root", NULL,	1, 1, conf_parse_pathkey, "PATH", 0 },
	{ "cryptod-workers", NULL, 1, 1, conf_parse_workers, "N", 0 },
	{ "log-level", NULL,	1, 1, conf_parse_log_level, "info|debug", 0 },
	{ "hostname", NULL,	1, 1, conf_parse_hostname, "NAME", 0 },
	{ "smtp-tls", NULL,	1, 1, conf_parse_smtp_tls, "yes|no", 0 },
	{ "smtp-max-message-size", NULL, 1, 1, conf_parse_number, "BYTES", 0 },
	{ "smtp-max-recipients", NULL, 1, 1, conf_parse_number, "N", 0 },
	{ "smtp-max-sessions", NULL, 1, 1, conf_parse_number, "N", 0 },
	{ "smtp-command-timeout", NULL, 1, 1, conf_parse_number, "SECONDS", 0 },
	{ "smtp-data-timeout", NULL, 1, 1, conf_parse_number, "SECONDS", 0 },
	{ "smtp-max-errors", NULL, 1, 1, conf_parse_number, "N", 0 },
	{ "smtp-max-line-length", NULL, 1, 1, conf_parse_number, "OCTETS", 0 },
	{ "smtp-greet-delay", NULL, 1, 1, conf_parse_number, "MILLISECONDS", 0 },
	{ "web-max-connections", NULL, 1, 1, conf_parse_number, "N", 0 },
	{ "web-max-requests", NULL, 1, 1, conf_parse_number, "N", 0 },
	{ "web-head-timeout", NULL, 1, 1, conf_parse_number, "SECONDS", 0 },
	{ "web-body-timeout", NULL, 1, 1, conf_parse_number, "SECONDS", 0 },
	{ "web-idle-timeout", NULL, 1, 1, conf_parse_number, "SECONDS", 0 },
	{ "relay-tls", NULL,	1, 1, conf_parse_relay_tls,
	    "no|opportunistic|require", 0 },
	{ "relay-timeout", NULL, 1, 1, conf_parse_number, "SECONDS", 0 },
	{ "relay-connect-timeout", NULL, 1, 1, conf_parse_number, "SECONDS", 0 },
	{ "keyd-passphrase-file", NULL, 1, 1, conf_parse_pathkey, "PATH", 0 },
	{ "policyd-key-file", NULL, 1, 1, conf_parse_pathkey, "PATH", 0 },
	{ "key-algorithm", NULL, 1, 1, conf_parse_key_algorithm,
	    "ed25519|rsa3072", 0 },
	{ "key-lifetime", NULL,	1, 1, conf_parse_number, "DAYS", 0 },
	{ "crypto-max-output", NULL, 1, 1, conf_parse_number, "BYTES", 0 },
	{ "inline-pgp", NULL,	1, 1, conf_parse_inline_pgp,
	    "ADDRESS|DOMAIN", 1 },
};
#define CONF_NKEYS	(sizeof(conf_keys) / sizeof(conf_keys[0]))

static const struct conf_key *
conf_lookup(char **words, size_t nwords, size_t *nkw)
{
	for (size_t k = 0; k < CONF_NKEYS; k++) {
		const struct conf_key *ck = &conf_keys[k];

		if (strcmp(ck->keyword, words[0]) != 0)
			continue;
		if (ck->sub == NULL) {
			*nkw = 1;
			return ck;
		}
		if (nwords > 1 && strcmp(ck->sub, words[1]) == 0) {
			*nkw = 2;
			return ck;
		}
	}
	return NULL;
}

/* Does any key start with this keyword and need a second word? */
static int
conf_has_sub(const char *keyword)
{
	for (size_t k = 0; k < CONF_NKEYS; k++)
		if (strcmp(conf_keys[k].keyword, keyword) == 0 &&
		    conf_keys[k].sub != NULL)
			return 1;
	return 0;
}

static int
conf_statement(struct conf_parser *p, char **words, size_t nwords,
    unsigned *seen)
{
	const struct conf_key	*ck;
	char			 key[CONF_MAX_KEYNAME];
	size_t			 nkw = 0, nargs, k;

	if ((ck = conf_lookup(words, nwords, &nkw)) == NULL) {
		if (conf_has_sub(words[0])) {
			if (nwords < 2)
				conf_err(p, "%s: missing kind", words[0]);
			else
				conf_err(p, "%s: unknown kind \"%s\"",
				    words[0], words[1]);
		} else
			conf_err(p, "unknown keyword \"%s\"", words[0]);
		return -1;
	}
	k = (size_t)(ck - conf_keys);
	if (ck->sub != NULL)
		snprintf(key, sizeof(key), "%s %s", ck->keyword, ck->sub);
	else
		snprintf(key, sizeof(key), "%s", ck->keyword);
	if (!ck->repeatable && seen[k] != 0) {
		conf_err(p, "%s: already set on line %u", key, seen[k]);
		return -1;
	}
	seen[k] = p->line;
	nargs = nwords - nkw;
	if (nargs < ck->min_args || nargs > ck->max_args) {
		conf_err(p, "%s: %s arguments, expected: %s %s", key,
		    nargs < ck->min_args ? "missing" : "too many",
		    key, ck->usage);
		return -1;
	}
	return ck->parse(p, key, words + nkw, nargs);
}

static unsigned
conf_default_workers(void)
{
	long	 n;

	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		return 1;
	if (n > CONF_MAX_WORKERS)
		return CONF_MAX_WORKERS;
	return (unsigned)n;
}

static int
conf_defaults(struct conf_parser *p)
{
	struct pgpmg_conf	*c = p->conf;
	const struct {
		char		**dst;
		const char	 *val;
	} strs[] = {
		{ &c->control_socket,	CONF_DEF_CONTROL_SOCKET },
		{ &c->tls_certificate,	CONF_DEF_TLS_CERT },
		{ &c->tls_key,		CONF_DEF_TLS_KEY },
		{ &c->database,		CONF_DEF_DATABASE },
		{ &c->database_admin,	CONF_DEF_DATABASE_ADMIN },
		{ &c->policyd_key_file,	CONF_DEF_POLICYD_KEY },
		{ &c->chroot_dir,	CONF_DEF_CHROOT },
		{ &c->keyd_home,	CONF_DEF_KEYD_HOME },
		{ &c->cryptod_home,	CONF_DEF_CRYPTOD_HOME },
		{ &c->web_root,		CONF_DEF_WEB_ROOT },
		{ &c->keyd_passphrase_file, CONF_DEF_KEYD_PASSPHRASE },
	};

	/* A parsed host:port always has a port, so port 0 means unset. */
	if (c->smtp_listen.port == 0) {
		snprintf(c->smtp_listen.host, sizeof(c->smtp_listen.host),
		    "%s", CONF_DEF_SMTP_HOST);
		c->smtp_listen.port = CONF_DEF_SMTP_PORT;
	}
	if (c->web_listen.port == 0) {
		snprintf(c->web_listen.host, sizeof(c->web_listen.host),
		    "%s", CONF_DEF_WEB_HOST);
		c->web_listen.port = CONF_DEF_WEB_PORT;
	}
	if (c->relay.port == 0) {
		snprintf(c->relay.host, sizeof(c->relay.host), "%s",
		    CONF_DEF_RELAY_HOST);
		c->relay.port = CONF_DEF_RELAY_PORT;
	}
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (*strs[i].dst == NULL &&
		    conf_strset(p, strs[i].dst, strs[i].val) == -1)
			return -1;
	if (c->cryptod_workers == 0)
		c->cryptod_workers = conf_default_workers();
	for (size_t i = 0; i < CONF_NNUMS; i++) {
		uint64_t *v = (uint64_t *)(void *)((char *)c + conf_nums[i].off);
		if (*v == 0)
			*v = conf_nums[i].def;
	}
	if (!p->smtp_tls_set)
		c->smtp_tls = 1;
	if (!p->relay_tls_set)
		c->relay_tls = CONF_RELAY_TLS_OPPORTUNISTIC;
	if (c->hostname[0] == '\0' &&
	    (gethostname(c->hostname, sizeof(c->hostname) - 1) == -1 ||
	    !conf_valid_domain(c->hostname)))
		snprintf(c->hostname, sizeof(c->hostname), "localhost");
	return 0;
}

/*
 * Could two listeners' addresses be one socket address?  The same text,
 * the same address, or a wildcard that takes the other in: 0.0.0.0 every
 * IPv4 address, [::] every address of either family (Linux binds [::]
 * dual-stack unless told otherwise).  A name is compared as text only:
 * what it resolves to is the parent's bind() to find out, which then
 * fails with its own message.
 */
static int
conf_same_address(const char *a, const char *b)
{
	static const unsigned char	 any[sizeof(struct in6_addr)];
	unsigned char			 ab[sizeof(struct in6_addr)];
	unsigned char			 bb[sizeof(struct in6_addr)];
	int				 af, bf;

	if (strcasecmp(a, b) == 0)
		return 1;
	af = inet_pton(AF_INET, a, ab) == 1 ? AF_INET :
	    inet_pton(AF_INET6, a, ab) == 1 ? AF_INET6 : 0;
	bf = inet_pton(AF_INET, b, bb) == 1 ? AF_INET :
	    inet_pton(AF_INET6, b, bb) == 1 ? AF_INET6 : 0;
	if (af == 0 || bf == 0)
		return 0;
	if ((af == AF_INET6 && memcmp(ab, any, sizeof(struct in6_addr)) == 0) ||
	    (bf == AF_INET6 && memcmp(bb, any, sizeof(struct in6_addr)) == 0))
		return 1;
	if (af != bf)
		return 0;
	if (af == AF_INET)
		return memcmp(ab, bb, sizeof(struct in_addr)) == 0 ||
		    memcmp(ab, any, sizeof(struct in_addr)) == 0 ||
		    memcmp(bb, any, sizeof(struct in_addr)) == 0;
	return memcmp(ab, bb, sizeof(struct in6_addr)) == 0;
}

/*
 * No two listeners on one address and port: the second bind() would fail
 * at start, or worse, with SO_REUSEADDR on some systems, the connections
 * be shared out between two daemons.  Said on the line of the later of
 * the two statements (a listener left at its default has none).
 */
static int
conf_check_listeners(struct conf_parser *p)
{
	struct pgpmg_conf	*c = p->conf;
	const struct {
		const char			*key;
		const struct conf_hostport	*hp;
		unsigned			 line;
	} l[] = {
		{ "listen smtp", &c->smtp_listen, p->smtp_line },
		{ "listen web", &c->web_listen, p->web_line },
		{ "listen web-redirect", &c->web_redirect_listen,
		    p->web_redirect_line },
	};
	const size_t	 n = sizeof(l) / sizeof(l[0]);

	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++) {
			size_t	 later = l[j].line >= l[i].line ? j : i;
			size_t	 other = later == j ? i : j;

			/* port 0: not configured (web-redirect only) */
			if (l[i].hp->port == 0 || l[j].hp->port == 0 ||
			    l[i].hp->port != l[j].hp->port ||
			    !conf_same_address(l[i].hp->host, l[j].hp->host))
				continue;
			p->line = l[later].line;
			conf_err(p, "%s: the same address and port as %s",
			    l[later].key, l[other].key);
			return -1;
		}
	}
	return 0;
}

int
conf_parse_text(const char *name, const char *text, size_t len,
    struct pgpmg_conf *conf, char *err, size_t errlen)
{
	struct conf_parser	 p;
	char			 buf[CONF_MAX_LINE + 1];	/* conf_split() */
	char			*words[CONF_MAX_WORDS];
	unsigned		 seen[CONF_NKEYS];
	const char		*cur, *end, *nl;
	size_t			 llen;
	int			 n;

	memset(conf, 0, sizeof(*conf));
	memset(seen, 0, sizeof(seen));
	memset(&p, 0, sizeof(p));
	if (name == NULL)
		name = "(config)";
	p.name = name;
	p.conf = conf;
	p.err = err;
	p.errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';

	if ((conf->source = strdup(name)) == NULL) {
		conf_err(&p, "out of memory");
		goto fail;
	}
	if (len > CONF_MAX_SIZE) {
		conf_err(&p, "larger than %d bytes", CONF_MAX_SIZE);
		goto fail;
	}
	if (text == NULL && len > 0) {
		conf_err(&p, "no text");
		goto fail;
	}

	cur = text;
	end = text + len;
	while (cur < end) {
		p.line++;
		if ((nl = memchr(cur, '\n', (size_t)(end - cur))) == NULL)
			nl = end;
		llen = (size_t)(nl - cur);
		/* A file edited elsewhere may end its lines with CRLF. */
		if (llen > 0 && cur[llen - 1] == '\r')
			llen--;
		if (llen > CONF_MAX_LINE) {
			conf_err(&p, "line longer than %d bytes",
			    CONF_MAX_LINE);
			goto fail;
		}
		if (memchr(cur, '\0', llen) != NULL) {
			conf_err(&p, "NUL byte in line");
			goto fail;
		}
		for (size_t i = 0; i < llen; i++) {
			unsigned char ch = (unsigned char)cur[i];

			if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
				conf_err(&p, "control character 0x%02x "
				    "in line", ch);
				goto fail;
			}
		}
		if ((n = conf_split(&p, cur, llen, buf, words)) == -1)
			goto fail;
		if (n > 0 && conf_statement(&p, words, (size_t)n, seen) == -1)
			goto fail;
		cur = nl < end ? nl + 1 : end;
	}
	p.line = 0;
	if (conf_defaults(&p) == -1 || conf_check_listeners(&p) == -1)
		goto fail;
	return 0;

 fail:
	conf_free(conf);
	return -1;
}

char *
conf_read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	struct stat	 st;
	char		*buf = NULL;
	size_t		 off = 0;
	ssize_t		 n;
	int		 fd, saved;

	/* O_NONBLOCK: opening a FIFO by mistake must not hang the check
	 * below; it has no effect on a regular file. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto fail;
	}
	if (st.st_size > CONF_MAX_SIZE) {
		snprintf(err, errlen, "%s: %lld bytes, larger than the "
		    "limit of %d", path, (long long)st.st_size, CONF_MAX_SIZE);
		goto fail;
	}
	/* One byte more than the limit tells us if the file grew since
	 * fstat(), one more for the NUL. */
	if ((buf = malloc(CONF_MAX_SIZE + 2)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	for (;;) {
		n = read(fd, buf + off, CONF_MAX_SIZE + 1 - off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		off += (size_t)n;
		if (off > CONF_MAX_SIZE) {
			snprintf(err, errlen, "%s: larger than the limit of "
			    "%d bytes", path, CONF_MAX_SIZE);
			goto fail;
		}
	}
	close(fd);
	buf[off] = '\0';
	*len = off;
	return buf;

 fail:
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return NULL;
}

int
conf_parse_file(const char *path, struct pgpmg_conf *conf, char *err,
    size_t errlen)
{
	char	*text;
	size_t	 len;
	int	 rc;

	memset(conf, 0, sizeof(*conf));
	if ((text = conf_read_file(path, &len, err, errlen)) == NULL)
		return -1;
	rc = conf_parse_text(path, text, len, conf, err, errlen);
	free(text);
	return rc;
}

void
conf_free(struct pgpmg_conf *conf)
{
	if (conf == NULL)
		return;
	free(conf->source);
	for (size_t i = 0; i < conf->n_internal_domains &&
	    i < CONF_MAX_DOMAINS; i++)
		free(conf->internal_domains[i]);
	for (size_t i = 0; i < conf->n_inline_pgp && i < CONF_MAX_DOMAINS; i++)
		free(conf->inline_pgp[i]);
	free(conf->control_socket);
	free(conf->tls_certificate);
	free(conf->tls_key);
	free(conf->database);
	free(conf->database_admin);
	free(conf->policyd_key_file);
	free(conf->chroot_dir);
	free(conf->keyd_home);
	free(conf->cryptod_home);
	free(conf->web_root);
	free(conf->keyd_passphrase_file);
	memset(conf, 0, sizeof(*conf));
}

int
conf_is_internal_domain(const struct pgpmg_conf *conf, const char *domain)
{
	if (conf == NULL || domain == NULL)
		return 0;
	for (size_t i = 0; i < conf->n_internal_domains; i++)
		if (strcasecmp(conf->internal_domains[i], domain) == 0)
			return 1;
	return 0;
}

int
conf_is_internal_address(const struct pgpmg_conf *conf, const char *addr)
{
	const char	*at;

	if (addr == NULL || (at = strrchr(addr, '@')) == NULL)
		return 0;
	return conf_is_internal_domain(conf, at + 1);
}

int
conf_wants_inline_pgp(const struct pgpmg_conf *conf, const char *addr)
{
	const char	*at;

	if (conf == NULL || addr == NULL)
		return 0;
	at = strrchr(addr, '@');
	for (size_t i = 0; i < conf->n_inline_pgp; i++) {
		const char *e = conf->inline_pgp[i];
		if (strcasecmp(e, addr) == 0 ||
		    (at != NULL && strchr(e, '@') == NULL &&
		    strcasecmp(e, at + 1) == 0))
			return 1;
	}
	return 0;
}
