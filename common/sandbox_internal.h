/*
 * sandbox_internal: what the sandbox's own files share and nobody else
 * needs: the shape of a process profile (sandbox_profiles.c holds the
 * table), and the two mechanisms sandbox.c drives, Landlock
 * (sandbox_landlock.c) and the seccomp filter (sandbox_seccomp.c).
 */
#ifndef PGPMG_SANDBOX_INTERNAL_H
#define PGPMG_SANDBOX_INTERNAL_H

#include <stddef.h>

#include "common/proc.h"
#include "common/sandbox.h"

enum sandbox_fs {
	SANDBOX_FS_CHROOT = 1,		/* view->chroot_dir becomes "/" */
	SANDBOX_FS_LANDLOCK		/* host tree, Landlock rules */
};

/* What openat() answers once the filter is in. */
enum sandbox_open {
	/* EACCES for every open: the process opens nothing after the
	 * sandbox, and libc's probes (locale, nsswitch, ...) fail softly
	 * instead of killing it.  Inside an empty chroot the answer would
	 * otherwise be ENOENT, which proves nothing. */
	SANDBOX_OPEN_REFUSE = 1,
	/* Read-only opens only (no write access mode, no O_CREAT, O_TRUNC,
	 * O_APPEND or O_TMPFILE); Landlock decides which files. */
	SANDBOX_OPEN_READONLY,
	/* Any open; Landlock decides (gpg writes its home). */
	SANDBOX_OPEN_ANY
};

/* How a Landlock path may be used. */
enum sandbox_access {
	SANDBOX_RO = 1,			/* read files, list directories */
	SANDBOX_RW,			/* also write, create, remove */
	SANDBOX_EXEC			/* execute (and read) */
};

/* A path every instance of a process needs, whatever the configuration
 * says: system libraries, the programs gpgme runs. */
struct sandbox_path {
	const char		*path;
	enum sandbox_access	 access;
	int			 optional;	/* skipped when absent */
};

/* A named list of syscalls, allowed without argument checks. */
struct sandbox_sysgroup {
	const char		*name;
	const int		*nr;
	size_t			 n;
};

/* socket() families one profile may open, 0 (AF_UNSPEC) ends the list. */
#define SANDBOX_MAX_FAMILIES	4
/* Syscall groups one profile is made of, NULL ends the list. */
#define SANDBOX_MAX_GROUPS	12
#define SANDBOX_MAX_PATHLISTS	2

struct sandbox_profile {
	enum proc_id		 proc;
	int			 netns;		/* unshare into an empty netns */
	enum sandbox_fs		 fs;
	/* The chroot may belong to another service's user instead of root:
	 * policyd's is PostgreSQL's socket directory, which the server must
	 * be able to write.  Never to the process's own user. */
	int			 chroot_owner_other;
	enum sandbox_open	 open;
	/* May run programs: execve, fork (clone without namespace flags),
	 * and PROT_EXEC mappings, since the gpg it runs inherits the
	 * filter and must map its libraries. */
	int			 exec;
	/* keyd, which supervises gpg-agent and is its pinentry (exec
	 * profiles only): prctl PR_SET_PDEATHSIG(SIGKILL), so the agent it
	 * forks dies with it, and the read-only queries libcap-ng's
	 * constructor makes when the agent runs keyd's binary as its
	 * pinentry (PR_CAPBSET_READ, PR_GET_SECUREBITS, PR_GET_NO_NEW_PRIVS,
	 * PR_CAP_AMBIENT_IS_SET). */
	int			 agent_supervisor;
	/* May start threads, and only threads: clone() with exactly the
	 * flags that make a thread of this process (CLONE_THREAD and what it
	 * needs), never a new process or a namespace; and the calls a new
	 * thread makes in glibc (its robust futex list, its rseq area).
	 * policyd checks passwords on a thread of its own (policyd/
	 * verifier.c).  A thread inherits this filter, the Landlock domain
	 * and the rest: threads must only be started after sandbox_enter(),
	 * which refuses to run with more than one. */
	int			 threads;
	int			 families[SANDBOX_MAX_FAMILIES];
	/* socket(AF_UNIX) fails with EACCES instead of killing, when
	 * AF_UNIX is not in families: glibc's NSS asks nscd that way. */
	int			 unix_soft;
	/* fixed Landlock rules: lists of paths, each ending in a NULL path */
	const struct sandbox_path *paths[SANDBOX_MAX_PATHLISTS];
	const struct sandbox_sysgroup *groups[SANDBOX_MAX_GROUPS];
};

const struct sandbox_profile *sandbox_profile(enum proc_id);

/*
 * Landlock: build and apply the ruleset of the profile's fixed paths and
 * the view's ro/rw/exec lists.  Needs CAP_SYS_ADMIN or no_new_privs; called
 * while still root.  Returns the ABI used.  Fatal on any failure.
 */
int	sandbox_landlock_apply(const struct sandbox_profile *,
	    const struct sandbox_view *);
/* The kernel's Landlock ABI, or 0 when Landlock is unavailable. */
int	sandbox_landlock_abi(void);

/* seccomp: build the allowlist filter of the profile and load it. */
void	sandbox_seccomp_apply(const struct sandbox_profile *);

#endif /* PGPMG_SANDBOX_INTERNAL_H */
