/*
 * test_work: each process's normal work, done inside its sandbox.
 *
 * The golden table shows what the walls keep out; these tests show that
 * the allowlists are wide enough for the job: every child runs the event
 * loop and imsg channel of child_run() with fd passing, smtpd accepts,
 * relays and speaks TLS both ways and spools into sealed memfds, cryptod
 * encrypts with gpgme (gpg runs inside the same sandbox), keyd generates
 * keys (gpg-agent starts inside it), policyd queries PostgreSQL through the
 * socket in its chroot and encrypts a column, and webd serves a file of its
 * web root over TLS on an accepted connection.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <gpgme.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "common/memfd.h"
#include "common/passhash.h"
#include "imsg/imsg.h"
#include "imsg/imsg_event.h"
#include "policyd/verifier.h"
#include "tests/sandbox/sbtest.h"

/* How long either side waits for the other in one exchange. */
#define WORK_TIMEOUT_MS		10000
/* Message types of the smtpd spool exchange (not pgpmg's). */
#define WORK_MAIL_IN		9101
#define WORK_MAIL_OUT		9102
#define WORK_MAIL		"From: a@example.com\r\n\r\nhello\r\n"
#define WORK_SEALS		(F_SEAL_SHRINK | F_SEAL_GROW | \
	F_SEAL_WRITE | F_SEAL_SEAL)
/* Enough for any line one side sends here. */
#define WORK_LINE		256
/* The listeners' backlog: one connection each is all a test makes. */
#define WORK_BACKLOG		8
/* Descriptors nftw() may hold open while walking a GnuPG home. */
#define WORK_NFTW_FDS		8
#define PGP_ARMOR_HEAD		"-----BEGIN PGP MESSAGE-----"
/* The fingerprint's hex digits, with room to spare. */
#define WORK_FPR_MAX		128

static long
work_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Blocking helpers for the test's side, each bounded by a timeout. */
static int
work_wait(int fd, short events)
{
	struct pollfd	 pfd = { .fd = fd, .events = events };

	return poll(&pfd, 1, WORK_TIMEOUT_MS) == 1 ? 0 : -1;
}

static int
work_expect(int fd, const char *want)
{
	char	 buf[WORK_LINE];
	size_t	 got = 0, len = strlen(want);
	ssize_t	 n;

	while (got < len) {
		if (work_wait(fd, POLLIN) == -1 ||
		    (n = read(fd, buf + got, len - got)) <= 0)
			return -1;
		got += (size_t)n;
	}
	return memcmp(buf, want, len) == 0 ? 0 : -1;
}

static int
work_send(int fd, const char *s)
{
	return write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -1;
}

static int
work_listener(struct sockaddr_in *sin)
{
	socklen_t	 len = sizeof(*sin);
	int		 fd;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1 || bind(fd, (struct sockaddr *)sin, sizeof(*sin)) == -1 ||
	    listen(fd, WORK_BACKLOG) == -1 ||
	    getsockname(fd, (struct sockaddr *)sin, &len) == -1)
		return -1;
	return fd;
}

static int
work_connect(const struct sockaddr_in *sin)
{
	int	 fd;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (const struct sockaddr *)sin, sizeof(*sin)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
work_assert_ok(const struct sbt_result *res, const char *what)
{
	char	 got[SBT_DESCRIBE_MAX];

	cr_assert(res->entered && res->exited && res->code == SBT_OK,
	    "%s inside the sandbox: %s", what,
	    sbt_describe(res, got, sizeof(got)));
}

/* A sealed memfd holding text, as smtpd spools mail. */
static int
work_sealed_memfd(const char *text)
{
	size_t	 len = strlen(text);
	char	*p;
	int	 fd;

	if ((fd = memfd_create("mail", MFD_CLOEXEC | MFD_ALLOW_SEALING)) == -1)
		return -1;
	if (ftruncate(fd, (off_t)len) == -1 ||
	    (p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
	    0)) == MAP_FAILED) {
		close(fd);
		return -1;
	}
	memcpy(p, text, len);
	munmap(p, len);
	if (fcntl(fd, F_ADD_SEALS, WORK_SEALS) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
work_memfd_is(int fd, const char *text, int sealed)
{
	char	 buf[WORK_LINE];
	ssize_t	 n;

	if (sealed && (fcntl(fd, F_GET_SEALS) & WORK_SEALS) != WORK_SEALS)
		return -1;
	if ((n = pread(fd, buf, sizeof(buf), 0)) != (ssize_t)strlen(text))
		return -1;
	return memcmp(buf, text, (size_t)n) == 0 ? 0 : -1;
}

/* ============================================================ smtpd */

struct smtpd_work {
	int			 listen_fd;	/* the SMTP listener */
	struct sockaddr_in	 listen_addr;
	int			 relay_fd;	/* the test's relay */
	struct sockaddr_in	 relay_addr;
	int			 chan[2];	/* [0] test, [1] smtpd */
	/* child side */
	struct event_base	*base;
	int			 answered, served, relayed, spooled;
	/* test side */
	int			 peer_ok;
};

static void
smtpd_check_done(struct smtpd_work *w)
{
	if (w->served && w->relayed && w->spooled)
		event_base_loopbreak(w->base);
}

static void
smtpd_session_read(struct bufferevent *bev, void *arg)
{
	struct smtpd_work	*w = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);

	if (evbuffer_get_length(in) < strlen("hello"))
		return;
	evbuffer_drain(in, strlen("hello"));
	bufferevent_write(bev, "world", strlen("world"));
	w->answered = 1;
}

/* Served once the answer has left (libevent also calls this for an
 * empty buffer): the loop may end right after. */
static void
smtpd_session_written(struct bufferevent *bev, void *arg)
{
	struct smtpd_work	*w = arg;

	(void)bev;
	if (!w->answered)
		return;
	w->served = 1;
	smtpd_check_done(w);
}

static void
smtpd_accept(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct smtpd_work	*w = arg;
	struct bufferevent	*bev;

	(void)l;
	(void)sa;
	(void)salen;
	bev = bufferevent_socket_new(w->base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, smtpd_session_read, smtpd_session_written, NULL,
	    w);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static void
smtpd_relay_read(struct bufferevent *bev, void *arg)
{
	struct smtpd_work	*w = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);

	if (evbuffer_get_length(in) < strlen("ok"))
		return;
	w->relayed = 1;
	smtpd_check_done(w);
}

static void
smtpd_relay_event(struct bufferevent *bev, short what, void *arg)
{
	struct smtpd_work	*w = arg;

	if (what & BEV_EVENT_CONNECTED)
		bufferevent_write(bev, "relay", strlen("relay"));
	else if (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF))
		event_base_loopbreak(w->base);
}

