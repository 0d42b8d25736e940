/*
 * sandbox_seccomp: the last step of sandbox_enter(), the syscall allowlist.
 *
 * The filter is built with libseccomp from the process's profile: its
 * syscall groups allowed outright, then the calls that are only allowed
 * with certain arguments (socket() families, mmap/mprotect without
 * PROT_EXEC, read-only or refused openat(), two ioctls, clone() without
 * namespace flags, or with exactly a thread's flags).  Everything else
 * kills the whole process with SIGSYS; libseccomp adds the architecture
 * check that keeps a 32-bit or x32 call from slipping past the table.  A
 * SANDBOX_DEBUG build traps instead: the handler names the call on stderr
 * and makes it fail with ENOSYS, so that one run shows every call a new
 * code path needs.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "common/log.h"
#include "common/sandbox_internal.h"

/* Open flags that make an open more than a read.  O_TMPFILE is its own
 * bit plus O_DIRECTORY, and glibc's __O_TMPFILE includes O_DIRECTORY
 * too; read-only opens of a directory (webd's web root) use that bit, so
 * only the other one is refused here. */
#define SB_OPEN_WRITE_FLAGS	(O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | \
	O_APPEND | (__O_TMPFILE & ~O_DIRECTORY))

/*
 * clone() flags that would create namespaces.  A new user namespace needs
 * no privilege and hands out every capability inside it, which is a large
 * kernel surface; no process of ours needs one.
 */
#define SB_CLONE_NS_FLAGS	(CLONE_NEWNS | CLONE_NEWCGROUP | \
	CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | \
	CLONE_NEWNET)

/*
 * The clone() of glibc's pthread_create(): a thread shares the memory,
 * the files, the filesystem context, the signal handlers and the SysV
 * semaphore undo list of its process, and is one of its threads.  The
 * TLS and thread id flags that come with it make no process either.
 */
#define SB_CLONE_THREAD_FLAGS	(CLONE_VM | CLONE_FS | CLONE_FILES | \
	CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM)
/*
 * What a thread's clone() must not have, beside the flags above, which it
 * must have all of: a namespace; an exit signal (the low byte: a thread
 * has none); and the flags that make the new task a child of someone
 * else, stop the caller (vfork), hand out a pidfd or let a tracer in.
 */
#define SB_CLONE_THREAD_MASK	(SB_CLONE_THREAD_FLAGS | SB_CLONE_NS_FLAGS | \
	CSIGNAL | CLONE_VFORK | CLONE_PARENT | CLONE_PTRACE | \
	CLONE_UNTRACED | CLONE_PIDFD)

static void
sc_rule(scmp_filter_ctx ctx, uint32_t action, int nr, unsigned int nargs,
    const struct scmp_arg_cmp *args)
{
	int	 rc;

	if ((rc = seccomp_rule_add_array(ctx, action, nr, nargs, args)) < 0) {
		char *name = seccomp_syscall_resolve_num_arch(
		    SCMP_ARCH_NATIVE, nr);

		errno = -rc;
		fatal("sandbox: seccomp rule for %s", name ? name : "?");
	}
}

static void
sc_allow(scmp_filter_ctx ctx, int nr)
{
	sc_rule(ctx, SCMP_ACT_ALLOW, nr, 0, NULL);
}

static void
sc_allow1(scmp_filter_ctx ctx, int nr, struct scmp_arg_cmp cmp)
{
	sc_rule(ctx, SCMP_ACT_ALLOW, nr, 1, &cmp);
}

#ifdef SANDBOX_DEBUG
/*
 * The debug trap.  Syscall names come from libseccomp, which allocates, so
 * they are looked up before the filter goes in; the handler itself only
 * reads the table and calls write(2).
 */
#include <ucontext.h>

/* Above the highest x86_64 syscall number of current kernels (~470). */
#define SB_DEBUG_MAX_NR		512
/* "sandbox: trapped syscall " + name + " (" + number + ")\n" */
#define SB_DEBUG_LINE		128
/* Decimal digits of a syscall number, with room to spare. */
#define SB_DEBUG_DIGITS		16

static const char	*sb_debug_names[SB_DEBUG_MAX_NR];

static size_t
sb_debug_append(char *buf, size_t off, const char *s)
{
	while (*s != '\0' && off < SB_DEBUG_LINE - 1)
		buf[off++] = *s++;
	return off;
}

