/*
 * cryptod: a stateless crypto worker.  Each worker runs as _pgpmg_cryptod
 * in an empty network namespace, sees only its own GnuPG home (public keys)
 * and the gpg binary it runs, and holds no secret key: decrypt and sign go
 * through keyd's restricted agent socket.  Workers are replaceable: the
 * parent restarts a dead one and hands its peers new channels.
 */
#include <stdio.h>

#include "common/child.h"
#include "common/log.h"
#include "cryptod/job.h"

static const struct child_ops cryptod_ops = {
	.peer_msg = job_peer_msg,
};

int
main(int argc, char *argv[])
{
	struct child		 c;
	struct sandbox_view	 view = { 0 };
	const int		 keep[] = { PROC_PARENT_FD };
	char			 home[4096];

	child_boot(&c, PROC_CRYPTOD, argc, argv);
	if (snprintf(home, sizeof(home), "%s/%d", c.conf.cryptod_home,
	    c.instance) >= (int)sizeof(home))
		fatalx("cryptod-home too long");
	view.rw[0] = home;
	view.exec[0] = "/usr/bin/gpg";
	sandbox_enter(PROC_CRYPTOD, &view, keep, 1, &c.sandbox);
	child_run(&c, &cryptod_ops);
	fatalx("exited event loop");
}
