/*
 * smtp_data: the message byte scanner behind DATA and BDAT.  It is a
 * small state machine over line starts, dots and CRs; the bytes between
 * them are skipped in bulk (eight at a time) and handed to the sink as
 * runs of the caller's own buffer, so the cost per byte is a few
 * instructions and the sink is called about once per feed, plus once
 * per dot-stuffed line.
 *
 * The end of DATA is only <CRLF>.<CRLF> (RFC 5321 4.1.1.4), and every
 * line must end in CRLF: a bare LF or CR is what SMTP smuggling is made
 * of (a relay that reads <LF>.<LF> as the end would see a second message
 * where we see one).  In DATA mode such a byte is fatal, since from there
 * on we cannot be sure where the client thinks the data ends.  In BDAT
 * mode the chunk sizes say where the data ends, so it is only a refusal;
 * we still refuse it because the relay gets the message in DATA form.
 */
#include <stdio.h>
#include <string.h>

#include "smtpd/smtp_data.h"

enum smtp_data_state {
	SMTP_DATA_S_BOL,	/* at the start of a line */
	SMTP_DATA_S_TEXT,	/* inside a line */
	SMTP_DATA_S_CR,		/* after a CR, which must be followed by LF */
	SMTP_DATA_S_DOT,	/* DATA: after a "." at the start of a line */
	SMTP_DATA_S_DOTCR,	/* DATA: after "." CR at the start of a line */
	SMTP_DATA_S_END,	/* after the end marker, or fatal */
};

/* Word-at-a-time scanning: a word is tested for CR, LF and NUL at once. */
#define SMTP_DATA_WORD		sizeof(uint64_t)
#define SMTP_DATA_ONES		UINT64_C(0x0101010101010101)
#define SMTP_DATA_HIGHS		UINT64_C(0x8080808080808080)
/* A word has a zero byte (exact for existence; Hacker's Delight 6-1). */
#define SMTP_DATA_HASZERO(w)	(((w) - SMTP_DATA_ONES) & ~(w) & SMTP_DATA_HIGHS)

static const struct {
	int		 code;
	const char	*enhanced;
	const char	*text;
} smtp_data_replies[] = {
	[SMTP_DATA_OK] = { 250, "2.0.0", "ok" },
	/* Postfix's wording for the same refusal (smtpd_forbid_bare_newline). */
	[SMTP_DATA_E_BARE_LF] = { 521, "5.5.2",
	    "bare <LF> in message data" },
	[SMTP_DATA_E_BARE_CR] = { 521, "5.5.2",
	    "bare <CR> in message data" },
	[SMTP_DATA_E_LINE] = { 500, "5.5.6",
	    "message line longer than 998 characters" },
	[SMTP_DATA_E_SIZE] = { 552, "5.3.4",
	    "message size exceeds fixed maximum message size" },
	[SMTP_DATA_E_NUL] = { 554, "5.6.0", "NUL character in message data" },
	[SMTP_DATA_E_OUTPUT] = { 451, "4.3.0",
	    "local error while storing the message" },
	[SMTP_DATA_E_SHORT] = { 451, "4.3.0",
	    "message data ended prematurely" },
};

/* BDAT: the same faults are refusals, not protocol breaks. */
#define SMTP_DATA_BDAT_BARE_CODE	550
#define SMTP_DATA_BDAT_BARE_ENH		"5.6.0"

static void
smtp_data_latch(struct smtp_data *d, enum smtp_data_error e)
{
	if (d->error == SMTP_DATA_OK)
		d->error = e;
}

/* Hand buf[0..len) to the sink unless the message is already lost. */
static void
smtp_data_emit(struct smtp_data *d, const unsigned char *buf, size_t len)
{
	if (len == 0)
		return;
	if (len > d->maxsize || d->size > d->maxsize - len) {
		d->size = d->size > UINT64_MAX - len ? UINT64_MAX :
		    d->size + len;
		smtp_data_latch(d, SMTP_DATA_E_SIZE);
		d->writing = 0;
		return;
	}
	d->size += len;
	if (!d->writing)
		return;
	if (d->out(d->arg, buf, len) == -1) {
		smtp_data_latch(d, SMTP_DATA_E_OUTPUT);
		d->writing = 0;
	}
}

/* The length of the prefix of p[0..n) free of CR, LF and NUL. */
static size_t
smtp_data_span(const unsigned char *p, size_t n, int *eightbit)
{
	const uint64_t	 crs = SMTP_DATA_ONES * '\r';
	const uint64_t	 lfs = SMTP_DATA_ONES * '\n';
	uint64_t	 w, acc = 0;
	size_t		 i = 0;

	while (n - i >= SMTP_DATA_WORD) {
		memcpy(&w, p + i, SMTP_DATA_WORD);
		if (SMTP_DATA_HASZERO(w) || SMTP_DATA_HASZERO(w ^ crs) ||
		    SMTP_DATA_HASZERO(w ^ lfs))
			break;
		acc |= w;
		i += SMTP_DATA_WORD;
	}
	for (; i < n; i++) {
		if (p[i] == '\r' || p[i] == '\n' || p[i] == '\0')
			break;
		acc |= p[i];
	}
	if (acc & SMTP_DATA_HIGHS)
		*eightbit = 1;
	return i;
}

void
smtp_data_init(struct smtp_data *d, enum smtp_data_mode mode,
    uint64_t maxsize, smtp_data_out_fn out, void *arg)
{
	memset(d, 0, sizeof(*d));
	d->mode = mode;
	/* The data starts as if after a CRLF: ".\r\n" first is empty. */
	d->state = SMTP_DATA_S_BOL;
	d->maxsize = maxsize;
	d->linemax = SMTP_DATA_LINE_MAX;
	d->out = out;
	d->arg = arg;
	d->writing = 1;
}

