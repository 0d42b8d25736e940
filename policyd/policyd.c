/*
 * policyd: the only process with database credentials.  It runs as
 * _pgpmg_policyd, chrooted into the PostgreSQL socket directory (so the
 * database socket is all it can see of the filesystem), with no network
 * namespace of its own to reach anything else.
 */
#include <libpq-fe.h>
#include <string.h>

#include "common/child.h"
#include "common/log.h"

static const struct child_ops policyd_ops = { 0 };

/*
 * The socket directory named by the conninfo's host.  Only a local socket
 * is supported: a remote database would need the network and CA files in
 * policyd's view, which this sandbox profile does not give.
 */
static void
policyd_socket_dir(const char *conninfo, char *dir, size_t len)
{
	PQconninfoOption	*opts, *o;
	char			*err = NULL;
	int			 found = 0;

	if ((opts = PQconninfoParse(conninfo, &err)) == NULL)
		fatalx("database: %s", err ? err : "cannot parse conninfo");
	for (o = opts; o->keyword != NULL; o++) {
		if (strcmp(o->keyword, "host") != 0 || o->val == NULL)
			continue;
		if (o->val[0] != '/' || strlen(o->val) >= len)
			fatalx("database: host must be the absolute path of "
			    "the PostgreSQL socket directory");
		memcpy(dir, o->val, strlen(o->val) + 1);
		found = 1;
	}
	PQconninfoFree(opts);
	if (!found)
		fatalx("database: the conninfo must name host=SOCKETDIR");
}

int
main(int argc, char *argv[])
{
	struct child		 c;
	struct sandbox_view	 view = { 0 };
	const int		 keep[] = { PROC_PARENT_FD };
	char			 sockdir[4096];

	child_boot(&c, PROC_POLICYD, argc, argv);
	policyd_socket_dir(c.conf.database, sockdir, sizeof(sockdir));
	view.chroot_dir = sockdir;
	sandbox_enter(PROC_POLICYD, &view, keep, 1, &c.sandbox);
	child_run(&c, &policyd_ops);
	fatalx("exited event loop");
}
