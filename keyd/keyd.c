/*
 * keyd: the key custodian, the only process whose view of the filesystem
 * holds secret keys (its GnuPG home, 0700, _pgpmg_keyd).  It has no network
 * and serves only policyd; cryptod reaches it solely through
 * gpg-agent's restricted extra socket.
 *
 * The same binary is also the agent's pinentry (pinentry.c): gpg-agent
 * runs it with KEYD_PINENTRY_ENV set, which no other caller does.
 */
#include <stdlib.h>
#include <unistd.h>

#include "common/log.h"
#include "keyd/keyd.h"

struct keyd	*keyd;

/* Inside the sandbox, before the parent hears we are ready. */
static void
keyd_started(struct child *c)
{
	struct keyd	*k = c->data;

	home_write_conf(k);
	agent_start(k);
	pinserve_start(k);
	orgkey_init(k);
	if (gpg_preset_all(k) == -1)
		fatalx("could not preset the master passphrase in gpg-agent");
	publish_keyring(k);
}

static const struct child_ops keyd_ops = {
	.peer_msg = serve_peer_msg,
	.started = keyd_started,
};

/* As root: what the sandbox will hide (the passphrase file, /proc, the
 * cryptod-home directory, gpgconf for gpgme) or forbid (bind as root). */
static void
keyd_prejail(struct keyd *k)
{
	ssize_t	 n;

	if ((n = readlink("/proc/self/exe", k->self_exe,
	    sizeof(k->self_exe) - 1)) == -1)
		fatal("readlink /proc/self/exe");
	k->self_exe[n] = '\0';
	if (gpgme_check_version(NULL) == NULL ||
	    gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP) != 0)
		fatalx("gpgme finds no usable gpg");
	secret_load(&k->pass, k->conf->keyd_passphrase_file);
	secret_derive(&k->orgpass, &k->pass, KEYD_ORG_SUFFIX);
	sockets_make(k);
}

int
main(int argc, char *argv[])
{
	static struct keyd	 k;
	struct child		 c;
	struct sandbox_view	 view = { 0 };
	const char		*pin;
	int			 keep[4];

	if ((pin = getenv(KEYD_PINENTRY_ENV)) != NULL)
		return pinentry_main(pin);

	keyd = &k;
	child_boot(&c, PROC_KEYD, argc, argv);
	k.child = &c;
	k.conf = &c.conf;
	c.data = &k;
	keyd_prejail(&k);

	view.rw[0] = c.conf.keyd_home;
	view.exec[0] = "/usr/bin/gpg";
	view.exec[1] = "/usr/bin/gpg-agent";
	view.exec[2] = k.self_exe;	/* the agent's pinentry */
	keep[0] = PROC_PARENT_FD;
	keep[1] = k.std_fd;
	keep[2] = k.extra_fd;
	keep[3] = k.pin_fd;
	sandbox_enter(PROC_KEYD, &view, keep, 4, &c.sandbox);
	/* gpg-agent runs this binary as its pinentry, as our user: if that
	 * user cannot reach it, say so now, not at the first decryption. */
	if (access(k.self_exe, X_OK) == -1)
		fatal("%s: %s must be able to run it (gpg-agent's pinentry): "
		    "every directory above it needs o+x", k.self_exe,
		    proc_user(PROC_KEYD));
	child_run(&c, &keyd_ops);
	fatalx("exited event loop");
}
