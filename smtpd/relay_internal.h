/*
 * relay_internal: what the relay's files share.  relay.c runs the pool
 * and the API; relay_session.c each connection's life (connect, greeting,
 * EHLO, STARTTLS, idle, QUIT); relay_txn.c one mail transaction on a
 * connection that is ready; relay_reply.c holds the pure parts (reply lines, EHLO
 * capabilities, the results smtpd passes upstream) so that they can be
 * tested and fuzzed without a network.
 */
#ifndef PGPMG_RELAY_INTERNAL_H
#define PGPMG_RELAY_INTERNAL_H

#include <sys/queue.h>
#include <sys/time.h>

#include <stdarg.h>
#include <stdint.h>

#include "smtpd/relay.h"

struct bufferevent;
struct event;
struct evbuffer;

/* RFC 5321 4.5.3.1.5: a reply line is at most 512 octets with its CRLF.
 * A longer one is a protocol error, not something to cut. */
#define RELAY_LINE_MAX		512
/* Lines in one reply.  The longest reply we expect is EHLO's, one line
 * per extension: the IANA registry holds about 50 of them. */
#define RELAY_REPLY_MAX_LINES	64
/* The text we pass upstream is cut here, so that smtpd's "NNN X.YYY.ZZZ
 * text" line stays within RFC 5321's 512 octets. */
#define RELAY_RESULT_TEXT_MAX	400
/* A command line we build: RFC 5321's 512 octets, extended by RFC 3461
 * for NOTIFY and a 500-octet ORCPT on RCPT. */
#define RELAY_CMD_MAX		1024
/* One XFORWARD line, like any command line (Postfix splits likewise). */
#define RELAY_XFORWARD_LINE_MAX	512
/* The body is read from the memfd in chunks of this size ... */
#define RELAY_CHUNK		(64 * 1024)
/* ... and kept between these amounts in the output buffer: enough to keep
 * a loopback connection busy, little enough that a 50 MiB message never
 * sits in memory at once. */
#define RELAY_OUT_LOWAT		(64 * 1024)
#define RELAY_OUT_HIWAT		(256 * 1024)
/* How long we wait for the 221 after QUIT before closing anyway. */
#define RELAY_QUIT_TIMEOUT	5

/* EHLO capabilities. */
#define RELAY_CAP_PIPELINING	0x0001
#define RELAY_CAP_SIZE		0x0002
#define RELAY_CAP_8BITMIME	0x0004
#define RELAY_CAP_SMTPUTF8	0x0008
#define RELAY_CAP_DSN		0x0010
#define RELAY_CAP_STARTTLS	0x0020
#define RELAY_CAP_XFORWARD	0x0040
#define RELAY_CAP_ENHANCED	0x0080
#define RELAY_CAP_CHUNKING	0x0100

/* XFORWARD attributes (Postfix's XFORWARD_README). */
#define RELAY_XF_NAME		0x01
#define RELAY_XF_ADDR		0x02
#define RELAY_XF_PORT		0x04
#define RELAY_XF_PROTO		0x08
#define RELAY_XF_HELO		0x10
#define RELAY_XF_IDENT		0x20
#define RELAY_XF_SOURCE		0x40

struct relay_caps {
	unsigned	 flags;		/* RELAY_CAP_* */
	uint64_t	 size_max;	/* SIZE's number; 0: no limit given */
	unsigned	 xforward;	/* RELAY_XF_* the relay takes */
};

/* A reply being read, then complete. */
struct relay_reply {
	int		 code;
	unsigned	 nlines;
	char		 enhanced[16];		/* from the first line, or "" */
	char		 text[RELAY_LINE_MAX];	/* first line, made printable */
};

/* relay_reply_line() results. */
#define RELAY_REPLY_MORE	0
#define RELAY_REPLY_DONE	1

/* Where a request is (rr_where). */
enum relay_where {
	RR_NONE = 0,	/* not ours (new, done, or cancelled) */
	RR_QUEUED,	/* waiting for a session */
	RR_ACTIVE,	/* on rr_session */
	RR_DONE		/* result known, done() not yet called */
};

