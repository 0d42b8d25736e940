/*
 * The dashboard's chart: messages per hour by outcome, drawn here as SVG.
 *
 * Colours are presentation attributes (fill="..."), not style attributes:
 * the console's Content-Security-Policy allows no inline style, and an
 * attribute is not one.  Every number is printed by us; the only text is
 * the hour and the counts, which still go through the HTML escaper, so
 * the chart stays safe if a label ever carries something else.
 */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include <event2/buffer.h>

#include "webd/chart.h"
#include "webd/html.h"

#define CHART_W		720
#define CHART_H		240
#define PLOT_X		56	/* room for the scale's labels */
#define PLOT_Y		12
#define PLOT_W		(CHART_W - PLOT_X - 8)
#define PLOT_H		(CHART_H - PLOT_Y - 56)	/* below: hours, legend */
#define GRID_LINES	4

static const struct {
	const char	*name;
	const char	*fill;
} series[CHART_NSERIES] = {
	[CHART_ENCRYPTED] =	{ "encrypted", "#2b7a3d" },
	[CHART_DECRYPTED] =	{ "decrypted", "#2a5d9f" },
	[CHART_FAILED] =	{ "failed or refused", "#b3261e" },
	[CHART_OTHER] =		{ "other (plain, signed)", "#9a9a9a" },
};

void
chart_hour_set(struct chart_hour *h, int64_t hour, uint64_t messages,
    uint64_t encrypted, uint64_t decrypted, uint64_t failures)
{
	uint64_t	 left = messages;

	h->hour = hour;
	h->n[CHART_FAILED] = failures < left ? failures : left;
	left -= h->n[CHART_FAILED];
	h->n[CHART_ENCRYPTED] = encrypted < left ? encrypted : left;
	left -= h->n[CHART_ENCRYPTED];
	h->n[CHART_DECRYPTED] = decrypted < left ? decrypted : left;
	left -= h->n[CHART_DECRYPTED];
	h->n[CHART_OTHER] = left;
}

/* The scale's top: the smallest of 4, 8, 20, 40, 80, 200, ... that is at
 * least max, so that each of the four grid steps is a round number. */
static uint64_t
nice_top(uint64_t max)
{
	if (max <= 4)
		return 4;
	if (max <= 8)
		return 8;
	for (uint64_t p = 10; p <= UINT64_MAX / 80; p *= 10) {
		if (max <= 2 * p)
			return 2 * p;
		if (max <= 4 * p)
			return 4 * p;
		if (max <= 8 * p)
			return 8 * p;
	}
	return max;
}

static int
chart_label(struct evbuffer *out, int x, int y, const char *anchor,
    const char *text)
{
	return evbuffer_add_printf(out, "<text x=\"%d\" y=\"%d\" "
	    "text-anchor=\"%s\" font-size=\"11\">", x, y, anchor) == -1 ||
	    html_add(out, text) == -1 ||
	    evbuffer_add_printf(out, "</text>") == -1 ? -1 : 0;
}

static int
chart_bar(struct evbuffer *out, const struct chart_hour *h, int x, int w,
    uint64_t top)
{
	char		 tip[160];
	struct tm	 tm;
	time_t		 t = (time_t)h->hour;
	uint64_t	 below = 0, total = 0;

	for (int s = 0; s < CHART_NSERIES; s++)
		total += h->n[s];
	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	snprintf(tip, sizeof(tip), "%04d-%02d-%02d %02d:00 UTC: %" PRIu64
	    " messages", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	    tm.tm_hour, total);
	if (evbuffer_add_printf(out, "<g><title>") == -1 ||
	    html_add(out, tip) == -1 ||
	    evbuffer_add_printf(out, "</title>") == -1)
		return -1;
	for (int s = 0; s < CHART_NSERIES; s++) {
		int y0, y1;

		if (h->n[s] == 0)
			continue;
		y0 = PLOT_Y + PLOT_H - (int)((below * PLOT_H) / top);
		below += h->n[s];
		y1 = PLOT_Y + PLOT_H - (int)((below * PLOT_H) / top);
		if (evbuffer_add_printf(out, "<rect x=\"%d\" y=\"%d\" "
		    "width=\"%d\" height=\"%d\" fill=\"%s\"/>", x, y1, w,
		    y0 - y1 > 0 ? y0 - y1 : 1, series[s].fill) == -1)
			return -1;
	}
	return evbuffer_add_printf(out, "</g>") == -1 ? -1 : 0;
}

int
chart_svg(struct evbuffer *out, const struct chart_hour *hours, size_t n)
{
	char		 num[32];
	uint64_t	 max = 0, top;
	int		 slot, every;

	if (n > CHART_MAX_HOURS)
		return -1;
	for (size_t i = 0; i < n; i++) {
		uint64_t total = 0;

		for (int s = 0; s < CHART_NSERIES; s++)
			total += hours[i].n[s];
		if (total > max)
			max = total;
	}
	top = nice_top(max);
	slot = n > 0 ? PLOT_W / (int)n : PLOT_W;
	every = n > 12 ? (int)((n + 11) / 12) : 1;

	if (evbuffer_add_printf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\""
	    " class=\"chart\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
	    " role=\"img\" aria-label=\"messages per hour by outcome\">",
	    CHART_W, CHART_H, CHART_W, CHART_H) == -1)
		return -1;
	/* The scale: grid lines and their counts. */
	for (int g = 0; g <= GRID_LINES; g++) {
		int y = PLOT_Y + PLOT_H - g * PLOT_H / GRID_LINES;

		snprintf(num, sizeof(num), "%" PRIu64, top * (uint64_t)g /
		    GRID_LINES);
		if (evbuffer_add_printf(out, "<line x1=\"%d\" y1=\"%d\" "
		    "x2=\"%d\" y2=\"%d\" stroke=\"#dddddd\"/>", PLOT_X, y,
		    PLOT_X + PLOT_W, y) == -1 ||
		    chart_label(out, PLOT_X - 6, y + 4, "end", num) == -1)
			return -1;
	}
	for (size_t i = 0; i < n; i++) {
		int x = PLOT_X + (int)i * slot;

		if (chart_bar(out, &hours[i], x + 1, slot > 2 ? slot - 2 : 1,
		    top) == -1)
			return -1;
		if ((int)i % every == 0) {
			struct tm tm;
			time_t t = (time_t)hours[i].hour;

			if (gmtime_r(&t, &tm) == NULL)
				return -1;
			snprintf(num, sizeof(num), "%02d", tm.tm_hour);
			if (chart_label(out, x + slot / 2, PLOT_Y + PLOT_H + 14,
			    "middle", num) == -1)
				return -1;
		}
	}
	if (n == 0 && chart_label(out, PLOT_X + PLOT_W / 2,
	    PLOT_Y + PLOT_H / 2, "middle", "no messages yet") == -1)
		return -1;
	/* The legend. */
	for (int s = 0; s < CHART_NSERIES; s++) {
		int x = PLOT_X + s * (PLOT_W / CHART_NSERIES);
		int y = CHART_H - 16;

		if (evbuffer_add_printf(out, "<rect x=\"%d\" y=\"%d\" "
		    "width=\"10\" height=\"10\" fill=\"%s\"/>", x, y - 9,
		    series[s].fill) == -1 ||
		    chart_label(out, x + 14, y, "start", series[s].name) == -1)
			return -1;
	}
	return evbuffer_add_printf(out, "</svg>") == -1 ? -1 : 0;
}
