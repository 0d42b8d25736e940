/*
 * keyd's side of the agent's pinentry (pinentry.c): a unix socket in
 * keyd's home, made before the sandbox, 0600 in a 0700 directory, where the
 * pinentry the agent runs asks for the master passphrase.  A peer must run
 * as keyd's own user (SO_PEERCRED): only keyd, its gpg, its agent and the
 * agent's pinentry do.  The request names the keygrip; keyd logs every
 * hand-out, and refuses the organisation key's keygrips: the agent only
 * asks the pinentry for a client of the restricted socket (keyd's own gpg
 * uses loopback and the preset cache), and cryptod has no business with
 * the key that certifies.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "keyd/keyd.h"

/* The agent runs one pinentry at a time; a few is plenty. */
#define PIN_MAX_CONN	4
/* "GETPIN n/<keygrip>\n" */
#define PIN_REQ_MAX	96
#define PIN_TIMEOUT_SEC	5

struct pinconn {
	struct keyd	*k;
	int		 fd;
	struct event	*ev;
	char		 buf[PIN_REQ_MAX];
	size_t		 len;
};

static struct pinconn	 conns[PIN_MAX_CONN];

static void
pin_close(struct pinconn *c)
{
	if (c->ev != NULL)
		event_free(c->ev);
	close(c->fd);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* Answer one complete request line. */
static void
pin_answer(struct pinconn *c)
{
	struct keyd	*k = c->k;
	const char	*grip;
	char		*out;
	size_t		 len;

	if (strncmp(c->buf, "GETPIN ", 7) != 0) {
		log_warnx("pinentry: malformed request");
		return;
	}
	/* "n/<grip>": the part after the slash. */
	grip = strrchr(c->buf + 7, '/');
	grip = grip != NULL ? grip + 1 : c->buf + 7;
	if (strlen(grip) != 40 || strspn(grip, "0123456789ABCDEFabcdef") != 40) {
		log_warnx("pinentry: request without a keygrip");
		return;
	}
	if (orgkey_is_grip(k, grip)) {
		log_warnx("gpg-agent asked to unlock the organisation key "
		    "(keygrip %s) for a restricted client: refused", grip);
		return;
	}
	log_info("gpg-agent unlocks keygrip %s for a restricted client "
	    "(cryptod)", grip);
	len = k->pass.len + 1;
	if ((out = malloc(len)) == NULL)
		return;
	memcpy(out, k->pass.buf, k->pass.len);
	out[k->pass.len] = '\n';
	/* Small, and the socket's buffer is empty: one write does it. */
	if (write(c->fd, out, len) != (ssize_t)len)
		log_warn("pinentry: write");
	explicit_bzero(out, len);
	free(out);
}

static void
pin_read(int fd, short ev, void *arg)
{
	struct pinconn	*c = arg;
	ssize_t		 n;
	char		*nl;

	if (ev & EV_TIMEOUT) {
		log_warnx("pinentry: request timed out");
		pin_close(c);
		return;
	}
	if ((n = read(fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len)) ==
	    -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		pin_close(c);
		return;
	}
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	if ((nl = memchr(c->buf, '\n', c->len)) == NULL) {
		if (c->len == sizeof(c->buf) - 1) {
			log_warnx("pinentry: request too long");
			pin_close(c);
		}
		return;
	}
	*nl = '\0';
	pin_answer(c);
	pin_close(c);
}

static void
pin_accept(int lfd, short ev, void *arg)
{
	struct keyd	*k = arg;
	struct pinconn	*c = NULL;
	struct ucred	 cred;
	socklen_t	 len = sizeof(cred);
	struct timeval	 tv = { PIN_TIMEOUT_SEC, 0 };
	int		 fd;

	(void)ev;
	if ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) ==
	    -1) {
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("pinentry: accept");
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
	    cred.uid != getuid()) {
		log_warnx("pinentry: refused a peer of another user");
		close(fd);
		return;
	}
	for (size_t i = 0; c == NULL && i < PIN_MAX_CONN; i++)
		if (conns[i].k == NULL)
			c = &conns[i];
	if (c == NULL) {
		log_warnx("pinentry: too many requests at once");
		close(fd);
		return;
	}
	c->k = k;
	c->fd = fd;
	if ((c->ev = event_new(k->child->base, fd, EV_READ | EV_PERSIST,
	    pin_read, c)) == NULL || event_add(c->ev, &tv) == -1) {
		log_warnx("pinentry: event");
		pin_close(c);
	}
}

void
pinserve_start(struct keyd *k)
{
	for (size_t i = 0; i < PIN_MAX_CONN; i++)
		conns[i].fd = -1;
	if (fcntl(k->pin_fd, F_SETFL, O_NONBLOCK) == -1)
		fatal("pinentry: fcntl");
	if ((k->ev_pin = event_new(k->child->base, k->pin_fd,
	    EV_READ | EV_PERSIST, pin_accept, k)) == NULL ||
	    event_add(k->ev_pin, NULL) == -1)
		fatalx("pinentry: event");
}
