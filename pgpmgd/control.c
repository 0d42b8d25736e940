/*
 * The control socket for pgpmgctl.  A unix socket owned by root, group
 * _pgpmg, mode 0660; on top of the file mode, every connection's peer
 * credentials are checked, so only root and members of _pgpmg are served
 * even if the socket's mode is changed.  Requests are imsgs; each client
 * is bounded in number and in message size like any other peer.
 *
 * Requests: IMSG_CTL_STATUS, answered here (status.c makes the
 * entries); IMSG_CTL_KEY, which goes on
 * to policyd with the client's uid, and through it to keyd (keyfwd.c);
 * IMSG_CTL_DB_STATUS, which goes on to policyd (dbfwd.c) and is answered
 * with IMSG_CTL_DB_STATE or IMSG_CTL_ERROR;
 * IMSG_CTL_ADMIN (policy, rule, domain and user commands), which goes on to
 * policyd with the client's uid (adminfwd.c).  A key or admin request is
 * answered with IMSG_CTL_DATA (a sealed memfd to print) when there is
 * output, then IMSG_CTL_END; or with IMSG_CTL_ERROR, a string whose
 * header peerid is the KEY_E_* or ADMIN_E_* code.
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
#include "common/memfd.h"
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
	uint64_t	 serial;	/* tells a key reply whom it is for */
	int		 busy;		/* a key request is out */
	uid_t		 uid;		/* SO_PEERCRED, at accept */
};

static struct ctl_client	 clients[CONTROL_MAX_CLIENTS];
static uint64_t			 client_serial;
static struct event		*control_ev;
static int			 control_fd = -1;
static gid_t			 control_gid;

