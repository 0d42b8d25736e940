/*
 * Tests for cryptod's MIME module (cryptod/buf.c, mime.c, mime_param.c,
 * mime_cte.c, mime_emit.c): the structure the parser finds in real
 * shapes of mail (nested multiparts, message/rfc822, digests, LF-only,
 * unclosed and garbled bodies), the limits exactly at and one past each
 * bound, and above all that emitting an unedited message gives back the
 * input octet for octet.  Then parameters, encoded words, charsets, the
 * transfer encodings with known vectors and round trips, rewrites, and
 * mime_make_7bit on a message that needs every kind of conversion.
 * cryptod/ is not in libpgpmg.a, so the sources are compiled in here;
 * every message is parsed from an exact-size heap copy, so that under
 * ASan a read past the end fails the test.
 */
#include "cryptod/buf.c"
#include "cryptod/mime.c"
#include "cryptod/mime_param.c"
#include "cryptod/mime_cte.c"
#include "cryptod/mime_emit.c"

#include <stdio.h>
#include <stdlib.h>

#include <criterion/criterion.h>

static char		*in;
static size_t		 inlen;
static struct mime_msg	*msg;
static struct buf	 out;

static void
teardown(void)
{
	mime_free(msg);
	msg = NULL;
	free(in);
	in = NULL;
	buf_free(&out);
}

static void
setup(void)
{
	buf_init(&out, 0);
}

TestSuite(mime, .init = setup, .fini = teardown);

/* Parse s[0..n) from an exact-size heap copy; the mime_parse result. */
static int
loadn(const char *s, size_t n)
{
	mime_free(msg);
	msg = NULL;
	free(in);
	in = malloc(n > 0 ? n : 1);
	cr_assert_not_null(in);
	memcpy(in, s, n);
	inlen = n;
	return mime_parse(in, n, &msg);
}

static void
load(const char *s)
{
	int	 rv = loadn(s, strlen(s));

	cr_assert_eq(rv, MIME_OK, "mime_parse: %s", mime_strerror(rv));
}

/* The unedited emit must be the input. */
static void
same(void)
{
	buf_reset(&out);
	cr_assert_eq(mime_emit_entity(msg, msg->root, &out), 0);
	cr_assert_eq(out.len, inlen, "emitted %zu octets of %zu", out.len,
	    inlen);
	cr_assert(inlen == 0 || memcmp(out.data, in, inlen) == 0,
	    "emit differs from the input");
}

/* Part i in document order (the root is 0). */
static struct mime_part *
nth_from(struct mime_part *p, size_t *i)
{
	struct mime_part	*c, *r;

	if ((*i)-- == 0)
		return p;
	for (c = p->child; c != NULL; c = c->next)
		if ((r = nth_from(c, i)) != NULL)
			return r;
	return NULL;
}

static struct mime_part *
nth(size_t i)
{
	struct mime_part	*p = nth_from(msg->root, &i);

	cr_assert_not_null(p, "no part %zu", i);
	return p;
}

static size_t
count_parts(const struct mime_part *p)
{
	const struct mime_part	*c;
	size_t			 n = 1;

	for (c = p->child; c != NULL; c = c->next)
		n += count_parts(c);
	return n;
}

/* The input's octets [a, b) as a string (the input has no NUL). */
static char *
span(size_t a, size_t b)
{
	static char	 s[65536];

	cr_assert_lt(b - a, sizeof(s));
	memcpy(s, in + a, b - a);
	s[b - a] = '\0';
	return s;
}

/* A part's raw body. */
static char *
body(const struct mime_part *p)
{
	return span(p->body_off, p->end);
}

static char *
decoded(const struct mime_part *p)
{
	buf_reset(&out);
	cr_assert_eq(mime_decode_body(msg, p, &out), 0);
	cr_assert_eq(buf_addc(&out, '\0'), 0);
	return out.data;
}

static void
is_type(const struct mime_part *p, const char *type, const char *sub)
{
	cr_assert_str_eq(p->type, type);
	cr_assert_str_eq(p->subtype, sub);
}

/* ------------------------------------------------------------ parsing */

Test(mime, simple)
{
	const struct mime_field	*f;

	load("From: a@example.org\r\n"
	    "Subject: hello\r\n"
	    " world\r\n"
	    "\r\n"
	    "Body line\r\n");
	cr_assert_eq(msg->nparts, 1);
	cr_assert_eq(msg->root->nfields, 2);
	cr_assert_eq(msg->root->depth, 0);
	is_type(msg->root, "text", "plain");
	cr_assert_str_eq(msg->root->charset, "");
	cr_assert_eq(msg->root->cte, MIME_CTE_7BIT);
	cr_assert_str_eq(body(msg->root), "Body line\r\n");
	f = mime_field_find(msg->root, "SUBJECT");
	cr_assert_not_null(f);
	cr_assert_eq(f->value_len, strlen(" hello\r\n world"));
	cr_assert_eq(memcmp(f->raw, "Subject: hello\r\n world\r\n",
	    f->raw_len), 0);
	cr_assert_eq(mime_field_unfold(f, &out), 0);
	cr_assert_str_eq(out.data, "hello world");
	cr_assert_null(mime_field_find(msg->root, "Subj"));
	cr_assert_null(mime_field_find(msg->root, "Subjects"));
	same();
}

static const char nested[] =
    "From: a@example.org\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed;\r\n"
    " boundary=\"outer\"\r\n"
    "\r\n"
    "This is the preamble.\r\n"
    "--outer\r\n"
    "Content-Type: multipart/alternative; boundary=inner\r\n"
    "\r\n"
    "--inner\r\n"
    "Content-Type: text/plain; charset=UTF-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Gr=C3=BC=C3=9Fe, caf=C3=A9 =\r\n"
    "soft\r\n"
    "--inner\r\n"
    "Content-Type: text/html; charset=\"utf-8\"\r\n"
    "\r\n"
    "<p>hi</p>\r\n"
    "--inner--\r\n"
    "--outer\r\n"
    "Content-Type: application/octet-stream; name=\"a.bin\"\r\n"
    "Content-Transfer-Encoding: BASE64\r\n"
    "\r\n"
    "AAEC/wA=\r\n"
    "--outer--\r\n"
    "This is the epilogue.\r\n";

