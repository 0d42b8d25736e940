/*
 * test_sandbox: the boundary of every pgpmg child, as a golden table.
 *
 * Each row names a process, an operation it must not be able to do, and
 * how the attempt must end: killed by SIGSYS (the seccomp allowlist), or
 * refused with EPERM or EACCES (Landlock, the user switch, or a soft
 * seccomp refusal).  The child applies the very sandbox_enter() and profile
 * its daemon uses, with a view of the same shape, then tries.  Beside the
 * table: the state each sandbox reaches, as pgpmgctl status reads it, and
 * the fatal paths of sandbox_enter() itself.  test_work.c proves that the
 * normal work of each process still runs inside the same walls.
 *
 * main() makes the fixtures of the whole run (a throwaway PostgreSQL
 * cluster, a test key) and always tears them down.
 */
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <gpgme.h>

#include "common/sandbox.h"
#include "tests/sandbox/sbtest.h"

/* ---------------------------------------------------------- operations */

enum sbt_op {
	OP_OPEN_PASSWD,		/* read a file outside the view */
	OP_CREATE_TMP,		/* write a file outside the view */
	OP_SOCKET_INET,		/* socket(AF_INET) + connect to 127.0.0.1 */
	OP_SOCKET_UNIX,		/* socket(AF_UNIX), for webd: none at all */
	OP_SOCKET_NETLINK,	/* a family nobody may open */
	OP_EXEC_SH,		/* execve("/bin/sh") */
	OP_EXEC_GPGCONF,	/* a gpg tool outside cryptod's list */
	OP_READ_SHELL,		/* what "ld.so /bin/sh" would have to read */
	OP_PTRACE,		/* PTRACE_ATTACH to the test process */
	OP_SETUID0,		/* setuid(0) */
	OP_MOUNT,		/* mount a tmpfs */
	OP_MMAP_EXEC,		/* new executable memory */
	OP_MPROTECT_EXEC,	/* make writable memory executable */
	OP_UNSHARE_USER,	/* a user namespace, with its capabilities */
	OP_CLONE_NEWUSER,	/* the same through clone() */
	OP_KILL,		/* signal the test process */
	OP_CHROOT,		/* chroot("/") */
	OP_TIOCSTI,		/* push input into a terminal */
	OP_THREAD,		/* pthread_create() and join */
	OP_THREAD_ESCAPE,	/* a new thread opens an AF_INET socket */
	OP_FORK,		/* fork(): a new process */
	OP_CLONE_VM,		/* clone() sharing memory, not a thread */
	OP_CLONE_THREAD_NEWUSER,/* a thread's clone() with CLONE_NEWUSER */
	OP_MAX
};

static const char *const op_names[OP_MAX] = {
	[OP_OPEN_PASSWD]	= "open /etc/passwd",
	[OP_CREATE_TMP]		= "create a file in /tmp",
	[OP_SOCKET_INET]	= "socket(AF_INET)+connect",
	[OP_SOCKET_UNIX]	= "socket(AF_UNIX)",
	[OP_SOCKET_NETLINK]	= "socket(AF_NETLINK)",
	[OP_EXEC_SH]		= "execve /bin/sh",
	[OP_EXEC_GPGCONF]	= "execve /usr/bin/gpgconf",
	[OP_READ_SHELL]		= "open /bin/sh for reading",
	[OP_PTRACE]		= "ptrace(PTRACE_ATTACH)",
	[OP_SETUID0]		= "setuid(0)",
	[OP_MOUNT]		= "mount tmpfs",
	[OP_MMAP_EXEC]		= "mmap PROT_EXEC",
	[OP_MPROTECT_EXEC]	= "mprotect PROT_EXEC",
	[OP_UNSHARE_USER]	= "unshare(CLONE_NEWUSER)",
	[OP_CLONE_NEWUSER]	= "clone(CLONE_NEWUSER)",
	[OP_KILL]		= "kill(test process, 0)",
	[OP_CHROOT]		= "chroot(\"/\")",
	[OP_TIOCSTI]		= "ioctl(TIOCSTI)",
	[OP_THREAD]		= "pthread_create",
	[OP_THREAD_ESCAPE]	= "socket(AF_INET) in a new thread",
	[OP_FORK]		= "fork",
	[OP_CLONE_VM]		= "clone(CLONE_VM|...) without CLONE_THREAD",
	[OP_CLONE_THREAD_NEWUSER] = "clone(a thread's flags|CLONE_NEWUSER)",
};

/* The discard port: nothing needs to listen, the call must not get there. */
#define SBT_CONNECT_PORT	9
#define SBT_PAGE		4096

struct sbt_op_arg {
	enum sbt_op	 op;
	pid_t		 target;
	char		 tmpfile[PATH_MAX];
};

static int
sbt_err(void)
{
	return SBT_ERRNO_BASE + errno;
}

/* The flags of glibc's pthread_create() (its clone(), less the TLS and
 * thread id ones that need their arguments). */
#define SBT_THREAD_FLAGS	(CLONE_VM | CLONE_FS | CLONE_FILES | \
	CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM)
/* A stack for the clone() operations' children, which never run when
 * the filter does its job. */
#define SBT_CLONE_STACK		(64 * 1024)

