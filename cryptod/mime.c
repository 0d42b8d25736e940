/*
 * mime: the parser.  One pass over the message, line by line, with a
 * stack of the parts open at the current line (a multipart in a
 * multipart ... a part in its header or body).  At a line that starts
 * with "--" the open multiparts' boundaries are tried outermost first,
 * so a delimiter of a parent ends whatever is open inside it, however
 * broken; any other line belongs to the innermost part.  Each line is
 * looked at once whatever the nesting (no rescanning per level), bodies
 * are skipped at memchr speed, and parts end where a delimiter or the
 * message ends: parts and the bytes between them tile the message, which
 * is what makes an unedited emit byte-identical.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cryptod/buf.h"
#include "cryptod/mime.h"
#include "cryptod/mime_local.h"

const char *
mime_strerror(int e)
{
	switch (e) {
	case MIME_OK:
		return "success";
	case MIME_E_DEPTH:
		return "MIME parts nested too deeply";
	case MIME_E_HEADER:
		return "MIME header block too large";
	case MIME_E_PARTS:
		return "too many MIME parts";
	case MIME_E_NOMEM:
		return "out of memory";
	case MIME_E_LIMIT:
		return "output size limit reached";
	}
	return "unknown MIME error";
}

int
mime_namechar(unsigned char c)
{
	return c > ' ' && c < 127 && c != ':';
}

/* The length of "name:" at p (name and colon), or 0: not a field. */
static size_t
hdr_fieldname(const char *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n && mime_namechar((unsigned char)p[i]); i++)
		;
	if (i == 0 || i == n || p[i] != ':')
		return 0;
	return i + 1;
}

