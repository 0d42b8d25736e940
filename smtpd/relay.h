/*
 * relay: smtpd's SMTP client to the next hop, Postfix's reinjection port.
 * smtpd hands it one request per recipient group (an envelope, a subset of
 * its recipients and a sealed memfd with the message); the relay runs the
 * ESMTP transaction on a pooled connection and reports, once, whether the
 * next hop accepted the data for every recipient of the group, together
 * with the reply smtpd should give upstream.  Any failure that is not a
 * permanent verdict of the relay about this message is a 4xx, so that
 * Postfix keeps the message and retries: no mail is lost here.
 *
 * Everything is asynchronous on the caller's event base.  The relay never
 * resolves names nor opens files: the caller resolves the relay's address
 * and makes the TLS client context before entering the sandbox.
 */
#ifndef PGPMG_RELAY_H
#define PGPMG_RELAY_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "smtpd/envelope.h"

struct event_base;
struct relay;
struct relay_session;

/* Sessions open at once to the relay, unless the config says fewer.
 * Postfix's default process limit is 100, so more parallel deliveries
 * than this would mostly queue in the relay anyway. */
#define RELAY_MAX_SESSIONS		64
/* Defaults for a zero timeout in struct relay_config.  They stay well
 * below Postfix's own 600 s wait for our end-of-data reply, so that
 * Postfix hears our 4xx rather than timing out itself. */
#define RELAY_DEFAULT_CONNECT_TIMEOUT	10	/* the relay is nearby */
#define RELAY_DEFAULT_COMMAND_TIMEOUT	120
#define RELAY_DEFAULT_DATA_TIMEOUT	300
#define RELAY_DEFAULT_IDLE_TIMEOUT	10	/* Postfix's smtpd waits 300 */

enum relay_tls {
	RELAY_TLS_NO,			/* never STARTTLS */
	RELAY_TLS_OPPORTUNISTIC,	/* STARTTLS when offered */
	RELAY_TLS_REQUIRE		/* no STARTTLS, no mail (4xx) */
};

struct relay_config {
	struct sockaddr_storage	 addr;		/* resolved before the sandbox */
	socklen_t		 addrlen;
	char			 name[256];	/* "host:port", for messages */
	char			 helo[256];	/* our EHLO name */
	enum relay_tls		 tls;
	/*
	 * Client context, made before the sandbox; required unless tls is
	 * RELAY_TLS_NO.  Each connection is held to TLS 1.2 or newer
	 * whatever the context allows.  Certificate checks are the
	 * context's: set SSL_VERIFY_PEER and a CA store on it to verify.
	 */
	SSL_CTX			*ssl_ctx;
	/* SNI and, when the context verifies, the name the certificate
	 * must carry; "" for neither. */
	char			 tls_name[256];
	/* A zero timeout means RELAY_DEFAULT_*. */
	struct timeval		 connect_timeout;	/* TCP connect */
	struct timeval		 command_timeout;	/* each reply */
	struct timeval		 data_timeout;	/* body progress, final reply */
	struct timeval		 idle_timeout;	/* pooled session, then QUIT */
	unsigned		 max_idle;	/* pooled idle sessions, 0: none */
	unsigned		 max_sessions;	/* 0: RELAY_MAX_SESSIONS */
};

struct relay_result {
	/* 1: the relay said 2xx to the end of data, for every recipient
	 * of the group.  reply is then 250 with the relay's text. */
	int			 accepted;
	struct smtp_reply	 reply;		/* what to tell upstream */
};

struct relay_request {
	/* Set by the caller; env, rcpt_idx and fd stay valid and unchanged
	 * until done() runs or the request is cancelled.  The relay never
	 * closes fd. */
	const struct envelope	*env;
	const size_t		*rcpt_idx;	/* indexes into env->rcpts */
	size_t			 nrcpt;		/* one recipient group, >= 1 */
	int			 fd;		/* sealed memfd: CRLF lines,
						 * not dot-stuffed */
	uint64_t		 size;		/* bytes in fd */
	int			 eightbit;	/* it has bytes >= 0x80 */
	int			 notice;	/* the gateway's own notice:
						 * MAIL FROM:<>, no DSN
						 * parameters */
	void			(*done)(struct relay_request *,
				    const struct relay_result *);
	void			*arg;

	/* The relay's own; the caller leaves them alone. */
	TAILQ_ENTRY(relay_request) rr_entry;
	struct relay		*rr_relay;
	struct relay_session	*rr_session;
	int			 rr_where;
	unsigned		 rr_attempts;
	struct relay_result	 rr_result;
};

struct relay_stats {
	uint64_t	 connects;	/* connections attempted */
	uint64_t	 transactions;	/* MAIL commands sent */
	uint64_t	 accepted;	/* messages the relay took */
	uint64_t	 reuses;	/* transactions on a pooled session */
	uint64_t	 retries;	/* requests retried after a dead
					 * pooled session */
	unsigned	 sessions;	/* open now, in any state */
	unsigned	 idle;		/* of which pooled */
	unsigned	 queued;	/* requests waiting for a session */
};

/* Returns NULL (and logs why) on a bad config or no memory. */
struct relay	*relay_new(struct event_base *, const struct relay_config *);
/*
 * Queue a request.  done() is called exactly once, later, from the event
 * loop, never from inside relay_submit(); it may submit or cancel other
 * requests, and may call relay_free() (which then takes effect once
 * done() returns).
 */
void		 relay_submit(struct relay *, struct relay_request *);
/*
 * The upstream client went away: forget the request; done() will not be
 * called.  A transaction in progress is abandoned by closing its
 * connection, which before the final dot makes the relay discard the
 * message; once the dot is sent, the relay may already have taken it.
 */
void		 relay_cancel(struct relay_request *);
/* Close every session; requests still outstanding are cancelled. */
void		 relay_free(struct relay *);
void		 relay_get_stats(const struct relay *, struct relay_stats *);

#endif /* PGPMG_RELAY_H */
