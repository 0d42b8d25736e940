/*
 * Tests for webd's multipart/form-data parser (webd/multipart.c): the
 * Content-Type's boundary, and bodies as browsers write them, then every
 * rule broken once, every limit exactly at and one over it, every prefix
 * of a valid body refused, and random forms parsed back to what was put
 * in.  Every body is handed over in a malloc'd buffer of exactly its
 * length, as the connection holds it, so that under ASan an overread
 * fails.  webd/ is not in libpgpmg.a: the sources are compiled in.
 */
#include "webd/form.c"
#include "webd/multipart.c"

#include <stdio.h>
#include <stdlib.h>

#include <criterion/criterion.h>

#define B	"----WebKitFormBoundary7MA4YWxkTrZu0gW"
#define CRLF	"\r\n"

static struct form		 form;
static struct multipart_files	 files;
static uint8_t			*copy;
static const char		*why;

static void
teardown(void)
{
	form_free(&form);
	free(copy);
	copy = NULL;
}

TestSuite(multipart, .fini = teardown);

/* Parse body[0..len) from an exact-size heap copy with boundary b. */
static int
parsen_b(const char *b, const void *body, size_t len)
{
	int	 rc;

	form_free(&form);
	free(copy);
	copy = malloc(len > 0 ? len : 1);
	cr_assert_not_null(copy);
	memcpy(copy, body, len);
	why = NULL;
	rc = multipart_parse(copy, len, b, &form, &files, &why);
	if (rc != 0) {
		cr_assert_not_null(why, "a refusal without a reason");
		cr_assert_eq(form.n, 0);
		cr_assert_null(form.buf);
		cr_assert_eq(files.n, 0);
	} else {
		for (size_t i = 0; i < files.n; i++)
			cr_assert(files.f[i].len == 0 ||
			    (files.f[i].data >= copy && files.f[i].data +
			    files.f[i].len <= copy + len));
	}
	return rc;
}

static int
parse(const char *body)
{
	return parsen_b(B, body, strlen(body));
}

static void
expect(const char *body, int status)
{
	int	 rc = parse(body);

	cr_expect_eq(rc, status, "%d, not %d (%s): %s", rc, status,
	    why != NULL ? why : "accepted", body);
}

/* One text part. */
#define TEXT(name, value) \
	"--" B CRLF "Content-Disposition: form-data; name=\"" name "\"" \
	CRLF CRLF value CRLF
#define END	"--" B "--" CRLF

/* ---------------------------------------------------------------- boundary */

static int
boundary(const char *ct, char *out)
{
	why = NULL;
	return multipart_boundary(ct, strlen(ct), out, &why);
}

Test(multipart, boundary_good)
{
	char	 b[MULTIPART_BOUNDARY_MAX + 1];

	cr_assert_eq(boundary("multipart/form-data; boundary=" B, b), 0);
	cr_assert_str_eq(b, B);
	cr_assert_eq(boundary("multipart/form-data;boundary=abc", b), 0);
	cr_assert_str_eq(b, "abc");
	cr_assert_eq(boundary("Multipart/Form-Data; BOUNDARY=x", b), 0);
	cr_assert_str_eq(b, "x");
	cr_assert_eq(boundary("multipart/form-data; boundary=\"a b:c(d)?\"",
	    b), 0);
	cr_assert_str_eq(b, "a b:c(d)?");
	cr_assert_eq(boundary("multipart/form-data; charset=utf-8; "
	    "boundary=x", b), 0);
	cr_assert_str_eq(b, "x");
	cr_assert_eq(boundary("multipart/form-data; boundary=x ; a=b", b), 0);
	cr_assert_str_eq(b, "x");
	/* curl's and Firefox's */
	cr_assert_eq(boundary("multipart/form-data; boundary=-----------"
	    "-------------a1b2c3d4e5f60718", b), 0);
	cr_assert_eq(boundary("multipart/form-data; boundary=-------------"
	    "--------------38161426213470536311545013573", b), 0);
}

Test(multipart, boundary_lengths)
{
	char	 b[MULTIPART_BOUNDARY_MAX + 1], ct[200];

	snprintf(ct, sizeof(ct), "multipart/form-data; boundary=%.70s",
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "4567890123");
	cr_assert_eq(boundary(ct, b), 0);
	cr_assert_eq(strlen(b), 70);
	snprintf(ct, sizeof(ct), "multipart/form-data; boundary=%.71s",
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "4567890123");
	cr_assert_eq(boundary(ct, b), 400);
	cr_assert_str_eq(b, "");
	cr_assert_eq(boundary("multipart/form-data; boundary=\"\"", b), 400);
	cr_assert_eq(boundary("multipart/form-data; boundary=", b), 400);
}

