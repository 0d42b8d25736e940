/*
 * Tests for the dashboard's chart (webd/chart.c): the outcome split with
 * its clamping, the scale, the bars' heights against the scale, the
 * labels, the bounds, and that the SVG is well-formed XML with nothing a
 * Content-Security-Policy would block (no script, no style attribute).
 * The XML check runs python3's parser on the output (Debian's python3 is
 * on every machine that runs the tests).
 */
#include "webd/chart.c"
#include "webd/html.c"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <event2/buffer.h>

static char *
svg_of(const struct chart_hour *h, size_t n)
{
	struct evbuffer	*b = evbuffer_new();
	char		*s;
	size_t		 len;

	cr_assert_not_null(b);
	cr_assert_eq(chart_svg(b, h, n), 0);
	len = evbuffer_get_length(b);
	s = malloc(len + 1);
	cr_assert_not_null(s);
	evbuffer_remove(b, s, len);
	s[len] = '\0';
	evbuffer_free(b);
	return s;
}

static size_t
count(const char *hay, const char *needle)
{
	size_t	 n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static int
xml_ok(const char *svg)
{
	char	 path[] = "/tmp/pgpmg-chart.XXXXXX";
	char	 cmd[256];
	int	 fd = mkstemp(path), rc;
	FILE	*f;

	cr_assert_neq(fd, -1);
	f = fdopen(fd, "w");
	fputs(svg, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "python3 -c 'import sys, "
	    "xml.etree.ElementTree as E; E.parse(sys.argv[1])' %s", path);
	rc = system(cmd);
	unlink(path);
	return rc == 0;
}

Test(chart, split_adds_up_and_clamps)
{
	struct chart_hour h;

	chart_hour_set(&h, 3600, 10, 4, 3, 1);
	cr_assert_eq(h.n[CHART_FAILED], 1);
	cr_assert_eq(h.n[CHART_ENCRYPTED], 4);
	cr_assert_eq(h.n[CHART_DECRYPTED], 3);
	cr_assert_eq(h.n[CHART_OTHER], 2);
	/* More outcomes than messages: never more than the messages. */
	chart_hour_set(&h, 3600, 5, 4, 3, 2);
	cr_assert_eq(h.n[CHART_FAILED] + h.n[CHART_ENCRYPTED] +
	    h.n[CHART_DECRYPTED] + h.n[CHART_OTHER], 5);
	cr_assert_eq(h.n[CHART_OTHER], 0);
	chart_hour_set(&h, 3600, 0, 9, 9, 9);
	for (int s = 0; s < CHART_NSERIES; s++)
		cr_assert_eq(h.n[s], 0);
}

Test(chart, nice_scale)
{
	cr_assert_eq(nice_top(0), 4);
	cr_assert_eq(nice_top(4), 4);
	cr_assert_eq(nice_top(5), 8);
	cr_assert_eq(nice_top(9), 20);
	cr_assert_eq(nice_top(21), 40);
	cr_assert_eq(nice_top(41), 80);
	cr_assert_eq(nice_top(81), 200);
	cr_assert_eq(nice_top(1000001), 2000000);
	cr_assert_geq(nice_top(UINT64_MAX - 1), UINT64_MAX - 1);
}

Test(chart, bars_scale_and_labels)
{
	struct chart_hour	 h[24];
	char			*svg, want[128];

	for (int i = 0; i < 24; i++)
		chart_hour_set(&h[i], 1764979200 + i * 3600, 0, 0, 0, 0);
	/* The tallest hour: 200 messages, all encrypted: a full bar. */
	chart_hour_set(&h[5], 1764979200 + 5 * 3600, 200, 200, 0, 0);
	chart_hour_set(&h[6], 1764979200 + 6 * 3600, 50, 10, 20, 5);
	svg = svg_of(h, 24);
	cr_assert(xml_ok(svg), "not well-formed: %s", svg);
	snprintf(want, sizeof(want), "height=\"%d\" fill=\"#2b7a3d\"",
	    PLOT_H);
	cr_assert_not_null(strstr(svg, want), "no full bar in %s", svg);
	/* Hour 6: four segments (failed, encrypted, decrypted, other). */
	cr_assert_eq(count(svg, "<rect"), 1 + 4 + CHART_NSERIES);
	cr_assert_not_null(strstr(svg, ">200</text>"));	/* the scale top */
	cr_assert_not_null(strstr(svg, "2025-12-06 05:00 UTC: 200 messages"));
	cr_assert_not_null(strstr(svg, "failed or refused"));
	cr_assert_eq(count(svg, "<script"), 0);
	cr_assert_eq(count(svg, "style="), 0);
	free(svg);
}

Test(chart, empty_and_bounds)
{
	static struct chart_hour h[CHART_MAX_HOURS + 1];
	struct evbuffer	*b = evbuffer_new();
	char		*svg;

	svg = svg_of(NULL, 0);
	cr_assert(xml_ok(svg));
	cr_assert_not_null(strstr(svg, "no messages yet"));
	free(svg);
	for (int i = 0; i <= CHART_MAX_HOURS; i++)
		chart_hour_set(&h[i], (int64_t)i * 3600, 7, 1, 1, 1);
	svg = svg_of(h, CHART_MAX_HOURS);
	cr_assert(xml_ok(svg));
	/* Labels every 14th hour of 168: 12 of them, not 168. */
	cr_assert_eq(count(svg, "text-anchor=\"middle\""), 12);
	free(svg);
	cr_assert_eq(chart_svg(b, h, CHART_MAX_HOURS + 1), -1);
	evbuffer_free(b);
}
