/*
 * A minimal Assuan client for keyd's own connection to gpg-agent's
 * standard socket.
 *
 * gpgme's Assuan engine cannot answer an INQUIRE with data, and changing
 * or checking a passphrase in loopback mode is exactly that (the agent
 * inquires PASSPHRASE, then NEW_PASSPHRASE).  The protocol is small: lines
 * of at most 1000 bytes; the server answers a command with any number of
 * status (S), data (D) and comment (#) lines, INQUIREs that the client
 * answers with D lines and END (or CAN), and finally OK or ERR <code>.
 * Every read and write is bounded in time, so a stuck agent cannot hang
 * keyd; any malformed line ends the connection.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "keyd/assuan.h"

/* Assuan's line limit, without the LF. */
#define ASS_LINE_MAX	1000
/* Percent-escaped data per D line: a byte may take three characters. */
#define ASS_DATA_CHUNK	300
/* How long one read or write may wait for the agent. */
#define ASS_TIMEOUT_SEC	60

static int
ass_write(struct assuan *a, const char *buf, size_t len)
{
	size_t	 off = 0;
	ssize_t	 n;

	while (off < len) {
		if ((n = write(a->fd, buf + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		off += (size_t)n;
	}
	return 0;
}

/* One line into a->line, without its LF; -1 on EOF, error or overlong. */
static int
ass_read_line(struct assuan *a)
{
	char	*nl;
	ssize_t	 n;

	for (;;) {
		if ((nl = memchr(a->buf, '\n', a->buflen)) != NULL) {
			size_t len = (size_t)(nl - a->buf);

			memcpy(a->line, a->buf, len);
			a->line[len] = '\0';
			a->buflen -= len + 1;
			memmove(a->buf, nl + 1, a->buflen);
			return 0;
		}
		if (a->buflen > ASS_LINE_MAX)
			return -1;
		if ((n = read(a->fd, a->buf + a->buflen,
		    sizeof(a->buf) - a->buflen)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			return -1;
		a->buflen += (size_t)n;
	}
}

int
assuan_open(struct assuan *a, const char *path)
{
	struct sockaddr_un	 sun;
	struct timeval		 tv = { ASS_TIMEOUT_SEC, 0 };

	memset(a, 0, sizeof(*a));
	a->fd = -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -1;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((a->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (setsockopt(a->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(a->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1 ||
	    connect(a->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    ass_read_line(a) == -1 || strncmp(a->line, "OK", 2) != 0) {
		assuan_close(a);
		return -1;
	}
	return 0;
}

void
assuan_close(struct assuan *a)
{
	if (a->fd >= 0)
		close(a->fd);
	/* Lines may have carried a passphrase. */
	explicit_bzero(a, sizeof(*a));
	a->fd = -1;
}

/* Answer an INQUIRE: the value percent-escaped in D lines, then END. */
static int
ass_send_data(struct assuan *a, const char *value)
{
	char	 line[4 + ASS_DATA_CHUNK * 3 + 2];
	size_t	 len;
	int	 rc = 0;

	while (*value != '\0' && rc == 0) {
		len = 0;
		line[len++] = 'D';
		line[len++] = ' ';
		for (size_t i = 0; i < ASS_DATA_CHUNK && *value != '\0';
		    i++, value++) {
			unsigned char c = (unsigned char)*value;
			if (c == '%' || c == '\r' || c == '\n') {
				len += (size_t)snprintf(line + len,
				    sizeof(line) - len, "%%%02X", c);
			} else
				line[len++] = (char)c;
		}
		line[len++] = '\n';
		rc = ass_write(a, line, len);
	}
	explicit_bzero(line, sizeof(line));
	if (rc == 0)
		rc = ass_write(a, "END\n", 4);
	return rc;
}

gpgme_error_t
assuan_transact(struct assuan *a, const char *cmd, assuan_inquire_fn inq,
    void *arg)
{
	const char	*value;
	size_t		 len = strlen(cmd);
	char		*end;
	unsigned long	 code;

	if (a->fd < 0 || len > ASS_LINE_MAX || memchr(cmd, '\n', len) != NULL)
		return gpg_error(GPG_ERR_INV_VALUE);
	if (ass_write(a, cmd, len) == -1 || ass_write(a, "\n", 1) == -1)
		return gpgme_error_from_syserror();
	for (;;) {
		if (ass_read_line(a) == -1)
			return gpg_error(GPG_ERR_ASS_READ_ERROR);
		if (strcmp(a->line, "OK") == 0 ||
		    strncmp(a->line, "OK ", 3) == 0)
			return 0;
		if (strncmp(a->line, "ERR ", 4) == 0) {
			errno = 0;
			code = strtoul(a->line + 4, &end, 10);
			if (errno != 0 || end == a->line + 4 || code == 0)
				return gpg_error(GPG_ERR_ASS_INV_RESPONSE);
			return (gpgme_error_t)code;
		}
		if (strncmp(a->line, "INQUIRE ", 8) == 0) {
			char *kw = a->line + 8, *sp = strchr(kw, ' ');

			if (sp != NULL)
				*sp = '\0';
			value = inq != NULL ? inq(arg, kw) : NULL;
			if (value == NULL) {
				if (ass_write(a, "CAN\n", 4) == -1)
					return gpgme_error_from_syserror();
			} else if (ass_send_data(a, value) == -1)
				return gpgme_error_from_syserror();
			continue;
		}
		/* Status, data and comments tell us nothing we use. */
		if (a->line[0] == 'S' || a->line[0] == 'D' ||
		    a->line[0] == '#')
			continue;
		return gpg_error(GPG_ERR_ASS_INV_RESPONSE);
	}
}
