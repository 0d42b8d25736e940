/*
 * relay: the pool of SMTP sessions to the relay, and the API smtpd uses.
 * Requests wait in a queue; the scheduler gives each to a pooled session
 * or opens a new one, up to max_sessions, and keeps at most max_idle
 * sessions pooled.  A session's own life (connect, EHLO, STARTTLS, idle,
 * QUIT) is relay_session.c, the mail transaction relay_txn.c.
 *
 * done() is only ever called from a deferred event (done_ev), and the
 * scheduler only runs from another (sched_ev): no callback of ours runs
 * inside relay_submit(), and no session code is ever re-entered by the
 * caller or by the scheduler.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "common/log.h"
#include "smtpd/relay_internal.h"

static void	relay_schedule(struct relay *);
static void	relay_sched_cb(evutil_socket_t, short, void *);
static void	relay_done_cb(evutil_socket_t, short, void *);

static void
relay_timeout_default(struct timeval *tv, time_t secs)
{
	if (tv->tv_sec == 0 && tv->tv_usec == 0)
		tv->tv_sec = secs;
}

/* The EHLO name goes on a command line: one printable word only. */
static int
relay_word_printable(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

struct relay *
relay_new(struct event_base *base, const struct relay_config *conf)
{
	struct relay	*r;
	int		 family = conf->addr.ss_family;

	if ((family != AF_INET && family != AF_INET6) || conf->addrlen == 0 ||
	    conf->addrlen > sizeof(conf->addr)) {
		log_warnx("relay: no usable address");
		return NULL;
	}
	if (conf->tls != RELAY_TLS_NO && conf->ssl_ctx == NULL) {
		log_warnx("relay: TLS configured without a TLS context");
		return NULL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->chunk = malloc(RELAY_CHUNK)) == NULL) {
		log_warn("relay");
		free(r);
		return NULL;
	}
	r->base = base;
	r->conf = *conf;
	r->conf.name[sizeof(r->conf.name) - 1] = '\0';
	r->conf.helo[sizeof(r->conf.helo) - 1] = '\0';
	r->conf.tls_name[sizeof(r->conf.tls_name) - 1] = '\0';
	if (r->conf.name[0] == '\0')
		(void)snprintf(r->conf.name, sizeof(r->conf.name), "relay");
	if (!relay_word_printable(r->conf.helo))
		(void)snprintf(r->conf.helo, sizeof(r->conf.helo), "localhost");
	relay_timeout_default(&r->conf.connect_timeout,
	    RELAY_DEFAULT_CONNECT_TIMEOUT);
	relay_timeout_default(&r->conf.command_timeout,
	    RELAY_DEFAULT_COMMAND_TIMEOUT);
	relay_timeout_default(&r->conf.data_timeout, RELAY_DEFAULT_DATA_TIMEOUT);
	relay_timeout_default(&r->conf.idle_timeout, RELAY_DEFAULT_IDLE_TIMEOUT);
	r->max_sessions = conf->max_sessions > 0 ? conf->max_sessions :
	    RELAY_MAX_SESSIONS;
	TAILQ_INIT(&r->sessions);
	TAILQ_INIT(&r->idle);
	TAILQ_INIT(&r->queue);
	TAILQ_INIT(&r->done_q);
	if ((r->sched_ev = event_new(base, -1, 0, relay_sched_cb, r)) == NULL ||
	    (r->done_ev = event_new(base, -1, 0, relay_done_cb, r)) == NULL) {
		log_warnx("relay: event_new");
		if (r->sched_ev != NULL)
			event_free(r->sched_ev);
		free(r->chunk);
		free(r);
		return NULL;
	}
	return r;
}

static void
relay_done_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct relay		*r = arg;
	struct relay_request	*req;
	struct relay_result	 res;

	(void)fd; (void)ev;
	r->in_done = 1;
	while (!r->dying && (req = TAILQ_FIRST(&r->done_q)) != NULL) {
		TAILQ_REMOVE(&r->done_q, req, rr_entry);
		req->rr_where = RR_NONE;
		/* A copy: done() may free the request. */
		res = req->rr_result;
		req->done(req, &res);
	}
	r->in_done = 0;
	if (r->dying)
		relay_free(r);
}

static void
relay_sched_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd; (void)ev;
	relay_schedule(arg);
}

void
relay_wake(struct relay *r)
{
	event_active(r->sched_ev, 0, 0);
}

