/*
 * chart: the dashboard's messages per hour by outcome, as an SVG drawn on
 * the server (no script, nothing for the CSP to allow): one stacked bar
 * per hour, oldest on the left, with a legend and the scale.
 */
#ifndef PGPMG_CHART_H
#define PGPMG_CHART_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;

/* The outcomes a bar is stacked from, bottom up. */
enum chart_series {
	CHART_ENCRYPTED,	/* out: encrypted */
	CHART_DECRYPTED,	/* in: decrypted */
	CHART_FAILED,		/* failures and refusals */
	CHART_OTHER,		/* everything else: plain, signed only */
	CHART_NSERIES
};

/* At most a week of hours. */
#define CHART_MAX_HOURS	168

struct chart_hour {
	int64_t		 hour;		/* seconds since 1970, on the hour */
	uint64_t	 n[CHART_NSERIES];
};

/*
 * One hour's counts from the statistics' columns: messages, encrypted,
 * decrypted and failures (what stats_hourly keeps, both directions added
 * up).  Counts that do not add up (a failure counted as encrypted too)
 * are clamped, never negative.
 */
void	chart_hour_set(struct chart_hour *, int64_t hour, uint64_t messages,
	    uint64_t encrypted, uint64_t decrypted, uint64_t failures);

/* The SVG element for hours[0..n) (n <= CHART_MAX_HOURS), appended to
 * out; -1 when out of memory or n is out of range. */
int	chart_svg(struct evbuffer *out, const struct chart_hour *hours,
	    size_t n);

#endif /* PGPMG_CHART_H */
