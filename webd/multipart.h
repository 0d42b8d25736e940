/*
 * multipart: multipart/form-data bodies (RFC 7578 in the framing of
 * RFC 2046 5.1.1), what a browser sends for a form that uploads a file:
 * the key uploads of the console.  Pure and bounded, for the unit tests
 * and the fuzz target.  The text fields go into a struct form, as a
 * urlencoded form's do, so that a handler reads both alike; the file
 * parts are described by pointers into the body, whose bytes are
 * nobody's to check but keyd's.
 */
#ifndef PGPMG_MULTIPART_H
#define PGPMG_MULTIPART_H

#include <stddef.h>
#include <stdint.h>

#include "common/msg.h"
#include "webd/form.h"

/* RFC 2046 5.1.1: a boundary is 1 to 70 characters. */
#define MULTIPART_BOUNDARY_MAX	70
/* Our largest upload form has five parts (csrf, key, armour,
 * passphrase, password); sixteen leaves room and bounds the work. */
#define MULTIPART_PARTS_MAX	16
/* Files among them: ours has one. */
#define MULTIPART_FILES_MAX	4
/* One part's header block, its fields with their CRLFs (not the empty
 * line after them).  A browser writes Content-Disposition with
 * the field's name and the file's (a name of 255 bytes may grow to three
 * times that when it escapes quotes and line breaks) and a Content-Type:
 * under 1 KiB; 2 KiB is generous, and a longer block is no browser's. */
#define MULTIPART_HEAD_MAX	2048
/* Header fields in one part: browsers send two. */
#define MULTIPART_FIELDS_MAX	8
/* A field's name: ours are single words. */
#define MULTIPART_NAME_MAX	64
/* Any one part: the key data is at most what policyd takes. */
#define MULTIPART_PART_MAX	CONSOLE_UPLOAD_MAX
/*
 * A whole upload: the key data, and beside it an ordinary form's worth
 * (FORM_BODY_MAX) for the other fields and the framing (16 parts of 2
 * KiB headers and 76-byte delimiters need under 34 KiB of it).  A file
 * and a pasted block together are therefore refused as too large, which
 * is right: one of them is asked for.
 */
#define MULTIPART_BODY_MAX	(MULTIPART_PART_MAX + FORM_BODY_MAX)

/* A file part: its field's name, and its content within the body. */
struct multipart_file {
	char		 name[MULTIPART_NAME_MAX + 1];
	const uint8_t	*data;		/* into the body; NULL when empty */
	size_t		 len;
};

struct multipart_files {
	struct multipart_file	 f[MULTIPART_FILES_MAX];
	size_t			 n;
};

/*
 * The boundary of a Content-Type field's value, which must be
 * multipart/form-data (case-insensitive) with exactly one boundary
 * parameter (a token or a quoted string without escapes, 1 to 70 of
 * RFC 2046's bchars, not ending in a space), into boundary.  Returns 0,
 * or the status to answer: 415 for another media type, 400 for a bad or
 * missing boundary; *why is set.
 */
int	multipart_boundary(const char *value, size_t len,
	    char boundary[MULTIPART_BOUNDARY_MAX + 1], const char **why);

/*
 * Parse body[0..len).  It must start with the first delimiter (no
 * preamble) and end with the close delimiter and at most a CRLF (no
 * epilogue); each part has a header block of CRLF-terminated lines
 * without obs-fold, exactly one Content-Disposition "form-data" with a
 * name and perhaps a filename (no other parameter, none twice), perhaps
 * a Content-Type that is not multipart (nested), no Content-Transfer-Encoding
 * but 7bit, 8bit or binary; other fields are ignored (RFC 7578 4.8).  A
 * part with a filename is a file; any other is a text field, whose value
 * must be UTF-8 without NUL.  Returns 0, or the status to answer (400,
 * 413, 500) with *why set, and then form and files are empty.
 * form_free() releases what a success holds in form; files point into
 * body.
 */
int	multipart_parse(const uint8_t *body, size_t len, const char *boundary,
	    struct form *form, struct multipart_files *files,
	    const char **why);

/* The file part of that name given exactly once, or NULL. */
const struct multipart_file *multipart_file(const struct multipart_files *,
	    const char *name);

#endif /* PGPMG_MULTIPART_H */