Test(mime, nested)
{
	struct mime_part	*r, *alt, *t, *h, *a;

	load(nested);
	cr_assert_eq(msg->nparts, 5);
	r = msg->root;
	is_type(r, "multipart", "mixed");
	cr_assert_str_eq(r->boundary, "outer");
	cr_assert(r->closed);
	alt = nth(1);
	t = nth(2);
	h = nth(3);
	a = nth(4);
	cr_assert_eq(alt->parent, r);
	cr_assert_eq(alt->depth, 1);
	is_type(alt, "multipart", "alternative");
	cr_assert_str_eq(alt->boundary, "inner");
	cr_assert_eq(t->depth, 2);
	is_type(t, "text", "plain");
	cr_assert_str_eq(t->charset, "utf-8");
	cr_assert_eq(t->cte, MIME_CTE_QP);
	cr_assert_str_eq(decoded(t), "Grüße, café soft");
	is_type(h, "text", "html");
	cr_assert_str_eq(h->charset, "utf-8");
	cr_assert_str_eq(body(h), "<p>hi</p>");
	cr_assert_eq(a->depth, 1);
	is_type(a, "application", "octet-stream");
	cr_assert_eq(a->cte, MIME_CTE_BASE64);
	buf_reset(&out);
	cr_assert_eq(mime_decode_body(msg, a, &out), 0);
	cr_assert_eq(out.len, 5);
	cr_assert_eq(memcmp(out.data, "\x00\x01\x02\xff\x00", 5), 0);
	/* The line end before a delimiter is the delimiter's. */
	cr_assert_str_eq(body(a), "AAEC/wA=");
	cr_assert_eq(memcmp(in + r->body_off, "This is the preamble.",
	    r->preamble_end - r->body_off), 0);
	cr_assert_eq(r->preamble_end - r->body_off, 21);
	cr_assert_str_eq(span(r->epilogue_off, inlen),
	    "This is the epilogue.\r\n");
	cr_assert(alt->closed);
	cr_assert_eq(alt->epilogue_off, alt->end);
	same();
}

Test(mime, lf_only)
{
	char		*lf = strdup(nested), *p, *q;
	struct mime_part *a;

	for (p = q = lf; *p != '\0'; p++)
		if (*p != '\r')
			*q++ = *p;
	*q = '\0';
	load(lf);
	free(lf);
	cr_assert_eq(msg->nparts, 5);
	cr_assert_str_eq(decoded(nth(2)), "Grüße, café soft");
	a = nth(4);
	cr_assert_str_eq(body(a), "AAEC/wA=");
	cr_assert_str_eq(span(msg->root->epilogue_off, inlen),
	    "This is the epilogue.\n");
	same();
}

Test(mime, rfc822_inside_multipart)
{
	struct mime_part	*m, *inner;
	const struct mime_field	*f;

	load("Content-Type: multipart/mixed; boundary=b\r\n"
	    "\r\n"
	    "--b\r\n"
	    "Content-Type: text/plain\r\n"
	    "\r\n"
	    "See the attached message.\r\n"
	    "--b\r\n"
	    "Content-Type: message/rfc822\r\n"
	    "\r\n"
	    "From: c@example.org\r\n"
	    "Subject: inner\r\n"
	    "Content-Type: multipart/mixed; boundary=c\r\n"
	    "\r\n"
	    "--c\r\n"
	    "\r\n"
	    "one\r\n"
	    "--c--\r\n"
	    "--b--\r\n");
	cr_assert_eq(msg->nparts, 5);
	m = nth(2);
	is_type(m, "message", "rfc822");
	inner = m->child;
	cr_assert_not_null(inner);
	cr_assert_null(inner->next);
	cr_assert_eq(inner->depth, 2);
	cr_assert_eq(inner->off, m->body_off);
	cr_assert_eq(inner->end, m->end);
	f = mime_field_find(inner, "subject");
	cr_assert_not_null(f);
	is_type(inner, "multipart", "mixed");
	is_type(nth(4), "text", "plain");
	cr_assert_eq(nth(4)->depth, 3);
	cr_assert_eq(nth(4)->nfields, 0);
	cr_assert_str_eq(body(nth(4)), "one");
	same();
}

Test(mime, digest_defaults)
{
	load("Content-Type: multipart/digest; boundary=\"d\"\r\n"
	    "\r\n"
	    "--d\r\n"
	    "\r\n"
	    "Subject: first\r\n"
	    "\r\n"
	    "one\r\n"
	    "--d\r\n"
	    "Content-Type: text/plain\r\n"
	    "\r\n"
	    "two\r\n"
	    "--d--\r\n");
	cr_assert_eq(msg->nparts, 4);
	is_type(nth(1), "message", "rfc822");
	is_type(nth(2), "text", "plain");	/* the enclosed message */
	cr_assert_str_eq(body(nth(2)), "one");
	is_type(nth(3), "text", "plain");
	same();
}

Test(mime, missing_close_delimiter)
{
	load("Content-Type: multipart/mixed; boundary=b\r\n"
	    "\r\n"
	    "--b\r\n"
	    "\r\n"
	    "one\r\n"
	    "--b\r\n"
	    "\r\n"
	    "two, and no end");
	cr_assert_eq(msg->nparts, 3);
	cr_assert_not(msg->root->closed);
	cr_assert_eq(msg->root->epilogue_off, inlen);
	cr_assert_eq(nth(2)->end, inlen);
	cr_assert_str_eq(body(nth(2)), "two, and no end");
	same();
}

Test(mime, boundary_mid_line)
{
	load("Content-Type: multipart/mixed; boundary=b\r\n"
	    "\r\n"
	    "--b\r\n"
	    "\r\n"
	    "text --b more\r\n"
	    "x--b\r\n"
	    "--bb\r\n"
	    "--b x\r\n"
	    "--b--x\r\n"
	    "--b--\r\n");
	cr_assert_eq(msg->nparts, 2);
	cr_assert_str_eq(body(nth(1)),
	    "text --b more\r\nx--b\r\n--bb\r\n--b x\r\n--b--x");
	cr_assert(msg->root->closed);
	same();
}

Test(mime, delimiter_padding_and_eof)
{
	/* Linear white space after a delimiter; a close delimiter without
	 * a line end at the very end. */
	load("Content-Type: multipart/mixed; boundary=b\r\n"
	    "\r\n"
	    "--b \t\r\n"
	    "\r\n"
	    "one\r\n"
	    "--b--");
	cr_assert_eq(msg->nparts, 2);
	cr_assert(msg->root->closed);
	cr_assert_eq(msg->root->epilogue_off, inlen);
	cr_assert_str_eq(body(nth(1)), "one");
	same();
}

Test(mime, preamble_epilogue)
{
	struct mime_part	*r;

	load("Content-Type: multipart/mixed; boundary=\"=_x y\"\r\n"
	    "\r\n"
	    "pre 1\r\n"
	    "pre 2\r\n"
	    "\r\n"
	    "--=_x y\r\n"
	    "\r\n"
	    "one\r\n"
	    "--=_x y--   \r\n"
	    "epi 1\r\n"
	    "--=_x y\r\n"
	    "epi 2");
	r = msg->root;
	cr_assert_str_eq(r->boundary, "=_x y");
	cr_assert_eq(msg->nparts, 2);
	cr_assert_str_eq(span(r->body_off, r->preamble_end),
	    "pre 1\r\npre 2\r\n");
	cr_assert_str_eq(span(r->epilogue_off, inlen),
	    "epi 1\r\n--=_x y\r\nepi 2");
	same();
}

