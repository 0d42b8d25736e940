/*
 * The part of every child that is not its own work: boot before the
 * sandbox (logging to the parent, the configuration), and after it the
 * event loop, the parent channel and the peer channels.
 *
 * A peer's identity is the channel a message arrives on, never a field in
 * the message: the parent says who is at the other end of each fd it hands
 * over, and the greeting only confirms the instance number it announced.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/child.h"
#include "common/log.h"
#include "common/msg.h"
#include "imsg/imsg.h"

/* How long a child waits for its configuration before giving up. */
#define CHILD_BOOT_TIMEOUT_MS	10000

/* The channel to the parent before the event loop exists. */
static struct imsgbuf	 boot_chan;

static void	child_parent_msg(struct imsgev *, struct imsg *);
static void	child_parent_done(struct imsgev *, int);
static void	child_peer_msg(struct imsgev *, struct imsg *);
static void	child_peer_done(struct imsgev *, int);

static void
child_set_nonblock(int fd)
{
	int	 flags;

	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		fatal("fcntl O_NONBLOCK");
}

/* Wait (bounded) for one message on the boot channel. */
static void
child_boot_get(struct imsg *imsg)
{
	struct pollfd	 pfd = { .fd = PROC_PARENT_FD, .events = POLLIN };
	ssize_t		 n;

	for (;;) {
		if ((n = imsg_get(&boot_chan, imsg)) == -1)
			fatal("parent channel");
		if (n > 0)
			return;
		switch (poll(&pfd, 1, CHILD_BOOT_TIMEOUT_MS)) {
		case -1:
			if (errno == EINTR)
				continue;
			fatal("poll");
		case 0:
			fatalx("no configuration from the parent");
		}
		if ((n = imsgbuf_read(&boot_chan)) == -1 && errno != EAGAIN)
			fatal("read from parent");
		if (n == 0)
			exit(0);	/* the parent is gone */
	}
}

void
child_boot(struct child *c, enum proc_id proc, int argc, char *argv[])
{
	struct stat		 st;
	struct imsg		 imsg;
	struct imsg_reader	 r;
	const char		*path, *text;
	char			 err[512];
	int			 ch;

	memset(c, 0, sizeof(*c));
	c->proc = proc;

	/* A child is only ever started by pgpmgd, with its channel on fd 3. */
	if (fstat(PROC_PARENT_FD, &st) == -1 || !S_ISSOCK(st.st_mode)) {
		fprintf(stderr, "pgpmg/%s: not started by pgpmgd "
		    "(no channel on fd %d)\n", proc_name(proc), PROC_PARENT_FD);
		exit(1);
	}
	child_set_nonblock(PROC_PARENT_FD);
	if (imsgbuf_init(&boot_chan, PROC_PARENT_FD) == -1) {
		fprintf(stderr, "pgpmg/%s: out of memory\n", proc_name(proc));
		exit(1);
	}
	log_init_child(proc, &boot_chan, 0);

	/* Ctrl-C reaches the whole group; the parent decides who stops. */
	signal(SIGINT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);

	while ((ch = getopt(argc, argv, "i:")) != -1) {
		switch (ch) {
		case 'i':
			c->instance = atoi(optarg);
			if (c->instance < 0 || c->instance >= PROC_MAX_INSTANCES)
				fatalx("bad instance %s", optarg);
			break;
		default:
			fatalx("bad arguments");
		}
	}

	child_boot_get(&imsg);
	if (imsg.hdr.type != IMSG_PARENT_CONF)
		fatalx("expected the configuration, got %s",
		    imsg_type_name(imsg.hdr.type));
	imsg_reader_init(&r, &imsg);
	if (imsg_read_string(&r, &path, 4096) == -1 ||
	    imsg_read_string(&r, &text, CONF_MAX_SIZE) == -1 ||
	    imsg_reader_end(&r) == -1)
		fatalx("malformed configuration message");
	if (conf_parse_text(path, text, strlen(text), &c->conf, err,
	    sizeof(err)) == -1)
		fatalx("%s", err);
	imsg_free(&imsg);
	log_set_verbose(c->conf.verbose);
	if (proc == PROC_CRYPTOD ? c->instance >= (int)c->conf.cryptod_workers
	    : c->instance != 0)
		fatalx("instance %d out of range", c->instance);
}

/*
 * A daemon that serves many clients needs more descriptors than the
 * default soft limit.  Only root may raise the hard limit, so this runs
 * before the sandbox; afterwards the limit is what the process has.
 */
void
child_raise_fd_limit(uint64_t want)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("getrlimit");
	if (rl.rlim_cur >= want)
		return;
	rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
	if (rl.rlim_cur < want && rl.rlim_max != RLIM_INFINITY) {
		rl.rlim_max = want;	/* we are still root */
		rl.rlim_cur = want;
	}
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("setrlimit RLIMIT_NOFILE %llu", (unsigned long long)want);
}

static void
child_sigterm(int sig, short ev, void *arg)
{
	(void)sig; (void)ev; (void)arg;
	log_debug("terminating");
	exit(0);
}

