/*
 * The host-side directories the children need, made (or checked) by the
 * parent as root before any child starts: the empty chroot, keyd's and each
 * cryptod worker's GnuPG home, and the control socket's directory.  A
 * directory with the wrong owner or mode is fixed when we made it and
 * refused otherwise, so a misconfiguration never widens a sandbox.
 */
#include <sys/stat.h>

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "pgpmgd/pgpmgd.h"

static uid_t
user_uid(enum proc_id proc, gid_t *gid)
{
	struct passwd	*pw;
	const char	*name = proc_user(proc);

	if ((pw = getpwnam(name)) == NULL)
		fatalx("system user %s does not exist (scripts/ensure-users.sh "
		    "creates the users)", name);
	*gid = pw->pw_gid;
	return pw->pw_uid;
}

/* mkdir -p for the parents, root-owned 0755. */
static void
mkdir_parents(const char *path)
{
	char	 buf[4096];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		fatalx("path too long: %s", path);
	for (char *p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) == -1 && errno != EEXIST)
			fatal("mkdir %s", buf);
		*p = '/';
	}
}

static void
ensure_dir(const char *path, uid_t uid, gid_t gid, mode_t mode)
{
	struct stat	 st;

	mkdir_parents(path);
	if (mkdir(path, mode) == 0) {
		if (chown(path, uid, gid) == -1 || chmod(path, mode) == -1)
			fatal("set owner of %s", path);
	} else if (errno != EEXIST)
		fatal("mkdir %s", path);
	if (lstat(path, &st) == -1)
		fatal("%s", path);
	if (!S_ISDIR(st.st_mode))
		fatalx("%s: not a directory", path);
	if (st.st_uid != uid || (st.st_mode & 07777) != mode)
		fatalx("%s: must be owned by uid %ld with mode %04o "
		    "(is uid %ld, mode %04o)", path, (long)uid, (unsigned)mode,
		    (long)st.st_uid, (unsigned)(st.st_mode & 07777));
}

void
prepare_dirs(void)
{
	struct pgpmg_conf	*conf = &pgpmgd->conf;
	char			 path[4096];
	uid_t			 uid;
	gid_t			 gid;

	/* Look every user up now: a missing one is a clear error at start. */
	for (int p = PROC_SMTPD; p < PROC_MAX; p++)
		(void)user_uid((enum proc_id)p, &gid);

	ensure_dir(conf->chroot_dir, 0, 0, 0755);
	uid = user_uid(PROC_KEYD, &gid);
	ensure_dir(conf->keyd_home, uid, gid, 0700);
	ensure_dir(conf->cryptod_home, 0, 0, 0755);
	uid = user_uid(PROC_CRYPTOD, &gid);
	for (unsigned i = 0; i < conf->cryptod_workers; i++) {
		snprintf(path, sizeof(path), "%s/%u", conf->cryptod_home, i);
		ensure_dir(path, uid, gid, 0700);
	}

	mkdir_parents(conf->control_socket);
}