Test(mime, no_delimiter_at_all)
{
	load("Content-Type: multipart/mixed; boundary=b\r\n"
	    "\r\n"
	    "nothing here\r\n");
	cr_assert_eq(msg->nparts, 1);
	cr_assert_null(msg->root->child);
	cr_assert_eq(msg->root->preamble_end, inlen);
	same();
}

Test(mime, multipart_without_boundary_is_a_leaf)
{
	load("Content-Type: multipart/mixed\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n");
	cr_assert_eq(msg->nparts, 1);
	is_type(msg->root, "multipart", "mixed");
	same();
	load("Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n");
	cr_assert_eq(msg->nparts, 1);
	same();
	/* 71 characters: longer than RFC 2046 allows. */
	load("Content-Type: multipart/mixed; boundary=\"aaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\r\n\r\n");
	cr_assert_eq(msg->nparts, 1);
	cr_assert_str_eq(msg->root->boundary, "");
}

Test(mime, unclosed_inner_ends_at_parent_delimiter)
{
	load("Content-Type: multipart/mixed; boundary=o\r\n"
	    "\r\n"
	    "--o\r\n"
	    "Content-Type: multipart/alternative; boundary=i\r\n"
	    "\r\n"
	    "--i\r\n"
	    "\r\n"
	    "inner, never closed\r\n"
	    "--o\r\n"
	    "\r\n"
	    "second outer\r\n"
	    "--i\r\n"
	    "--o--\r\n");
	cr_assert_eq(msg->nparts, 4);
	cr_assert_not(nth(1)->closed);
	cr_assert_str_eq(body(nth(2)), "inner, never closed");
	cr_assert_eq(nth(3)->parent, msg->root);
	cr_assert_str_eq(body(nth(3)), "second outer\r\n--i");
	same();
}

Test(mime, parent_delimiter_takes_the_line_end)
{
	/* An inner delimiter right before the parent's: the parent's takes
	 * the line end, and the inner part opened there is empty. */
	load("Content-Type: multipart/mixed; boundary=o\r\n\r\n"
	    "--o\r\n"
	    "Content-Type: multipart/mixed; boundary=i\r\n\r\n"
	    "--i\r\n"
	    "X: in a header\r\n"
	    "--o\r\n"
	    "Content-Type: multipart/mixed; boundary=o\r\n\r\n"
	    "--o\r\n"
	    "--o--\r\n");
	cr_assert_eq(msg->nparts, 5);
	cr_assert_eq(nth(2)->nfields, 1);
	cr_assert_eq(nth(2)->fields[0].raw_len, strlen("X: in a header"));
	cr_assert_eq(nth(2)->body_off, nth(2)->end);
	/* The same boundary inside: the outer one always wins. */
	cr_assert_eq(nth(3)->parent, msg->root);
	cr_assert_null(nth(3)->child);
	cr_assert_eq(nth(4)->parent, msg->root);
	cr_assert_eq(nth(4)->off, nth(4)->end);
	cr_assert(msg->root->closed);
	same();
	load("Content-Type: multipart/mixed; boundary=o\r\n\r\n"
	    "--o\r\n"
	    "Content-Type: multipart/mixed; boundary=i\r\n\r\n"
	    "--i\r\n"
	    "--o--\r\n");
	cr_assert_eq(msg->nparts, 3);
	cr_assert_eq(nth(2)->off, nth(2)->end);
	cr_assert_eq(nth(1)->end, nth(2)->end);
	same();
	/* A boundary that ends in white space is no usable boundary. */
	load("Content-Type: multipart/mixed; boundary=\"b \"\r\n\r\n"
	    "--b \r\n\r\nx\r\n--b --\r\n");
	cr_assert_eq(msg->nparts, 1);
	same();
}

Test(mime, header_forms)
{
	/* No blank line: all header, empty body. */
	load("Subject: x\r\nFrom: y");
	cr_assert_eq(msg->root->nfields, 2);
	cr_assert_eq(msg->root->body_off, inlen);
	same();
	/* A line that is no field ends the header; the body starts on it. */
	load("Subject: x\r\nnot a field\r\nmore\r\n");
	cr_assert_eq(msg->root->nfields, 1);
	cr_assert_str_eq(body(msg->root), "not a field\r\nmore\r\n");
	same();
	/* A continuation without a field before it is body. */
	load(" indented\r\n\r\nx");
	cr_assert_eq(msg->root->nfields, 0);
	cr_assert_eq(msg->root->body_off, 0);
	same();
	/* A space before the colon: not a field. */
	load("Subject : x\r\n\r\nbody");
	cr_assert_eq(msg->root->nfields, 0);
	same();
	/* Empty message, blank only, a field with an empty value. */
	load("");
	cr_assert_eq(msg->root->end, 0);
	same();
	load("\r\n");
	cr_assert_eq(msg->root->body_off, 2);
	same();
	load("X:\n\nb");
	cr_assert_eq(msg->root->fields[0].value_len, 0);
	same();
}

Test(mime, content_type_forms)
{
	load("Content-Type: (comment) TEXT / HTML (c) ;"
	    " CharSet=\"ISO-8859-1\"\r\n"
	    "Content-Transfer-Encoding: (x) 8Bit\r\n\r\n");
	is_type(msg->root, "text", "html");
	cr_assert_str_eq(msg->root->charset, "iso-8859-1");
	cr_assert_eq(msg->root->cte, MIME_CTE_8BIT);
	load("Content-Type: garbage\r\n"
	    "Content-Transfer-Encoding: x-uue\r\n\r\n");
	is_type(msg->root, "text", "plain");
	cr_assert_eq(msg->root->cte, MIME_CTE_OTHER);
	load("Content-Type: text/plain garbage\r\n"
	    "Content-Transfer-Encoding: binary\r\n\r\n");
	is_type(msg->root, "text", "plain");
	cr_assert_eq(msg->root->cte, MIME_CTE_BINARY);
	/* An encoded message/global is opaque. */
	load("Content-Type: message/global\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"
	    "U3ViamVjdDogeA0KDQo=\r\n");
	cr_assert_eq(msg->nparts, 1);
	load("Content-Type: message/global\r\n\r\nSubject: x\r\n\r\nb");
	cr_assert_eq(msg->nparts, 2);
	same();
}

