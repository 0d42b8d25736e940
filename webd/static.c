/*
 * static: the console's own files, web-root/static/NAME and
 * web-root/robots.txt.  Three walls keep a request inside them: the name
 * is one plain component ([A-Za-z0-9._-], no leading dot) with a type we
 * know, every open is relative to the web root's descriptor with
 * O_NOFOLLOW (a symbolic link is never followed, in static/ itself or
 * below it), and Landlock refuses any file outside the web root whatever
 * the path.  Only regular files of bounded size are served.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "webd/webd.h"

/* Our names are short; a long one is not one of them. */
#define STATIC_NAME_MAX		64
/* Our largest asset is a few KiB; a bigger file in the web root is a
 * mistake, not something to hold in memory per request. */
#define STATIC_FILE_MAX		(1024 * 1024)

struct static_type {
	const char	*ext;
	const char	*type;
};

static const struct static_type static_types[] = {
	{ "css",	"text/css; charset=utf-8" },
	{ "js",		"text/javascript; charset=utf-8" },
	{ "svg",	"image/svg+xml" },
	{ "png",	"image/png" },
	{ "txt",	"text/plain; charset=utf-8" },
};

/* The Content-Type of a valid name, or NULL: not a name we serve. */
static const char *
static_name_type(const char *name)
{
	const char	*dot;
	size_t		 len = strlen(name);

	if (len == 0 || len > STATIC_NAME_MAX || name[0] == '.' ||
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-") != len || (dot = strrchr(name, '.')) == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(static_types) / sizeof(static_types[0]);
	    i++)
		if (strcmp(dot + 1, static_types[i].ext) == 0)
			return static_types[i].type;
	return NULL;
}

/*
 * Read dir/name, a regular file of at most STATIC_FILE_MAX bytes, into
 * a malloc'd buffer.  dirpath is the subdirectory of the web root, or
 * NULL for the root itself.  Returns 0, or -1 (answered 404).
 */
static int
static_read(const char *dirpath, const char *name, uint8_t **buf,
    size_t *len)
{
	struct stat	 st;
	ssize_t		 n;
	size_t		 off = 0;
	int		 dfd = webd->root_fd, fd = -1;

	*buf = NULL;
	if (dirpath != NULL && (dfd = openat(webd->root_fd, dirpath,
	    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		log_debug("static: %s: %s", dirpath, strerror(errno));
		return -1;
	}
	/* O_NONBLOCK: a FIFO planted in the web root must not hang us;
	 * it has no effect on a regular file. */
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC);
	if (dfd != webd->root_fd)
		close(dfd);
	if (fd == -1) {
		log_debug("static: %s: %s", name, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > STATIC_FILE_MAX) {
		log_warnx("static: %s is not a regular file of at most %d "
		    "bytes", name, STATIC_FILE_MAX);
		goto fail;
	}
	*len = (size_t)st.st_size;
	if ((*buf = malloc(*len > 0 ? *len : 1)) == NULL) {
		log_warn("static: %s", name);
		goto fail;
	}
	while (off < *len) {
		if ((n = read(fd, *buf + off, *len - off)) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("static: %s", name);
			goto fail;
		}
		if (n == 0)
			break;		/* it shrank: serve what is there */
		off += (size_t)n;
	}
	*len = off;
	close(fd);
	return 0;

 fail:
	free(*buf);
	*buf = NULL;
	close(fd);
	return -1;
}

static void
static_serve(struct conn *c, const char *dirpath, const char *name,
    const char *type)
{
	struct response	 r;
	uint8_t		*buf;
	size_t		 len;

	if (type == NULL || static_read(dirpath, name, &buf, &len) == -1) {
		response_error(c, 404, "there is no such file");
		return;
	}
	memset(&r, 0, sizeof(r));
	r.status = 200;
	r.content_type = type;
	r.body = buf;
	r.bodylen = len;
	r.cacheable = 1;
	response_send(c, &r);
	free(buf);
}

void
static_file(struct conn *c, const struct webd_request *r)
{
	static_serve(c, "static", r->tail, static_name_type(r->tail));
}

void
static_robots(struct conn *c, const struct webd_request *r)
{
	(void)r;
	static_serve(c, NULL, "robots.txt", "text/plain; charset=utf-8");
}

/*
 * Browsers ask for /favicon.ico on their own.  The console has no icon to
 * show: an image kept for looks is one more file to ship and review, and
 * says nothing a title does not.  204 tells the browser there is nothing
 * (no error in its console, unlike a 404), and it may keep that answer as
 * long as a static file, so that it does not ask on every page.
 */
void
static_favicon(struct conn *c, const struct webd_request *r)
{
	struct response	 resp;

	(void)r;
	memset(&resp, 0, sizeof(resp));
	resp.status = 204;
	resp.cacheable = 1;
	response_send(c, &resp);
}
