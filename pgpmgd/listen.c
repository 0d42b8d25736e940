/*
 * The listening sockets.  The parent opens them as root (so the children
 * need no privilege to bind) and hands each to its child by fd; smtpd and
 * webd never call bind() themselves.
 */
#include <sys/socket.h>

#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pgpmgd/pgpmgd.h"

/* Pending connections the kernel may queue per listener. */
#define LISTEN_BACKLOG	128

int
listen_open(const struct conf_hostport *hp, char *err, size_t errlen)
{
	struct addrinfo	 hints, *res, *ai;
	char		 port[8];
	int		 fd = -1, on = 1, rc;

	err[0] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", hp->port);
	if ((rc = getaddrinfo(hp->host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "listen %s:%u: %s", hp->host, hp->port,
		    gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd == -1)
			continue;
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
		    sizeof(on)) == 0 &&
		    bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, LISTEN_BACKLOG) == 0)
			break;
		snprintf(err, errlen, "listen %s:%u: %m", hp->host, hp->port);
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1 && ai == NULL && err[0] == '\0')
		snprintf(err, errlen, "listen %s:%u: no usable address",
		    hp->host, hp->port);
	return fd;
}
