/*
 * Tests of the imsg core: framing, buffered non-blocking read and write,
 * and what a hostile or broken peer can send us.  Raw bytes are written to
 * the other end of a socketpair by hand wherever a test needs a peer that
 * our own compose code would never be.  fd passing is in test_imsg_fd.c,
 * the typed readers in test_imsg_reader.c, the libevent helper in
 * test_imsg_event.c.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "imsg/imsg.h"

/* Enough messages that the stream wraps the 64 KiB read buffer many times. */
#define T_MANY			1000
/* Payload sizes in the round trip go up to this, varied per message. */
#define T_MANY_MAXDATA		2000
/* Bound on pump iterations, so a bug shows as a failure, not a hang. */
#define T_PUMP_MAX		100000
/* Small send buffer that forces partial writes (the kernel doubles it). */
#define T_SMALL_SNDBUF		4096
/* Big messages for the partial-write test: several per socket buffer. */
#define T_BIG_DATA		60000
#define T_BIG_COUNT		40
/* A small maximum message size for the boundary tests. */
#define T_SMALL_MAX		256

/* Seconds before Criterion kills a hung test: a hang is a failure. */
#define T_TIMEOUT	10

TestSuite(imsg, .timeout = T_TIMEOUT);

static void
t_pair(int sv[2])
{
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_neq(fcntl(sv[0], F_SETFL, O_NONBLOCK), -1);
	cr_assert_neq(fcntl(sv[1], F_SETFL, O_NONBLOCK), -1);
}

static void
t_raw_write(int fd, const void *p, size_t len)
{
	cr_assert_eq(write(fd, p, len), (ssize_t)len);
}

static struct imsg_hdr
t_hdr(uint32_t type, uint32_t len)
{
	struct imsg_hdr	h;

	memset(&h, 0, sizeof(h));
	h.type = type;
	h.len = len;
	h.pid = 42;
	return h;
}

static uint8_t
t_pattern(size_t msg, size_t off)
{
	return (uint8_t)(msg * 7 + off);
}

/* Reads once more and expects imsg_get to fail with err. */
static void
t_expect_get_error(struct imsgbuf *r, int err)
{
	struct imsg	imsg;

	cr_assert_gt(imsgbuf_read(r), 0);
	errno = 0;
	cr_assert_eq(imsg_get(r, &imsg), -1);
	cr_assert_eq(errno, err, "errno %d, wanted %d", errno, err);
	/* A failed get leaves the imsg safe to free. */
	cr_assert_null(imsg.data);
	cr_assert_eq(imsg.fd, -1);
	imsg_free(&imsg);
}

Test(imsg, init_and_clear)
{
	struct imsgbuf	ib;
	int		sv[2];

	t_pair(sv);
	cr_assert_eq(imsgbuf_init(&ib, sv[0]), 0);
	cr_assert_eq(ib.maxsize, IMSG_MAX_SIZE_DEFAULT);
	cr_assert_not_null(ib.rbuf);
	cr_assert_eq(ib.pid, getpid());
	cr_assert_eq(imsgbuf_queuelen(&ib), 0);
	cr_assert_eq(imsg_compose(&ib, 1, 2, -1, "x", 1), 0);
	cr_assert_eq(imsgbuf_queuelen(&ib), 1);
	imsgbuf_clear(&ib);
	cr_assert_eq(imsgbuf_queuelen(&ib), 0);
	cr_assert_null(ib.rbuf);
	imsgbuf_clear(&ib);	/* twice is harmless */
	/* The socket is not ours to close. */
	cr_assert_neq(fcntl(sv[0], F_GETFD), -1);
}

