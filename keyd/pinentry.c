/*
 * The keyd binary as gpg-agent's pinentry.
 *
 * gpg-agent keeps the passphrases that arrive on its restricted (extra)
 * socket in a cache of their own: what keyd presets on the standard socket
 * is invisible there, and PRESET_PASSPHRASE and loopback are refused
 * there.  So when cryptod asks for a decryption or a signature and the
 * key is not unlocked for restricted clients yet, the agent runs its
 * pinentry: this.  It speaks the pinentry side of Assuan on stdin/stdout,
 * answers GETPIN with the master passphrase it asks keyd for (keyd's
 * pinentry socket, pinserve.c, reachable by _pgpmg_keyd only), and
 * refuses everything a person would have to decide: confirmations,
 * messages, a new passphrase, and a retry after a wrong one.
 *
 * It runs inside the agent's walls, which are keyd's (same user, Landlock
 * domain and seccomp filter), and holds the passphrase only between the
 * two writes.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gpg-error.h>

#include "keyd/keyd.h"

/* Assuan lines, with room for the escaped passphrase. */
#define PE_LINE_MAX	1002
#define PE_REPLY_MAX	(KEYD_SECRET_MAX * 3 + 16)
/* How long the agent or keyd may take to say something. */
#define PE_AGENT_MS	60000
#define PE_KEYD_MS	10000
/* SETKEYINFO's value: "n/" and a keygrip, or "--clear". */
#define PE_KEYINFO_MAX	64

struct pe {
	char	 buf[PE_LINE_MAX + 1];
	size_t	 buflen;
	char	 line[PE_LINE_MAX + 1];
	char	 keyinfo[PE_KEYINFO_MAX];
	int	 repeat;	/* a new passphrase is wanted */
	int	 error;		/* the last one was wrong */
};