static void
sb_debug_sigsys(int sig, siginfo_t *si, void *vctx)
{
	ucontext_t	*uc = vctx;
	char		 line[SB_DEBUG_LINE], num[SB_DEBUG_DIGITS];
	size_t		 off = 0, n = 0;
	int		 nr = si->si_syscall, saved_errno = errno;
	unsigned int	 u = (unsigned int)nr;

	(void)sig;
	do {
		num[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0 && n < sizeof(num) - 1);
	off = sb_debug_append(line, off, "sandbox: trapped syscall ");
	off = sb_debug_append(line, off, (nr >= 0 && nr < SB_DEBUG_MAX_NR &&
	    sb_debug_names[nr] != NULL) ? sb_debug_names[nr] : "?");
	off = sb_debug_append(line, off, " (");
	while (n > 0 && off < SB_DEBUG_LINE - 3)
		line[off++] = num[--n];
	off = sb_debug_append(line, off, ")\n");
	(void)!write(STDERR_FILENO, line, off);
#if defined(__x86_64__)
	uc->uc_mcontext.gregs[REG_RAX] = -ENOSYS;
#else
#error "SANDBOX_DEBUG: set the syscall return register for this architecture"
#endif
	errno = saved_errno;
}

static void
sb_debug_install(void)
{
	struct sigaction	 sa;
	sigset_t		 set;

	for (int nr = 0; nr < SB_DEBUG_MAX_NR; nr++)
		sb_debug_names[nr] = seccomp_syscall_resolve_num_arch(
		    SCMP_ARCH_NATIVE, nr);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sb_debug_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) == -1)
		fatal("sandbox: sigaction SIGSYS");
	sigemptyset(&set);
	sigaddset(&set, SIGSYS);
	if (sigprocmask(SIG_UNBLOCK, &set, NULL) == -1)
		fatal("sandbox: sigprocmask");
	log_warnx("sandbox: SANDBOX_DEBUG build: unlisted syscalls trap "
	    "and fail with ENOSYS instead of killing the process");
}
#define SB_DEFAULT_ACTION	SCMP_ACT_TRAP
#else
#define SB_DEFAULT_ACTION	SCMP_ACT_KILL_PROCESS
#endif /* SANDBOX_DEBUG */

static void
sc_add_open(scmp_filter_ctx ctx, enum sandbox_open open_mode)
{
	switch (open_mode) {
	case SANDBOX_OPEN_REFUSE:
		sc_rule(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 0, NULL);
		sc_rule(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(open), 0, NULL);
		return;
	case SANDBOX_OPEN_READONLY:
		sc_allow1(ctx, SCMP_SYS(openat),
		    SCMP_A2(SCMP_CMP_MASKED_EQ, SB_OPEN_WRITE_FLAGS, 0));
		return;
	case SANDBOX_OPEN_ANY:
		sc_allow(ctx, SCMP_SYS(openat));
		return;
	}
	fatalx("sandbox: unknown open mode %d", (int)open_mode);
}