void
child_run(struct child *c, const struct child_ops *ops)
{
	struct event	*ev_term;
	uint32_t	 ready[3];

	c->ops = ops;
	if ((c->base = event_base_new()) == NULL)
		fatalx("event_base_new");
	/* The boot channel has nothing buffered: the parent sends nothing
	 * but the configuration until it hears we are ready. */
	if (boot_chan.rlen != 0 || boot_chan.nrfds != 0)
		fatalx("parent sent data before ready");
	imsgbuf_clear(&boot_chan);
	if (imsgev_init(&c->parent, c->base, PROC_PARENT_FD,
	    child_parent_msg, child_parent_done, c) == -1)
		fatal("imsgev_init");
	log_set_channel(&c->parent.ibuf);

	if ((ev_term = evsignal_new(c->base, SIGTERM, child_sigterm, c)) ==
	    NULL || evsignal_add(ev_term, NULL) == -1)
		fatalx("signal event");
	if (ops->started != NULL)
		ops->started(c);

	ready[0] = (uint32_t)c->sandbox.landlock_abi;
	ready[1] = (uint32_t)c->sandbox.chrooted;
	ready[2] = (uint32_t)c->sandbox.netns;
	if (imsgev_compose(&c->parent, IMSG_CHILD_READY, 0, -1, ready,
	    sizeof(ready)) == -1)
		fatal("compose ready");
	log_debug("ready");
	event_base_dispatch(c->base);
}

struct child_peer *
child_peer_find(struct child *c, enum proc_id proc, int instance)
{
	for (size_t i = 0; i < CHILD_MAX_PEERS; i++) {
		struct child_peer *p = &c->peers[i];
		if (p->used && p->proc == proc && p->instance == instance)
			return p;
	}
	return NULL;
}

int
child_peer_compose(struct child_peer *p, uint32_t type, int fd,
    const void *data, size_t len)
{
	return imsgev_compose(&p->iev, type, (uint32_t)p->child->instance, fd,
	    data, len);
}

static void
child_peer_close(struct child_peer *p)
{
	int	 fd = p->iev.ibuf.fd;

	imsgev_stop(&p->iev);
	close(fd);
	p->used = p->up = 0;
}

static void
child_peer_attach(struct child *c, struct imsg *imsg)
{
	struct imsg_reader	 r;
	struct child_peer	*p;
	uint32_t		 proc, instance, me;
	int			 fd, max;

	imsg_reader_init(&r, imsg);
	if (imsg_read_u32(&r, &proc) == -1 ||
	    imsg_read_u32(&r, &instance) == -1 || imsg_reader_end(&r) == -1)
		fatalx("malformed PARENT_PEER_FD");
	if ((fd = imsg_get_fd(imsg)) == -1)
		fatalx("PARENT_PEER_FD without an fd");
	if (proc >= PROC_MAX || proc == PROC_PARENT ||
	    !channel_allowed(c->proc, (enum proc_id)proc))
		fatalx("no channel %s-%s in the peer graph",
		    proc_name(c->proc), proc_name((enum proc_id)proc));
	max = proc == PROC_CRYPTOD ? (int)c->conf.cryptod_workers : 1;
	if (instance >= (uint32_t)max)
		fatalx("peer %s#%u out of range", proc_name(proc), instance);

	if ((p = child_peer_find(c, (enum proc_id)proc, (int)instance)) != NULL) {
		/* Only a restarted cryptod worker may replace a channel.
		 * The old one may not have reported its end yet: what was
		 * in flight on it is lost all the same. */
		if (proc != PROC_CRYPTOD)
			fatalx("peer %s already set", proc_name(proc));
		if (p->up && c->ops != NULL && c->ops->peer_down != NULL)
			c->ops->peer_down(c, p);
		child_peer_close(p);
	} else {
		for (size_t i = 0; p == NULL && i < CHILD_MAX_PEERS; i++)
			if (!c->peers[i].used)
				p = &c->peers[i];
		if (p == NULL)
			fatalx("too many peers");
	}
	memset(p, 0, sizeof(*p));
	p->child = c;
	p->proc = (enum proc_id)proc;
	p->instance = (int)instance;
	p->used = 1;
	child_set_nonblock(fd);
	if (imsgev_init(&p->iev, c->base, fd, child_peer_msg, child_peer_done,
	    p) == -1)
		fatal("imsgev_init");
	me = (uint32_t)c->instance;
	if (child_peer_compose(p, IMSG_PEER_HELLO, -1, &me, sizeof(me)) == -1)
		fatal("compose hello");
}

static void
child_parent_msg(struct imsgev *iev, struct imsg *imsg)
{
	struct child	*c = iev->arg;

	msg_check(c->proc, PROC_PARENT, imsg);
	switch (imsg->hdr.type) {
	case IMSG_PARENT_PEER_FD:
		child_peer_attach(c, imsg);
		break;
	case IMSG_PARENT_SHUTDOWN:
		if (imsg->datalen != 0)
			fatalx("malformed PARENT_SHUTDOWN");
		log_debug("shutting down");
		exit(0);
	case IMSG_PARENT_STOPPING:
		if (imsg->datalen != 0)
			fatalx("malformed PARENT_STOPPING");
		c->stopping = 1;
		break;
	default:
		if (c->ops->parent_msg == NULL)
			fatalx("unexpected %s from parent",
			    imsg_type_name(imsg->hdr.type));
		c->ops->parent_msg(c, imsg);
	}
}

