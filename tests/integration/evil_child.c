/*
 * A child that breaks the protocol, for test_parent_violation.sh.  The test
 * installs it as "cryptod" beside a copy of pgpmgd; it behaves until READY
 * and then sends the parent the fault named in evil.mode beside it.  It is
 * a test program only: nothing of it is in the daemons.
 */
#include <sys/socket.h>

#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/msg.h"
#include "common/proc.h"
#include "imsg/imsg.h"

static void
evil_mode(char *mode, size_t len)
{
	char	 self[PATH_MAX], path[PATH_MAX + 16];
	ssize_t	 n;
	FILE	*f;

	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) == -1)
		exit(2);
	self[n] = '\0';
	snprintf(path, sizeof(path), "%s/evil.mode", dirname(self));
	if ((f = fopen(path, "r")) == NULL || fgets(mode, (int)len, f) == NULL)
		exit(2);
	mode[strcspn(mode, "\n")] = '\0';
	fclose(f);
}

int
main(void)
{
	struct imsgbuf	 ibuf;
	struct imsg	 imsg;
	struct imsg_hdr	 h;
	struct pollfd	 pfd = { .fd = PROC_PARENT_FD, .events = POLLIN };
	uint32_t	 ready[3] = { 0, 0, 0 }, pri;
	char		 mode[64];
	ssize_t		 n;

	evil_mode(mode, sizeof(mode));
	imsgbuf_init(&ibuf, PROC_PARENT_FD);
	/* wait for the configuration, then claim to be ready */
	for (;;) {
		if ((n = imsg_get(&ibuf, &imsg)) > 0)
			break;
		poll(&pfd, 1, 5000);
		if (imsgbuf_read(&ibuf) == 0)
			return 1;
	}
	imsg_free(&imsg);
	imsg_compose(&ibuf, IMSG_CHILD_READY, 0, -1, ready, sizeof(ready));

	if (strcmp(mode, "bad-priority") == 0) {
		struct ibuf *b = imsg_create(&ibuf, IMSG_CHILD_LOG, 0, -1, 64);
		imsg_add_u32(b, 99);
		imsg_add_string(b, "forged");
		imsg_close(&ibuf, b);
	} else if (strcmp(mode, "type-not-allowed") == 0) {
		imsg_compose(&ibuf, IMSG_PARENT_SHUTDOWN, 0, -1, NULL, 0);
	} else if (strcmp(mode, "string-without-nul") == 0) {
		char buf[4 + 6];
		pri = 6;
		memcpy(buf, &pri, 4);
		memcpy(buf + 4, "abcdef", 6);
		imsg_compose(&ibuf, IMSG_CHILD_LOG, 0, -1, buf, sizeof(buf));
	} else if (strcmp(mode, "oversize") == 0) {
		imsgbuf_flush(&ibuf);
		memset(&h, 0, sizeof(h));
		h.type = IMSG_CHILD_LOG;
		h.len = 0x40000000;
		if (write(PROC_PARENT_FD, &h, sizeof(h)) != sizeof(h))
			return 1;
	} else if (strcmp(mode, "bytes-left-over") == 0) {
		uint32_t v[3] = { PROC_SMTPD, 0, 0 };
		imsg_compose(&ibuf, IMSG_CHILD_PEER_UP, 0, -1, v, sizeof(v));
	}
	imsgbuf_flush(&ibuf);
	pause();	/* the parent must kill us */
	return 0;
}