Test(multipart, boundary_bad)
{
	char	 b[MULTIPART_BOUNDARY_MAX + 1];

	cr_expect_eq(boundary("multipart/form-data", b), 400);
	cr_expect_eq(boundary("multipart/form-data;", b), 400);
	cr_expect_eq(boundary("multipart/form-data; boundary=a;", b), 400);
	cr_expect_eq(boundary("multipart/form-data; boundary=a; boundary=a",
	    b), 400);
	cr_expect_eq(boundary("multipart/form-data; boundary=\"ab \"", b),
	    400);
	cr_expect_eq(boundary("multipart/form-data; boundary=\"a\\b\"", b),
	    400);
	cr_expect_eq(boundary("multipart/form-data; boundary=\"a\"b", b), 400);
	cr_expect_eq(boundary("multipart/form-data; boundary=a@b", b), 400);
	cr_expect_eq(boundary("multipart/form-data; boundary=a*b", b), 400);
	cr_expect_eq(boundary("multipart/form-data; boundary=\"abc", b), 400);
	cr_expect_eq(boundary("multipart/form-data; boundary = x", b), 400);
	cr_expect_eq(boundary("multipart/form-data x", b), 400);
	cr_expect_eq(boundary("multipart/form-data; =x", b), 400);
}

Test(multipart, boundary_other_types)
{
	char	 b[MULTIPART_BOUNDARY_MAX + 1];

	cr_expect_eq(boundary("application/x-www-form-urlencoded", b), 415);
	cr_expect_eq(boundary("text/plain", b), 415);
	cr_expect_eq(boundary("multipart/mixed; boundary=x", b), 415);
	cr_expect_eq(boundary("multipart/form-datax; boundary=x", b), 415);
	cr_expect_eq(boundary("multipart/form", b), 415);
	cr_expect_eq(boundary("", b), 415);
}

/* ---------------------------------------------------------------- bodies */

/* What Chromium sends for the console's upload form. */
static const char chrome_head[] =
    "--" B CRLF
    "Content-Disposition: form-data; name=\"csrf\"" CRLF CRLF
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" CRLF
    "--" B CRLF
    "Content-Disposition: form-data; name=\"key\"; filename=\"k\xc3\xa9y.gpg\""
    CRLF "Content-Type: application/octet-stream" CRLF CRLF;
static const char chrome_tail[] =
    CRLF "--" B CRLF
    "Content-Disposition: form-data; name=\"armour\"" CRLF CRLF
    CRLF "--" B CRLF
    "Content-Disposition: form-data; name=\"passphrase\"" CRLF CRLF
    "p\xc3\xa4ss phrase" CRLF "--" B CRLF
    "Content-Disposition: form-data; name=\"password\"" CRLF CRLF
    "my password" CRLF "--" B "--" CRLF;

/* A file with everything a file may hold: NUL, CR, LF, dashes, part of
 * the boundary, bytes that are not UTF-8. */
static const uint8_t chrome_file[] = {
	0x99, 0x01, 0x0d, 0x00, '\r', '\n', '-', '-', '-', '-', 'W', 'e',
	'b', 0xff, 0xfe, '\r', '\n', '-', '-', '\r', '\n', 0x00,
};

static size_t
chrome_body(uint8_t *out)
{
	size_t	 n = 0;

	memcpy(out + n, chrome_head, sizeof(chrome_head) - 1);
	n += sizeof(chrome_head) - 1;
	memcpy(out + n, chrome_file, sizeof(chrome_file));
	n += sizeof(chrome_file);
	memcpy(out + n, chrome_tail, sizeof(chrome_tail) - 1);
	n += sizeof(chrome_tail) - 1;
	return n;
}

