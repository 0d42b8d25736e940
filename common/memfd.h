/*
 * memfd: mail lives in sealed anonymous memory, never on a disk.  A spool
 * is written once, then sealed against writes, growth and shrinking, so
 * every process that receives its fd reads exactly the bytes the writer
 * sealed, and nobody can change them underneath a reader.
 */
#ifndef PGPMG_MEMFD_H
#define PGPMG_MEMFD_H

#include <stddef.h>
#include <stdint.h>

/* Write buffer of a spool: large enough that a message costs few writes. */
#define SPOOL_BUFSIZE	(64 * 1024)

struct spool {
	int		 fd;
	uint64_t	 size;		/* bytes written so far */
	size_t		 buflen;
	unsigned char	*buf;		/* SPOOL_BUFSIZE */
	int		 error;		/* a write failed: the spool is
					   incomplete and cannot be sealed */
};

int	spool_open(struct spool *, const char *name);
/* -1 once any write failed (sticky: later writes fail too). */
int	spool_write(struct spool *, const void *, size_t);
/* Flush and seal; -1 if any write failed.  The fd stays open and owned
 * by the spool. */
int	spool_seal(struct spool *);
/* Close without sealing (an aborted transaction). */
void	spool_discard(struct spool *);

/* A received fd: 0 and its size when it is a fully sealed memfd. */
int	memfd_check_sealed(int fd, uint64_t *size);

#endif /* PGPMG_MEMFD_H */
