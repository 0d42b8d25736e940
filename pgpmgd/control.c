/*
 * The control socket for pgpmgctl.  A unix socket owned by root, group
 * _pgpmg, mode 0660; on top of the file mode, every connection's peer
 * credentials are checked, so only root and members of _pgpmg are served
 * even if the socket's mode is changed.  Requests are imsgs; each client
 * is bounded in number and in message size like any other peer.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/msg.h"
#include "imsg/imsg.h"
#include "pgpmgd/pgpmgd.h"

#define CONTROL_GROUP		"_pgpmg"
/* pgpmgctl is an admin tool: a handful of concurrent clients is plenty,
 * and the bound keeps a local user from exhausting the parent's fds. */
#define CONTROL_MAX_CLIENTS	16
/* A group member's supplementary groups looked up for the check. */
#define CONTROL_MAX_GROUPS	256

struct ctl_client {
	struct imsgev	 iev;
	int		 used;
};

static struct ctl_client	 clients[CONTROL_MAX_CLIENTS];
static struct event		*control_ev;
static int			 control_fd = -1;
static gid_t			 control_gid;

static int
control_peer_allowed(int fd)
{
	struct ucred	 cred;
	socklen_t	 len = sizeof(cred);
	struct passwd	*pw;
	gid_t		 groups[CONTROL_MAX_GROUPS];
	int		 ngroups = CONTROL_MAX_GROUPS;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return 0;
	if (cred.uid == 0 || cred.gid == control_gid)
		return 1;
	if ((pw = getpwuid(cred.uid)) == NULL ||
	    getgrouplist(pw->pw_name, pw->pw_gid, groups, &ngroups) == -1)
		return 0;
	for (int i = 0; i < ngroups; i++)
		if (groups[i] == control_gid)
			return 1;
	return 0;
}

static void
ctl_close(struct ctl_client *c)
{
	int	 fd = c->iev.ibuf.fd;

	imsgev_stop(&c->iev);
	close(fd);
	c->used = 0;
}

static void
ctl_error(struct ctl_client *c, const char *msg)
{
	imsgev_compose(&c->iev, IMSG_CTL_ERROR, 0, -1, msg, strlen(msg) + 1);
}

static void
ctl_status_entry(struct ctl_client *c, const struct proc_slot *s,
    const struct timespec *now)
{
	struct procstat	 ps;
	struct ibuf	*b;
	char		 name[32];

	if (s->proc == PROC_CRYPTOD)
		snprintf(name, sizeof(name), "cryptod#%d", s->instance);
	else
		snprintf(name, sizeof(name), "%s", proc_name(s->proc));
	if (s->pid == 0 || procstat_read(s->pid, &ps) == -1) {
		memset(&ps, 0, sizeof(ps));
		ps.seccomp = ps.nonewprivs = -1;
	}
	if ((b = imsg_create(&c->iev.ibuf, IMSG_CTL_STATUS_ENTRY, 0, -1,
	    512)) == NULL ||
	    imsg_add_string(b, name) == -1 ||
	    imsg_add_u32(b, (uint32_t)s->pid) == -1 ||
	    imsg_add_u32(b, (uint32_t)s->ready) == -1 ||
	    imsg_add_u64(b, s->pid ? (uint64_t)(now->tv_sec -
	    s->started.tv_sec) : 0) == -1 ||
	    imsg_add_string(b, ps.user) == -1 ||
	    imsg_add_u32(b, (uint32_t)ps.seccomp) == -1 ||
	    imsg_add_u32(b, (uint32_t)ps.nonewprivs) == -1 ||
	    imsg_add_string(b, ps.capeff) == -1 ||
	    imsg_add_string(b, ps.root) == -1 ||
	    imsg_add_u32(b, (uint32_t)ps.netns_own) == -1 ||
	    imsg_add_u32(b, (uint32_t)s->sandbox.landlock_abi) == -1 ||
	    imsg_add_u32(b, children_peers_up(s)) == -1 ||
	    imsg_add_u32(b, children_expected_peers(s)) == -1)
		fatal("compose status");
	imsg_close(&c->iev.ibuf, b);
}

static void
ctl_msg(struct imsgev *iev, struct imsg *imsg)
{
	struct ctl_client	*c = iev->arg;
	struct timespec		 now;

	switch (imsg->hdr.type) {
	case IMSG_CTL_STATUS:
		if (imsg->datalen != 0) {
			ctl_error(c, "malformed request");
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		for (size_t i = 0; i < pgpmgd->nslots; i++)
			ctl_status_entry(c, &pgpmgd->slots[i], &now);
		imsgev_compose(&c->iev, IMSG_CTL_END, 0, -1, NULL, 0);
		break;
	default:
		log_warnx("control: unknown request type %u", imsg->hdr.type);
		ctl_error(c, "unknown request");
		break;
	}
}

static void
ctl_done(struct imsgev *iev, int error)
{
	struct ctl_client	*c = iev->arg;

	if (error != 0 && error != EPIPE && error != ECONNRESET)
		log_warnx("control: client: %s", strerror(error));
	ctl_close(c);
}

static void
control_accept(int fd, short ev, void *arg)
{
	struct ctl_client	*c = NULL;
	int			 cfd;

	(void)ev; (void)arg;
	if ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn("control: accept");
		return;
	}
	if (!control_peer_allowed(cfd)) {
		log_warnx("control: refused a client that is neither root "
		    "nor in group %s", CONTROL_GROUP);
		close(cfd);
		return;
	}
	for (size_t i = 0; c == NULL && i < CONTROL_MAX_CLIENTS; i++)
		if (!clients[i].used)
			c = &clients[i];
	if (c == NULL) {
		log_warnx("control: too many clients");
		close(cfd);
		return;
	}
	memset(c, 0, sizeof(*c));
	c->used = 1;
	if (imsgev_init(&c->iev, pgpmgd->base, cfd, ctl_msg, ctl_done, c) == -1) {
		log_warn("control: imsgev_init");
		close(cfd);
		c->used = 0;
	}
}

void
control_init(void)
{
	struct sockaddr_un	 sun;
	struct group		*gr;
	const char		*path = pgpmgd->conf.control_socket;
	int			 probe;

	if ((gr = getgrnam(CONTROL_GROUP)) == NULL)
		fatalx("group %s does not exist (scripts/ensure-users.sh "
		    "creates it)", CONTROL_GROUP);
	control_gid = gr->gr_gid;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path) >=
	    (int)sizeof(sun.sun_path))
		fatalx("control socket path too long: %s", path);

	/* A socket someone answers on means pgpmgd is already running. */
	if ((probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fatal("socket");
	if (connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		fatalx("%s: another pgpmgd is running", path);
	close(probe);
	if (unlink(path) == -1 && errno != ENOENT)
		fatal("unlink %s", path);

	if ((control_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		fatal("socket");
	mode_t old = umask(0117);
	if (bind(control_fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fatal("bind %s", path);
	umask(old);
	if (chown(path, 0, control_gid) == -1 || chmod(path, 0660) == -1)
		fatal("%s", path);
	if (listen(control_fd, CONTROL_MAX_CLIENTS) == -1)
		fatal("listen %s", path);
	if ((control_ev = event_new(pgpmgd->base, control_fd,
	    EV_READ | EV_PERSIST, control_accept, NULL)) == NULL ||
	    event_add(control_ev, NULL) == -1)
		fatalx("control event");
}

void
control_cleanup(void)
{
	if (control_fd != -1)
		unlink(pgpmgd->conf.control_socket);
}