/* Mail arrives as an fd; the result goes back in a fresh sealed memfd. */
static void
smtpd_chan_msg(struct imsgev *iev, struct imsg *imsg)
{
	struct smtpd_work	*w = iev->arg;
	int			 in, out;

	if (imsg->hdr.type != WORK_MAIL_IN || (in = imsg_get_fd(imsg)) == -1 ||
	    work_memfd_is(in, WORK_MAIL, 1) == -1) {
		event_base_loopbreak(w->base);
		return;
	}
	close(in);
	if ((out = work_sealed_memfd(WORK_MAIL)) == -1 ||
	    imsgev_compose(iev, WORK_MAIL_OUT, 0, out, NULL, 0) == -1 ||
	    imsgbuf_flush(&iev->ibuf) == -1) {
		event_base_loopbreak(w->base);
		return;
	}
	w->spooled = 1;
	smtpd_check_done(w);
}

static void
smtpd_chan_done(struct imsgev *iev, int error)
{
	struct smtpd_work	*w = iev->arg;

	(void)error;
	if (!w->spooled)
		event_base_loopbreak(w->base);
}

static void
work_timeout(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	event_base_loopbreak(arg);
}

static int
smtpd_work_op(struct sbt_ctx *ctx)
{
	struct smtpd_work	*w = ctx->arg;
	struct evconnlistener	*l;
	struct bufferevent	*relay;
	struct imsgev		 iev;
	struct event		*timer;
	struct timeval		 tv = { WORK_TIMEOUT_MS / 1000, 0 };

	if ((w->base = event_base_new()) == NULL)
		return SBT_WORK_FAILED;
	timer = evtimer_new(w->base, work_timeout, w->base);
	evtimer_add(timer, &tv);
	if ((l = evconnlistener_new(w->base, smtpd_accept, w,
	    LEV_OPT_CLOSE_ON_FREE, 0, w->listen_fd)) == NULL)
		return SBT_WORK_FAILED + 1;
	/* libevent makes the socket itself: socket(AF_INET) + connect */
	relay = bufferevent_socket_new(w->base, -1, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(relay, smtpd_relay_read, NULL, smtpd_relay_event, w);
	bufferevent_enable(relay, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(relay,
	    (struct sockaddr *)&w->relay_addr, sizeof(w->relay_addr)) == -1)
		return SBT_WORK_FAILED + 2;
	if (imsgev_init(&iev, w->base, w->chan[1], smtpd_chan_msg,
	    smtpd_chan_done, w) == -1)
		return SBT_WORK_FAILED + 3;
	event_base_dispatch(w->base);
	if (!(w->served && w->relayed && w->spooled))
		return SBT_WORK_FAILED + 4 + w->served + 2 * w->relayed +
		    4 * w->spooled;
	bufferevent_free(relay);
	evconnlistener_free(l);
	imsgev_stop(&iev);
	event_free(timer);
	event_base_free(w->base);
	return SBT_OK;
}

static void
smtpd_work_peer(struct sbt_ctx *ctx)
{
	struct smtpd_work	*w = ctx->arg;
	struct imsgbuf		 ib;
	struct imsg		 imsg;
	long			 end = work_now_ms() + WORK_TIMEOUT_MS;
	int			 c = -1, r = -1, mfd, fd;
	ssize_t			 n;

	if (imsgbuf_init(&ib, w->chan[0]) == -1)
		return;
	if ((mfd = work_sealed_memfd(WORK_MAIL)) == -1 ||
	    imsg_compose(&ib, WORK_MAIL_IN, 0, mfd, NULL, 0) == -1 ||
	    imsgbuf_flush(&ib) == -1)
		goto out;
	/* Postfix's side of the SMTP session, and the relay's. */
	if ((c = work_connect(&w->listen_addr)) == -1 ||
	    work_send(c, "hello") == -1)
		goto out;
	if (work_wait(w->relay_fd, POLLIN) == -1 ||
	    (r = accept4(w->relay_fd, NULL, NULL, SOCK_CLOEXEC)) == -1 ||
	    work_expect(r, "relay") == -1 || work_send(r, "ok") == -1)
		goto out;
	if (work_expect(c, "world") == -1)
		goto out;
	for (;;) {
		if ((n = imsg_get(&ib, &imsg)) == -1)
			goto out;
		if (n == 1)
			break;
		if (work_now_ms() > end || work_wait(w->chan[0], POLLIN) == -1)
			goto out;
		if ((n = imsgbuf_read(&ib)) == 0 ||
		    (n == -1 && errno != EAGAIN))
			goto out;
	}
	if (imsg.hdr.type == WORK_MAIL_OUT && (fd = imsg_get_fd(&imsg)) != -1) {
		w->peer_ok = work_memfd_is(fd, WORK_MAIL, 1) == 0;
		close(fd);
	}
	imsg_free(&imsg);
 out:
	if (c != -1)
		close(c);
	if (r != -1)
		close(r);
	imsgbuf_clear(&ib);
}

Test(work, smtpd_accept_relay_spool, .timeout = 30)
{
	struct smtpd_work	 w;
	struct sbt_ctx		 ctx;
	struct sbt_result	 res;

	memset(&w, 0, sizeof(w));
	cr_assert((w.listen_fd = work_listener(&w.listen_addr)) != -1);
	cr_assert((w.relay_fd = work_listener(&w.relay_addr)) != -1);
	cr_assert(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0, w.chan) == 0);
	memset(&ctx, 0, sizeof(ctx));
	ctx.proc = PROC_SMTPD;
	ctx.keep[ctx.nkeep++] = w.listen_fd;
	ctx.keep[ctx.nkeep++] = w.chan[1];
	ctx.op = smtpd_work_op;
	ctx.peer = smtpd_work_peer;
	ctx.arg = &w;
	sbt_view_for(PROC_SMTPD, &ctx.view);
	sbt_run(&ctx, &res);
	sbt_view_cleanup(PROC_SMTPD, &ctx.view);
	work_assert_ok(&res, "smtpd accept, relay and spool");
	cr_assert(w.peer_ok, "the spooled mail did not come back sealed");
}

