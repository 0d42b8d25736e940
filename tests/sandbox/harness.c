/*
 * harness: forking a sandboxed child, watching it from outside, and the
 * small fixtures the tests share (temporary views shaped like the daemons',
 * running helper programs, the event-loop probe, TLS contexts).
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "imsg/imsg.h"
#include "imsg/imsg_event.h"
#include "tests/sandbox/sbtest.h"

/* Arguments of a helper program, runuser's included. */
#define SBT_MAX_ARGS		32
/* The poll step while waiting for a child to end. */
#define SBT_WAIT_STEP_MS	5
/* Descriptors nftw() may hold open while removing a tree. */
#define SBT_NFTW_FDS		16
/* The probe's messages, and how long it waits for them. */
#define SBT_PROBE_PING		9001
#define SBT_PROBE_PONG		9002
#define SBT_PROBE_TIMEOUT_MS	5000
#define SBT_PROBE_DATA		"ping through a memfd"
/* A line of /proc/<pid>/status; the longest ones are short lists. */
#define SBT_STATUS_LINE		512
/* Lifetime of the test certificate; the suite runs for seconds. */
#define SBT_CERT_SECONDS	3600

static long
sbt_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* read exactly len bytes within timeout_ms; the count read otherwise. */
static ssize_t
sbt_read_timeout(int fd, void *buf, size_t len, int timeout_ms)
{
	size_t	 got = 0;
	long	 end = sbt_now_ms() + timeout_ms;

	while (got < len) {
		struct pollfd	 pfd = { .fd = fd, .events = POLLIN };
		long		 left = end - sbt_now_ms();
		ssize_t		 n;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			break;
		n = read(fd, (char *)buf + got, len - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* The sandboxed side.  Never returns. */
static void __attribute__((noreturn))
sbt_child(struct sbt_ctx *ctx, int ready_fd, int go_fd)
{
	struct sandbox_state	 state;
	int			 keep[SBT_MAX_KEEP + 2];
	size_t			 n = 0;
	char			 c;

	if (ctx->before != NULL && ctx->before(ctx) != 0)
		_exit(SBT_SETUP_FAILED);
	for (size_t i = 0; i < ctx->nkeep && i < SBT_MAX_KEEP; i++)
		keep[n++] = ctx->keep[i];
	keep[n++] = ready_fd;
	keep[n++] = go_fd;
	sandbox_enter(ctx->proc, &ctx->view, keep, n, &state);
	if (write(ready_fd, &state, sizeof(state)) != sizeof(state))
		_exit(SBT_SETUP_FAILED);
	if (read(go_fd, &c, 1) != 1)
		_exit(SBT_SETUP_FAILED);
	close(ready_fd);
	close(go_fd);
	_exit(ctx->op(ctx));
}

static void
sbt_field(const char *line, const char *key, char *dst)
{
	size_t	 klen = strlen(key);

	if (strncmp(line, key, klen) != 0 || line[klen] != ':')
		return;
	line += klen + 1;
	while (*line == '\t' || *line == ' ')
		line++;
	snprintf(dst, SBT_FIELD_MAX, "%s", line);
	dst[strcspn(dst, "\n")] = '\0';
}

/* What pgpmgctl status shows, read from outside the sandbox. */
static void
sbt_read_proc(pid_t pid, struct sbt_result *res)
{
	char	 path[PATH_MAX], line[SBT_STATUS_LINE];
	FILE	*f;
	ssize_t	 n;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			sbt_field(line, "Seccomp", res->seccomp);
			sbt_field(line, "NoNewPrivs", res->nnp);
			sbt_field(line, "CapInh", res->capinh);
			sbt_field(line, "CapPrm", res->capprm);
			sbt_field(line, "CapEff", res->capeff);
			sbt_field(line, "CapBnd", res->capbnd);
			sbt_field(line, "CapAmb", res->capamb);
			sbt_field(line, "Uid", res->uid);
			sbt_field(line, "Gid", res->gid);
			sbt_field(line, "Groups", res->groups);
		}
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%ld/ns/net", (long)pid);
	if ((n = readlink(path, res->netns, sizeof(res->netns) - 1)) > 0)
		res->netns[n] = '\0';
	snprintf(path, sizeof(path), "/proc/%ld/root", (long)pid);
	if ((n = readlink(path, res->root, sizeof(res->root) - 1)) > 0)
		res->root[n] = '\0';
}

static void
sbt_wait(pid_t pid, struct sbt_result *res)
{
	long	 end = sbt_now_ms() + SBT_DONE_TIMEOUT_MS;
	int	 status;
	pid_t	 r;

	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r == -1 && errno != EINTR) {
			res->timed_out = 1;
			return;
		}
		if (sbt_now_ms() > end) {
			res->timed_out = 1;
			kill(pid, SIGKILL);
			(void)waitpid(pid, &status, 0);
			return;
		}
		poll(NULL, 0, SBT_WAIT_STEP_MS);
	}
	if (WIFEXITED(status)) {
		res->exited = 1;
		res->code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status))
		res->signo = WTERMSIG(status);
}

