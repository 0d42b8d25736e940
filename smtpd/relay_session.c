/*
 * relay_session: one SMTP connection to the relay, from connect through
 * the greeting, EHLO (HELO if EHLO is refused with 5xx), STARTTLS and EHLO
 * again, up to the point where it can carry mail; then, between
 * transactions, RSET, the idle pool and QUIT.  relay_txn.c runs the mail
 * transaction on it.
 *
 * A session is a libevent bufferevent.  It gives non-blocking connect,
 * buffered line reading and write-ready refills, and STARTTLS is a TLS
 * filter stacked on the same socket bufferevent, so the same code reads
 * and writes before and after the handshake (smtpd's server side does the
 * same).  Timeouts are one timer per session rather than bufferevent
 * timeouts, because what we wait for changes with the state (a reply, body
 * progress, an idle period) and a pooled session must not time out on "no
 * input".
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "common/log.h"
#include "smtpd/relay_internal.h"

static const char *const relay_state_names[] = {
	[RS_CONNECT] = "connect",
	[RS_GREETING] = "greeting",
	[RS_EHLO] = "EHLO",
	[RS_HELO] = "HELO",
	[RS_STARTTLS] = "STARTTLS",
	[RS_TLS] = "TLS handshake",
	[RS_TXN] = "MAIL",	/* relay_session_what() is more precise */
	[RS_BODY] = "message body",
	[RS_DOT] = "end of data",
	[RS_RSET] = "RSET",
	[RS_IDLE] = "idle",
	[RS_QUIT] = "QUIT",
};

const char *
relay_session_what(const struct relay_session *s)
{
	static const char *const cmd_names[] = {
		[RC_XFORWARD] = "XFORWARD", [RC_MAIL] = "MAIL FROM",
		[RC_RCPT] = "RCPT TO", [RC_DATA] = "DATA",
	};

	if (s->state == RS_TXN && s->nreplied < s->ncmd)
		return cmd_names[relay_txn_cmd(s, s->nreplied)];
	return relay_state_names[s->state];
}

void
relay_session_arm(struct relay_session *s, const struct timeval *tv)
{
	if (evtimer_add(s->timer, tv) == -1)
		fatalx("relay: evtimer_add");
}

void
relay_session_send(struct relay_session *s, const char *p, size_t len)
{
	if (bufferevent_write(s->bev, p, len) == -1)
		fatalx("relay: bufferevent_write");
}

static void
relay_session_cmd(struct relay_session *s, enum relay_state state,
    const char *cmd)
{
	char	 line[RELAY_CMD_MAX];
	int	 n;

	n = snprintf(line, sizeof(line), "%s\r\n", cmd);
	if (n < 0 || (size_t)n >= sizeof(line))
		fatalx("relay: command too long");
	relay_session_send(s, line, (size_t)n);
	s->state = state;
	relay_session_arm(s, &s->relay->conf.command_timeout);
}

static void
relay_session_hello(struct relay_session *s, enum relay_state state)
{
	char	 cmd[RELAY_CMD_MAX];

	(void)snprintf(cmd, sizeof(cmd), "%s %s",
	    state == RS_HELO ? "HELO" : "EHLO", s->relay->conf.helo);
	relay_session_cmd(s, state, cmd);
}

void
relay_session_unidle(struct relay_session *s)
{
	TAILQ_REMOVE(&s->relay->idle, s, idle_entry);
	s->relay->stats.idle--;
}

void
relay_session_free(struct relay_session *s)
{
	struct relay	*r = s->relay;

	if (s->req != NULL)
		fatalx("relay: session freed with a request");
	if (s->state == RS_IDLE)
		relay_session_unidle(s);
	if (s->state == RS_RSET)
		r->nrset--;
	TAILQ_REMOVE(&r->sessions, s, entry);
	r->stats.sessions--;
	bufferevent_free(s->bev);
	event_free(s->timer);
	if (s->cmds != NULL)
		evbuffer_free(s->cmds);
	free(s);
	/* A free slot: a queued request may get a connection now. */
	if (!r->freeing && !TAILQ_EMPTY(&r->queue))
		relay_wake(r);
}