void
smtp_data_set_line_max(struct smtp_data *d, size_t linemax)
{
	d->linemax = linemax;
}

static enum smtp_data_status
smtp_data_fatal(struct smtp_data *d, enum smtp_data_error e)
{
	/* Whatever was latched before, this is what the client hears. */
	d->error = e;
	d->fatal = 1;
	d->state = SMTP_DATA_S_END;
	return SMTP_DATA_FATAL;
}

enum smtp_data_status
smtp_data_feed(struct smtp_data *d, const void *buf, size_t len,
    size_t *consumed)
{
	const unsigned char	*p = buf, *end = p + len, *run = p;
	int			 dot = d->mode == SMTP_DATA_DOT;
	size_t			 n;

	*consumed = 0;
	if (d->fatal)
		return SMTP_DATA_FATAL;
	if (d->done)
		return SMTP_DATA_DONE;

	while (p < end) {
		switch (d->state) {
		case SMTP_DATA_S_BOL:
			if (dot && *p == '.') {
				/* RFC 5321 4.5.2: the first dot always goes:
				 * either it was stuffed, or it ends the data. */
				smtp_data_emit(d, run, p - run);
				run = ++p;
				d->state = SMTP_DATA_S_DOT;
				break;
			}
			d->state = SMTP_DATA_S_TEXT;
			/* FALLTHROUGH */
		case SMTP_DATA_S_TEXT:
			n = smtp_data_span(p, end - p, &d->eightbit);
			p += n;
			d->linelen += n;
			if (d->linelen > d->linemax)
				smtp_data_latch(d, SMTP_DATA_E_LINE);
			if (p == end)
				break;
			if (*p == '\r') {
				p++;
				d->state = SMTP_DATA_S_CR;
			} else if (*p == '\n') {
				if (dot)
					return smtp_data_fatal(d,
					    SMTP_DATA_E_BARE_LF);
				/* BDAT: refuse, but keep counting lines. */
				smtp_data_latch(d, SMTP_DATA_E_BARE_LF);
				p++;
				d->linelen = 0;
				d->state = SMTP_DATA_S_BOL;
			} else {
				smtp_data_latch(d, SMTP_DATA_E_NUL);
				p++;
				d->linelen++;
			}
			break;
		case SMTP_DATA_S_CR:
			if (*p == '\n') {
				p++;
				if (d->linelen > d->linemax)
					smtp_data_latch(d, SMTP_DATA_E_LINE);
				d->lines++;
				d->linelen = 0;
				d->state = SMTP_DATA_S_BOL;
				break;
			}
			if (dot)
				return smtp_data_fatal(d, SMTP_DATA_E_BARE_CR);
			/* BDAT: the CR was a character of the line. */
			smtp_data_latch(d, SMTP_DATA_E_BARE_CR);
			d->linelen++;
			d->state = SMTP_DATA_S_TEXT;
			break;
		case SMTP_DATA_S_DOT:
			if (*p == '\r') {
				/* Held back: it is the end marker's CR, or
				 * a bare CR, which is fatal anyway. */
				run = ++p;
				d->state = SMTP_DATA_S_DOTCR;
			} else if (*p == '\n')
				return smtp_data_fatal(d, SMTP_DATA_E_BARE_LF);
			else
				d->state = SMTP_DATA_S_TEXT;
			break;
		case SMTP_DATA_S_DOTCR:
			if (*p != '\n')
				return smtp_data_fatal(d, SMTP_DATA_E_BARE_CR);
			p++;
			d->done = 1;
			d->state = SMTP_DATA_S_END;
			*consumed = p - (const unsigned char *)buf;
			return SMTP_DATA_DONE;
		default:
			/* S_END is caught by done/fatal above. */
			return smtp_data_fatal(d, SMTP_DATA_E_SHORT);
		}
	}
	smtp_data_emit(d, run, p - run);
	*consumed = len;
	return SMTP_DATA_MORE;
}

int
smtp_data_finish(struct smtp_data *d, struct smtp_reply *reply)
{
	enum smtp_data_error	 e;

	if (d->mode == SMTP_DATA_BDAT && !d->done) {
		d->done = 1;
		if (d->state == SMTP_DATA_S_CR)
			smtp_data_latch(d, SMTP_DATA_E_BARE_CR);
		else if (d->state == SMTP_DATA_S_TEXT) {
			/* RFC 5322 2.1: a message is lines, each with CRLF. */
			smtp_data_emit(d, (const unsigned char *)"\r\n", 2);
			d->lines++;
		}
		d->state = SMTP_DATA_S_END;
	} else if (d->mode == SMTP_DATA_DOT && !d->done && !d->fatal)
		smtp_data_latch(d, SMTP_DATA_E_SHORT);

	if ((e = d->error) == SMTP_DATA_OK)
		return 0;
	reply->code = smtp_data_replies[e].code;
	snprintf(reply->enhanced, sizeof(reply->enhanced), "%s",
	    smtp_data_replies[e].enhanced);
	snprintf(reply->text, sizeof(reply->text), "%s",
	    smtp_data_replies[e].text);
	if (d->mode == SMTP_DATA_BDAT && (e == SMTP_DATA_E_BARE_LF ||
	    e == SMTP_DATA_E_BARE_CR)) {
		reply->code = SMTP_DATA_BDAT_BARE_CODE;
		snprintf(reply->enhanced, sizeof(reply->enhanced), "%s",
		    SMTP_DATA_BDAT_BARE_ENH);
	}
	return -1;
}
