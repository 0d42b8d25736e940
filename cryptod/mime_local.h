/*
 * mime_local: what the mime*.c files share and nobody else needs.  The
 * public contract is cryptod/mime.h; this header only lets the parser
 * free the rewrites the emitter records, and lets the emitter and the
 * parameter code reuse the decoders.
 */
#ifndef PGPMG_CRYPTOD_MIME_LOCAL_H
#define PGPMG_CRYPTOD_MIME_LOCAL_H

#include <stddef.h>

#include "cryptod/buf.h"
#include "cryptod/mime.h"

/* A recorded rewrite: a field replacement (value NULL: removal) or, with
 * name NULL, the part's new body. */
struct mime_edit {
	struct mime_edit	*next;
	char			*name;
	char			*value;
	size_t			 value_len;
	size_t			 first;		/* the index of the first field
						   of that name, or SIZE_MAX:
						   where the new one goes */
};

void	 mime_edits_free(struct mime_edit *);

/* Small lexical pieces: a field-name octet (RFC 5322 printable US-ASCII
 * but ':'), white space (folding included) and comments skipped from
 * s[i], the octet two hex digits at s stand for (or -1). */
int	 mime_namechar(unsigned char);
size_t	 mime_cfws(const char *s, size_t i, size_t n);
int	 mime_hex2(const char *s);

/* The Content-Transfer-Encoding a field value names. */
enum mime_cte mime_cte_parse(const char *value, size_t len);

/* Undo a transfer encoding.  strict (base64 only): -1 on a character
 * outside the alphabet, for RFC 2047 words. */
int	 mime_cte_decode(enum mime_cte, const char *, size_t, struct buf *);
int	 mime_b64_decode(const char *, size_t, struct buf *, int strict);

#endif /* PGPMG_CRYPTOD_MIME_LOCAL_H */
