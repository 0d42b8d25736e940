/*
 * hdr: small helpers for the header fields cryptod writes itself: name
 * tests, fresh boundaries and Message-IDs, the date, and folding a long
 * structured value.
 */
#ifndef PGPMG_CRYPTOD_HDR_H
#define PGPMG_CRYPTOD_HDR_H

#include <stddef.h>

#include "cryptod/buf.h"
#include "cryptod/mime.h"

#define HDR_BOUNDARY_LEN	40

/* The field's name is name (case-insensitive) / starts with prefix. */
int	hdr_is(const struct mime_field *, const char *name);
int	hdr_has_prefix(const struct mime_field *, const char *prefix);
/* Fields the gateway sets on incoming mail: any X-PGPMG-*. */
int	hdr_is_ours(const struct mime_field *);
/* Content-* and MIME-Version: what moves inside an encrypted message. */
int	hdr_is_content(const struct mime_field *);

/* A fresh multipart boundary: "=_pgpmg_" and 128 random bits in hex. */
void	hdr_boundary(char out[HDR_BOUNDARY_LEN + 1]);
/* RFC 5322 3.3 date of now, e.g. "Sun, 22 Nov 2026 03:00:00 +0000". */
void	hdr_date(char *out, size_t len);
void	hdr_message_id(char *out, size_t len, const char *hostname);

/*
 * A Subject (UTF-8, decoded) with every occurrence of keyword removed
 * (ASCII case-insensitive) and the white space left behind collapsed, as a
 * header value: as it is when ASCII, else RFC 2047 encoded words (UTF-8,
 * B), whole characters in each.  NUL-terminated in out.
 */
int	hdr_subject_without(const char *subject, size_t len,
	    const char *keyword, struct buf *out);

/* "Name: value\r\n", the value folded at spaces before 78 columns. */
int	hdr_add(struct buf *, const char *name, const char *value);

#endif /* PGPMG_CRYPTOD_HDR_H */