/* ---- TLS, both ways, through libevent's OpenSSL bufferevents */

struct tls_work {
	SSL_CTX			*ctx;
	int			 sv[2];		/* [0] test, [1] sandboxed */
	int			 server;	/* the sandboxed side serves */
	struct event_base	*base;
	int			 ok;
	int			 peer_ok;
};

#define TLS_HELLO	"EHLO sandbox\r\n"
#define TLS_REPLY	"250 ok\r\n"

static void
tls_read(struct bufferevent *bev, void *arg)
{
	struct tls_work	*t = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	const char	*want = t->server ? TLS_HELLO : TLS_REPLY;
	char		 buf[WORK_LINE];

	if (evbuffer_get_length(in) < strlen(want))
		return;
	evbuffer_remove(in, buf, strlen(want));
	if (memcmp(buf, want, strlen(want)) != 0) {
		event_base_loopbreak(t->base);
		return;
	}
	t->ok = 1;
	if (t->server)
		bufferevent_write(bev, TLS_REPLY, strlen(TLS_REPLY));
	else
		event_base_loopbreak(t->base);
}

static void
tls_write(struct bufferevent *bev, void *arg)
{
	struct tls_work	*t = arg;

	(void)bev;
	/* the server is done once its reply has gone out */
	if (t->ok)
		event_base_loopbreak(t->base);
}

static void
tls_event(struct bufferevent *bev, short what, void *arg)
{
	struct tls_work	*t = arg;

	if ((what & BEV_EVENT_CONNECTED) && !t->server)
		bufferevent_write(bev, TLS_HELLO, strlen(TLS_HELLO));
	else if (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF))
		event_base_loopbreak(t->base);
}

static int
tls_before(struct sbt_ctx *ctx)
{
	struct tls_work	*t = ctx->arg;

	/* Keys and certificates load before the sandbox, as in smtpd. */
	t->ctx = t->server ? sbt_tls_server_ctx() : sbt_tls_client_ctx();
	return t->ctx != NULL ? 0 : -1;
}