static int
pe_write(int fd, const char *s, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(fd, s, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
pe_say(const char *s)
{
	return pe_write(STDOUT_FILENO, s, strlen(s));
}

static int
pe_wait(int fd, int ms)
{
	struct pollfd	 pfd = { .fd = fd, .events = POLLIN };
	int		 r;

	while ((r = poll(&pfd, 1, ms)) == -1 && errno == EINTR)
		;
	return r == 1 ? 0 : -1;
}

static int
pe_read_line(struct pe *p)
{
	char	*nl;
	ssize_t	 n;

	for (;;) {
		if ((nl = memchr(p->buf, '\n', p->buflen)) != NULL) {
			size_t len = (size_t)(nl - p->buf);

			memcpy(p->line, p->buf, len);
			p->line[len] = '\0';
			p->buflen -= len + 1;
			memmove(p->buf, nl + 1, p->buflen);
			return 0;
		}
		if (p->buflen >= PE_LINE_MAX ||
		    pe_wait(STDIN_FILENO, PE_AGENT_MS) == -1)
			return -1;
		if ((n = read(STDIN_FILENO, p->buf + p->buflen,
		    PE_LINE_MAX - p->buflen)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			return -1;
		}
		p->buflen += (size_t)n;
	}
}

/*
 * Ask keyd: "GETPIN <keyinfo>\n" out, "<passphrase>\n" back, or nothing
 * when keyd refuses.  Returns the length, or -1.
 */
static ssize_t
pe_ask_keyd(const char *path, const char *keyinfo, char *out, size_t outlen)
{
	struct sockaddr_un	 sun;
	char			 req[PE_KEYINFO_MAX + 16];
	size_t			 len = 0;
	ssize_t			 n;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -1;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	snprintf(req, sizeof(req), "GETPIN %s\n", keyinfo);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    pe_write(fd, req, strlen(req)) == -1) {
		close(fd);
		return -1;
	}
	while (len < outlen) {
		if (pe_wait(fd, PE_KEYD_MS) == -1)
			break;
		if ((n = read(fd, out + len, outlen - len)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			break;
		}
		len += (size_t)n;
		if (memchr(out, '\n', len) != NULL)
			break;
	}
	close(fd);
	if (len == 0 || out[len - 1] != '\n' ||
	    memchr(out, '\n', len) != out + len - 1) {
		explicit_bzero(out, outlen);
		return -1;
	}
	out[--len] = '\0';
	return (ssize_t)len;
}

static int
pe_cancel(void)
{
	char	 line[64];

	snprintf(line, sizeof(line), "ERR %u Operation cancelled <Pinentry>\n",
	    gpg_err_make(GPG_ERR_SOURCE_PINENTRY, GPG_ERR_CANCELED));
	return pe_say(line);
}

static int
pe_getpin(struct pe *p, const char *path)
{
	char		 pass[KEYD_SECRET_MAX + 2];
	char		 line[PE_REPLY_MAX];
	size_t		 len = 0;
	ssize_t		 n;
	int		 rc;

	/* No retries: a passphrase keyd gave that failed will fail again. */
	if (p->repeat || p->error || p->keyinfo[0] == '\0' ||
	    (n = pe_ask_keyd(path, p->keyinfo, pass, sizeof(pass))) <= 0)
		return pe_cancel();
	line[len++] = 'D';
	line[len++] = ' ';
	for (ssize_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)pass[i];
		if (c == '%' || c == '\r' || c == '\n')
			len += (size_t)snprintf(line + len, sizeof(line) - len,
			    "%%%02X", c);
		else
			line[len++] = (char)c;
	}
	line[len++] = '\n';
	explicit_bzero(pass, sizeof(pass));
	rc = pe_write(STDOUT_FILENO, line, len);
	explicit_bzero(line, sizeof(line));
	return rc == 0 ? pe_say("OK\n") : -1;
}

static int
pe_command(struct pe *p, const char *path)
{
	char	*arg, out[64];

	if ((arg = strchr(p->line, ' ')) != NULL)
		*arg++ = '\0';
	else
		arg = p->line + strlen(p->line);

	if (strcmp(p->line, "GETPIN") == 0)
		return pe_getpin(p, path);
	if (strcmp(p->line, "BYE") == 0) {
		(void)pe_say("OK closing connection\n");
		return 1;
	}
	if (strcmp(p->line, "SETKEYINFO") == 0) {
		snprintf(p->keyinfo, sizeof(p->keyinfo), "%s",
		    strcmp(arg, "--clear") == 0 ? "" : arg);
		return pe_say("OK\n");
	}
	if (strcmp(p->line, "SETREPEAT") == 0)
		p->repeat = 1;
	else if (strcmp(p->line, "SETERROR") == 0)
		p->error = 1;
	else if (strcmp(p->line, "RESET") == 0)
		p->repeat = p->error = 0;
	else if (strcmp(p->line, "GETINFO") == 0) {
		if (strcmp(arg, "pid") == 0) {
			snprintf(out, sizeof(out), "D %ld\n", (long)getpid());
			if (pe_say(out) == -1)
				return -1;
		} else if (strcmp(arg, "flavor") == 0 &&
		    pe_say("D pgpmg-keyd\n") == -1)
			return -1;
	} else if (strcmp(p->line, "CONFIRM") == 0 ||
	    strcmp(p->line, "MESSAGE") == 0)
		return pe_cancel();
	else if (strncmp(p->line, "SET", 3) != 0 &&
	    strcmp(p->line, "OPTION") != 0 && strcmp(p->line, "NOP") != 0) {
		snprintf(out, sizeof(out), "ERR %u Unknown command\n",
		    gpg_err_make(GPG_ERR_SOURCE_PINENTRY,
		    GPG_ERR_ASS_UNKNOWN_CMD));
		return pe_say(out);
	}
	return pe_say("OK\n");
}

int
pinentry_main(const char *path)
{
	static struct pe	 p;
	int			 rc;

	/* exec made us dumpable again; we are about to hold a secret. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		return 1;
	if (pe_say("OK pgpmg keyd pinentry\n") == -1)
		return 1;
	while (pe_read_line(&p) == 0) {
		if ((rc = pe_command(&p, path)) == -1)
			return 1;
		if (rc == 1)
			return 0;
	}
	return 0;
}
