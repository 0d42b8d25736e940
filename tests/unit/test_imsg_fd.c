/*
 * Tests of fd passing through imsg: the fd arrives with its message, our
 * copy is closed once sent, every fd nobody claims is closed, and a peer
 * that announces an fd it did not send, or floods us with fds, is refused.
 * Where a test proves an fd was closed it also reads EOF through the pipe
 * it belonged to, which a reused fd number cannot fake; the pipes are
 * non-blocking so that a leaked write end fails that check, not hangs it.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "imsg/imsg.h"

/* Small send buffer that forces partial writes (the kernel doubles it). */
#define T_SMALL_SNDBUF		4096
/* A message much larger than that buffer. */
#define T_BIG_DATA		60000
/* Bound on pump iterations, so a bug shows as a failure, not a hang. */
#define T_PUMP_MAX		100000

/* Seconds before Criterion kills a hung test: a hang is a failure. */
#define T_TIMEOUT	10

TestSuite(imsg_fd, .timeout = T_TIMEOUT);

static void
t_pair(int sv[2])
{
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_neq(fcntl(sv[0], F_SETFL, O_NONBLOCK), -1);
	cr_assert_neq(fcntl(sv[1], F_SETFL, O_NONBLOCK), -1);
}

static int
t_fd_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

/* Sends raw bytes with nfds copies of fd attached, as a rogue peer would. */
static void
t_send_fds(int sock, const void *data, size_t len, int fd, int nfds)
{
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*cmsg;
	char		*cbuf;
	int		 i;

	cr_assert_not_null(cbuf = calloc(1, CMSG_SPACE(sizeof(int) * nfds)));
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = (void *)data;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
	for (i = 0; i < nfds; i++)
		memcpy(CMSG_DATA(cmsg) + i * sizeof(int), &fd, sizeof(int));
	cr_assert_eq(sendmsg(sock, &msg, 0), (ssize_t)len);
	free(cbuf);
}

/* The lowest free fd number, to compare fd tables before and after. */
static int
t_lowest_free_fd(void)
{
	int	fd;

	cr_assert_neq(fd = dup(0), -1);
	close(fd);
	return fd;
}

static void
t_expect_string(int fd, const char *s)
{
	char	buf[64];
	size_t	len = strlen(s);

	cr_assert_eq(read(fd, buf, sizeof(buf)), (ssize_t)len);
	cr_assert_eq(memcmp(buf, s, len), 0);
}

Test(imsg_fd, pass_pipe_and_use_it)
{
	struct imsgbuf	w, r;
	struct imsg	imsg;
	int		sv[2], p[2], fd;

	t_pair(sv);
	imsgbuf_init(&w, sv[0]);
	imsgbuf_init(&r, sv[1]);
	cr_assert_eq(pipe2(p, O_NONBLOCK), 0);
	cr_assert_eq(imsg_compose(&w, 3, 0, p[1], "pipe", 4), 0);
	cr_assert_eq(imsgbuf_write(&w), 0);
	cr_assert_eq(imsgbuf_queuelen(&w), 0);
	cr_assert(!t_fd_open(p[1]), "sender kept its copy of the fd");

	cr_assert_gt(imsgbuf_read(&r), 0);
	cr_assert_eq(imsg_get(&r, &imsg), 1);
	cr_assert(imsg.hdr.flags & IMSG_HDR_FLAG_FD);
	cr_assert_eq(imsg.datalen, 4);
	fd = imsg_get_fd(&imsg);
	cr_assert_geq(fd, 0);
	cr_assert_eq(imsg_get_fd(&imsg), -1, "fd handed out twice");
	/* MSG_CMSG_CLOEXEC: no fd leaks into a child's exec. */
	cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	imsg_free(&imsg);
	cr_assert(t_fd_open(fd), "imsg_free closed a claimed fd");

	cr_assert_eq(write(fd, "hello", 5), 5);
	t_expect_string(p[0], "hello");
	close(fd);
	/* That was the last write end: the pipe is at EOF. */
	cr_assert_eq(read(p[0], &fd, 1), 0);
	close(p[0]);
	imsgbuf_clear(&w);
	imsgbuf_clear(&r);
}