static int
tls_op(struct sbt_ctx *ctx)
{
	struct tls_work		*t = ctx->arg;
	struct bufferevent	*bev;
	struct event		*timer;
	struct timeval		 tv = { WORK_TIMEOUT_MS / 1000, 0 };
	SSL			*ssl;

	if ((t->base = event_base_new()) == NULL ||
	    (ssl = SSL_new(t->ctx)) == NULL)
		return SBT_WORK_FAILED;
	timer = evtimer_new(t->base, work_timeout, t->base);
	evtimer_add(timer, &tv);
	bev = bufferevent_openssl_socket_new(t->base, t->sv[1], ssl,
	    t->server ? BUFFEREVENT_SSL_ACCEPTING : BUFFEREVENT_SSL_CONNECTING,
	    BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		return SBT_WORK_FAILED + 1;
	bufferevent_setcb(bev, tls_read, tls_write, tls_event, t);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	event_base_dispatch(t->base);
	if (!t->ok)
		return SBT_WORK_FAILED + 2;
	bufferevent_free(bev);
	event_free(timer);
	event_base_free(t->base);
	return SBT_OK;
}

static void
tls_peer(struct sbt_ctx *ctx)
{
	struct tls_work	*t = ctx->arg;
	SSL_CTX		*pctx;
	SSL		*ssl;
	char		 buf[WORK_LINE];
	const char	*want = t->server ? TLS_REPLY : TLS_HELLO;
	int		 n, got = 0;
	struct timeval	 tv = { WORK_TIMEOUT_MS / 1000, 0 };

	setsockopt(t->sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	pctx = t->server ? sbt_tls_client_ctx() : sbt_tls_server_ctx();
	if (pctx == NULL || (ssl = SSL_new(pctx)) == NULL)
		return;
	SSL_set_fd(ssl, t->sv[0]);
	if ((t->server ? SSL_connect(ssl) : SSL_accept(ssl)) != 1)
		goto out;
	if (t->server && SSL_write(ssl, TLS_HELLO, strlen(TLS_HELLO)) <= 0)
		goto out;
	while (got < (int)strlen(want)) {
		if ((n = SSL_read(ssl, buf + got, (int)strlen(want) - got)) <= 0)
			goto out;
		got += n;
	}
	if (memcmp(buf, want, strlen(want)) != 0)
		goto out;
	if (!t->server && SSL_write(ssl, TLS_REPLY, strlen(TLS_REPLY)) <= 0)
		goto out;
	t->peer_ok = 1;
 out:
	SSL_free(ssl);
	SSL_CTX_free(pctx);
}

static void
tls_run(enum proc_id proc, int server)
{
	struct tls_work		 t;
	struct sbt_ctx		 ctx;
	struct sbt_result	 res;

	memset(&t, 0, sizeof(t));
	t.server = server;
	cr_assert(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    t.sv) == 0);
	memset(&ctx, 0, sizeof(ctx));
	ctx.proc = proc;
	ctx.keep[ctx.nkeep++] = t.sv[1];
	ctx.before = tls_before;
	ctx.op = tls_op;
	ctx.peer = tls_peer;
	ctx.arg = &t;
	sbt_view_for(proc, &ctx.view);
	sbt_run(&ctx, &res);
	sbt_view_cleanup(proc, &ctx.view);
	work_assert_ok(&res, server ? "TLS server" : "TLS client");
	cr_assert(t.peer_ok, "the test's side of the TLS session failed");
}

Test(work, smtpd_tls_server, .timeout = 30)
{
	tls_run(PROC_SMTPD, 1);
}

Test(work, smtpd_tls_client, .timeout = 30)
{
	tls_run(PROC_SMTPD, 0);
}

/* ============================================================ common */

/* A work test with the child_run() probe first, then the work itself. */
struct gen_work {
	int			 chan[2];
	sbt_child_fn		 work;
	sbt_peer_fn		 peer;
	int			 probe_ok;
	char			 home[PATH_MAX];
	char			 fpr[WORK_FPR_MAX];	/* the env is wiped */
	SSL_CTX			*tls;
	int			 listen_fd;
	struct sockaddr_in	 listen_addr;
	const char		*webroot;
	int			 peer_ok;
};

static int
gen_op(struct sbt_ctx *ctx)
{
	struct gen_work	*g = ctx->arg;
	int		 rc;

	if ((rc = sbt_loop_probe_child(g->chan[1])) != SBT_OK)
		return rc + 40;
	return g->work(ctx);
}

static void
gen_peer(struct sbt_ctx *ctx)
{
	struct gen_work	*g = ctx->arg;

	g->probe_ok = sbt_loop_probe_peer(g->chan[0]) == 0;
	if (g->peer != NULL)
		g->peer(ctx);
}

static void
gen_run(enum proc_id proc, struct gen_work *g, struct sbt_ctx *ctx,
    struct sbt_result *res)
{
	cr_assert(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0, g->chan) == 0);
	ctx->proc = proc;
	ctx->keep[ctx->nkeep++] = g->chan[1];
	ctx->op = gen_op;
	ctx->peer = gen_peer;
	ctx->arg = g;
	sbt_run(ctx, res);
	close(g->chan[0]);
	close(g->chan[1]);
}

/* ============================================================ cryptod */

static int
gpgme_before(struct sbt_ctx *ctx)
{
	(void)ctx;
	/* Pre-jail: gpgme finds its engines (running gpgconf) here. */
	if (gpgme_check_version(NULL) == NULL)
		return -1;
	return gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP) == 0 ?
	    0 : -1;
}