Test(multipart, browser_form)
{
	uint8_t				 body[2048];
	size_t				 len = chrome_body(body);
	const struct multipart_file	*f;

	cr_assert_eq(parsen_b(B, body, len), 0, "%s", why);
	cr_assert_eq(form.n, 4);
	cr_assert_str_eq(form_value(&form, "csrf"),
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	cr_assert_str_eq(form_value(&form, "armour"), "");
	cr_assert_str_eq(form_value(&form, "passphrase"), "p\xc3\xa4ss phrase");
	cr_assert_str_eq(form_value(&form, "password"), "my password");
	cr_assert_null(form_value(&form, "key"));
	cr_assert_eq(files.n, 1);
	cr_assert_not_null(f = multipart_file(&files, "key"));
	cr_assert_eq(f->len, sizeof(chrome_file));
	cr_assert(memcmp(f->data, chrome_file, sizeof(chrome_file)) == 0);
	cr_assert_null(multipart_file(&files, "armour"));
}

Test(multipart, every_prefix_refused)
{
	uint8_t	 body[2048];
	size_t	 len = chrome_body(body);

	/* Without its last CRLF the body is still whole. */
	for (size_t cut = 0; cut < len - 2; cut++)
		cr_assert_neq(parsen_b(B, body, cut), 0,
		    "a prefix of %zu bytes accepted", cut);
	cr_assert_eq(parsen_b(B, body, len - 2), 0, "%s", why);
	cr_assert_eq(parsen_b(B, body, len), 0);
}

Test(multipart, empty_file_and_empty_value)
{
	cr_assert_eq(parse("--" B CRLF "Content-Disposition: form-data; "
	    "name=\"key\"; filename=\"\"" CRLF "Content-Type: "
	    "application/octet-stream" CRLF CRLF CRLF TEXT("a", "") END), 0,
	    "%s", why);
	cr_assert_eq(files.n, 1);
	cr_assert_eq(files.f[0].len, 0);
	cr_assert_null(files.f[0].data);
	cr_assert_str_eq(form_value(&form, "a"), "");
}

Test(multipart, framing)
{
	/* the close delimiter without CRLF, and transport padding */
	expect(TEXT("a", "1") "--" B "--", 0);
	expect("--" B " \t" CRLF "Content-Disposition: form-data; name=a" CRLF
	    CRLF "1" CRLF "--" B "-- " CRLF, 0);
	cr_assert_str_eq(form_value(&form, "a"), "1");
	/* a value with line breaks (a pasted key) */
	expect(TEXT("armour", "line 1" CRLF "line 2" CRLF) END, 0);
	cr_assert_str_eq(form_value(&form, "armour"), "line 1\r\nline 2\r\n");
	/* a preamble, an epilogue, no parts, no end */
	expect("preamble" CRLF TEXT("a", "1") END, 400);
	expect(CRLF TEXT("a", "1") END, 400);
	expect(TEXT("a", "1") END "epilogue", 400);
	expect(TEXT("a", "1") END CRLF, 400);
	expect("--" B "--" CRLF, 400);
	expect("--" B "--", 400);
	expect(TEXT("a", "1"), 400);
	expect("--" B CRLF "Content-Disposition: form-data; name=a" CRLF CRLF
	    "1", 400);
	expect("", 400);
	/* the boundary line with something after it */
	expect("--" B "x" CRLF "Content-Disposition: form-data; name=a" CRLF
	    CRLF "1" CRLF END, 400);
	expect("--" B "-" CRLF "Content-Disposition: form-data; name=a" CRLF
	    CRLF "1" CRLF END, 400);
	/* a bare LF ending the boundary line, or a part's header */
	expect("--" B "\n" "Content-Disposition: form-data; name=a" CRLF CRLF
	    "1" CRLF END, 400);
	expect("--" B CRLF "Content-Disposition: form-data; name=a\n" CRLF
	    "1" CRLF END, 400);
	expect("--" B CRLF "Content-Disposition: form-data; name=a\r" CRLF
	    CRLF "1" CRLF END, 400);
	/* the boundary inside a part, or a longer one after a delimiter */
	expect(TEXT("a", "1" CRLF "--" B "x") END, 400);
	expect(TEXT("a", "1") "--" B "xyz" CRLF END, 400);
	/* the boundary without its CRLF, and a near miss: data */
	expect(TEXT("a", "x--" B "y") END, 0);
	cr_assert_str_eq(form_value(&form, "a"), "x--" B "y");
	expect(TEXT("a", CRLF "-" B) END, 0);
	/* a part without the empty line after its header */
	expect("--" B CRLF "Content-Disposition: form-data; name=a" CRLF CRLF
	    "--" B CRLF "Content-Disposition: form-data; name=b" CRLF CRLF
	    "2" CRLF END, 400);
	/* a part with no header at all */
	expect("--" B CRLF CRLF "1" CRLF END, 400);
	/* a boundary of another form */
	cr_assert_eq(parsen_b("other", TEXT("a", "1") END,
	    strlen(TEXT("a", "1") END)), 400);
}

Test(multipart, part_headers)
{
	/* ignored fields, a text part's type, an identity encoding */
	expect("--" B CRLF "X-Other: 1" CRLF "content-disposition: FORM-DATA;"
	    "NAME=\"a\"" CRLF "Content-Type: text/plain; charset=utf-8" CRLF
	    "Content-Transfer-Encoding: 8bit" CRLF CRLF "1" CRLF END, 0);
	cr_assert_str_eq(form_value(&form, "a"), "1");
	/* a token name, OWS before ';' */
	expect("--" B CRLF "Content-Disposition: form-data ; name=a ;"
	    " filename=k.asc" CRLF CRLF "1" CRLF END, 0);
	cr_assert_eq(files.n, 1);
	/* a backslash is no escape (browsers write %22 for '"') */
	expect("--" B CRLF "Content-Disposition: form-data; name=\"a\"; "
	    "filename=\"C:\\dir\\k.asc\"" CRLF CRLF "1" CRLF END, 0);
	expect("--" B CRLF "Content-Disposition: form-data; name=\"a\"; "
	    "filename=\"a\\\"b\"" CRLF CRLF "1" CRLF END, 400);

	expect("--" B CRLF " Content-Disposition: form-data; name=a" CRLF CRLF
	    "1" CRLF END, 400);
	expect("--" B CRLF "Content-Disposition: form-data;" CRLF " name=a"
	    CRLF CRLF "1" CRLF END, 400);
	expect("--" B CRLF "Content-Disposition : form-data; name=a" CRLF CRLF
	    "1" CRLF END, 400);
	expect("--" B CRLF "Content-Disposition form-data; name=a" CRLF CRLF
	    "1" CRLF END, 400);
	expect("--" B CRLF ": x" CRLF "Content-Disposition: form-data; name=a"
	    CRLF CRLF "1" CRLF END, 400);
	expect("--" B CRLF "X-A\x01: 1" CRLF "Content-Disposition: form-data; "
	    "name=a" CRLF CRLF "1" CRLF END, 400);
	expect("--" B CRLF "Content-Type: text/plain" CRLF CRLF "1" CRLF END,
	    400);
	expect("--" B CRLF "Content-Disposition: form-data; name=a" CRLF
	    "Content-Disposition: form-data; name=a" CRLF CRLF "1" CRLF END,
	    400);
	expect("--" B CRLF "Content-Disposition: form-data; name=a" CRLF
	    "Content-Type: text/plain" CRLF "Content-Type: text/plain" CRLF
	    CRLF "1" CRLF END, 400);
	expect("--" B CRLF "Content-Disposition: form-data; name=a" CRLF
	    "Content-Type: multipart/mixed; boundary=x" CRLF CRLF "--x--"
	    CRLF END, 400);
	expect("--" B CRLF "Content-Disposition: form-data; name=a" CRLF
	    "Content-Type: Multipart/Form-Data; boundary=x" CRLF CRLF "--x--"
	    CRLF END, 400);
	expect("--" B CRLF "Content-Disposition: form-data; name=a" CRLF
	    "Content-Transfer-Encoding: base64" CRLF CRLF "MQ==" CRLF END, 400);
	expect("--" B CRLF "Content-Disposition: form-data; name=a" CRLF
	    "Content-Transfer-Encoding: quoted-printable" CRLF CRLF "1" CRLF
	    END, 400);
}

Test(multipart, dispositions)
{
	static const char *const bad[] = {
		"attachment; name=a",
		"form-data",
		"form-data;",
		"form-data; name=a;",
		"form-data; name=",
		"form-data; name=\"\"",
		"form-data; filename=k",
		"form-data; name=a; name=b",
		"form-data; name=a; filename=k; filename=l",
		"form-data; name=a; filename*=UTF-8''k",
		"form-data; name=a; size=3",
		"form-data; name=\"a",
		"form-data; name=\"a\"x",
		"form-data; name = a",
		"form-data name=a",
		"form-data; name=\"\xff\"",
		"form-data; name=a; filename=\"\xc3\"",
	};
	char	 body[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body), "--" B CRLF "Content-Disposition: "
		    "%s" CRLF CRLF "1" CRLF END, bad[i]);
		cr_expect_eq(parse(body), 400, "accepted: %s", bad[i]);
	}
	/* a name of 64 bytes, and of 65 */
	snprintf(body, sizeof(body), TEXT("%.64s", "1") END,
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	cr_expect_eq(parse(body), 0);
	snprintf(body, sizeof(body), TEXT("%.65s", "1") END,
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	cr_expect_eq(parse(body), 400);
	/* UTF-8 in a name and a file name */
	cr_expect_eq(parse(TEXT("n\xc3\xa4me", "1") END), 0);
	cr_expect_str_eq(form_value(&form, "n\xc3\xa4me"), "1");
}

Test(multipart, text_is_utf8)
{
	expect(TEXT("a", "\xc3\xa4\xe2\x82\xac\xf0\x9f\x94\x91") END, 0);
	expect(TEXT("a", "\xff") END, 400);
	expect(TEXT("a", "\xc0\xaf") END, 400);
	expect(TEXT("a", "\xed\xa0\x80") END, 400);
	expect(TEXT("a", "\xc3") END, 400);
	cr_expect_eq(parsen_b(B, TEXT("a", "x\0y") END,
	    sizeof(TEXT("a", "x\0y") END) - 1), 400);
	/* not so in a file */
	cr_expect_eq(parsen_b(B, "--" B CRLF "Content-Disposition: form-data; "
	    "name=k; filename=f" CRLF CRLF "\xff\0\xc0" CRLF END,
	    sizeof("--" B CRLF "Content-Disposition: form-data; "
	    "name=k; filename=f" CRLF CRLF "\xff\0\xc0" CRLF END) - 1), 0);
	cr_expect_eq(files.f[0].len, 3);
}

Test(multipart, repeated_fields)
{
	expect(TEXT("a", "1") TEXT("a", "2") "--" B CRLF "Content-Disposition: "
	    "form-data; name=k; filename=f" CRLF CRLF "x" CRLF "--" B CRLF
	    "Content-Disposition: form-data; name=k; filename=g" CRLF CRLF "y"
	    CRLF END, 0);
	cr_expect_null(form_value(&form, "a"));
	cr_expect_null(multipart_file(&files, "k"));
	cr_expect_eq(files.n, 2);
}

/* A body of n text parts, or n file parts. */
static char *
many(size_t n, int file)
{
	char	*b = malloc(n * 128 + 64), *p = b;

	cr_assert_not_null(b);
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "--" B CRLF "Content-Disposition: form-data; "
		    "name=\"f%zu\"%s" CRLF CRLF "v" CRLF, i, file ?
		    "; filename=x" : "");
	strcpy(p, END);
	return b;
}