Test(imsg, round_trip_many)
{
	struct imsgbuf	 w, r;
	struct imsg	 imsg;
	uint8_t		 buf[T_MANY_MAXDATA];
	size_t		 got = 0, len, i, j;
	int		 sv[2], iter;
	ssize_t		 n;

	t_pair(sv);
	cr_assert_eq(imsgbuf_init(&w, sv[0]), 0);
	cr_assert_eq(imsgbuf_init(&r, sv[1]), 0);
	for (i = 0; i < T_MANY; i++) {
		len = (i * 37) % T_MANY_MAXDATA;
		for (j = 0; j < len; j++)
			buf[j] = t_pattern(i, j);
		cr_assert_eq(imsg_compose(&w, 1000 + i, i * 3, -1, buf, len),
		    0);
	}
	cr_assert_eq(imsgbuf_queuelen(&w), T_MANY);

	for (iter = 0; got < T_MANY && iter < T_PUMP_MAX; iter++) {
		cr_assert_eq(imsgbuf_write(&w), 0);
		n = imsgbuf_read(&r);
		cr_assert(n > 0 || (n == -1 && errno == EAGAIN));
		while ((n = imsg_get(&r, &imsg)) == 1) {
			len = (got * 37) % T_MANY_MAXDATA;
			cr_assert_eq(imsg.hdr.type, 1000 + got);
			cr_assert_eq(imsg.hdr.peerid, got * 3);
			cr_assert_eq(imsg.hdr.pid, (uint32_t)getpid());
			cr_assert_eq(imsg.hdr.len, IMSG_HEADER_SIZE + len);
			cr_assert_eq(imsg.datalen, len);
			cr_assert_eq(imsg.fd, -1);
			for (j = 0; j < len; j++)
				cr_assert_eq(((uint8_t *)imsg.data)[j],
				    t_pattern(got, j));
			imsg_free(&imsg);
			got++;
		}
		cr_assert_eq(n, 0);
	}
	cr_assert_eq(got, T_MANY);
	cr_assert_eq(imsgbuf_queuelen(&w), 0);
	imsgbuf_clear(&w);
	imsgbuf_clear(&r);
}

Test(imsg, empty_payload_has_null_data)
{
	struct imsgbuf	w, r;
	struct imsg	imsg;
	int		sv[2];

	t_pair(sv);
	imsgbuf_init(&w, sv[0]);
	imsgbuf_init(&r, sv[1]);
	cr_assert_eq(imsg_compose(&w, 7, 0, -1, NULL, 0), 0);
	cr_assert_eq(imsgbuf_flush(&w), 0);
	cr_assert_eq(imsgbuf_read(&r), (ssize_t)IMSG_HEADER_SIZE);
	cr_assert_eq(imsg_get(&r, &imsg), 1);
	cr_assert_eq(imsg.hdr.type, 7);
	cr_assert_eq(imsg.datalen, 0);
	cr_assert_null(imsg.data);
	imsg_free(&imsg);
	cr_assert_eq(imsg_get(&r, &imsg), 0);
	imsgbuf_clear(&w);
	imsgbuf_clear(&r);
}

