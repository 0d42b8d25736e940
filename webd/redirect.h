/*
 * redirect: the one answer of the plain-HTTP listener (listen
 * web-redirect), the console's https:// address built from a request
 * head that http_parse.c has accepted.  Pure, like http_parse.c and
 * http_path.c, for the same unit tests and fuzz target.
 */
#ifndef PGPMG_REDIRECT_H
#define PGPMG_REDIRECT_H

#include <stddef.h>
#include <stdint.h>

#include "webd/http_parse.h"

/* "https://", a Host of at most HTTP_HOST_MAX (its port is replaced by
 * ours, at most ":65535"), a target of at most HTTP_TARGET_MAX, a NUL. */
#define REDIRECT_LOCATION_MAX \
	(sizeof("https://") - 1 + HTTP_HOST_MAX + sizeof(":65535") - 1 + \
	HTTP_TARGET_MAX + 1)

/*
 * Write "https://HOST[:PORT]TARGET" into out (outlen bytes, at least
 * REDIRECT_LOCATION_MAX), NUL-terminated: HOST is the host of req's Host
 * field, without its port; PORT is port (the console's), left out when it
 * is 443; TARGET is req's target byte for byte.  Returns 0, or -1 with
 * *why set to a fixed text (the request is answered 400): no Host, a host
 * that is no DNS name, IPv4 address or IPv6 literal, a target that is not
 * origin-form as RFC 3986 spells it.
 */
int	redirect_location(const struct http_request *req, uint16_t port,
	    char *out, size_t outlen, const char **why);

#endif /* PGPMG_REDIRECT_H */
