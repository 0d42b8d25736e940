/*
 * Tests for webd/optext.c, which cuts an operation's output into lines
 * and tab-separated fields for the console's pages: empty lines skipped,
 * a last line without its LF, empty fields kept, a line of too many
 * fields refused (and the next one read), "KEY VALUE" pairs.
 */
#include "webd/optext.c"

#include <criterion/criterion.h>

Test(optext, lines_and_fields)
{
	char		 text[] = "a\tb\tc\n\nd\t\te\nlast\tline";
	struct optext	 t;
	char		*f[3];

	optext_init(&t, text);
	cr_assert_eq(optext_line(&t, f, 3), 3);
	cr_expect_str_eq(f[0], "a");
	cr_expect_str_eq(f[1], "b");
	cr_expect_str_eq(f[2], "c");
	cr_assert_eq(optext_line(&t, f, 3), 3);
	cr_expect_str_eq(f[0], "d");
	cr_expect_str_eq(f[1], "");
	cr_expect_str_eq(f[2], "e");
	cr_assert_eq(optext_line(&t, f, 3), 2);
	cr_expect_str_eq(f[0], "last");
	cr_expect_str_eq(f[1], "line");
	cr_expect_eq(optext_line(&t, f, 3), 0);
	cr_expect_eq(optext_line(&t, f, 3), 0);
}

Test(optext, too_many_fields)
{
	char		 text[] = "1\t2\t3\n4\t5\n\t\n";
	struct optext	 t;
	char		*f[2];

	optext_init(&t, text);
	cr_expect_eq(optext_line(&t, f, 2), -1);
	cr_assert_eq(optext_line(&t, f, 2), 2);
	cr_expect_str_eq(f[0], "4");
	cr_expect_str_eq(f[1], "5");
	/* a tab alone: two empty fields */
	cr_assert_eq(optext_line(&t, f, 2), 2);
	cr_expect_str_eq(f[0], "");
	cr_expect_str_eq(f[1], "");
	cr_expect_eq(optext_line(&t, f, 2), 0);
}

Test(optext, empty)
{
	char		 none[] = "", blank[] = "\n\n\n";
	struct optext	 t;
	char		*f[1];

	optext_init(&t, none);
	cr_expect_eq(optext_line(&t, f, 1), 0);
	optext_init(&t, blank);
	cr_expect_eq(optext_line(&t, f, 1), 0);
}

Test(optext, carriage_return_is_data)
{
	char		 text[] = "a\r\nb";
	struct optext	 t;
	char		*f[1];

	optext_init(&t, text);
	cr_assert_eq(optext_line(&t, f, 1), 1);
	cr_expect_str_eq(f[0], "a\r");
}

Test(optext, pairs)
{
	char	 kw[] = "keyword [secure] \"q\"", tab[] = "mode\tall",
		 alone[] = "version", empty[] = "keyword ";
	char	*k, *v;

	cr_assert_eq(optext_pair(kw, &k, &v), 0);
	cr_expect_str_eq(k, "keyword");
	cr_expect_str_eq(v, "[secure] \"q\"");
	cr_assert_eq(optext_pair(tab, &k, &v), 0);
	cr_expect_str_eq(k, "mode");
	cr_expect_str_eq(v, "all");
	cr_expect_eq(optext_pair(alone, &k, &v), -1);
	cr_assert_eq(optext_pair(empty, &k, &v), 0);
	cr_expect_str_eq(v, "");
}