enum relay_state {
	RS_CONNECT,	/* TCP connect in progress */
	RS_GREETING,	/* waiting for 220 */
	RS_EHLO,
	RS_HELO,	/* EHLO was refused with 5xx */
	RS_STARTTLS,
	RS_TLS,		/* handshake in progress */
	RS_TXN,		/* XFORWARD, MAIL, RCPT, DATA sent; reading replies */
	RS_BODY,	/* streaming the message */
	RS_DOT,		/* waiting for the end-of-data reply */
	RS_RSET,	/* cleaning up after a failed transaction */
	RS_IDLE,	/* pooled */
	RS_QUIT
};

/* One mail transaction's command kinds, in the order they are sent. */
enum relay_cmd { RC_XFORWARD, RC_MAIL, RC_RCPT, RC_DATA };

struct relay_session {
	TAILQ_ENTRY(relay_session) entry;	/* relay->sessions */
	TAILQ_ENTRY(relay_session) idle_entry;	/* relay->idle */
	struct relay		*relay;
	unsigned		 id;		/* for log lines */
	struct bufferevent	*bev;		/* socket, or TLS filter on it */
	struct event		*timer;
	enum relay_state	 state;
	int			 tls;		/* TLS is up */
	struct relay_caps	 caps;
	struct relay_reply	 reply;		/* being read */
	struct relay_request	*req;
	unsigned		 ntxn;		/* transactions started */

	/* The transaction in progress (relay_txn.c). */
	int			 reused;	/* not the session's first */
	int			 replied;	/* any reply to it yet */
	struct evbuffer		*cmds;		/* commands not yet sent */
	size_t			 nxf;		/* XFORWARD lines */
	size_t			 ncmd;		/* XFORWARD + MAIL + RCPT + DATA */
	size_t			 nsent;
	size_t			 nreplied;
	int			 failed;	/* fail holds the verdict */
	struct relay_result	 fail;
	enum relay_cmd		 fail_cmd;	/* what fail answers */
	uint64_t		 off;		/* body bytes queued */
	int			 bol;		/* the next body byte starts
						 * a line */
};

struct relay {
	struct event_base	*base;
	struct relay_config	 conf;
	unsigned		 max_sessions;
	TAILQ_HEAD(, relay_session) sessions;
	TAILQ_HEAD(relay_session_idleq, relay_session) idle; /* MRU first */
	TAILQ_HEAD(, relay_request) queue;
	TAILQ_HEAD(, relay_request) done_q;
	struct event		*sched_ev;	/* run relay_schedule() */
	struct event		*done_ev;	/* call done() for done_q */
	unsigned		 nrset;		/* sessions in RS_RSET */
	int			 in_done;	/* inside a done() */
	int			 dying;		/* relay_free() from done() */
	int			 freeing;
	unsigned		 next_id;
	struct relay_stats	 stats;
	char			*chunk;		/* RELAY_CHUNK, for the body */
};

/* relay.c */
void	relay_wake(struct relay *);
void	relay_request_finish(struct relay_request *, const struct relay_result *);

/* relay_session.c.  Functions returning int return -1 when the session
 * was freed, 0 when it lives on. */
void	relay_session_new(struct relay *, struct relay_request *);
void	relay_session_free(struct relay_session *);
void	relay_session_unidle(struct relay_session *);
void	relay_session_quit(struct relay_session *);
void	relay_session_arm(struct relay_session *, const struct timeval *);
void	relay_session_send(struct relay_session *, const char *, size_t);
int	relay_session_abort(struct relay_session *, const struct relay_result *,
	    int retry_ok);
void	relay_session_finish(struct relay_session *, const struct relay_result *);
void	relay_session_clean(struct relay_session *);
void	relay_session_rset(struct relay_session *);
const char *relay_session_what(const struct relay_session *);

/* relay_txn.c */
int	relay_txn_start(struct relay_session *);
int	relay_txn_reply(struct relay_session *);
int	relay_txn_body(struct relay_session *);
enum relay_cmd relay_txn_cmd(const struct relay_session *, size_t);

/* relay_reply.c */
int	relay_reply_line(struct relay_reply *, const char *, size_t,
	    const char **why);
void	relay_caps_line(struct relay_caps *, const char *, size_t);
unsigned relay_xforward_attr(const char *, size_t);
void	relay_result_local(struct relay_result *, int code, const char *enh,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	relay_result_relay(struct relay_result *, const struct relay_reply *);
void	relay_result_session(struct relay_result *, const struct relay_reply *,
	    const char *name, const char *what);
void	relay_result_accepted(struct relay_result *, const struct relay_reply *);

#endif /* PGPMG_RELAY_INTERNAL_H */