Test(mime, garbage_is_byte_identical)
{
	static const char *const g[] = {
		"\r", "\n", "\r\r\n", ":", "a:", "a:\r", "--", "-",
		"Content-Type: multipart/x; boundary=b\r\n\r\n--b",
		"Content-Type: multipart/x; boundary=b\r\n\r\n--b\r",
		"Content-Type: multipart/x; boundary=b\r\n\r\n--b\r\n",
		"Content-Type: multipart/x; boundary=b\r\n\r\n--b\n--b\n--b",
		"Content-Type: multipart/x; boundary=b\n\n--b--\n--b\n",
		"Content-Type: multipart/x; boundary=b\r\n--b\r\nx",
		"Content-Type: multipart/x; boundary=b\r\n\r\n\r\n--b\r\n"
		    "Content-Type: message/rfc822\r\n\r\n",
		"Content-Type: multipart/x; boundary=b\r\n\r\n--b\r\n"
		    "Content-Type: multipart/x; boundary=b\r\n\r\n--b\r\n--b--",
		"Content-Type: message/rfc822\r\n\r\n"
		    "Content-Type: message/rfc822\r\n\r\n"
		    "Content-Type: message/rfc822",
	};
	size_t	 i;

	for (i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		load(g[i]);
		same();
	}
	cr_assert_eq(loadn("a:\0b\r\n\r\n\0\xff", 10), MIME_OK);
	same();
}

/* ------------------------------------------------------------ limits */

/* n multiparts nested in each other with a leaf at the bottom: the leaf
 * has depth n. */
static char *
deep(unsigned n)
{
	struct buf	 b;
	unsigned	 i;

	buf_init(&b, 0);
	for (i = 0; i < n; i++)
		buf_printf(&b, "Content-Type: multipart/mixed; boundary=b%u\r\n"
		    "\r\n--b%u\r\n", i, i);
	buf_addstr(&b, "\r\nleaf\r\n");
	for (i = n; i-- > 0;)
		buf_printf(&b, "--b%u--\r\n", i);
	cr_assert_not(buf_failed(&b));
	return b.data;
}

Test(mime, depth_limit)
{
	char	*s = deep(MIME_MAX_DEPTH);

	load(s);
	free(s);
	cr_assert_eq(msg->nparts, MIME_MAX_DEPTH + 1);
	cr_assert_eq(nth(MIME_MAX_DEPTH)->depth, MIME_MAX_DEPTH);
	cr_assert_str_eq(body(nth(MIME_MAX_DEPTH)), "leaf");
	same();
	s = deep(MIME_MAX_DEPTH + 1);
	cr_assert_eq(loadn(s, strlen(s)), MIME_E_DEPTH);
	cr_assert_null(msg);
	free(s);
}

Test(mime, depth_limit_rfc822)
{
	struct buf	 b;
	unsigned	 i;

	buf_init(&b, 0);
	for (i = 0; i < MIME_MAX_DEPTH + 1; i++)
		buf_addstr(&b, "Content-Type: message/rfc822\r\n\r\n");
	cr_assert_eq(loadn(b.data, b.len), MIME_E_DEPTH);
	cr_assert_eq(loadn(b.data, b.len -
	    strlen("Content-Type: message/rfc822\r\n\r\n")), MIME_OK);
	cr_assert_eq(msg->nparts, MIME_MAX_DEPTH + 1);
	same();
	buf_free(&b);
}

/* A header block of exactly n octets: one field folded over lines of
 * at most 900, then a blank line and a body. */
static char *
big_header(size_t n)
{
	char	*s = malloc(n + 16), *p = s;
	size_t	 left, take;

	cr_assert_not_null(s);
	p += sprintf(p, "X-Big:");
	while ((left = n - (size_t)(p - s)) > 0) {
		/* Whatever a long line leaves is more than 100. */
		take = left > 1000 ? 900 : left;
		*p++ = ' ';
		memset(p, 'a', take - 3);
		p += take - 3;
		*p++ = '\r';
		*p++ = '\n';
	}
	strcpy(p, "\r\nbody");
	return s;
}

Test(mime, header_limit)
{
	char	*s;

	s = big_header(MIME_MAX_HEADER);
	cr_assert_eq(loadn(s, strlen(s)), MIME_OK);
	cr_assert_eq(msg->root->body_off, (size_t)MIME_MAX_HEADER + 2);
	cr_assert_eq(msg->root->nfields, 1);
	same();
	free(s);
	s = big_header(MIME_MAX_HEADER + 1);
	cr_assert_eq(loadn(s, strlen(s)), MIME_E_HEADER);
	free(s);
	/* An inner header counts on its own. */
	s = big_header(MIME_MAX_HEADER + 1);
	{
		struct buf	 b;

		buf_init(&b, 0);
		buf_addstr(&b, "Content-Type: message/rfc822\r\n\r\n");
		buf_addstr(&b, s);
		cr_assert_eq(loadn(b.data, b.len), MIME_E_HEADER);
		buf_free(&b);
	}
	free(s);
}

static char *
many_parts(size_t n)
{
	struct buf	 b;
	size_t		 i;

	buf_init(&b, 0);
	buf_addstr(&b, "Content-Type: multipart/mixed; boundary=b\r\n\r\n");
	for (i = 0; i < n; i++)
		buf_addstr(&b, "--b\r\n\r\nx\r\n");
	buf_addstr(&b, "--b--\r\n");
	return b.data;
}

Test(mime, part_limit)
{
	char	*s = many_parts(MIME_MAX_PARTS - 1);

	load(s);
	free(s);
	cr_assert_eq(msg->nparts, MIME_MAX_PARTS);
	cr_assert_eq(count_parts(msg->root), MIME_MAX_PARTS);
	same();
	s = many_parts(MIME_MAX_PARTS);
	cr_assert_eq(loadn(s, strlen(s)), MIME_E_PARTS);
	free(s);
}

Test(mime, strerror)
{
	cr_assert_str_eq(mime_strerror(MIME_OK), "success");
	cr_assert_str_neq(mime_strerror(MIME_E_DEPTH), mime_strerror(99));
	cr_assert_str_neq(mime_strerror(MIME_E_LIMIT), mime_strerror(99));
}

/* ------------------------------------------------------------ params */

static char	 pv[256];

static int
param(const char *v, const char *name)
{
	return mime_param(v, strlen(v), name, pv, sizeof(pv));
}