void
sandbox_seccomp_apply(const struct sandbox_profile *prof)
{
	scmp_filter_ctx	 ctx;
	int		 rc;

	if ((ctx = seccomp_init(SB_DEFAULT_ACTION)) == NULL)
		fatalx("sandbox: seccomp_init failed");
	/* A call made with another architecture's numbering is an attack
	 * on the table itself: kill, as for any unlisted call. */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS)) < 0) {
		errno = -rc;
		fatal("sandbox: seccomp badarch action");
	}

	for (size_t g = 0; g < SANDBOX_MAX_GROUPS &&
	    prof->groups[g] != NULL; g++) {
		const struct sandbox_sysgroup *grp = prof->groups[g];

		for (size_t i = 0; i < grp->n; i++)
			sc_allow(ctx, grp->nr[i]);
	}

	/* socket(): only the families the profile lists. */
	for (size_t i = 0; i < SANDBOX_MAX_FAMILIES &&
	    prof->families[i] != AF_UNSPEC; i++)
		sc_allow1(ctx, SCMP_SYS(socket),
		    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)prof->families[i]));
	if (prof->unix_soft) {
		struct scmp_arg_cmp unix_cmp =
		    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)AF_UNIX);

		sc_rule(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 1,
		    &unix_cmp);
	}

	/*
	 * Executable mappings only where the process runs gpg, whose fresh
	 * image inherits this filter and must map its code; elsewhere an
	 * attacker gets no new executable memory.
	 */
	if (prof->exec) {
		sc_allow(ctx, SCMP_SYS(mmap));
		sc_allow(ctx, SCMP_SYS(mprotect));
		/* fork for gpgme, threads for gpg-agent; never a namespace */
		sc_allow1(ctx, SCMP_SYS(clone),
		    SCMP_A0(SCMP_CMP_MASKED_EQ, SB_CLONE_NS_FLAGS, 0));
		/* Signals stay inside the Landlock domain on ABI >= 6. */
		sc_allow(ctx, SCMP_SYS(kill));
		sc_allow(ctx, SCMP_SYS(tgkill));
		/* gpg-agent makes itself undumpable; never the reverse. */
		{
			struct scmp_arg_cmp dump[] = {
				SCMP_A0(SCMP_CMP_EQ, PR_SET_DUMPABLE),
				SCMP_A1(SCMP_CMP_EQ, 0),
			};

			sc_rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 2, dump);
		}
		/* The agent it starts dies with it (only that signal);
		 * and the queries libcap-ng's constructor makes when the
		 * agent runs keyd as its pinentry, which change nothing. */
		if (prof->agent_supervisor) {
			struct scmp_arg_cmp pdeath[] = {
				SCMP_A0(SCMP_CMP_EQ, PR_SET_PDEATHSIG),
				SCMP_A1(SCMP_CMP_EQ, SIGKILL),
			};
			struct scmp_arg_cmp ambient[] = {
				SCMP_A0(SCMP_CMP_EQ, PR_CAP_AMBIENT),
				SCMP_A1(SCMP_CMP_EQ, PR_CAP_AMBIENT_IS_SET),
			};

			sc_rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 2,
			    pdeath);
			sc_rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 2,
			    ambient);
			sc_allow1(ctx, SCMP_SYS(prctl),
			    SCMP_A0(SCMP_CMP_EQ, PR_CAPBSET_READ));
			sc_allow1(ctx, SCMP_SYS(prctl),
			    SCMP_A0(SCMP_CMP_EQ, PR_GET_SECUREBITS));
			sc_allow1(ctx, SCMP_SYS(prctl),
			    SCMP_A0(SCMP_CMP_EQ, PR_GET_NO_NEW_PRIVS));
		}
	} else {
		sc_allow1(ctx, SCMP_SYS(mmap),
		    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
		sc_allow1(ctx, SCMP_SYS(mprotect),
		    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
		/* abort() signals itself; nobody else. */
		sc_allow1(ctx, SCMP_SYS(tgkill),
		    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
	}
	/*
	 * Threads, where the profile asks for them: exactly a thread's
	 * flags, checked with a mask, so that neither fork() nor a clone()
	 * sharing memory without being a thread nor any namespace passes;
	 * and what a new thread of glibc asks for first.
	 */
	if (prof->threads) {
		sc_allow1(ctx, SCMP_SYS(clone),
		    SCMP_A0(SCMP_CMP_MASKED_EQ, SB_CLONE_THREAD_MASK,
		    SB_CLONE_THREAD_FLAGS));
		sc_allow(ctx, SCMP_SYS(set_robust_list));
		sc_allow(ctx, SCMP_SYS(rseq));
	}
	/* glibc tries clone3 first for threads and falls back to clone,
	 * whose flags, unlike clone3's, a filter can see. */
	sc_rule(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0, NULL);

	sc_add_open(ctx, prof->open);

	/* libevent asks FIONREAD before reading; isatty() is TCGETS. */
	sc_allow1(ctx, SCMP_SYS(ioctl), SCMP_A1(SCMP_CMP_EQ, FIONREAD));
	sc_allow1(ctx, SCMP_SYS(ioctl), SCMP_A1(SCMP_CMP_EQ, TCGETS));

#ifdef SANDBOX_DEBUG
	sb_debug_install();
#endif
	if ((rc = seccomp_load(ctx)) < 0) {
		errno = -rc;
		fatal("sandbox: seccomp_load");
	}
	seccomp_release(ctx);
}
