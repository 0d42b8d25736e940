/*
 * cryptod: a stateless crypto worker.  Each worker runs as _pgpmg_cryptod
 * in an empty network namespace, sees only its own GnuPG home (public keys)
 * and the gpg binary it runs, and holds no secret key: decrypt and sign go
 * through keyd's restricted agent socket, which the home's S.gpg-agent
 * redirects to.  Workers are replaceable: the parent restarts a dead one
 * and hands its peers new channels.
 */
#include <stdio.h>

#include "common/log.h"
#include "common/msg.h"
#include "cryptod/cryptod.h"
#include "cryptod/job.h"
#include "imsg/imsg.h"

static struct cryptod	 cryptod_state;
struct cryptod		*cryptod = &cryptod_state;

static void
cryptod_parent_msg(struct child *c, struct imsg *imsg)
{
	(void)c;
	switch (imsg->hdr.type) {
	case IMSG_PARENT_KEYRING:
		if (keystore_msg(&cryptod->keys, &cryptod->pgp, imsg))
			job_keystore_loaded();
		break;
	default:
		fatalx("unexpected %s from the parent",
		    imsg_type_name(imsg->hdr.type));
	}
}

static void
cryptod_started(struct child *c)
{
	pgp_init(&cryptod->pgp, cryptod->pgp.home);
	(void)c;
}

static const struct child_ops cryptod_ops = {
	.peer_msg = job_peer_msg,
	.parent_msg = cryptod_parent_msg,
	.started = cryptod_started,
};

int
main(int argc, char *argv[])
{
	struct child		 c;
	struct sandbox_view	 view = { 0 };
	const int		 keep[] = { PROC_PARENT_FD };

	child_boot(&c, PROC_CRYPTOD, argc, argv);
	cryptod->child = &c;
	cryptod->conf = &c.conf;
	keystore_init(&cryptod->keys);
	if (snprintf(cryptod->pgp.home, sizeof(cryptod->pgp.home), "%s/%d",
	    c.conf.cryptod_home, c.instance) >= (int)sizeof(cryptod->pgp.home))
		fatalx("cryptod-home too long");
	pgp_prejail();
	view.rw[0] = cryptod->pgp.home;
	view.exec[0] = "/usr/bin/gpg";
	sandbox_enter(PROC_CRYPTOD, &view, keep, 1, &c.sandbox);
	child_run(&c, &cryptod_ops);
	fatalx("exited event loop");
}
