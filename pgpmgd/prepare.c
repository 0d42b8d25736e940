/*
 * The host-side directories the children need, made (or checked) by the
 * parent as root before any child starts: the empty chroot, keyd's and each
 * cryptod worker's GnuPG home, the directory of keyd's restricted agent
 * socket, and the control socket's directory.  A directory with the wrong
 * owner or mode is fixed when we made it and refused otherwise, so a
 * misconfiguration never widens a sandbox.
 *
 * Also made here, as root: keyd's master passphrase file when there is
 * none yet (keyd-passphrase-file, 32 random bytes in hex, root 0600),
 * policyd's column key likewise (policyd-key-file), and
 * in every worker home the gpg.conf and the Assuan redirect (S.gpg-agent)
 * that send the worker's gpg to keyd's restricted socket.  A worker home
 * belongs to _pgpmg_cryptod, so these files are written without following
 * anything that user may have put there: a new file, then a rename.
 */
#include <sys/random.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

/* Like ensure_dir, for a directory whose group matters too. */
static void
ensure_dir_group(const char *path, uid_t uid, gid_t gid, mode_t mode)
{
	struct stat	 st;

	ensure_dir(path, uid, gid, mode);
	if (lstat(path, &st) == -1)
		fatal("%s", path);
	if (st.st_gid != gid)
		fatalx("%s: must have group gid %ld (has %ld)", path,
		    (long)gid, (long)st.st_gid);
}

/*
 * Write name in the directory dfd, owned by uid:gid, replacing whatever
 * is there (a file, a link, a socket) without following it: a fresh file
 * under a temporary name, then a rename over the old one.
 */