static void *
sbt_thread_nothing(void *arg)
{
	return arg;
}

static void *
sbt_thread_socket(void *arg)
{
	(void)arg;
	if (socket(AF_INET, SOCK_STREAM, 0) == -1)
		return (void *)(long)(SBT_ERRNO_BASE + errno);
	return NULL;
}

static int
sbt_clone_child(void *arg)
{
	(void)arg;
	_exit(0);
}

/* In a thread or a clone: 0, or SBT_ERRNO_BASE + errno. */
static int
sbt_do_thread(void *(*fn)(void *))
{
	pthread_t	 t;
	void		*ret = NULL;
	int		 rc;

	if ((rc = pthread_create(&t, NULL, fn, NULL)) != 0)
		return SBT_ERRNO_BASE + rc;
	if ((rc = pthread_join(t, &ret)) != 0)
		return SBT_ERRNO_BASE + rc;
	return (int)(long)ret;
}

static int
sbt_do_clone(int flags)
{
	char	*stack;
	pid_t	 pid;

	if ((stack = malloc(SBT_CLONE_STACK)) == NULL)
		return SBT_SETUP_FAILED;
	if ((pid = clone(sbt_clone_child, stack + SBT_CLONE_STACK, flags,
	    NULL)) == -1)
		return sbt_err();
	return SBT_OK;
}