Test(imsg_fd, two_fds_in_a_row)
{
	struct imsgbuf	w, r;
	struct imsg	imsg;
	int		sv[2], pa[2], pb[2], fds[2], n = 0, got = 0;

	t_pair(sv);
	imsgbuf_init(&w, sv[0]);
	imsgbuf_init(&r, sv[1]);
	cr_assert_eq(pipe2(pa, O_NONBLOCK), 0);
	cr_assert_eq(pipe2(pb, O_NONBLOCK), 0);
	cr_assert_eq(imsg_compose(&w, 1, 0, -1, "x", 1), 0);
	cr_assert_eq(imsg_compose(&w, 2, 0, pa[1], NULL, 0), 0);
	cr_assert_eq(imsg_compose(&w, 3, 0, pb[1], "b", 1), 0);
	cr_assert_eq(imsg_compose(&w, 4, 0, -1, "y", 1), 0);
	cr_assert_eq(imsgbuf_write(&w), 0);
	cr_assert_eq(imsgbuf_queuelen(&w), 0);

	while (got < 4 && n++ < T_PUMP_MAX) {
		if (imsgbuf_read(&r) == -1)
			cr_assert_eq(errno, EAGAIN);
		while (imsg_get(&r, &imsg) == 1) {
			got++;
			cr_assert_eq(imsg.hdr.type, (uint32_t)got);
			if (got == 2 || got == 3)
				fds[got - 2] = imsg_get_fd(&imsg);
			else
				cr_assert_eq(imsg.fd, -1);
			imsg_free(&imsg);
		}
	}
	cr_assert_eq(got, 4);
	cr_assert_eq(r.nrfds, 0);
	/* Each fd went with its own message, not swapped. */
	cr_assert_eq(write(fds[0], "A", 1), 1);
	cr_assert_eq(write(fds[1], "B", 1), 1);
	t_expect_string(pa[0], "A");
	t_expect_string(pb[0], "B");
	close(fds[0]);
	close(fds[1]);
	imsgbuf_clear(&w);
	imsgbuf_clear(&r);
}

Test(imsg_fd, fd_with_partial_write)
{
	struct imsgbuf	 w, r;
	struct imsg	 imsg;
	uint8_t		*buf;
	int		 sv[2], p[2], sz = T_SMALL_SNDBUF, n = 0, got = 0, fd = -1;

	t_pair(sv);
	cr_assert_eq(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz,
	    sizeof(sz)), 0);
	imsgbuf_init(&w, sv[0]);
	imsgbuf_init(&r, sv[1]);
	cr_assert_not_null(buf = malloc(T_BIG_DATA));
	memset(buf, 'z', T_BIG_DATA);
	cr_assert_eq(pipe2(p, O_NONBLOCK), 0);
	cr_assert_eq(imsg_compose(&w, 1, 0, p[1], buf, T_BIG_DATA), 0);
	cr_assert_eq(imsg_compose(&w, 2, 0, -1, buf, T_BIG_DATA), 0);
	cr_assert_eq(imsgbuf_write(&w), 0);
	cr_assert_gt(w.wq_head->rpos, 0);
	/* The first byte went, so the fd went, and our copy is closed. */
	cr_assert_eq(w.wq_head->fd, -1);
	cr_assert(!t_fd_open(p[1]));

	while (got < 2 && n++ < T_PUMP_MAX) {
		if (imsgbuf_read(&r) == -1)
			cr_assert_eq(errno, EAGAIN);
		while (imsg_get(&r, &imsg) == 1) {
			got++;
			cr_assert_eq(imsg.hdr.type, (uint32_t)got);
			cr_assert_eq(imsg.datalen, T_BIG_DATA);
			cr_assert_eq(memcmp(imsg.data, buf, T_BIG_DATA), 0);
			if (got == 1) {
				cr_assert_geq(fd = imsg_get_fd(&imsg), 0);
			} else
				cr_assert_eq(imsg.fd, -1);
			imsg_free(&imsg);
		}
		cr_assert_eq(imsgbuf_write(&w), 0);
	}
	cr_assert_eq(got, 2);
	cr_assert_eq(write(fd, "ok", 2), 2);
	t_expect_string(p[0], "ok");
	free(buf);
	imsgbuf_clear(&w);
	imsgbuf_clear(&r);
}

Test(imsg_fd, announced_fd_missing)
{
	struct imsgbuf	r;
	struct imsg	imsg;
	struct imsg_hdr	h;
	int		sv[2];

	t_pair(sv);
	imsgbuf_init(&r, sv[1]);
	memset(&h, 0, sizeof(h));
	h.type = 1;
	h.len = IMSG_HEADER_SIZE + 100;
	h.flags = IMSG_HDR_FLAG_FD;
	/* Header only: the missing fd is known before the body comes. */
	cr_assert_eq(write(sv[0], &h, sizeof(h)), (ssize_t)sizeof(h));
	cr_assert_gt(imsgbuf_read(&r), 0);
	errno = 0;
	cr_assert_eq(imsg_get(&r, &imsg), -1);
	cr_assert_eq(errno, ENOENT);
	imsgbuf_clear(&r);
}