static void
child_parent_done(struct imsgev *iev, int error)
{
	(void)iev;
	/* Without the parent we can neither log nor be supervised. */
	if (error == 0)
		exit(0);
	errno = error;
	fatal("parent channel");
}

static void
child_peer_msg(struct imsgev *iev, struct imsg *imsg)
{
	struct child_peer	*p = iev->arg;
	struct child		*c = p->child;
	struct imsg_reader	 r;
	uint32_t		 instance, up[2];

	msg_check(c->proc, p->proc, imsg);
	if (imsg->hdr.type == IMSG_PEER_HELLO) {
		imsg_reader_init(&r, imsg);
		if (imsg_read_u32(&r, &instance) == -1 ||
		    imsg_reader_end(&r) == -1)
			fatalx("malformed PEER_HELLO from %s", proc_name(p->proc));
		if (p->up || instance != (uint32_t)p->instance)
			fatalx("unexpected PEER_HELLO from %s#%d",
			    proc_name(p->proc), p->instance);
		p->up = 1;
		up[0] = (uint32_t)p->proc;
		up[1] = (uint32_t)p->instance;
		if (imsgev_compose(&c->parent, IMSG_CHILD_PEER_UP, 0, -1, up,
		    sizeof(up)) == -1)
			fatal("compose peer up");
		log_debug("channel to %s#%d up", proc_name(p->proc),
		    p->instance);
		if (c->ops->peer_up != NULL)
			c->ops->peer_up(c, p);
		return;
	}
	if (!p->up)
		fatalx("%s from %s before its greeting",
		    imsg_type_name(imsg->hdr.type), proc_name(p->proc));
	if (c->ops->peer_msg == NULL)
		fatalx("unexpected %s from %s", imsg_type_name(imsg->hdr.type),
		    proc_name(p->proc));
	c->ops->peer_msg(c, p, imsg);
}

/*
 * Read what the parent has already sent, without waiting.  pgpmgd writes
 * IMSG_PARENT_STOPPING to every child before it signals any of them, so a
 * child that sees a peer go away finds the notice here if the appliance
 * is stopping.
 */
static void
child_parent_drain(struct child *c)
{
	struct imsg	 imsg;
	ssize_t		 n;

	if ((n = imsgbuf_read(&c->parent.ibuf)) == -1 && errno != EAGAIN)
		return;
	while (!c->stopping && (n = imsg_get(&c->parent.ibuf, &imsg)) > 0) {
		child_parent_msg(&c->parent, &imsg);
		imsg_free(&imsg);
	}
	if (n == -1)
		fatal("parent channel");
}

static void
child_peer_done(struct imsgev *iev, int error)
{
	struct child_peer	*p = iev->arg;
	struct child		*c = p->child;

	/* An orderly stop takes every process down; none of that is news. */
	if (!c->stopping)
		child_parent_drain(c);
	if (c->stopping)
		exit(0);

	/* cryptod workers are stateless and replaceable; nobody else is. */
	if (p->proc != PROC_CRYPTOD) {
		if (error == 0)
			fatalx("lost channel to %s", proc_name(p->proc));
		errno = error;
		fatal("channel to %s", proc_name(p->proc));
	}
	log_warnx("lost channel to cryptod#%d%s%s", p->instance,
	    error ? ": " : "", error ? strerror(error) : "");
	if (c->ops->peer_down != NULL)
		c->ops->peer_down(c, p);
	child_peer_close(p);
}

int
child_listener(struct imsg *imsg, uint32_t *kind)
{
	struct imsg_reader	 r;
	int			 fd;

	if (imsg->hdr.type != IMSG_PARENT_LISTENER_FD)
		fatalx("unexpected %s from parent",
		    imsg_type_name(imsg->hdr.type));
	imsg_reader_init(&r, imsg);
	if (imsg_read_u32(&r, kind) == -1 || imsg_reader_end(&r) == -1 ||
	    (fd = imsg_get_fd(imsg)) == -1)
		fatalx("malformed PARENT_LISTENER_FD");
	return fd;
}

struct event *
child_listen(struct child *c, int fd, void (*cb)(int, short, void *),
    void *arg)
{
	struct event	*ev;

	if ((ev = event_new(c->base, fd, EV_READ | EV_PERSIST, cb, arg)) ==
	    NULL || event_add(ev, NULL) == -1)
		fatalx("listener event");
	return ev;
}

void
child_peer_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void	*a = NULL;

	if (ss->ss_family == AF_INET)
		a = &((const struct sockaddr_in *)ss)->sin_addr;
	else if (ss->ss_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
	if (a == NULL || inet_ntop(ss->ss_family, a, buf, len) == NULL)
		snprintf(buf, len, "local");
}
