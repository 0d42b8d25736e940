/*
 * webd: the HTTPS console and user portal.  It runs as _pgpmg_webd with a
 * read-only view of its web root and no network of its own: the parent
 * hands it the listening socket (and, with listen web-redirect, a second
 * one for plain HTTP that is only ever redirected to the first), and it
 * never calls socket().
 *
 * Everything that needs root or paths happens before the sandbox: the
 * TLS certificate and key are loaded, the web root is opened (static
 * files are opened relative to it), the descriptor limit is raised for
 * web-max-connections.
 */
#include <fcntl.h>

#include "common/log.h"
#include "common/msg.h"
#include "imsg/imsg.h"
#include "webd/policyd_client.h"
#include "webd/webd.h"

/* Descriptors besides the connections: the parent channel, the peers,
 * the listeners, the web root, the event loop's own. */
#define WEBD_FDS_SPARE	64

struct webd	*webd;

static void
webd_parent_msg(struct child *c, struct imsg *imsg)
{
	uint32_t	 kind;
	int		 fd;

	fd = child_listener(imsg, &kind);
	if (kind != LISTENER_WEB && kind != LISTENER_WEB_REDIRECT)
		fatalx("malformed PARENT_LISTENER_FD");
	if (kind == LISTENER_WEB) {
		if (webd->listen_ev != NULL)
			fatalx("listener already set");
		webd->listen_ev = child_listen(c, fd, conn_accept, NULL);
		log_debug("listening");
		return;
	}
	/* The redirect only where it was asked for, once, and only with
	 * the console it redirects to: the parent sends that one first. */
	if (webd->conf->web_redirect_listen.port == 0)
		fatalx("a redirect listener without listen web-redirect");
	if (webd->listen_ev == NULL)
		fatalx("a redirect listener before the console's");
	if (webd->redirect_ev != NULL)
		fatalx("redirect listener already set");
	webd->redirect_ev = child_listen(c, fd, conn_accept_redirect, NULL);
	log_debug("listening for plain HTTP to redirect");
}

static const struct child_ops webd_ops = {
	.parent_msg = webd_parent_msg,
	.peer_msg = policyd_client_msg,
};

/* The web root, pinned: a later rename of its path changes nothing. */
static int
webd_open_root(const char *path)
{
	int	 fd;

	if ((fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		fatal("web-root %s", path);
	return fd;
}

int
main(int argc, char *argv[])
{
	static struct webd	 wd;
	struct child		 c;
	struct sandbox_view	 view = { 0 };
	int			 keep[2];

	child_boot(&c, PROC_WEBD, argc, argv);
	webd = &wd;
	wd.child = &c;
	wd.conf = &c.conf;
	TAILQ_INIT(&wd.conns);
	wd.tls = webd_tls_context(&c.conf);
	wd.root_fd = webd_open_root(c.conf.web_root);
	child_raise_fd_limit(c.conf.web_max_connections + WEBD_FDS_SPARE);

	keep[0] = PROC_PARENT_FD;
	keep[1] = wd.root_fd;
	view.ro[0] = c.conf.web_root;
	sandbox_enter(PROC_WEBD, &view, keep, 2, &c.sandbox);
	child_run(&c, &webd_ops);
	fatalx("exited event loop");
}
