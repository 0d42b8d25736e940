/*
 * imsg: framing, buffering and fd passing over a non-blocking AF_UNIX
 * SOCK_STREAM socket.
 *
 * The read side keeps one fixed buffer of maxsize bytes: since no valid
 * message is larger, a complete message always fits, and a peer announcing
 * more is refused as soon as its header is in.  Parsed messages get a
 * private copy of their payload so the buffer can be compacted under them.
 * Received fds wait in a small FIFO until a message whose header says it
 * carries one takes the oldest.
 *
 * The write side is a queue of ibufs.  A message that carries an fd is
 * always the first byte of the sendmsg() that passes the fd, so on the
 * receiving end the fd arrives no later than the header announcing it; that
 * is what lets imsg_get() treat a missing fd as a protocol error at once.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg/imsg.h"

/*
 * fd-less messages gathered into one sendmsg(); well below IOV_MAX, and
 * enough that a burst of small messages costs few system calls.
 */
#define IMSG_WRITE_IOV_MAX	32

/*
 * Room for this many fds in the control buffer of one recvmsg().  Our own
 * sender passes one fd per sendmsg(); a peer that passes more than the FIFO
 * can hold is broken, and a bigger control buffer only lets us see that
 * (rather than MSG_CTRUNC) before we refuse it.
 */
#define IMSG_RECV_FDS_MAX	IMSG_MAX_PENDING_FDS

static void	imsg_close_fds(int *, int);
static void	ibuf_free(struct ibuf *);
static int	ibuf_reserve(struct ibuf *, size_t);

int
imsgbuf_init(struct imsgbuf *ibuf, int fd)
{
	int	i;

	memset(ibuf, 0, sizeof(*ibuf));
	ibuf->fd = fd;
	ibuf->pid = getpid();
	ibuf->maxsize = IMSG_MAX_SIZE_DEFAULT;
	for (i = 0; i < IMSG_MAX_PENDING_FDS; i++)
		ibuf->rfds[i] = -1;
	if ((ibuf->rbuf = malloc(ibuf->maxsize)) == NULL)
		return -1;
	return 0;
}

/*
 * The read buffer is exactly maxsize bytes, so it can only be resized while
 * it holds nothing; a channel sets its size once, before its first read.
 */
int
imsgbuf_set_maxsize(struct imsgbuf *ibuf, size_t maxsize)
{
	uint8_t	*nbuf;

	if (maxsize < IMSG_HEADER_SIZE || maxsize > IMSG_MAX_SIZE_LIMIT) {
		errno = EINVAL;
		return -1;
	}
	if (ibuf->rlen != ibuf->rpos) {
		errno = EBUSY;
		return -1;
	}
	if ((nbuf = realloc(ibuf->rbuf, maxsize)) == NULL)
		return -1;
	ibuf->rbuf = nbuf;
	ibuf->rlen = ibuf->rpos = 0;
	ibuf->maxsize = maxsize;
	return 0;
}

/* Drops everything buffered in both directions; safe to call twice. */
void
imsgbuf_clear(struct imsgbuf *ibuf)
{
	struct ibuf	*b;

	free(ibuf->rbuf);
	ibuf->rbuf = NULL;
	ibuf->rlen = ibuf->rpos = 0;
	imsg_close_fds(ibuf->rfds, ibuf->nrfds);
	ibuf->nrfds = 0;

	while ((b = ibuf->wq_head) != NULL) {
		ibuf->wq_head = b->next;
		ibuf_free(b);
	}
	ibuf->wq_tail = NULL;
	ibuf->wq_len = 0;
}

size_t
imsgbuf_queuelen(const struct imsgbuf *ibuf)
{
	return ibuf->wq_len;
}