static int
type_tchar(unsigned char c)
{
	return c > ' ' && c < 127 && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* A token into out, lower-cased; the index after it, or 0 when there is
 * none or it does not fit. */
static size_t
type_token(const char *s, size_t i, size_t n, char *out, size_t outlen)
{
	size_t	 j = 0;

	while (i < n && type_tchar((unsigned char)s[i])) {
		if (j + 1 >= outlen)
			return 0;
		out[j++] = (s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i];
		i++;
	}
	out[j] = '\0';
	return j > 0 ? i : 0;
}

/* type "/" subtype from a Content-Type value; -1 when it is not valid,
 * and the caller keeps the default (RFC 2045 5.2). */
static int
type_parse(const char *s, size_t n, struct mime_part *p)
{
	char	 type[sizeof(p->type)], sub[sizeof(p->subtype)];
	size_t	 i;

	i = mime_cfws(s, 0, n);
	if ((i = type_token(s, i, n, type, sizeof(type))) == 0)
		return -1;
	i = mime_cfws(s, i, n);
	if (i == n || s[i] != '/')
		return -1;
	i = mime_cfws(s, i + 1, n);
	if ((i = type_token(s, i, n, sub, sizeof(sub))) == 0)
		return -1;
	i = mime_cfws(s, i, n);
	if (i < n && s[i] != ';')
		return -1;
	memcpy(p->type, type, sizeof(type));
	memcpy(p->subtype, sub, sizeof(sub));
	return 0;
}

enum mime_cte
mime_cte_parse(const char *s, size_t n)
{
	static const struct {
		const char	*name;
		enum mime_cte	 cte;
	} tab[] = {
		{ "7bit", MIME_CTE_7BIT },
		{ "8bit", MIME_CTE_8BIT },
		{ "binary", MIME_CTE_BINARY },
		{ "quoted-printable", MIME_CTE_QP },
		{ "base64", MIME_CTE_BASE64 },
	};
	size_t	 i, j, k;

	i = mime_cfws(s, 0, n);
	for (j = i; j < n && type_tchar((unsigned char)s[j]); j++)
		;
	if (j == i)
		return MIME_CTE_7BIT;	/* an empty field: nothing said */
	for (k = 0; k < sizeof(tab) / sizeof(tab[0]); k++)
		if (strlen(tab[k].name) == j - i &&
		    strncasecmp(tab[k].name, s + i, j - i) == 0)
			return tab[k].cte;
	return MIME_CTE_OTHER;
}

static void
type_defaults(struct mime_part *p)
{
	const struct mime_part	*par = p->parent;

	if (par != NULL && strcmp(par->type, "multipart") == 0 &&
	    strcmp(par->subtype, "digest") == 0) {
		strcpy(p->type, "message");
		strcpy(p->subtype, "rfc822");
	} else {
		strcpy(p->type, "text");
		strcpy(p->subtype, "plain");
	}
}

/* Content-Type and Content-Transfer-Encoding into the part. */
static void
parse_type(struct mime_part *p)
{
	const struct mime_field	*f;
	size_t			 i;

	type_defaults(p);
	if ((f = mime_field_find(p, "Content-Transfer-Encoding")) != NULL)
		p->cte = mime_cte_parse(f->value, f->value_len);
	if ((f = mime_field_find(p, "Content-Type")) == NULL ||
	    type_parse(f->value, f->value_len, p) == -1)
		return;
	if (mime_param(f->value, f->value_len, "charset", p->charset,
	    sizeof(p->charset)) == 0) {
		for (i = 0; p->charset[i] != '\0'; i++)
			if (p->charset[i] >= 'A' && p->charset[i] <= 'Z')
				p->charset[i] += 32;
	} else
		p->charset[0] = '\0';
	/* RFC 2046 5.1.1: a boundary never ends in white space; one that
	 * does (or is empty or too long) is no usable boundary. */
	if (strcmp(p->type, "multipart") != 0 ||
	    mime_param(f->value, f->value_len, "boundary", p->boundary,
	    sizeof(p->boundary)) == -1 ||
	    (i = strlen(p->boundary)) == 0 || p->boundary[i - 1] == ' ' ||
	    p->boundary[i - 1] == '\t')
		p->boundary[0] = '\0';
}

enum ps_phase {
	PH_HEADER,		/* reading fields */
	PH_BODY,		/* a leaf's body, or a message's (its child is
				   open above it) */
	PH_MULTI,		/* a multipart looking for its delimiters */
	PH_EPILOGUE,		/* a multipart after its close delimiter */
};

struct ps_open {
	struct mime_part	*p;
	enum ps_phase		 phase;
	size_t			 fcap;		/* fields allocated */
	size_t			 seg;		/* PH_MULTI: where the current
						   preamble or part starts */
	int			 seen;		/* a delimiter was seen */
	struct mime_part	**tail;		/* where the next child goes */
	size_t			 blen;
	uint32_t		 bhash;
};

struct ps {
	struct mime_msg		*m;
	const char		*d;
	size_t			 len;
	int			 top;		/* innermost open part */
	int			 nmulti;	/* open parts in PH_MULTI */
	struct ps_open		 st[MIME_MAX_DEPTH + 1];
};

static uint32_t
ps_hash(uint32_t h, unsigned char c)
{
	return (h ^ c) * 16777619u;	/* FNV-1a */
}

#define PS_HASH0	2166136261u

/* A new part at off, open on top of (and a child of) the innermost. */
static int
ps_push(struct ps *ps, size_t off)
{
	struct ps_open		*par = &ps->st[ps->top], *o;
	struct mime_part	*p;

	if (par->p->depth + 1 > MIME_MAX_DEPTH)
		return MIME_E_DEPTH;
	if (ps->m->nparts >= MIME_MAX_PARTS)
		return MIME_E_PARTS;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return MIME_E_NOMEM;
	p->parent = par->p;
	p->depth = par->p->depth + 1;
	p->off = p->body_off = off;
	p->end = ps->len;
	*par->tail = p;
	par->tail = &p->next;
	ps->m->nparts++;
	o = &ps->st[++ps->top];
	memset(o, 0, sizeof(*o));
	o->p = p;
	o->phase = PH_HEADER;
	o->tail = &p->child;
	return MIME_OK;
}

static int
ps_field(struct ps_open *o, const char *line, size_t namelen)
{
	struct mime_part	*p = o->p;
	struct mime_field	*f;

	if (p->nfields == o->fcap) {
		size_t	 ncap = o->fcap ? o->fcap * 2 : 8;

		f = reallocarray(p->fields, ncap, sizeof(*f));
		if (f == NULL)
			return -1;
		p->fields = f;
		o->fcap = ncap;
	}
	f = &p->fields[p->nfields++];
	f->name = line;
	f->name_len = namelen - 1;
	f->value = line + namelen;
	f->raw = line;
	return 0;
}

/* Where the fields end: they are contiguous from off. */
static size_t
ps_hdr_end(const struct ps *ps, const struct mime_part *p)
{
	const struct mime_field	*f;

	if (p->nfields == 0)
		return p->off;
	f = &p->fields[p->nfields - 1];
	return (size_t)(f->raw + f->raw_len - ps->d);
}

/*
 * The header is complete and the body starts at body_off: what the
 * part is decides what its body is.  A message opens its child right
 * there; an encoded one (message/global may be, RFC 6532 3.5) is opaque.
 */
static int
ps_header_done(struct ps *ps, size_t body_off)
{
	struct ps_open		*o = &ps->st[ps->top];
	struct mime_part	*p = o->p;
	size_t			 i;

	if (ps_hdr_end(ps, p) - p->off > MIME_MAX_HEADER)
		return MIME_E_HEADER;
	p->body_off = body_off;
	parse_type(p);
	if (strcmp(p->type, "multipart") == 0 && p->boundary[0] != '\0') {
		o->phase = PH_MULTI;
		o->seg = body_off;
		o->blen = strlen(p->boundary);
		o->bhash = PS_HASH0;
		for (i = 0; i < o->blen; i++)
			o->bhash = ps_hash(o->bhash, p->boundary[i]);
		ps->nmulti++;
		return MIME_OK;
	}
	o->phase = PH_BODY;
	if (strcmp(p->type, "message") == 0 &&
	    (strcmp(p->subtype, "rfc822") == 0 ||
	    strcmp(p->subtype, "global") == 0) &&
	    (p->cte == MIME_CTE_7BIT || p->cte == MIME_CTE_8BIT ||
	    p->cte == MIME_CTE_BINARY))
		return ps_push(ps, body_off);
	return MIME_OK;
}

/*
 * One line of the innermost part's header.  *next is the next line, or
 * pos itself when the header ended on a line that is not a field: the
 * body starts on it and it is looked at again.
 */
static int
ps_header_line(struct ps *ps, size_t pos, size_t *next)
{
	struct ps_open		*o = &ps->st[ps->top];
	struct mime_part	*p = o->p;
	struct mime_field	*f;
	const char		*d = ps->d, *nl;
	size_t			 namelen = 0, cend;

	if (d[pos] == '\n' || (d[pos] == '\r' && pos + 1 < ps->len &&
	    d[pos + 1] == '\n')) {
		*next = pos + (d[pos] == '\r' ? 2 : 1);
		return ps_header_done(ps, *next);
	}
	if ((d[pos] == ' ' || d[pos] == '\t') && p->nfields > 0)
		;	/* a continuation */
	else if ((namelen = hdr_fieldname(d + pos, ps->len - pos)) == 0) {
		*next = pos;
		return ps_header_done(ps, pos);
	}
	nl = memchr(d + pos, '\n', ps->len - pos);
	*next = nl != NULL ? (size_t)(nl - d) + 1 : ps->len;
	/* A delimiter may yet take the line end (2 octets) away. */
	if (*next - p->off > MIME_MAX_HEADER + 2)
		return MIME_E_HEADER;
	if (namelen > 0 && ps_field(o, d + pos, namelen) == -1)
		return MIME_E_NOMEM;
	f = &p->fields[p->nfields - 1];
	cend = *next;
	if (nl != NULL)
		cend = *next - 1 > pos && d[*next - 2] == '\r' ?
		    *next - 2 : *next - 1;
	f->value_len = (size_t)(d + cend - f->value);
	f->raw_len = (size_t)(d + *next - f->raw);
	return MIME_OK;
}

/*
 * The part ends at end.  Anything recorded past it was the line end a
 * delimiter took (RFC 2046 5.1.1: it belongs to the delimiter), or a
 * part that a delimiter line without its line end opened.
 */
static void
ps_clip(struct ps *ps, struct mime_part *p, size_t end)
{
	struct mime_field	*f;

	if (p->nfields > 0) {
		f = &p->fields[p->nfields - 1];
		if (ps_hdr_end(ps, p) > end)
			f->raw_len = end - (size_t)(f->raw - ps->d);
	}
	if (p->off > end)
		p->off = end;
	if (p->body_off > end)
		p->body_off = end;
	if (p->preamble_end > end)
		p->preamble_end = end;
	if (p->epilogue_off > end)
		p->epilogue_off = end;
	p->end = end;
}

/* Close every part open above st[k] at end, innermost first. */
static int
ps_close_to(struct ps *ps, int k, size_t end)
{
	struct ps_open		*o;
	int			 rv;

	while (ps->top > k) {
		o = &ps->st[ps->top];
		if (o->phase == PH_HEADER) {
			ps_clip(ps, o->p, end);
			if ((rv = ps_header_done(ps, end)) != MIME_OK)
				return rv;
			continue;	/* a message opened its child */
		}
		if (o->phase == PH_MULTI) {
			ps->nmulti--;
			if (!o->seen)
				o->p->preamble_end = end;
			o->p->epilogue_off = end;
		}
		ps_clip(ps, o->p, end);
		ps->top--;
	}
	return MIME_OK;
}

/*
 * Whose delimiter the line at pos (it starts with "--") is: the index of
 * the outermost open multipart it belongs to, or -1.  The line, less its
 * line end and trailing white space, is compared whole, and a hash spares
 * the compare with each of up to MIME_MAX_DEPTH boundaries.
 */
static int
ps_match(const struct ps *ps, size_t pos, int *close, size_t *after)
{
	const struct ps_open	*o;
	const char		*d = ps->d, *nl;
	size_t			 s = pos + 2, e, i, n;
	uint32_t		 h = PS_HASH0, hc = 0;
	int			 k;

	if ((nl = memchr(d + s, '\n', ps->len - s)) == NULL)
		e = *after = ps->len;
	else {
		e = (size_t)(nl - d);
		*after = e + 1;
		if (e > s && d[e - 1] == '\r')
			e--;
	}
	while (e > s && (d[e - 1] == ' ' || d[e - 1] == '\t'))
		e--;
	n = e - s;
	for (i = s; i < e; i++) {
		if (i == e - 2)
			hc = h;		/* without a trailing "--" */
		h = ps_hash(h, d[i]);
	}
	for (k = 0; k <= ps->top; k++) {
		o = &ps->st[k];
		if (o->phase != PH_MULTI)
			continue;
		if (n >= 2 && o->blen == n - 2 && o->bhash == hc &&
		    d[e - 1] == '-' && d[e - 2] == '-' &&
		    memcmp(d + s, o->p->boundary, o->blen) == 0) {
			*close = 1;
			return k;
		}
		if (o->blen == n && o->bhash == h &&
		    memcmp(d + s, o->p->boundary, n) == 0) {
			*close = 0;
			return k;
		}
	}
	return -1;
}

/* A delimiter of st[k] at pos: what was open in it ends, and a new body
 * part starts or the epilogue does. */
static int
ps_delim(struct ps *ps, int k, size_t pos, int close, size_t after)
{
	struct ps_open		*o = &ps->st[k];
	size_t			 dstart = pos;
	int			 rv;

	if (pos > o->seg) {
		dstart = pos - 1;
		if (pos - 1 > o->seg && ps->d[pos - 2] == '\r')
			dstart = pos - 2;
	}
	if ((rv = ps_close_to(ps, k, dstart)) != MIME_OK)
		return rv;
	if (!o->seen)
		o->p->preamble_end = dstart;
	o->seen = 1;
	if (close) {
		o->p->closed = 1;
		o->p->epilogue_off = after;
		o->phase = PH_EPILOGUE;
		ps->nmulti--;
		return MIME_OK;
	}
	o->seg = after;
	return ps_push(ps, after);
}

/* The next line start after pos that begins with "--", or len.  Most
 * bodies have few '-' at all, so the search is mostly memchr's. */
static size_t
ps_next_dash(const char *d, size_t pos, size_t len)
{
	const char	*p;
	size_t		 i, j;

	if ((p = memchr(d + pos, '\n', len - pos)) == NULL)
		return len;
	for (i = (size_t)(p - d) + 1;;) {
		if (len - i < 2)
			return len;
		if (d[i] == '-' && d[i + 1] == '-')
			return i;
		if ((p = memchr(d + i + 1, '-', len - i - 1)) == NULL)
			return len;
		j = (size_t)(p - d);
		if (d[j - 1] == '\n') {
			i = j;
			continue;
		}
		/* Mid-line: nothing more on this line. */
		if ((p = memchr(d + j, '\n', len - j)) == NULL)
			return len;
		i = (size_t)(p - d) + 1;
	}
}

static int
ps_run(struct ps *ps)
{
	const char	*d = ps->d;
	size_t		 pos = 0, after;
	int		 k, close, rv;

	while (pos < ps->len) {
		if (ps->nmulti > 0 && d[pos] == '-' && pos + 1 < ps->len &&
		    d[pos + 1] == '-' &&
		    (k = ps_match(ps, pos, &close, &after)) >= 0) {
			rv = ps_delim(ps, k, pos, close, after);
			if (rv != MIME_OK)
				return rv;
			pos = after;
		} else if (ps->st[ps->top].phase == PH_HEADER) {
			if ((rv = ps_header_line(ps, pos, &pos)) != MIME_OK)
				return rv;
		} else if (ps->nmulti > 0)
			pos = ps_next_dash(d, pos, ps->len);
		else
			pos = ps->len;	/* nothing left that could end it */
	}
	return ps_close_to(ps, -1, ps->len);
}

int
mime_parse(const char *data, size_t len, struct mime_msg **out)
{
	struct mime_msg		*m;
	struct ps		*ps;
	int			 rv;

	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->root = calloc(1, sizeof(*m->root))) == NULL ||
	    (ps = calloc(1, sizeof(*ps))) == NULL) {
		if (m != NULL)
			free(m->root);
		free(m);
		return MIME_E_NOMEM;
	}
	m->data = data;
	m->len = len;
	m->nparts = 1;
	m->root->end = len;
	ps->m = m;
	ps->d = data;
	ps->len = len;
	ps->st[0].p = m->root;
	ps->st[0].phase = PH_HEADER;
	ps->st[0].tail = &m->root->child;
	rv = ps_run(ps);
	free(ps);
	if (rv != MIME_OK) {
		mime_free(m);
		return rv;
	}
	*out = m;
	return MIME_OK;
}