void
sbt_run(struct sbt_ctx *ctx, struct sbt_result *res)
{
	int	 ready[2], go[2];
	pid_t	 pid;

	memset(res, 0, sizeof(*res));
	/* A child that dies early must not take the test with it. */
	signal(SIGPIPE, SIG_IGN);
	if (pipe2(ready, O_CLOEXEC) == -1 || pipe2(go, O_CLOEXEC) == -1) {
		res->timed_out = 1;
		return;
	}
	fflush(NULL);
	if ((pid = fork()) == -1) {
		res->timed_out = 1;
		return;
	}
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		sbt_child(ctx, ready[1], go[0]);
	}
	close(ready[1]);
	close(go[0]);
	if (sbt_read_timeout(ready[0], &res->state, sizeof(res->state),
	    SBT_READY_TIMEOUT_MS) == sizeof(res->state)) {
		res->entered = 1;
		sbt_read_proc(pid, res);
	}
	(void)!write(go[1], "g", 1);
	if (res->entered && ctx->peer != NULL)
		ctx->peer(ctx);
	close(go[1]);
	close(ready[0]);
	sbt_wait(pid, res);
}

const char *
sbt_describe(const struct sbt_result *res, char *buf, size_t len)
{
	if (res->timed_out)
		snprintf(buf, len, "timed out");
	else if (!res->exited)
		snprintf(buf, len, "killed by signal %d (%s)%s", res->signo,
		    strsignal(res->signo),
		    res->entered ? "" : " before the sandbox was ready");
	else if (res->code >= SBT_ERRNO_BASE)
		snprintf(buf, len, "exit %d: failed with %s", res->code,
		    strerror(res->code - SBT_ERRNO_BASE));
	else
		snprintf(buf, len, "exit %d%s", res->code,
		    res->entered ? "" : " before the sandbox was ready");
	return buf;
}

int
sbt_outcome(const struct sbt_result *res)
{
	if (!res->entered || res->timed_out)
		return 0;
	if (!res->exited)
		return res->signo == SIGSYS ? SBT_OUT_SIGSYS : 0;
#ifdef SANDBOX_DEBUG
	/* The debug build traps: the call fails with ENOSYS instead. */
	if (res->code == SBT_ERRNO_BASE + ENOSYS)
		return SBT_OUT_SIGSYS;
#endif
	if (res->code == SBT_ERRNO_BASE + EPERM)
		return SBT_OUT_EPERM;
	if (res->code == SBT_ERRNO_BASE + EACCES)
		return SBT_OUT_EACCES;
	return 0;
}

void
sbt_user(const char *name, uid_t *uid, gid_t *gid)
{
	struct passwd	*pw;

	if ((pw = getpwnam(name)) == NULL) {
		fprintf(stderr, "sbtest: no user %s (run "
		    "scripts/ensure-users.sh)\n", name);
		abort();
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
}

char *
sbt_mkdir(const char *tag, mode_t mode, uid_t uid, gid_t gid)
{
	char	 tmpl[PATH_MAX], *dir;

	snprintf(tmpl, sizeof(tmpl), "/tmp/pgpmg-sbt-%s-XXXXXX", tag);
	if ((dir = mkdtemp(tmpl)) == NULL || chmod(dir, mode) == -1 ||
	    chown(dir, uid, gid) == -1) {
		perror("sbtest: mkdtemp");
		abort();
	}
	return strdup(dir);
}

static int
sbt_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	(void)remove(path);
	return 0;
}

void
sbt_rmtree(const char *dir)
{
	if (dir != NULL && strncmp(dir, "/tmp/pgpmg-sbt-", 15) == 0)
		(void)nftw(dir, sbt_rm_one, SBT_NFTW_FDS, FTW_DEPTH | FTW_PHYS);
}