Test(imsg, partial_writes)
{
	struct imsgbuf	 w, r;
	struct imsg	 imsg;
	uint8_t		*buf;
	size_t		 got = 0, i, j;
	int		 sv[2], sz = T_SMALL_SNDBUF, iter;
	ssize_t		 n;

	t_pair(sv);
	cr_assert_eq(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz,
	    sizeof(sz)), 0);
	imsgbuf_init(&w, sv[0]);
	imsgbuf_init(&r, sv[1]);
	cr_assert_not_null(buf = malloc(T_BIG_DATA));
	for (i = 0; i < T_BIG_COUNT; i++) {
		for (j = 0; j < T_BIG_DATA; j++)
			buf[j] = t_pattern(i, j);
		cr_assert_eq(imsg_compose(&w, i, 0, -1, buf, T_BIG_DATA), 0);
	}
	/* The socket cannot take it all: the head is left half sent. */
	cr_assert_eq(imsgbuf_write(&w), 0);
	cr_assert_gt(imsgbuf_queuelen(&w), 0);
	cr_assert_lt(imsgbuf_queuelen(&w), T_BIG_COUNT + 1);
	cr_assert_gt(w.wq_head->rpos, 0, "head not partially sent");
	/* Writing again with a full socket is not an error. */
	cr_assert_eq(imsgbuf_write(&w), 0);

	for (iter = 0; got < T_BIG_COUNT && iter < T_PUMP_MAX; iter++) {
		n = imsgbuf_read(&r);
		cr_assert(n > 0 || (n == -1 && errno == EAGAIN));
		while (imsg_get(&r, &imsg) == 1) {
			cr_assert_eq(imsg.hdr.type, got);
			cr_assert_eq(imsg.datalen, T_BIG_DATA);
			for (j = 0; j < T_BIG_DATA; j++)
				if (((uint8_t *)imsg.data)[j] !=
				    t_pattern(got, j))
					cr_assert_fail("msg %zu byte %zu", got,
					    j);
			imsg_free(&imsg);
			got++;
		}
		cr_assert_eq(imsgbuf_write(&w), 0);
	}
	cr_assert_eq(got, T_BIG_COUNT);
	cr_assert_eq(imsgbuf_queuelen(&w), 0);
	free(buf);
	imsgbuf_clear(&w);
	imsgbuf_clear(&r);
}

Test(imsg, partial_read_byte_by_byte)
{
	struct imsgbuf	 r;
	struct imsg	 imsg;
	struct imsg_hdr	 h;
	uint8_t		 raw[IMSG_HEADER_SIZE + 10];
	size_t		 i;
	int		 sv[2];

	t_pair(sv);
	imsgbuf_init(&r, sv[1]);
	h = t_hdr(5, sizeof(raw));
	memcpy(raw, &h, sizeof(h));
	memcpy(raw + sizeof(h), "0123456789", 10);

	for (i = 0; i < sizeof(raw); i++) {
		t_raw_write(sv[0], raw + i, 1);
		cr_assert_eq(imsgbuf_read(&r), 1);
		if (i + 1 < sizeof(raw))
			cr_assert_eq(imsg_get(&r, &imsg), 0,
			    "message complete after %zu bytes", i + 1);
	}
	cr_assert_eq(imsg_get(&r, &imsg), 1);
	cr_assert_eq(imsg.hdr.type, 5);
	cr_assert_eq(imsg.hdr.pid, 42);
	cr_assert_eq(imsg.datalen, 10);
	cr_assert_eq(memcmp(imsg.data, "0123456789", 10), 0);
	imsg_free(&imsg);
	cr_assert_eq(imsg_get(&r, &imsg), 0);
	imsgbuf_clear(&r);
}

Test(imsg, message_split_across_reads)
{
	struct imsgbuf	 r;
	struct imsg	 imsg;
	struct imsg_hdr	 h;
	uint8_t		 raw[2 * IMSG_HEADER_SIZE + 8];
	size_t		 cut;
	int		 sv[2];

	t_pair(sv);
	imsgbuf_init(&r, sv[1]);
	h = t_hdr(1, IMSG_HEADER_SIZE + 4);
	memcpy(raw, &h, sizeof(h));
	memcpy(raw + sizeof(h), "abcd", 4);
	h = t_hdr(2, IMSG_HEADER_SIZE + 4);
	memcpy(raw + sizeof(h) + 4, &h, sizeof(h));
	memcpy(raw + 2 * sizeof(h) + 4, "efgh", 4);

	/* First read: message 1 and half of message 2's header. */
	cut = IMSG_HEADER_SIZE + 4 + IMSG_HEADER_SIZE / 2;
	t_raw_write(sv[0], raw, cut);
	cr_assert_eq(imsgbuf_read(&r), (ssize_t)cut);
	cr_assert_eq(imsg_get(&r, &imsg), 1);
	cr_assert_eq(imsg.hdr.type, 1);
	cr_assert_eq(memcmp(imsg.data, "abcd", 4), 0);
	imsg_free(&imsg);
	cr_assert_eq(imsg_get(&r, &imsg), 0);

	/* The rest, which the next read must join to the half header. */
	t_raw_write(sv[0], raw + cut, sizeof(raw) - cut);
	cr_assert_eq(imsgbuf_read(&r), (ssize_t)(sizeof(raw) - cut));
	cr_assert_eq(imsg_get(&r, &imsg), 1);
	cr_assert_eq(imsg.hdr.type, 2);
	cr_assert_eq(imsg.datalen, 4);
	cr_assert_eq(memcmp(imsg.data, "efgh", 4), 0);
	imsg_free(&imsg);
	cr_assert_eq(imsg_get(&r, &imsg), 0);
	imsgbuf_clear(&r);
}

