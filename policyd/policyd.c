/*
 * policyd: the only process with database credentials.  It runs as
 * _pgpmg_policyd, chrooted into the PostgreSQL socket directory (so the
 * database socket is all it can see of the filesystem), with no network
 * namespace of its own to reach anything else.
 *
 * The database connection (db.c) lives on the event loop and never
 * blocks it: policyd starts and serves its peers whether or not the
 * database is there, answers "unavailable" while it is not, and
 * reconnects by itself.
 *
 * Its work: the policy cache (policyload.c) and cryptod's plans
 * (plan.c, deciding with policy.c), cryptod's results into statistics
 * and the audit log (results.c), pgpmgctl's policy commands through
 * the parent (admin.c), and key management: policyd alone asks keyd, and
 * records every change of the keys with its audit row (keyops.c,
 * keyrecord.c); and the scheduled jobs on its own loop, not cron:
 * notices of keys that expire or expired, and the purge of old notices
 * (housekeeping.c).  It alone holds the column key (policyd-key-file,
 * read as root before the sandbox): the secrets in pgpmg.secrets are
 * sealed and opened here (secrets.c), and re-sealed after the key is
 * rotated (sealrotate.c).  And the console's logins and sessions, for
 * webd (console.c, console_login.c): the passwords are checked on a
 * thread of its own (verifier.c), the one thread besides the loop; and
 * the console's operations (console_op.c and the console_*.c files that
 * carry them out), for which webd asks with a session.
 */
#include <string.h>

#include "common/child.h"
#include "common/log.h"
#include "common/msg.h"
#include "policyd/admin.h"
#include "policyd/console.h"
#include "policyd/console_op.h"
#include "policyd/db.h"
#include "policyd/dbstatus.h"
#include "policyd/housekeeping.h"
#include "policyd/keyops.h"
#include "policyd/plan.h"
#include "policyd/policyload.h"
#include "policyd/procs.h"
#include "policyd/results.h"
#include "policyd/sealrotate.h"
#include "policyd/secrets.h"
#include "policyd/statements.h"
#include "policyd/verifier.h"

/* The conninfo rewritten for the jail; db.c keeps pointing at it. */
static struct db_conninfo	 policyd_ci;

static void
policyd_started(struct child *c)
{
	policyload_init(c);
	results_init(c);
	keyops_init(c);
	housekeeping_init(c);
	secrets_init(c);
	sealrotate_init(c);
	console_init(c);
	console_op_init();
	procs_init(c);
	verifier_init(c->base);
	db_init(c->base, &policyd_ci, policyd_statements, policyd_nstatements,
	    (unsigned)c->conf.database_timeout * 1000);
}

static void
policyd_peer_msg(struct child *c, struct child_peer *p, struct imsg *imsg)
{
	switch (imsg->hdr.type) {
	case IMSG_CRYPTOD_PLAN_RCPT:
	case IMSG_CRYPTOD_PLAN_REQUEST:
		plan_msg(c, p, imsg);
		break;
	case IMSG_CRYPTOD_RESULT:
		results_msg(c, p, imsg);
		break;
	case IMSG_KEYD_KEY_REPLY:
		keyops_keyd_reply(c, imsg);
		break;
	case IMSG_WEBD_LOGIN:
	case IMSG_WEBD_SESSION:
	case IMSG_WEBD_LOGOUT:
	case IMSG_WEBD_REAUTH:
		console_msg(c, p, imsg);
		break;
	case IMSG_WEBD_OP:
		console_op_msg(c, p, imsg);
		break;
	default:
		fatalx("unexpected %s from %s", imsg_type_name(imsg->hdr.type),
		    proc_name(p->proc));
	}
}

static void
policyd_peer_down(struct child *c, struct child_peer *p)
{
	(void)c;
	if (p->proc == PROC_CRYPTOD)
		plan_peer_down(p);
}

static void
policyd_parent_msg(struct child *c, struct imsg *imsg)
{
	switch (imsg->hdr.type) {
	case IMSG_PARENT_DB_STATUS:
		dbstatus_request(c, imsg);
		break;
	case IMSG_PARENT_ADMIN:
		admin_request(c, imsg);
		break;
	case IMSG_PARENT_KEY:
		keyops_request(c, imsg);
		break;
	case IMSG_PARENT_PROCS_ENTRY:
		procs_entry(c, imsg);
		break;
	case IMSG_PARENT_PROCS_END:
		procs_end(c, imsg);
		break;
	default:
		fatalx("unexpected %s from parent",
		    imsg_type_name(imsg->hdr.type));
	}
}

static const struct child_ops policyd_ops = {
	.peer_msg = policyd_peer_msg,
	.parent_msg = policyd_parent_msg,
	.peer_up = keyops_peer_up,
	.peer_down = policyd_peer_down,
	.started = policyd_started,
};

int
main(int argc, char *argv[])
{
	struct child		 c;
	struct sandbox_view	 view = { 0 };
	const int		 keep[] = { PROC_PARENT_FD };
	char			 err[512];

	child_boot(&c, PROC_POLICYD, argc, argv);
	/* Before the jail: the socket directory to enter, and the user
	 * libpq would otherwise look up in a passwd file it cannot see. */
	if (db_conninfo_prepare(c.conf.database, proc_user(PROC_POLICYD),
	    &policyd_ci, err, sizeof(err)) == -1)
		fatalx("%s", err);
	/* The column key is root's file: read now or never.  Without it no
	 * sealed value opens, so policyd does not start. */
	secrets_prepare(c.conf.policyd_key_file);
	/* The password checks' slots, locked likewise. */
	verifier_prepare();
	view.chroot_dir = policyd_ci.sockdir;
	sandbox_enter(PROC_POLICYD, &view, keep, 1, &c.sandbox);
	child_run(&c, &policyd_ops);
	fatalx("exited event loop");
}
