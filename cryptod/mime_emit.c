/*
 * mime_emit: rewrites recorded on parts and the writer that applies
 * them.  Whatever was not edited is copied from the caller's buffer as it
 * is, and the parser made parts and the bytes between them tile the
 * message, so an unedited emit gives back the input octet for octet.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cryptod/buf.h"
#include "cryptod/mime.h"
#include "cryptod/mime_local.h"

#define EMIT_CTE	"Content-Transfer-Encoding"

/* Output goes to a buf, or nowhere with a note of any 8-bit or NUL
 * octet: whether a container's content is 7-bit once rewritten. */
struct emit_sink {
	struct buf	*b;
	int		 eight;
};

static int	emit_entity(const struct mime_msg *, const struct mime_part *,
		    struct emit_sink *);

void
mime_edits_free(struct mime_edit *e)
{
	struct mime_edit	*next;

	for (; e != NULL; e = next) {
		next = e->next;
		free(e->name);
		free(e->value);
		free(e);
	}
}

/* The edit of a field name, or with name NULL the body's. */
static struct mime_edit *
edit_find(const struct mime_part *p, const char *name, size_t len)
{
	struct mime_edit	*e;

	for (e = p->edits; e != NULL; e = e->next) {
		if (name == NULL || e->name == NULL) {
			if (name == e->name)
				return e;
		} else if (strlen(e->name) == len &&
		    strncasecmp(e->name, name, len) == 0)
			return e;
	}
	return NULL;
}

static int
edit_has_fields(const struct mime_part *p)
{
	struct mime_edit	*e;

	for (e = p->edits; e != NULL; e = e->next)
		if (e->name != NULL)
			return 1;
	return 0;
}