Test(imsg, oversize_length_refused_before_body)
{
	struct imsgbuf	r;
	struct imsg_hdr	h;
	int		sv[2];

	t_pair(sv);
	imsgbuf_init(&r, sv[1]);
	/* Only the header: the body of a too-big message is never awaited. */
	h = t_hdr(1, IMSG_MAX_SIZE_DEFAULT + 1);
	t_raw_write(sv[0], &h, sizeof(h));
	t_expect_get_error(&r, EMSGSIZE);
	imsgbuf_clear(&r);
}

Test(imsg, huge_length_refused)
{
	struct imsgbuf	r;
	struct imsg_hdr	h;
	int		sv[2];

	t_pair(sv);
	imsgbuf_init(&r, sv[1]);
	h = t_hdr(1, UINT32_MAX);
	t_raw_write(sv[0], &h, sizeof(h));
	t_expect_get_error(&r, EMSGSIZE);
	imsgbuf_clear(&r);
}

Test(imsg, exact_maxsize_accepted)
{
	struct imsgbuf	 w, r;
	struct imsg	 imsg;
	uint8_t		 buf[T_SMALL_MAX];
	int		 sv[2];

	t_pair(sv);
	imsgbuf_init(&w, sv[0]);
	imsgbuf_init(&r, sv[1]);
	cr_assert_eq(imsgbuf_set_maxsize(&w, T_SMALL_MAX), 0);
	cr_assert_eq(imsgbuf_set_maxsize(&r, T_SMALL_MAX), 0);
	memset(buf, 'm', sizeof(buf));
	cr_assert_eq(imsg_compose(&w, 1, 0, -1, buf,
	    T_SMALL_MAX - IMSG_HEADER_SIZE), 0);
	cr_assert_eq(imsgbuf_flush(&w), 0);
	cr_assert_eq(imsgbuf_read(&r), T_SMALL_MAX);
	/* The read buffer is full, and the message in it is whole. */
	cr_assert_eq(imsg_get(&r, &imsg), 1);
	cr_assert_eq(imsg.datalen, T_SMALL_MAX - IMSG_HEADER_SIZE);
	imsg_free(&imsg);
	imsgbuf_clear(&w);
	imsgbuf_clear(&r);
}

Test(imsg, small_maxsize_refuses_peer)
{
	struct imsgbuf	w, r;
	uint8_t		buf[T_SMALL_MAX];
	int		sv[2];

	t_pair(sv);
	imsgbuf_init(&w, sv[0]);
	imsgbuf_init(&r, sv[1]);
	cr_assert_eq(imsgbuf_set_maxsize(&r, T_SMALL_MAX), 0);
	memset(buf, 0, sizeof(buf));
	/* Legal for the sender's default maximum, too big for ours. */
	cr_assert_eq(imsg_compose(&w, 1, 0, -1, buf,
	    T_SMALL_MAX - IMSG_HEADER_SIZE + 1), 0);
	cr_assert_eq(imsgbuf_flush(&w), 0);
	t_expect_get_error(&r, EMSGSIZE);
	imsgbuf_clear(&w);
	imsgbuf_clear(&r);
}