int
sbt_spawn(const char *as, const char *const argv[], const char *log)
{
	const char	*args[SBT_MAX_ARGS + 5];
	size_t		 n = 0;
	pid_t		 pid;
	int		 status, fd;

	if (as != NULL) {
		args[n++] = "runuser";
		args[n++] = "-u";
		args[n++] = as;
		args[n++] = "--";
	}
	for (size_t i = 0; argv[i] != NULL && i < SBT_MAX_ARGS; i++)
		args[n++] = argv[i];
	args[n] = NULL;

	fflush(NULL);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		fd = open(log != NULL ? log : "/dev/null",
		    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd != -1) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		if (chdir("/") == -1)
			_exit(127);
		execv(as != NULL ? "/usr/sbin/runuser" : args[0],
		    (char *const *)args);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR)
			return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void
sbt_kill_agent(const char *home)
{
	const char *argv[] = { "/usr/bin/gpgconf", "--homedir", home,
	    "--kill", "gpg-agent", NULL };

	(void)sbt_spawn(NULL, argv, NULL);
}

static void
sbt_write_file(const char *dir, const char *name, const char *text,
    uid_t uid, gid_t gid)
{
	char	 path[PATH_MAX];
	int	 fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1 || write(fd, text, strlen(text)) !=
	    (ssize_t)strlen(text) || fchown(fd, uid, gid) == -1) {
		perror("sbtest: write file");
		abort();
	}
	close(fd);
}

void
sbt_view_for(enum proc_id proc, struct sandbox_view *view)
{
	const char	*pgroot;
	uid_t		 uid;
	gid_t		 gid;

	memset(view, 0, sizeof(*view));
	switch (proc) {
	case PROC_SMTPD:
		view->chroot_dir = sbt_mkdir("smtpd", 0755, 0, 0);
		break;
	case PROC_POLICYD:
		/* PostgreSQL's socket directory, as scripts/pg.sh makes it. */
		if ((pgroot = getenv(SBT_ENV_PGROOT)) != NULL)
			view->chroot_dir = strdup(pgroot);
		else
			view->chroot_dir = sbt_mkdir("policyd", 0755, 0, 0);
		break;
	case PROC_CRYPTOD:
		sbt_user("_pgpmg_cryptod", &uid, &gid);
		view->rw[0] = sbt_mkdir("cryptod", 0700, uid, gid);
		/* As DESIGN.md says: cryptod never starts an agent. */
		sbt_write_file(view->rw[0], "gpg.conf", "no-autostart\n",
		    uid, gid);
		break;
	case PROC_KEYD:
		sbt_user("_pgpmg_keyd", &uid, &gid);
		view->rw[0] = sbt_mkdir("keyd", 0700, uid, gid);
		break;
	case PROC_WEBD:
		view->ro[0] = sbt_mkdir("webd", 0755, 0, 0);
		sbt_write_file(view->ro[0], "index.html",
		    "<h1>pgpmg</h1>\n", 0, 0);
		break;
	default:
		abort();
	}
}

void
sbt_view_cleanup(enum proc_id proc, struct sandbox_view *view)
{
	const char	*pgroot = getenv(SBT_ENV_PGROOT);

	if (proc == PROC_KEYD && view->rw[0] != NULL)
		sbt_kill_agent(view->rw[0]);
	if (view->chroot_dir != NULL && (pgroot == NULL ||
	    strcmp(pgroot, view->chroot_dir) != 0))
		sbt_rmtree(view->chroot_dir);
	for (int i = 0; i < SANDBOX_MAX_PATHS; i++) {
		sbt_rmtree(view->ro[i]);
		sbt_rmtree(view->rw[i]);
	}
}

/* ---- the event loop probe */

struct sbt_probe {
	struct event_base	*base;
	int			 ok;
};

static void
sbt_probe_msg(struct imsgev *iev, struct imsg *imsg)
{
	struct sbt_probe	*p = iev->arg;
	char			 buf[sizeof(SBT_PROBE_DATA)];
	int			 fd;

	if (imsg->hdr.type != SBT_PROBE_PING ||
	    (fd = imsg_get_fd(imsg)) == -1)
		goto done;
	memset(buf, 0, sizeof(buf));
	if (pread(fd, buf, sizeof(buf) - 1, 0) !=
	    (ssize_t)sizeof(buf) - 1 || strcmp(buf, SBT_PROBE_DATA) != 0) {
		close(fd);
		goto done;
	}
	/* Send the fd back: the reply proves fd passing out of the sandbox
	 * too.  Flushed here, since the loop ends right after. */
	if (imsgev_compose(iev, SBT_PROBE_PONG, 0, fd, imsg->data,
	    imsg->datalen) == -1 || imsgbuf_flush(&iev->ibuf) == -1)
		goto done;
	p->ok = 1;
 done:
	event_base_loopbreak(p->base);
}