/* A new edit at the end of the list (appended fields keep call order). */
static struct mime_edit *
edit_new(struct mime_part *p, const char *name)
{
	struct mime_edit	*e, **tail;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	if (name != NULL && (e->name = strdup(name)) == NULL) {
		free(e);
		return NULL;
	}
	for (tail = &p->edits; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = e;
	return e;
}

/* A value may be folded, but every line end must be CRLF followed by
 * white space: anything else would start a new field or end the header. */
static int
edit_value_ok(const char *v)
{
	size_t	 i;

	for (i = 0; v[i] != '\0'; i++) {
		if (v[i] == '\n')
			return 0;
		if (v[i] == '\r' && (v[i + 1] != '\n' ||
		    (v[i + 2] != ' ' && v[i + 2] != '\t')))
			return 0;
		if (v[i] == '\r')
			i++;
	}
	return 1;
}

int
mime_set_field(struct mime_msg *m, struct mime_part *p, const char *name,
    const char *value)
{
	const struct mime_field	*f;
	struct mime_edit	*e;
	char			*v = NULL;
	size_t			 i;

	(void)m;
	for (i = 0; name[i] != '\0'; i++)
		if (!mime_namechar((unsigned char)name[i]))
			return -1;
	if (i == 0 || (value != NULL && !edit_value_ok(value)))
		return -1;
	if (value != NULL && (v = strdup(value)) == NULL)
		return -1;
	if ((e = edit_find(p, name, i)) != NULL) {
		/* The latest call's spelling of the name wins. */
		memcpy(e->name, name, i);
	} else if ((e = edit_new(p, name)) == NULL) {
		free(v);
		return -1;
	} else {
		f = mime_field_find(p, name);
		e->first = f != NULL ? (size_t)(f - p->fields) : SIZE_MAX;
	}
	free(e->value);
	e->value = v;
	e->value_len = v != NULL ? strlen(v) : 0;
	return 0;
}

/* The body edit takes data, which must come from malloc. */
static int
edit_body_take(struct mime_part *p, char *data, size_t len)
{
	struct mime_edit	*e;

	if (p->child != NULL)
		return -1;
	if ((e = edit_find(p, NULL, 0)) == NULL &&
	    (e = edit_new(p, NULL)) == NULL)
		return -1;
	free(e->value);
	e->value = data;
	e->value_len = len;
	return 0;
}

int
mime_set_body(struct mime_msg *m, struct mime_part *p, const char *body,
    size_t len)
{
	char	*copy;

	(void)m;
	if (p->child != NULL || (copy = malloc(len > 0 ? len : 1)) == NULL)
		return -1;
	if (len > 0)
		memcpy(copy, body, len);
	if (edit_body_take(p, copy, len) == -1) {
		free(copy);
		return -1;
	}
	return 0;
}

static int
emit_put(struct emit_sink *k, const char *s, size_t n)
{
	size_t	 i;

	if (k->b != NULL)
		return buf_add(k->b, s, n);
	for (i = 0; i < n && !k->eight; i++)
		if ((unsigned char)s[i] >= 0x80 || s[i] == '\0')
			k->eight = 1;
	return 0;
}

static int
emit_str(struct emit_sink *k, const char *s)
{
	return emit_put(k, s, strlen(s));
}

/* Where the fields end: they are contiguous from off. */
static size_t
emit_hdr_end(const struct mime_msg *m, const struct mime_part *p)
{
	const struct mime_field	*f;

	if (p->nfields == 0)
		return p->off;
	f = &p->fields[p->nfields - 1];
	return (size_t)(f->raw + f->raw_len - m->data);
}

static int
emit_newfield(struct emit_sink *k, const struct mime_edit *e)
{
	if (emit_str(k, e->name) == -1 || emit_put(k, ": ", 2) == -1 ||
	    emit_put(k, e->value, e->value_len) == -1)
		return -1;
	return emit_put(k, "\r\n", 2);
}

/* Fields as written except where edited; every field written ends with
 * a line end, so that nothing new joins a last field that had none. */
static int
emit_fields(const struct mime_part *p, struct emit_sink *k)
{
	const struct mime_field	*f;
	const struct mime_edit	*e;
	size_t			 i;

	for (i = 0; i < p->nfields; i++) {
		f = &p->fields[i];
		if ((e = edit_find(p, f->name, f->name_len)) != NULL) {
			if (e->value != NULL && e->first == i &&
			    emit_newfield(k, e) == -1)
				return -1;
			continue;
		}
		if (emit_put(k, f->raw, f->raw_len) == -1)
			return -1;
		if (f->raw[f->raw_len - 1] != '\n' &&
		    emit_put(k, "\r\n", 2) == -1)
			return -1;
	}
	for (e = p->edits; e != NULL; e = e->next)
		if (e->name != NULL && e->value != NULL &&
		    e->first == SIZE_MAX && emit_newfield(k, e) == -1)
			return -1;
	return 0;
}

static int
emit_header(const struct mime_msg *m, const struct mime_part *p,
    struct emit_sink *k)
{
	if (!edit_has_fields(p))
		return emit_put(k, m->data + p->off,
		    emit_hdr_end(m, p) - p->off);
	return emit_fields(p, k);
}

/*
 * Whether what is written at the part's body start is edited: its own
 * header or body, or the header of a message it encloses, which starts
 * right there.
 */
static int
emit_start_edited(const struct mime_part *p)
{
	for (;;) {
		if (p->edits != NULL)
			return 1;
		if (p->child == NULL || strcmp(p->type, "message") != 0)
			return 0;
		p = p->child;
	}
}

/*
 * The blank line as it was.  A part whose header was not ended by one
 * (the range ended, or a line that was no field) gets one when what
 * follows is edited: a new field or body would run into the header.
 */
static int
emit_sep(const struct mime_msg *m, const struct mime_part *p,
    struct emit_sink *k)
{
	size_t	 he = emit_hdr_end(m, p);

	if (he < p->body_off || !emit_start_edited(p))
		return emit_put(k, m->data + he, p->body_off - he);
	if (!edit_has_fields(p) && p->nfields > 0 &&
	    m->data[he - 1] != '\n' && emit_put(k, "\r\n", 2) == -1)
		return -1;
	return emit_put(k, "\r\n", 2);
}

/* Preamble, each delimiter line as written, the parts, the rest. */
static int
emit_multipart(const struct mime_msg *m, const struct mime_part *p,
    struct emit_sink *k)
{
	const struct mime_part	*c;
	size_t			 pos = p->preamble_end;

	if (emit_put(k, m->data + p->body_off, pos - p->body_off) == -1)
		return -1;
	for (c = p->child; c != NULL; c = c->next) {
		if (emit_put(k, m->data + pos, c->off - pos) == -1 ||
		    emit_entity(m, c, k) == -1)
			return -1;
		pos = c->end;
	}
	return emit_put(k, m->data + pos, p->end - pos);
}

static int
emit_body(const struct mime_msg *m, const struct mime_part *p,
    struct emit_sink *k)
{
	const struct mime_edit	*e;

	if ((e = edit_find(p, NULL, 0)) != NULL)
		return emit_put(k, e->value, e->value_len);
	if (p->child == NULL)
		return emit_put(k, m->data + p->body_off, p->end - p->body_off);
	if (strcmp(p->type, "multipart") == 0)
		return emit_multipart(m, p, k);
	return emit_entity(m, p->child, k);
}

static int
emit_entity(const struct mime_msg *m, const struct mime_part *p,
    struct emit_sink *k)
{
	if (emit_header(m, p, k) == -1 || emit_sep(m, p, k) == -1)
		return -1;
	return emit_body(m, p, k);
}

int
mime_emit_header(const struct mime_msg *m, const struct mime_part *p,
    struct buf *out)
{
	struct emit_sink	 k = { out, 0 };

	if (emit_header(m, p, &k) == -1 || buf_failed(out))
		return -1;
	return 0;
}

int
mime_emit_body(const struct mime_msg *m, const struct mime_part *p,
    struct buf *out)
{
	struct emit_sink	 k = { out, 0 };

	if (emit_body(m, p, &k) == -1 || buf_failed(out))
		return -1;
	return 0;
}

int
mime_emit_entity(const struct mime_msg *m, const struct mime_part *p,
    struct buf *out)
{
	struct emit_sink	 k = { out, 0 };

	if (emit_entity(m, p, &k) == -1 || buf_failed(out))
		return -1;
	return 0;
}

/* The part's transfer encoding and body as edits so far left them. */
static enum mime_cte
mk7_cte(const struct mime_part *p)
{
	const struct mime_edit	*e;

	if ((e = edit_find(p, EMIT_CTE, strlen(EMIT_CTE))) == NULL)
		return p->cte;
	if (e->value == NULL)
		return MIME_CTE_7BIT;
	return mime_cte_parse(e->value, e->value_len);
}

static void
mk7_body(const struct mime_msg *m, const struct mime_part *p,
    const char **s, size_t *n)
{
	const struct mime_edit	*e;

	if ((e = edit_find(p, NULL, 0)) != NULL) {
		*s = e->value;
		*n = e->value_len;
	} else {
		*s = m->data + p->body_off;
		*n = p->end - p->body_off;
	}
}

/* Quoted-printable keeps text readable; everything else is base64.  A
 * message that came encoded (message/global may) keeps its encoding. */
static int
mk7_use_qp(const struct mime_part *p, enum mime_cte cte)
{
	return strcmp(p->type, "text") == 0 ||
	    (strcmp(p->type, "message") == 0 && cte == MIME_CTE_QP);
}

/* Base64 ends in a line end only where the body it replaces did: inside
 * a multipart the line end before the delimiter is the delimiter's. */
static int
mk7_encode(const struct mime_part *p, enum mime_cte cte, const char *body,
    size_t blen, const char *s, size_t n, struct buf *enc)
{
	if (mk7_use_qp(p, cte))
		return mime_encode_qp(s, n, enc);
	if (mime_encode_base64(s, n, enc) == -1)
		return -1;
	if ((blen == 0 || body[blen - 1] != '\n') && enc->len >= 2)
		enc->len -= 2;
	return 0;
}

/* Whether the octets hold an 8-bit or NUL octet (not 7bit data). */
static int
mk7_has8(const char *s, size_t n)
{
	struct emit_sink	 k = { NULL, 0 };

	emit_put(&k, s, n);
	return k.eight;
}

/* A leaf made safe; *eight: whether its body is still 8-bit (only an
 * opaque one can be). */
static int
mk7_leaf(struct mime_msg *m, struct mime_part *p, size_t *changed,
    int *eight)
{
	enum mime_cte	 cte = mk7_cte(p);
	struct buf	 dec, enc;
	const char	*s;
	size_t		 n;
	int		 rv = -1;

	mk7_body(m, p, &s, &n);
	*eight = 0;
	if (cte == MIME_CTE_OTHER) {
		*eight = mk7_has8(s, n);
		return 0;	/* opaque: nothing to decode it with */
	}
	if ((cte == MIME_CTE_7BIT || cte == MIME_CTE_QP ||
	    cte == MIME_CTE_BASE64) && !mime_needs_encoding(s, n))
		return 0;
	buf_init(&dec, 0);
	buf_init(&enc, 0);
	/* 7bit, 8bit and binary bodies are their own content. */
	if (cte == MIME_CTE_QP || cte == MIME_CTE_BASE64) {
		if (mime_cte_decode(cte, s, n, &dec) == -1 ||
		    mk7_encode(p, cte, s, n, dec.data, dec.len, &enc) == -1)
			goto done;
	} else if (mk7_encode(p, cte, s, n, s, n, &enc) == -1)
		goto done;
	if (mime_set_field(m, p, EMIT_CTE, mk7_use_qp(p, cte) ?
	    "quoted-printable" : "base64") == -1)
		goto done;
	/* The body edit adopts the encoded buffer; no second copy. */
	if (enc.data == NULL && (enc.data = malloc(1)) == NULL)
		goto done;
	if (edit_body_take(p, enc.data, enc.len) == -1)
		goto done;
	enc.data = NULL;
	(*changed)++;
	rv = 0;
 done:
	buf_free(&dec);
	buf_free(&enc);
	return rv;
}

/* A multipart's own octets: preamble, delimiter lines, epilogue. */
static int
mk7_frame8(const struct mime_msg *m, const struct mime_part *p)
{
	const struct mime_part	*c;
	size_t			 pos = p->preamble_end;

	if (mk7_has8(m->data + p->body_off, pos - p->body_off))
		return 1;
	for (c = p->child; c != NULL; pos = c->end, c = c->next)
		if (mk7_has8(m->data + pos, c->off - pos))
			return 1;
	return mk7_has8(m->data + pos, p->end - pos);
}

/*
 * Bottom up, so that every octet is looked at once whatever the
 * nesting: *eight says whether the part as it will be emitted still
 * holds 8-bit data.  A container is never encoded (RFC 2045 6.4); it is
 * labelled 7bit once nothing 8-bit is left in it.
 */
static int
mk7_part(struct mime_msg *m, struct mime_part *p, size_t *changed,
    int *eight)
{
	struct mime_part	*c;
	struct emit_sink	 k = { NULL, 0 };
	enum mime_cte		 cte;
	int			 body8 = 0, c8;

	if (p->child == NULL) {
		if (mk7_leaf(m, p, changed, &body8) == -1)
			return -1;
	} else {
		for (c = p->child; c != NULL; c = c->next) {
			if (mk7_part(m, c, changed, &c8) == -1)
				return -1;
			body8 |= c8;
		}
		if (strcmp(p->type, "multipart") == 0 && !body8)
			body8 = mk7_frame8(m, p);
		cte = mk7_cte(p);
		if (!body8 && (cte == MIME_CTE_8BIT ||
		    cte == MIME_CTE_BINARY) &&
		    mime_set_field(m, p, EMIT_CTE, "7bit") == -1)
			return -1;
	}
	if (emit_header(m, p, &k) == -1)
		return -1;
	*eight = body8 || k.eight;
	return 0;
}

int
mime_make_7bit(struct mime_msg *m, struct mime_part *p, size_t *changed)
{
	size_t	 n = 0;
	int	 rv, eight;

	rv = mk7_part(m, p, &n, &eight);
	if (changed != NULL)
		*changed = n;
	return rv;
}
