/*
 * The SMTP/LMTP server session: accepting, the greeting, reading command
 * lines within their limits, the command state machine, STARTTLS, replies
 * and the end of a session.  The message body is session_data.c's; what
 * happens to the message afterwards is pipeline.c's.
 *
 * Every refusal is a reply with an enhanced status code, counted against
 * the session's error budget; nothing a client sends can make the server
 * stop serving others.  Input that leaves the two ends disagreeing about
 * where a command or a message ends (smuggling, improper pipelining) ends
 * the session instead of being guessed at.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "smtpd/smtpd.h"

/* Connections taken per listener wake-up, so one busy client population
 * cannot starve the rest of the loop. */
#define SESSION_ACCEPT_BURST	64
/* How long the 220 to STARTTLS may take to leave. */
#define SESSION_FLUSH_MS	5000
/* RFC 5321 4.5.3.1.4: command line, 512 octets with CRLF. */
#define SESSION_LINE_MAX	512

static void	session_read_cb(struct bufferevent *, void *);
static void	session_write_cb(struct bufferevent *, void *);
static void	session_event_cb(struct bufferevent *, short, void *);
static void	session_timer(int, short, void *);
static void	session_greet(struct session *);

void
session_timeout(struct session *s, uint64_t seconds)
{
	struct timeval	 tv = { (time_t)seconds, 0 };

	bufferevent_set_timeouts(s->bev, &tv, &tv);
}

void
session_accept(int lfd, short ev, void *arg)
{
	const struct pgpmg_conf	*conf = smtpd->conf;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	struct session		*s;
	struct timeval		 tv;
	int			 fd;

	(void)ev; (void)arg;
	for (int i = 0; i < SESSION_ACCEPT_BURST; i++) {
		sslen = sizeof(ss);
		if ((fd = accept4(lfd, (struct sockaddr *)&ss, &sslen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("accept");
			return;
		}
		if (smtpd->nsessions >= conf->smtp_max_sessions) {
			static const char busy[] =
			    "421 4.7.0 too many sessions, try again later\r\n";
			(void)send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL);
			close(fd);
			continue;
		}
		if ((s = calloc(1, sizeof(*s))) == NULL) {
			log_warn("session");
			close(fd);
			continue;
		}
		s->id = ++smtpd->next_session_id;
		s->fd = fd;
		s->lmtp = conf->smtp_lmtp;
		s->spool.fd = -1;
		child_peer_text(&ss, s->peer, sizeof(s->peer));
		if ((s->bev = bufferevent_socket_new(smtpd->child->base, fd,
		    BEV_OPT_CLOSE_ON_FREE)) == NULL ||
		    (s->timer_ev = evtimer_new(smtpd->child->base,
		    session_timer, s)) == NULL) {
			log_warnx("session: out of memory");
			if (s->bev != NULL)
				bufferevent_free(s->bev);
			else
				close(fd);
			free(s);
			continue;
		}
		bufferevent_setcb(s->bev, session_read_cb, session_write_cb,
		    session_event_cb, s);
		/* Not reading yet: whatever arrives before the greeting is
		 * an early talker, found in session_greet(). */
		session_timeout(s, conf->smtp_command_timeout);
		TAILQ_INSERT_TAIL(&smtpd->sessions, s, entry);
		smtpd->nsessions++;
		if (conf->smtp_greet_delay == 0) {
			session_greet(s);
			continue;
		}
		tv.tv_sec = (time_t)(conf->smtp_greet_delay / 1000);
		tv.tv_usec = (suseconds_t)(conf->smtp_greet_delay % 1000) * 1000;
		evtimer_add(s->timer_ev, &tv);
	}
}

static void	session_free(struct session *);

static void
session_greet(struct session *s)
{
	char		 c;

	/* RFC 5321 3.1: a client waits for the greeting.  Without a
	 * greet delay there is no window to watch. */
	if (smtpd->conf->smtp_greet_delay > 0 &&
	    recv(s->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 1) {
		session_reply(s, 554, NULL,
		    "%s protocol error: talked before the greeting",
		    smtpd->conf->hostname);
		session_close(s, "early talker");
		return;
	}
	s->state = S_GREETED;
	session_reply(s, 220, NULL, "%s %s pgpmg", smtpd->conf->hostname,
	    s->lmtp ? "LMTP" : "ESMTP");
	bufferevent_enable(s->bev, EV_READ);
}

static void
session_free(struct session *s)
{
	if (s->pipe != NULL)
		pipeline_cancel(s);
	if (s->data_open)
		spool_discard(&s->spool);
	free(s->env.rcpts);
	if (s->timer_ev != NULL)
		event_free(s->timer_ev);
	bufferevent_free(s->bev);
	TAILQ_REMOVE(&smtpd->sessions, s, entry);
	smtpd->nsessions--;
	free(s);
}

/*
 * The session's one timer: the greeting while S_CONNECTED, the deferred
 * free while S_CLOSING.
 */
static void
session_timer(int fd, short ev, void *arg)
{
	struct session	*s = arg;

	(void)fd; (void)ev;
	if (s->state == S_CONNECTED)
		session_greet(s);
	else if (s->state == S_CLOSING)
		session_free(s);
}

/*
 * Close once the last reply is out: stop reading, and free the session
 * from the write callback when the output buffer has drained.  Never
 * frees at once, so callers may still look at the session afterwards.
 */
void
session_close(struct session *s, const char *why)
{
	struct timeval	 now = { 0, 0 };

	log_debug("session %llu (%s): closing: %s", (unsigned long long)s->id,
	    s->peer, why);
	s->state = S_CLOSING;
	bufferevent_disable(s->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(s->bev)) == 0)
		evtimer_add(s->timer_ev, &now);
}

static void
session_write_cb(struct bufferevent *bev, void *arg)
{
	struct session	*s = arg;

	(void)bev;
	if (s->state == S_CLOSING)
		session_free(s);
}

static void
session_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct session	*s = arg;

	(void)bev;
	/* The TLS handshake completed: nothing to do but go on reading. */
	if (what == BEV_EVENT_CONNECTED)
		return;
	if (what & BEV_EVENT_TIMEOUT) {
		if (s->state == S_CLOSING) {
			session_free(s);
			return;
		}
		session_reply(s, 421, "4.4.2", "%s timeout, closing",
		    smtpd->conf->hostname);
		session_close(s, "timeout");
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		unsigned long e = bufferevent_get_openssl_error(bev);
		if (e != 0)
			log_debug("session %llu: TLS: %s",
			    (unsigned long long)s->id,
			    ERR_reason_error_string(e));
	}
	/* A half-closed client still gets the replies already queued;
	 * after an error nothing more can be sent. */
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) &&
	    s->state != S_CLOSING) {
		session_close(s, "client closed its side");
		return;
	}
	session_free(s);
}

