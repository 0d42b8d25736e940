/*
 * mime: the small MIME reader and rewriter cryptod needs, and nothing more
 * (docs/DESIGN-NOTES.md says why it is ours and not GMime).  It runs only in
 * cryptod, on hostile input, so every walk is bounded: nesting depth, header
 * block size, number of parts.
 *
 * mime_parse() indexes a message in place: parts point into the caller's
 * buffer, which must outlive the struct mime_msg.  Line ends may be CRLF or
 * bare LF.  The parse is lenient the way mail readers are (a missing close
 * delimiter ends the multipart at the end of its parent; a header line
 * without a colon ends the header block) and strict only about the limits.
 *
 * Rewriting never edits the buffer: a caller records field and body
 * replacements on parts, and mime_emit_*() writes the result, copying every
 * byte it was not told to change exactly as it was.
 */
#ifndef PGPMG_CRYPTOD_MIME_H
#define PGPMG_CRYPTOD_MIME_H

#include <stddef.h>

#include "cryptod/buf.h"

#define MIME_MAX_DEPTH		50		/* a multipart in a multipart ... */
#define MIME_MAX_HEADER		(1024 * 1024)	/* one part's header block */
#define MIME_MAX_PARTS		10000
#define MIME_BOUNDARY_MAX	70		/* RFC 2046 5.1.1 */

enum mime_error {
	MIME_OK = 0,
	MIME_E_DEPTH,		/* nested deeper than MIME_MAX_DEPTH */
	MIME_E_HEADER,		/* a header block above MIME_MAX_HEADER */
	MIME_E_PARTS,		/* more than MIME_MAX_PARTS parts */
	MIME_E_NOMEM,
	MIME_E_LIMIT,		/* an output buffer's cap was reached */
};

enum mime_cte {
	MIME_CTE_7BIT = 0,	/* also: no Content-Transfer-Encoding field */
	MIME_CTE_8BIT,
	MIME_CTE_BINARY,
	MIME_CTE_QP,
	MIME_CTE_BASE64,
	MIME_CTE_OTHER,		/* unknown: treated as opaque */
};

/* One header field, as it stands in the buffer. */
struct mime_field {
	const char	*name;		/* as written, without the colon */
	size_t		 name_len;
	const char	*value;		/* after the colon, folding kept, */
	size_t		 value_len;	/* without the final line end */
	const char	*raw;		/* the whole field with its line end */
	size_t		 raw_len;
};

struct mime_edit;

struct mime_part {
	struct mime_part	*parent;
	struct mime_part	*child;		/* first child */
	struct mime_part	*next;		/* next sibling */
	unsigned		 depth;		/* root: 0 */

	/* Offsets into the message buffer. */
	size_t			 off;		/* start of the header block */
	size_t			 body_off;	/* start of the body */
	size_t			 end;		/* end of the body (exclusive);
						   the line end before a
						   delimiter is not in it */
	/* Multipart only: the preamble is [body_off, preamble_end), the
	 * epilogue [epilogue_off, end); closed: the close delimiter was
	 * seen. */
	size_t			 preamble_end;
	size_t			 epilogue_off;
	int			 closed;

	struct mime_field	*fields;
	size_t			 nfields;

	/* From Content-Type (lower case); defaults per RFC 2045/2046:
	 * text/plain, or message/rfc822 inside multipart/digest. */
	char			 type[32];
	char			 subtype[64];
	char			 charset[48];	/* "" when absent */
	char			 boundary[MIME_BOUNDARY_MAX + 1]; /* multipart */
	enum mime_cte		 cte;

	struct mime_edit	*edits;		/* recorded rewrites */
};

/*
 * message/rfc822 parts have one child: the enclosed message, whose header
 * block starts at the part's body.  Multiparts have one child per body
 * part.  Other parts are leaves.
 */
struct mime_msg {
	const char		*data;
	size_t			 len;
	struct mime_part	*root;
	size_t			 nparts;
};

