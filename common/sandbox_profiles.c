/*
 * sandbox_profiles: what each child may do once it is sandboxed, in one
 * table: its user, whether it gets an empty network namespace, how its
 * filesystem view is made, which socket families it may open, whether it
 * may run programs, and its syscall allowlist as a list of named groups.
 * docs/SECURITY.md explains the table; tests/sandbox proves it.
 *
 * The groups were found by running each process's normal work (the suite's
 * "work" tests) under the SANDBOX_DEBUG build, which names every call the
 * filter would have killed.  Calls that are only safe with some arguments
 * (socket, mmap, mprotect, openat, ioctl, clone, tgkill) are not in these
 * groups: sandbox_seccomp.c adds them with their argument checks, and the
 * two calls of a new thread with the profile's threads flag.
 */
#include <sys/socket.h>

#include <seccomp.h>

#include "common/sandbox_internal.h"

#define SB_NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define SB_GROUP(var, label, arr) \
	static const struct sandbox_sysgroup var = { label, arr, SB_NELEM(arr) }

/* Every process: memory, signals, time, identity, I/O on fds it holds. */
static const int sys_base[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(pread64),
	SCMP_SYS(close), SCMP_SYS(fstat), SCMP_SYS(newfstatat),
	SCMP_SYS(lseek), SCMP_SYS(fcntl),
	SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise),
	SCMP_SYS(futex),
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(sigaltstack),
	SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(restart_syscall),
	SCMP_SYS(getpid), SCMP_SYS(gettid),
	SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid),
	SCMP_SYS(getegid),
	SCMP_SYS(getrandom),
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday),
	SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep),
};
SB_GROUP(grp_base, "base", sys_base);

/* The event loop (libevent on epoll) and imsg channels, in every child. */
static const int sys_event[] = {
	SCMP_SYS(epoll_create1), SCMP_SYS(epoll_ctl), SCMP_SYS(epoll_wait),
	SCMP_SYS(epoll_pwait), SCMP_SYS(poll), SCMP_SYS(ppoll),
	SCMP_SYS(pipe2), SCMP_SYS(eventfd2),
	SCMP_SYS(recvmsg), SCMP_SYS(sendmsg),
	SCMP_SYS(recvfrom), SCMP_SYS(sendto), SCMP_SYS(shutdown),
	SCMP_SYS(getsockopt), SCMP_SYS(setsockopt),
	SCMP_SYS(getsockname), SCMP_SYS(getpeername),
};
SB_GROUP(grp_event, "event", sys_event);

/* Accepting on a listener the parent passed in. */
static const int sys_accept[] = {
	SCMP_SYS(accept4), SCMP_SYS(accept),
};
SB_GROUP(grp_accept, "accept", sys_accept);

/* Connecting a socket made with an allowed family. */
static const int sys_connect[] = {
	SCMP_SYS(connect),
};
SB_GROUP(grp_connect, "connect", sys_connect);

/* Mail in sealed memfds; a job keeps a dup of its message. */
static const int sys_memfd[] = {
	SCMP_SYS(memfd_create), SCMP_SYS(ftruncate), SCMP_SYS(dup),
};
SB_GROUP(grp_memfd, "memfd", sys_memfd);

/*
 * gpgme starting gpg, and gpg itself (the exec'd image inherits the
 * filter): process start-up, its home directory's files and locks.
 */
static const int sys_gpg[] = {
	SCMP_SYS(execve), SCMP_SYS(wait4), SCMP_SYS(dup), SCMP_SYS(dup2),
	SCMP_SYS(dup3), SCMP_SYS(close_range),
	SCMP_SYS(arch_prctl), SCMP_SYS(set_tid_address),
	SCMP_SYS(set_robust_list), SCMP_SYS(rseq), SCMP_SYS(prlimit64),
	SCMP_SYS(getppid),
	SCMP_SYS(access), SCMP_SYS(faccessat), SCMP_SYS(faccessat2),
	SCMP_SYS(getdents64), SCMP_SYS(readlink),
	SCMP_SYS(getcwd), SCMP_SYS(umask),
	SCMP_SYS(unlink), SCMP_SYS(unlinkat), SCMP_SYS(rename),
	SCMP_SYS(link), SCMP_SYS(mkdir), SCMP_SYS(rmdir), SCMP_SYS(fsync),
	SCMP_SYS(fdatasync), SCMP_SYS(statfs), SCMP_SYS(fstatfs),
	SCMP_SYS(pwrite64), SCMP_SYS(ftruncate), SCMP_SYS(fchown), SCMP_SYS(chmod),
	SCMP_SYS(fchmod), SCMP_SYS(uname), SCMP_SYS(getrusage),
	SCMP_SYS(pselect6), SCMP_SYS(select),
	/* libgcrypt locks its secure memory */
	SCMP_SYS(mlock), SCMP_SYS(munlock),
};
SB_GROUP(grp_gpg, "gpg", sys_gpg);