/* Recursion follows nesting (at most MIME_MAX_DEPTH); siblings loop. */
static void
part_free(struct mime_part *p)
{
	struct mime_part	*next;

	for (; p != NULL; p = next) {
		next = p->next;
		part_free(p->child);
		mime_edits_free(p->edits);
		free(p->fields);
		free(p);
	}
}

void
mime_free(struct mime_msg *m)
{
	if (m == NULL)
		return;
	part_free(m->root);
	free(m);
}

const struct mime_field *
mime_field_find(const struct mime_part *p, const char *name)
{
	size_t	 i, n = strlen(name);

	for (i = 0; i < p->nfields; i++)
		if (p->fields[i].name_len == n &&
		    strncasecmp(p->fields[i].name, name, n) == 0)
			return &p->fields[i];
	return NULL;
}

int
mime_field_unfold(const struct mime_field *f, struct buf *out)
{
	const char	*s = f->value, *e = f->value + f->value_len;

	while (s < e && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	    e[-1] == '\n'))
		e--;
	/* Folding is a line end before white space: drop the line end,
	 * keep the white space. */
	while (s < e) {
		const char	*nl = memchr(s, '\n', e - s);
		const char	*ce = nl != NULL ? nl : e;

		if (nl != NULL && ce > s && ce[-1] == '\r')
			ce--;
		if (buf_add(out, s, ce - s) == -1)
			return -1;
		s = nl != NULL ? nl + 1 : e;
	}
	return buf_failed(out) ? -1 : 0;
}