static void
write_owned(int dfd, const char *dir, const char *name, const char *text,
    uid_t uid, gid_t gid)
{
	char	 tmp[64];
	size_t	 len = strlen(text), off = 0;
	ssize_t	 n;
	int	 fd;

	snprintf(tmp, sizeof(tmp), ".%s.pgpmgd", name);
	if (unlinkat(dfd, tmp, 0) == -1 && errno != ENOENT)
		fatal("%s/%s", dir, tmp);
	if ((fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		fatal("create %s/%s", dir, tmp);
	while (off < len) {
		if ((n = write(fd, text + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			fatal("write %s/%s", dir, tmp);
		}
		off += (size_t)n;
	}
	if (fchown(fd, uid, gid) == -1 || close(fd) == -1)
		fatal("%s/%s", dir, tmp);
	if (renameat(dfd, tmp, dfd, name) == -1)
		fatal("rename %s/%s", dir, name);
}

/* A worker's gpg: no agent of its own, keys trusted as keyd published
 * them, and its agent socket an Assuan redirect to keyd's extra socket. */
static void
prepare_worker_home(const char *home, const char *extra, uid_t uid,
    gid_t gid)
{
	char	 redirect[4200];
	int	 dfd;

	if ((dfd = open(home, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		fatal("%s", home);
	write_owned(dfd, home, "gpg.conf",
	    "# Written by pgpmgd at every start; do not edit.\n"
	    "no-autostart\n"
	    "trust-model always\n", uid, gid);
	if (snprintf(redirect, sizeof(redirect), "%%Assuan%%\nsocket=%s\n",
	    extra) >= (int)sizeof(redirect))
		fatalx("cryptod-home too long");
	write_owned(dfd, home, "S.gpg-agent", redirect, uid, gid);
	close(dfd);
}

/* True when keyd's home holds secret keys (the agent's key files). */
static int
keyd_has_secret_keys(const char *home)
{
	char		 path[4096];
	DIR		*d;
	struct dirent	*de;
	int		 found = 0;

	snprintf(path, sizeof(path), "%s/private-keys-v1.d", home);
	if ((d = opendir(path)) == NULL)
		return 0;
	while (!found && (de = readdir(d)) != NULL)
		found = strstr(de->d_name, ".key") != NULL;
	closedir(d);
	return found;
}

/*
 * A root-only secret file (keyd's passphrase, policyd's column key): 1 when
 * it exists, and then it must be a regular file of root's closed to group
 * and others; 0 when it is missing.
 */
static int
secret_file_exists(const char *key, const char *path)
{
	struct stat	 st;

	if (lstat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode) || st.st_uid != 0 ||
		    (st.st_mode & 077) != 0)
			fatalx("%s %s must be a regular file owned by root "
			    "with mode 0600", key, path);
		return 1;
	}
	if (errno != ENOENT)
		fatal("%s %s", key, path);
	return 0;
}

/* Make it: 32 random bytes in hex and a newline, root's, mode 0600. */
static void
secret_file_create(const char *path)
{
	unsigned char	 rnd[32];
	char		 hex[2 * sizeof(rnd) + 2];
	size_t		 off = 0, len;
	ssize_t		 n;
	int		 fd;

	mkdir_parents(path);
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		fatal("getrandom");
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	explicit_bzero(rnd, sizeof(rnd));
	hex[2 * sizeof(rnd)] = '\n';
	hex[2 * sizeof(rnd) + 1] = '\0';
	len = strlen(hex);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		fatal("create %s", path);
	while (off < len) {
		if ((n = write(fd, hex + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			fatal("write %s", path);
		}
		off += (size_t)n;
	}
	explicit_bzero(hex, sizeof(hex));
	if (fchown(fd, 0, 0) == -1 || fchmod(fd, 0600) == -1 ||
	    fsync(fd) == -1 || close(fd) == -1)
		fatal("%s", path);
}

/*
 * keyd's master passphrase: made once, when the file is missing and keyd's
 * home holds no secret key yet.  A missing file beside existing keys is
 * refused: a new passphrase would open none of them.
 */
static void
prepare_passphrase(const struct pgpmg_conf *conf)
{
	const char	*path = conf->keyd_passphrase_file;

	if (secret_file_exists("keyd-passphrase-file", path))
		return;
	if (keyd_has_secret_keys(conf->keyd_home))
		fatalx("keyd-passphrase-file %s is missing, but %s holds "
		    "secret keys: restore the file (a new passphrase would "
		    "unlock none of them)", path, conf->keyd_home);
	secret_file_create(path);
	log_info("created keyd's master passphrase in %s", path);
}

/*
 * policyd's column key (policyd-key-file, policyd/seal.h): made once, when
 * missing.  policyd reads it as root before its sandbox; a rotation adds a
 * new first line by hand (DESIGN-NOTES).
 */
static void
prepare_policyd_key(const struct pgpmg_conf *conf)
{
	if (secret_file_exists("policyd-key-file", conf->policyd_key_file))
		return;
	secret_file_create(conf->policyd_key_file);
	log_info("created policyd's column key in %s",
	    conf->policyd_key_file);
}

void
prepare_dirs(void)
{
	struct pgpmg_conf	*conf = &pgpmgd->conf;
	char			 path[4096], extra[4096];
	uid_t			 uid, keyd_uid;
	gid_t			 gid, keyd_gid;

	/* Look every user up now: a missing one is a clear error at start. */
	for (int p = PROC_SMTPD; p < PROC_MAX; p++)
		(void)user_uid((enum proc_id)p, &gid);

	ensure_dir(conf->chroot_dir, 0, 0, 0755);
	keyd_uid = user_uid(PROC_KEYD, &keyd_gid);
	ensure_dir(conf->keyd_home, keyd_uid, keyd_gid, 0700);
	prepare_passphrase(conf);
	prepare_policyd_key(conf);
	ensure_dir(conf->cryptod_home, 0, 0, 0755);
	uid = user_uid(PROC_CRYPTOD, &gid);

	/* keyd's restricted socket: only keyd and cryptod may enter. */
	snprintf(path, sizeof(path), "%s/agent", conf->cryptod_home);
	ensure_dir_group(path, keyd_uid, gid, 0750);
	if (snprintf(extra, sizeof(extra), "%s/S.gpg-agent.extra", path) >=
	    (int)sizeof(extra))
		fatalx("cryptod-home too long");

	for (unsigned i = 0; i < conf->cryptod_workers; i++) {
		snprintf(path, sizeof(path), "%s/%u", conf->cryptod_home, i);
		ensure_dir(path, uid, gid, 0700);
		prepare_worker_home(path, extra, uid, gid);
	}

	mkdir_parents(conf->control_socket);
}