Test(multipart, part_and_file_counts)
{
	char	*b;

	b = many(MULTIPART_PARTS_MAX, 0);
	expect(b, 0);
	cr_expect_eq(form.n, MULTIPART_PARTS_MAX);
	free(b);
	b = many(MULTIPART_PARTS_MAX + 1, 0);
	expect(b, 413);
	free(b);
	b = many(MULTIPART_FILES_MAX, 1);
	expect(b, 0);
	cr_expect_eq(files.n, MULTIPART_FILES_MAX);
	free(b);
	b = many(MULTIPART_FILES_MAX + 1, 1);
	expect(b, 413);
	free(b);
}

/* A part whose header block is exactly len bytes, CRLF CRLF included. */
static char *
header_of(size_t len)
{
	static const char	 cd[] = "Content-Disposition: form-data; name=a"
				    CRLF "X-Pad: ";
	char			*b = malloc(len + 256), *p = b;
	size_t			 pad = len - (sizeof(cd) - 1) - 4;

	cr_assert_not_null(b);
	p += sprintf(p, "--" B CRLF "%s", cd);
	memset(p, 'x', pad);
	p += pad;
	strcpy(p, CRLF CRLF "1" CRLF END);
	return b;
}

Test(multipart, header_size)
{
	char	*b;

	/* The bound counts the block up to its last field's CRLF. */
	b = header_of(MULTIPART_HEAD_MAX + 2);
	expect(b, 0);
	free(b);
	b = header_of(MULTIPART_HEAD_MAX + 3);
	expect(b, 400);
	free(b);
}