Test(mime, param_rfc2045)
{
	const char	*ct = "text/plain; charset=\"us-\\\"ascii\\\\\" ;"
	    " Format=flowed (comment); name=\r\n \"a b;c.txt\"";

	cr_assert_eq(param(ct, "charset"), 0);
	cr_assert_str_eq(pv, "us-\"ascii\\");
	cr_assert_eq(param(ct, "FORMAT"), 0);
	cr_assert_str_eq(pv, "flowed");
	cr_assert_eq(param(ct, "name"), 0);
	cr_assert_str_eq(pv, "a b;c.txt");
	cr_assert_eq(param(ct, "nam"), -1);
	cr_assert_eq(param(ct, "text/plain"), -1);
	cr_assert_eq(param("text/plain", "charset"), -1);
	cr_assert_eq(param("a/b; x=1; x=2", "x"), 0);
	cr_assert_str_eq(pv, "1");
	cr_assert_eq(param("a/b; boundary=----=_Part_1.2", "boundary"), 0);
	cr_assert_str_eq(pv, "----=_Part_1.2");
	cr_assert_eq(param("a/b; junk; x = \"q\"", "x"), 0);
	cr_assert_str_eq(pv, "q");
	cr_assert_eq(param("a/b; x=\"unterminated", "x"), 0);
	cr_assert_str_eq(pv, "unterminated");
	/* Too long for the output. */
	cr_assert_eq(mime_param("a/b; x=12345", 12, "x", pv, 5), -1);
	cr_assert_eq(mime_param("a/b; x=1234", 11, "x", pv, 5), 0);
}

Test(mime, param_rfc2231)
{
	cr_assert_eq(param("application/x-stuff;\r\n"
	    " title*0*=us-ascii'en'This%20is%20even%20more%20;\r\n"
	    " title*1*=%2A%2A%2Afun%2A%2A%2A%20;\r\n"
	    " title*2=\"isn't it!\"", "title"), 0);
	cr_assert_str_eq(pv, "This is even more ***fun*** isn't it!");
	/* Out of order, with a plain fallback that loses. */
	cr_assert_eq(param("a/b; t*1=\"two\"; t=\"plain\"; t*0=one", "T"), 0);
	cr_assert_str_eq(pv, "onetwo");
	cr_assert_eq(param("attachment; filename*=iso-8859-1'de'Gr%FC%DFe.txt",
	    "filename"), 0);
	cr_assert_str_eq(pv, "Grüße.txt");
	cr_assert_eq(param("a/b; FileName*=UTF-8''%E2%82%AC", "filename"), 0);
	cr_assert_str_eq(pv, "€");
	/* Invalid in its charset, unknown charset, an encoded NUL. */
	cr_assert_eq(param("a/b; f*=utf-8''%FF", "f"), -1);
	cr_assert_eq(param("a/b; f*=x-no-such-charset''a", "f"), -1);
	cr_assert_eq(param("a/b; f*=utf-8//IGNORE''a", "f"), -1);
	cr_assert_eq(param("a/b; f*=us-ascii''a%00b", "f"), -1);
	/* A gap ends the continuation; a stray % stays. */
	cr_assert_eq(param("a/b; f*0=a; f*2=c; f*1*=%zz", "f"), 0);
	cr_assert_str_eq(pv, "a%zzc");
	cr_assert_eq(param("a/b; f*0=a; f*2=c", "f"), 0);
	cr_assert_str_eq(pv, "a");
	cr_assert_eq(param("a/b; f*1=b", "f"), -1);
	cr_assert_eq(param("a/b; f*999=b; f*0=a", "f"), 0);
	cr_assert_str_eq(pv, "a");
}

/* ------------------------------------------------------------ RFC 2047 */

static const char *
dec2047(const char *s)
{
	buf_reset(&out);
	cr_assert_eq(mime_decode_2047(s, strlen(s), &out), 0);
	cr_assert_eq(buf_addc(&out, '\0'), 0);
	return out.data;
}

Test(mime, rfc2047)
{
	cr_assert_str_eq(dec2047("=?UTF-8?B?R3LDvMOfZQ==?="), "Grüße");
	cr_assert_str_eq(dec2047("=?ISO-8859-1?Q?Andr=E9?= Pirard"),
	    "André Pirard");
	cr_assert_str_eq(dec2047("=?iso-8859-1?q?this=20is=20some=20text?="),
	    "this is some text");
	/* Adjacent words: the white space between them goes. */
	cr_assert_str_eq(dec2047("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)"),
	    "(ab)");
	cr_assert_str_eq(dec2047("=?ISO-8859-1?Q?a?=\r\n   \t"
	    "=?ISO-8859-2?Q?b?="), "ab");
	cr_assert_str_eq(dec2047("=?ISO-8859-1?Q?a?= b =?ISO-8859-1?Q?c?="),
	    "a b c");
	cr_assert_str_eq(dec2047("=?ISO-8859-1?Q?a_b?="), "a b");
	cr_assert_str_eq(dec2047("=?UTF-8?Q?a=5Fb?="), "a_b");
	/* A character split across two words. */
	cr_assert_str_eq(dec2047("=?utf-8?q?=C3?= =?UTF-8?Q?=A9?="), "é");
	/* Invalid words are kept as written, white space with them. */
	cr_assert_str_eq(dec2047("=?UTF-8?X?abc?= x"), "=?UTF-8?X?abc?= x");
	cr_assert_str_eq(dec2047("=?UTF-8?B?#?= =?UTF-8?Q?a?="),
	    "=?UTF-8?B?#?= a");
	cr_assert_str_eq(dec2047("=?bogus-cs?Q?a?=  =?bogus-cs?Q?b?= c"),
	    "=?bogus-cs?Q?a?=  =?bogus-cs?Q?b?= c");
	cr_assert_str_eq(dec2047("=?UTF-8?Q?=FF?="), "=?UTF-8?Q?=FF?=");
	cr_assert_str_eq(dec2047("=?UTF-8?Q?a=?="), "=?UTF-8?Q?a=?=");
	cr_assert_str_eq(dec2047("=?UTF-8?Q?a b?="), "=?UTF-8?Q?a b?=");
	cr_assert_str_eq(dec2047("=?UTF-8*en?Q?x?="), "x");
	cr_assert_str_eq(dec2047("plain\r\n folded"), "plain folded");
	cr_assert_str_eq(dec2047("=?"), "=?");
	cr_assert_str_eq(dec2047("a =?UTF-8?Q?" "?= b"), "a  b");
}

Test(mime, to_utf8)
{
	cr_assert_eq(mime_to_utf8("", "abc", 3, &out), 0);
	cr_assert_eq(mime_to_utf8("", "\xe9", 1, &out), -1);
	cr_assert_eq(mime_to_utf8("US-ASCII", "\x80", 1, &out), -1);
	buf_reset(&out);
	cr_assert_eq(mime_to_utf8("ISO-8859-1", "caf\xe9", 4, &out), 0);
	cr_assert_str_eq(out.data, "café");
	buf_reset(&out);
	cr_assert_eq(mime_to_utf8("windows-1252", "\x80", 1, &out), 0);
	cr_assert_str_eq(out.data, "€");
	cr_assert_eq(mime_to_utf8("utf-8", "\xc3", 1, &out), -1);
	cr_assert_eq(mime_to_utf8("utf-8", "\xc0\x80", 2, &out), -1);
	cr_assert_eq(mime_to_utf8("utf-8", "\xed\xa0\x80", 3, &out), -1);
	cr_assert_eq(mime_to_utf8("no-such", "a", 1, &out), -1);
	cr_assert_eq(mime_to_utf8("utf-8//translit", "a", 1, &out), -1);
	buf_reset(&out);
	cr_assert_eq(mime_to_utf8("ISO-2022-JP", "\x1b$B$3\x1b(B", 8, &out),
	    0);
	cr_assert_str_eq(out.data, "こ");
}

