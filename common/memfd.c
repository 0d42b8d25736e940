/*
 * Sealed memfd spools (see memfd.h).  The seals are checked by every
 * receiver: a peer that hands over an fd it could still modify would let
 * a message change between the policy decision and the relay.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/memfd.h"

#define SPOOL_SEALS	(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | \
			 F_SEAL_WRITE)

int
spool_open(struct spool *sp, const char *name)
{
	memset(sp, 0, sizeof(*sp));
	sp->fd = -1;
	if ((sp->buf = malloc(SPOOL_BUFSIZE)) == NULL)
		return -1;
	if ((sp->fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING)) ==
	    -1) {
		free(sp->buf);
		sp->buf = NULL;
		return -1;
	}
	return 0;
}

static int
spool_flush(struct spool *sp)
{
	size_t	 off = 0;
	ssize_t	 n;

	while (off < sp->buflen) {
		if ((n = write(sp->fd, sp->buf + off, sp->buflen - off)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		off += (size_t)n;
	}
	sp->buflen = 0;
	return 0;
}

int
spool_write(struct spool *sp, const void *data, size_t len)
{
	const unsigned char	*p = data;

	if (sp->error || sp->buf == NULL)
		return -1;
	sp->size += len;
	while (len > 0) {
		size_t n = SPOOL_BUFSIZE - sp->buflen;
		if (n > len)
			n = len;
		memcpy(sp->buf + sp->buflen, p, n);
		sp->buflen += n;
		p += n;
		len -= n;
		if (sp->buflen == SPOOL_BUFSIZE && spool_flush(sp) == -1) {
			sp->error = 1;
			return -1;
		}
	}
	return 0;
}

int
spool_seal(struct spool *sp)
{
	int	 rc = 0;

	if (sp->error || sp->buf == NULL || spool_flush(sp) == -1 ||
	    fcntl(sp->fd, F_ADD_SEALS, SPOOL_SEALS) == -1)
		rc = -1;
	free(sp->buf);
	sp->buf = NULL;
	return rc;
}

void
spool_discard(struct spool *sp)
{
	if (sp->fd != -1)
		close(sp->fd);
	free(sp->buf);
	memset(sp, 0, sizeof(*sp));
	sp->fd = -1;
}

int
memfd_check_sealed(int fd, uint64_t *size)
{
	struct stat	 st;
	int		 seals;

	if ((seals = fcntl(fd, F_GET_SEALS)) == -1)
		return -1;		/* not a memfd */
	if ((seals & SPOOL_SEALS) != SPOOL_SEALS || fstat(fd, &st) == -1 ||
	    !S_ISREG(st.st_mode)) {
		errno = EPERM;
		return -1;
	}
	*size = (uint64_t)st.st_size;
	return 0;
}