static int
cryptod_work(struct sbt_ctx *ctx)
{
	struct gen_work		*g = ctx->arg;
	gpgme_engine_info_t	 info;
	gpgme_ctx_t		 gctx;
	gpgme_key_t		 keys[2] = { NULL, NULL };
	gpgme_data_t		 in, out;
	gpgme_encrypt_result_t	 er;
	const char		*msg = "Subject: test\r\n\r\nsecret\r\n";
	char			 head[sizeof(PGP_ARMOR_HEAD)];
	int			 mfd;

	if (gpgme_get_engine_info(&info) != 0)
		return SBT_WORK_FAILED;
	for (; info != NULL; info = info->next)
		if (info->protocol == GPGME_PROTOCOL_OpenPGP)
			break;
	if (info == NULL || info->file_name == NULL ||
	    strcmp(info->file_name, "/usr/bin/gpg") != 0)
		return SBT_WORK_FAILED + 1;
	if (gpgme_new(&gctx) != 0 ||
	    gpgme_ctx_set_engine_info(gctx, GPGME_PROTOCOL_OpenPGP, NULL,
	    g->home) != 0)
		return SBT_WORK_FAILED + 2;
	gpgme_set_armor(gctx, 1);
	if (gpgme_get_key(gctx, g->fpr, &keys[0], 0) != 0)
		return SBT_WORK_FAILED + 3;
	/* The result goes into a memfd, as smtpd will be handed it. */
	if ((mfd = memfd_create("out", MFD_CLOEXEC | MFD_ALLOW_SEALING)) == -1)
		return SBT_WORK_FAILED + 4;
	if (gpgme_data_new_from_mem(&in, msg, strlen(msg), 0) != 0 ||
	    gpgme_data_new_from_fd(&out, mfd) != 0)
		return SBT_WORK_FAILED + 5;
	if (gpgme_op_encrypt(gctx, keys, GPGME_ENCRYPT_ALWAYS_TRUST, in,
	    out) != 0 || (er = gpgme_op_encrypt_result(gctx)) == NULL ||
	    er->invalid_recipients != NULL)
		return SBT_WORK_FAILED + 6;
	if (fcntl(mfd, F_ADD_SEALS, WORK_SEALS) == -1)
		return SBT_WORK_FAILED + 7;
	memset(head, 0, sizeof(head));
	if (pread(mfd, head, sizeof(head) - 1, 0) <= 0 ||
	    strcmp(head, PGP_ARMOR_HEAD) != 0)
		return SBT_WORK_FAILED + 8;
	gpgme_data_release(in);
	gpgme_data_release(out);
	gpgme_key_unref(keys[0]);
	gpgme_release(gctx);
	return SBT_OK;
}

static int
work_chown_one(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	uid_t	 uid;
	gid_t	 gid;

	(void)st;
	(void)flag;
	(void)ftw;
	sbt_user("_pgpmg_cryptod", &uid, &gid);
	return lchown(path, uid, gid) == -1 ? -1 : 0;
}

Test(work, cryptod_gpgme_encrypt, .timeout = 30)
{
	struct gen_work		 g;
	struct sbt_ctx		 ctx;
	struct sbt_result	 res;
	const char		*pub = getenv(SBT_ENV_PUBKEY);
	char			*fpr = getenv(SBT_ENV_FPR);

	cr_assert(pub != NULL && fpr != NULL, "no test key (see main)");
	memset(&g, 0, sizeof(g));
	memset(&ctx, 0, sizeof(ctx));
	sbt_view_for(PROC_CRYPTOD, &ctx.view);
	snprintf(g.home, sizeof(g.home), "%s", ctx.view.rw[0]);
	{
		/* The public key, imported as the gateway would (by
		 * policyd's request, here before the test). */
		const char *argv[] = { "/usr/bin/gpg", "--batch", "--quiet",
		    "--homedir", g.home, "--import", pub, NULL };

		cr_assert(sbt_spawn(NULL, argv, NULL) == 0);
		cr_assert(nftw(g.home, work_chown_one, WORK_NFTW_FDS, FTW_PHYS) == 0);
	}
	g.work = cryptod_work;
	snprintf(g.fpr, sizeof(g.fpr), "%s", fpr);
	ctx.before = gpgme_before;
	gen_run(PROC_CRYPTOD, &g, &ctx, &res);
	sbt_view_cleanup(PROC_CRYPTOD, &ctx.view);
	work_assert_ok(&res, "cryptod gpgme encryption");
	cr_assert(g.probe_ok, "event loop / imsg probe failed");
}

/* ============================================================ keyd */