static int
sbt_do_op(struct sbt_ctx *ctx)
{
	struct sbt_op_arg	*a = ctx->arg;
	struct sockaddr_in	 sin;
	char			*const sh_argv[] = { "sh", "-c", "exit 0", NULL };
	char			*const gc_argv[] = { "gpgconf", "--version", NULL };
	char			*const envp[] = { NULL };
	void			*p;
	long			 r;
	int			 fd;

	switch (a->op) {
	case OP_OPEN_PASSWD:
		if ((fd = open("/etc/passwd", O_RDONLY)) == -1)
			return sbt_err();
		return SBT_OK;
	case OP_CREATE_TMP:
		if ((fd = open(a->tmpfile, O_WRONLY | O_CREAT | O_EXCL,
		    0600)) == -1)
			return sbt_err();
		return SBT_OK;
	case OP_SOCKET_INET:
		if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
			return sbt_err();
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(SBT_CONNECT_PORT);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
			return sbt_err();
		return SBT_OK;
	case OP_SOCKET_UNIX:
		if (socket(AF_UNIX, SOCK_STREAM, 0) == -1)
			return sbt_err();
		return SBT_OK;
	case OP_SOCKET_NETLINK:
		if (socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE) == -1)
			return sbt_err();
		return SBT_OK;
	case OP_EXEC_SH:
		execve("/bin/sh", sh_argv, envp);
		return sbt_err();
	case OP_EXEC_GPGCONF:
		execve("/usr/bin/gpgconf", gc_argv, envp);
		return sbt_err();
	case OP_READ_SHELL:
		/* The dynamic loader may be executed (gpg needs it); it
		 * could only run a program it can read. */
		if ((fd = open("/bin/sh", O_RDONLY)) == -1)
			return sbt_err();
		return SBT_OK;
	case OP_PTRACE:
		if (ptrace(PTRACE_ATTACH, a->target, NULL, NULL) == -1)
			return sbt_err();
		return SBT_OK;
	case OP_SETUID0:
		if (setuid(0) == -1)
			return sbt_err();
		return SBT_OK;
	case OP_MOUNT:
		if (mount("none", "/", "tmpfs", 0, "") == -1)
			return sbt_err();
		return SBT_OK;
	case OP_MMAP_EXEC:
		if (mmap(NULL, SBT_PAGE, PROT_READ | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED)
			return sbt_err();
		return SBT_OK;
	case OP_MPROTECT_EXEC:
		if ((p = mmap(NULL, SBT_PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) == MAP_FAILED)
			return SBT_SETUP_FAILED;
		if (mprotect(p, SBT_PAGE, PROT_READ | PROT_EXEC) == -1)
			return sbt_err();
		return SBT_OK;
	case OP_UNSHARE_USER:
		if (unshare(CLONE_NEWUSER) == -1)
			return sbt_err();
		return SBT_OK;
	case OP_CLONE_NEWUSER:
		r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
		if (r == -1)
			return sbt_err();
		if (r == 0)
			_exit(0);
		return SBT_OK;
	case OP_KILL:
		if (kill(a->target, 0) == -1)
			return sbt_err();
		return SBT_OK;
	case OP_CHROOT:
		if (chroot("/") == -1)
			return sbt_err();
		return SBT_OK;
	case OP_TIOCSTI:
		if (ioctl(STDIN_FILENO, TIOCSTI, "x") == -1)
			return sbt_err();
		return SBT_OK;
	case OP_THREAD:
		return sbt_do_thread(sbt_thread_nothing);
	case OP_THREAD_ESCAPE:
		return sbt_do_thread(sbt_thread_socket);
	case OP_FORK:
		if ((r = fork()) == -1)
			return sbt_err();
		if (r == 0)
			_exit(0);
		return SBT_OK;
	case OP_CLONE_VM:
		/* Everything a thread shares, but not one of its threads:
		 * only the missing CLONE_THREAD makes the filter refuse. */
		return sbt_do_clone(SBT_THREAD_FLAGS & ~CLONE_THREAD);
	case OP_CLONE_THREAD_NEWUSER:
		/* The kernel would refuse it too (EINVAL), after the
		 * filter: the filter must come first. */
		return sbt_do_clone(SBT_THREAD_FLAGS | CLONE_NEWUSER);
	case OP_MAX:
		break;
	}
	return SBT_SETUP_FAILED;
}

/* ---------------------------------------------------------- the table */

struct golden_row {
	enum proc_id	 proc;
	enum sbt_op	 op;
	int		 accept;	/* SBT_OUT_* */
};

#define SIGSYS_	SBT_OUT_SIGSYS
#define EPERM_	SBT_OUT_EPERM
#define EACCES_	SBT_OUT_EACCES

static struct golden_row golden[] = {
	/* smtpd: empty chroot, host network, no exec */
	{ PROC_SMTPD,	OP_OPEN_PASSWD,		EACCES_ },
	{ PROC_SMTPD,	OP_CREATE_TMP,		EACCES_ },
	{ PROC_SMTPD,	OP_SOCKET_UNIX,		EACCES_ },
	{ PROC_SMTPD,	OP_SOCKET_NETLINK,	SIGSYS_ },
	{ PROC_SMTPD,	OP_EXEC_SH,		SIGSYS_ },
	{ PROC_SMTPD,	OP_PTRACE,		SIGSYS_ },
	{ PROC_SMTPD,	OP_SETUID0,		SIGSYS_ },
	{ PROC_SMTPD,	OP_MOUNT,		SIGSYS_ },
	{ PROC_SMTPD,	OP_MMAP_EXEC,		SIGSYS_ },
	{ PROC_SMTPD,	OP_MPROTECT_EXEC,	SIGSYS_ },
	{ PROC_SMTPD,	OP_UNSHARE_USER,	SIGSYS_ },
	{ PROC_SMTPD,	OP_KILL,		SIGSYS_ },
	{ PROC_SMTPD,	OP_CHROOT,		SIGSYS_ },
	{ PROC_SMTPD,	OP_TIOCSTI,		SIGSYS_ },

	/* cryptod: Landlock (its home, gpg), no network, runs gpg */
	{ PROC_CRYPTOD,	OP_OPEN_PASSWD,		EACCES_ },
	{ PROC_CRYPTOD,	OP_CREATE_TMP,		EACCES_ },
	{ PROC_CRYPTOD,	OP_SOCKET_INET,		SIGSYS_ },
	{ PROC_CRYPTOD,	OP_SOCKET_NETLINK,	SIGSYS_ },
	{ PROC_CRYPTOD,	OP_EXEC_SH,		EACCES_ },
	{ PROC_CRYPTOD,	OP_EXEC_GPGCONF,	EACCES_ },
	{ PROC_CRYPTOD,	OP_READ_SHELL,		EACCES_ },
	{ PROC_CRYPTOD,	OP_PTRACE,		SIGSYS_ },
	{ PROC_CRYPTOD,	OP_SETUID0,		SIGSYS_ },
	{ PROC_CRYPTOD,	OP_MOUNT,		SIGSYS_ },
	{ PROC_CRYPTOD,	OP_UNSHARE_USER,	SIGSYS_ },
	{ PROC_CRYPTOD,	OP_CLONE_NEWUSER,	SIGSYS_ },
	{ PROC_CRYPTOD,	OP_KILL,		EPERM_ },
	{ PROC_CRYPTOD,	OP_CHROOT,		SIGSYS_ },
	{ PROC_CRYPTOD,	OP_TIOCSTI,		SIGSYS_ },

	/* keyd: Landlock (its home, gpg and the agent), no network */
	{ PROC_KEYD,	OP_OPEN_PASSWD,		EACCES_ },
	{ PROC_KEYD,	OP_CREATE_TMP,		EACCES_ },
	{ PROC_KEYD,	OP_SOCKET_INET,		SIGSYS_ },
	{ PROC_KEYD,	OP_SOCKET_NETLINK,	SIGSYS_ },
	{ PROC_KEYD,	OP_EXEC_SH,		EACCES_ },
	{ PROC_KEYD,	OP_READ_SHELL,		EACCES_ },
	{ PROC_KEYD,	OP_EXEC_GPGCONF,	EACCES_ },
	{ PROC_KEYD,	OP_PTRACE,		SIGSYS_ },
	{ PROC_KEYD,	OP_SETUID0,		SIGSYS_ },
	{ PROC_KEYD,	OP_MOUNT,		SIGSYS_ },
	{ PROC_KEYD,	OP_UNSHARE_USER,	SIGSYS_ },
	{ PROC_KEYD,	OP_CLONE_NEWUSER,	SIGSYS_ },
	{ PROC_KEYD,	OP_KILL,		EPERM_ },
	{ PROC_KEYD,	OP_CHROOT,		SIGSYS_ },
	{ PROC_KEYD,	OP_TIOCSTI,		SIGSYS_ },

	/* policyd: chroot at the database socket, no network, no exec */
	{ PROC_POLICYD,	OP_OPEN_PASSWD,		EACCES_ },
	{ PROC_POLICYD,	OP_CREATE_TMP,		EACCES_ },
	{ PROC_POLICYD,	OP_SOCKET_INET,		SIGSYS_ },
	{ PROC_POLICYD,	OP_SOCKET_NETLINK,	SIGSYS_ },
	{ PROC_POLICYD,	OP_EXEC_SH,		SIGSYS_ },
	{ PROC_POLICYD,	OP_PTRACE,		SIGSYS_ },
	{ PROC_POLICYD,	OP_SETUID0,		SIGSYS_ },
	{ PROC_POLICYD,	OP_MOUNT,		SIGSYS_ },
	{ PROC_POLICYD,	OP_MMAP_EXEC,		SIGSYS_ },
	{ PROC_POLICYD,	OP_UNSHARE_USER,	SIGSYS_ },
	{ PROC_POLICYD,	OP_KILL,		SIGSYS_ },
	{ PROC_POLICYD,	OP_CHROOT,		SIGSYS_ },
	{ PROC_POLICYD,	OP_TIOCSTI,		SIGSYS_ },
	/* policyd may start threads (its password checks), and nothing
	 * else: no process, no clone that is not a thread, no namespace;
	 * and a thread is inside the same walls. */
	{ PROC_POLICYD,	OP_FORK,		SIGSYS_ },
	{ PROC_POLICYD,	OP_CLONE_VM,		SIGSYS_ },
	{ PROC_POLICYD,	OP_CLONE_THREAD_NEWUSER, SIGSYS_ },
	{ PROC_POLICYD,	OP_THREAD_ESCAPE,	SIGSYS_ },
	/* The other processes without exec start no thread either. */
	{ PROC_SMTPD,	OP_THREAD,		SIGSYS_ },
	{ PROC_SMTPD,	OP_FORK,		SIGSYS_ },
	{ PROC_WEBD,	OP_THREAD,		SIGSYS_ },
	{ PROC_WEBD,	OP_FORK,		SIGSYS_ },
	{ PROC_WEBD,	OP_CLONE_VM,		SIGSYS_ },

	/* webd: Landlock read-only web root, no network, no socket() */
	{ PROC_WEBD,	OP_OPEN_PASSWD,		EACCES_ },
	{ PROC_WEBD,	OP_CREATE_TMP,		SIGSYS_ },
	{ PROC_WEBD,	OP_SOCKET_INET,		SIGSYS_ },
	{ PROC_WEBD,	OP_SOCKET_UNIX,		SIGSYS_ },
	{ PROC_WEBD,	OP_EXEC_SH,		SIGSYS_ },
	{ PROC_WEBD,	OP_PTRACE,		SIGSYS_ },
	{ PROC_WEBD,	OP_SETUID0,		SIGSYS_ },
	{ PROC_WEBD,	OP_MOUNT,		SIGSYS_ },
	{ PROC_WEBD,	OP_MMAP_EXEC,		SIGSYS_ },
	{ PROC_WEBD,	OP_UNSHARE_USER,	SIGSYS_ },
	{ PROC_WEBD,	OP_KILL,		SIGSYS_ },
	{ PROC_WEBD,	OP_CHROOT,		SIGSYS_ },
	{ PROC_WEBD,	OP_TIOCSTI,		SIGSYS_ },
};

static const char *
outcomes(int accept, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", (accept & SBT_OUT_SIGSYS) ? "SIGSYS " : "",
	    (accept & SBT_OUT_EPERM) ? "EPERM " : "",
	    (accept & SBT_OUT_EACCES) ? "EACCES " : "");
	return buf;
}