Test(imsg, length_below_header)
{
	struct imsgbuf	r;
	struct imsg_hdr	h;
	int		sv[2];

	t_pair(sv);
	imsgbuf_init(&r, sv[1]);
	h = t_hdr(1, IMSG_HEADER_SIZE - 1);
	t_raw_write(sv[0], &h, sizeof(h));
	t_expect_get_error(&r, EBADMSG);
	imsgbuf_clear(&r);
}

Test(imsg, length_zero)
{
	struct imsgbuf	r;
	struct imsg_hdr	h;
	int		sv[2];

	t_pair(sv);
	imsgbuf_init(&r, sv[1]);
	h = t_hdr(1, 0);
	t_raw_write(sv[0], &h, sizeof(h));
	t_expect_get_error(&r, EBADMSG);
	imsgbuf_clear(&r);
}

Test(imsg, reserved_bits_refused)
{
	struct imsgbuf	r;
	struct imsg_hdr	h;
	int		sv[2];

	t_pair(sv);
	imsgbuf_init(&r, sv[1]);
	h = t_hdr(1, IMSG_HEADER_SIZE);
	h.reserved = 0x8000;
	t_raw_write(sv[0], &h, sizeof(h));
	t_expect_get_error(&r, EBADMSG);
	imsgbuf_clear(&r);
}

Test(imsg, unknown_flags_refused)
{
	struct imsgbuf	r;
	struct imsg_hdr	h;
	int		sv[2];

	t_pair(sv);
	imsgbuf_init(&r, sv[1]);
	h = t_hdr(1, IMSG_HEADER_SIZE);
	h.flags = 0x0002;
	t_raw_write(sv[0], &h, sizeof(h));
	t_expect_get_error(&r, EBADMSG);
	imsgbuf_clear(&r);
}

Test(imsg, compose_oversize_closes_fd)
{
	struct imsgbuf	 ib;
	uint8_t		*buf;
	int		 sv[2], p[2];

	t_pair(sv);
	imsgbuf_init(&ib, sv[0]);
	cr_assert_not_null(buf = calloc(1, IMSG_MAX_SIZE_DEFAULT));
	cr_assert_eq(pipe(p), 0);
	errno = 0;
	cr_assert_eq(imsg_compose(&ib, 1, 0, p[1], buf,
	    IMSG_MAX_SIZE_DEFAULT - IMSG_HEADER_SIZE + 1), -1);
	cr_assert_eq(errno, EMSGSIZE);
	cr_assert_eq(fcntl(p[1], F_GETFD), -1, "fd left open");
	cr_assert_eq(errno, EBADF);
	cr_assert_eq(imsgbuf_queuelen(&ib), 0);
	/* One byte less fits. */
	cr_assert_eq(imsg_compose(&ib, 1, 0, -1, buf,
	    IMSG_MAX_SIZE_DEFAULT - IMSG_HEADER_SIZE), 0);
	cr_assert_eq(imsgbuf_queuelen(&ib), 1);
	free(buf);
	imsgbuf_clear(&ib);
}

Test(imsg, create_oversize_hint_closes_fd)
{
	struct imsgbuf	 ib;
	int		 sv[2], p[2];

	t_pair(sv);
	imsgbuf_init(&ib, sv[0]);
	cr_assert_eq(pipe(p), 0);
	errno = 0;
	cr_assert_null(imsg_create(&ib, 1, 0, p[0], SIZE_MAX));
	cr_assert_eq(errno, EMSGSIZE);
	cr_assert_eq(fcntl(p[0], F_GETFD), -1, "fd left open");
	imsgbuf_clear(&ib);
}