static int
keyd_work(struct sbt_ctx *ctx)
{
	struct gen_work		*g = ctx->arg;
	gpgme_ctx_t		 gctx;
	gpgme_genkey_result_t	 gr;
	gpgme_key_t		 key;
	gpgme_data_t		 in, out;
	char			 fpr[WORK_FPR_MAX], *buf;
	size_t			 len;

	if (gpgme_new(&gctx) != 0 ||
	    gpgme_ctx_set_engine_info(gctx, GPGME_PROTOCOL_OpenPGP, NULL,
	    g->home) != 0)
		return SBT_WORK_FAILED;
	gpgme_set_armor(gctx, 1);
	/* gpg starts gpg-agent here, inside the sandbox. */
	if (gpgme_op_createkey(gctx, "keyd test <keyd@example.com>",
	    "ed25519", 0, 0, NULL, GPGME_CREATE_NOPASSWD |
	    GPGME_CREATE_CERT | GPGME_CREATE_SIGN) != 0 ||
	    (gr = gpgme_op_genkey_result(gctx)) == NULL || gr->fpr == NULL)
		return SBT_WORK_FAILED + 1;
	snprintf(fpr, sizeof(fpr), "%s", gr->fpr);
	if (gpgme_get_key(gctx, fpr, &key, 1) != 0)
		return SBT_WORK_FAILED + 2;
	if (gpgme_op_createsubkey(gctx, key, "cv25519", 0, 0,
	    GPGME_CREATE_NOPASSWD | GPGME_CREATE_ENCR) != 0)
		return SBT_WORK_FAILED + 3;
	/* A signature: the agent uses the secret key. */
	gpgme_signers_clear(gctx);
	if (gpgme_signers_add(gctx, key) != 0 ||
	    gpgme_data_new_from_mem(&in, "x", 1, 0) != 0 ||
	    gpgme_data_new(&out) != 0 ||
	    gpgme_op_sign(gctx, in, out, GPGME_SIG_MODE_DETACH) != 0)
		return SBT_WORK_FAILED + 4;
	gpgme_data_release(in);
	gpgme_data_release(out);
	/* The public half, for policyd. */
	if (gpgme_data_new(&out) != 0 ||
	    gpgme_op_export(gctx, fpr, 0, out) != 0 ||
	    (buf = gpgme_data_release_and_get_mem(out, &len)) == NULL ||
	    len == 0)
		return SBT_WORK_FAILED + 5;
	gpgme_free(buf);
	gpgme_key_unref(key);
	gpgme_release(gctx);
	return SBT_OK;
}

Test(work, keyd_gpgme_keygen, .timeout = 30)
{
	struct gen_work		 g;
	struct sbt_ctx		 ctx;
	struct sbt_result	 res;

	memset(&g, 0, sizeof(g));
	memset(&ctx, 0, sizeof(ctx));
	sbt_view_for(PROC_KEYD, &ctx.view);
	snprintf(g.home, sizeof(g.home), "%s", ctx.view.rw[0]);
	g.work = keyd_work;
	ctx.before = gpgme_before;
	gen_run(PROC_KEYD, &g, &ctx, &res);
	sbt_view_cleanup(PROC_KEYD, &ctx.view);
	work_assert_ok(&res, "keyd key generation");
	cr_assert(g.probe_ok, "event loop / imsg probe failed");
}

/* ============================================================ policyd */

/* AES-256-GCM, as policyd encrypts secret columns. */
#define COL_KEY_LEN	32
#define COL_IV_LEN	12
#define COL_TAG_LEN	16

static int
policyd_column_crypto(void)
{
	unsigned char	 key[COL_KEY_LEN], iv[COL_IV_LEN], tag[COL_TAG_LEN];
	unsigned char	 ct[WORK_LINE], pt[WORK_LINE];
	const char	*secret = "column secret";
	EVP_CIPHER_CTX	*c;
	int		 n, m, ok = 0;

	if (RAND_bytes(key, sizeof(key)) != 1 ||
	    RAND_bytes(iv, sizeof(iv)) != 1 ||
	    (c = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	if (EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv) == 1 &&
	    EVP_EncryptUpdate(c, ct, &n, (const unsigned char *)secret,
	    (int)strlen(secret)) == 1 &&
	    EVP_EncryptFinal_ex(c, ct + n, &m) == 1 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, sizeof(tag),
	    tag) == 1 &&
	    EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv) == 1 &&
	    EVP_DecryptUpdate(c, pt, &n, ct, n + m) == 1 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, sizeof(tag),
	    tag) == 1 &&
	    EVP_DecryptFinal_ex(c, pt + n, &m) == 1 &&
	    (size_t)(n + m) == strlen(secret) &&
	    memcmp(pt, secret, strlen(secret)) == 0)
		ok = 1;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

static int
policyd_work(struct sbt_ctx *ctx)
{
	PGconn		*conn;
	PGresult	*r;
	const char	*params[1] = { "41" };
	int		 ok;

	(void)ctx;
	/* "/" is the chroot: the server's socket directory. */
	conn = PQconnectdb("host=/ dbname=postgres user=postgres");
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "policyd: %s", PQerrorMessage(conn));
		return SBT_WORK_FAILED;
	}
	r = PQexec(conn, "SELECT 1");
	ok = PQresultStatus(r) == PGRES_TUPLES_OK &&
	    strcmp(PQgetvalue(r, 0, 0), "1") == 0;
	PQclear(r);
	if (!ok)
		return SBT_WORK_FAILED + 1;
	r = PQexecParams(conn, "SELECT $1::int + 1", 1, NULL, params, NULL,
	    NULL, 0);
	ok = PQresultStatus(r) == PGRES_TUPLES_OK &&
	    strcmp(PQgetvalue(r, 0, 0), "42") == 0;
	PQclear(r);
	PQfinish(conn);
	if (!ok)
		return SBT_WORK_FAILED + 2;
	if (policyd_column_crypto() == -1)
		return SBT_WORK_FAILED + 3;
	return SBT_OK;
}