ParameterizedTestParameters(boundary, golden)
{
	return cr_make_param_array(struct golden_row, golden,
	    sizeof(golden) / sizeof(golden[0]));
}

ParameterizedTest(struct golden_row *row, boundary, golden, .timeout = 30)
{
	struct sbt_ctx		 ctx;
	struct sbt_result	 res;
	struct sbt_op_arg	 arg;
	char			 got[SBT_DESCRIBE_MAX], want[SBT_DESCRIBE_MAX];
	int			 out;

	memset(&ctx, 0, sizeof(ctx));
	memset(&arg, 0, sizeof(arg));
	arg.op = row->op;
	arg.target = getpid();
	snprintf(arg.tmpfile, sizeof(arg.tmpfile),
	    "/tmp/pgpmg-sbt-escape-%ld", (long)getpid());
	ctx.proc = row->proc;
	ctx.op = sbt_do_op;
	ctx.arg = &arg;
	sbt_view_for(row->proc, &ctx.view);
	sbt_run(&ctx, &res);
	unlink(arg.tmpfile);
	sbt_view_cleanup(row->proc, &ctx.view);

	cr_assert(res.entered, "%s: sandbox_enter did not finish (%s)",
	    proc_name(row->proc), sbt_describe(&res, got, sizeof(got)));
	out = sbt_outcome(&res);
	cr_assert(out & row->accept, "%s: %s: %s, want %s",
	    proc_name(row->proc), op_names[row->op],
	    sbt_describe(&res, got, sizeof(got)),
	    outcomes(row->accept, want, sizeof(want)));
}

/* ---------------------------------------------------------- state */

