/*
 * sandbox: sandbox_enter(), the steps every child takes, as root, between
 * its pre-jail set-up and its event loop.  Each step either succeeds and is
 * checked, or the process dies with a fatal line: nothing fails open.
 *
 * The order differs from DESIGN.md's list in one place: the empty network
 * namespace comes second, not after no_new_privs, because unshare(
 * CLONE_NEWNET) needs CAP_SYS_ADMIN, which is gone once the user switch and
 * capng_apply() have run.  Doing it earlier takes nothing away: no network
 * is used in between.  Likewise the capability bounding and ambient sets
 * are emptied just before the user switch, while CAP_SETPCAP still holds.
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <cap-ng.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/sandbox_internal.h"

/* keep[] is copied and sorted on the stack; a child keeps its parent
 * channel, a listener and a few peers, far fewer than this. */
#define SANDBOX_MAX_KEEP	64

/* getgroups() is asked for one more group than the one we set, so that
 * a leftover group shows. */
#define SANDBOX_GROUPS_PROBE	2

extern char **environ;

/* close_range() is in every kernel we support (5.9+); without it we
 * could not be sure what stays open, so its failure is fatal. */
static void
sb_close_range(unsigned int lo, unsigned int hi)
{
	if (lo > hi)
		return;
	if (close_range(lo, hi, 0) == -1)
		fatal("sandbox: close_range %u-%u", lo, hi);
}

static int
sb_cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/*
 * Landlock, unshare and the filter apply to the calling thread only, and
 * glibc's set*id broadcast would not help them: a second thread would
 * keep the host's view.  Children are single-threaded by design; check.
 */
static void
sb_check_single_thread(void)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir("/proc/self/task")) == NULL)
		fatal("sandbox: /proc/self/task");
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.')
			n++;
	}
	closedir(d);
	if (n != 1)
		fatalx("sandbox: %d threads; sandbox_enter() must run "
		    "before any thread is started", n);
}

/* Step 1: close every fd >= 3 not in keep[]; wipe and drop the environment,
 * which may hold secrets (a database password, an agent's address). */
static void
sb_close_and_wipe(const int *keep, size_t nkeep)
{
	int		 sorted[SANDBOX_MAX_KEEP];
	unsigned int	 lo = STDERR_FILENO + 1;

	if (nkeep > SANDBOX_MAX_KEEP)
		fatalx("sandbox: %zu fds to keep, more than %d", nkeep,
		    SANDBOX_MAX_KEEP);
	for (size_t i = 0; i < nkeep; i++) {
		if (keep[i] < 0 || fcntl(keep[i], F_GETFD) == -1)
			fatalx("sandbox: fd %d to keep is not open", keep[i]);
		sorted[i] = keep[i];
	}
	qsort(sorted, nkeep, sizeof(sorted[0]), sb_cmp_int);
	for (size_t i = 0; i < nkeep; i++) {
		unsigned int k = (unsigned int)sorted[i];

		if (k < lo)
			continue;	/* stdio, or a duplicate */
		sb_close_range(lo, k - 1);
		lo = k + 1;
	}
	sb_close_range(lo, ~0U);

	if (environ != NULL) {
		for (char **e = environ; *e != NULL; e++)
			explicit_bzero(*e, strlen(*e));
	}
	if (clearenv() != 0)
		fatalx("sandbox: clearenv failed");
}

/*
 * Step 4, chroot profiles: the directory must be root's (or, where the
 * profile allows it, another service's, never the process's own user's)
 * and writable by no group or other, or whoever can write it could plant
 * files in our root.  It is checked through the fd we then enter, so it
 * cannot be swapped between the check and the chroot.
 */
static void
sb_chroot(const char *dir, uid_t self, int owner_other)
{
	struct stat	 st;
	int		 fd;

	if (dir == NULL || dir[0] != '/')
		fatalx("sandbox: chroot directory not set or not absolute");
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		fatal("sandbox: chroot directory %s", dir);
	if (fstat(fd, &st) == -1)
		fatal("sandbox: fstat %s", dir);
	if (st.st_uid == self)
		fatalx("sandbox: chroot directory %s is owned by the "
		    "process's own user", dir);
	if (st.st_uid != 0 && !owner_other)
		fatalx("sandbox: chroot directory %s is not owned by root",
		    dir);
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		fatalx("sandbox: chroot directory %s is writable by group "
		    "or others", dir);
	if (fchdir(fd) == -1)
		fatal("sandbox: fchdir %s", dir);
	if (chroot(".") == -1)
		fatal("sandbox: chroot %s", dir);
	if (chdir("/") == -1)
		fatal("sandbox: chdir / in %s", dir);
	close(fd);
}

/* The capability sets of this process, all three words of both halves. */
static int
sb_caps_empty(void)
{
	struct __user_cap_header_struct	 hdr;
	struct __user_cap_data_struct	 data[_LINUX_CAPABILITY_U32S_3];

	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	if (syscall(SYS_capget, &hdr, data) == -1)
		fatal("sandbox: capget");
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
		if (data[i].effective != 0 || data[i].permitted != 0 ||
		    data[i].inheritable != 0)
			return 0;
	}
	/* The bounding and ambient sets: asked cap by cap until the kernel
	 * says the number is past its last capability. */
	for (int cap = 0; ; cap++) {
		int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		if (r == -1 && errno == EINVAL)
			break;
		if (r != 0)
			return 0;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap,
		    0, 0) != 0)
			return 0;
	}
	return 1;
}