static void
imsg_close_fds(int *fds, int n)
{
	int	i;

	for (i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

/*
 * Takes the fds out of a received control message.  Anything other than
 * SCM_RIGHTS, a truncated control buffer, or more fds than the FIFO can hold
 * is a protocol error; every fd that did arrive is closed then, so a hostile
 * peer cannot make us leak descriptors.
 */
static int
imsgbuf_take_fds(struct imsgbuf *ibuf, struct msghdr *msg)
{
	struct cmsghdr	*cmsg;
	int		 got[IMSG_RECV_FDS_MAX + 1];
	int		 ngot = 0, bad = 0, i, fd;
	size_t		 n, len;

	if (msg->msg_flags & MSG_CTRUNC)
		bad = 1;
	for (cmsg = CMSG_FIRSTHDR(msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS ||
		    cmsg->cmsg_len < CMSG_LEN(0)) {
			bad = 1;
			continue;
		}
		len = cmsg->cmsg_len - CMSG_LEN(0);
		for (n = 0; n < len / sizeof(int); n++) {
			memcpy(&fd, CMSG_DATA(cmsg) + n * sizeof(int),
			    sizeof(fd));
			if (ngot < IMSG_RECV_FDS_MAX + 1)
				got[ngot++] = fd;
			else {
				/* Cannot happen with our buffer; be safe. */
				close(fd);
				bad = 1;
			}
		}
	}
	if (bad || ngot > IMSG_MAX_PENDING_FDS - ibuf->nrfds) {
		imsg_close_fds(got, ngot);
		errno = EBADMSG;
		return -1;
	}
	for (i = 0; i < ngot; i++)
		ibuf->rfds[ibuf->nrfds++] = got[i];
	return 0;
}

ssize_t
imsgbuf_read(struct imsgbuf *ibuf)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) *
				    IMSG_RECV_FDS_MAX)];
	} cmsgbuf;
	struct msghdr	 msg;
	struct iovec	 iov;
	ssize_t		 n;

	if (ibuf->rbuf == NULL) {
		errno = EINVAL;
		return -1;
	}
	/* Move the unparsed tail to the front: one memmove per read. */
	if (ibuf->rpos > 0) {
		memmove(ibuf->rbuf, ibuf->rbuf + ibuf->rpos,
		    ibuf->rlen - ibuf->rpos);
		ibuf->rlen -= ibuf->rpos;
		ibuf->rpos = 0;
	}
	/* Only when the caller did not drain with imsg_get() first. */
	if (ibuf->rlen == ibuf->maxsize) {
		errno = ENOBUFS;
		return -1;
	}

	memset(&msg, 0, sizeof(msg));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	iov.iov_base = ibuf->rbuf + ibuf->rlen;
	iov.iov_len = ibuf->maxsize - ibuf->rlen;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);

	do {
		n = recvmsg(ibuf->fd, &msg, MSG_CMSG_CLOEXEC);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if (imsgbuf_take_fds(ibuf, &msg) == -1)
		return -1;
	if (n == 0) {
		ibuf->eof = 1;
		return 0;
	}
	ibuf->rlen += n;
	return n;
}

ssize_t
imsg_get(struct imsgbuf *ibuf, struct imsg *imsg)
{
	struct imsg_hdr	 hdr;
	size_t		 avail, datalen;
	void		*data = NULL;
	int		 fd = -1;

	/* Leave *imsg safe to imsg_free() whatever we return. */
	memset(imsg, 0, sizeof(*imsg));
	imsg->fd = -1;

	if (ibuf->rbuf == NULL) {
		errno = EINVAL;
		return -1;
	}
	avail = ibuf->rlen - ibuf->rpos;
	if (avail < IMSG_HEADER_SIZE)
		return 0;
	memcpy(&hdr, ibuf->rbuf + ibuf->rpos, sizeof(hdr));

	/* Judge the header before waiting for a body it may not deserve. */
	if (hdr.len < IMSG_HEADER_SIZE || hdr.reserved != 0 ||
	    (hdr.flags & ~IMSG_HDR_FLAG_FD) != 0) {
		errno = EBADMSG;
		return -1;
	}
	if (hdr.len > ibuf->maxsize) {
		errno = EMSGSIZE;
		return -1;
	}
	/* The fd travels with the first byte of its message: it is here. */
	if ((hdr.flags & IMSG_HDR_FLAG_FD) && ibuf->nrfds == 0) {
		errno = ENOENT;
		return -1;
	}
	if (avail < hdr.len)
		return 0;

	datalen = hdr.len - IMSG_HEADER_SIZE;
	if (datalen > 0) {
		if ((data = malloc(datalen)) == NULL)
			return -1;
		memcpy(data, ibuf->rbuf + ibuf->rpos + IMSG_HEADER_SIZE,
		    datalen);
	}
	if (hdr.flags & IMSG_HDR_FLAG_FD) {
		fd = ibuf->rfds[0];
		ibuf->nrfds--;
		memmove(&ibuf->rfds[0], &ibuf->rfds[1],
		    ibuf->nrfds * sizeof(ibuf->rfds[0]));
		ibuf->rfds[ibuf->nrfds] = -1;
	}

	ibuf->rpos += hdr.len;
	if (ibuf->rpos == ibuf->rlen)
		ibuf->rpos = ibuf->rlen = 0;

	imsg->hdr = hdr;
	imsg->data = data;
	imsg->datalen = datalen;
	imsg->fd = fd;
	return 1;
}

