/*
 * ctladmin: sends one IMSG_CTL_ADMIN to pgpmgd's control socket with
 * whatever arguments it is given, unchecked, for test_policy_admin.sh and
 * test_users.sh: it is what a member of group _pgpmg could send without
 * pgpmgctl, so the tests can show that policyd itself refuses bad values.
 *
 *   ctladmin SOCKET OP [ARG...]     OP: the ADMIN_OP_* number
 *
 * Prints the output, then "end"; or "error CODE: MESSAGE" (exit 1).
 * Exit 2 on anything else.  A test program only.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/msg.h"
#include "imsg/imsg.h"

static void __attribute__((noreturn))
fail(const char *what)
{
	fprintf(stderr, "ctladmin: %s: %s\n", what, strerror(errno));
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct sockaddr_un	 sun = { .sun_family = AF_UNIX };
	struct imsgbuf		 ibuf;
	struct imsg		 imsg;
	struct imsg_reader	 r;
	struct pollfd		 pfd;
	struct ibuf		*b;
	const char		*text;
	char			 buf[16384];
	ssize_t			 n;
	int			 fd, ofd;

	if (argc < 3 || argc > 3 + ADMIN_NARGS ||
	    strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "usage: ctladmin socket op [arg...]\n");
		return 2;
	}
	memcpy(sun.sun_path, argv[1], strlen(argv[1]) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fail("socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fail(sun.sun_path);
	if (imsgbuf_init(&ibuf, fd) == -1)
		fail("imsgbuf_init");
	if ((b = imsg_create(&ibuf, IMSG_CTL_ADMIN, 0, -1, 4096)) == NULL ||
	    imsg_add_u32(b, (uint32_t)strtoul(argv[2], NULL, 10)) == -1)
		fail("compose");
	for (int i = 0; i < ADMIN_NARGS; i++)
		if (imsg_add_string(b, 3 + i < argc ? argv[3 + i] : "") == -1)
			fail("compose");
	imsg_close(&ibuf, b);
	if (imsgbuf_flush(&ibuf) == -1)
		fail("send");
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		while ((n = imsg_get(&ibuf, &imsg)) == 0) {
			if (poll(&pfd, 1, 60000) != 1) {
				fprintf(stderr, "ctladmin: no answer\n");
				return 2;
			}
			if ((n = imsgbuf_read(&ibuf)) == 0) {
				fprintf(stderr, "ctladmin: connection closed\n");
				return 2;
			}
			if (n == -1 && errno != EAGAIN && errno != EINTR)
				fail("read");
		}
		if (n == -1)
			fail("imsg_get");
		switch (imsg.hdr.type) {
		case IMSG_CTL_DATA:
			if ((ofd = imsg_get_fd(&imsg)) == -1)
				return 2;
			for (off_t pos = 0; (n = pread(ofd, buf, sizeof(buf),
			    pos)) > 0; pos += n)
				fwrite(buf, 1, (size_t)n, stdout);
			close(ofd);
			break;
		case IMSG_CTL_END:
			printf("end\n");
			return 0;
		case IMSG_CTL_ERROR:
			imsg_reader_init(&r, &imsg);
			if (imsg_read_string(&r, &text, 16384) == -1)
				return 2;
			printf("error %u: %s\n", imsg.hdr.peerid, text);
			return 1;
		default:
			return 2;
		}
		imsg_free(&imsg);
	}
}
