/*
 * sandbox_landlock: the filesystem view of the processes that need files
 * (cryptod and keyd: their GnuPG homes and gpg; webd: its web root).
 *
 * glibc has no wrappers, so the three Landlock syscalls are made raw.  The
 * ABI is asked of the running kernel, never assumed from the headers:
 * Debian 12's <linux/landlock.h> knows ABI 1-2 while the kernels we run on
 * may offer more.  Every access right the ABI (up to the newest one this
 * file knows) can restrict is "handled", so anything not granted by a rule
 * is denied; rights the kernel does not know are simply not asked for.
 * Rules are attached to the inodes of the paths opened here, before the
 * user switch, while the paths are still reachable.
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/sandbox_internal.h"

/*
 * Rights newer than Debian 12's header.  Values are the kernel's UAPI
 * (include/uapi/linux/landlock.h); our own names so that a newer header
 * neither clashes nor silently changes them.
 */
#define SB_LL_FS_TRUNCATE		(1ULL << 14)	/* ABI 3 */
#define SB_LL_FS_IOCTL_DEV		(1ULL << 15)	/* ABI 5 */
#define SB_LL_NET_BIND_TCP		(1ULL << 0)	/* ABI 4 */
#define SB_LL_NET_CONNECT_TCP		(1ULL << 1)	/* ABI 4 */
#define SB_LL_SCOPE_ABSTRACT_UNIX	(1ULL << 0)	/* ABI 6 */
#define SB_LL_SCOPE_SIGNAL		(1ULL << 1)	/* ABI 6 */

/* The newest ABI whose rights this file knows; a newer kernel is used at
 * this level (its additions are not handled, i.e. stay unrestricted). */
#define SB_LL_ABI_KNOWN			7

/* The kernel's struct landlock_ruleset_attr as of ABI 6; older kernels
 * take a prefix of it (its size per ABI is below). */
struct sb_ll_ruleset_attr {
	uint64_t	handled_access_fs;
	uint64_t	handled_access_net;	/* ABI >= 4 */
	uint64_t	scoped;			/* ABI >= 6 */
};
#define SB_LL_ATTR_SIZE_V1	offsetof(struct sb_ll_ruleset_attr, handled_access_net)
#define SB_LL_ATTR_SIZE_V4	offsetof(struct sb_ll_ruleset_attr, scoped)
#define SB_LL_ATTR_SIZE_V6	sizeof(struct sb_ll_ruleset_attr)

#define SB_LL_FS_V1	(LANDLOCK_ACCESS_FS_EXECUTE | \
	LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE | \
	LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_REMOVE_DIR | \
	LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR | \
	LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG | \
	LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO | \
	LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM)

/* The rights that mean something on a file (not a directory); the kernel
 * refuses a rule on a file that grants any other. */
#define SB_LL_FS_FILE	(LANDLOCK_ACCESS_FS_EXECUTE | \
	LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE | \
	SB_LL_FS_TRUNCATE | SB_LL_FS_IOCTL_DEV)

/* What each kind of rule grants (then masked by what the ABI handles).
 * rw leaves out device nodes, fifos and symlinks: GnuPG makes none. */
#define SB_LL_RIGHTS_RO	(LANDLOCK_ACCESS_FS_READ_FILE | \
	LANDLOCK_ACCESS_FS_READ_DIR)
#define SB_LL_RIGHTS_RW	(SB_LL_RIGHTS_RO | LANDLOCK_ACCESS_FS_WRITE_FILE | \
	LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE | \
	LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG | \
	LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_REFER | \
	SB_LL_FS_TRUNCATE | SB_LL_FS_IOCTL_DEV)
#define SB_LL_RIGHTS_EXEC (LANDLOCK_ACCESS_FS_EXECUTE | \
	LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)

static int
ll_create_ruleset(const struct sb_ll_ruleset_attr *attr, size_t size,
    uint32_t flags)
{
	return (int)syscall(SYS_landlock_create_ruleset, attr, size, flags);
}

static int
ll_add_rule(int ruleset, enum landlock_rule_type type, const void *attr)
{
	return (int)syscall(SYS_landlock_add_rule, ruleset, type, attr, 0);
}

static int
ll_restrict_self(int ruleset)
{
	return (int)syscall(SYS_landlock_restrict_self, ruleset, 0);
}

int
sandbox_landlock_abi(void)
{
	int	 abi;

	abi = ll_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0)
		return 0;
	return abi;
}

