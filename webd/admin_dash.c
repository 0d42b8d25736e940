/*
 * admin_dash: the administrator's start page.  Three lists, asked one
 * after the other (opchain.c): the processes with their sandbox state and
 * the database (STATUS), messages per hour by outcome for the last day
 * drawn as a chart (STATS, webd/chart.c), and the last failures (FAILURES).
 * A list that does not come shows its error in its place; the others are
 * shown all the same.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

#include "common/log.h"
#include "webd/admin.h"
#include "webd/chart.h"
#include "webd/opchain.h"
#include "webd/optext.h"
#include "webd/page.h"
#include "webd/webd.h"

/* The chart's span: a day, STATS's default. */
#define DASH_HOURS	24
/* STATUS: "proc" and the 13 fields of a status entry; "db" and 3. */
#define DASH_PROC_FIELDS	14
#define DASH_DB_FIELDS		4
/* FAILURES: time, kind, actor, subject, detail. */
#define DASH_FAIL_FIELDS	5

static void	dash_lists(struct opchain *);
static void	dash_body(struct evbuffer *, const struct console_session *,
		    const struct opchain *, int);

static const struct admin_page dash_page = {
	"Dashboard", "/admin", dash_lists, dash_body,
};

static void
dash_lists(struct opchain *ch)
{
	opchain_add(ch, CONSOLE_OP_STATUS, NULL);
	/* args[0] "": STATS's default span, a day. */
	opchain_add(ch, CONSOLE_OP_STATS, NULL);
	opchain_add(ch, CONSOLE_OP_FAILURES, NULL);
}

/* A decimal of at most 64 bits, all of s; -1 otherwise. */
static int
dash_number(const char *s, long long *v)
{
	char	*end;

	if (*s == '\0' || strlen(s) > 20)
		return -1;
	*v = strtoll(s, &end, 10);
	return *end == '\0' ? 0 : -1;
}

static void
dash_uptime(long long s, char *buf, size_t len)
{
	if (s >= 86400)
		snprintf(buf, len, "%lldd %02lldh", s / 86400,
		    (s % 86400) / 3600);
	else
		snprintf(buf, len, "%02lld:%02lld:%02lld", s / 3600,
		    (s % 3600) / 60, s % 60);
}

static void
dash_cell(struct evbuffer *b, const char *text)
{
	page_printf(b, "<td>");
	page_text(b, text);
	page_printf(b, "</td>");
}

/* One process, as pgpmgctl status shows it. */
static void
dash_proc(struct evbuffer *b, char **f)
{
	long long	 pid, ready, up, sc, nnp, netns, ll;
	char		 buf[64];
	int		 down;

	if (dash_number(f[2], &pid) == -1)
		pid = -1;
	down = pid == 0;
	page_printf(b, "<tr%s>", down ? " class=\"down\"" : "");
	dash_cell(b, f[1]);
	dash_cell(b, down ? "-" : f[2]);
	dash_cell(b, down ? "down" : dash_number(f[3], &ready) == 0 &&
	    ready ? "ready" : "starting");
	if (!down && dash_number(f[4], &up) == 0) {
		dash_uptime(up, buf, sizeof(buf));
		dash_cell(b, buf);
	} else
		dash_cell(b, "-");
	dash_cell(b, down ? "-" : f[5]);
	/* /proc's Seccomp: 2 is a filter, 0 none. */
	dash_cell(b, down ? "-" : dash_number(f[6], &sc) == -1 ? f[6] :
	    sc == 2 ? "filter" : sc == 0 ? "none" : f[6]);
	dash_cell(b, down ? "-" : dash_number(f[7], &nnp) == -1 ? f[7] :
	    nnp == 1 ? "yes" : "no");
	dash_cell(b, down ? "-" : f[8]);
	dash_cell(b, down ? "-" : f[9]);
	dash_cell(b, dash_number(f[10], &netns) == 0 && netns ? "empty" :
	    "host");
	if (dash_number(f[11], &ll) == 0 && ll > 0) {
		snprintf(buf, sizeof(buf), "ABI %lld", ll);
		dash_cell(b, buf);
	} else
		dash_cell(b, "-");
	snprintf(buf, sizeof(buf), "%.20s/%.20s", f[12], f[13]);
	dash_cell(b, buf);
	page_printf(b, "</tr>\n");
}