#define SBT_NO_CAPS	"0000000000000000"

static int
sbt_op_nothing(struct sbt_ctx *ctx)
{
	(void)ctx;
	return SBT_OK;
}

static void
check_state(enum proc_id proc)
{
	const struct sandbox_view *v;
	struct sbt_ctx		 ctx;
	struct sbt_result	 res;
	struct passwd		*pw;
	char			 want[SBT_FIELD_MAX], mynet[PATH_MAX], got[SBT_DESCRIBE_MAX];
	char			 chroot_real[PATH_MAX];
	ssize_t			 n;

	cr_assert_not_null(pw = getpwnam(sandbox_user(proc)));
	memset(&ctx, 0, sizeof(ctx));
	ctx.proc = proc;
	ctx.op = sbt_op_nothing;
	sbt_view_for(proc, &ctx.view);
	v = &ctx.view;
	if (v->chroot_dir != NULL)
		cr_assert_not_null(realpath(v->chroot_dir, chroot_real));
	sbt_run(&ctx, &res);
	sbt_view_cleanup(proc, &ctx.view);

	cr_assert(res.entered && res.exited && res.code == SBT_OK,
	    "%s: %s", proc_name(proc), sbt_describe(&res, got, sizeof(got)));
	cr_assert_str_eq(res.seccomp, "2");
	cr_assert_str_eq(res.nnp, "1");
	cr_assert_str_eq(res.capinh, SBT_NO_CAPS);
	cr_assert_str_eq(res.capprm, SBT_NO_CAPS);
	cr_assert_str_eq(res.capeff, SBT_NO_CAPS);
	cr_assert_str_eq(res.capbnd, SBT_NO_CAPS);
	cr_assert_str_eq(res.capamb, SBT_NO_CAPS);
	snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", pw->pw_uid,
	    pw->pw_uid, pw->pw_uid, pw->pw_uid);
	cr_assert_str_eq(res.uid, want, "%s runs as '%s', want '%s'",
	    proc_name(proc), res.uid, want);
	snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", pw->pw_gid,
	    pw->pw_gid, pw->pw_gid, pw->pw_gid);
	cr_assert_str_eq(res.gid, want);
	snprintf(want, sizeof(want), "%u", pw->pw_gid);
	cr_assert(strncmp(res.groups, want, strlen(want)) == 0 &&
	    strspn(res.groups + strlen(want), " ") ==
	    strlen(res.groups + strlen(want)), "groups '%s'", res.groups);

	cr_assert((n = readlink("/proc/self/ns/net", mynet,
	    sizeof(mynet) - 1)) > 0);
	mynet[n] = '\0';
	if (res.state.netns)
		cr_assert_str_neq(res.netns, mynet,
		    "%s still in the host network namespace", proc_name(proc));
	else
		cr_assert_str_eq(res.netns, mynet);

	if (res.state.chrooted)
		cr_assert_str_eq(res.root, chroot_real);
	else {
		cr_assert_str_eq(res.root, "/");
		cr_assert_geq(res.state.landlock_abi, 1);
	}
}

Test(state, smtpd)
{
	check_state(PROC_SMTPD);
}

Test(state, cryptod)
{
	check_state(PROC_CRYPTOD);
}

Test(state, keyd)
{
	check_state(PROC_KEYD);
}

Test(state, policyd)
{
	check_state(PROC_POLICYD);
}

Test(state, webd)
{
	check_state(PROC_WEBD);
}

/* The table itself: each process has the filesystem mode, network and
 * user that docs/SECURITY.md promises. */
Test(state, profiles)
{
	cr_assert_str_eq(sandbox_user(PROC_SMTPD), "_pgpmg_smtpd");
	cr_assert_str_eq(sandbox_user(PROC_CRYPTOD), "_pgpmg_cryptod");
	cr_assert_str_eq(sandbox_user(PROC_KEYD), "_pgpmg_keyd");
	cr_assert_str_eq(sandbox_user(PROC_POLICYD), "_pgpmg_policyd");
	cr_assert_str_eq(sandbox_user(PROC_WEBD), "_pgpmg_webd");
	cr_assert_null(sandbox_user(PROC_PARENT));
}

/* ---------------------------------------------------------- threads */

/* What the golden table cannot show, since it lists refusals: under
 * policyd's profile a thread starts, runs and is joined (the suite's
 * test_work.c runs policyd's own password thread there). */
Test(threads, policyd_may_start_threads, .timeout = 30)
{
	struct sbt_ctx		 ctx;
	struct sbt_result	 res;
	struct sbt_op_arg	 arg;
	char			 got[SBT_DESCRIBE_MAX];

	memset(&ctx, 0, sizeof(ctx));
	memset(&arg, 0, sizeof(arg));
	arg.op = OP_THREAD;
	ctx.proc = PROC_POLICYD;
	ctx.op = sbt_do_op;
	ctx.arg = &arg;
	sbt_view_for(PROC_POLICYD, &ctx.view);
	sbt_run(&ctx, &res);
	sbt_view_cleanup(PROC_POLICYD, &ctx.view);
	cr_assert(res.entered && res.exited && res.code == SBT_OK,
	    "policyd: pthread_create: %s", sbt_describe(&res, got,
	    sizeof(got)));
}

