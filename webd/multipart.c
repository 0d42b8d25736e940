/*
 * multipart: RFC 7578 form data in RFC 2046's framing, read strictly.
 * Browsers all write the same narrow dialect of it: no preamble, no
 * epilogue, two header fields a part, quoted names with '"' written
 * %22.  Whatever lies outside that dialect and could be read two ways
 * (a preamble, an epilogue, a parameter given twice, the boundary inside
 * a part, a part without the empty line after its header, a nested
 * multipart, an encoding we would have to undo) is refused, never
 * guessed at: what a handler sees is what the form held, or nothing.
 *
 * Two passes: the first walks the framing and the headers and notes
 * where each part lies; the second copies the text fields, now of known
 * size, into the form's one buffer.  Nothing is copied of a file.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/utf8.h"
#include "webd/multipart.h"

#define MP_TYPE		"multipart/form-data"

/* Every text part becomes a field of the form. */
_Static_assert(MULTIPART_PARTS_MAX <= FORM_FIELDS_MAX,
    "a form holds every part");

struct mp_part {
	const char	*name;		/* into the body, not terminated */
	size_t		 namelen;
	int		 file;		/* it has a filename */
	const uint8_t	*data;
	size_t		 len;
};

struct mp_parse {
	const uint8_t	*body;
	size_t		 len;
	char		 delim[4 + MULTIPART_BOUNDARY_MAX];	/* CRLF "--" b */
	size_t		 delimlen;
	struct mp_part	 parts[MULTIPART_PARTS_MAX];
	size_t		 n;
	const char	*why;
};

/* RFC 9110 5.6.2 tchar. */
static int
mp_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || (c != '\0' && strchr("!#$%&'*+-.^_`|~",
	    c) != NULL);
}

/* RFC 2046 5.1.1 bchars, the space included. */
static int
mp_bchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || (c != '\0' && strchr("'()+_,-./:=? ",
	    c) != NULL);
}

static int
mp_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* s[0..len) equals the NUL-terminated word, ignoring case. */
static int
mp_is(const char *s, size_t len, const char *word)
{
	return len == strlen(word) && strncasecmp(s, word, len) == 0;
}

/* ---------------------------------------------------------------- type */

/*
 * One parameter "name=value" at *pp (leading OWS and the ';' already
 * passed): the name, and the value as a token or a quoted string whose
 * quotes are removed.  Backslash is no escape (RFC 7578 4.2, and what
 * browsers write).  -1 when malformed.
 */
static int
mp_param(const char **pp, const char *end, const char **name,
    size_t *namelen, const char **value, size_t *valuelen)
{
	const char	*p = *pp, *q;

	for (q = p; q < end && mp_tchar((unsigned char)*q); q++)
		;
	if (q == p || q == end || *q != '=')
		return -1;
	*name = p;
	*namelen = (size_t)(q - p);
	p = q + 1;
	if (p < end && *p == '"') {
		if ((q = memchr(p + 1, '"', (size_t)(end - p - 1))) == NULL)
			return -1;
		*value = p + 1;
		*valuelen = (size_t)(q - p - 1);
		p = q + 1;
	} else {
		for (q = p; q < end && mp_tchar((unsigned char)*q); q++)
			;
		if (q == p)
			return -1;
		*value = p;
		*valuelen = (size_t)(q - p);
		p = q;
	}
	/* Then the end, or OWS and the next ';'. */
	while (p < end && mp_ows(*p))
		p++;
	if (p < end) {
		if (*p != ';')
			return -1;
		p++;
		while (p < end && mp_ows(*p))
			p++;
		if (p == end)
			return -1;	/* a trailing ';' */
	}
	*pp = p;
	return 0;
}

