/*
 * form: the urlencoded parser of the WHATWG URL standard, made strict
 * where it would guess: a '%' not followed by two hex digits, invalid
 * UTF-8, a NUL and a field without a name are refused, not repaired, so
 * that what a handler sees is what the user typed or nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "webd/form.h"

static int
form_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode in[0..len) into out, NUL-terminated; out has room for len + 1.
 * Returns the decoded length, or -1 with *why.
 */
static int
form_decode(const char *in, size_t len, char *out, const char **why)
{
	size_t	 o = 0;
	int	 hi, lo;

	for (size_t i = 0; i < len; i++) {
		if (in[i] == '+')
			out[o++] = ' ';
		else if (in[i] == '%') {
			if (len - i < 3 || (hi = form_hex(in[i + 1])) == -1 ||
			    (lo = form_hex(in[i + 2])) == -1) {
				*why = "malformed percent-encoding in the form";
				return -1;
			}
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else
			out[o++] = in[i];
	}
	out[o] = '\0';
	if (memchr(out, '\0', o) != NULL) {
		*why = "a NUL character in the form";
		return -1;
	}
	if (!utf8_valid(out, o)) {
		*why = "the form is not valid UTF-8";
		return -1;
	}
	return (int)o;
}

static int
form_fail(struct form *f, int status)
{
	form_free(f);
	return status;
}

int
form_parse(const char *body, size_t len, struct form *f, const char **why)
{
	const char	*p, *end, *amp, *eq;
	char		*o;
	int		 n;

	memset(f, 0, sizeof(*f));
	if (len > FORM_BODY_MAX) {
		*why = "the form is too large";
		return 413;
	}
	/* Decoding never lengthens; each pair adds two NULs at most. */
	f->bufsize = len + 2 * FORM_FIELDS_MAX + 2;
	if ((f->buf = malloc(f->bufsize)) == NULL) {
		*why = "out of memory";
		return 500;
	}
	o = f->buf;
	end = body + len;
	for (p = body; p < end; p = amp + 1) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if (amp == p)
			continue;	/* "a=1&&b=2", a trailing '&' */
		if (f->n == FORM_FIELDS_MAX) {
			*why = "too many form fields";
			return form_fail(f, 413);
		}
		if ((eq = memchr(p, '=', (size_t)(amp - p))) == NULL)
			eq = amp;	/* "name" alone: an empty value */
		if (eq == p) {
			*why = "a form field without a name";
			return form_fail(f, 400);
		}
		f->fields[f->n].name = o;
		if ((n = form_decode(p, (size_t)(eq - p), o, why)) == -1)
			return form_fail(f, 400);
		o += n + 1;
		f->fields[f->n].value = o;
		if (eq == amp)
			*o++ = '\0';
		else {
			if ((n = form_decode(eq + 1, (size_t)(amp - eq - 1), o,
			    why)) == -1)
				return form_fail(f, 400);
			o += n + 1;
		}
		f->n++;
		if (amp == end)
			break;
	}
	return 0;
}

void
form_free(struct form *f)
{
	if (f->buf != NULL) {
		explicit_bzero(f->buf, f->bufsize);
		free(f->buf);
	}
	memset(f, 0, sizeof(*f));
}

const char *
form_value(const struct form *f, const char *name)
{
	const char	*v = NULL;

	for (size_t i = 0; i < f->n; i++) {
		if (strcmp(f->fields[i].name, name) != 0)
			continue;
		if (v != NULL)
			return NULL;
		v = f->fields[i].value;
	}
	return v;
}

size_t
form_count(const struct form *f, const char *name)
{
	size_t	 n = 0;

	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->fields[i].name, name) == 0)
			n++;
	return n;
}