/* ---------------------------------------------------------- steps */

#define SBT_SECRET_ENV	"PGPMG_SBT_SECRET"
#define SBT_SECRET	"hunter2-database-password"
/* fds the test opens before the sandbox: some kept, some not */
#define SBT_FD_KEEP_A	50
#define SBT_FD_DROP_A	51
#define SBT_FD_DROP_B	52
#define SBT_FD_KEEP_B	55
#define SBT_FD_DROP_C	70

extern char **environ;

static int
fds_before(struct sbt_ctx *ctx)
{
	const int	 fds[] = { SBT_FD_KEEP_A, SBT_FD_DROP_A, SBT_FD_DROP_B,
	    SBT_FD_KEEP_B, SBT_FD_DROP_C };
	int		 fd;

	if ((fd = open("/dev/null", O_RDONLY)) == -1)
		return -1;
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (dup2(fd, fds[i]) == -1)
			return -1;
	close(fd);
	/* keep[] out of order, to exercise the sort */
	ctx->keep[ctx->nkeep++] = SBT_FD_KEEP_B;
	ctx->keep[ctx->nkeep++] = SBT_FD_KEEP_A;
	return setenv(SBT_SECRET_ENV, SBT_SECRET, 1);
}

static int
fds_op(struct sbt_ctx *ctx)
{
	(void)ctx;
	if (fcntl(SBT_FD_KEEP_A, F_GETFD) == -1 ||
	    fcntl(SBT_FD_KEEP_B, F_GETFD) == -1)
		return SBT_WORK_FAILED;
	if (fcntl(SBT_FD_DROP_A, F_GETFD) != -1 ||
	    fcntl(SBT_FD_DROP_B, F_GETFD) != -1 ||
	    fcntl(SBT_FD_DROP_C, F_GETFD) != -1)
		return SBT_WORK_FAILED + 10;
	if (environ != NULL && environ[0] != NULL)
		return SBT_WORK_FAILED + 20;
	if (getenv(SBT_SECRET_ENV) != NULL)
		return SBT_WORK_FAILED + 30;
	return SBT_OK;
}

Test(steps, closes_fds_and_clears_environment)
{
	struct sbt_ctx		 ctx;
	struct sbt_result	 res;
	char			 got[SBT_DESCRIBE_MAX];

	memset(&ctx, 0, sizeof(ctx));
	ctx.proc = PROC_SMTPD;
	ctx.before = fds_before;
	ctx.op = fds_op;
	sbt_view_for(PROC_SMTPD, &ctx.view);
	sbt_run(&ctx, &res);
	sbt_view_cleanup(PROC_SMTPD, &ctx.view);
	cr_assert(res.entered && res.exited && res.code == SBT_OK, "%s",
	    sbt_describe(&res, got, sizeof(got)));
}

/* A set-up that sandbox_enter() must refuse: the child dies with a fatal
 * line before it ever reports ready. */
static void
expect_fatal(enum proc_id proc, struct sandbox_view *view, sbt_child_fn before)
{
	struct sbt_ctx		 ctx;
	struct sbt_result	 res;
	char			 got[SBT_DESCRIBE_MAX];

	memset(&ctx, 0, sizeof(ctx));
	ctx.proc = proc;
	ctx.view = *view;
	ctx.before = before;
	ctx.op = sbt_op_nothing;
	sbt_run(&ctx, &res);
	cr_assert(!res.entered && res.exited && res.code == SBT_FATAL,
	    "%s: want a fatal exit, got %s", proc_name(proc),
	    sbt_describe(&res, got, sizeof(got)));
}

Test(steps, chroot_writable_by_others_is_fatal)
{
	struct sandbox_view	 v;

	memset(&v, 0, sizeof(v));
	v.chroot_dir = sbt_mkdir("bad", 0777, 0, 0);
	expect_fatal(PROC_SMTPD, &v, NULL);
	sbt_rmtree(v.chroot_dir);
}

Test(steps, chroot_writable_by_group_is_fatal)
{
	struct sandbox_view	 v;

	memset(&v, 0, sizeof(v));
	v.chroot_dir = sbt_mkdir("bad", 0775, 0, 0);
	expect_fatal(PROC_POLICYD, &v, NULL);
	sbt_rmtree(v.chroot_dir);
}

Test(steps, chroot_not_owned_by_root_is_fatal)
{
	struct sandbox_view	 v;
	uid_t			 uid;
	gid_t			 gid;

	sbt_user("_pgpmg_smtpd", &uid, &gid);
	memset(&v, 0, sizeof(v));
	v.chroot_dir = sbt_mkdir("bad", 0755, uid, gid);
	expect_fatal(PROC_SMTPD, &v, NULL);
	sbt_rmtree(v.chroot_dir);
}

/* Only policyd's chroot may belong to another service's user. */
Test(steps, chroot_of_another_user_is_fatal_for_smtpd)
{
	struct sandbox_view	 v;
	uid_t			 uid;
	gid_t			 gid;

	sbt_user("postgres", &uid, &gid);
	memset(&v, 0, sizeof(v));
	v.chroot_dir = sbt_mkdir("bad", 0755, uid, gid);
	expect_fatal(PROC_SMTPD, &v, NULL);
	sbt_rmtree(v.chroot_dir);
}

