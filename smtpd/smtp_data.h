/*
 * smtp_data: the streaming scanner for message bytes after DATA or BDAT.
 * The session feeds it whatever it read, in chunks of any size; it writes
 * the message (CRLF line ends, dots unstuffed, without the end marker) in
 * large runs through a callback, and says where the data ended so that
 * pipelined commands after it go back to the command reader.  It refuses
 * the forms of SMTP smuggling: in DATA mode a bare CR or LF anywhere is
 * fatal, because past it the two ends may disagree on where the message
 * stops.  Other faults (long lines, NUL, size) are latched and reported
 * once the end is reached, so the session answers and keeps serving.
 * No I/O of its own, no allocation, no logging.
 */
#ifndef PGPMG_SMTP_DATA_H
#define PGPMG_SMTP_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "smtpd/envelope.h"

/* RFC 5321 4.5.3.1.6: a text line is at most 998 octets plus CRLF. */
#define SMTP_DATA_LINE_MAX	998

enum smtp_data_mode {
	SMTP_DATA_DOT,		/* after DATA: dot-stuffed, ends at CRLF.CRLF */
	SMTP_DATA_BDAT,		/* after BDAT: counted chunks, no stuffing */
};

enum smtp_data_status {
	SMTP_DATA_MORE,		/* all input consumed, the end is not yet seen */
	SMTP_DATA_DONE,		/* end marker seen: *consumed says where */
	SMTP_DATA_FATAL,	/* smuggling attempt: answer, then close */
};

/* The first fault latched, in struct smtp_data's error. */
enum smtp_data_error {
	SMTP_DATA_OK = 0,
	SMTP_DATA_E_BARE_LF,	/* fatal in DATA mode, latched in BDAT mode */
	SMTP_DATA_E_BARE_CR,	/* likewise */
	SMTP_DATA_E_LINE,	/* a line above SMTP_DATA_LINE_MAX */
	SMTP_DATA_E_SIZE,	/* above maxsize */
	SMTP_DATA_E_NUL,	/* a NUL byte */
	SMTP_DATA_E_OUTPUT,	/* the sink failed */
	SMTP_DATA_E_SHORT,	/* finished before the end of DATA */
};

/*
 * The sink: returns 0, or -1 on failure (the scanner then latches a 451
 * and stops writing, but still finds the end so the session stays in
 * step with the client).
 */
typedef int	(*smtp_data_out_fn)(void *arg, const void *buf, size_t len);

/* The scanner's state; the fields after "results" may be read. */
struct smtp_data {
	enum smtp_data_mode	 mode;
	int			 state;
	uint64_t		 maxsize;
	smtp_data_out_fn	 out;
	void			*arg;
	size_t			 linelen;	/* current line, CRLF excluded */
	size_t			 linemax;	/* longest line, CRLF excluded */
	int			 writing;	/* 0 once size or sink failed */

	/* results */
	enum smtp_data_error	 error;		/* the first fault, or OK */
	int			 fatal;		/* DATA mode smuggling: close */
	int			 done;		/* end of data seen */
	uint64_t		 size;		/* message octets, written or not */
	uint64_t		 lines;		/* complete lines */
	int			 eightbit;	/* a byte >= 0x80 was seen */
};

/*
 * maxsize: the largest message accepted, in octets as written (after
 * unstuffing, CRLFs included); beyond it nothing more is written and the
 * message is refused with 552 5.3.4 at the end.
 */
void	 smtp_data_init(struct smtp_data *d, enum smtp_data_mode mode,
	    uint64_t maxsize, smtp_data_out_fn out, void *arg);

/*
 * Scan buf[0..len).  *consumed is set to the bytes used: len for MORE,
 * up to and including the end marker for DONE (the rest is the next
 * command), and meaningless for FATAL.  In BDAT mode the caller feeds
 * exactly each chunk's bytes, the result is always MORE, and
 * smtp_data_finish() ends the message after the LAST chunk.  After DONE
 * or FATAL further feeds consume nothing and return the same status.
 */
/* Allow lines longer than RFC 5321's 998 octets (smtp-max-line-length). */
void	 smtp_data_set_line_max(struct smtp_data *d, size_t linemax);

enum smtp_data_status	 smtp_data_feed(struct smtp_data *d, const void *buf,
	    size_t len, size_t *consumed);

/*
 * The outcome, once DATA returned DONE or FATAL, or after the LAST BDAT
 * chunk: 0 when the message is good, -1 with the reply to send instead
 * of 250.  In BDAT mode it first completes an unterminated last line with
 * CRLF (RFC 5322 messages end with one).  For a fatal fault the reply is
 * a 521, and the caller closes the session after sending it.  Calling it
 * in DATA mode before the end is a refusal (451: the data was cut short).
 */
int	 smtp_data_finish(struct smtp_data *d, struct smtp_reply *reply);

#endif /* PGPMG_SMTP_DATA_H */
