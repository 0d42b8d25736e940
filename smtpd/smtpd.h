/*
 * smtpd: shared state of the SMTP/LMTP front.  session.c speaks to the
 * client, session_data.c receives the message, pipeline.c takes it through
 * cryptod and the relay and turns the outcome into the client's replies.
 */
#ifndef PGPMG_SMTPD_H
#define PGPMG_SMTPD_H

#include <sys/queue.h>

#include <event2/bufferevent.h>
#include <openssl/ssl.h>

#include "common/child.h"
#include "common/memfd.h"
#include "smtpd/envelope.h"
#include "smtpd/smtp_data.h"
#include "smtpd/smtp_parse.h"

struct relay;
struct pipeline;

struct smtpd {
	struct child		*child;
	const struct pgpmg_conf	*conf;
	SSL_CTX			*server_ctx;	/* NULL: no STARTTLS offered */
	struct relay		*relay;
	struct event		*listen_ev;
	int			 listen_fd;
	uint64_t		 nsessions;
	uint64_t		 next_session_id;
	uint64_t		 next_job_id;
	unsigned		 next_worker;	/* round robin over cryptod */
	TAILQ_HEAD(, session)	 sessions;
};

extern struct smtpd *smtpd;

enum session_state {
	S_CONNECTED,	/* greeting not yet sent */
	S_GREETED,	/* waiting for HELO/EHLO/LHLO */
	S_HELO,		/* idle: waiting for MAIL */
	S_MAIL,		/* after MAIL: RCPTs */
	S_RCPT,		/* at least one RCPT: more, DATA or BDAT */
	S_DATA,		/* reading the DATA body */
	S_BDAT,		/* reading a BDAT chunk */
	S_BDAT_WAIT,	/* between BDAT chunks */
	S_PROCESSING,	/* message handed on; waiting for the outcome */
	S_CLOSING,	/* flushing the last reply, then close */
};

struct session {
	TAILQ_ENTRY(session)	 entry;
	uint64_t		 id;
	int			 fd;
	struct bufferevent	*bev;
	enum session_state	 state;
	int			 lmtp;
	int			 esmtp;		/* EHLO/LHLO, not HELO */
	int			 tls;		/* STARTTLS done */
	int			 parse_flags;	/* SMTP_PARSE_* */
	unsigned		 errors;
	int			 discarding;	/* skipping an over-long line */
	char			 helo[SMTP_DOMAIN_MAX + 1];
	char			 peer[64];
	struct event		*timer_ev;	/* greeting, deferred free */
	struct envelope		 env;

	/* the message */
	struct spool		 spool;
	struct smtp_data	 data;
	int			 data_open;
	uint64_t		 bdat_left;	/* bytes of the current chunk */
	int			 bdat_last;
	int			 bdat_refused;	/* discard chunks, then reply */
	enum session_state	 bdat_prev;	/* state before this BDAT */
	struct smtp_reply	 bdat_error;

	struct pipeline		*pipe;		/* while S_PROCESSING */
};

/* session.c */
void	session_accept(int fd, short ev, void *arg);
void	session_reply(struct session *, int code, const char *enhanced,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	session_reply_r(struct session *, const struct smtp_reply *);
void	session_error(struct session *, const struct smtp_reply *);
void	session_close(struct session *, const char *why);
void	session_timeout(struct session *, uint64_t seconds);
void	session_commands(struct session *);
void	session_resume(struct session *);	/* after the outcome */
void	session_reset_transaction(struct session *);

/* session_data.c */
int	session_data_begin(struct session *);
void	session_data_read(struct session *);
void	session_bdat(struct session *, const struct smtp_command *);
void	session_bdat_read(struct session *);

/* pipeline.c */
void	pipeline_start(struct session *);
void	pipeline_cancel(struct session *);
void	pipeline_job_msg(struct child *, struct child_peer *, struct imsg *);
void	pipeline_worker_down(struct child *, struct child_peer *);

#endif /* PGPMG_SMTPD_H */
