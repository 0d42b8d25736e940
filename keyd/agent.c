/*
 * gpg-agent, started and supervised by keyd inside keyd's sandbox.
 *
 * keyd forks after sandbox_enter(), so the agent inherits keyd's user,
 * Landlock domain, seccomp filter, no_new_privs and empty network
 * namespace, and execs /usr/bin/gpg-agent --supervised with the two
 * listening sockets keyd made before its sandbox, on fds 3 and 4 as
 * systemd would pass them (LISTEN_FDS=2, LISTEN_PID, LISTEN_FDNAMES=
 * std:extra), and a clean, explicit environment.  It gets its own session
 * (a Ctrl-C in a terminal reaches keyd's process group, not the agent) and
 * PR_SET_PDEATHSIG, so it dies with keyd.  Its stderr is a pipe whose
 * lines keyd logs.  The agent's death is fatal for keyd, and so, like any
 * death of keyd, it stops the appliance; and when keyd exits, it kills and
 * reaps the agent first.
 */
#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "keyd/keyd.h"

#define AGENT_PATH	"/usr/bin/gpg-agent"
/* Where the fds are parked in the child before they take 0-4. */
#define AGENT_FD_PARK	16

static void
agent_describe(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d",
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status)) {
		const char *abbrev = sigabbrev_np(WTERMSIG(status));
		snprintf(buf, len, "was killed by signal SIG%s",
		    abbrev ? abbrev : "?");
	} else
		snprintf(buf, len, "changed state (0x%x)", status);
}

static void
agent_sigchld(int sig, short ev, void *arg)
{
	struct keyd	*k = arg;
	char		 why[64];
	int		 status;
	pid_t		 pid;

	(void)sig; (void)ev;
	/* gpgme reaps its own children; we only ever wait for the agent. */
	if (k->agent_pid <= 0 ||
	    (pid = waitpid(k->agent_pid, &status, WNOHANG)) <= 0)
		return;
	k->agent_pid = 0;
	if (k->child->stopping)
		exit(0);
	agent_describe(status, why, sizeof(why));
	fatalx("gpg-agent %s", why);
}

static void
agent_log_line(struct keyd *k)
{
	k->agent_line[k->agent_linelen] = '\0';
	if (k->agent_linelen > 0)
		log_info("gpg-agent: %s", k->agent_line);
	k->agent_linelen = 0;
}

static void
agent_stderr(int fd, short ev, void *arg)
{
	struct keyd	*k = arg;
	char		 buf[1024];
	ssize_t		 n;

	(void)ev;
	if ((n = read(fd, buf, sizeof(buf))) == -1) {
		if (errno == EINTR || errno == EAGAIN)
			return;
		log_warn("gpg-agent's stderr");
		n = 0;
	}
	if (n == 0) {
		/* It exited, or closed stderr; SIGCHLD tells which. */
		agent_log_line(k);
		event_del(k->ev_agent_err);
		close(fd);
		k->agent_err = -1;
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			agent_log_line(k);
			continue;
		}
		/* A longer line is cut into several. */
		if (k->agent_linelen == sizeof(k->agent_line) - 1)
			agent_log_line(k);
		k->agent_line[k->agent_linelen++] = buf[i];
	}
}