/* gpg-agent, which keyd's gpg starts: its sockets and its daemon life. */
static const int sys_agent[] = {
	SCMP_SYS(bind), SCMP_SYS(listen), SCMP_SYS(setsid), SCMP_SYS(chdir),
	/* it watches its home to notice when its socket is removed */
	SCMP_SYS(inotify_init), SCMP_SYS(inotify_init1),
	SCMP_SYS(inotify_add_watch), SCMP_SYS(inotify_rm_watch),
};
SB_GROUP(grp_agent, "agent", sys_agent);

/* System files gpg needs; the dynamic loader counts as executed. */
static const struct sandbox_path gpg_paths[] = {
	{ "/usr/bin/gpg",			SANDBOX_EXEC,	0 },
	{ "/lib64/ld-linux-x86-64.so.2",	SANDBOX_EXEC,	1 },
	{ "/usr/lib/x86_64-linux-gnu",		SANDBOX_RO,	1 },
	{ "/etc/ld.so.cache",			SANDBOX_RO,	1 },
	{ "/usr/share/gnupg",			SANDBOX_RO,	1 },
	{ "/etc/gnupg",				SANDBOX_RO,	1 },
	{ "/dev/null",				SANDBOX_RW,	0 },
	{ "/dev/urandom",			SANDBOX_RO,	0 },
	{ NULL, 0, 0 }
};

/* keyd's gpg also starts gpg-agent, which must run in the same walls. */
static const struct sandbox_path agent_paths[] = {
	{ "/usr/bin/gpg-agent",			SANDBOX_EXEC,	0 },
	{ NULL, 0, 0 }
};

static const struct sandbox_profile profiles[PROC_MAX] = {
	[PROC_SMTPD] = {
		.proc = PROC_SMTPD,
		.netns = 0,		/* it connects out to the relay */
		.fs = SANDBOX_FS_CHROOT,
		.open = SANDBOX_OPEN_REFUSE,
		.exec = 0,
		/* The relay.  No AF_UNIX: in the host network namespace
		 * that would reach every abstract unix socket of the host;
		 * its channels arrive as fds instead. */
		.families = { AF_INET, AF_INET6 },
		.unix_soft = 1,
		.groups = { &grp_base, &grp_event, &grp_accept, &grp_connect,
		    &grp_memfd },
	},
	[PROC_CRYPTOD] = {
		.proc = PROC_CRYPTOD,
		.netns = 1,
		.fs = SANDBOX_FS_LANDLOCK,
		.open = SANDBOX_OPEN_ANY,
		.exec = 1,
		.families = { AF_UNIX },	/* keyd's restricted agent socket */
		.paths = { gpg_paths },
		.groups = { &grp_base, &grp_event, &grp_connect, &grp_memfd,
		    &grp_gpg },
	},
	[PROC_KEYD] = {
		.proc = PROC_KEYD,
		.netns = 1,
		.fs = SANDBOX_FS_LANDLOCK,
		.open = SANDBOX_OPEN_ANY,
		.exec = 1,
		.agent_supervisor = 1,	/* gpg-agent and its pinentry */
		.families = { AF_UNIX },	/* gpg-agent's sockets */
		.paths = { gpg_paths, agent_paths },
		/* memfd: exported keys, lists and the published keyring */
		.groups = { &grp_base, &grp_event, &grp_accept, &grp_connect,
		    &grp_memfd, &grp_gpg, &grp_agent },
	},
	[PROC_POLICYD] = {
		.proc = PROC_POLICYD,
		.netns = 1,		/* a unix socket path crosses netns */
		.fs = SANDBOX_FS_CHROOT,	/* PostgreSQL's socket dir */
		.chroot_owner_other = 1,
		.open = SANDBOX_OPEN_REFUSE,
		.exec = 0,
		.families = { AF_UNIX },	/* PostgreSQL's socket */
		.threads = 1,		/* the password checks' thread */
		.groups = { &grp_base, &grp_event, &grp_connect },
	},
	[PROC_WEBD] = {
		.proc = PROC_WEBD,
		.netns = 1,		/* its listener comes from the parent */
		.fs = SANDBOX_FS_LANDLOCK,
		.open = SANDBOX_OPEN_READONLY,
		.exec = 0,
		.families = { 0 },	/* no socket() at all */
		/* memfd: key uploads to policyd, sealed */
		.groups = { &grp_base, &grp_event, &grp_accept, &grp_memfd },
	},
};

const struct sandbox_profile *
sandbox_profile(enum proc_id proc)
{
	/* The parent has no profile: its slot is all zero. */
	if ((unsigned)proc >= PROC_MAX || profiles[proc].proc == PROC_PARENT)
		return NULL;
	return &profiles[proc];
}

const char *
sandbox_user(enum proc_id proc)
{
	const struct sandbox_profile *prof = sandbox_profile(proc);

	return prof != NULL ? proc_user(proc) : NULL;
}