/* ------------------------------------------------------------ encodings */

static const char *
qp(const char *s, size_t n)
{
	buf_reset(&out);
	cr_assert_eq(mime_encode_qp(s, n, &out), 0);
	cr_assert_eq(buf_addc(&out, '\0'), 0);
	return out.data;
}

/* Every line of s at most 76 octets and CRLF-terminated but the last. */
static void
lines_ok(const char *s, size_t n)
{
	size_t	 i, col = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '\r') {
			cr_assert(i + 1 < n && s[i + 1] == '\n');
			i++;
			col = 0;
			continue;
		}
		cr_assert_neq(s[i], '\n');
		cr_assert_lt(++col, 77, "line over 76 at %zu", i);
	}
	cr_assert_eq(mime_needs_encoding(s, n), 0);
}

/* decode(encode(s)) is s with bare LF made CRLF. */
static void
qp_roundtrip(const char *s, size_t n)
{
	struct buf	 e, d, want;
	size_t		 i;

	buf_init(&e, 0);
	buf_init(&d, 0);
	buf_init(&want, 0);
	for (i = 0; i < n; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			buf_addc(&want, '\r');
		buf_addc(&want, s[i]);
	}
	cr_assert_eq(mime_encode_qp(s, n, &e), 0);
	lines_ok(e.data, e.len);
	cr_assert_eq(mime_cte_decode(MIME_CTE_QP, e.data, e.len, &d), 0);
	cr_assert_eq(d.len, want.len);
	cr_assert(d.len == 0 || memcmp(d.data, want.data, d.len) == 0);
	buf_free(&e);
	buf_free(&d);
	buf_free(&want);
}

Test(mime, qp_vectors)
{
	cr_assert_str_eq(qp("caf\xc3\xa9 = ok", 10), "caf=C3=A9 =3D ok");
	cr_assert_str_eq(qp("a \r\nb\t\nc ", 9), "a=20\r\nb=09\r\nc=20");
	cr_assert_str_eq(qp("From me\r\nFrom\r\n", 15),
	    "=46rom me\r\nFrom\r\n");
	cr_assert_str_eq(qp(".\r\n.x\r\nx.\r\n", 11), "=2E\r\n=2Ex\r\nx.\r\n");
	cr_assert_str_eq(qp("-- \r\n--b\r\n-x", 12), "=2D-=20\r\n=2D-b\r\n-x");
	cr_assert_str_eq(qp("a\rb\0", 4), "a=0Db=00");
	cr_assert_str_eq(qp("", 0), "");
	cr_assert_str_eq(qp("\n", 1), "\r\n");
}

Test(mime, qp_soft_breaks)
{
	char	 s[300];
	size_t	 i;

	/* 76 printable octets fit one line; 77 do not. */
	memset(s, 'x', 77);
	cr_assert_eq(strchr(qp(s, 76), '='), NULL);
	cr_assert_str_eq(qp(s, 77) + 75, "=\r\nxx");
	/* An escape is never cut. */
	memset(s, 'x', 74);
	memcpy(s + 74, "\xff\xff", 2);
	cr_assert_str_eq(qp(s, 76) + 74, "=\r\n=FF=FF");
	/* A soft break that would leave a dot, "From " or "--" at the
	 * start of a line. */
	memset(s, 'x', 75);
	memcpy(s + 75, ".a", 2);
	cr_assert_str_eq(qp(s, 77) + 75, "=\r\n=2Ea");
	memcpy(s + 75, "From x", 6);
	cr_assert_str_eq(qp(s, 81) + 75, "=\r\n=46rom x");
	memcpy(s + 75, "--b", 3);
	cr_assert_str_eq(qp(s, 78) + 75, "=\r\n=2D-b");
	for (i = 0; i < sizeof(s); i++)
		s[i] = (char)(i * 7 + 3);
	for (i = 0; i < sizeof(s); i++)
		qp_roundtrip(s, i);
	qp_roundtrip("a \t \r\n\n\r\r\n", 10);
}

Test(mime, qp_decode_lenient)
{
	const char	*s = "a=3d=3D=\r\nb= \t\nc=x=4=\nd  \r\ne \t";

	cr_assert_eq(mime_cte_decode(MIME_CTE_QP, s, strlen(s), &out), 0);
	cr_assert_str_eq(out.data, "a==bc=x=4d\r\ne");
}

static const char *
b64(const char *s, size_t n)
{
	buf_reset(&out);
	cr_assert_eq(mime_encode_base64(s, n, &out), 0);
	cr_assert_eq(buf_addc(&out, '\0'), 0);
	return out.data;
}

Test(mime, base64_vectors)
{
	/* RFC 4648 10 */
	cr_assert_str_eq(b64("", 0), "");
	cr_assert_str_eq(b64("f", 1), "Zg==\r\n");
	cr_assert_str_eq(b64("fo", 2), "Zm8=\r\n");
	cr_assert_str_eq(b64("foo", 3), "Zm9v\r\n");
	cr_assert_str_eq(b64("foob", 4), "Zm9vYg==\r\n");
	cr_assert_str_eq(b64("fooba", 5), "Zm9vYmE=\r\n");
	cr_assert_str_eq(b64("foobar", 6), "Zm9vYmFy\r\n");
	cr_assert_str_eq(b64("\xff\xfe\x00", 3), "//4A\r\n");
}

Test(mime, base64_lines_and_roundtrip)
{
	char		 s[1000];
	struct buf	 d;
	size_t		 i, n;

	for (i = 0; i < sizeof(s); i++)
		s[i] = (char)(i * 13 + 1);
	buf_init(&d, 0);
	for (n = 0; n < sizeof(s); n += 7) {
		b64(s, n);
		lines_ok(out.data, out.len - 1);
		if (n == 57)
			cr_assert_eq(out.len - 1, 78);
		buf_reset(&d);
		cr_assert_eq(mime_cte_decode(MIME_CTE_BASE64, out.data,
		    out.len - 1, &d), 0);
		cr_assert_eq(d.len, n);
		cr_assert(n == 0 || memcmp(d.data, s, n) == 0);
	}
	buf_free(&d);
}

