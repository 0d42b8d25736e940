/*
 * config: pgpmg.conf, parsed the same way by pgpmgd, pgpmgctl and (from the
 * text the parent sends them) by the children, so every process sees the
 * very same configuration.  Syntax and every key are documented in
 * docs/pgpmg.conf.5.
 */
#ifndef PGPMG_CONFIG_H
#define PGPMG_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define CONF_DEFAULT_PATH	"/etc/pgpmg/pgpmg.conf"
/* The whole file must fit in one imsg to the children. */
#define CONF_MAX_SIZE		(60 * 1024)
#define CONF_MAX_DOMAINS	256
#define CONF_MAX_WORKERS	64

struct conf_hostport {
	char		 host[256];	/* name or literal, brackets removed */
	uint16_t	 port;
};

struct pgpmg_conf {
	char			*source;	/* file name, for messages */

	struct conf_hostport	 smtp_listen;	/* listen smtp HOST:PORT */
	int			 smtp_lmtp;	/* ... lmtp: speak LMTP */
	struct conf_hostport	 web_listen;	/* listen web HOST:PORT */
	/* listen web-redirect HOST:PORT: plain HTTP that only redirects to
	 * the console; port 0 when not configured (the default) */
	struct conf_hostport	 web_redirect_listen;
	struct conf_hostport	 relay;		/* relay HOST:PORT */

	char			*internal_domains[CONF_MAX_DOMAINS];
	size_t			 n_internal_domains;

	char			*control_socket;
	char			*tls_certificate;
	char			*tls_key;
	char			*database;	/* libpq conninfo */
	char			*database_admin;	/* conninfo, DDL role */
	char			*policyd_key_file;	/* root-only secret */
	uint64_t		 database_timeout;	/* seconds: connect, query */
	uint64_t		 housekeeping_interval;	/* seconds */
	uint64_t		 notice_retention;	/* days */
	/* policyd: the console's sessions and lockout (policyd/login.c) */
	uint64_t		 console_idle_timeout;	/* seconds */
	uint64_t		 console_session_lifetime;	/* seconds */
	uint64_t		 console_lockout;	/* seconds */
	char			*chroot_dir;	/* empty, root-owned */
	char			*keyd_home;
	char			*cryptod_home;	/* worker N uses <home>/N */
	char			*web_root;
	char			*keyd_passphrase_file;	/* root-only secret */
	unsigned		 cryptod_workers;
	int			 verbose;	/* log-level debug */

	/* smtpd: the server side */
	char			 hostname[256];	/* greeting, EHLO */
	int			 smtp_tls;	/* offer STARTTLS */
	uint64_t		 smtp_max_size;
	uint64_t		 smtp_max_recipients;
	uint64_t		 smtp_max_sessions;
	uint64_t		 smtp_command_timeout;	/* seconds */
	uint64_t		 smtp_data_timeout;	/* seconds */
	uint64_t		 smtp_max_errors;
	uint64_t		 smtp_max_line_length;	/* text line, no CRLF */
	uint64_t		 smtp_greet_delay;	/* milliseconds */
	/* smtpd: the relay client */
	int			 relay_tls;	/* CONF_RELAY_TLS_* */
	uint64_t		 relay_timeout;		/* seconds */
	uint64_t		 relay_connect_timeout;	/* seconds */

	/* webd */
	uint64_t		 web_max_connections;
	uint64_t		 web_max_requests;	/* per connection */
	uint64_t		 web_head_timeout;	/* seconds */
	uint64_t		 web_body_timeout;	/* seconds */
	uint64_t		 web_idle_timeout;	/* seconds */

	/* keyd */
	int			 key_algorithm;	/* CONF_KEY_* */
	uint64_t		 key_lifetime;	/* days */
	/* cryptod */
	uint64_t		 crypto_max_output;	/* bytes, any output */
	char			*inline_pgp[CONF_MAX_DOMAINS];	/* addr or domain */
	size_t			 n_inline_pgp;
};

enum {
	CONF_KEY_ED25519 = 0,	/* ed25519 primary, cv25519 subkey */
	CONF_KEY_RSA3072,
};

enum {
	CONF_RELAY_TLS_NO = 0,
	CONF_RELAY_TLS_OPPORTUNISTIC,
	CONF_RELAY_TLS_REQUIRE,
};

/*
 * Parse; on failure return -1 and put "FILE:LINE: message" in err.
 * conf_parse_text() parses a buffer (not necessarily NUL-terminated) whose
 * file name, for messages, is name.  Unset keys get their defaults.
 */
int	conf_parse_file(const char *path, struct pgpmg_conf *, char *err, size_t errlen);
int	conf_parse_text(const char *name, const char *text, size_t len,
	    struct pgpmg_conf *, char *err, size_t errlen);
/* Read a config file into a NUL-terminated buffer of at most CONF_MAX_SIZE. */
char	*conf_read_file(const char *path, size_t *len, char *err, size_t errlen);
void	conf_free(struct pgpmg_conf *);
/* Returns 1 when domain (case-insensitive) is listed as internal. */
int	conf_is_internal_domain(const struct pgpmg_conf *, const char *domain);
/* Returns 1 when the address is internal: its domain is internal. */
int	conf_is_internal_address(const struct pgpmg_conf *, const char *addr);
/* Returns 1 when the address, or its domain, is listed under inline-pgp. */
int	conf_wants_inline_pgp(const struct pgpmg_conf *, const char *addr);

#endif /* PGPMG_CONFIG_H */
