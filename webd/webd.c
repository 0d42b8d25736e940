/*
 * webd: the HTTPS console and user portal.  It runs as _pgpmg_webd with a
 * read-only view of its static files and no network of its own: the
 * parent hands it the listening socket.  Until the console lands it
 * closes each connection at once.
 */
#include <sys/socket.h>

#include <errno.h>
#include <unistd.h>

#include "common/child.h"
#include "common/log.h"
#include "common/msg.h"
#include "imsg/imsg.h"

static struct event	*webd_listen_ev;

static void
webd_accept(int fd, short ev, void *arg)
{
	int	 s;

	(void)ev; (void)arg;
	if ((s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn("accept");
		return;
	}
	close(s);
}

static void
webd_parent_msg(struct child *c, struct imsg *imsg)
{
	struct imsg_reader	 r;
	uint32_t		 kind;
	int			 fd;

	if (imsg->hdr.type != IMSG_PARENT_LISTENER_FD)
		fatalx("unexpected %s from parent", imsg_type_name(imsg->hdr.type));
	imsg_reader_init(&r, imsg);
	if (imsg_read_u32(&r, &kind) == -1 || imsg_reader_end(&r) == -1 ||
	    kind != LISTENER_WEB || (fd = imsg_get_fd(imsg)) == -1)
		fatalx("malformed PARENT_LISTENER_FD");
	if (webd_listen_ev != NULL)
		fatalx("listener already set");
	if ((webd_listen_ev = event_new(c->base, fd, EV_READ | EV_PERSIST,
	    webd_accept, c)) == NULL || event_add(webd_listen_ev, NULL) == -1)
		fatalx("listener event");
}

static const struct child_ops webd_ops = {
	.parent_msg = webd_parent_msg,
};

int
main(int argc, char *argv[])
{
	struct child		 c;
	struct sandbox_view	 view = { 0 };
	const int		 keep[] = { PROC_PARENT_FD };

	child_boot(&c, PROC_WEBD, argc, argv);
	view.ro[0] = c.conf.web_root;
	sandbox_enter(PROC_WEBD, &view, keep, 1, &c.sandbox);
	child_run(&c, &webd_ops);
	fatalx("exited event loop");
}