/* Steps 5 and 6: the user switch, then no capability left anywhere. */
static void
sb_drop_privileges(const char *user, uid_t uid, gid_t gid)
{
	uid_t	 ruid, euid, suid;
	gid_t	 rgid, egid, sgid, groups[SANDBOX_GROUPS_PROBE];
	int	 ngroups;

	/*
	 * Emptying the bounding set takes CAP_SETPCAP, which the user switch
	 * removes; so the bounding and ambient sets go first, and only the
	 * effective/permitted/inheritable sets are left for after it.
	 */
	capng_clear(CAPNG_SELECT_ALL);
	if (capng_apply(CAPNG_SELECT_BOUNDS | CAPNG_SELECT_AMBIENT) != 0)
		fatalx("sandbox: capng_apply (bounding, ambient) failed");

	if (setgroups(1, &gid) == -1)
		fatal("sandbox: setgroups");
	if (setresgid(gid, gid, gid) == -1)
		fatal("sandbox: setresgid %s", user);
	if (setresuid(uid, uid, uid) == -1)
		fatal("sandbox: setresuid %s", user);

	if (getresuid(&ruid, &euid, &suid) == -1 ||
	    getresgid(&rgid, &egid, &sgid) == -1)
		fatal("sandbox: getresuid");
	if (ruid != uid || euid != uid || suid != uid ||
	    rgid != gid || egid != gid || sgid != gid)
		fatalx("sandbox: user switch to %s did not stick", user);
	if ((ngroups = getgroups(SANDBOX_GROUPS_PROBE, groups)) != 1 ||
	    groups[0] != gid)
		fatalx("sandbox: supplementary groups of %s not cleared",
		    user);
	if (setuid(0) != -1 || setgid(0) != -1)
		fatalx("sandbox: could become root again after the switch");

	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_apply(CAPNG_SELECT_CAPS) != 0)
		fatalx("sandbox: capng_apply failed");
	if (!sb_caps_empty())
		fatalx("sandbox: capabilities left after clearing them");
}

void
sandbox_enter(enum proc_id proc, const struct sandbox_view *view,
    const int *keep, size_t nkeep, struct sandbox_state *state)
{
	const struct sandbox_profile	*prof;
	struct passwd			*pw;
	uid_t				 uid;
	gid_t				 gid;
	pid_t				 ppid = getppid();

	if ((prof = sandbox_profile(proc)) == NULL)
		fatalx("sandbox: no profile for %s", proc_name(proc));
	if (geteuid() != 0)
		fatalx("sandbox: %s must enter its sandbox as root",
		    proc_name(proc));
	memset(state, 0, sizeof(*state));
	sb_check_single_thread();

	/* 1. What it does not need, and secrets. */
	sb_close_and_wipe(keep, nkeep);

	/* 2. The empty network namespace, while CAP_SYS_ADMIN holds (see
	 * the top of this file for why this is not later). */
	if (prof->netns) {
		if (unshare(CLONE_NEWNET) == -1)
			fatal("sandbox: unshare(CLONE_NEWNET)");
		state->netns = 1;
	}

	/* 3. The user, looked up while /etc/passwd is still in view. */
	if ((pw = getpwnam(proc_user(proc))) == NULL)
		fatalx("sandbox: no user %s (scripts/ensure-users.sh makes "
		    "it)", proc_user(proc));
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	endpwent();
	if (uid == 0 || gid == 0)
		fatalx("sandbox: user %s is root", proc_user(proc));

	/* 4. The filesystem view.  Landlock's ruleset is built and
	 * applied as root, which stands in for no_new_privs. */
	switch (prof->fs) {
	case SANDBOX_FS_CHROOT:
		sb_chroot(view->chroot_dir, uid, prof->chroot_owner_other);
		state->chrooted = 1;
		break;
	case SANDBOX_FS_LANDLOCK:
		state->landlock_abi = sandbox_landlock_apply(prof, view);
		break;
	default:
		fatalx("sandbox: %s: unknown filesystem mode", proc_name(proc));
	}

	/* 5, 6. Its own user, no capabilities. */
	sb_drop_privileges(proc_user(proc), uid, gid);

	/* 7. No way back up through exec; no core, no ptrace by our own
	 * user (keyd's memory holds secret keys).  The parent-death signal
	 * was cleared by the credential change: set it again, then make
	 * sure the parent did not die before it was set. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("sandbox: PR_SET_NO_NEW_PRIVS");
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		fatalx("sandbox: no_new_privs did not stick");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("sandbox: PR_SET_DUMPABLE");
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1)
		fatal("sandbox: PR_SET_PDEATHSIG");
	if (getppid() != ppid)
		fatalx("sandbox: parent exited during sandbox set-up");

	/* 8. The syscall allowlist, last: every step above needed calls
	 * that it refuses. */
	sandbox_seccomp_apply(prof);
}
