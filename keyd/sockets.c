/*
 * keyd's GnuPG home and the agent's sockets.
 *
 * Before the sandbox, as root, keyd binds the listening sockets that
 * gpg-agent gets by fd (systemd's socket protocol): the standard socket in
 * keyd's home, for keyd's own gpg, and the restricted extra socket under
 * cryptod-home/agent, a directory pgpmgd made for _pgpmg_keyd with
 * _pgpmg_cryptod's group and mode 0750: the directory decides who may
 * connect, the socket itself is 0666.  The socket of keyd's pinentry
 * service (pinserve.c) is made here too.  Each is given to _pgpmg_keyd
 * without following a link, and with a umask that gives it its mode at
 * birth.
 *
 * After the sandbox, as _pgpmg_keyd, keyd writes gpg.conf and
 * gpg-agent.conf into its home at every start (what an administrator
 * changed there is overwritten: these settings are part of the design).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "keyd/keyd.h"

/* Pending connections per socket: cryptod workers and keyd's gpg. */
#define SOCK_BACKLOG	64

static void
sock_path(char *dst, const char *dir, const char *sub, const char *name)
{
	int	 n;

	if (sub != NULL)
		n = snprintf(dst, KEYD_SOCK_MAX, "%s/%s/%s", dir, sub, name);
	else
		n = snprintf(dst, KEYD_SOCK_MAX, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= KEYD_SOCK_MAX)
		fatalx("socket path %s/%s%s%s is longer than a unix socket "
		    "path may be (%zu bytes): choose a shorter directory",
		    dir, sub ? sub : "", sub ? "/" : "", name,
		    KEYD_SOCK_MAX - 1);
}

static int
sock_listen(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	mode_t			 old;
	int			 fd;

	/* A stale socket from the last run goes; anything else stays and
	 * makes bind() fail, which is fatal. */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    unlink(path) == -1)
		fatal("unlink %s", path);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fatal("socket");
	old = umask(~mode & 0777);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fatal("bind %s", path);
	umask(old);
	if (lchown(path, uid, gid) == -1)
		fatal("chown %s", path);
	if (listen(fd, SOCK_BACKLOG) == -1)
		fatal("listen %s", path);
	return fd;
}

/* cryptod-home/agent: made by pgpmgd; keyd only checks that it is what
 * the boundary needs (no one else may put a socket there). */
static void
check_agent_dir(const char *cryptod_home, uid_t uid)
{
	char		 dir[PATH_MAX];
	struct stat	 st;
	struct passwd	*pw;
	gid_t		 gid;

	if ((pw = getpwnam(proc_user(PROC_CRYPTOD))) == NULL)
		fatalx("no user %s", proc_user(PROC_CRYPTOD));
	gid = pw->pw_gid;
	endpwent();

	if (snprintf(dir, sizeof(dir), "%s/%s", cryptod_home,
	    KEYD_AGENT_DIR) >= (int)sizeof(dir))
		fatalx("cryptod-home too long");
	if (lstat(dir, &st) == -1)
		fatal("%s", dir);
	if (!S_ISDIR(st.st_mode) || st.st_uid != uid || st.st_gid != gid ||
	    (st.st_mode & 07777) != 0750)
		fatalx("%s must be a directory of %s, group of %s, mode 0750",
		    dir, proc_user(PROC_KEYD), proc_user(PROC_CRYPTOD));
}

void
sockets_make(struct keyd *k)
{
	const struct pgpmg_conf	*conf = k->conf;
	struct passwd		*pw;
	uid_t			 uid;
	gid_t			 gid;

	if ((pw = getpwnam(proc_user(PROC_KEYD))) == NULL)
		fatalx("no user %s", proc_user(PROC_KEYD));
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	endpwent();

	sock_path(k->std_path, conf->keyd_home, NULL, KEYD_STD_SOCKET);
	sock_path(k->pin_path, conf->keyd_home, NULL, KEYD_PIN_SOCKET);
	sock_path(k->extra_path, conf->cryptod_home, KEYD_AGENT_DIR,
	    KEYD_EXTRA_SOCKET);
	check_agent_dir(conf->cryptod_home, uid);

	k->std_fd = sock_listen(k->std_path, 0600, uid, gid);
	k->pin_fd = sock_listen(k->pin_path, 0600, uid, gid);
	k->extra_fd = sock_listen(k->extra_path, 0666, uid, gid);
}

/* Write a file of keyd's home whole, or not at all (temp + rename). */
void
home_write(const char *home, const char *name, const char *text)
{
	char	 path[PATH_MAX], tmp[PATH_MAX];
	size_t	 len = strlen(text), off = 0;
	ssize_t	 n;
	int	 fd;

	if (snprintf(path, sizeof(path), "%s/%s", home, name) >=
	    (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", home, name) >=
	    (int)sizeof(tmp))
		fatalx("keyd-home too long");
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		fatal("create %s", tmp);
	while (off < len) {
		if ((n = write(fd, text + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			fatal("write %s", tmp);
		}
		off += (size_t)n;
	}
	if (fsync(fd) == -1 || close(fd) == -1)
		fatal("write %s", tmp);
	if (rename(tmp, path) == -1)
		fatal("rename %s", path);
}

void
home_write_conf(struct keyd *k)
{
	char	 agent[2048];

	/* gpg never starts an agent of its own here: keyd runs the one
	 * and only agent; keys are trusted because keyd put them there. */
	home_write(k->conf->keyd_home, "gpg.conf",
	    "# Written by pgpmg's keyd at every start; do not edit.\n"
	    "no-autostart\n"
	    "trust-model always\n"
	    "no-greeting\n");
	/*
	 * - allow-preset-passphrase: keyd presets the master passphrase
	 *   for its own (standard socket) use;
	 * - s2k-count 65536, the minimum: the master passphrase is 256
	 *   random bits, which no stretching makes stronger, and every
	 *   decryption for cryptod would otherwise pay ~100 ms of S2K;
	 * - pinentry-program: keyd itself, which answers only GETPIN, from
	 *   keyd's memory, and never for the organisation key (pinserve.c).
	 *   The extra socket's clients cannot use the preset cache (gpg-agent
	 *   keeps the restricted cache apart), so this is how cryptod's
	 *   decryptions and signatures get the key unlocked;
	 * - no scdaemon, no external password cache, no trust marks.
	 */
	if (snprintf(agent, sizeof(agent),
	    "# Written by pgpmg's keyd at every start; do not edit.\n"
	    "allow-preset-passphrase\n"
	    "allow-loopback-pinentry\n"
	    "s2k-count 65536\n"
	    "pinentry-program %s\n"
	    "default-cache-ttl 3600\n"
	    "max-cache-ttl 86400\n"
	    "no-allow-external-cache\n"
	    "no-allow-mark-trusted\n"
	    "disable-scdaemon\n", k->self_exe) >= (int)sizeof(agent))
		fatalx("keyd's path is too long: %s", k->self_exe);
	home_write(k->conf->keyd_home, "gpg-agent.conf", agent);
}
