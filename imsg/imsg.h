/*
 * imsg: framed messages over a stream socketpair, with fd passing.
 *
 * Our own implementation of the OpenBSD imsg idea (not its code).  Every
 * message is a fixed header followed by hdr.len - IMSG_HEADER_SIZE bytes of
 * payload.  Lengths are checked against the buffer's maximum when composing
 * and again when a header arrives from the peer, so a peer can never make us
 * allocate or read past that bound.
 *
 * File descriptor ownership (the rules every caller relies on):
 *  - imsg_compose()/imsg_create() with fd >= 0 take ownership of fd at once,
 *    also when they fail; the fd is closed after it has been sent, or by
 *    imsgbuf_clear() if it never was.
 *  - A received fd belongs to the struct imsg that announced it.  A caller
 *    that wants it calls imsg_get_fd(), which hands it over (and returns -1
 *    the second time).  imsg_free() closes an fd that nobody claimed.
 *  - Fds that arrived but were never announced by a message are closed by
 *    imsgbuf_clear(); more than IMSG_MAX_PENDING_FDS of them is a protocol
 *    error.
 *  - At most one fd per message.
 */
#ifndef PGPMG_IMSG_H
#define PGPMG_IMSG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Header on the wire, host byte order (both ends are on one machine). */
struct imsg_hdr {
	uint32_t	type;
	uint32_t	len;		/* header included */
	uint16_t	flags;		/* IMSG_HDR_FLAG_* */
	uint16_t	reserved;	/* must be 0 */
	uint32_t	peerid;
	uint32_t	pid;
};

#define IMSG_HEADER_SIZE	sizeof(struct imsg_hdr)
#define IMSG_HDR_FLAG_FD	0x0001	/* an fd travels with this message */

/*
 * Default maximum message size, header included.  64 KiB carries the
 * configuration text and every control record; bulk data (mail, keys)
 * travels as an fd instead.
 */
#define IMSG_MAX_SIZE_DEFAULT	(64 * 1024)
/* Hard ceiling for imsgbuf_set_maxsize(): 1 MiB per message. */
#define IMSG_MAX_SIZE_LIMIT	(1024 * 1024)
/* Received fds not yet claimed by a parsed message. */
#define IMSG_MAX_PENDING_FDS	8

struct ibuf {
	struct ibuf	*next;
	uint8_t		*buf;
	size_t		 size;		/* allocated */
	size_t		 wpos;		/* bytes written into buf */
	size_t		 rpos;		/* bytes already sent */
	size_t		 max;		/* may not grow past this */
	int		 fd;		/* to send with the first byte, or -1 */
};

struct imsgbuf {
	int		 fd;		/* the socket; not owned */
	pid_t		 pid;		/* stamped into outgoing headers */
	size_t		 maxsize;	/* per message, header included */
	/* read side */
	uint8_t		*rbuf;		/* maxsize bytes */
	size_t		 rlen;		/* valid bytes in rbuf */
	size_t		 rpos;		/* of those, already parsed */
	int		 rfds[IMSG_MAX_PENDING_FDS];
	int		 nrfds;
	int		 eof;
	/* write side */
	struct ibuf	*wq_head;
	struct ibuf	*wq_tail;
	size_t		 wq_len;	/* messages queued */
};

struct imsg {
	struct imsg_hdr	 hdr;
	void		*data;		/* hdr.len - IMSG_HEADER_SIZE bytes, or NULL */
	size_t		 datalen;
	int		 fd;		/* -1, or an fd owned by this imsg */
};

/* Buffers. */
int	 imsgbuf_init(struct imsgbuf *, int fd);
int	 imsgbuf_set_maxsize(struct imsgbuf *, size_t);
void	 imsgbuf_clear(struct imsgbuf *);
size_t	 imsgbuf_queuelen(const struct imsgbuf *);

/*
 * Non-blocking I/O.  imsgbuf_read() returns the bytes read, 0 on EOF, -1 on
 * error (errno EAGAIN when nothing was there).  imsgbuf_write() sends as much
 * of the queue as the socket takes: 0 when done or would block, -1 on error
 * (EPIPE when the peer is gone).  imsgbuf_flush() blocks, with poll(), until
 * the queue is empty or an error occurs.
 */
ssize_t	 imsgbuf_read(struct imsgbuf *);
int	 imsgbuf_write(struct imsgbuf *);
int	 imsgbuf_flush(struct imsgbuf *);

/*
 * imsg_get(): 1 and a message in *imsg, 0 when no complete message is
 * buffered, -1 on a protocol error (errno EBADMSG: length below the header
 * or reserved bits set; EMSGSIZE: length above maxsize; ENOENT: the header
 * announces an fd that did not arrive).  After -1 the buffer is unusable.
 */
ssize_t	 imsg_get(struct imsgbuf *, struct imsg *);
int	 imsg_get_fd(struct imsg *);
void	 imsg_free(struct imsg *);

/* Composing.  All return -1 with errno EMSGSIZE when the message would
 * exceed maxsize, ENOMEM on allocation failure.  A failed imsg_add*() leaves
 * the ibuf unchanged and still the caller's: drop it with imsg_abort(). */
int	 imsg_compose(struct imsgbuf *, uint32_t type, uint32_t peerid,
	    int fd, const void *data, size_t datalen);
struct ibuf *imsg_create(struct imsgbuf *, uint32_t type, uint32_t peerid,
	    int fd, size_t datalen_hint);
int	 imsg_add(struct ibuf *, const void *, size_t);
int	 imsg_add_u8(struct ibuf *, uint8_t);
int	 imsg_add_u16(struct ibuf *, uint16_t);
int	 imsg_add_u32(struct ibuf *, uint32_t);
int	 imsg_add_u64(struct ibuf *, uint64_t);
int	 imsg_add_string(struct ibuf *, const char *);	/* with its NUL */
void	 imsg_close(struct imsgbuf *, struct ibuf *);	/* queue it */
void	 imsg_abort(struct ibuf *);			/* drop it, close fd */

/*
 * Typed readers over a received message.  Each getter fails (returns -1 and
 * latches r->error) on short data; imsg_read_string() also fails when no NUL
 * lies within the message or the string is longer than maxlen (NUL excluded).
 * imsg_reader_end() fails when any getter failed or bytes are left over.
 * Strings point into the message and live as long as it does.
 */
struct imsg_reader {
	const uint8_t	*p;
	size_t		 left;
	int		 error;
};

void	 imsg_reader_init(struct imsg_reader *, const struct imsg *);
int	 imsg_read_u8(struct imsg_reader *, uint8_t *);
int	 imsg_read_u16(struct imsg_reader *, uint16_t *);
int	 imsg_read_u32(struct imsg_reader *, uint32_t *);
int	 imsg_read_u64(struct imsg_reader *, uint64_t *);
int	 imsg_read_data(struct imsg_reader *, void *, size_t);
int	 imsg_read_string(struct imsg_reader *, const char **, size_t maxlen);
int	 imsg_reader_end(const struct imsg_reader *);

#endif /* PGPMG_IMSG_H */