static void
sbt_probe_done(struct imsgev *iev, int error)
{
	struct sbt_probe	*p = iev->arg;

	(void)error;
	event_base_loopbreak(p->base);
}

static void
sbt_probe_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct sbt_probe	*p = arg;

	(void)fd;
	(void)ev;
	event_base_loopbreak(p->base);
}

int
sbt_loop_probe_child(int fd)
{
	struct sbt_probe	 p = { NULL, 0 };
	struct imsgev		 iev;
	struct event		*timer;
	struct timeval		 tv = { SBT_PROBE_TIMEOUT_MS / 1000, 0 };

	if ((p.base = event_base_new()) == NULL)
		return SBT_WORK_FAILED;
	if (imsgev_init(&iev, p.base, fd, sbt_probe_msg, sbt_probe_done,
	    &p) == -1)
		return SBT_WORK_FAILED;
	timer = evtimer_new(p.base, sbt_probe_timeout, &p);
	evtimer_add(timer, &tv);
	event_base_dispatch(p.base);
	evtimer_del(timer);
	event_free(timer);
	imsgev_stop(&iev);
	event_base_free(p.base);
	return p.ok ? SBT_OK : SBT_WORK_FAILED;
}

int
sbt_loop_probe_peer(int fd)
{
	struct imsgbuf	 ib;
	struct imsg	 imsg;
	char		 buf[sizeof(SBT_PROBE_DATA)];
	long		 end = sbt_now_ms() + SBT_PROBE_TIMEOUT_MS;
	int		 mfd, rfd, rc = -1;
	ssize_t		 n;

	if (imsgbuf_init(&ib, fd) == -1)
		return -1;
	if ((mfd = memfd_create("sbt-probe", MFD_CLOEXEC)) == -1 ||
	    write(mfd, SBT_PROBE_DATA, sizeof(SBT_PROBE_DATA) - 1) !=
	    (ssize_t)sizeof(SBT_PROBE_DATA) - 1)
		goto out;
	if (imsg_compose(&ib, SBT_PROBE_PING, 0, mfd, "ping", 5) == -1 ||
	    imsgbuf_flush(&ib) == -1)
		goto out;
	for (;;) {
		struct pollfd	 pfd = { .fd = fd, .events = POLLIN };
		long		 left = end - sbt_now_ms();

		if ((n = imsg_get(&ib, &imsg)) == -1)
			goto out;
		if (n == 1)
			break;
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			goto out;
		if ((n = imsgbuf_read(&ib)) == 0 ||
		    (n == -1 && errno != EAGAIN))
			goto out;
	}
	if (imsg.hdr.type == SBT_PROBE_PONG &&
	    (rfd = imsg_get_fd(&imsg)) != -1) {
		memset(buf, 0, sizeof(buf));
		if (pread(rfd, buf, sizeof(buf) - 1, 0) > 0 &&
		    strcmp(buf, SBT_PROBE_DATA) == 0)
			rc = 0;
		close(rfd);
	}
	imsg_free(&imsg);
 out:
	imsgbuf_clear(&ib);
	return rc;
}

/* ---- TLS */

SSL_CTX *
sbt_tls_server_ctx(void)
{
	EVP_PKEY	*pkey;
	X509		*x;
	X509_NAME	*name;
	SSL_CTX		*ctx;

	if ((pkey = EVP_EC_gen("P-256")) == NULL || (x = X509_new()) == NULL)
		return NULL;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), SBT_CERT_SECONDS);
	X509_set_pubkey(x, pkey);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"localhost", -1, -1, 0);
	X509_set_issuer_name(x, name);
	if (X509_sign(x, pkey, EVP_sha256()) == 0 ||
	    (ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate(ctx, x) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, pkey) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		SSL_CTX_free(ctx);
		ctx = NULL;
	}
	X509_free(x);
	EVP_PKEY_free(pkey);
	return ctx;
}

SSL_CTX *
sbt_tls_client_ctx(void)
{
	SSL_CTX	*ctx;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* The peer is our own throwaway certificate. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	return ctx;
}