void
session_reply(struct session *s, int code, const char *enhanced,
    const char *fmt, ...)
{
	struct evbuffer	*out = bufferevent_get_output(s->bev);
	char		 text[SMTP_LINE_MAX];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (enhanced != NULL && enhanced[0] != '\0')
		evbuffer_add_printf(out, "%d %s %s\r\n", code, enhanced, text);
	else
		evbuffer_add_printf(out, "%d %s\r\n", code, text);
}

void
session_reply_r(struct session *s, const struct smtp_reply *r)
{
	session_reply(s, r->code, r->enhanced, "%s", r->text);
}

/* An error reply that counts against the session's budget. */
void
session_error(struct session *s, const struct smtp_reply *r)
{
	session_reply_r(s, r);
	if (++s->errors >= smtpd->conf->smtp_max_errors) {
		session_reply(s, 421, "4.7.0", "%s too many errors, closing",
		    smtpd->conf->hostname);
		session_close(s, "too many errors");
	}
}

static void
session_error_text(struct session *s, int code, const char *enhanced,
    const char *text)
{
	struct smtp_reply	 r;

	smtp_reply_set(&r, code, enhanced, "%s", text);
	session_error(s, &r);
}

void
session_reset_transaction(struct session *s)
{
	char	 xforward[sizeof(s->env.xforward)];

	if (s->data_open) {
		spool_discard(&s->spool);
		s->data_open = 0;
	}
	/* XFORWARD attributes describe the session, not the transaction. */
	memcpy(xforward, s->env.xforward, sizeof(xforward));
	free(s->env.rcpts);
	memset(&s->env, 0, sizeof(s->env));
	memcpy(s->env.xforward, xforward, sizeof(xforward));
	s->parse_flags &= ~SMTP_PARSE_UTF8_TXN;
	s->bdat_left = 0;
	s->bdat_last = 0;
	s->bdat_refused = 0;
	if (s->state != S_GREETED && s->state != S_CLOSING)
		s->state = S_HELO;
}

