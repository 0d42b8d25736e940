/*
 * dbstatus: asks pgpmgd's control socket how policyd's database connection
 * is (IMSG_CTL_DB_STATUS), for test_policyd_db.sh, and prints one line:
 *
 *   state=up|connecting|down check=none|ok|unavailable|error seconds=N ms=N text=...
 *
 * where ms is how long the answer took.  -c asks for the health check.
 * Exit 0 on an answer, 1 on an error reply (printed as "error: ..."), 2
 * on anything else.  A test program only, standing in for a pgpmgctl
 * command until pgpmgctl has one.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/msg.h"
#include "imsg/imsg.h"

/* Longer than any answer may take: database-timeout plus the parent's
 * grace, with the test's timeouts. */
#define DBSTATUS_WAIT_MS	30000

static const char *const states[] = { "down", "connecting", "up" };
static const char *const checks[] = { "none", "ok", "unavailable",
    "error" };

static void __attribute__((noreturn))
fail(const char *what)
{
	fprintf(stderr, "dbstatus: %s: %s\n", what, strerror(errno));
	exit(2);
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec	 t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	    (t.tv_nsec - t0->tv_nsec) / 1000000;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_un	 sun = { .sun_family = AF_UNIX };
	struct imsgbuf		 ibuf;
	struct imsg		 imsg;
	struct imsg_reader	 r;
	struct timespec		 t0;
	struct pollfd		 pfd;
	const char		*text;
	uint32_t		 flags = 0, state, check;
	uint64_t		 seconds;
	ssize_t			 n;
	int			 fd, ch;

	while ((ch = getopt(argc, argv, "c")) != -1) {
		if (ch != 'c') {
			fprintf(stderr, "usage: dbstatus [-c] socket\n");
			return 2;
		}
		flags |= DBSTAT_F_CHECK;
	}
	if (optind != argc - 1 || strlen(argv[optind]) >= sizeof(sun.sun_path))
		return 2;
	memcpy(sun.sun_path, argv[optind], strlen(argv[optind]) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fail("socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fail(sun.sun_path);
	if (imsgbuf_init(&ibuf, fd) == -1)
		fail("imsgbuf_init");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (imsg_compose(&ibuf, IMSG_CTL_DB_STATUS, 0, -1, &flags,
	    sizeof(flags)) == -1 || imsgbuf_flush(&ibuf) == -1)
		fail("send");
	pfd.fd = fd;
	pfd.events = POLLIN;
	while ((n = imsg_get(&ibuf, &imsg)) == 0) {
		if (poll(&pfd, 1, DBSTATUS_WAIT_MS) != 1) {
			fprintf(stderr, "dbstatus: no answer\n");
			return 2;
		}
		if ((n = imsgbuf_read(&ibuf)) == 0) {
			fprintf(stderr, "dbstatus: connection closed\n");
			return 2;
		}
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			fail("read");
	}
	if (n == -1)
		fail("imsg_get");
	imsg_reader_init(&r, &imsg);
	if (imsg.hdr.type == IMSG_CTL_ERROR) {
		if (imsg_read_string(&r, &text, 1024) == -1)
			return 2;
		printf("error: %s\n", text);
		return 1;
	}
	if (imsg.hdr.type != IMSG_CTL_DB_STATE ||
	    imsg_read_u32(&r, &state) == -1 ||
	    imsg_read_u32(&r, &check) == -1 ||
	    imsg_read_u64(&r, &seconds) == -1 ||
	    imsg_read_string(&r, &text, DBSTAT_TEXT_MAX) == -1 ||
	    imsg_reader_end(&r) == -1 || state > DBSTAT_UP ||
	    check > DBSTAT_CHECK_ERROR) {
		fprintf(stderr, "dbstatus: malformed answer\n");
		return 2;
	}
	printf("state=%s check=%s seconds=%" PRIu64 " ms=%ld text=%s\n",
	    states[state], checks[check], seconds, ms_since(&t0), text);
	imsg_free(&imsg);
	return 0;
}
