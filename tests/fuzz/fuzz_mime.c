/*
 * libFuzzer target for cryptod's MIME module: what any sender can put in
 * a message.  The input is the message.  Besides the sanitizers, the
 * target checks the promises signatures depend on: an unedited emit of
 * the root, and of every part, gives back exactly the bytes it came
 * from; the parts tile their parents; after mime_make_7bit every leaf
 * body of the emitted result is safe to send as 7bit, and parsing the
 * result finds the same parts with the same types; quoted-printable and
 * base64 decode what they encode.  Parameters, encoded words and
 * field unfolding run over every field on the way.  The module is not in
 * any library the Makefile links, so its sources are compiled in here.
 */
#include "cryptod/buf.c"
#include "cryptod/mime.c"
#include "cryptod/mime_param.c"
#include "cryptod/mime_cte.c"
#include "cryptod/mime_emit.c"

#include <stdint.h>
#include <stdlib.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Generous for any expansion of a fuzz-sized input; reaching it is a
 * bug of its own. */
#define FUZZ_CAP	(64 * 1024 * 1024)

static void
fuzz_same(const struct buf *b, const char *s, size_t n)
{
	if (buf_failed(b) || b->len != n || (n > 0 &&
	    memcmp(b->data, s, n) != 0))
		abort();
}

/* The structure the parser promises, and an unedited emit of each part
 * that is its own bytes.  Returns the number of parts under p. */
static size_t
fuzz_walk(const struct mime_msg *m, const struct mime_part *p)
{
	const struct mime_part	*c, *prev = NULL;
	struct buf		 b;
	size_t			 i, n = 1, pos;

	if (p->off > p->body_off || p->body_off > p->end || p->end > m->len)
		abort();
	if (p->parent != NULL && (p->depth != p->parent->depth + 1 ||
	    p->off < p->parent->body_off || p->end > p->parent->end))
		abort();
	if (p->depth > MIME_MAX_DEPTH)
		abort();
	pos = p->off;
	for (i = 0; i < p->nfields; i++) {
		const struct mime_field *f = &p->fields[i];

		if (f->raw != m->data + pos || f->name != f->raw ||
		    f->value != f->name + f->name_len + 1 ||
		    f->value + f->value_len > f->raw + f->raw_len)
			abort();
		pos += f->raw_len;
	}
	if (pos > p->body_off || p->body_off - pos > 2)
		abort();
	if (p->child != NULL && strcmp(p->type, "multipart") == 0) {
		if (p->preamble_end < p->body_off ||
		    p->preamble_end > p->child->off)
			abort();
		for (c = p->child; c != NULL; prev = c, c = c->next)
			if (prev != NULL && c->off < prev->end)
				abort();
		if (p->closed && (p->epilogue_off < prev->end ||
		    p->epilogue_off > p->end))
			abort();
		if (!p->closed && (prev->end != p->end ||
		    p->epilogue_off != p->end))
			abort();
	} else if (p->child != NULL) {
		if (p->child->next != NULL || p->child->off != p->body_off ||
		    p->child->end != p->end)
			abort();
	}
	buf_init(&b, FUZZ_CAP);
	if (mime_emit_entity(m, p, &b) == -1)
		abort();
	fuzz_same(&b, m->data + p->off, p->end - p->off);
	buf_reset(&b);
	if (mime_emit_body(m, p, &b) == -1)
		abort();
	fuzz_same(&b, m->data + p->body_off, p->end - p->body_off);
	buf_free(&b);
	for (c = p->child; c != NULL; c = c->next)
		n += fuzz_walk(m, c);
	return n;
}

/* The field helpers over every field, and decoding every leaf. */
static void
fuzz_fields(const struct mime_msg *m, const struct mime_part *p)
{
	const struct mime_part	*c;
	struct buf		 b;
	char			 v[128];
	size_t			 i;

	buf_init(&b, FUZZ_CAP);
	for (i = 0; i < p->nfields; i++) {
		const struct mime_field *f = &p->fields[i];

		buf_reset(&b);
		if (mime_field_unfold(f, &b) == -1)
			abort();
		if (b.len > 0 && memchr(b.data, '\n', b.len) != NULL)
			abort();
		buf_reset(&b);
		if (mime_decode_2047(f->value, f->value_len, &b) == -1)
			abort();
		if (mime_param(f->value, f->value_len, "name", v,
		    sizeof(v)) == 0 && strlen(v) >= sizeof(v))
			abort();
	}
	if (p->child == NULL) {
		buf_reset(&b);
		if (mime_decode_body(m, p, &b) == -1)
			abort();
	}
	buf_free(&b);
	for (c = p->child; c != NULL; c = c->next)
		fuzz_fields(m, c);
}