/* 0 and *out set, or an enum mime_error. */
int	 mime_parse(const char *data, size_t len, struct mime_msg **out);
void	 mime_free(struct mime_msg *);
const char *mime_strerror(int);

/* The first field of that name (case-insensitive), or NULL. */
const struct mime_field *mime_field_find(const struct mime_part *,
	    const char *name);
/* The field's value unfolded (line ends and the CRLF before folding white
 * space removed), leading and trailing white space trimmed. */
int	 mime_field_unfold(const struct mime_field *, struct buf *out);
/*
 * A parameter of a structured field value (Content-Type,
 * Content-Disposition): RFC 2045 quoting, RFC 2231 continuations and
 * charset'language'percent-encoding (converted to UTF-8).  The name is
 * matched case-insensitively.  0 with the value in out (NUL-terminated), -1
 * when absent or it does not fit outlen.
 */
int	 mime_param(const char *value, size_t len, const char *name,
	    char *out, size_t outlen);
/* RFC 2047 encoded words decoded to UTF-8 (unfolds too); text outside
 * encoded words is copied; an undecodable word is kept as written. */
int	 mime_decode_2047(const char *in, size_t len, struct buf *out);
/* Convert from a charset (any name iconv knows; "" means us-ascii) to
 * UTF-8.  -1 when the charset is unknown or the input is invalid in it. */
int	 mime_to_utf8(const char *charset, const char *in, size_t len,
	    struct buf *out);

/* A leaf's body with its transfer encoding undone (lenient: bad base64
 * characters are skipped, bad QP escapes copied). */
int	 mime_decode_body(const struct mime_msg *, const struct mime_part *,
	    struct buf *out);
/* Encoders: CRLF line ends, lines of at most 76 characters.  QP treats
 * CRLF (and bare LF) in the input as line breaks; base64 is binary. */
int	 mime_encode_qp(const char *in, size_t len, struct buf *out);
int	 mime_encode_base64(const char *in, size_t len, struct buf *out);

/* 1 when the bytes contain 8-bit or NUL bytes, a bare CR or LF, a line
 * longer than 998 octets, a line ending in white space or one starting
 * with "From ": not safe to sign and send as 7bit (RFC 3156 3). */
int	 mime_needs_encoding(const char *data, size_t len);

/*
 * Rewrites.  mime_set_field(): replace every field of that name in the
 * part's header by one with this value (it takes the place of the first;
 * appended when there was none), or remove them all (value NULL).
 * mime_set_body(): a leaf's new body, already transfer-encoded; copied.
 */
int	 mime_set_field(struct mime_msg *, struct mime_part *,
	    const char *name, const char *value);
int	 mime_set_body(struct mime_msg *, struct mime_part *,
	    const char *body, size_t len);
/*
 * Make every leaf under the part safe to sign and to send through any
 * MTA: a leaf whose body needs encoding (mime_needs_encoding(), or it is
 * 8bit/binary) is decoded and re-encoded, quoted-printable for text types,
 * base64 otherwise, and its Content-Transfer-Encoding set to match.  A
 * message/rfc822 part is walked into (RFC 2046 forbids encoding it).
 * *changed counts the leaves re-encoded.
 */
int	 mime_make_7bit(struct mime_msg *, struct mime_part *, size_t *changed);

/* The part's header block (fields with rewrites applied), without the
 * blank line that ends it. */
int	 mime_emit_header(const struct mime_msg *, const struct mime_part *,
	    struct buf *out);
/* The part's body with every rewrite under it applied: for a multipart,
 * preamble, delimiters, children and epilogue as they were. */
int	 mime_emit_body(const struct mime_msg *, const struct mime_part *,
	    struct buf *out);
/* Header, the blank line, body: the whole entity. */
int	 mime_emit_entity(const struct mime_msg *, const struct mime_part *,
	    struct buf *out);

#endif /* PGPMG_CRYPTOD_MIME_H */