static void
dash_status(struct evbuffer *b, const struct opchain *ch, int i)
{
	static const char *const heads[] = { "Process", "PID", "State",
	    "Up for", "User", "Seccomp", "No new privileges", "Capabilities",
	    "Root", "Network", "Landlock", "Peers" };
	struct optext	 t;
	char		*f[DASH_PROC_FIELDS], *db[DASH_DB_FIELDS] = { NULL };
	int		 n, rows = 0, unread = 0, have_db = 0;

	page_printf(b, "<section id=\"processes\">\n<h2>Processes</h2>\n");
	if (opchain_list_failed(b, &ch->steps[i])) {
		page_printf(b, "</section>\n");
		return;
	}
	optext_init(&t, ch->steps[i].out);
	while ((n = optext_line(&t, f, DASH_PROC_FIELDS)) != 0) {
		if (n == DASH_DB_FIELDS && strcmp(f[0], "db") == 0) {
			memcpy(db, f, sizeof(db));
			have_db = 1;
			continue;
		}
		if (n != DASH_PROC_FIELDS || strcmp(f[0], "proc") != 0) {
			unread++;
			continue;
		}
		if (rows++ == 0) {
			page_printf(b, "<table class=\"list\" "
			    "id=\"process-list\">\n<thead><tr>");
			for (size_t k = 0; k < sizeof(heads) / sizeof(heads[0]);
			    k++)
				page_printf(b, "<th scope=\"col\">%s</th>",
				    heads[k]);
			page_printf(b, "</tr></thead>\n<tbody>\n");
		}
		dash_proc(b, f);
	}
	if (rows > 0)
		page_printf(b, "</tbody>\n</table>\n");
	page_printf(b, "<h2>Database</h2>\n");
	if (have_db) {
		page_printf(b, "<p id=\"database\"><span class=\"state\">");
		page_text(b, db[1]);
		page_printf(b, "</span> for ");
		page_text(b, db[2]);
		page_printf(b, " s");
		if (db[3][0] != '\0') {
			page_printf(b, ": ");
			page_text(b, db[3]);
		}
		page_printf(b, "</p>\n");
	} else
		page_printf(b, "<p class=\"muted\">No word on the database."
		    "</p>\n");
	admin_unread(b, unread);
	page_printf(b, "</section>\n");
}

/*
 * An outcome's series.  STATS names the hour's counts; they may be the
 * statistics' columns (messages, and of those encrypted, decrypted,
 * failures: overlapping), or outcomes that do not overlap.  With
 * "messages" the first is meant, and the chart's own split applies
 * (chart_hour_set); without, each outcome is its own part of the bar.
 */
static int
dash_series(const char *outcome)
{
	if (strcmp(outcome, "encrypted") == 0)
		return CHART_ENCRYPTED;
	if (strcmp(outcome, "decrypted") == 0)
		return CHART_DECRYPTED;
	if (strcmp(outcome, "failed") == 0 || strcmp(outcome, "failures") == 0 ||
	    strcmp(outcome, "refused") == 0)
		return CHART_FAILED;
	return CHART_OTHER;
}