/* Hands the fd over: the caller owns it now, and a second call gets -1. */
int
imsg_get_fd(struct imsg *imsg)
{
	int	fd = imsg->fd;

	imsg->fd = -1;
	return fd;
}

void
imsg_free(struct imsg *imsg)
{
	free(imsg->data);
	imsg->data = NULL;
	imsg->datalen = 0;
	if (imsg->fd >= 0)
		close(imsg->fd);
	imsg->fd = -1;
}

/* ---------------------------------------------------------------- compose */

static void
ibuf_free(struct ibuf *b)
{
	if (b == NULL)
		return;
	if (b->fd >= 0)
		close(b->fd);
	free(b->buf);
	free(b);
}

/* Makes room for len more bytes without growing past b->max. */
static int
ibuf_reserve(struct ibuf *b, size_t len)
{
	uint8_t	*nbuf;
	size_t	 need, nsize;

	if (len > b->max - b->wpos) {
		errno = EMSGSIZE;
		return -1;
	}
	need = b->wpos + len;
	if (need <= b->size)
		return 0;
	/* Doubling keeps a message built field by field linear. */
	nsize = b->size;
	while (nsize < need)
		nsize = nsize > b->max / 2 ? b->max : nsize * 2;
	if ((nbuf = realloc(b->buf, nsize)) == NULL)
		return -1;
	b->buf = nbuf;
	b->size = nsize;
	return 0;
}

struct ibuf *
imsg_create(struct imsgbuf *ibuf, uint32_t type, uint32_t peerid, int fd,
    size_t datalen_hint)
{
	struct imsg_hdr	 hdr;
	struct ibuf	*b;
	int		 saved_errno;

	if (datalen_hint > ibuf->maxsize - IMSG_HEADER_SIZE) {
		errno = EMSGSIZE;
		goto fail;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL)
		goto fail;
	b->size = IMSG_HEADER_SIZE + datalen_hint;
	b->max = ibuf->maxsize;
	b->fd = fd;
	if ((b->buf = malloc(b->size)) == NULL) {
		b->fd = -1;
		ibuf_free(b);
		goto fail;
	}
	/* len and flags are filled in by imsg_close(), once len is known. */
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.peerid = peerid;
	hdr.pid = (uint32_t)ibuf->pid;
	memcpy(b->buf, &hdr, sizeof(hdr));
	b->wpos = sizeof(hdr);
	return b;

fail:
	/* We took ownership of fd on entry, so failure closes it too. */
	if (fd >= 0) {
		saved_errno = errno;
		close(fd);
		errno = saved_errno;
	}
	return NULL;
}

/*
 * On failure the ibuf is left as it was and still belongs to the caller,
 * who drops it with imsg_abort(): a message missing a field must never be
 * queued.
 */
int
imsg_add(struct ibuf *b, const void *data, size_t len)
{
	if (len == 0)
		return 0;
	if (ibuf_reserve(b, len) == -1)
		return -1;
	memcpy(b->buf + b->wpos, data, len);
	b->wpos += len;
	return 0;
}

int
imsg_add_u8(struct ibuf *b, uint8_t v)
{
	return imsg_add(b, &v, sizeof(v));
}

int
imsg_add_u16(struct ibuf *b, uint16_t v)
{
	return imsg_add(b, &v, sizeof(v));
}

int
imsg_add_u32(struct ibuf *b, uint32_t v)
{
	return imsg_add(b, &v, sizeof(v));
}

int
imsg_add_u64(struct ibuf *b, uint64_t v)
{
	return imsg_add(b, &v, sizeof(v));
}

int
imsg_add_string(struct ibuf *b, const char *s)
{
	return imsg_add(b, s, strlen(s) + 1);
}

