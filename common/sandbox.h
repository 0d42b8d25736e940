/*
 * sandbox: the one function every child calls before it reads untrusted
 * input, and the per-process profiles it applies.
 *
 * sandbox_enter() runs the steps of DESIGN.md in a fixed order: close every
 * fd not in keep[]; enter an empty network namespace (while still root, as
 * unshare(CLONE_NEWNET) needs CAP_SYS_ADMIN); restrict the filesystem view
 * (chroot, or Landlock for the processes that need files); switch to the
 * process's own user; clear all capabilities (libcap-ng); set no_new_privs;
 * install the seccomp allowlist with kill-process as the default action.
 * Any failing step is fatal: nothing fails open.  With -DSANDBOX_DEBUG the
 * default action traps instead and the handler logs the syscall's name.
 *
 * The same function and the same profiles are used by the daemons and by
 * tests/sandbox, which proves each boundary from a forked child.
 */
#ifndef PGPMG_SANDBOX_H
#define PGPMG_SANDBOX_H

#include <stddef.h>

#include "common/proc.h"

#define SANDBOX_MAX_PATHS	16

/* What the process may see of the filesystem.  Exactly one of chroot_dir
 * and the Landlock lists is used, as the process's profile says. */
struct sandbox_view {
	const char	*chroot_dir;
	const char	*ro[SANDBOX_MAX_PATHS];		/* read (files or dirs) */
	const char	*rw[SANDBOX_MAX_PATHS];		/* read, write, create (dirs) */
	const char	*exec[SANDBOX_MAX_PATHS];	/* execute + read (files) */
};

/* What sandbox_enter() achieved, reported to the parent for status. */
struct sandbox_state {
	int	 landlock_abi;	/* 0: not used */
	int	 chrooted;
	int	 netns;		/* 1: moved into an empty network namespace */
};

/* The system user each process runs as. */
const char *sandbox_user(enum proc_id);

/* Never returns on failure (fatal/fatalx). */
void	sandbox_enter(enum proc_id, const struct sandbox_view *,
	    const int *keep_fds, size_t nkeep, struct sandbox_state *);

#endif /* PGPMG_SANDBOX_H */
