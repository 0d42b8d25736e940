/*
 * buf: a growable byte buffer with a hard cap.  Everything cryptod builds
 * (decoded parts, gpg output, the messages it emits) goes into one, and the
 * cap is how a decompression bomb or an absurd expansion is refused: an
 * append past the cap fails and latches, instead of allocating on.
 */
#ifndef PGPMG_CRYPTOD_BUF_H
#define PGPMG_CRYPTOD_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;		/* allocated */
	size_t	 max;		/* hard cap on len; 0: SIZE_MAX */
	int	 overflow;	/* an append was refused by max */
	int	 nomem;		/* an allocation failed */
};

void	buf_init(struct buf *, size_t max);
void	buf_free(struct buf *);
void	buf_reset(struct buf *);		/* len = 0, flags cleared */
/* 0, or -1 (and the flag latched) when max or memory refused it. */
int	buf_add(struct buf *, const void *, size_t);
int	buf_addstr(struct buf *, const char *);
int	buf_addc(struct buf *, char);
int	buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* 1 when an append failed: the buffer's content is incomplete. */
int	buf_failed(const struct buf *);

#endif /* PGPMG_CRYPTOD_BUF_H */