void
imsg_close(struct imsgbuf *ibuf, struct ibuf *b)
{
	uint32_t	len = (uint32_t)b->wpos;
	uint16_t	flags = b->fd >= 0 ? IMSG_HDR_FLAG_FD : 0;

	memcpy(b->buf + offsetof(struct imsg_hdr, len), &len, sizeof(len));
	memcpy(b->buf + offsetof(struct imsg_hdr, flags), &flags,
	    sizeof(flags));
	b->rpos = 0;
	b->next = NULL;
	if (ibuf->wq_tail != NULL)
		ibuf->wq_tail->next = b;
	else
		ibuf->wq_head = b;
	ibuf->wq_tail = b;
	ibuf->wq_len++;
}

void
imsg_abort(struct ibuf *b)
{
	ibuf_free(b);
}

int
imsg_compose(struct imsgbuf *ibuf, uint32_t type, uint32_t peerid, int fd,
    const void *data, size_t datalen)
{
	struct ibuf	*b;

	if ((b = imsg_create(ibuf, type, peerid, fd, datalen)) == NULL)
		return -1;
	if (imsg_add(b, data, datalen) == -1) {
		imsg_abort(b);
		return -1;
	}
	imsg_close(ibuf, b);
	return 0;
}

/* ---------------------------------------------------------------- write */

/*
 * One sendmsg(): the head of the queue, with its fd if it has one and
 * nothing of it was sent yet, then following messages as long as they carry
 * no fd.  Returns the bytes sent or -1.
 */
static ssize_t
imsgbuf_send_some(struct imsgbuf *ibuf)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	struct iovec	 iov[IMSG_WRITE_IOV_MAX];
	struct msghdr	 msg;
	struct cmsghdr	*cmsg;
	struct ibuf	*b;
	ssize_t		 n;
	int		 niov = 0;

	memset(&msg, 0, sizeof(msg));
	for (b = ibuf->wq_head; b != NULL && niov < IMSG_WRITE_IOV_MAX;
	    b = b->next) {
		/* A later fd must start its own sendmsg(). */
		if (niov > 0 && b->fd >= 0)
			break;
		iov[niov].iov_base = b->buf + b->rpos;
		iov[niov].iov_len = b->wpos - b->rpos;
		niov++;
	}
	msg.msg_iov = iov;
	msg.msg_iovlen = niov;

	b = ibuf->wq_head;
	if (b->fd >= 0) {
		memset(&cmsgbuf, 0, sizeof(cmsgbuf));
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = sizeof(cmsgbuf.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &b->fd, sizeof(int));
	}

	do {
		n = sendmsg(ibuf->fd, &msg, MSG_NOSIGNAL);
	} while (n == -1 && errno == EINTR);
	if (n <= 0)
		return n;

	/* The fd went with the first byte: the peer has its own copy now. */
	if (b->fd >= 0) {
		close(b->fd);
		b->fd = -1;
	}
	return n;
}

int
imsgbuf_write(struct imsgbuf *ibuf)
{
	struct ibuf	*b;
	ssize_t		 n;
	size_t		 left, chunk;

	while (ibuf->wq_head != NULL) {
		n = imsgbuf_send_some(ibuf);
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		if (n == 0) {
			/* A stream socket never does this; do not spin. */
			errno = EIO;
			return -1;
		}
		for (left = (size_t)n; left > 0; ) {
			b = ibuf->wq_head;
			chunk = b->wpos - b->rpos;
			if (chunk > left) {
				b->rpos += left;
				break;
			}
			left -= chunk;
			ibuf->wq_head = b->next;
			if (ibuf->wq_head == NULL)
				ibuf->wq_tail = NULL;
			ibuf->wq_len--;
			ibuf_free(b);
		}
	}
	return 0;
}

int
imsgbuf_flush(struct imsgbuf *ibuf)
{
	struct pollfd	pfd;
	int		rv;

	while (ibuf->wq_head != NULL) {
		if (imsgbuf_write(ibuf) == -1)
			return -1;
		if (ibuf->wq_head == NULL)
			break;
		pfd.fd = ibuf->fd;
		pfd.events = POLLOUT;
		pfd.revents = 0;
		rv = poll(&pfd, 1, -1);
		if (rv == -1 && errno != EINTR)
			return -1;
		if (rv == 1 && (pfd.revents & POLLNVAL)) {
			errno = EBADF;
			return -1;
		}
		/* POLLHUP/POLLERR: the next write reports the error. */
	}
	return 0;
}