Test(mime, base64_decode_lenient)
{
	buf_reset(&out);
	cr_assert_eq(mime_cte_decode(MIME_CTE_BASE64,
	    "Zm9v\r\n Y*m\nFy!", 14, &out), 0);
	cr_assert_str_eq(out.data, "foobar");
	buf_reset(&out);
	cr_assert_eq(mime_cte_decode(MIME_CTE_BASE64, "Zg==Zm8=Zm8", 11, &out),
	    0);
	cr_assert_str_eq(out.data, "ffofo");
	buf_reset(&out);
	cr_assert_eq(mime_b64_decode("Zm9v", 4, &out, 1), 0);
	cr_assert_eq(mime_b64_decode("Zm 9v", 5, &out, 1), -1);
	cr_assert_eq(mime_b64_decode("Z", 1, &out, 1), -1);
}

Test(mime, needs_encoding)
{
	char	 s[1001];

	cr_assert_eq(mime_needs_encoding("", 0), 0);
	cr_assert_eq(mime_needs_encoding("ab\r\ncd\x7f\t\x01", 9), 0);
	cr_assert_eq(mime_needs_encoding("a\n", 2), 1);
	cr_assert_eq(mime_needs_encoding("a\r", 2), 1);
	cr_assert_eq(mime_needs_encoding("a\rb", 3), 1);
	cr_assert_eq(mime_needs_encoding("a\0", 2), 1);
	cr_assert_eq(mime_needs_encoding("\x80", 1), 1);
	memset(s, 'a', sizeof(s));
	cr_assert_eq(mime_needs_encoding(s, 998), 0);
	cr_assert_eq(mime_needs_encoding(s, 999), 1);
	s[998] = '\r';
	s[999] = '\n';
	cr_assert_eq(mime_needs_encoding(s, 1001), 0);
}

/* ------------------------------------------------------------ rewrites */

Test(mime, set_field)
{
	struct mime_part	*r;

	load("A: 1\r\nCONTENT-TYPE: text/plain\r\nB: 2\r\n"
	    "content-type: x/y\r\n  folded\r\nC: 3");
	r = msg->root;
	cr_assert_eq(mime_set_field(msg, r, "Content-Type",
	    "text/html;\r\n charset=utf-8"), 0);
	cr_assert_eq(mime_set_field(msg, r, "X-New", "v"), 0);
	cr_assert_eq(mime_set_field(msg, r, "A", NULL), 0);
	cr_assert_eq(mime_emit_header(msg, r, &out), 0);
	cr_assert_str_eq(out.data, "Content-Type: text/html;\r\n charset=utf-8"
	    "\r\nB: 2\r\nC: 3\r\nX-New: v\r\n");
	buf_reset(&out);
	cr_assert_eq(mime_emit_entity(msg, r, &out), 0);
	cr_assert_str_eq(out.data, "Content-Type: text/html;\r\n charset=utf-8"
	    "\r\nB: 2\r\nC: 3\r\nX-New: v\r\n\r\n");
	/* Set twice: the last value and spelling. */
	cr_assert_eq(mime_set_field(msg, r, "x-new", "w"), 0);
	buf_reset(&out);
	cr_assert_eq(mime_emit_header(msg, r, &out), 0);
	cr_assert(strstr(out.data, "\r\nx-new: w\r\n") != NULL);
	/* Refused: header injection, bad names. */
	cr_assert_eq(mime_set_field(msg, r, "X", "a\r\nB: c"), -1);
	cr_assert_eq(mime_set_field(msg, r, "X", "a\nb"), -1);
	cr_assert_eq(mime_set_field(msg, r, "X", "a\r"), -1);
	cr_assert_eq(mime_set_field(msg, r, "X Y", "a"), -1);
	cr_assert_eq(mime_set_field(msg, r, "X:", "a"), -1);
	cr_assert_eq(mime_set_field(msg, r, "", "a"), -1);
}

Test(mime, set_body_in_multipart)
{
	struct mime_part	*p;

	load("Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\nX: 1\r\n\r\nold\r\n--b\r\nno header\r\n--b--\r\n");
	p = nth(1);
	cr_assert_eq(mime_set_body(msg, msg->root, "x", 1), -1);
	cr_assert_eq(mime_set_body(msg, p, "new body", 8), 0);
	cr_assert_eq(mime_set_body(msg, nth(2), "Y: not a header", 15), 0);
	cr_assert_eq(mime_emit_entity(msg, msg->root, &out), 0);
	cr_assert_str_eq(out.data,
	    "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\nX: 1\r\n\r\nnew body\r\n--b\r\n\r\nY: not a header\r\n"
	    "--b--\r\n");
	buf_reset(&out);
	cr_assert_eq(mime_emit_body(msg, p, &out), 0);
	cr_assert_str_eq(out.data, "new body");
}

Test(mime, edit_header_without_blank_line)
{
	/* A last field without a line end and no blank line: a new field
	 * must not run into it, nor the body into the header. */
	load("Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\nX: 1\r\n--b\r\n continued?\r\n--b--\r\n");
	cr_assert_eq(mime_set_field(msg, nth(1), "Y", "2"), 0);
	cr_assert_eq(mime_set_field(msg, nth(2), "Y", "3"), 0);
	cr_assert_eq(mime_emit_entity(msg, msg->root, &out), 0);
	cr_assert_str_eq(out.data,
	    "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\nX: 1\r\nY: 2\r\n\r\n\r\n--b\r\nY: 3\r\n\r\n continued?\r\n"
	    "--b--\r\n");
}

Test(mime, emit_to_capped_buffer)
{
	struct buf	 b;

	load(nested);
	buf_init(&b, 100);
	cr_assert_eq(mime_emit_entity(msg, msg->root, &b), -1);
	cr_assert(b.overflow);
	buf_free(&b);
	buf_init(&b, inlen);
	cr_assert_eq(mime_emit_entity(msg, msg->root, &b), 0);
	buf_free(&b);
}

/* ------------------------------------------------------------ make_7bit */

static const char mixed8[] =
    "From: a@example.org\r\n"
    "Content-Type: multipart/mixed; boundary=b\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "--b\r\n"
    "Content-Type: text/plain; charset=iso-8859-1\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "caf\xe9\r\n"
    "From here\r\n"
    ".\r\n"
    "--b\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "Gr\xc3\xbc\xc3\x9f" "e \r\n"
    "--b\r\n"
    "Content-Type: application/octet-stream\r\n"
    "Content-Transfer-Encoding: binary\r\n"
    "\r\n"
    "\x00\x01\xff\n\r\x00z"
    "\r\n--b\r\n"
    "Content-Type: image/png\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "iVBORw0KGgo=\r\n"
    "--b\r\n"
    "Content-Type: message/rfc822\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "Subject: inner\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "\xe2\x82\xac\r\n"
    "--b--\r\n";

