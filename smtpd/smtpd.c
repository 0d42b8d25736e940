/*
 * smtpd: the only process that faces the mail network.  It runs as
 * _pgpmg_smtpd in an empty chroot, gets its listening socket from the
 * parent, and will speak SMTP/LMTP to Postfix and relay to the reinjection
 * port.  Until the SMTP server lands it answers every connection with a
 * 421 "not ready", so Postfix keeps its mail and retries.
 */
#include <sys/socket.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common/child.h"
#include "common/log.h"
#include "common/msg.h"
#include "imsg/imsg.h"

#define SMTPD_NOT_READY	"421 4.3.2 pgpmg: SMTP service not yet available\r\n"

static struct event	*smtpd_listen_ev;

static void
smtpd_accept(int fd, short ev, void *arg)
{
	int	 s;

	(void)ev; (void)arg;
	if ((s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn("accept");
		return;
	}
	/* Best effort: a client that cannot take 60 bytes gets nothing. */
	(void)send(s, SMTPD_NOT_READY, strlen(SMTPD_NOT_READY), MSG_NOSIGNAL);
	close(s);
}

static void
smtpd_parent_msg(struct child *c, struct imsg *imsg)
{
	struct imsg_reader	 r;
	uint32_t		 kind;
	int			 fd;

	if (imsg->hdr.type != IMSG_PARENT_LISTENER_FD)
		fatalx("unexpected %s from parent", imsg_type_name(imsg->hdr.type));
	imsg_reader_init(&r, imsg);
	if (imsg_read_u32(&r, &kind) == -1 || imsg_reader_end(&r) == -1 ||
	    kind != LISTENER_SMTP || (fd = imsg_get_fd(imsg)) == -1)
		fatalx("malformed PARENT_LISTENER_FD");
	if (smtpd_listen_ev != NULL)
		fatalx("listener already set");
	if ((smtpd_listen_ev = event_new(c->base, fd, EV_READ | EV_PERSIST,
	    smtpd_accept, c)) == NULL || event_add(smtpd_listen_ev, NULL) == -1)
		fatalx("listener event");
	log_debug("listening");
}

static const struct child_ops smtpd_ops = {
	.parent_msg = smtpd_parent_msg,
};

int
main(int argc, char *argv[])
{
	struct child		 c;
	struct sandbox_view	 view = { 0 };
	const int		 keep[] = { PROC_PARENT_FD };

	child_boot(&c, PROC_SMTPD, argc, argv);
	view.chroot_dir = c.conf.chroot_dir;
	sandbox_enter(PROC_SMTPD, &view, keep, 1, &c.sandbox);
	child_run(&c, &smtpd_ops);
	fatalx("exited event loop");
}