int
multipart_boundary(const char *value, size_t len,
    char boundary[MULTIPART_BOUNDARY_MAX + 1], const char **why)
{
	const char	*p, *end = value + len, *name, *v = NULL, *pv;
	size_t		 n = sizeof(MP_TYPE) - 1, namelen, vlen = 0, pvlen;

	boundary[0] = '\0';
	if (len < n || strncasecmp(value, MP_TYPE, n) != 0 ||
	    (len > n && value[n] != ';' && !mp_ows(value[n]))) {
		*why = "the form is not multipart/form-data";
		return 415;
	}
	p = value + n;
	while (p < end && mp_ows(*p))
		p++;
	if (p < end) {
		if (*p != ';') {
			*why = "a malformed Content-Type";
			return 400;
		}
		p++;
		while (p < end && mp_ows(*p))
			p++;
	}
	while (p < end) {
		if (mp_param(&p, end, &name, &namelen, &pv, &pvlen) == -1) {
			*why = "a malformed Content-Type";
			return 400;
		}
		if (!mp_is(name, namelen, "boundary"))
			continue;	/* charset and the like: not ours */
		if (v != NULL) {
			*why = "two boundaries";
			return 400;
		}
		v = pv;
		vlen = pvlen;
	}
	if (v == NULL || vlen == 0 || vlen > MULTIPART_BOUNDARY_MAX ||
	    v[vlen - 1] == ' ') {
		*why = "no boundary, or not of 1 to 70 characters";
		return 400;
	}
	for (size_t i = 0; i < vlen; i++)
		if (!mp_bchar((unsigned char)v[i])) {
			*why = "a character the boundary may not have";
			return 400;
		}
	memcpy(boundary, v, vlen);
	boundary[vlen] = '\0';
	return 0;
}

/* ---------------------------------------------------------------- headers */

/* Content-Disposition: form-data; name="..."[; filename="..."]. */
static int
mp_disposition(struct mp_parse *m, struct mp_part *part, const char *v,
    size_t len)
{
	const char	*p = v, *end = v + len, *name, *pv;
	size_t		 namelen, pvlen;
	int		 seen_name = 0;

	while (p < end && mp_tchar((unsigned char)*p))
		p++;
	if (!mp_is(v, (size_t)(p - v), "form-data")) {
		m->why = "a part that is not form-data";
		return -1;
	}
	while (p < end && mp_ows(*p))
		p++;
	if (p == end || *p != ';')
		goto bad;
	p++;
	while (p < end && mp_ows(*p))
		p++;
	while (p < end) {
		if (mp_param(&p, end, &name, &namelen, &pv, &pvlen) == -1)
			goto bad;
		if (mp_is(name, namelen, "name") && !seen_name) {
			seen_name = 1;
			part->name = pv;
			part->namelen = pvlen;
		} else if (mp_is(name, namelen, "filename") && !part->file)
			part->file = 1;
		else {
			m->why = "a part's disposition has a parameter twice, "
			    "or one that form data does not have";
			return -1;
		}
	}
	if (!seen_name || part->namelen == 0 ||
	    part->namelen > MULTIPART_NAME_MAX ||
	    !utf8_valid(part->name, part->namelen)) {
		m->why = "a part without a name, or with one too long";
		return -1;
	}
	return 0;
 bad:
	m->why = "a malformed Content-Disposition";
	return -1;
}

/* One header field line [p, end), CRLF excluded. */
static int
mp_field(struct mp_parse *m, struct mp_part *part, const char *p,
    const char *end, int *seen_cd, int *seen_ct)
{
	const char	*colon, *v, *ve;

	if (p == end || mp_ows(*p)) {
		m->why = "a folded or empty line in a part's header";
		return -1;
	}
	for (const char *q = p; q < end; q++)
		if (((unsigned char)*q < 0x20 && *q != '\t') || *q == 0x7f) {
			m->why = "a control character in a part's header";
			return -1;
		}
	if ((colon = memchr(p, ':', (size_t)(end - p))) == NULL ||
	    colon == p) {
		m->why = "a malformed line in a part's header";
		return -1;
	}
	for (const char *q = p; q < colon; q++)
		if (!mp_tchar((unsigned char)*q)) {
			m->why = "a malformed field name in a part's header";
			return -1;
		}
	for (v = colon + 1; v < end && mp_ows(*v); v++)
		;
	for (ve = end; ve > v && mp_ows(ve[-1]); ve--)
		;
	if (!utf8_valid(v, (size_t)(ve - v))) {
		m->why = "a part's header is not UTF-8";
		return -1;
	}
	if (mp_is(p, (size_t)(colon - p), "Content-Disposition")) {
		if ((*seen_cd)++ > 0) {
			m->why = "a part with two dispositions";
			return -1;
		}
		return mp_disposition(m, part, v, (size_t)(ve - v));
	}
	if (mp_is(p, (size_t)(colon - p), "Content-Type")) {
		if ((*seen_ct)++ > 0) {
			m->why = "a part with two types";
			return -1;
		}
		if ((size_t)(ve - v) >= 10 && strncasecmp(v, "multipart/", 10) ==
		    0) {
			m->why = "a nested multipart";
			return -1;
		}
		return 0;
	}
	if (mp_is(p, (size_t)(colon - p), "Content-Transfer-Encoding")) {
		if (!mp_is(v, (size_t)(ve - v), "binary") &&
		    !mp_is(v, (size_t)(ve - v), "8bit") &&
		    !mp_is(v, (size_t)(ve - v), "7bit")) {
			m->why = "a part with a transfer encoding";
			return -1;
		}
		return 0;
	}
	/* RFC 7578 4.8: other fields must not be sent, and are ignored. */
	return 0;
}