void
relay_submit(struct relay *r, struct relay_request *req)
{
	size_t	 i;

	if (req->env == NULL || req->done == NULL || req->nrcpt == 0 ||
	    req->rcpt_idx == NULL || req->fd < 0)
		fatalx("relay_submit: incomplete request");
	for (i = 0; i < req->nrcpt; i++)
		if (req->rcpt_idx[i] >= req->env->nrcpt)
			fatalx("relay_submit: recipient index out of range");
	req->rr_relay = r;
	req->rr_session = NULL;
	req->rr_attempts = 0;
	req->rr_where = RR_QUEUED;
	TAILQ_INSERT_TAIL(&r->queue, req, rr_entry);
	r->stats.queued++;
	relay_wake(r);
}

static void
relay_request_dequeue(struct relay_request *req)
{
	struct relay	*r = req->rr_relay;

	TAILQ_REMOVE(&r->queue, req, rr_entry);
	r->stats.queued--;
	req->rr_where = RR_NONE;
}

void
relay_request_finish(struct relay_request *req, const struct relay_result *res)
{
	struct relay	*r = req->rr_relay;

	req->rr_session = NULL;
	req->rr_result = *res;
	req->rr_where = RR_DONE;
	TAILQ_INSERT_TAIL(&r->done_q, req, rr_entry);
	event_active(r->done_ev, 0, 0);
}

void
relay_cancel(struct relay_request *req)
{
	struct relay		*r = req->rr_relay;
	struct relay_session	*s;

	switch (req->rr_where) {
	case RR_QUEUED:
		relay_request_dequeue(req);
		break;
	case RR_ACTIVE:
		/* Closing before the final dot makes the relay drop the
		 * message; after it, the outcome is the relay's anyway. */
		s = req->rr_session;
		s->req = NULL;
		req->rr_session = NULL;
		req->rr_where = RR_NONE;
		log_debug("relay %s: session %u: request cancelled in %s",
		    r->conf.name, s->id, relay_session_what(s));
		relay_session_free(s);
		break;
	case RR_DONE:
		TAILQ_REMOVE(&r->done_q, req, rr_entry);
		req->rr_where = RR_NONE;
		break;
	case RR_NONE:
		break;
	}
}

void
relay_free(struct relay *r)
{
	struct relay_request	*req;
	struct relay_session	*s;

	if (r->in_done) {
		r->dying = 1;
		return;
	}
	r->freeing = 1;
	while ((req = TAILQ_FIRST(&r->queue)) != NULL)
		relay_request_dequeue(req);
	while ((req = TAILQ_FIRST(&r->done_q)) != NULL) {
		TAILQ_REMOVE(&r->done_q, req, rr_entry);
		req->rr_where = RR_NONE;
	}
	while ((s = TAILQ_FIRST(&r->sessions)) != NULL) {
		if ((req = s->req) != NULL) {
			s->req = NULL;
			req->rr_session = NULL;
			req->rr_where = RR_NONE;
		}
		relay_session_free(s);
	}
	event_free(r->sched_ev);
	event_free(r->done_ev);
	free(r->chunk);
	free(r);
}

void
relay_get_stats(const struct relay *r, struct relay_stats *st)
{
	*st = r->stats;
}

/*
 * Give queued requests to pooled sessions, then to new ones up to the
 * limit; then keep at most max_idle sessions pooled, QUIT the rest (the
 * least recently used first).
 */
static void
relay_schedule(struct relay *r)
{
	struct relay_request	*req;
	struct relay_session	*s;

	while ((req = TAILQ_FIRST(&r->queue)) != NULL) {
		if ((s = TAILQ_FIRST(&r->idle)) != NULL) {
			relay_request_dequeue(req);
			relay_session_unidle(s);
			s->req = req;
			req->rr_session = s;
			req->rr_where = RR_ACTIVE;
			(void)relay_txn_start(s);
			continue;
		}
		/* A session being RSET will be free in a moment. */
		if (r->stats.sessions >= r->max_sessions ||
		    r->stats.queued <= r->nrset)
			break;
		relay_request_dequeue(req);
		relay_session_new(r, req);
	}
	while (r->stats.idle > r->conf.max_idle &&
	    (s = TAILQ_LAST(&r->idle, relay_session_idleq)) != NULL)
		relay_session_quit(s);
}