Test(imsg, add_cannot_grow_past_max)
{
	struct imsgbuf	 w, r;
	struct ibuf	*b;
	struct imsg	 imsg;
	uint8_t		 chunk[100];
	size_t		 wpos;
	int		 sv[2], p[2];

	t_pair(sv);
	imsgbuf_init(&w, sv[0]);
	imsgbuf_init(&r, sv[1]);
	cr_assert_eq(imsgbuf_set_maxsize(&w, T_SMALL_MAX), 0);
	memset(chunk, 'c', sizeof(chunk));
	cr_assert_eq(pipe(p), 0);
	cr_assert_not_null(b = imsg_create(&w, 9, 0, p[1], 0));
	cr_assert_eq(imsg_add(b, chunk, sizeof(chunk)), 0);
	cr_assert_eq(imsg_add(b, chunk, sizeof(chunk)), 0);
	/* 24 + 200 + 100 > 256: refused, and the ibuf is unchanged. */
	wpos = b->wpos;
	errno = 0;
	cr_assert_eq(imsg_add(b, chunk, sizeof(chunk)), -1);
	cr_assert_eq(errno, EMSGSIZE);
	cr_assert_eq(b->wpos, wpos);
	cr_assert_eq(imsg_add(b, chunk, SIZE_MAX), -1);
	cr_assert_eq(errno, EMSGSIZE);
	cr_assert_leq(b->size, T_SMALL_MAX);
	/* Exactly up to the maximum is fine. */
	cr_assert_eq(imsg_add(b, chunk, T_SMALL_MAX - b->wpos), 0);
	cr_assert_eq(imsg_add_u8(b, 0), -1);
	imsg_abort(b);
	cr_assert_eq(fcntl(p[1], F_GETFD), -1, "abort left the fd open");
	cr_assert_eq(imsgbuf_queuelen(&w), 0);

	/* A built message of exactly max bytes goes through. */
	cr_assert_not_null(b = imsg_create(&w, 10, 0, -1, 0));
	cr_assert_eq(imsg_add(b, chunk, sizeof(chunk)), 0);
	cr_assert_eq(imsg_add(b, chunk, sizeof(chunk)), 0);
	cr_assert_eq(imsg_add(b, chunk, T_SMALL_MAX - b->wpos), 0);
	imsg_close(&w, b);
	cr_assert_eq(imsgbuf_flush(&w), 0);
	cr_assert_eq(imsgbuf_read(&r), T_SMALL_MAX);
	cr_assert_eq(imsg_get(&r, &imsg), 1);
	cr_assert_eq(imsg.hdr.len, T_SMALL_MAX);
	imsg_free(&imsg);
	close(p[0]);
	imsgbuf_clear(&w);
	imsgbuf_clear(&r);
}

