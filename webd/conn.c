/*
 * conn: one HTTPS connection, from the accept to the close.  It reads a
 * request head within its bounds, then the body the head announces, hands
 * the whole request to the router, and writes nothing before that: a
 * response never races the rest of its own request.  Requests on one
 * connection are answered in order, one at a time.
 *
 * Each state has one deadline, a timer that is not pushed back by
 * activity: the head must arrive whole within web-head-timeout (counted
 * from the accept for a new connection, which covers the TLS handshake,
 * else from its first byte), the body within web-body-timeout, the next
 * request's first byte within web-idle-timeout.  A client that trickles
 * bytes therefore holds its slot no longer than one that sends nothing.
 *
 * A refused request is answered and the connection closed: after a
 * framing error nothing that follows can be trusted to start a request.
 *
 * A handler may answer later: it asks policyd (policyd_client.c) and the
 * connection waits (C_WAIT) under a deadline of its own, reading nothing
 * of a next request meanwhile.  When the connection closes or the
 * deadline passes first, the request at policyd is cancelled: its answer
 * will find no connection and be dropped.  Whichever way, every request
 * gets exactly one response, or the connection is gone.
 *
 * A connection from the plain-HTTP listener (listen web-redirect) is one
 * of these with c->plain set and no TLS: the same cap, deadlines and
 * parser, but its one head, once whole, is answered with a redirect to
 * the console (redirect.c) or a 400, its body never read, and the
 * connection closed.  No route, no static file, no cookie is ever looked
 * at for it.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>

#include "common/log.h"
#include "webd/form.h"
#include "webd/policyd_client.h"
#include "webd/redirect.h"
#include "webd/webd.h"

/* Connections taken per listener wake-up, so that a flood of them cannot
 * starve the connections already open. */
#define CONN_ACCEPT_BURST	64
/* Our responses are a page or a static file of at most 1 MiB: a client
 * that has not taken one within this long is only holding a slot. */
#define CONN_WRITE_TIMEOUT	30
/* The last response is out: the client still gets this long, and this
 * much of what it was sending (a body we refused), to read the answer
 * before we close, so that it sees the response and not a reset
 * (RFC 9112 9.6). */
#define CONN_LINGER_MS		2000
#define CONN_LINGER_MAX		(256 * 1024)
/* Input held while a request is being answered: a whole head and some.
 * Beyond it the bufferevent stops reading and the client waits. */
#define CONN_INPUT_MAX		(2 * HTTP_HEAD_MAX)
/*
 * Bodies larger than an ordinary form's (FORM_BODY_MAX) are key uploads
 * (router.c says which routes take them, and how large), read before
 * anybody is asked whether the session may upload: at most this many
 * are held at once, so that strangers cannot make webd hold 1 MiB per
 * connection.  Eight uploads at the same moment is more than a console's
 * few administrators make; the next is told to try again in a moment.
 */
#define CONN_LARGE_MAX		8
#define CONN_LARGE_RETRY	5

static const char conn_continue[] = "HTTP/1.1 100 Continue\r\n\r\n";

static void	conn_read_cb(struct bufferevent *, void *);
static void	conn_write_cb(struct bufferevent *, void *);
static void	conn_event_cb(struct bufferevent *, short, void *);
static void	conn_timeout(int, short, void *);
static void	conn_head(struct conn *);

static void
conn_deadline(struct conn *c, uint64_t ms)
{
	struct timeval	 tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	if (evtimer_add(c->timer, &tv) == -1)
		fatalx("conn %llu: timer", (unsigned long long)c->id);
}

static void
conn_free_body(struct conn *c)
{
	/* A body may be a form with a password in it, or a secret key. */
	if (c->body != NULL) {
		explicit_bzero(c->body, c->bodysize);
		free(c->body);
	}
	if (c->large) {
		if (webd->nlarge == 0)
			fatalx("conn %llu: large bodies miscounted",
			    (unsigned long long)c->id);
		webd->nlarge--;
	}
	c->large = 0;
	c->body = NULL;
	c->bodysize = c->bodylen = 0;
	/* Its file parts pointed into it. */
	memset(&c->files, 0, sizeof(c->files));
}

/* The handler's state, and the form (it may hold a password). */
static void
conn_free_page(struct conn *c)
{
	if (c->page != NULL && c->page_free != NULL)
		c->page_free(c->page);
	c->page = NULL;
	c->page_free = NULL;
	form_free(&c->form);
	explicit_bzero(&c->session, sizeof(c->session));
}