Test(imsg_fd, unclaimed_fd_closed_by_imsg_free)
{
	struct imsgbuf	w, r;
	struct imsg	imsg;
	int		sv[2], p[2], fd;
	char		c;

	t_pair(sv);
	imsgbuf_init(&w, sv[0]);
	imsgbuf_init(&r, sv[1]);
	cr_assert_eq(pipe2(p, O_NONBLOCK), 0);
	cr_assert_eq(imsg_compose(&w, 1, 0, p[1], NULL, 0), 0);
	cr_assert_eq(imsgbuf_flush(&w), 0);
	cr_assert_gt(imsgbuf_read(&r), 0);
	cr_assert_eq(imsg_get(&r, &imsg), 1);
	fd = imsg.fd;
	cr_assert_geq(fd, 0);
	cr_assert(t_fd_open(fd));
	imsg_free(&imsg);
	cr_assert(!t_fd_open(fd), "unclaimed fd left open");
	cr_assert_eq(imsg.fd, -1);
	imsg_free(&imsg);	/* twice is harmless */
	/* The received copy was the last write end. */
	cr_assert_eq(read(p[0], &c, 1), 0);
	imsgbuf_clear(&w);
	imsgbuf_clear(&r);
}

Test(imsg_fd, unannounced_fd_closed_by_clear)
{
	struct imsgbuf	r;
	int		sv[2], p[2], before;
	char		c;

	t_pair(sv);
	imsgbuf_init(&r, sv[1]);
	cr_assert_eq(pipe2(p, O_NONBLOCK), 0);
	before = t_lowest_free_fd();
	/* Two bytes and an fd, but no header that claims it. */
	t_send_fds(sv[0], "zz", 2, p[1], 1);
	cr_assert_eq(imsgbuf_read(&r), 2);
	cr_assert_eq(r.nrfds, 1);
	imsgbuf_clear(&r);
	cr_assert_eq(r.nrfds, 0);
	cr_assert_eq(t_lowest_free_fd(), before);
	close(p[1]);
	cr_assert_eq(read(p[0], &c, 1), 0);
}

Test(imsg_fd, too_many_fds_in_one_message)
{
	struct imsgbuf	r;
	int		sv[2], p[2], before;
	char		c;

	t_pair(sv);
	imsgbuf_init(&r, sv[1]);
	cr_assert_eq(pipe2(p, O_NONBLOCK), 0);
	before = t_lowest_free_fd();
	t_send_fds(sv[0], "z", 1, p[1], IMSG_MAX_PENDING_FDS + 1);
	errno = 0;
	cr_assert_eq(imsgbuf_read(&r), -1);
	cr_assert_eq(errno, EBADMSG);
	/* Every copy that arrived was closed again. */
	cr_assert_eq(t_lowest_free_fd(), before);
	close(p[1]);
	cr_assert_eq(read(p[0], &c, 1), 0);
	imsgbuf_clear(&r);
}

Test(imsg_fd, too_many_pending_fds)
{
	struct imsgbuf	r;
	int		sv[2], p[2], i, before;
	char		c;

	t_pair(sv);
	imsgbuf_init(&r, sv[1]);
	cr_assert_eq(pipe2(p, O_NONBLOCK), 0);
	before = t_lowest_free_fd();
	/* The FIFO takes its fill, one read at a time... */
	for (i = 0; i < IMSG_MAX_PENDING_FDS; i++) {
		t_send_fds(sv[0], "z", 1, p[1], 1);
		cr_assert_eq(imsgbuf_read(&r), 1);
	}
	cr_assert_eq(r.nrfds, IMSG_MAX_PENDING_FDS);
	/* ...and not one more. */
	t_send_fds(sv[0], "z", 1, p[1], 1);
	errno = 0;
	cr_assert_eq(imsgbuf_read(&r), -1);
	cr_assert_eq(errno, EBADMSG);
	cr_assert_eq(r.nrfds, IMSG_MAX_PENDING_FDS);
	imsgbuf_clear(&r);
	cr_assert_eq(t_lowest_free_fd(), before);
	close(p[1]);
	cr_assert_eq(read(p[0], &c, 1), 0);
}

Test(imsg_fd, queued_fd_closed_by_clear)
{
	struct imsgbuf	w;
	struct ibuf	*b;
	int		sv[2], p[2];

	t_pair(sv);
	imsgbuf_init(&w, sv[0]);
	cr_assert_eq(pipe2(p, O_NONBLOCK), 0);
	cr_assert_eq(imsg_compose(&w, 1, 0, p[1], NULL, 0), 0);
	cr_assert_not_null(b = imsg_create(&w, 2, 0, p[0], 0));
	imsg_close(&w, b);
	cr_assert_eq(imsgbuf_queuelen(&w), 2);
	/* Never sent: clearing the queue closes both. */
	imsgbuf_clear(&w);
	cr_assert(!t_fd_open(p[0]));
	cr_assert(!t_fd_open(p[1]));
}
