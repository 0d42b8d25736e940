/*
 * Receiving the message: DATA (dot-stuffed, ends at <CRLF>.<CRLF>) and
 * BDAT (counted chunks, RFC 3030).  Both go through the same scanner
 * (smtp_data.c) into a sealed memfd spool; the message never touches a
 * disk.  A good message goes on to the pipeline; a refused one gets its
 * reply and the session continues; a smuggling attempt ends the session.
 */
#include <event2/buffer.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "smtpd/smtpd.h"

/* evbuffer segments looked at per scanner pass. */
#define DATA_IOV_MAX	16

static int
session_spool_out(void *arg, const void *buf, size_t len)
{
	struct session	*s = arg;

	return spool_write(&s->spool, buf, len);
}

static int
session_data_open(struct session *s, enum smtp_data_mode mode)
{
	char	 name[32];

	snprintf(name, sizeof(name), "pgpmg-msg-%llu",
	    (unsigned long long)s->id);
	if (spool_open(&s->spool, name) == -1) {
		log_warn("spool");
		return -1;
	}
	s->data_open = 1;
	smtp_data_init(&s->data, mode, smtpd->conf->smtp_max_size,
	    session_spool_out, s);
	smtp_data_set_line_max(&s->data,
	    (size_t)smtpd->conf->smtp_max_line_length);
	return 0;
}

int
session_data_begin(struct session *s)
{
	return session_data_open(s, SMTP_DATA_DOT);
}

/* The message is complete: refuse it, or seal it and hand it on. */
static void
session_message_end(struct session *s)
{
	struct smtp_reply	 r;

	if (smtp_data_finish(&s->data, &r) == -1) {
		session_reply_r(s, &r);
		if (s->data.fatal) {
			session_close(s, "smuggling attempt");
			return;
		}
		session_resume(s);
		return;
	}
	if (spool_seal(&s->spool) == -1) {
		log_warn("seal spool");
		session_reply(s, 451, "4.3.0", "cannot spool the message");
		session_resume(s);
		return;
	}
	s->state = S_PROCESSING;
	bufferevent_disable(s->bev, EV_READ);
	pipeline_start(s);
}

void
session_data_read(struct session *s)
{
	struct evbuffer		*in = bufferevent_get_input(s->bev);
	struct evbuffer_iovec	 v[DATA_IOV_MAX];
	enum smtp_data_status	 st = SMTP_DATA_MORE;
	size_t			 used, total = 0;
	int			 n;

	while (st == SMTP_DATA_MORE && evbuffer_get_length(in) > 0) {
		n = evbuffer_peek(in, -1, NULL, v, DATA_IOV_MAX);
		if (n > DATA_IOV_MAX)
			n = DATA_IOV_MAX;
		total = 0;
		for (int i = 0; i < n && st == SMTP_DATA_MORE; i++) {
			st = smtp_data_feed(&s->data, v[i].iov_base,
			    v[i].iov_len, &used);
			total += used;
		}
		if (st == SMTP_DATA_FATAL)
			break;
		evbuffer_drain(in, total);
	}
	if (st == SMTP_DATA_MORE)
		return;
	if (st == SMTP_DATA_FATAL)
		evbuffer_drain(in, evbuffer_get_length(in));
	session_message_end(s);
}

void
session_bdat(struct session *s, const struct smtp_command *cmd)
{
	struct smtp_bdat	 b;
	struct smtp_reply	 r;
	int			 refused = 0;

	memset(&b, 0, sizeof(b));
	if (smtp_parse_bdat(cmd, smtpd->conf->smtp_max_size, &b, &r) == -1) {
		if (!b.size_known) {
			/* Without a size we cannot find the next command. */
			session_reply_r(s, &r);
			session_close(s, "BDAT without a usable size");
			return;
		}
		refused = 1;
	} else if (s->state != S_RCPT && s->state != S_BDAT_WAIT) {
		/* RFC 3030 2: refuse, but still read the chunk. */
		smtp_reply_set(&r, 503, "5.5.1", "%s", s->state == S_HELO ||
		    s->state == S_GREETED ? "need MAIL and RCPT first" :
		    "need RCPT first");
		refused = 1;
	}
	s->bdat_prev = s->state;
	if (refused) {
		s->bdat_refused = 1;
		s->bdat_error = r;
		s->bdat_left = b.size;
		s->bdat_last = b.last;
		s->state = S_BDAT;
		session_bdat_read(s);
		return;
	}
	if (s->state == S_RCPT && session_data_open(s, SMTP_DATA_BDAT) == -1) {
		session_reply(s, 451, "4.3.0", "cannot spool the message");
		s->bdat_refused = 1;
		s->bdat_error.code = 0;	/* replied already */
	}
	s->bdat_left = b.size;
	s->bdat_last = b.last;
	s->state = S_BDAT;
	session_timeout(s, smtpd->conf->smtp_data_timeout);
	session_bdat_read(s);
}

void
session_bdat_read(struct session *s)
{
	struct evbuffer		*in = bufferevent_get_input(s->bev);
	struct evbuffer_iovec	 v[DATA_IOV_MAX];
	size_t			 want, used;
	int			 n;

	while (s->bdat_left > 0 && evbuffer_get_length(in) > 0) {
		want = evbuffer_get_length(in);
		if (want > s->bdat_left)
			want = (size_t)s->bdat_left;
		if (!s->bdat_refused) {
			n = evbuffer_peek(in, (ev_ssize_t)want, NULL, v,
			    DATA_IOV_MAX);
			if (n > DATA_IOV_MAX)
				n = DATA_IOV_MAX;
			want = 0;
			for (int i = 0; i < n; i++) {
				size_t len = v[i].iov_len;
				if (want + len > s->bdat_left)
					len = (size_t)s->bdat_left - want;
				(void)smtp_data_feed(&s->data, v[i].iov_base,
				    len, &used);
				want += len;
			}
		}
		evbuffer_drain(in, want);
		s->bdat_left -= want;
	}
	if (s->bdat_left > 0)
		return;

	if (s->bdat_refused) {
		/* A refused chunk ends the transaction it belonged to; outside
		 * a transaction the state stays what it was. */
		s->state = s->bdat_prev;
		if (s->bdat_error.code != 0)
			session_error(s, &s->bdat_error);
		if (s->state != S_CLOSING)
			session_resume(s);
		return;
	}
	if (s->bdat_last) {
		session_message_end(s);
		return;
	}
	session_reply(s, 250, "2.0.0", "%llu octets received",
	    (unsigned long long)s->data.size);
	s->state = S_BDAT_WAIT;
	session_timeout(s, smtpd->conf->smtp_command_timeout);
	session_commands(s);
}