/* Leaves of the rewritten message: safe as 7bit, unless opaque. */
static void
fuzz_leaves_7bit(const struct mime_msg *m, const struct mime_part *p)
{
	const struct mime_part	*c;

	if (p->child == NULL && p->cte != MIME_CTE_OTHER &&
	    mime_needs_encoding(m->data + p->body_off, p->end - p->body_off))
		abort();
	for (c = p->child; c != NULL; c = c->next)
		fuzz_leaves_7bit(m, c);
}

static void
fuzz_same_types(const struct mime_part *a, const struct mime_part *b)
{
	for (; a != NULL && b != NULL; a = a->next, b = b->next) {
		if (strcmp(a->type, b->type) != 0 ||
		    strcmp(a->subtype, b->subtype) != 0 ||
		    strcmp(a->boundary, b->boundary) != 0)
			abort();
		fuzz_same_types(a->child, b->child);
	}
	if (a != NULL || b != NULL)
		abort();
}

static int
fuzz_edited(const struct mime_part *p)
{
	const struct mime_part	*c;

	if (p->edits != NULL)
		return 1;
	for (c = p->child; c != NULL; c = c->next)
		if (fuzz_edited(c))
			return 1;
	return 0;
}

static void
fuzz_make_7bit(struct mime_msg *m)
{
	struct mime_msg	*m2;
	struct buf	 b;
	size_t		 changed, again;

	if (mime_make_7bit(m, m->root, &changed) == -1)
		abort();
	buf_init(&b, FUZZ_CAP);
	if (mime_emit_entity(m, m->root, &b) == -1)
		abort();
	if (!fuzz_edited(m->root))
		fuzz_same(&b, m->data, m->len);
	if (mime_parse(b.data, b.len, &m2) != MIME_OK)
		abort();
	if (m2->nparts != m->nparts)
		abort();
	fuzz_same_types(m->root, m2->root);
	fuzz_leaves_7bit(m2, m2->root);
	/* Done is done. */
	if (mime_make_7bit(m2, m2->root, &again) == -1 || again != 0)
		abort();
	mime_free(m2);
	buf_free(&b);
}

static void
fuzz_roundtrips(const char *s, size_t n)
{
	struct buf	 e, d;
	size_t		 i, j, k;

	buf_init(&e, FUZZ_CAP);
	buf_init(&d, FUZZ_CAP);
	if (mime_encode_qp(s, n, &e) == -1 || mime_needs_encoding(e.data,
	    e.len) || mime_cte_decode(MIME_CTE_QP, e.data, e.len, &d) == -1)
		abort();
	/* The same octets, with every bare LF made CRLF. */
	for (i = j = 0; i < n; i++, j++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) {
			if (j >= d.len || d.data[j] != '\r')
				abort();
			j++;
		}
		if (j >= d.len || d.data[j] != s[i])
			abort();
	}
	if (j != d.len)
		abort();
	buf_reset(&e);
	buf_reset(&d);
	if (mime_encode_base64(s, n, &e) == -1 ||
	    mime_needs_encoding(e.data, e.len) ||
	    mime_cte_decode(MIME_CTE_BASE64, e.data, e.len, &d) == -1)
		abort();
	if (d.len != n || (n > 0 && memcmp(d.data, s, n) != 0))
		abort();
	/* One line without its line end is what RFC 2047 words hold; the
	 * strict decoder takes it. */
	k = n < 57 ? n : 57;
	buf_reset(&e);
	buf_reset(&d);
	if (mime_encode_base64(s, k, &e) == -1 || (k > 0 && (e.len < 2 ||
	    mime_b64_decode(e.data, e.len - 2, &d, 1) == -1)) || d.len != k ||
	    (k > 0 && memcmp(d.data, s, k) != 0))
		abort();
	/* The decoders take anything. */
	buf_reset(&d);
	(void)mime_b64_decode(s, n, &d, 1);
	buf_reset(&d);
	(void)mime_cte_decode(MIME_CTE_QP, s, n, &d);
	buf_free(&e);
	buf_free(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*s = (const char *)data;
	struct mime_msg	*m;
	struct buf	 b;
	char		 v[MIME_BOUNDARY_MAX + 1];
	int		 rv;

	fuzz_roundtrips(s, size);
	(void)mime_param(s, size, "boundary", v, sizeof(v));
	buf_init(&b, FUZZ_CAP);
	if (mime_decode_2047(s, size, &b) == -1)
		abort();
	buf_free(&b);

	if ((rv = mime_parse(s, size, &m)) != MIME_OK) {
		if (rv != MIME_E_DEPTH && rv != MIME_E_HEADER &&
		    rv != MIME_E_PARTS)
			abort();
		return 0;
	}
	if (fuzz_walk(m, m->root) != m->nparts)
		abort();
	fuzz_fields(m, m->root);
	/* A cap one short of the message must be hit, and say so (a max
	 * of 0 is no cap). */
	if (size > 1) {
		buf_init(&b, size - 1);
		if (mime_emit_entity(m, m->root, &b) != -1 || !b.overflow)
			abort();
		buf_free(&b);
	}
	fuzz_make_7bit(m);
	mime_free(m);
	return 0;
}
