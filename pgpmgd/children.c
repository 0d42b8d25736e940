/*
 * Starting, supervising and stopping the children.
 *
 * Each child is fork+exec'd from its own executable with its parent channel
 * on fd 3 and nothing else open but /dev/null on 0-2.  cryptod workers hold
 * no state, so a dead one is replaced (with back-off) and its peers get
 * fresh channels; the death of any other child stops the appliance, which
 * systemd then restarts as a whole.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "common/log.h"
#include "common/msg.h"
#include "imsg/imsg.h"
#include "pgpmgd/pgpmgd.h"

#define MAX_SLOTS	(PROC_MAX_INSTANCES + PROC_MAX)

/* peer_up[i][j]: slot i reported its channel to slot j greeted it.  A
 * channel is up when both ends said so. */
static unsigned char	 peer_up[MAX_SLOTS][MAX_SLOTS];

/* Set when the stop's grace time is over: do not wait for adopted
 * processes any longer. */
static int		 orphans_gone;

static void	child_msg(struct imsgev *, struct imsg *);
static void	children_exit(void) __attribute__((noreturn));
static void	child_done(struct imsgev *, int);
static void	child_start(struct proc_slot *);

void
children_init(void)
{
	struct pgpmgd	*d = pgpmgd;
	const enum proc_id order[] = {
		PROC_KEYD, PROC_POLICYD, PROC_CRYPTOD, PROC_SMTPD, PROC_WEBD
	};

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		unsigned n = order[i] == PROC_CRYPTOD ?
		    d->conf.cryptod_workers : 1;
		for (unsigned k = 0; k < n; k++) {
			struct proc_slot *s = &d->slots[d->nslots++];
			s->proc = order[i];
			s->instance = (int)k;
		}
	}
}

void
children_start_all(void)
{
	for (size_t i = 0; i < pgpmgd->nslots; i++)
		child_start(&pgpmgd->slots[i]);
}

struct proc_slot *
children_find_pid(pid_t pid)
{
	for (size_t i = 0; i < pgpmgd->nslots; i++)
		if (pgpmgd->slots[i].pid == pid)
			return &pgpmgd->slots[i];
	return NULL;
}

struct proc_slot *
children_find(uint32_t proc, int instance)
{
	for (size_t i = 0; i < pgpmgd->nslots; i++)
		if (pgpmgd->slots[i].proc == proc &&
		    pgpmgd->slots[i].instance == instance)
			return &pgpmgd->slots[i];
	return NULL;
}

/* Channels of s whose both ends have greeted each other. */
unsigned
children_peers_up(const struct proc_slot *s)
{
	size_t		 i = (size_t)(s - pgpmgd->slots);
	unsigned	 n = 0;

	for (size_t j = 0; j < pgpmgd->nslots; j++)
		n += peer_up[i][j] && peer_up[j][i];
	return n;
}

/* How many peer channels a child has when all is well: one to every
 * slot the peer graph connects it with. */
unsigned
children_expected_peers(const struct proc_slot *s)
{
	unsigned	 n = 0;

	for (size_t i = 0; i < pgpmgd->nslots; i++)
		n += channel_allowed(s->proc, pgpmgd->slots[i].proc);
	return n;
}

static const char *
slot_name(const struct proc_slot *s, char *buf, size_t len)
{
	if (s->proc == PROC_CRYPTOD)
		snprintf(buf, len, "cryptod#%d", s->instance);
	else
		snprintf(buf, len, "%s", proc_name(s->proc));
	return buf;
}

/* In the forked child: fd 3 is the channel, 0-2 are /dev/null, no other
 * fd survives, no signal state leaks in, and the child dies with us. */
static void __attribute__((noreturn))
child_exec(const struct proc_slot *s, int chan, pid_t parent)
{
	char		 path[4200], inst[16];
	char		*argv[4];
	char		*envp[] = { "PATH=/usr/bin:/bin", NULL };
	sigset_t	 all;
	int		 null;

	/* Our handlers first, then the mask the parent set for the fork:
	 * a SIGTERM sent meanwhile is pending, and now kills us. */
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
		_exit(1);
	if (chan != PROC_PARENT_FD) {
		if (dup2(chan, PROC_PARENT_FD) == -1)
			_exit(1);
	} else if (fcntl(chan, F_SETFD, 0) == -1)
		_exit(1);
	/* A child writes its log through the channel, never to our
	 * stderr (which a compromised child could use to forge lines);
	 * a SANDBOX_DEBUG build keeps stderr for the trap handler. */
	if ((null = open("/dev/null", O_RDWR)) == -1 ||
	    dup2(null, STDIN_FILENO) == -1 ||
	    dup2(null, STDOUT_FILENO) == -1)
		_exit(1);
#ifndef SANDBOX_DEBUG
	if (dup2(null, STDERR_FILENO) == -1)
		_exit(1);
#endif
	if (close_range(PROC_PARENT_FD + 1, ~0U, 0) == -1)
		_exit(1);

	snprintf(path, sizeof(path), "%s/%s", pgpmgd->exec_dir,
	    proc_name(s->proc));
	snprintf(inst, sizeof(inst), "%d", s->instance);
	argv[0] = path;
	argv[1] = "-i";
	argv[2] = inst;
	argv[3] = NULL;
	execve(path, argv, envp);
	dprintf(STDERR_FILENO, "pgpmgd: exec %s: %s\n", path, strerror(errno));
	_exit(127);
}