Test(multipart, header_fields)
{
	char	 body[1024], *p = body;

	p += sprintf(p, "--" B CRLF "Content-Disposition: form-data; name=a"
	    CRLF);
	for (int i = 1; i < MULTIPART_FIELDS_MAX; i++)
		p += sprintf(p, "X-%d: 1" CRLF, i);
	sprintf(p, CRLF "1" CRLF END);
	expect(body, 0);
	p = body + strlen(body) - strlen(CRLF "1" CRLF END);
	sprintf(p, "X-9: 1" CRLF CRLF "1" CRLF END);
	expect(body, 400);
}

/* A body with one file part of n bytes. */
static int
file_of(size_t n)
{
	static const char	 head[] = "--" B CRLF "Content-Disposition: "
				    "form-data; name=key; filename=k" CRLF CRLF;
	static const char	 tail[] = CRLF END;
	size_t			 len = sizeof(head) - 1 + n + sizeof(tail) - 1;
	uint8_t			*b = malloc(len);
	int			 rc;

	cr_assert_not_null(b);
	memcpy(b, head, sizeof(head) - 1);
	memset(b + sizeof(head) - 1, 'k', n);
	memcpy(b + sizeof(head) - 1 + n, tail, sizeof(tail) - 1);
	rc = parsen_b(B, b, len);
	free(b);
	return rc;
}