static void
session_ehlo(struct session *s, const struct smtp_command *cmd)
{
	const struct pgpmg_conf	*conf = smtpd->conf;
	struct evbuffer		*out = bufferevent_get_output(s->bev);
	struct smtp_reply	 r;

	if (s->lmtp != (cmd->verb == SMTP_CMD_LHLO)) {
		session_error_text(s, 500, "5.5.1", s->lmtp ?
		    "this is an LMTP server: use LHLO" :
		    "LHLO is for LMTP; use EHLO");
		return;
	}
	if (smtp_parse_helo(cmd, s->helo, sizeof(s->helo), &r) == -1) {
		session_error(s, &r);
		return;
	}
	session_reset_transaction(s);
	s->state = S_HELO;
	s->esmtp = cmd->verb != SMTP_CMD_HELO;
	s->parse_flags = s->esmtp ? SMTP_PARSE_UTF8_OFFERED : SMTP_PARSE_HELO;
	if (!s->esmtp) {
		session_reply(s, 250, NULL, "%s", conf->hostname);
		return;
	}
	evbuffer_add_printf(out, "250-%s\r\n", conf->hostname);
	evbuffer_add_printf(out, "250-PIPELINING\r\n");
	evbuffer_add_printf(out, "250-SIZE %llu\r\n",
	    (unsigned long long)conf->smtp_max_size);
	evbuffer_add_printf(out, "250-8BITMIME\r\n");
	evbuffer_add_printf(out, "250-SMTPUTF8\r\n");
	if (smtpd->server_ctx != NULL && !s->tls)
		evbuffer_add_printf(out, "250-STARTTLS\r\n");
	evbuffer_add_printf(out, "250-CHUNKING\r\n");
	evbuffer_add_printf(out, "250-DSN\r\n");
	evbuffer_add_printf(out,
	    "250-XFORWARD NAME ADDR PORT PROTO HELO IDENT SOURCE\r\n");
	evbuffer_add_printf(out, "250 ENHANCEDSTATUSCODES\r\n");
}

static void
session_mail(struct session *s, const struct smtp_command *cmd)
{
	struct smtp_reply	 r;

	if (s->state != S_HELO) {
		session_error_text(s, 503, "5.5.1", s->state == S_GREETED ?
		    "send HELO/EHLO first" : "nested MAIL command");
		return;
	}
	if (smtp_parse_mail(cmd, s->parse_flags, &s->env, &r) == -1) {
		session_error(s, &r);
		return;
	}
	if (s->env.size > smtpd->conf->smtp_max_size) {
		session_error_text(s, 552, "5.3.4",
		    "message size exceeds fixed limit");
		session_reset_transaction(s);
		return;
	}
	if (s->env.smtputf8)
		s->parse_flags |= SMTP_PARSE_UTF8_TXN;
	s->state = S_MAIL;
	session_reply(s, 250, "2.1.0", "Ok");
}

static void
session_rcpt(struct session *s, const struct smtp_command *cmd)
{
	struct envelope		*env = &s->env;
	struct smtp_reply	 r;

	if (s->state != S_MAIL && s->state != S_RCPT) {
		session_error_text(s, 503, "5.5.1", "need MAIL command");
		return;
	}
	if (env->nrcpt >= smtpd->conf->smtp_max_recipients) {
		/* RFC 5321 4.5.3.1.10: 452, and the client sends the rest in
		 * another transaction. */
		session_reply(s, 452, "4.5.3", "too many recipients");
		return;
	}
	if (env->nrcpt == env->rcpt_cap) {
		size_t ncap = env->rcpt_cap ? env->rcpt_cap * 2 : 4;
		void *n = reallocarray(env->rcpts, ncap, sizeof(*env->rcpts));
		if (n == NULL) {
			session_reply(s, 452, "4.3.1", "out of memory");
			return;
		}
		env->rcpts = n;
		env->rcpt_cap = ncap;
	}
	if (smtp_parse_rcpt(cmd, s->parse_flags, &env->rcpts[env->nrcpt],
	    &r) == -1) {
		session_error(s, &r);
		return;
	}
	env->nrcpt++;
	s->state = S_RCPT;
	session_reply(s, 250, "2.1.5", "Ok");
}

static void
session_data(struct session *s)
{
	if (s->state != S_RCPT) {
		session_error_text(s, 503, "5.5.1", s->state == S_BDAT_WAIT ?
		    "DATA after BDAT" : "need RCPT command");
		return;
	}
	/* RFC 2920 3.1: DATA ends a pipelined group; the client must wait
	 * for the 354.  Bytes already here are either commands or a message
	 * sent blind: either way the ends disagree on the state. */
	if (evbuffer_get_length(bufferevent_get_input(s->bev)) != 0) {
		session_reply(s, 554, "5.5.0",
		    "improper command pipelining after DATA");
		session_close(s, "pipelining after DATA");
		return;
	}
	if (session_data_begin(s) == -1) {
		session_reply(s, 451, "4.3.0", "cannot spool the message");
		session_reset_transaction(s);
		return;
	}
	s->state = S_DATA;
	session_timeout(s, smtpd->conf->smtp_data_timeout);
	session_reply(s, 354, NULL, "End data with <CR><LF>.<CR><LF>");
}

