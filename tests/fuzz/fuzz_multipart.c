/*
 * libFuzzer target for webd's multipart/form-data parser
 * (webd/multipart.c): what a signed-in browser, or anybody who reaches
 * an upload route, sends as a key upload.  The input's first line is the
 * Content-Type's value, the rest the body; the body is parsed with the
 * boundary that line gives, and with a fixed one whatever the line was,
 * so that bodies are reached without a valid header.  Besides the
 * sanitizers, the target checks promises of its own:
 *
 * - a boundary taken is 1 to 70 of RFC 2046's characters, not ending in
 *   a space, and was multipart/form-data's;
 * - a refusal is 400, 413 or 500 with a reason, and leaves the form and
 *   the files empty;
 * - an accepted body starts with its first delimiter; its parts are
 *   within the bounds (fields, files, and the two together), every name
 *   is 1 to 64 bytes of UTF-8, every text value UTF-8 without NUL, every
 *   file inside the body and no larger than a part may be;
 * - the parse is the same twice;
 * - a prefix of an accepted body is accepted only when what it leaves
 *   off is transport padding and line ends (after the close delimiter),
 *   and then with the same fields.
 *
 * The parsers are not in any library the Makefile links, so their
 * sources are compiled in here.
 */
#include "webd/form.c"
#include "webd/multipart.c"

#include <stdlib.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The Content-Type line: a browser's is under 100 bytes. */
#define FUZZ_TYPE_MAX	256

static void
fuzz_check_boundary(const char *b)
{
	size_t	 n = strlen(b);

	if (n == 0 || n > MULTIPART_BOUNDARY_MAX || b[n - 1] == ' ')
		abort();
	for (size_t i = 0; i < n; i++)
		if (!mp_bchar((unsigned char)b[i]))
			abort();
}

static void
fuzz_check(const uint8_t *body, size_t len, const char *b,
    const struct form *f, const struct multipart_files *files)
{
	if (len < 2 + strlen(b) || memcmp(body, "--", 2) != 0 ||
	    memcmp(body + 2, b, strlen(b)) != 0)
		abort();
	if (f->n > MULTIPART_PARTS_MAX || files->n > MULTIPART_FILES_MAX ||
	    f->n + files->n > MULTIPART_PARTS_MAX || f->n + files->n == 0)
		abort();
	for (size_t i = 0; i < f->n; i++) {
		const char *n = f->fields[i].name, *v = f->fields[i].value;

		if (n[0] == '\0' || strlen(n) > MULTIPART_NAME_MAX ||
		    !utf8_valid(n, strlen(n)) || !utf8_valid(v, strlen(v)) ||
		    strlen(v) > MULTIPART_PART_MAX)
			abort();
	}
	for (size_t i = 0; i < files->n; i++) {
		const struct multipart_file *mf = &files->f[i];

		if (mf->name[0] == '\0' || strlen(mf->name) >
		    MULTIPART_NAME_MAX || mf->len > MULTIPART_PART_MAX ||
		    (mf->len == 0) != (mf->data == NULL) ||
		    (mf->len > 0 && (mf->data < body ||
		    mf->data + mf->len > body + len)))
			abort();
	}
}

static void
fuzz_body(const uint8_t *body, size_t len, const char *b, size_t cut)
{
	struct form		*f, *g;
	struct multipart_files	*files, *gfiles;
	const char		*why = NULL;
	uint8_t			*copy, *pre;
	int			 rc;

	if ((f = malloc(sizeof(*f))) == NULL ||
	    (g = malloc(sizeof(*g))) == NULL ||
	    (files = malloc(sizeof(*files))) == NULL ||
	    (gfiles = malloc(sizeof(*gfiles))) == NULL ||
	    (copy = malloc(len > 0 ? len : 1)) == NULL)
		abort();
	/* An exact-size copy: the sanitizer sees any overread. */
	memcpy(copy, body, len);
	rc = multipart_parse(copy, len, b, f, files, &why);
	if (rc != 0) {
		if ((rc != 400 && rc != 413 && rc != 500) || why == NULL ||
		    f->n != 0 || f->buf != NULL || files->n != 0)
			abort();
	} else
		fuzz_check(copy, len, b, f, files);

	/* the same twice */
	if (multipart_parse(copy, len, b, g, gfiles, &why) != rc ||
	    (rc == 0 && (g->n != f->n || gfiles->n != files->n)))
		abort();
	for (size_t i = 0; rc == 0 && i < f->n; i++)
		if (strcmp(f->fields[i].name, g->fields[i].name) != 0 ||
		    strcmp(f->fields[i].value, g->fields[i].value) != 0)
			abort();
	form_free(g);

	/* a prefix of an accepted body, in an exact-size copy of its own */
	if (rc == 0 && cut < len) {
		if ((pre = malloc(cut > 0 ? cut : 1)) == NULL)
			abort();
		memcpy(pre, copy, cut);
		if (multipart_parse(pre, cut, b, g, gfiles, &why) == 0) {
			if (g->n != f->n || gfiles->n != files->n)
				abort();
			for (size_t i = cut; i < len; i++)
				if (copy[i] == '\0' ||
				    strchr(" \t\r\n", copy[i]) == NULL)
					abort();
			form_free(g);
		}
		free(pre);
	}
	form_free(f);
	free(copy);
	free(gfiles);
	free(files);
	free(g);
	free(f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	*nl, *body;
	char		 b[MULTIPART_BOUNDARY_MAX + 1], *type;
	const char	*why = NULL;
	size_t		 typelen, len, cut;
	int		 rc;

	nl = memchr(data, '\n', size < FUZZ_TYPE_MAX ? size : FUZZ_TYPE_MAX);
	typelen = nl != NULL ? (size_t)(nl - data) : 0;
	body = nl != NULL ? nl + 1 : data;
	len = size - (size_t)(body - data);
	cut = len > 0 ? (size_t)data[size - 1] * 131 % (len + 1) : 0;

	if ((type = malloc(typelen > 0 ? typelen : 1)) == NULL)
		abort();
	memcpy(type, data, typelen);
	rc = multipart_boundary(type, typelen, b, &why);
	if (rc == 0) {
		fuzz_check_boundary(b);
		if (typelen < 19 || strncasecmp(type, "multipart/form-data",
		    19) != 0)
			abort();
		fuzz_body(body, len, b, cut);
	} else if ((rc != 400 && rc != 415) || why == NULL || b[0] != '\0')
		abort();
	free(type);
	fuzz_body(body, len, "b", cut);
	return 0;
}