Test(work, policyd_postgres_select, .timeout = 30)
{
	struct gen_work		 g;
	struct sbt_ctx		 ctx;
	struct sbt_result	 res;

	cr_assert(getenv(SBT_ENV_PGROOT) != NULL, "no PostgreSQL (see main)");
	memset(&g, 0, sizeof(g));
	memset(&ctx, 0, sizeof(ctx));
	sbt_view_for(PROC_POLICYD, &ctx.view);
	g.work = policyd_work;
	gen_run(PROC_POLICYD, &g, &ctx, &res);
	sbt_view_cleanup(PROC_POLICYD, &ctx.view);
	work_assert_ok(&res, "policyd SELECT 1 over its chroot's socket");
	cr_assert(g.probe_ok, "event loop / imsg probe failed");
}

/*
 * policyd's password checks (policyd/verifier.c, the very file): the
 * slots locked as root before the sandbox, the thread started inside it,
 * an scrypt check of our own cost (128 MiB, on the thread's heap) for
 * the right password, the wrong one and the dummy, each result back
 * through the pipe on the event loop; no fifth slot while four are
 * taken; and a hash made on the thread (the console's new passwords)
 * that a check then finds the password in.
 */
#define VERIFY_RIGHT	"correct horse battery staple"
#define VERIFY_WRONG	"Tr0ub4dor&3"

struct verify_work {
	char		 phc[PASSHASH_PHC_MAX + 1];
	int		 results[3];	/* -1 until called */
	struct event_base *base;
	char		 made[PASSHASH_PHC_MAX + 1];	/* by verifier_hash */
	int		 hashed;
};

static void
verify_done(int match, void *arg)
{
	int	*result = arg;

	*result = match;
}

static void
hash_done(const char *phc, void *arg)
{
	struct verify_work	*w = arg;

	w->hashed = phc != NULL ? 1 : 2;
	if (phc != NULL)
		snprintf(w->made, sizeof(w->made), "%s", phc);
}

static int
verify_before(struct sbt_ctx *ctx)
{
	struct verify_work	*w = ctx->arg;

	verifier_prepare();
	return passhash_make(VERIFY_RIGHT, w->phc, sizeof(w->phc));
}

static int
verify_work(struct sbt_ctx *ctx)
{
	struct verify_work	*w = ctx->arg;
	const char		*pass[3] = { VERIFY_RIGHT, VERIFY_WRONG,
	    VERIFY_RIGHT };
	int			 slots[VERIFIER_SLOTS], n = 0;

	if ((w->base = event_base_new()) == NULL)
		return SBT_WORK_FAILED;
	verifier_init(w->base);
	for (int i = 0; i < 3; i++) {
		w->results[i] = -1;
		if ((slots[i] = verifier_reserve(pass[i])) == -1)
			return SBT_WORK_FAILED + 1;
		/* the third against the dummy: never a match */
		verifier_start(slots[i], i < 2 ? w->phc : NULL, verify_done,
		    &w->results[i]);
	}
	if ((slots[3] = verifier_reserve("x")) == -1 ||
	    verifier_reserve("y") != -1)
		return SBT_WORK_FAILED + 2;
	verifier_release(slots[3]);
	while (w->results[0] == -1 || w->results[1] == -1 ||
	    w->results[2] == -1) {
		if (event_base_loop(w->base, EVLOOP_ONCE) == -1 || ++n > 100)
			return SBT_WORK_FAILED + 3;
	}
	if (w->results[0] != 1 || w->results[1] != 0 || w->results[2] != 0)
		return SBT_WORK_FAILED + 4;
	/* A hash of ours made on the thread, then checked there. */
	if ((slots[0] = verifier_reserve(VERIFY_WRONG)) == -1)
		return SBT_WORK_FAILED + 5;
	verifier_hash(slots[0], hash_done, w);
	for (n = 0; w->hashed == 0; )
		if (event_base_loop(w->base, EVLOOP_ONCE) == -1 || ++n > 100)
			return SBT_WORK_FAILED + 6;
	if (w->hashed != 1 || strncmp(w->made, "$scrypt$ln=17,r=8,p=1$",
	    22) != 0 || (slots[0] = verifier_reserve(VERIFY_WRONG)) == -1)
		return SBT_WORK_FAILED + 7;
	w->results[0] = -1;
	verifier_start(slots[0], w->made, verify_done, &w->results[0]);
	for (n = 0; w->results[0] == -1; )
		if (event_base_loop(w->base, EVLOOP_ONCE) == -1 || ++n > 100)
			return SBT_WORK_FAILED + 8;
	if (w->results[0] != 1)
		return SBT_WORK_FAILED + 9;
	return SBT_OK;
}

Test(work, policyd_password_thread, .timeout = 30)
{
	struct verify_work	 w;
	struct sbt_ctx		 ctx;
	struct sbt_result	 res;

	memset(&w, 0, sizeof(w));
	memset(&ctx, 0, sizeof(ctx));
	sbt_view_for(PROC_POLICYD, &ctx.view);
	ctx.proc = PROC_POLICYD;
	ctx.before = verify_before;
	ctx.op = verify_work;
	ctx.arg = &w;
	sbt_run(&ctx, &res);
	sbt_view_cleanup(PROC_POLICYD, &ctx.view);
	work_assert_ok(&res, "policyd's password thread checks scrypt hashes");
}

/* ============================================================ webd */

