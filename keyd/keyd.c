/*
 * keyd: the key custodian, the only process whose view of the filesystem
 * holds secret keys (its GnuPG home, 0700, _pgpmg_keyd).  It has no network
 * and serves only policyd and the parent; cryptod reaches it solely through
 * gpg-agent's restricted extra socket.
 */
#include "common/child.h"
#include "common/log.h"

static const struct child_ops keyd_ops = { 0 };

int
main(int argc, char *argv[])
{
	struct child		 c;
	struct sandbox_view	 view = { 0 };
	const int		 keep[] = { PROC_PARENT_FD };

	child_boot(&c, PROC_KEYD, argc, argv);
	view.rw[0] = c.conf.keyd_home;
	view.exec[0] = "/usr/bin/gpg";
	view.exec[1] = "/usr/bin/gpg-agent";
	sandbox_enter(PROC_KEYD, &view, keep, 1, &c.sandbox);
	child_run(&c, &keyd_ops);
	fatalx("exited event loop");
}
