/*
 * http_path: the request target of an accepted head, split into its path
 * (percent-decoded, proven clean) and its query (as sent).  Pure, like
 * http_parse.c, for the same tests and fuzz target.
 */
#ifndef PGPMG_HTTP_PATH_H
#define PGPMG_HTTP_PATH_H

#include <stddef.h>

#include "webd/http_parse.h"

struct http_target {
	/* Decoding never lengthens: the target's bound is the path's. */
	char		 path[HTTP_TARGET_MAX + 1];	/* NUL-terminated */
	size_t		 pathlen;
	const char	*query;		/* after '?', as sent; NULL: none */
	size_t		 querylen;
};

/*
 * Split target[0..len) at its first '?' and decode the path.  A clean path
 * is absolute, has no empty segment but perhaps the last, no "." or ".."
 * segment, no backslash, and decodes to UTF-8 without NUL, control
 * characters or a '/' that was encoded.  Returns 0, or -1 with *why set
 * (the request is answered 400).
 */
int	http_path_decode(const char *target, size_t len, struct http_target *,
	    const char **why);

#endif /* PGPMG_HTTP_PATH_H */