/* The TLS handshake follows the 220 at once: write what is queued now.
 * It is a few hundred bytes on an idle socket; poll briefly if the
 * kernel buffer is full. */
static int
session_flush_now(struct session *s)
{
	struct evbuffer	*out = bufferevent_get_output(s->bev);
	struct pollfd	 pfd = { .fd = s->fd, .events = POLLOUT };

	int		 rc = 0;

	/* A socket bufferevent freezes the front of its output buffer so
	 * that only it drains it; this one is being retired. */
	evbuffer_unfreeze(out, 1);
	while (rc == 0 && evbuffer_get_length(out) > 0) {
		if (evbuffer_write(out, s->fd) == -1 &&
		    ((errno != EAGAIN && errno != EINTR) ||
		    poll(&pfd, 1, SESSION_FLUSH_MS) <= 0))
			rc = -1;
	}
	evbuffer_freeze(out, 1);
	return rc;
}

static void
session_starttls(struct session *s, const struct smtp_command *cmd)
{
	struct evbuffer		*in = bufferevent_get_input(s->bev);
	struct bufferevent	*tlsbev;
	SSL			*ssl;

	if (smtpd->server_ctx == NULL || s->tls) {
		session_error_text(s, 502, "5.5.1", s->tls ?
		    "TLS already active" : "STARTTLS not offered");
		return;
	}
	if (cmd->argslen != 0) {
		session_error_text(s, 501, "5.5.4", "STARTTLS takes no argument");
		return;
	}
	if (s->state != S_HELO) {
		session_error_text(s, 503, "5.5.1", s->state == S_GREETED ?
		    "send EHLO first" : "STARTTLS inside a transaction");
		return;
	}
	/* RFC 3207 / CVE-2011-0411: plaintext sent after STARTTLS must not
	 * be taken as if it had come over TLS.  Drop it unanswered. */
	if (evbuffer_get_length(in) != 0) {
		log_debug("session %llu: discarding %zu bytes pipelined after "
		    "STARTTLS", (unsigned long long)s->id,
		    evbuffer_get_length(in));
		evbuffer_drain(in, evbuffer_get_length(in));
	}
	session_reply(s, 220, "2.0.0", "Ready to start TLS");
	/*
	 * The replies so far go out in the clear, then the socket changes
	 * hands: a TLS bufferevent on the same fd replaces the plain one.
	 * (A filter over the plain bufferevent would work as well, but this
	 * leaves one layer per session instead of two.)
	 */
	if (session_flush_now(s) == -1 ||
	    (ssl = SSL_new(smtpd->server_ctx)) == NULL) {
		session_close(s, "cannot start TLS");
		return;
	}
	/* The old bufferevent lets go of the fd before the new takes it. */
	bufferevent_setfd(s->bev, -1);
	if ((tlsbev = bufferevent_openssl_socket_new(smtpd->child->base, s->fd,
	    ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		SSL_free(ssl);
		close(s->fd);
		session_close(s, "cannot start TLS");
		return;
	}
	bufferevent_free(s->bev);
	s->bev = tlsbev;
	bufferevent_setcb(s->bev, session_read_cb, session_write_cb,
	    session_event_cb, s);
	session_timeout(s, smtpd->conf->smtp_command_timeout);
	bufferevent_enable(s->bev, EV_READ);
	/* RFC 3207 4.2: forget everything learnt before TLS. */
	s->tls = 1;
	s->esmtp = 0;
	s->helo[0] = '\0';
	s->env.xforward[0] = '\0';
	session_reset_transaction(s);
	s->state = S_GREETED;
}

static void
session_dispatch(struct session *s, const char *line, size_t len)
{
	struct smtp_command	 cmd;
	struct smtp_reply	 r;

	if (smtp_parse_command(line, len, s->parse_flags, &cmd, &r) == -1) {
		session_error(s, &r);
		return;
	}
	switch (cmd.verb) {
	case SMTP_CMD_HELO:
	case SMTP_CMD_EHLO:
	case SMTP_CMD_LHLO:
		session_ehlo(s, &cmd);
		break;
	case SMTP_CMD_MAIL:
		session_mail(s, &cmd);
		break;
	case SMTP_CMD_RCPT:
		session_rcpt(s, &cmd);
		break;
	case SMTP_CMD_DATA:
		if (cmd.argslen != 0)
			session_error_text(s, 501, "5.5.4",
			    "DATA takes no argument");
		else
			session_data(s);
		break;
	case SMTP_CMD_BDAT:
		session_bdat(s, &cmd);
		break;
	case SMTP_CMD_RSET:
		session_reset_transaction(s);
		session_reply(s, 250, "2.0.0", "Ok");
		break;
	case SMTP_CMD_NOOP:
		session_reply(s, 250, "2.0.0", "Ok");
		break;
	case SMTP_CMD_QUIT:
		session_reply(s, 221, "2.0.0", "Bye");
		session_close(s, "QUIT");
		break;
	case SMTP_CMD_VRFY:
		/* RFC 5321 3.5.3: we cannot verify, but will try. */
		session_reply(s, 252, "2.5.0",
		    "Cannot VRFY user, but will accept message");
		break;
	case SMTP_CMD_EXPN:
		session_reply(s, 502, "5.5.1", "EXPN not supported");
		break;
	case SMTP_CMD_HELP:
		session_reply(s, 214, "2.0.0", "Commands: %sHELO EHLO MAIL RCPT "
		    "DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS XFORWARD",
		    s->lmtp ? "LHLO " : "");
		break;
	case SMTP_CMD_STARTTLS:
		session_starttls(s, &cmd);
		break;
	case SMTP_CMD_XFORWARD:
		if (s->state != S_HELO)
			session_error_text(s, 503, "5.5.1",
			    "XFORWARD only between transactions");
		else if (smtp_parse_xforward(&cmd, &s->env, &r) == -1)
			session_error(s, &r);
		else
			session_reply(s, 250, "2.0.0", "Ok");
		break;
	default:
		session_error_text(s, 500, "5.5.1", "command unrecognized");
		break;
	}
}

/* Read and dispatch complete command lines while in a command state. */
void
session_commands(struct session *s)
{
	struct evbuffer		*in;
	struct evbuffer_ptr	 eol;
	char			 line[SESSION_LINE_MAX + 1];
	size_t			 len;

	while (s->state == S_GREETED || s->state == S_HELO ||
	    s->state == S_MAIL || s->state == S_RCPT ||
	    s->state == S_BDAT_WAIT) {
		/* Fetched each time: STARTTLS replaces the bufferevent. */
		in = bufferevent_get_input(s->bev);
		eol = evbuffer_search(in, "\n", 1, NULL);
		if (s->discarding) {
			if (eol.pos == -1) {
				evbuffer_drain(in, evbuffer_get_length(in));
				return;
			}
			evbuffer_drain(in, (size_t)eol.pos + 1);
			s->discarding = 0;
			session_error_text(s, 500, "5.5.2", "line too long");
			continue;
		}
		if (eol.pos == -1) {
			/* No end of line within a command's length: the
			 * rest of this line is skipped and refused. */
			if (evbuffer_get_length(in) > SESSION_LINE_MAX) {
				evbuffer_drain(in, evbuffer_get_length(in));
				s->discarding = 1;
			}
			return;
		}
		len = (size_t)eol.pos + 1;
		if (len > SESSION_LINE_MAX) {
			evbuffer_drain(in, len);
			session_error_text(s, 500, "5.5.2", "line too long");
			continue;
		}
		evbuffer_remove(in, line, len);
		/* A command ends in CRLF; a bare LF or CR is refused rather
		 * than guessed at. */
		if (len < 2 || line[len - 2] != '\r' ||
		    memchr(line, '\r', len - 2) != NULL) {
			session_error_text(s, 500, "5.5.2",
			    "command lines must end with <CR><LF>");
			continue;
		}
		session_dispatch(s, line, len - 2);
	}
	if (s->state == S_DATA)
		session_data_read(s);
	else if (s->state == S_BDAT)
		session_bdat_read(s);
}

static void
session_read_cb(struct bufferevent *bev, void *arg)
{
	struct session	*s = arg;

	(void)bev;
	switch (s->state) {
	case S_DATA:
		session_data_read(s);
		break;
	case S_BDAT:
		session_bdat_read(s);
		break;
	case S_PROCESSING:
	case S_CLOSING:
	case S_CONNECTED:
		/* Input waits in the buffer (or is ignored when closing). */
		break;
	default:
		session_commands(s);
		break;
	}
}

/* The outcome has been answered: back to commands, including any the
 * client pipelined after its message. */
void
session_resume(struct session *s)
{
	session_reset_transaction(s);
	session_timeout(s, smtpd->conf->smtp_command_timeout);
	bufferevent_enable(s->bev, EV_READ);
	session_commands(s);
}