/*
 * The session failed: report res for its request (or, once, put the
 * request back at the head of the queue when a pooled session turned out
 * to be dead before the relay answered anything) and close it.
 */
int
relay_session_abort(struct relay_session *s, const struct relay_result *res,
    int retry_ok)
{
	struct relay		*r = s->relay;
	struct relay_request	*req;

	if ((req = s->req) != NULL) {
		s->req = NULL;
		if (retry_ok && s->reused && !s->replied &&
		    req->rr_attempts == 0) {
			log_debug("relay %s: session %u: pooled session died "
			    "in %s, retrying on a new one", r->conf.name, s->id,
			    relay_session_what(s));
			req->rr_attempts++;
			r->stats.retries++;
			req->rr_session = NULL;
			req->rr_where = RR_QUEUED;
			TAILQ_INSERT_HEAD(&r->queue, req, rr_entry);
			r->stats.queued++;
			relay_wake(r);
		} else {
			log_warnx("relay %s: session %u: %d %s %s",
			    r->conf.name, s->id, res->reply.code,
			    res->reply.enhanced, res->reply.text);
			relay_request_finish(req, res);
		}
	}
	relay_session_free(s);
	return -1;
}

/* The transaction has a result; the session carries on. */
void
relay_session_finish(struct relay_session *s, const struct relay_result *res)
{
	struct relay_request	*req = s->req;

	s->req = NULL;
	if (res->accepted) {
		s->relay->stats.accepted++;
		log_debug("relay %s: session %u: accepted: %s",
		    s->relay->conf.name, s->id, res->reply.text);
	} else
		log_warnx("relay %s: session %u: %d %s %s",
		    s->relay->conf.name, s->id, res->reply.code,
		    res->reply.enhanced, res->reply.text);
	relay_request_finish(req, res);
}

/* No transaction open: pool the session; the scheduler decides whether it
 * carries the next request, waits, or says QUIT. */
void
relay_session_clean(struct relay_session *s)
{
	struct relay	*r = s->relay;

	s->state = RS_IDLE;
	TAILQ_INSERT_HEAD(&r->idle, s, idle_entry);
	r->stats.idle++;
	relay_session_arm(s, &r->conf.idle_timeout);
	relay_wake(r);
}

void
relay_session_rset(struct relay_session *s)
{
	relay_session_cmd(s, RS_RSET, "RSET");
	s->relay->nrset++;
}

void
relay_session_quit(struct relay_session *s)
{
	struct timeval	 tv = { RELAY_QUIT_TIMEOUT, 0 };

	if (s->state == RS_IDLE)
		relay_session_unidle(s);
	relay_session_send(s, "QUIT\r\n", 6);
	s->state = RS_QUIT;
	relay_session_arm(s, &tv);
}

static int
relay_session_fail(struct relay_session *s, int code, const char *enh,
    const char *why, int retry_ok)
{
	struct relay_result	 res;

	if (s->state == RS_CONNECT)
		relay_result_local(&res, code, enh, "relay %s: %s",
		    s->relay->conf.name, why);
	else
		relay_result_local(&res, code, enh, "relay %s: %s during %s",
		    s->relay->conf.name, why, relay_session_what(s));
	return relay_session_abort(s, &res, retry_ok);
}

/* The session is up: EHLO (or HELO) answered, TLS in place if any. */
static int
relay_session_ready(struct relay_session *s)
{
	if (s->req == NULL) {	/* cancelled meanwhile: cannot happen */
		relay_session_clean(s);
		return 0;
	}
	return relay_txn_start(s);
}

static void	relay_session_read(struct bufferevent *, void *);
static void	relay_session_write(struct bufferevent *, void *);
static void	relay_session_event(struct bufferevent *, short, void *);