static void
child_start(struct proc_slot *s)
{
	struct ibuf	*b;
	sigset_t	 all, old;
	int		 sp[2];
	pid_t		 pid, me = getpid();
	char		 name[32];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0,
	    sp) == -1)
		fatal("socketpair");
	/*
	 * No signal may reach the child between fork and exec, where our
	 * (libevent's) handlers would take it and the exec would forget it.
	 */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	switch ((pid = fork())) {
	case -1:
		fatal("fork");
	case 0:
		close(sp[0]);
		child_exec(s, sp[1], me);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(sp[1]);
	s->pid = pid;
	s->ready = 0;
	size_t me_idx = (size_t)(s - pgpmgd->slots);
	for (size_t k = 0; k < MAX_SLOTS; k++)
		peer_up[me_idx][k] = peer_up[k][me_idx] = 0;
	memset(&s->sandbox, 0, sizeof(s->sandbox));
	clock_gettime(CLOCK_MONOTONIC, &s->started);
	s->started_wall = time(NULL);
	if (imsgev_init(&s->iev, pgpmgd->base, sp[0], child_msg, child_done,
	    s) == -1)
		fatal("imsgev_init");
	s->iev_live = 1;

	/* The configuration travels as text: the child parses exactly what
	 * we parsed, without reading a file that may have changed since. */
	if ((b = imsg_create(&s->iev.ibuf, IMSG_PARENT_CONF, 0, -1,
	    strlen(pgpmgd->conf_path) + strlen(pgpmgd->conf_text) + 2)) == NULL ||
	    imsg_add_string(b, pgpmgd->conf_path) == -1 ||
	    imsg_add_string(b, pgpmgd->conf_text) == -1)
		fatal("compose configuration");
	imsg_close(&s->iev.ibuf, b);
	imsgev_update(&s->iev);
	log_debug("started %s, pid %ld", slot_name(s, name, sizeof(name)),
	    (long)pid);
}

static void
child_channel_close(struct proc_slot *s)
{
	if (!s->iev_live)
		return;
	int fd = s->iev.ibuf.fd;
	imsgev_stop(&s->iev);
	close(fd);
	s->iev_live = 0;
	if (s->proc == PROC_POLICYD)
		ctlfwd_policyd_gone();
}

/* A child that breaks the protocol is treated as compromised: kill it and
 * let supervision decide what follows. */
static void
child_violation(struct proc_slot *s, const char *what)
{
	char	 name[32];

	log_warnx("%s[%ld]: protocol violation: %s; killing it",
	    slot_name(s, name, sizeof(name)), (long)s->pid, what);
	child_channel_close(s);
	if (s->pid > 0)
		kill(s->pid, SIGKILL);
}