/* The header block [p, end), its last line's CRLF included. */
static int
mp_header(struct mp_parse *m, struct mp_part *part, const char *p,
    const char *end)
{
	const char	*eol;
	int		 seen_cd = 0, seen_ct = 0, nfields = 0;

	while (p < end) {
		/* There is one: the block ends in CRLF. */
		eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		if (++nfields > MULTIPART_FIELDS_MAX) {
			m->why = "too many fields in a part's header";
			return -1;
		}
		if (mp_field(m, part, p, eol, &seen_cd, &seen_ct) == -1)
			return -1;
		p = eol + 2;
	}
	if (!seen_cd) {
		m->why = "a part without a Content-Disposition";
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- framing */

/* Past the transport padding (RFC 2046: LWSP after a delimiter). */
static const uint8_t *
mp_padding(const uint8_t *p, const uint8_t *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* The parts, their places noted; the status to answer, or 0. */
static int
mp_walk(struct mp_parse *m)
{
	const uint8_t	*p = m->body, *end = m->body + m->len, *hend, *q;
	const char	*dash = m->delim + 2;
	size_t		 dashlen = m->delimlen - 2, room;
	struct mp_part	*part;

	if (m->len < dashlen || memcmp(p, dash, dashlen) != 0) {
		m->why = "the form does not start with its boundary";
		return 400;
	}
	p += dashlen;
	for (;;) {
		if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
			p = mp_padding(p + 2, end);
			if (p != end && !(end - p == 2 && p[0] == '\r' &&
			    p[1] == '\n')) {
				m->why = "something follows the form's end";
				return 400;
			}
			if (m->n == 0) {
				m->why = "a form without parts";
				return 400;
			}
			return 0;
		}
		p = mp_padding(p, end);
		if (end - p < 2 || p[0] != '\r' || p[1] != '\n') {
			m->why = "a malformed boundary line";
			return 400;
		}
		p += 2;
		if (m->n == MULTIPART_PARTS_MAX) {
			m->why = "too many parts in the form";
			return 413;
		}
		part = &m->parts[m->n++];
		memset(part, 0, sizeof(*part));
		/* The header, CRLF CRLF at its end, within its bound; an
		 * empty one has no Content-Disposition. */
		if (end - p >= 2 && p[0] == '\r' && p[1] == '\n') {
			m->why = "a part without a Content-Disposition";
			return 400;
		}
		room = (size_t)(end - p);
		if (room > MULTIPART_HEAD_MAX + 2)
			room = MULTIPART_HEAD_MAX + 2;
		if ((hend = memmem(p, room, "\r\n\r\n", 4)) == NULL) {
			m->why = room == MULTIPART_HEAD_MAX + 2 ? "a part's "
			    "header is too long" : "a part's header does not "
			    "end";
			return 400;
		}
		if (mp_header(m, part, (const char *)p,
		    (const char *)hend + 2) == -1)
			return 400;
		p = hend + 4;
		/* Read by RFC 2046's grammar, a dash-boundary right here is a
		 * part without its empty line: one reading too many. */
		if ((size_t)(end - p) >= dashlen && memcmp(p, dash, dashlen) ==
		    0) {
			m->why = "a part without the empty line after its "
			    "header";
			return 400;
		}
		if ((q = memmem(p, (size_t)(end - p), m->delim, m->delimlen)) ==
		    NULL) {
			m->why = "a part without a boundary after it";
			return 400;
		}
		if ((size_t)(q - p) > MULTIPART_PART_MAX) {
			m->why = "a part of the form is too large";
			return 413;
		}
		part->data = p;
		part->len = (size_t)(q - p);
		p = q + m->delimlen;
		/* After a delimiter: "--", or padding and CRLF.  Anything
		 * else is the boundary inside a part. */
		if (!(end - p >= 2 && p[0] == '-' && p[1] == '-')) {
			q = mp_padding(p, end);
			if (end - q < 2 || q[0] != '\r' || q[1] != '\n') {
				m->why = "the boundary occurs inside a part";
				return 400;
			}
		}
	}
}

static int
mp_fail(struct mp_parse *m, struct form *form,
    struct multipart_files *files, int status, const char **why)
{
	form_free(form);
	memset(files, 0, sizeof(*files));
	*why = m->why;
	return status;
}

int
multipart_parse(const uint8_t *body, size_t len, const char *boundary,
    struct form *form, struct multipart_files *files, const char **why)
{
	struct mp_parse	*m;
	struct mp_part	*part;
	size_t		 blen = strlen(boundary), size = 0;
	char		*o;
	int		 status;

	memset(form, 0, sizeof(*form));
	memset(files, 0, sizeof(*files));
	if (blen == 0 || blen > MULTIPART_BOUNDARY_MAX) {
		*why = "no boundary, or not of 1 to 70 characters";
		return 400;
	}
	if (len > MULTIPART_BODY_MAX) {
		*why = "the form is too large";
		return 413;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		*why = "out of memory";
		return 500;
	}
	m->body = body;
	m->len = len;
	memcpy(m->delim, "\r\n--", 4);
	memcpy(m->delim + 4, boundary, blen);
	m->delimlen = 4 + blen;
	if ((status = mp_walk(m)) != 0)
		goto fail;

	/* Check the text and the files' count; size the buffer. */
	for (size_t i = 0; i < m->n; i++) {
		part = &m->parts[i];
		if (part->file) {
			if (files->n == MULTIPART_FILES_MAX) {
				m->why = "too many files in the form";
				status = 413;
				goto fail;
			}
			files->n++;
			continue;
		}
		if (memchr(part->data, '\0', part->len) != NULL ||
		    !utf8_valid(part->data, part->len)) {
			m->why = "a form field that is not UTF-8 text";
			status = 400;
			goto fail;
		}
		size += part->namelen + part->len + 2;
	}
	if (size > 0) {
		form->bufsize = size;
		if ((form->buf = malloc(size)) == NULL) {
			m->why = "out of memory";
			status = 500;
			goto fail;
		}
	}
	o = form->buf;
	files->n = 0;
	for (size_t i = 0; i < m->n; i++) {
		part = &m->parts[i];
		if (part->file) {
			struct multipart_file *f = &files->f[files->n++];

			memcpy(f->name, part->name, part->namelen);
			f->name[part->namelen] = '\0';
			f->data = part->len > 0 ? part->data : NULL;
			f->len = part->len;
			continue;
		}
		form->fields[form->n].name = o;
		memcpy(o, part->name, part->namelen);
		o += part->namelen;
		*o++ = '\0';
		form->fields[form->n].value = o;
		if (part->len > 0)
			memcpy(o, part->data, part->len);
		o += part->len;
		*o++ = '\0';
		form->n++;
	}
	free(m);
	return 0;
 fail:
	status = mp_fail(m, form, files, status, why);
	free(m);
	return status;
}

const struct multipart_file *
multipart_file(const struct multipart_files *files, const char *name)
{
	const struct multipart_file	*f = NULL;

	for (size_t i = 0; i < files->n; i++) {
		if (strcmp(files->f[i].name, name) != 0)
			continue;
		if (f != NULL)
			return NULL;
		f = &files->f[i];
	}
	return f;
}