/* In the forked child: nothing here may return. */
static void __attribute__((noreturn))
agent_exec(struct keyd *k, pid_t parent, int nullfd, int errfd)
{
	char		 pid_env[32], pin_env[KEYD_SOCK_MAX + 32];
	char		 home_env[PATH_MAX + 16];
	char		*argv[6], *envp[9];
	const int	 from[5] = { nullfd, nullfd, errfd, k->std_fd,
			    k->extra_fd };
	int		 parked[5];
	sigset_t	 none;
	size_t		 n = 0;

	/* A clean slate, but SIGPIPE stays ignored (that survives exec):
	 * gpg-agent in supervised mode leaves it alone, and a client that
	 * hangs up before reading its answer would otherwise kill it. */
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, sig == SIGPIPE ? SIG_IGN : SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (setsid() == -1 || prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 ||
	    getppid() != parent)
		_exit(126);
	/* Park every fd above the target range, then place them. */
	for (int i = 0; i < 5; i++)
		if ((parked[i] = fcntl(from[i], F_DUPFD, AGENT_FD_PARK)) == -1)
			_exit(126);
	for (int i = 0; i < 5; i++)
		if (dup2(parked[i], i) == -1)
			_exit(126);
	if (close_range(5, ~0U, 0) == -1)
		_exit(126);

	snprintf(pid_env, sizeof(pid_env), "LISTEN_PID=%ld", (long)getpid());
	snprintf(pin_env, sizeof(pin_env), "%s=%s", KEYD_PINENTRY_ENV,
	    k->pin_path);
	snprintf(home_env, sizeof(home_env), "GNUPGHOME=%s",
	    k->conf->keyd_home);
	envp[0] = "PATH=/usr/bin:/bin";
	envp[1] = "LC_ALL=C";
	envp[2] = home_env;
	envp[3] = "LISTEN_FDS=2";
	envp[4] = pid_env;
	envp[5] = "LISTEN_FDNAMES=std:extra";
	envp[6] = pin_env;
	envp[7] = NULL;

	argv[n++] = "gpg-agent";
	argv[n++] = "--homedir";
	argv[n++] = (char *)k->conf->keyd_home;
	argv[n++] = "--supervised";
	if (k->conf->verbose)
		argv[n++] = "--verbose";
	argv[n] = NULL;
	execve(AGENT_PATH, argv, envp);
	dprintf(STDERR_FILENO, "exec %s: %s\n", AGENT_PATH, strerror(errno));
	_exit(127);
}

/*
 * keyd is leaving (SIGTERM, shutdown, a fatal error): the agent goes
 * first, and is reaped, so that nothing of keyd outlives it even for a
 * moment.  (Should keyd be killed outright, PR_SET_PDEATHSIG does it.)
 */
static void
agent_atexit(void)
{
	pid_t	 pid = keyd != NULL ? keyd->agent_pid : 0;

	if (pid <= 0)
		return;
	keyd->agent_pid = 0;
	(void)kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
		;
}

void
agent_start(struct keyd *k)
{
	struct event_base	*base = k->child->base;
	int			 errpipe[2], nullfd;
	pid_t			 pid, me = getpid();

	/* Watch for its death before it can die. */
	if ((k->ev_chld = evsignal_new(base, SIGCHLD, agent_sigchld, k)) ==
	    NULL || evsignal_add(k->ev_chld, NULL) == -1)
		fatalx("agent: signal event");
	if (pipe2(errpipe, O_CLOEXEC) == -1)
		fatal("agent: pipe");
	if ((nullfd = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		fatal("agent: /dev/null");

	switch ((pid = fork())) {
	case -1:
		fatal("agent: fork");
	case 0:
		agent_exec(k, me, nullfd, errpipe[1]);
	}
	if (atexit(agent_atexit) != 0)
		fatalx("agent: atexit");
	close(errpipe[1]);
	close(nullfd);
	/* The agent owns the listeners now. */
	close(k->std_fd);
	close(k->extra_fd);
	k->std_fd = k->extra_fd = -1;
	k->agent_pid = pid;
	k->agent_err = errpipe[0];
	if (fcntl(k->agent_err, F_SETFL, O_NONBLOCK) == -1)
		fatal("agent: fcntl");
	if ((k->ev_agent_err = event_new(base, k->agent_err,
	    EV_READ | EV_PERSIST, agent_stderr, k)) == NULL ||
	    event_add(k->ev_agent_err, NULL) == -1)
		fatalx("agent: event");
	log_debug("gpg-agent started, pid %ld", (long)pid);
}
