/*
 * The master passphrase: one secret protects every secret key keyd holds
 * (docs/DESIGN-NOTES.md, "Key custody").  keyd reads it once, as root and
 * before its sandbox, from keyd-passphrase-file, which must be a regular
 * file owned by root that neither group nor others may access; anything
 * else is refused with a message that says what to fix.  It lives in a
 * page of its own that is locked (never swapped) and left out of core
 * dumps (keyd is not dumpable anyway), and it is never logged.
 *
 * The organisation key's passphrase is derived from it (the master
 * passphrase and a fixed suffix): one secret still governs every key at
 * rest, but the one passphrase gpg-agent caches for cryptod's restricted
 * socket does not open the organisation key (see orgkey.c).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/lockedmem.h"
#include "common/log.h"
#include "keyd/keyd.h"

/* Read a little more than the longest passphrase, to see one too long. */
#define SECRET_READ	(KEYD_SECRET_MAX + 2)

static void *
secret_page(size_t *maplen)
{
	return locked_alloc(SECRET_READ + 1, maplen, "passphrase");
}

void
secret_load(struct secret *s, const char *path)
{
	struct stat	 st;
	char		*buf;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd;

	memset(s, 0, sizeof(*s));
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY)) ==
	    -1) {
		if (errno == ENOENT)
			fatalx("keyd-passphrase-file %s does not exist "
			    "(pgpmgd creates it at start when keyd-home "
			    "holds no secret key yet)", path);
		fatal("keyd-passphrase-file %s", path);
	}
	if (fstat(fd, &st) == -1)
		fatal("keyd-passphrase-file %s", path);
	if (!S_ISREG(st.st_mode))
		fatalx("keyd-passphrase-file %s is not a regular file", path);
	if (st.st_uid != 0 || (st.st_mode & 077) != 0)
		fatalx("keyd-passphrase-file %s must be owned by root with "
		    "mode 0600 (it is uid %ld, mode %04o): chown root %s; "
		    "chmod 0600 %s", path, (long)st.st_uid,
		    (unsigned)(st.st_mode & 07777), path, path);

	buf = secret_page(&s->maplen);
	while (len < SECRET_READ) {
		if ((n = read(fd, buf + len, SECRET_READ - len)) == -1) {
			if (errno == EINTR)
				continue;
			fatal("keyd-passphrase-file %s", path);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	/* One line; a final newline (or CR LF) is not part of it. */
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	if (len > KEYD_SECRET_MAX)
		fatalx("keyd-passphrase-file %s: longer than %d characters",
		    path, KEYD_SECRET_MAX);
	if (len < KEYD_SECRET_MIN)
		fatalx("keyd-passphrase-file %s: shorter than %d characters "
		    "(the agent does not stretch it: it must be random and "
		    "long)", path, KEYD_SECRET_MIN);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (c < 0x21 || c == 0x7f)
			fatalx("keyd-passphrase-file %s: one line of printable "
			    "characters without spaces expected", path);
	}
	explicit_bzero(buf + len, s->maplen - len);
	s->buf = buf;
	s->len = len;
}

void
secret_derive(struct secret *dst, const struct secret *src, const char *suffix)
{
	size_t	 slen = strlen(suffix);

	memset(dst, 0, sizeof(*dst));
	dst->buf = secret_page(&dst->maplen);
	if (src->len + slen >= dst->maplen)
		fatalx("passphrase: derived passphrase too long");
	memcpy(dst->buf, src->buf, src->len);
	memcpy(dst->buf + src->len, suffix, slen + 1);
	dst->len = src->len + slen;
}

char *
secret_hex(const struct secret *s)
{
	static const char	 hex[] = "0123456789abcdef";
	char			*out;

	if ((out = malloc(s->len * 2 + 1)) == NULL)
		return NULL;
	for (size_t i = 0; i < s->len; i++) {
		out[2 * i] = hex[(unsigned char)s->buf[i] >> 4];
		out[2 * i + 1] = hex[(unsigned char)s->buf[i] & 0xf];
	}
	out[s->len * 2] = '\0';
	return out;
}

void
secret_free_str(char *p)
{
	if (p == NULL)
		return;
	explicit_bzero(p, strlen(p));
	free(p);
}