static void
relay_session_setcb(struct relay_session *s)
{
	bufferevent_setcb(s->bev, relay_session_read, relay_session_write,
	    relay_session_event, s);
	if (bufferevent_enable(s->bev, EV_READ | EV_WRITE) == -1)
		fatalx("relay: bufferevent_enable");
}

static int
relay_session_starttls(struct relay_session *s)
{
	struct relay		*r = s->relay;
	struct bufferevent	*tls;
	SSL			*ssl;

	/*
	 * Anything after the 220 arrived in plaintext and would be taken as
	 * if it came over TLS (the CVE-2011-0411 kind of injection).
	 */
	if (evbuffer_get_length(bufferevent_get_input(s->bev)) > 0)
		return relay_session_fail(s, 451, "4.7.5",
		    "plaintext after the STARTTLS reply", 0);
	ERR_clear_error();
	if ((ssl = SSL_new(r->conf.ssl_ctx)) == NULL ||
	    SSL_set_min_proto_version(ssl, TLS1_2_VERSION) != 1 ||
	    (r->conf.tls_name[0] != '\0' &&
	    (SSL_set_tlsext_host_name(ssl, r->conf.tls_name) != 1 ||
	    SSL_set1_host(ssl, r->conf.tls_name) != 1))) {
		SSL_free(ssl);
		return relay_session_fail(s, 451, "4.7.5",
		    "cannot set up TLS", 0);
	}
	/*
	 * The TLS filter writes whatever it is given into the socket's
	 * bufferevent at once; only that one's high watermark makes it stop,
	 * and so keeps the body streamed rather than queued whole.
	 */
	bufferevent_setwatermark(s->bev, EV_WRITE, 0, RELAY_OUT_HIWAT);
	if ((tls = bufferevent_openssl_filter_new(r->base, s->bev, ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		SSL_free(ssl);
		return relay_session_fail(s, 451, "4.7.5",
		    "cannot set up TLS", 0);
	}
	/* The filter owns the socket bufferevent and the SSL now. */
	s->bev = tls;
	bufferevent_openssl_set_allow_dirty_shutdown(tls, 1);
	relay_session_setcb(s);
	s->state = RS_TLS;
	relay_session_arm(s, &r->conf.command_timeout);
	return 0;
}

/* After EHLO: STARTTLS when wanted and possible, else on to the mail. */
static int
relay_session_ehlo_done(struct relay_session *s)
{
	enum relay_tls	 want = s->relay->conf.tls;

	if (s->tls || want == RELAY_TLS_NO)
		return relay_session_ready(s);
	if (s->caps.flags & RELAY_CAP_STARTTLS) {
		relay_session_cmd(s, RS_STARTTLS, "STARTTLS");
		return 0;
	}
	if (want == RELAY_TLS_REQUIRE)
		return relay_session_fail(s, 451, "4.7.4",
		    "TLS is required but STARTTLS was not offered", 0);
	return relay_session_ready(s);
}

/* A complete reply arrived. */
static int
relay_session_reply(struct relay_session *s)
{
	struct relay		*r = s->relay;
	struct relay_reply	*rep = &s->reply;
	struct relay_result	 res;
	int			 ok = rep->code / 100 == 2;

	switch (s->state) {
	case RS_GREETING:
	case RS_EHLO:
	case RS_HELO:
		if (ok && s->state == RS_GREETING) {
			relay_session_hello(s, RS_EHLO);
			return 0;
		}
		if (ok && s->state == RS_EHLO)
			return relay_session_ehlo_done(s);
		if (ok)
			return relay_session_ready(s);
		/* RFC 5321 3.2: a server that does not know EHLO says 5xx;
		 * only then is HELO worth trying, and never after TLS. */
		if (s->state == RS_EHLO && rep->code / 100 == 5 && !s->tls &&
		    r->conf.tls != RELAY_TLS_REQUIRE) {
			memset(&s->caps, 0, sizeof(s->caps));
			relay_session_hello(s, RS_HELO);
			return 0;
		}
		relay_result_session(&res, rep, r->conf.name,
		    relay_session_what(s));
		return relay_session_abort(s, &res, rep->code == 421);
	case RS_STARTTLS:
		if (ok)
			return relay_session_starttls(s);
		if (r->conf.tls == RELAY_TLS_REQUIRE) {
			relay_result_session(&res, rep, r->conf.name,
			    "STARTTLS");
			(void)snprintf(res.reply.enhanced,
			    sizeof(res.reply.enhanced), "4.7.4");
			return relay_session_abort(s, &res, 0);
		}
		/* Opportunistic: the relay offered and then declined. */
		return relay_session_ready(s);
	case RS_TXN:
	case RS_BODY:
	case RS_DOT:
		return relay_txn_reply(s);
	case RS_RSET:
		r->nrset--;
		if (!ok) {
			relay_session_quit(s);
			return 0;
		}
		relay_session_clean(s);
		return 0;
	case RS_QUIT:
	case RS_IDLE:
		/* A pooled session hears only bad news ("421 timeout"). */
		relay_session_free(s);
		return -1;
	case RS_CONNECT:
	case RS_TLS:
		break;
	}
	return relay_session_fail(s, 451, "4.5.0", "unexpected reply", 1);
}

static void
relay_session_read(struct bufferevent *bev, void *arg)
{
	struct relay_session	*s = arg;
	struct evbuffer		*in;
	struct evbuffer_ptr	 eol;
	char			 line[RELAY_LINE_MAX];
	const char		*why;
	size_t			 eol_len, len;
	int			 rc;

	(void)bev;
	for (;;) {
		/* Fetched each time: STARTTLS replaces the bufferevent. */
		in = bufferevent_get_input(s->bev);
		eol = evbuffer_search_eol(in, NULL, &eol_len,
		    EVBUFFER_EOL_CRLF);
		if (eol.pos == -1) {
			if (evbuffer_get_length(in) >= RELAY_LINE_MAX)
				(void)relay_session_fail(s, 451, "4.5.0",
				    "protocol error: reply line too long", 0);
			return;
		}
		len = (size_t)eol.pos;
		if (len + eol_len > RELAY_LINE_MAX) {
			(void)relay_session_fail(s, 451, "4.5.0",
			    "protocol error: reply line too long", 0);
			return;
		}
		if (evbuffer_remove(in, line, len) != (int)len ||
		    evbuffer_drain(in, eol_len) == -1)
			fatalx("relay: evbuffer_remove");
		if (s->state == RS_IDLE || s->state == RS_QUIT) {
			/* Whatever it is, this session is over. */
			relay_session_free(s);
			return;
		}
		if ((rc = relay_reply_line(&s->reply, line, len, &why)) == -1) {
			char	 msg[128];

			(void)snprintf(msg, sizeof(msg), "protocol error: %s",
			    why);
			(void)relay_session_fail(s, 451, "4.5.0", msg, 0);
			return;
		}
		if (s->state == RS_EHLO && s->reply.nlines > 1 && len > 4)
			relay_caps_line(&s->caps, line + 4, len - 4);
		if (rc == RELAY_REPLY_MORE)
			continue;
		if (relay_session_reply(s) == -1)
			return;
		memset(&s->reply, 0, sizeof(s->reply));
	}
}

static void
relay_session_write(struct bufferevent *bev, void *arg)
{
	struct relay_session	*s = arg;

	(void)bev;
	if (s->state == RS_BODY)
		(void)relay_txn_body(s);
}

static void
relay_session_event(struct bufferevent *bev, short what, void *arg)
{
	struct relay_session	*s = arg;
	struct relay		*r = s->relay;
	unsigned long		 e;
	char			 why[256];

	if (what & BEV_EVENT_CONNECTED) {
		if (s->state == RS_CONNECT) {
			s->state = RS_GREETING;
			relay_session_arm(s, &r->conf.command_timeout);
		} else if (s->state == RS_TLS) {
			s->tls = 1;
			memset(&s->caps, 0, sizeof(s->caps));
			log_debug("relay %s: session %u: TLS established (%s)",
			    r->conf.name, s->id, SSL_get_version(
			    bufferevent_openssl_get_ssl(s->bev)));
			relay_session_hello(s, RS_EHLO);
		}
		return;
	}
	if (s->state == RS_IDLE || s->state == RS_QUIT) {
		relay_session_free(s);
		return;
	}
	if (s->state == RS_CONNECT) {
		(void)snprintf(why, sizeof(why), "connection failed: %s",
		    strerror(EVUTIL_SOCKET_ERROR()));
		(void)relay_session_fail(s, 451, "4.4.1", why, 0);
		return;
	}
	if (s->state == RS_TLS || (s->tls && (what & BEV_EVENT_ERROR))) {
		if ((e = bufferevent_get_openssl_error(bev)) != 0) {
			char	 buf[200];

			ERR_error_string_n(e, buf, sizeof(buf));
			(void)snprintf(why, sizeof(why), "TLS error: %s", buf);
		} else
			(void)snprintf(why, sizeof(why), "TLS error: %s",
			    (what & BEV_EVENT_EOF) ? "connection closed" :
			    strerror(EVUTIL_SOCKET_ERROR()));
		ERR_clear_error();
		(void)relay_session_fail(s, 451,
		    s->state == RS_TLS ? "4.7.5" : "4.4.2", why,
		    s->state != RS_TLS);
		return;
	}
	if (what & BEV_EVENT_EOF)
		(void)snprintf(why, sizeof(why), "lost connection");
	else
		(void)snprintf(why, sizeof(why), "lost connection: %s",
		    strerror(EVUTIL_SOCKET_ERROR()));
	(void)relay_session_fail(s, 451, "4.4.2", why, 1);
}

static void
relay_session_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct relay_session	*s = arg;

	(void)fd; (void)ev;
	switch (s->state) {
	case RS_IDLE:
		relay_session_quit(s);
		return;
	case RS_QUIT:
		relay_session_free(s);
		return;
	case RS_RSET:
		/* No request depends on it any more. */
		relay_session_free(s);
		return;
	case RS_CONNECT:
		(void)relay_session_fail(s, 451, "4.4.1",
		    "connection timed out", 0);
		return;
	default:
		(void)relay_session_fail(s, 451, "4.4.2", "timeout", 0);
		return;
	}
}

/* Open a session for req; failures are reported through req. */
void
relay_session_new(struct relay *r, struct relay_request *req)
{
	struct relay_session	*s;
	struct relay_result	 res;
	int			 fd, one = 1;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("relay: session");
	s->relay = r;
	s->id = ++r->next_id;
	s->state = RS_CONNECT;
	s->req = req;
	req->rr_session = s;
	req->rr_where = RR_ACTIVE;
	r->stats.connects++;

	if ((fd = socket(r->conf.addr.ss_family,
	    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1) {
		relay_result_local(&res, 451, "4.3.0",
		    "relay %s: cannot create a socket: %s", r->conf.name,
		    strerror(errno));
		log_warnx("%s", res.reply.text);
		relay_request_finish(req, &res);
		free(s);
		return;
	}
	/* Commands and the final dot are small writes that must not wait
	 * for an ACK (Nagle and delayed ACK would add 40 ms). */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((s->bev = bufferevent_socket_new(r->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL ||
	    (s->timer = evtimer_new(r->base, relay_session_timeout, s)) == NULL)
		fatalx("relay: bufferevent_socket_new");
	TAILQ_INSERT_TAIL(&r->sessions, s, entry);
	r->stats.sessions++;
	relay_session_setcb(s);
	relay_session_arm(s, &r->conf.connect_timeout);
	if (bufferevent_socket_connect(s->bev,
	    (struct sockaddr *)&r->conf.addr, (int)r->conf.addrlen) == -1) {
		char	 why[200];

		(void)snprintf(why, sizeof(why), "connection failed: %s",
		    strerror(errno));
		(void)relay_session_fail(s, 451, "4.4.1", why, 0);
	}
}