static void
send_listener(struct proc_slot *s, uint32_t kind, int fd)
{
	int	 dupfd;

	/* imsg takes ownership of the fd it sends; keep ours. */
	if ((dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1)
		fatal("dup listener");
	if (imsgev_compose(&s->iev, IMSG_PARENT_LISTENER_FD, 0, dupfd, &kind,
	    sizeof(kind)) == -1)
		fatal("compose listener");
}

static void
child_msg(struct imsgev *iev, struct imsg *imsg)
{
	struct proc_slot	*s = iev->arg;
	struct imsg_reader	 r;
	struct proc_slot	*o;
	const char		*line;
	uint32_t		 pri, v[3];

	if (!msg_allowed(PROC_PARENT, s->proc, imsg->hdr.type)) {
		child_violation(s, imsg_type_name(imsg->hdr.type));
		return;
	}
	imsg_reader_init(&r, imsg);
	switch (imsg->hdr.type) {
	case IMSG_CHILD_LOG:
		if (imsg_read_u32(&r, &pri) == -1 ||
		    imsg_read_string(&r, &line, LOG_MAX_LINE) == -1 ||
		    imsg_reader_end(&r) == -1 || !log_priority_valid((int)pri)) {
			child_violation(s, "malformed CHILD_LOG");
			return;
		}
		log_emit(s->proc, s->instance, s->pid, (int)pri, line);
		break;
	case IMSG_CHILD_READY:
		if (s->ready || imsg_read_data(&r, v, sizeof(v)) == -1 ||
		    imsg_reader_end(&r) == -1) {
			child_violation(s, "malformed CHILD_READY");
			return;
		}
		s->ready = 1;
		s->sandbox.landlock_abi = (int)v[0];
		s->sandbox.chrooted = (int)v[1];
		s->sandbox.netns = (int)v[2];
		if (s->proc == PROC_SMTPD)
			send_listener(s, LISTENER_SMTP, pgpmgd->listen_smtp);
		/* The console's listener first: webd takes the redirect
		 * only once it has the console to redirect to. */
		if (s->proc == PROC_WEBD) {
			send_listener(s, LISTENER_WEB, pgpmgd->listen_web);
			if (pgpmgd->listen_web_redirect != -1)
				send_listener(s, LISTENER_WEB_REDIRECT,
				    pgpmgd->listen_web_redirect);
		}
		channels_child_ready(s);
		if (s->proc == PROC_CRYPTOD)
			keyfwd_worker_ready(s);
		break;
	case IMSG_CHILD_PEER_UP:
		if (imsg_read_data(&r, v, 2 * sizeof(uint32_t)) == -1 ||
		    imsg_reader_end(&r) == -1 || v[0] >= PROC_MAX ||
		    !channel_allowed(s->proc, (enum proc_id)v[0]) ||
		    (o = children_find(v[0], (int)v[1])) == NULL) {
			child_violation(s, "malformed CHILD_PEER_UP");
			return;
		}
		peer_up[s - pgpmgd->slots][o - pgpmgd->slots] = 1;
		break;
	case IMSG_POLICYD_KEY_REPLY:
		if (keyfwd_reply(imsg) == -1)
			child_violation(s, "malformed POLICYD_KEY_REPLY");
		break;
	case IMSG_KEYD_KEYRING:
		if (keyfwd_keyring(imsg) == -1)
			child_violation(s, "malformed KEYD_KEYRING");
		break;
	case IMSG_POLICYD_DB_STATUS:
		if (dbfwd_reply(imsg) == -1)
			child_violation(s, "malformed POLICYD_DB_STATUS");
		break;
	case IMSG_POLICYD_ADMIN_DATA:
		if (adminfwd_data(imsg) == -1)
			child_violation(s, "malformed POLICYD_ADMIN_DATA");
		break;
	case IMSG_POLICYD_ADMIN_DONE:
		if (adminfwd_done(imsg) == -1)
			child_violation(s, "malformed POLICYD_ADMIN_DONE");
		break;
	case IMSG_POLICYD_PROCS:
		if (status_procs(s, imsg) == -1)
			child_violation(s, "malformed POLICYD_PROCS");
		break;
	}
}

static void
child_done(struct imsgev *iev, int error)
{
	struct proc_slot	*s = iev->arg;
	char			 name[32];

	/* The exit itself is reported by SIGCHLD; a protocol error is not. */
	if (error != 0 && error != EPIPE && error != ECONNRESET)
		child_violation(s, strerror(error));
	else {
		log_debug("%s: channel closed", slot_name(s, name, sizeof(name)));
		child_channel_close(s);
	}
}

static void
restart_cb(int fd, short ev, void *arg)
{
	struct proc_slot	*s = arg;

	(void)fd; (void)ev;
	if (!pgpmgd->stopping && s->pid == 0)
		child_start(s);
}

static void
schedule_restart(struct proc_slot *s, double lived)
{
	struct timeval	 tv = { 0, 0 };
	long		 ms = 0;
	char		 name[32];

	if (lived > RESTART_RESET_SEC)
		s->quick_restarts = 0;
	if (s->quick_restarts > 0) {
		ms = RESTART_DELAY_FIRST_MS;
		for (unsigned i = 1; i < s->quick_restarts &&
		    ms < RESTART_DELAY_MAX_MS; i++)
			ms *= 2;
		if (ms > RESTART_DELAY_MAX_MS)
			ms = RESTART_DELAY_MAX_MS;
	}
	s->quick_restarts++;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (s->restart_ev == NULL &&
	    (s->restart_ev = evtimer_new(pgpmgd->base, restart_cb, s)) == NULL)
		fatalx("evtimer_new");
	evtimer_add(s->restart_ev, &tv);
	log_info("restarting %s in %ld ms", slot_name(s, name, sizeof(name)),
	    ms);
}

static void
describe_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status)) {
		const char *abbrev = sigabbrev_np(WTERMSIG(status));
		snprintf(buf, len, "killed by signal SIG%s%s",
		    abbrev ? abbrev : "?",
		    WCOREDUMP(status) ? " (core dumped)" : "");
	} else
		snprintf(buf, len, "changed state (0x%x)", status);
}