static int
control_peer_allowed(int fd, uid_t *uid)
{
	struct ucred	 cred;
	socklen_t	 len = sizeof(cred);
	struct passwd	*pw;
	gid_t		 groups[CONTROL_MAX_GROUPS];
	int		 ngroups = CONTROL_MAX_GROUPS;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return 0;
	*uid = cred.uid;
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

/* A key request's error; the header's peerid carries its KEY_E_* code,
 * from which pgpmgctl takes its exit status. */
static void
ctl_key_error(struct ctl_client *c, uint32_t code, const char *msg)
{
	imsgev_compose(&c->iev, IMSG_CTL_ERROR, code, -1, msg,
	    strlen(msg) + 1);
}

/*
 * A key or admin request's answer: code 0 (KEY_E_OK, ADMIN_E_OK) with
 * output in fd, or text to print when there is no fd; any other code
 * with text as the error.  failed is the code for a reply that cannot be
 * made.
 */
static void
control_reply(int client, uint64_t serial, uint32_t code, const char *text,
    int fd, uint32_t failed)
{
	struct ctl_client	*c;
	struct spool		 sp;

	if (client < 0 || client >= CONTROL_MAX_CLIENTS ||
	    !(c = &clients[client])->used || c->serial != serial) {
		if (fd != -1)
			close(fd);
		return;
	}
	c->busy = 0;
	if (code != 0) {
		if (fd != -1)
			close(fd);
		ctl_key_error(c, code, text);
		return;
	}
	/* Output to print: keyd's (an export, the list), or its text (the
	 * fingerprints of what it made, imported or revoked). */
	if (fd == -1 && text[0] != '\0') {
		if (spool_open(&sp, "pgpmg-ctl") == -1 ||
		    spool_write(&sp, text, strlen(text)) == -1 ||
		    spool_write(&sp, "\n", 1) == -1 || spool_seal(&sp) == -1) {
			spool_discard(&sp);
			ctl_key_error(c, failed, "memfd for the reply");
			return;
		}
		fd = sp.fd;
	}
	if (fd != -1)
		imsgev_compose(&c->iev, IMSG_CTL_DATA, 0, fd, NULL, 0);
	imsgev_compose(&c->iev, IMSG_CTL_END, 0, -1, NULL, 0);
}

void
control_key_reply(int client, uint64_t serial, uint32_t code,
    const char *text, int fd)
{
	control_reply(client, serial, code, text, fd, KEY_E_FAILED);
}

void
control_admin_reply(int client, uint64_t serial, uint32_t code,
    const char *text, int fd)
{
	control_reply(client, serial, code, text, fd, ADMIN_E_FAILED);
}

/* IMSG_CTL_ADMIN: the op and its arguments are checked for form here,
 * their values by policyd (adminfwd.c). */
static void
ctl_admin(struct ctl_client *c, struct imsg *imsg)
{
	struct imsg_reader	 r;
	const char		*args[ADMIN_NARGS];
	uint32_t		 op;
	char			 err[256];
	int			 bad;

	imsg_reader_init(&r, imsg);
	bad = imsg_read_u32(&r, &op) == -1;
	for (int i = 0; i < ADMIN_NARGS; i++)
		bad |= imsg_read_string(&r, &args[i], ADMIN_ARG_MAX) == -1;
	if (bad || imsg_reader_end(&r) == -1 || op < ADMIN_OP_POLICY_SHOW ||
	    op > ADMIN_OP_MAX)
		ctl_key_error(c, ADMIN_E_INVALID, "malformed policy request");
	else if (c->busy)
		ctl_key_error(c, ADMIN_E_INVALID, "one request at a time");
	else if (adminfwd_request((int)(c - clients), c->serial,
	    (uint32_t)c->uid, op, args, err, sizeof(err)) == -1)
		ctl_key_error(c, ADMIN_E_FAILED, err);
	else
		c->busy = 1;
}

/* IMSG_CTL_KEY: checked here, answered through policyd (keyfwd.c). */
static void
ctl_key(struct ctl_client *c, struct imsg *imsg)
{
	struct imsg_reader	 r;
	const char		*arg, *pass;
	uint32_t		 op;
	uint64_t		 size;
	char			 err[256];
	int			 fd = imsg_get_fd(imsg);

	imsg_reader_init(&r, imsg);
	if (imsg_read_u32(&r, &op) == -1 ||
	    imsg_read_string(&r, &arg, KEYFWD_ARG_MAX) == -1 ||
	    imsg_read_string(&r, &pass, KEYFWD_PASS_MAX) == -1 ||
	    imsg_reader_end(&r) == -1 || op < KEY_OP_GENERATE ||
	    op > KEY_OP_CTL_MAX)
		ctl_key_error(c, KEY_E_INVALID, "malformed key request");
	else if ((op == KEY_OP_IMPORT) != (fd != -1))
		ctl_key_error(c, KEY_E_INVALID, "an import, and only an "
		    "import, carries key data");
	else if (fd != -1 && (memfd_check_sealed(fd, &size) == -1 ||
	    size > KEYFWD_IMPORT_MAX))
		ctl_key_error(c, KEY_E_INVALID, "key data must be a sealed "
		    "memfd of at most 1 MiB");
	else if (c->busy)
		ctl_key_error(c, KEY_E_INVALID, "one key request at a time");
	else {
		if (keyfwd_request((int)(c - clients), c->serial,
		    (uint32_t)c->uid, op, arg, pass, fd, err, sizeof(err)) ==
		    -1)
			ctl_key_error(c, KEY_E_FAILED, err);
		else
			c->busy = 1;
		fd = -1;	/* keyfwd_request() took it */
	}
	if (fd != -1)
		close(fd);
	/* The request may have carried a key pair's passphrase. */
	if (imsg->data != NULL)
		explicit_bzero(imsg->data, imsg->datalen);
}

void
control_db_reply(int client, uint64_t serial, const struct dbfwd_status *st,
    const char *error)
{
	struct ctl_client	*c;
	struct ibuf		*b;

	if (client < 0 || client >= CONTROL_MAX_CLIENTS ||
	    !(c = &clients[client])->used || c->serial != serial)
		return;
	c->busy = 0;
	if (st == NULL) {
		ctl_error(c, error);
		return;
	}
	if ((b = imsg_create(&c->iev.ibuf, IMSG_CTL_DB_STATE, 0, -1,
	    2 * sizeof(uint32_t) + sizeof(uint64_t) + strlen(st->text) +
	    1)) == NULL || imsg_add_u32(b, st->state) == -1 ||
	    imsg_add_u32(b, st->check) == -1 ||
	    imsg_add_u64(b, st->seconds) == -1 ||
	    imsg_add_string(b, st->text) == -1)
		fatal("compose CTL_DB_STATE");
	imsg_close(&c->iev.ibuf, b);
	imsgev_update(&c->iev);
}

/* IMSG_CTL_DB_STATUS: answered by policyd (dbfwd.c). */
static void
ctl_db_status(struct ctl_client *c, struct imsg *imsg)
{
	struct imsg_reader	 r;
	uint32_t		 flags;
	char			 err[256];

	imsg_reader_init(&r, imsg);
	if (imsg_read_u32(&r, &flags) == -1 || imsg_reader_end(&r) == -1 ||
	    (flags & ~(uint32_t)DBSTAT_F_CHECK) != 0)
		ctl_error(c, "malformed database status request");
	else if (c->busy)
		ctl_error(c, "one request at a time");
	else if (dbfwd_request((int)(c - clients), c->serial, flags, err,
	    sizeof(err)) == -1)
		ctl_error(c, err);
	else
		c->busy = 1;
}

static void
ctl_msg(struct imsgev *iev, struct imsg *imsg)
{
	struct ctl_client	*c = iev->arg;

	switch (imsg->hdr.type) {
	case IMSG_CTL_STATUS:
		if (imsg->datalen != 0) {
			ctl_error(c, "malformed request");
			break;
		}
		status_send(&c->iev.ibuf, IMSG_CTL_STATUS_ENTRY, NULL);
		imsgev_compose(&c->iev, IMSG_CTL_END, 0, -1, NULL, 0);
		break;
	case IMSG_CTL_KEY:
		ctl_key(c, imsg);
		break;
	case IMSG_CTL_DB_STATUS:
		ctl_db_status(c, imsg);
		break;
	case IMSG_CTL_ADMIN:
		ctl_admin(c, imsg);
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
	uid_t			 uid = (uid_t)-1;
	int			 cfd;

	(void)ev; (void)arg;
	if ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn("control: accept");
		return;
	}
	if (!control_peer_allowed(cfd, &uid)) {
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
	c->serial = ++client_serial;
	c->uid = uid;
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