static void
leaves_7bit(const struct mime_part *p)
{
	const struct mime_part	*c;

	if (p->child == NULL) {
		cr_assert_eq(mime_needs_encoding(in + p->body_off,
		    p->end - p->body_off), 0, "leaf at %zu", p->off);
		cr_assert(p->cte == MIME_CTE_7BIT || p->cte == MIME_CTE_QP ||
		    p->cte == MIME_CTE_BASE64);
	}
	for (c = p->child; c != NULL; c = c->next)
		leaves_7bit(c);
}

Test(mime, make_7bit)
{
	struct mime_msg	*old;
	char		*oldin, *untouched;
	size_t		 changed, oldlen, ulen;
	struct buf	 e;

	cr_assert_eq(loadn(mixed8, sizeof(mixed8) - 1), MIME_OK);
	cr_assert_eq(msg->nparts, 7);
	/* The base64 part exactly as it stands, delimiter to delimiter. */
	ulen = nth(4)->end - nth(4)->off;
	untouched = strndup(in + nth(4)->off, ulen);
	cr_assert_eq(mime_make_7bit(msg, msg->root, &changed), 0);
	cr_assert_eq(changed, 4);
	buf_init(&e, 0);
	cr_assert_eq(mime_emit_entity(msg, msg->root, &e), 0);
	/* Parse the result in place of the original. */
	old = msg;
	oldin = in;
	oldlen = inlen;
	msg = NULL;
	in = NULL;
	cr_assert_eq(loadn(e.data, e.len), MIME_OK);
	buf_free(&e);
	cr_assert_eq(msg->nparts, 7);
	leaves_7bit(msg->root);
	cr_assert_eq(nth(1)->cte, MIME_CTE_QP);
	cr_assert_eq(nth(2)->cte, MIME_CTE_QP);
	cr_assert_eq(nth(3)->cte, MIME_CTE_BASE64);
	cr_assert_eq(nth(4)->cte, MIME_CTE_BASE64);
	/* Containers are never encoded; 7-bit now, so labelled 7bit. */
	cr_assert_eq(msg->root->cte, MIME_CTE_7BIT);
	cr_assert_eq(nth(5)->cte, MIME_CTE_7BIT);
	is_type(nth(5), "message", "rfc822");
	cr_assert_eq(nth(6)->cte, MIME_CTE_QP);
	cr_assert_str_eq(body(nth(1)), "caf=E9\r\n=46rom here\r\n=2E");
	cr_assert_str_eq(decoded(nth(1)), "caf\xe9\r\nFrom here\r\n.");
	cr_assert_str_eq(decoded(nth(2)), "Grüße ");
	buf_reset(&out);
	cr_assert_eq(mime_decode_body(msg, nth(3), &out), 0);
	cr_assert_eq(out.len, 7);
	cr_assert_eq(memcmp(out.data, "\x00\x01\xff\n\r\x00z", 7), 0);
	cr_assert_str_eq(decoded(nth(6)), "€");
	cr_assert_eq(nth(4)->end - nth(4)->off, ulen);
	cr_assert_eq(memcmp(in + nth(4)->off, untouched, ulen), 0);
	/* Untouched fields are copied raw. */
	cr_assert_eq(strncmp(in, "From: a@example.org\r\n", 21), 0);
	/* Nothing is left to do. */
	cr_assert_eq(mime_make_7bit(msg, msg->root, &changed), 0);
	cr_assert_eq(changed, 0);
	same();
	free(untouched);
	mime_free(old);
	free(oldin);
	(void)oldlen;
}

Test(mime, make_7bit_keeps_8bit_label_when_header_is_8bit)
{
	size_t	 changed;

	load("Content-Type: message/rfc822\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n"
	    "\r\n"
	    "Subject: \xc3\xa9\r\n"
	    "\r\n"
	    "caf\xc3\xa9\r\n");
	cr_assert_eq(mime_make_7bit(msg, msg->root, &changed), 0);
	cr_assert_eq(changed, 1);
	cr_assert_eq(mime_emit_header(msg, msg->root, &out), 0);
	cr_assert_str_eq(out.data, "Content-Type: message/rfc822\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n");
	buf_reset(&out);
	cr_assert_eq(mime_emit_body(msg, msg->root, &out), 0);
	cr_assert_str_eq(out.data, "Subject: \xc3\xa9\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9\r\n");
}

Test(mime, make_7bit_lf_only_and_clean)
{
	size_t	 changed;

	/* Clean 7bit and encoded bodies stay; LF-only text becomes CRLF. */
	load("Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\n\r\nclean\r\n"
	    "--b\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA\r\n"
	    "--b\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\n\xff\r\n"
	    "--b\r\nContent-Type: application/x\r\n\r\nlf\nonly\n\r\n"
	    "--b\r\n\r\nlf\nonly\n\r\n"
	    "--b--\r\n");
	cr_assert_eq(mime_make_7bit(msg, msg->root, &changed), 0);
	cr_assert_eq(changed, 2);
	cr_assert_null(nth(1)->edits);
	cr_assert_null(nth(2)->edits);
	cr_assert_null(nth(3)->edits);
	cr_assert_eq(mime_emit_body(msg, nth(4), &out), 0);
	cr_assert_str_eq(out.data, "bGYKb25seQo=\r\n");
	buf_reset(&out);
	cr_assert_eq(mime_emit_body(msg, nth(5), &out), 0);
	cr_assert_str_eq(out.data, "lf\r\nonly\r\n");
}

/* ------------------------------------------------------------ buf */

Test(mime, buf_cap)
{
	struct buf	 b;

	buf_init(&b, 10);
	cr_assert_eq(buf_add(&b, "12345", 5), 0);
	cr_assert_eq(buf_addstr(&b, "67890"), 0);
	cr_assert_eq(b.len, 10);
	cr_assert_not(buf_failed(&b));
	cr_assert_eq(buf_addc(&b, 'x'), -1);
	cr_assert(b.overflow);
	cr_assert(buf_failed(&b));
	/* Latched: even an append that would fit is refused. */
	cr_assert_eq(buf_add(&b, "", 0), -1);
	cr_assert_eq(b.len, 10);
	cr_assert_str_eq(b.data, "1234567890");
	buf_reset(&b);
	cr_assert_not(buf_failed(&b));
	cr_assert_eq(buf_printf(&b, "%d-%s", 42, "abcde"), 0);
	cr_assert_str_eq(b.data, "42-abcde");
	cr_assert_eq(buf_printf(&b, "%s", "xyz"), -1);
	cr_assert_eq(b.len, 8);
	buf_free(&b);
	cr_assert_eq(b.max, 10);
	cr_assert_null(b.data);

	buf_init(&b, 0);
	cr_assert_eq(buf_printf(&b, "%0300d", 7), 0);
	cr_assert_eq(b.len, 300);
	cr_assert_eq(b.data[299], '7');
	buf_free(&b);
}