Test(steps, chroot_of_its_own_user_is_fatal_for_policyd)
{
	struct sandbox_view	 v;
	uid_t			 uid;
	gid_t			 gid;

	sbt_user("_pgpmg_policyd", &uid, &gid);
	memset(&v, 0, sizeof(v));
	v.chroot_dir = sbt_mkdir("bad", 0755, uid, gid);
	expect_fatal(PROC_POLICYD, &v, NULL);
	sbt_rmtree(v.chroot_dir);
}

Test(steps, chroot_symlink_is_fatal)
{
	struct sandbox_view	 v;
	char			*dir, link[PATH_MAX];

	dir = sbt_mkdir("bad", 0755, 0, 0);
	snprintf(link, sizeof(link), "%s-link", dir);
	cr_assert(symlink(dir, link) == 0);
	memset(&v, 0, sizeof(v));
	v.chroot_dir = link;
	expect_fatal(PROC_SMTPD, &v, NULL);
	unlink(link);
	sbt_rmtree(dir);
}

Test(steps, chroot_missing_is_fatal)
{
	struct sandbox_view	 v;

	memset(&v, 0, sizeof(v));
	expect_fatal(PROC_SMTPD, &v, NULL);
	v.chroot_dir = "/nonexistent/pgpmg-sbt";
	expect_fatal(PROC_SMTPD, &v, NULL);
}

Test(steps, landlock_path_missing_is_fatal)
{
	struct sandbox_view	 v;

	memset(&v, 0, sizeof(v));
	v.rw[0] = "/nonexistent/pgpmg-sbt-home";
	expect_fatal(PROC_CRYPTOD, &v, NULL);
}

static int
close_keep_before(struct sbt_ctx *ctx)
{
	/* an fd to keep that is not open: a bug in the caller */
	ctx->keep[ctx->nkeep++] = SBT_FD_DROP_C;
	close(SBT_FD_DROP_C);
	return 0;
}

Test(steps, keep_fd_not_open_is_fatal)
{
	struct sandbox_view	 v;

	sbt_view_for(PROC_SMTPD, &v);
	expect_fatal(PROC_SMTPD, &v, close_keep_before);
	sbt_view_cleanup(PROC_SMTPD, &v);
}

static int
not_root_before(struct sbt_ctx *ctx)
{
	uid_t	 uid;
	gid_t	 gid;

	(void)ctx;
	sbt_user("_pgpmg_smtpd", &uid, &gid);
	return setresuid(uid, uid, 0);
}

Test(steps, not_root_is_fatal)
{
	struct sandbox_view	 v;

	sbt_view_for(PROC_SMTPD, &v);
	expect_fatal(PROC_SMTPD, &v, not_root_before);
	sbt_view_cleanup(PROC_SMTPD, &v);
}

static void *
idle_thread(void *arg)
{
	(void)arg;
	pause();
	return NULL;
}

static int
thread_before(struct sbt_ctx *ctx)
{
	pthread_t	 t;

	(void)ctx;
	return pthread_create(&t, NULL, idle_thread, NULL);
}

/* A thread would keep the host's view: Landlock and seccomp are per
 * thread. */
Test(steps, second_thread_is_fatal)
{
	struct sandbox_view	 v;

	sbt_view_for(PROC_SMTPD, &v);
	expect_fatal(PROC_SMTPD, &v, thread_before);
	sbt_view_cleanup(PROC_SMTPD, &v);
}

/* ---------------------------------------------------------- fixtures */

#define PG_BIN		"/usr/lib/postgresql/15/bin"
#define PG_USER		"postgres"
/* The test key: ed25519 signing, cv25519 encryption, as the gateway's */
#define SBT_KEY_UID	"pgpmg sandbox test <sbt@example.com>"

static char	*fx_dir;		/* everything below is in here */
static char	 fx_pgdata[PATH_MAX];
static int	 fx_pg_started;

static void
fx_pg_stop(void)
{
	const char *argv[] = { PG_BIN "/pg_ctl", "-D", fx_pgdata, "-s", "-w",
	    "-m", "immediate", "stop", NULL };

	if (fx_pg_started) {
		(void)sbt_spawn(PG_USER, argv, NULL);
		fx_pg_started = 0;
	}
}

static void
fx_teardown(void)
{
	fx_pg_stop();
	if (fx_dir != NULL) {
		sbt_rmtree(fx_dir);
		fx_dir = NULL;
	}
}

static void
fx_signal(int sig)
{
	fx_teardown();
	_exit(SBT_SIGNAL_EXIT + sig);
}

static int
fx_mkdir(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	if (mkdir(path, mode) == -1 || chmod(path, mode) == -1 ||
	    chown(path, uid, gid) == -1) {
		perror(path);
		return -1;
	}
	return 0;
}

/*
 * A throwaway cluster, unix socket only, laid out as scripts/pg.sh does:
 * the socket directory belongs to the postgres user, mode 0755, and is
 * policyd's chroot; libpq is then given host=/.
 */