void
children_reap(void)
{
	struct proc_slot	*s;
	struct timespec		 now;
	char			 name[32], why[96];
	pid_t			 pid;
	int			 status, alive = 0;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if ((s = children_find_pid(pid)) == NULL)
			continue;
		describe_status(status, why, sizeof(why));
		slot_name(s, name, sizeof(name));
		child_channel_close(s);
		s->pid = 0;
		s->ready = 0;
		if (pgpmgd->stopping) {
			log_debug("%s[%ld] %s", name, (long)pid, why);
			continue;
		}
		log_warnx("%s[%ld] %s", name, (long)pid, why);
		if (s->proc == PROC_CRYPTOD) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			schedule_restart(s, (double)(now.tv_sec -
			    s->started.tv_sec));
		} else
			children_stop(1, name);
	}
	for (size_t i = 0; i < pgpmgd->nslots; i++)
		alive += pgpmgd->slots[i].pid != 0;
	/*
	 * pid 0: processes we adopted as subreaper are still there (keyd's
	 * gpg-agent, dying of keyd's death; a gpg a child started): they go
	 * before we do, or within the stop's grace time.
	 */
	if (pgpmgd->stopping && alive == 0 && (pid == -1 || orphans_gone))
		children_exit();
}

static void
children_exit(void)
{
	control_cleanup();
	log_info("stopped");
	exit(pgpmgd->exit_code);
}

static void
stop_timeout(int fd, short ev, void *arg)
{
	struct timeval	 tv = { 1, 0 };
	char		 name[32];
	int		 alive = 0;

	(void)fd; (void)ev; (void)arg;
	for (size_t i = 0; i < pgpmgd->nslots; i++) {
		struct proc_slot *s = &pgpmgd->slots[i];
		if (s->pid == 0)
			continue;
		alive++;
		log_warnx("%s[%ld] did not stop; killing it",
		    slot_name(s, name, sizeof(name)), (long)s->pid);
		kill(s->pid, SIGKILL);
	}
	/* Only adopted processes left, or a second expiry: we go. */
	if (alive == 0 || orphans_gone) {
		if (alive == 0)
			log_warnx("adopted processes did not exit in time");
		children_exit();
	}
	orphans_gone = 1;
	evtimer_add(pgpmgd->stop_timer, &tv);
}

void
children_stop(int exit_code, const char *why)
{
	struct timeval	 tv = { SHUTDOWN_GRACE_MS / 1000,
			    (SHUTDOWN_GRACE_MS % 1000) * 1000 };

	if (pgpmgd->stopping) {
		if (exit_code > pgpmgd->exit_code)
			pgpmgd->exit_code = exit_code;
		return;
	}
	pgpmgd->stopping = 1;
	pgpmgd->exit_code = exit_code;
	if (exit_code == 0)
		log_info("%s: stopping", why);
	else
		log_warnx("%s is gone: stopping all processes", why);
	/*
	 * Two phases: every child hears that the appliance is stopping
	 * before any is signalled, so none mistakes a peer's exit for a
	 * failure (see child_parent_drain()).
	 */
	for (size_t i = 0; i < pgpmgd->nslots; i++) {
		struct proc_slot *s = &pgpmgd->slots[i];
		if (s->restart_ev != NULL)
			evtimer_del(s->restart_ev);
		/* Only a ready child has peers, and expects more than its
		 * configuration.  Never block on a child that does not
		 * read: what does not fit now is simply not said. */
		if (s->pid != 0 && s->iev_live && s->ready &&
		    (imsg_compose(&s->iev.ibuf, IMSG_PARENT_STOPPING, 0, -1,
		    NULL, 0) == -1 || imsgbuf_write(&s->iev.ibuf) == -1))
			log_debug("%s: cannot tell it we stop",
			    proc_name(s->proc));
	}
	for (size_t i = 0; i < pgpmgd->nslots; i++) {
		struct proc_slot *s = &pgpmgd->slots[i];
		if (s->pid != 0)
			kill(s->pid, SIGTERM);
	}
	if ((pgpmgd->stop_timer = evtimer_new(pgpmgd->base, stop_timeout,
	    NULL)) == NULL)
		fatalx("evtimer_new");
	evtimer_add(pgpmgd->stop_timer, &tv);
	/* Nothing may be left running: reap now in case all are gone. */
	children_reap();
}