Test(imsg, set_maxsize_bounds)
{
	struct imsgbuf	ib;
	struct imsg_hdr	h;
	int		sv[2];

	t_pair(sv);
	imsgbuf_init(&ib, sv[1]);
	cr_assert_eq(imsgbuf_set_maxsize(&ib, IMSG_HEADER_SIZE - 1), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_eq(imsgbuf_set_maxsize(&ib, IMSG_MAX_SIZE_LIMIT + 1), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_eq(imsgbuf_set_maxsize(&ib, IMSG_MAX_SIZE_LIMIT), 0);
	cr_assert_eq(ib.maxsize, IMSG_MAX_SIZE_LIMIT);

	/* Half a header buffered: resizing now would lose it. */
	h = t_hdr(1, IMSG_HEADER_SIZE);
	t_raw_write(sv[0], &h, 4);
	cr_assert_eq(imsgbuf_read(&ib), 4);
	cr_assert_eq(imsgbuf_set_maxsize(&ib, T_SMALL_MAX), -1);
	cr_assert_eq(errno, EBUSY);
	cr_assert_eq(ib.maxsize, IMSG_MAX_SIZE_LIMIT);
	imsgbuf_clear(&ib);
}

Test(imsg, eof_returns_zero)
{
	struct imsgbuf	r;
	int		sv[2];

	t_pair(sv);
	imsgbuf_init(&r, sv[1]);
	errno = 0;
	cr_assert_eq(imsgbuf_read(&r), -1);
	cr_assert_eq(errno, EAGAIN);
	cr_assert_eq(r.eof, 0);
	close(sv[0]);
	cr_assert_eq(imsgbuf_read(&r), 0);
	cr_assert_eq(r.eof, 1);
	imsgbuf_clear(&r);
}

Test(imsg, epipe_after_peer_closed)
{
	struct imsgbuf	w;
	int		sv[2];

	t_pair(sv);
	imsgbuf_init(&w, sv[0]);
	close(sv[1]);
	cr_assert_eq(imsg_compose(&w, 1, 0, -1, "hello", 5), 0);
	/* Without MSG_NOSIGNAL this would kill the test with SIGPIPE. */
	errno = 0;
	cr_assert_eq(imsgbuf_write(&w), -1);
	cr_assert_eq(errno, EPIPE);
	cr_assert_eq(imsgbuf_flush(&w), -1);
	cr_assert_eq(errno, EPIPE);
	cr_assert_eq(imsgbuf_queuelen(&w), 1);
	imsgbuf_clear(&w);
}

/* A child reads everything blocking; flush must wait for it to make room. */
Test(imsg, flush_blocks_until_sent)
{
	struct imsgbuf	 w;
	uint8_t		*buf;
	size_t		 total = 0, want, i;
	int		 sv[2], sz = T_SMALL_SNDBUF, status;
	pid_t		 pid;
	ssize_t		 n;

	t_pair(sv);
	cr_assert_eq(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz,
	    sizeof(sz)), 0);
	want = T_BIG_COUNT * (IMSG_HEADER_SIZE + T_BIG_DATA);
	cr_assert_not_null(buf = calloc(1, T_BIG_DATA));
	imsgbuf_init(&w, sv[0]);
	for (i = 0; i < T_BIG_COUNT; i++)
		cr_assert_eq(imsg_compose(&w, 1, 0, -1, buf, T_BIG_DATA), 0);

	cr_assert_neq(pid = fork(), -1);
	if (pid == 0) {
		close(sv[0]);
		fcntl(sv[1], F_SETFL, 0);
		while ((n = read(sv[1], buf, T_BIG_DATA)) > 0)
			total += n;
		_exit(total == want ? 0 : 1);
	}
	close(sv[1]);
	cr_assert_eq(imsgbuf_flush(&w), 0);
	cr_assert_eq(imsgbuf_queuelen(&w), 0);
	close(sv[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "reader saw the wrong byte count");
	free(buf);
	imsgbuf_clear(&w);
}

Test(imsg, read_without_drain_is_refused)
{
	struct imsgbuf	 w, r;
	uint8_t		 buf[T_SMALL_MAX];
	int		 sv[2];

	t_pair(sv);
	imsgbuf_init(&w, sv[0]);
	imsgbuf_init(&r, sv[1]);
	cr_assert_eq(imsgbuf_set_maxsize(&r, T_SMALL_MAX), 0);
	memset(buf, 0, sizeof(buf));
	cr_assert_eq(imsg_compose(&w, 1, 0, -1, buf,
	    T_SMALL_MAX - IMSG_HEADER_SIZE), 0);
	cr_assert_eq(imsg_compose(&w, 2, 0, -1, NULL, 0), 0);
	cr_assert_eq(imsgbuf_flush(&w), 0);
	cr_assert_eq(imsgbuf_read(&r), T_SMALL_MAX);
	/* The buffer is full with a message nobody took out. */
	errno = 0;
	cr_assert_eq(imsgbuf_read(&r), -1);
	cr_assert_eq(errno, ENOBUFS);
	imsgbuf_clear(&w);
	imsgbuf_clear(&r);
}
