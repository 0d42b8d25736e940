/*
 * imsg_reader: typed getters over a received message's payload.
 *
 * A payload comes from a peer we do not trust, so every getter checks the
 * bytes left before it reads, copies with memcpy (the payload has no
 * alignment), and latches the first failure: a handler may read all its
 * fields and check once, at imsg_reader_end(), which also refuses bytes left
 * over.  A failed getter zeroes its output so that nothing half-read is
 * ever used by mistake.
 */
#include <errno.h>
#include <string.h>

#include "imsg/imsg.h"

static int	imsg_read_fail(struct imsg_reader *);
static int	imsg_read_raw(struct imsg_reader *, void *, size_t);

void
imsg_reader_init(struct imsg_reader *r, const struct imsg *imsg)
{
	r->p = imsg->data;
	r->left = imsg->data != NULL ? imsg->datalen : 0;
	r->error = 0;
}

static int
imsg_read_fail(struct imsg_reader *r)
{
	r->error = 1;
	errno = EBADMSG;
	return -1;
}

static int
imsg_read_raw(struct imsg_reader *r, void *out, size_t len)
{
	if (r->error || len > r->left) {
		if (len > 0)
			memset(out, 0, len);
		return imsg_read_fail(r);
	}
	if (len == 0)
		return 0;
	memcpy(out, r->p, len);
	r->p += len;
	r->left -= len;
	return 0;
}

int
imsg_read_u8(struct imsg_reader *r, uint8_t *v)
{
	return imsg_read_raw(r, v, sizeof(*v));
}

int
imsg_read_u16(struct imsg_reader *r, uint16_t *v)
{
	return imsg_read_raw(r, v, sizeof(*v));
}

int
imsg_read_u32(struct imsg_reader *r, uint32_t *v)
{
	return imsg_read_raw(r, v, sizeof(*v));
}

int
imsg_read_u64(struct imsg_reader *r, uint64_t *v)
{
	return imsg_read_raw(r, v, sizeof(*v));
}

int
imsg_read_data(struct imsg_reader *r, void *buf, size_t len)
{
	return imsg_read_raw(r, buf, len);
}

/*
 * The NUL must lie within the message: a string is never allowed to run
 * into whatever follows the payload in memory.
 */
int
imsg_read_string(struct imsg_reader *r, const char **s, size_t maxlen)
{
	const uint8_t	*nul;
	size_t		 len;

	*s = NULL;
	if (r->error || r->left == 0)
		return imsg_read_fail(r);
	if ((nul = memchr(r->p, '\0', r->left)) == NULL)
		return imsg_read_fail(r);
	len = (size_t)(nul - r->p);
	if (len > maxlen)
		return imsg_read_fail(r);
	*s = (const char *)r->p;
	r->p += len + 1;
	r->left -= len + 1;
	return 0;
}

int
imsg_reader_end(const struct imsg_reader *r)
{
	if (r->error || r->left != 0) {
		errno = EBADMSG;
		return -1;
	}
	return 0;
}