static void
dash_stats(struct evbuffer *b, const struct opchain *ch, int i)
{
	struct chart_hour	 hours[DASH_HOURS];
	uint64_t		 messages[DASH_HOURS] = { 0 };
	uint64_t		 part[DASH_HOURS][CHART_NSERIES];
	struct optext		 t;
	char			*f[3];
	long long		 hour, count;
	int64_t			 first;
	int			 n, h, unread = 0, columns = 0;

	page_printf(b, "<section id=\"stats\">\n<h2>Messages, the last "
	    "%d hours</h2>\n", DASH_HOURS);
	if (opchain_list_failed(b, &ch->steps[i])) {
		page_printf(b, "</section>\n");
		return;
	}
	memset(part, 0, sizeof(part));
	first = ((int64_t)time(NULL) / 3600 - (DASH_HOURS - 1)) * 3600;
	optext_init(&t, ch->steps[i].out);
	while ((n = optext_line(&t, f, 3)) != 0) {
		if (n != 3 || dash_number(f[0], &hour) == -1 ||
		    dash_number(f[2], &count) == -1 || count < 0) {
			unread++;
			continue;
		}
		if (hour < first || (hour - first) / 3600 >= DASH_HOURS)
			continue;
		h = (int)((hour - first) / 3600);
		if (strcmp(f[1], "messages") == 0) {
			messages[h] += (uint64_t)count;
			columns = 1;
		} else
			part[h][dash_series(f[1])] += (uint64_t)count;
	}
	for (h = 0; h < DASH_HOURS; h++) {
		if (columns)
			chart_hour_set(&hours[h], first + (int64_t)h * 3600,
			    messages[h], part[h][CHART_ENCRYPTED],
			    part[h][CHART_DECRYPTED], part[h][CHART_FAILED]);
		else {
			hours[h].hour = first + (int64_t)h * 3600;
			memcpy(hours[h].n, part[h], sizeof(hours[h].n));
		}
	}
	page_printf(b, "<figure class=\"chart\">\n");
	if (chart_svg(b, hours, DASH_HOURS) == -1)
		fatalx("dashboard: out of memory");
	page_printf(b, "</figure>\n");
	admin_unread(b, unread);
	page_printf(b, "</section>\n");
}

static void
dash_failures(struct evbuffer *b, const struct opchain *ch, int i)
{
	static const char *const heads[] = { "Time", "Kind", "Actor",
	    "Subject", "Detail" };
	struct optext	 t;
	char		*f[DASH_FAIL_FIELDS];
	int		 n, rows = 0, unread = 0;

	page_printf(b, "<section id=\"failures\">\n<h2>Recent failures</h2>\n");
	if (opchain_list_failed(b, &ch->steps[i])) {
		page_printf(b, "</section>\n");
		return;
	}
	optext_init(&t, ch->steps[i].out);
	while ((n = optext_line(&t, f, DASH_FAIL_FIELDS)) != 0) {
		if (n != DASH_FAIL_FIELDS) {
			unread++;
			continue;
		}
		if (rows++ == 0) {
			page_printf(b, "<table class=\"list\" "
			    "id=\"failure-list\">\n<thead><tr>");
			for (int k = 0; k < DASH_FAIL_FIELDS; k++)
				page_printf(b, "<th scope=\"col\">%s</th>",
				    heads[k]);
			page_printf(b, "</tr></thead>\n<tbody>\n");
		}
		page_printf(b, "<tr>");
		for (int k = 0; k < DASH_FAIL_FIELDS; k++)
			dash_cell(b, f[k]);
		page_printf(b, "</tr>\n");
	}
	if (rows > 0)
		page_printf(b, "</tbody>\n</table>\n");
	else
		page_printf(b, "<p class=\"muted\">No failures.</p>\n");
	admin_unread(b, unread);
	page_printf(b, "</section>\n");
}

static void
dash_body(struct evbuffer *b, const struct console_session *s,
    const struct opchain *ch, int first)
{
	(void)s;
	dash_status(b, ch, first);
	dash_stats(b, ch, first + 1);
	dash_failures(b, ch, first + 2);
}

void
admin_dashboard(struct conn *c, const struct webd_request *r)
{
	admin_get(c, r, &dash_page);
}