#define WEB_REQUEST	"GET /index.html HTTP/1.0\r\n\r\n"
#define WEB_PAGE	"<h1>pgpmg</h1>\n"

static int
webd_before(struct sbt_ctx *ctx)
{
	struct gen_work	*g = ctx->arg;

	g->tls = sbt_tls_server_ctx();
	return g->tls != NULL ? 0 : -1;
}

/*
 * A key upload as webd/keydata.c holds it: written into a memfd and
 * sealed (common/memfd.c's spool), then read back after the seals are
 * checked, as webd reads an export.
 */
static int
webd_key_memfd(void)
{
	struct spool	 sp;
	uint64_t	 size;

	if (spool_open(&sp, "pgpmg-upload") == -1 ||
	    spool_write(&sp, WEB_PAGE, strlen(WEB_PAGE)) == -1 ||
	    spool_seal(&sp) == -1)
		return SBT_ERRNO_BASE + errno;
	if (memfd_check_sealed(sp.fd, &size) == -1 ||
	    size != strlen(WEB_PAGE) || work_memfd_is(sp.fd, WEB_PAGE, 1) ==
	    -1) {
		spool_discard(&sp);
		return SBT_WORK_FAILED + 5;
	}
	spool_discard(&sp);
	return SBT_OK;
}

static int
webd_work(struct sbt_ctx *ctx)
{
	struct gen_work	*g = ctx->arg;
	char		 buf[WORK_LINE];
	SSL		*ssl;
	ssize_t		 len;
	int		 c, dfd, fd, n, got = 0;

	if (work_wait(g->listen_fd, POLLIN) == -1 ||
	    (c = accept4(g->listen_fd, NULL, NULL, SOCK_CLOEXEC)) == -1)
		return SBT_WORK_FAILED;
	if ((ssl = SSL_new(g->tls)) == NULL || SSL_set_fd(ssl, c) != 1 ||
	    SSL_accept(ssl) != 1)
		return SBT_WORK_FAILED + 1;
	while (got < (int)strlen(WEB_REQUEST)) {
		if ((n = SSL_read(ssl, buf + got,
		    (int)strlen(WEB_REQUEST) - got)) <= 0)
			return SBT_WORK_FAILED + 2;
		got += n;
	}
	/* a file of its web root, opened after the sandbox as webd does:
	 * relative to the root's O_PATH descriptor, links not followed */
	if ((dfd = open(g->webroot, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (fd = openat(dfd, "index.html", O_RDONLY | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC)) == -1)
		return SBT_ERRNO_BASE + errno;
	close(dfd);
	if ((len = read(fd, buf, sizeof(buf))) <= 0)
		return SBT_WORK_FAILED + 3;
	close(fd);
	if (SSL_write(ssl, buf, (int)len) != (int)len)
		return SBT_WORK_FAILED + 4;
	SSL_shutdown(ssl);
	SSL_free(ssl);
	close(c);
	return webd_key_memfd();
}

static void
webd_peer(struct sbt_ctx *ctx)
{
	struct gen_work	*g = ctx->arg;
	SSL_CTX		*pctx;
	SSL		*ssl = NULL;
	char		 buf[WORK_LINE];
	int		 c, n, got = 0;
	struct timeval	 tv = { WORK_TIMEOUT_MS / 1000, 0 };

	if ((c = work_connect(&g->listen_addr)) == -1)
		return;
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if ((pctx = sbt_tls_client_ctx()) == NULL ||
	    (ssl = SSL_new(pctx)) == NULL)
		goto out;
	SSL_set_fd(ssl, c);
	if (SSL_connect(ssl) != 1 ||
	    SSL_write(ssl, WEB_REQUEST, strlen(WEB_REQUEST)) <= 0)
		goto out;
	while (got < (int)strlen(WEB_PAGE)) {
		if ((n = SSL_read(ssl, buf + got, (int)sizeof(buf) - got)) <= 0)
			goto out;
		got += n;
	}
	g->peer_ok = got == (int)strlen(WEB_PAGE) &&
	    memcmp(buf, WEB_PAGE, strlen(WEB_PAGE)) == 0;
 out:
	SSL_free(ssl);
	SSL_CTX_free(pctx);
	close(c);
}

/* A page over TLS, and a key in a sealed memfd (uploads, exports). */
Test(work, webd_tls_static_file, .timeout = 30)
{
	struct gen_work		 g;
	struct sbt_ctx		 ctx;
	struct sbt_result	 res;

	memset(&g, 0, sizeof(g));
	memset(&ctx, 0, sizeof(ctx));
	sbt_view_for(PROC_WEBD, &ctx.view);
	g.webroot = ctx.view.ro[0];
	cr_assert((g.listen_fd = work_listener(&g.listen_addr)) != -1);
	ctx.keep[ctx.nkeep++] = g.listen_fd;
	ctx.before = webd_before;
	g.work = webd_work;
	g.peer = webd_peer;
	gen_run(PROC_WEBD, &g, &ctx, &res);
	sbt_view_cleanup(PROC_WEBD, &ctx.view);
	work_assert_ok(&res, "webd TLS on an accepted connection");
	cr_assert(g.probe_ok, "event loop / imsg probe failed");
	cr_assert(g.peer_ok, "the page did not arrive");
}
