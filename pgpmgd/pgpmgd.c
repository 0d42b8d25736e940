/*
 * pgpmgd's entry: options, configuration, the host-side set-up only root
 * can do (directories, listeners, control socket), then the children and
 * the supervision loop.  The parent never reads mail or network input; its
 * only untrusted inputs are its children's messages and pgpmgctl requests.
 */
#include <sys/prctl.h>
#include <sys/stat.h>

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "pgpmgd/pgpmgd.h"

struct pgpmgd *pgpmgd;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: pgpmgd [-dnv] [-f file]\n");
	exit(1);
}

static void
pgpmgd_signal(int sig, short ev, void *arg)
{
	(void)ev; (void)arg;
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		children_stop(0, sig == SIGTERM ? "SIGTERM" : "SIGINT");
		break;
	case SIGCHLD:
		children_reap();
		break;
	case SIGHUP:
		log_info("SIGHUP: reloading is not supported; restart pgpmgd");
		break;
	}
}

/* The children live beside pgpmgd unless the build says otherwise. */
static void
pgpmgd_find_exec_dir(struct pgpmgd *d)
{
#ifdef PGPMG_LIBEXECDIR
	snprintf(d->exec_dir, sizeof(d->exec_dir), "%s", PGPMG_LIBEXECDIR);
#else
	char	 self[PATH_MAX];
	ssize_t	 n;

	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) == -1)
		fatal("readlink /proc/self/exe");
	self[n] = '\0';
	snprintf(d->exec_dir, sizeof(d->exec_dir), "%s", dirname(self));
#endif
}

int
main(int argc, char *argv[])
{
	static struct pgpmgd	 d;
	struct event		*sigev[4];
	const int		 sigs[4] = { SIGTERM, SIGINT, SIGCHLD, SIGHUP };
	char			 err[512];
	size_t			 len;
	int			 ch, checkonly = 0, verbose = 0;

	pgpmgd = &d;
	d.conf_path = CONF_DEFAULT_PATH;
	d.listen_smtp = d.listen_web = d.listen_web_redirect = -1;
	while ((ch = getopt(argc, argv, "df:nv")) != -1) {
		switch (ch) {
		case 'd':
			d.foreground = 1;
			break;
		case 'f':
			d.conf_path = optarg;
			break;
		case 'n':
			checkonly = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	/* stderr until we detach, then syslog (unless -d). */
	log_init_parent(1, verbose);
	if ((d.conf_text = conf_read_file(d.conf_path, &len, err,
	    sizeof(err))) == NULL ||
	    conf_parse_text(d.conf_path, d.conf_text, len, &d.conf, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "pgpmgd: %s\n", err);
		exit(1);
	}
	if (checkonly) {
		fprintf(stderr, "pgpmgd: %s: configuration OK\n", d.conf_path);
		exit(0);
	}
	log_set_verbose(verbose || d.conf.verbose);
	if (geteuid() != 0)
		fatalx("must run as root");

	pgpmgd_find_exec_dir(&d);
	/*
	 * Orphans of our children become ours: keyd's gpg-agent, which dies
	 * with keyd, is then reaped by us, and nothing of the appliance is
	 * left once pgpmgd has exited (children.c waits for them).
	 */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
		fatal("PR_SET_CHILD_SUBREAPER");
	prepare_dirs();
	if ((d.listen_smtp = listen_open(&d.conf.smtp_listen, err,
	    sizeof(err))) == -1 ||
	    (d.listen_web = listen_open(&d.conf.web_listen, err,
	    sizeof(err))) == -1 ||
	    (d.conf.web_redirect_listen.port != 0 &&
	    (d.listen_web_redirect = listen_open(&d.conf.web_redirect_listen,
	    err, sizeof(err))) == -1))
		fatalx("%s", err);
	/* Without -d, detach now: set-up errors so far reached stderr. */
	if (!d.foreground) {
		if (daemon(0, 0) == -1)
			fatal("daemon");
		log_init_parent(0, verbose || d.conf.verbose);
	}

	if ((d.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < 4; i++) {
		if ((sigev[i] = evsignal_new(d.base, sigs[i], pgpmgd_signal,
		    NULL)) == NULL || evsignal_add(sigev[i], NULL) == -1)
			fatalx("signal event");
	}
	control_init();
	children_init();
	log_info("starting: %s, %u cryptod worker%s", d.conf_path,
	    d.conf.cryptod_workers, d.conf.cryptod_workers == 1 ? "" : "s");
	children_start_all();

	event_base_dispatch(d.base);
	fatalx("exited event loop");
}