void
conn_page_set(struct conn *c, void *page, void (*free_fn)(void *))
{
	if (c->page != NULL)
		fatalx("conn %llu: a second page state",
		    (unsigned long long)c->id);
	c->page = page;
	c->page_free = free_fn;
}

static void
conn_free(struct conn *c)
{
	/* Its answer, when it comes, finds nobody and is dropped. */
	if (c->state == C_WAIT)
		policyd_cancel(c->waiting);
	conn_free_page(c);
	conn_free_body(c);
	event_free(c->timer);
	bufferevent_free(c->bev);
	TAILQ_REMOVE(&webd->conns, c, entry);
	webd->nconns--;
	/* The head may hold credentials (cookies, later). */
	explicit_bzero(c, sizeof(*c));
	free(c);
}

/* A TLS bufferevent for the console, or a plain one for the redirect;
 * NULL when out of memory (the fd is then closed). */
static struct bufferevent *
conn_bufferevent(struct conn *c)
{
	struct bufferevent	*bev;
	SSL			*ssl;

	if (c->plain) {
		if ((bev = bufferevent_socket_new(webd->child->base, c->fd,
		    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
			log_warnx("connection: out of memory");
			close(c->fd);
		}
		return bev;
	}
	if ((ssl = SSL_new(webd->tls)) == NULL) {
		log_warnx("connection: SSL_new failed");
		ERR_clear_error();
		close(c->fd);
		return NULL;
	}
	if ((bev = bufferevent_openssl_socket_new(webd->child->base, c->fd,
	    ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		/* libevent 2.1 frees the SSL and closes the fd itself when it
		 * fails after taking them, and not before: freeing them again
		 * could close another connection's descriptor, so on this
		 * out-of-memory path they are left rather than risked. */
		log_warnx("connection: out of memory");
		return NULL;
	}
	/* A client that closes without close_notify has only closed; it
	 * is no TLS error worth a word. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

/* Take the connections waiting on a listener: the console's (TLS), or
 * with plain set the redirect's. */
static void
conn_accept_burst(int lfd, int plain)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	struct conn		*c;
	int			 fd, one = 1;

	for (int i = 0; i < CONN_ACCEPT_BURST; i++) {
		sslen = sizeof(ss);
		if ((fd = accept4(lfd, (struct sockaddr *)&ss, &sslen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("accept");
			return;
		}
		/* Over the cap there is nothing to say in TLS yet, and a
		 * handshake is what the cap is there to save.  The redirect's
		 * connections count against the same cap: they are the same
		 * memory, and the same slots a flood would take. */
		if (webd->nconns >= webd->conf->web_max_connections) {
			log_debug("connection refused: %llu open",
			    (unsigned long long)webd->nconns);
			close(fd);
			continue;
		}
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			log_warn("connection");
			close(fd);
			continue;
		}
		c->id = ++webd->next_id;
		c->fd = fd;
		c->plain = plain;
		/* A response is written as it is ready, often in two TLS
		 * records (the head, then a page that waited for policyd);
		 * with Nagle the second waits for the client's delayed ACK of
		 * the first, 40 ms a page. */
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
		child_peer_text(&ss, c->peer, sizeof(c->peer));
		if ((c->bev = conn_bufferevent(c)) == NULL) {
			free(c);
			continue;
		}
		if ((c->timer = evtimer_new(webd->child->base, conn_timeout,
		    c)) == NULL) {
			log_warnx("connection: out of memory");
			bufferevent_free(c->bev);
			free(c);
			continue;
		}
		bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb,
		    conn_event_cb, c);
		bufferevent_setwatermark(c->bev, EV_READ, 0, CONN_INPUT_MAX);
		bufferevent_enable(c->bev, EV_READ);
		c->state = C_IDLE;
		c->fresh = 1;
		conn_deadline(c, webd->conf->web_head_timeout * 1000);
		TAILQ_INSERT_TAIL(&webd->conns, c, entry);
		webd->nconns++;
	}
}

void
conn_accept(int lfd, short ev, void *arg)
{
	(void)ev; (void)arg;
	conn_accept_burst(lfd, 0);
}

void
conn_accept_redirect(int lfd, short ev, void *arg)
{
	(void)ev; (void)arg;
	conn_accept_burst(lfd, 1);
}

/* The last response is out: say so in TLS and TCP, then linger. */
static void
conn_finish(struct conn *c)
{
	struct evbuffer	*in = bufferevent_get_input(c->bev);
	SSL		*ssl = bufferevent_openssl_get_ssl(c->bev);

	/* The client has shut its side: all it sent is read, and there
	 * is nothing to linger for. */
	if (c->peer_done) {
		conn_free(c);
		return;
	}
	if (ssl != NULL && SSL_is_init_finished(ssl))
		(void)SSL_shutdown(ssl);
	ERR_clear_error();
	(void)shutdown(c->fd, SHUT_WR);
	c->state = C_LINGER;
	conn_deadline(c, CONN_LINGER_MS);
	c->lingered += evbuffer_get_length(in);
	evbuffer_drain(in, evbuffer_get_length(in));
}

/* The response to the request in progress has been queued. */
void
conn_responded(struct conn *c)
{
	if (c->responded)
		fatalx("conn %llu: a second response to one request",
		    (unsigned long long)c->id);
	if (c->state == C_WAIT)
		fatalx("conn %llu: a response while waiting for policyd",
		    (unsigned long long)c->id);
	c->responded = 1;
	c->state = C_WRITING;
	conn_deadline(c, CONN_WRITE_TIMEOUT * 1000);
}

void
conn_wait(struct conn *c, uint32_t request, unsigned seconds,
    const char *late)
{
	if (c->state != C_RUN || c->responded || request == 0)
		fatalx("conn %llu: cannot wait now", (unsigned long long)c->id);
	c->state = C_WAIT;
	c->waiting = request;
	c->late = late;
	conn_deadline(c, (uint64_t)seconds * 1000);
}

void
conn_wake(struct conn *c, uint32_t request)
{
	if (c->state != C_WAIT || c->waiting != request)
		fatalx("conn %llu: woken for request %u, waiting for %u",
		    (unsigned long long)c->id, request, c->waiting);
	c->state = C_RUN;
	c->waiting = 0;
	c->late = NULL;
}

/* The handler is done for now: one response, or another wait. */
void
conn_ran(struct conn *c)
{
	if (!c->responded && c->state != C_WAIT)
		fatalx("conn %llu: %s had no response",
		    (unsigned long long)c->id, c->target.path);
}

int
conn_head_only(const struct conn *c)
{
	return c->req.method == HTTP_METHOD_HEAD;
}

static void
conn_dispatch(struct conn *c)
{
	struct webd_request	*r = &c->request;

	c->nrequests++;
	if (c->req.close || c->nrequests >= webd->conf->web_max_requests)
		c->close = 1;
	c->state = C_RUN;
	memset(r, 0, sizeof(*r));
	r->method = c->req.method;
	r->path = c->target.path;
	r->query = c->target.query;
	r->querylen = c->target.querylen;
	r->head = &c->req;
	r->body = c->body;
	r->bodylen = c->bodylen;
	router_dispatch(c, r);
	conn_ran(c);
}

static void
conn_body(struct conn *c)
{
	struct evbuffer	*in = bufferevent_get_input(c->bev);
	size_t		 want, n;
	int		 got;

	want = c->bodysize - c->bodylen;
	n = evbuffer_get_length(in);
	if (n > want)
		n = want;
	if (n > 0) {
		if ((got = evbuffer_remove(in, c->body + c->bodylen, n)) < 0)
			fatalx("conn %llu: evbuffer_remove",
			    (unsigned long long)c->id);
		c->bodylen += (size_t)got;
	}
	if (c->bodylen == c->bodysize)
		conn_dispatch(c);
}

/*
 * The plain listener's answer to a whole head, whatever its method and
 * target: 301 to the same host, path and query at the console.  301
 * rather than 308 for a POST too (RFC 9110 15.4.2 lets the browser turn
 * it into a GET, and browsers do; 15.4.9's 308 would have them send the
 * body again): a form posted in clear is not one the console should
 * act on, and its CSRF gate would refuse it anyway (its Origin is
 * http://); the person is better served by the page than by a 403.  The
 * body is never read.
 */
static void
conn_redirect(struct conn *c)
{
	char		 location[REDIRECT_LOCATION_MAX];
	const char	*why;

	if (redirect_location(&c->req, webd->conf->web_listen.port, location,
	    sizeof(location), &why) == -1) {
		log_debug("conn %llu (%s): 400: %s", (unsigned long long)c->id,
		    c->peer, why);
		response_error(c, 400, why);
		return;
	}
	response_moved(c, location);
}

/* The head is whole and accepted: the target, then the body if any. */
static void
conn_head_done(struct conn *c)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);
	const char	*why;

	evbuffer_drain(bufferevent_get_input(c->bev), c->req.head_len);
	c->scanned = 0;
	log_debug("conn %llu (%s): %s %.*s", (unsigned long long)c->id,
	    c->peer, c->req.method == HTTP_METHOD_GET ? "GET" :
	    c->req.method == HTTP_METHOD_HEAD ? "HEAD" : "POST",
	    (int)c->req.targetlen, c->req.target);
	if (c->plain) {
		conn_redirect(c);
		return;
	}
	if (http_path_decode(c->req.target, c->req.targetlen, &c->target,
	    &why) == -1) {
		response_error(c, 400, why);
		return;
	}
	if (!c->req.has_length || c->req.content_length == 0) {
		conn_dispatch(c);
		return;
	}
	/* Refused before a byte of it is read. */
	if (c->req.content_length > router_body_max(c->req.method,
	    c->target.path)) {
		response_error(c, 413, "the request body is too large");
		return;
	}
	if (c->req.content_length > FORM_BODY_MAX) {
		if (webd->nlarge >= CONN_LARGE_MAX) {
			log_info("conn %llu (%s): %u uploads are being read "
			    "already", (unsigned long long)c->id, c->peer,
			    webd->nlarge);
			response_unavailable(c, CONN_LARGE_RETRY, "too many "
			    "uploads at once; try again in a moment");
			return;
		}
		webd->nlarge++;
		c->large = 1;
	}
	c->bodysize = (size_t)c->req.content_length;
	if ((c->body = malloc(c->bodysize)) == NULL) {
		log_warn("conn %llu: body", (unsigned long long)c->id);
		response_error(c, 503, "out of memory");
		return;
	}
	c->state = C_BODY;
	conn_deadline(c, webd->conf->web_body_timeout * 1000);
	if (c->req.expect_continue &&
	    evbuffer_add(out, conn_continue, sizeof(conn_continue) - 1) == -1)
		fatalx("conn %llu: out of memory", (unsigned long long)c->id);
	conn_body(c);
}

/*
 * Parse what has arrived of the head.  Only when a line may have ended,
 * or the head grew by another target's length: a client that trickles
 * bytes costs a parse per line, not per byte.
 */
static void
conn_head(struct conn *c)
{
	struct evbuffer		*in = bufferevent_get_input(c->bev);
	struct evbuffer_ptr	 from, lf;
	size_t			 len;
	enum http_parse_status	 st;

	len = evbuffer_get_length(in);
	if (len <= c->scanned)
		return;
	if (evbuffer_ptr_set(in, &from, c->scanned, EVBUFFER_PTR_SET) == -1)
		fatalx("conn %llu: evbuffer_ptr_set", (unsigned long long)c->id);
	lf = evbuffer_search(in, "\n", 1, &from);
	if (lf.pos == -1 && len < HTTP_HEAD_MAX &&
	    len / HTTP_TARGET_MAX == c->scanned / HTTP_TARGET_MAX) {
		c->scanned = len;
		return;
	}
	c->scanned = len;
	evbuffer_copyout(in, c->head, len < HTTP_HEAD_MAX ? len :
	    HTTP_HEAD_MAX);
	st = http_parse_head(c->head, len, &c->req);
	switch (st) {
	case HTTP_PARSE_MORE:
		return;
	case HTTP_PARSE_ERROR:
		log_debug("conn %llu (%s): %d: %s", (unsigned long long)c->id,
		    c->peer, c->req.status, c->req.error);
		response_error(c, c->req.status, c->req.error);
		return;
	case HTTP_PARSE_DONE:
		conn_head_done(c);
		return;
	}
}

/* The first byte of a request: its head deadline starts now. */
static void
conn_request_start(struct conn *c)
{
	conn_free_page(c);
	conn_free_body(c);
	c->state = C_HEAD;
	c->responded = 0;
	c->scanned = 0;
	memset(&c->req, 0, sizeof(c->req));
	if (!c->fresh) {
		conn_deadline(c, webd->conf->web_head_timeout * 1000);
	}
	c->fresh = 0;
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn	*c = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);

	switch (c->state) {
	case C_IDLE:
		if (evbuffer_get_length(in) == 0)
			return;
		conn_request_start(c);
		conn_head(c);
		break;
	case C_HEAD:
		conn_head(c);
		break;
	case C_BODY:
		conn_body(c);
		break;
	case C_WAIT:
		/*
		 * The next request waits for this response: reading goes on
		 * so that a client's close is seen (and what it waited for
		 * cancelled).  At the read watermark libevent would stop
		 * reading, and a close would then go unseen for as long as
		 * the deadline: a client that pipelines that much while it
		 * waits is cut off instead (no browser does).
		 */
		if (evbuffer_get_length(in) >= CONN_INPUT_MAX) {
			log_debug("conn %llu (%s): %zu bytes sent while "
			    "waiting: closed", (unsigned long long)c->id,
			    c->peer, evbuffer_get_length(in));
			conn_free(c);
		}
		break;
	case C_RUN:
	case C_WRITING:
		/* The next request waits for this response, bounded by the
		 * read watermark; the write's deadline bounds the wait. */
		break;
	case C_LINGER:
		c->lingered += evbuffer_get_length(in);
		evbuffer_drain(in, evbuffer_get_length(in));
		if (c->lingered > CONN_LINGER_MAX)
			conn_free(c);
		break;
	}
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct conn	*c = arg;

	/* Only a whole response ends a request; a 100 Continue does not. */
	if (c->state != C_WRITING)
		return;
	conn_free_page(c);
	conn_free_body(c);
	if (c->close) {
		conn_finish(c);
		return;
	}
	c->state = C_IDLE;
	conn_deadline(c, webd->conf->web_idle_timeout * 1000);
	/* A request the client sent meanwhile is already here. */
	if (evbuffer_get_length(bufferevent_get_input(bev)) > 0) {
		conn_request_start(c);
		conn_head(c);
	}
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn	*c = arg;
	SSL		*ssl;
	unsigned long	 e;
	char		 err[256];

	/* Plain HTTP has half-closes: a client may shut its side once its
	 * request is sent and still wait for the answer, which goes out
	 * (reading stopped with the end of the input). */
	if (c->plain && what == (BEV_EVENT_READING | BEV_EVENT_EOF) &&
	    c->state == C_WRITING) {
		c->peer_done = 1;
		return;
	}
	if (what & BEV_EVENT_CONNECTED) {
		ssl = bufferevent_openssl_get_ssl(bev);
		log_debug("conn %llu (%s): %s %s", (unsigned long long)c->id,
		    c->peer, SSL_get_version(ssl), SSL_get_cipher_name(ssl));
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		while ((e = bufferevent_get_openssl_error(bev)) != 0) {
			/* libevent queues SSL_get_error()'s code too. */
			if (ERR_GET_LIB(e) == 0)
				continue;
			ERR_error_string_n(e, err, sizeof(err));
			log_debug("conn %llu (%s): TLS: %s",
			    (unsigned long long)c->id, c->peer, err);
		}
	}
	/* In TLS a close is the end of both directions: whatever we had
	 * to say cannot be said any more. */
	conn_free(c);
}

static void
conn_timeout(int fd, short ev, void *arg)
{
	struct conn	*c = arg;
	const char	*late;

	(void)fd; (void)ev;
	switch (c->state) {
	case C_HEAD:
	case C_BODY:
		log_debug("conn %llu (%s): request timeout",
		    (unsigned long long)c->id, c->peer);
		response_error(c, 408, "the request took too long");
		break;
	case C_WAIT:
		log_warnx("conn %llu (%s): policyd did not answer request %u "
		    "in time", (unsigned long long)c->id, c->peer, c->waiting);
		policyd_cancel(c->waiting);
		late = c->late;
		c->state = C_RUN;
		c->waiting = 0;
		c->late = NULL;
		response_error(c, 504, late);
		break;
	case C_RUN:
		fatalx("conn %llu: a deadline while a handler runs",
		    (unsigned long long)c->id);
	case C_IDLE:
	case C_WRITING:
	case C_LINGER:
		/* Nothing asked (or nothing more to say): just close. */
		conn_free(c);
		break;
	}
}