Test(multipart, sizes)
{
	uint8_t	*b;

	cr_expect_eq(file_of(MULTIPART_PART_MAX), 0, "%s", why);
	cr_expect_eq(files.f[0].len, MULTIPART_PART_MAX);
	cr_expect_eq(file_of(MULTIPART_PART_MAX + 1), 413);
	b = calloc(1, MULTIPART_BODY_MAX + 1);
	cr_assert_not_null(b);
	why = NULL;
	cr_expect_eq(multipart_parse(b, MULTIPART_BODY_MAX + 1, B, &form,
	    &files, &why), 413);
	free(b);
	cr_expect_eq(parsen_b("", "--" CRLF, 4), 400);
}

/* Random forms, written as a browser would, parse back to themselves. */
Test(multipart, round_trip)
{
	uint8_t		*body;
	char		 names[8][24], values[8][64];
	uint8_t		 data[8][64];
	size_t		 vlen[8], n, len, nfiles;
	int		 isfile[8];

	srandom(7);
	body = malloc(8 * 512);
	cr_assert_not_null(body);
	for (int round = 0; round < 500; round++) {
		n = 1 + (size_t)random() % 8;
		len = nfiles = 0;
		for (size_t i = 0; i < n; i++) {
			snprintf(names[i], sizeof(names[i]), "f%zu", i);
			isfile[i] = nfiles < MULTIPART_FILES_MAX &&
			    random() % 2;
			nfiles += isfile[i];
			vlen[i] = (size_t)random() % 64;
			for (size_t k = 0; k < vlen[i]; k++) {
				/* text: printable, CR and LF; files: any */
				data[i][k] = isfile[i] ? (uint8_t)random() :
				    (uint8_t)(random() % 4 == 0 ? "\r\n-"[random()
				    % 3] : ' ' + random() % 95);
			}
			len += (size_t)sprintf((char *)body + len, "--" B CRLF
			    "Content-Disposition: form-data; name=\"%s\"%s" CRLF
			    CRLF, names[i], isfile[i] ? "; filename=\"f\"" : "");
			memcpy(body + len, data[i], vlen[i]);
			len += vlen[i];
			memcpy(body + len, CRLF, 2);
			len += 2;
			memcpy(values[i], data[i], vlen[i]);
			values[i][vlen[i]] = '\0';
		}
		len += (size_t)sprintf((char *)body + len, END);
		cr_assert_eq(parsen_b(B, body, len), 0, "round %d: %s", round,
		    why);
		for (size_t i = 0; i < n; i++) {
			if (isfile[i]) {
				const struct multipart_file *f =
				    multipart_file(&files, names[i]);

				cr_assert_not_null(f);
				cr_assert_eq(f->len, vlen[i]);
				cr_assert(vlen[i] == 0 ||
				    memcmp(f->data, data[i], vlen[i]) == 0);
			} else
				cr_assert_str_eq(form_value(&form, names[i]),
				    values[i]);
		}
	}
	free(body);
}
