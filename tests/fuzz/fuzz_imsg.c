/*
 * libFuzzer target for the receiving side of imsg: the input is what a
 * hostile peer writes to our channel.  It goes through a real socketpair,
 * in chunks whose size the input picks and with fds attached to some of
 * them, into imsgbuf_read() and imsg_get(); every message that comes out is
 * parsed with the typed readers in one of a few patterns.  Besides the
 * sanitizers, the target checks the library's promises itself: what
 * imsg_get() hands out is consistent with its header, and no fd is leaked,
 * whatever the peer sent.
 *
 * Input layout: byte 0 picks the maximum message size (low 2 bits) and the
 * chunk size (the rest); byte 1 is a mask of which chunks carry an fd; the
 * remaining bytes are the stream.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg/imsg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Maximum sizes to try: header only, tiny, small, and the default. */
static const size_t fuzz_maxsizes[] = {
	IMSG_HEADER_SIZE, 64, 4096, IMSG_MAX_SIZE_DEFAULT
};
#define FUZZ_NMAXSIZES	(sizeof(fuzz_maxsizes) / sizeof(fuzz_maxsizes[0]))
/* String bound used by the reader patterns; small, so that it is hit. */
#define FUZZ_STRMAX	64
/* Raw bytes read by the fixed-layout pattern. */
#define FUZZ_BLOB	16
/* Strings taken from one message before the pattern gives up. */
#define FUZZ_MAXSTRINGS	32

static int	fuzz_devnull = -1;

static int
fuzz_lowest_free_fd(void)
{
	int	fd;

	if ((fd = fcntl(fuzz_devnull, F_DUPFD, 0)) == -1)
		abort();
	close(fd);
	return fd;
}

static void
fuzz_send(int sock, const uint8_t *p, size_t len, int with_fd)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*cmsg;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = (void *)p;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (with_fd) {
		memset(&cmsgbuf, 0, sizeof(cmsgbuf));
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = sizeof(cmsgbuf.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fuzz_devnull, sizeof(int));
	}
	/* The reader drains after every chunk, so the socket never fills. */
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) != (ssize_t)len)
		abort();
}

/* Parses one message the way a daemon's handlers would. */
static void
fuzz_parse(struct imsg *imsg)
{
	struct imsg_reader	 r;
	const char		*s;
	uint8_t			 u8, blob[FUZZ_BLOB];
	uint16_t		 u16;
	uint32_t		 u32;
	uint64_t		 u64;
	int			 i, fd;

	imsg_reader_init(&r, imsg);
	switch (imsg->hdr.type % 4) {
	case 0:
		imsg_read_u32(&r, &u32);
		imsg_read_string(&r, &s, FUZZ_STRMAX);
		if (s != NULL && strlen(s) > FUZZ_STRMAX)
			abort();
		break;
	case 1:
		imsg_read_u8(&r, &u8);
		imsg_read_u16(&r, &u16);
		imsg_read_u32(&r, &u32);
		imsg_read_u64(&r, &u64);
		imsg_read_data(&r, blob, sizeof(blob));
		break;
	case 2:
		for (i = 0; i < FUZZ_MAXSTRINGS; i++)
			if (imsg_read_string(&r, &s, FUZZ_STRMAX) == -1)
				break;
		break;
	default:
		imsg_read_data(&r, blob, imsg->datalen % (FUZZ_BLOB + 1));
		imsg_read_string(&r, &s, SIZE_MAX);
		imsg_read_u8(&r, &u8);
		break;
	}
	/* A failed getter must have latched. */
	if (r.error && imsg_reader_end(&r) != -1)
		abort();
	(void)imsg_reader_end(&r);

	/* Claim the fd of some messages, leave the others to imsg_free(). */
	if (imsg->hdr.type & 4) {
		if ((fd = imsg_get_fd(imsg)) >= 0)
			close(fd);
		if (imsg_get_fd(imsg) != -1)
			abort();
	}
}

/* Returns -1 once the channel is finished: error, protocol error or EOF. */
static int
fuzz_drain(struct imsgbuf *ib)
{
	struct imsg	imsg;
	ssize_t		n;

	n = imsgbuf_read(ib);
	if (n == 0)
		return -1;
	if (n == -1 && errno != EAGAIN)
		return -1;
	while ((n = imsg_get(ib, &imsg)) == 1) {
		if (imsg.hdr.len < IMSG_HEADER_SIZE ||
		    imsg.hdr.len > ib->maxsize ||
		    imsg.datalen != imsg.hdr.len - IMSG_HEADER_SIZE ||
		    (imsg.data == NULL) != (imsg.datalen == 0) ||
		    ((imsg.hdr.flags & IMSG_HDR_FLAG_FD) != 0) !=
		    (imsg.fd >= 0))
			abort();
		fuzz_parse(&imsg);
		imsg_free(&imsg);
	}
	return n == -1 ? -1 : 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imsgbuf	 ib;
	size_t		 chunk, off, len;
	int		 sv[2], fdmask, before, i, done = 0;

	if (size < 2)
		return 0;
	if (fuzz_devnull == -1 &&
	    (fuzz_devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		abort();
	before = fuzz_lowest_free_fd();

	chunk = (size_t)(data[0] >> 2) * (data[0] >> 2) + 1;
	fdmask = data[1];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == -1)
		abort();
	if (imsgbuf_init(&ib, sv[1]) == -1 ||
	    imsgbuf_set_maxsize(&ib, fuzz_maxsizes[data[0] % FUZZ_NMAXSIZES])
	    == -1)
		abort();
	data += 2;
	size -= 2;

	for (off = 0, i = 0; off < size && !done; off += len, i++) {
		len = size - off < chunk ? size - off : chunk;
		fuzz_send(sv[0], data + off, len, (fdmask >> (i % 8)) & 1);
		done = fuzz_drain(&ib) == -1;
	}
	/* The peer hangs up; read what is left until EOF or an error. */
	shutdown(sv[0], SHUT_WR);
	while (!done)
		done = fuzz_drain(&ib) == -1;

	imsgbuf_clear(&ib);
	close(sv[0]);
	close(sv[1]);
	if (fuzz_lowest_free_fd() != before)
		abort();
	return 0;
}