/* Every filesystem right this ABI can restrict. */
static uint64_t
ll_fs_handled(int abi)
{
	uint64_t	 fs = SB_LL_FS_V1;

	if (abi >= 2)
		fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		fs |= SB_LL_FS_TRUNCATE;
	if (abi >= 5)
		fs |= SB_LL_FS_IOCTL_DEV;
	return fs;
}

static uint64_t
ll_rights(enum sandbox_access access)
{
	switch (access) {
	case SANDBOX_RO:
		return SB_LL_RIGHTS_RO;
	case SANDBOX_RW:
		return SB_LL_RIGHTS_RW;
	case SANDBOX_EXEC:
		return SB_LL_RIGHTS_EXEC;
	}
	fatalx("sandbox: landlock: unknown access %d", (int)access);
}

/*
 * One rule: the path is opened O_PATH (following symlinks, so /lib64 means
 * what it points to) and the rights are cut down to what the ABI handles
 * and, for a file, to the rights that apply to files.
 */
static void
ll_add_path(int ruleset, uint64_t handled, const char *path,
    enum sandbox_access access, int optional)
{
	struct landlock_path_beneath_attr	 pb;
	struct stat				 st;
	int					 fd;

	if ((fd = open(path, O_PATH | O_CLOEXEC)) == -1) {
		if (optional && errno == ENOENT)
			return;
		fatal("sandbox: landlock: %s", path);
	}
	if (fstat(fd, &st) == -1)
		fatal("sandbox: landlock: fstat %s", path);
	memset(&pb, 0, sizeof(pb));
	pb.parent_fd = fd;
	pb.allowed_access = ll_rights(access) & handled;
	if (!S_ISDIR(st.st_mode))
		pb.allowed_access &= SB_LL_FS_FILE;
	if (ll_add_rule(ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb) == -1)
		fatal("sandbox: landlock: rule for %s", path);
	close(fd);
}

static void
ll_add_list(int ruleset, uint64_t handled, const char *const *list,
    enum sandbox_access access)
{
	for (size_t i = 0; i < SANDBOX_MAX_PATHS && list[i] != NULL; i++)
		ll_add_path(ruleset, handled, list[i], access, 0);
}

int
sandbox_landlock_apply(const struct sandbox_profile *prof,
    const struct sandbox_view *view)
{
	struct sb_ll_ruleset_attr	 attr;
	size_t				 size;
	int				 abi, ruleset;

	if ((abi = sandbox_landlock_abi()) <= 0)
		fatalx("sandbox: %s needs Landlock, which this kernel lacks "
		    "or has disabled", proc_name(prof->proc));
	if (abi > SB_LL_ABI_KNOWN)
		abi = SB_LL_ABI_KNOWN;

	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = ll_fs_handled(abi);
	size = SB_LL_ATTR_SIZE_V1;
	if (abi >= 4) {
		/* No rule grants TCP: none of these processes has a
		 * network, this only backs up the netns and seccomp. */
		attr.handled_access_net = SB_LL_NET_BIND_TCP |
		    SB_LL_NET_CONNECT_TCP;
		size = SB_LL_ATTR_SIZE_V4;
	}
	if (abi >= 6) {
		/* No signals to, nor abstract sockets of, processes outside
		 * this domain; gpg and gpg-agent are inside it. */
		attr.scoped = SB_LL_SCOPE_ABSTRACT_UNIX | SB_LL_SCOPE_SIGNAL;
		size = SB_LL_ATTR_SIZE_V6;
	}
	if ((ruleset = ll_create_ruleset(&attr, size, 0)) == -1)
		fatal("sandbox: landlock_create_ruleset (abi %d)", abi);

	for (size_t i = 0; i < SANDBOX_MAX_PATHLISTS &&
	    prof->paths[i] != NULL; i++) {
		for (const struct sandbox_path *p = prof->paths[i];
		    p->path != NULL; p++)
			ll_add_path(ruleset, attr.handled_access_fs, p->path,
			    p->access, p->optional);
	}
	ll_add_list(ruleset, attr.handled_access_fs, view->ro, SANDBOX_RO);
	ll_add_list(ruleset, attr.handled_access_fs, view->rw, SANDBOX_RW);
	ll_add_list(ruleset, attr.handled_access_fs, view->exec, SANDBOX_EXEC);

	/*
	 * landlock_restrict_self() wants no_new_privs or CAP_SYS_ADMIN; we
	 * are still root here, and no_new_privs follows a few steps later.
	 */
	if (ll_restrict_self(ruleset) == -1)
		fatal("sandbox: landlock_restrict_self");
	close(ruleset);
	return abi;
}