static int
fx_pg_start(void)
{
	char	 sock[PATH_MAX], log[PATH_MAX];
	char	 opts[PATH_MAX + 64];
	uid_t	 uid;
	gid_t	 gid;
	int	 fd;

	sbt_user(PG_USER, &uid, &gid);
	if (snprintf(fx_pgdata, sizeof(fx_pgdata), "%s/data", fx_dir) >=
	    (int)sizeof(fx_pgdata) ||
	    snprintf(sock, sizeof(sock), "%s/pgsock", fx_dir) >=
	    (int)sizeof(sock) ||
	    snprintf(log, sizeof(log), "%s/pg.log", fx_dir) >= (int)sizeof(log))
		return -1;
	if (fx_mkdir(fx_pgdata, 0700, uid, gid) == -1 ||
	    fx_mkdir(sock, 0755, uid, gid) == -1)
		return -1;
	if ((fd = open(log, O_WRONLY | O_CREAT, 0644)) == -1 ||
	    fchown(fd, uid, gid) == -1)
		return -1;
	close(fd);
	{
		const char *argv[] = { PG_BIN "/initdb", "-D", fx_pgdata,
		    "--auth=trust", "--no-sync", "-U", PG_USER, "-E", "UTF8",
		    NULL };

		if (sbt_spawn(PG_USER, argv, log) != 0) {
			fprintf(stderr, "sbtest: initdb failed, see %s\n", log);
			return -1;
		}
	}
	if (snprintf(opts, sizeof(opts), "-k %s -c listen_addresses='' "
	    "-c fsync=off", sock) >= (int)sizeof(opts))
		return -1;
	{
		const char *argv[] = { PG_BIN "/pg_ctl", "-D", fx_pgdata, "-s",
		    "-w", "-l", log, "-o", opts, "start", NULL };

		fx_pg_started = 1;
		if (sbt_spawn(PG_USER, argv, log) != 0) {
			fprintf(stderr, "sbtest: pg_ctl start failed\n");
			return -1;
		}
	}
	setenv(SBT_ENV_PGROOT, sock, 1);
	return 0;
}

/* A key pair made with gpgme; its public half, exported, is what the
 * cryptod test imports into cryptod's home. */
static int
fx_key(void)
{
	gpgme_ctx_t		 ctx;
	gpgme_data_t		 out;
	gpgme_genkey_result_t	 gr;
	gpgme_error_t		 err;
	char			 home[PATH_MAX], path[PATH_MAX];
	char			*buf;
	size_t			 len;
	FILE			*f;
	int			 rc = -1;

	if (snprintf(home, sizeof(home), "%s/gnupg", fx_dir) >=
	    (int)sizeof(home) ||
	    snprintf(path, sizeof(path), "%s/pub.asc", fx_dir) >=
	    (int)sizeof(path))
		return -1;
	if (fx_mkdir(home, 0700, 0, 0) == -1)
		return -1;
	gpgme_check_version(NULL);
	if (gpgme_new(&ctx) != 0)
		return -1;
	gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, NULL, home);
	gpgme_set_armor(ctx, 1);
	if ((err = gpgme_op_createkey(ctx, SBT_KEY_UID, "future-default", 0,
	    0, NULL, GPGME_CREATE_NOPASSWD | GPGME_CREATE_FORCE)) != 0 ||
	    (gr = gpgme_op_genkey_result(ctx)) == NULL || gr->fpr == NULL) {
		fprintf(stderr, "test_sandbox: key generation: %s\n",
		    gpgme_strerror(err));
		goto out;
	}
	/* the result lives only until the next operation on ctx */
	setenv(SBT_ENV_FPR, gr->fpr, 1);
	if (gpgme_data_new(&out) != 0)
		goto out;
	if ((err = gpgme_op_export(ctx, getenv(SBT_ENV_FPR), 0, out)) == 0 &&
	    (buf = gpgme_data_release_and_get_mem(out, &len)) != NULL) {
		if ((f = fopen(path, "w")) != NULL) {
			if (fwrite(buf, 1, len, f) == len && len > 0)
				rc = 0;
			fclose(f);
		}
		gpgme_free(buf);
	} else
		fprintf(stderr, "test_sandbox: export: %s\n",
		    gpgme_strerror(err));
	setenv(SBT_ENV_PUBKEY, path, 1);
 out:
	gpgme_release(ctx);
	sbt_kill_agent(home);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct criterion_test_set	*tests;
	int				 result = 0;

	tests = criterion_initialize();
	if (criterion_handle_args(argc, argv, true)) {
		if (geteuid() != 0) {
			fprintf(stderr, "test_sandbox: must run as root\n");
			criterion_finalize(tests);
			return 1;
		}
		signal(SIGINT, fx_signal);
		signal(SIGTERM, fx_signal);
		signal(SIGHUP, fx_signal);
		fx_dir = sbt_mkdir("fixtures", 0755, 0, 0);
		if (fx_pg_start() == -1)
			fprintf(stderr, "test_sandbox: no PostgreSQL: the "
			    "policyd tests will fail\n");
		if (fx_key() == -1)
			fprintf(stderr, "test_sandbox: no test key: the "
			    "cryptod tests will fail\n");
		result = !criterion_run_all_tests(tests);
		fx_teardown();
	}
	criterion_finalize(tests);
	return result;
}
