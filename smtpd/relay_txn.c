/*
 * relay_txn: one mail transaction on a session that is ready.  It checks
 * what the relay can take before sending anything (SIZE, 8BITMIME,
 * SMTPUTF8), sends XFORWARD, MAIL, one RCPT per recipient of the group and
 * DATA (in one write when the relay offers PIPELINING), reads the replies
 * in order, and streams the message, dot-stuffed, from its memfd.
 *
 * A group is all or nothing: if any recipient is refused the data is not
 * sent and the refusal answers for the whole group.  Sending to the
 * accepted recipients only would leave smtpd with one SMTP reply for a
 * group that was half delivered, and a retry of the whole message upstream
 * would then duplicate it for the recipients that already got it.
 *
 * The parameters are formatted here from the envelope (relay_format_*),
 * each only when the relay announced the extension it belongs to.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "common/log.h"
#include "smtpd/relay_internal.h"

enum relay_cmd
relay_txn_cmd(const struct relay_session *s, size_t i)
{
	if (i < s->nxf)
		return RC_XFORWARD;
	if (i == s->nxf)
		return RC_MAIL;
	if (i + 1 < s->ncmd)
		return RC_RCPT;
	return RC_DATA;
}

/* Append to a command line; -1 when it would not fit. */
static int
relay_cat(char *buf, size_t size, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
relay_cat(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *len, size - *len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - *len)
		return -1;
	*len += (size_t)n;
	return 0;
}

/*
 * What goes on a command line must not end it early: smtpd's parser
 * already refused such envelopes, and this check keeps a bug there from
 * becoming command injection here.  Paths may hold spaces (quoted local
 * parts) and UTF-8; parameter values may hold neither spaces nor controls.
 */
static int
relay_text_ok(const char *p, int space_ok)
{
	for (; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c == 0x7f || (c == ' ' && !space_ok))
			return 0;
	}
	return 1;
}

static int
relay_has_8bit(const char *p)
{
	for (; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			return 1;
	return 0;
}

/* RFC 6531: SMTPUTF8 is needed when an address of this transaction is
 * not ASCII (UTF-8 in headers alone travels as an 8-bit body). */
static int
relay_txn_needs_utf8(const struct relay_request *req)
{
	const struct envelope_rcpt	*rc;
	size_t				 i;

	if (!req->notice && relay_has_8bit(req->env->mail_from))
		return 1;
	for (i = 0; i < req->nrcpt; i++) {
		rc = &req->env->rcpts[req->rcpt_idx[i]];
		if (relay_has_8bit(rc->addr) || relay_has_8bit(rc->orcpt))
			return 1;
	}
	return 0;
}

/*
 * XFORWARD (Postfix's XFORWARD_README): the envelope keeps the attributes
 * as received, "NAME=value" words already xtext-encoded.  Only those the
 * relay listed are sent, in lines of at most RELAY_XFORWARD_LINE_MAX.
 */
static size_t
relay_format_xforward(const struct relay_session *s, const char *xf,
    struct evbuffer *out)
{
	char		 line[RELAY_XFORWARD_LINE_MAX];
	const char	*w, *eq;
	size_t		 len = 0, n, nlines = 0;

	for (;;) {
		while (*xf == ' ')
			xf++;
		if (*xf == '\0')
			break;
		w = xf;
		while (*xf != '\0' && *xf != ' ')
			xf++;
		n = (size_t)(xf - w);
		if ((eq = memchr(w, '=', n)) == NULL || eq == w ||
		    !(relay_xforward_attr(w, (size_t)(eq - w)) &
		    s->caps.xforward))
			continue;
		if (n + sizeof("XFORWARD \r\n") > sizeof(line))
			continue;	/* can never fit: leave it out */
		if (len > 0 && len + 1 + n + 2 > sizeof(line)) {
			if (evbuffer_add_printf(out, "%.*s\r\n", (int)len,
			    line) == -1)
				fatalx("relay: evbuffer_add_printf");
			nlines++;
			len = 0;
		}
		if (len == 0) {
			memcpy(line, "XFORWARD", 8);
			len = 8;
		}
		line[len++] = ' ';
		memcpy(line + len, w, n);
		len += n;
	}
	if (len > 0) {
		if (evbuffer_add_printf(out, "%.*s\r\n", (int)len, line) == -1)
			fatalx("relay: evbuffer_add_printf");
		nlines++;
	}
	return nlines;
}

static int
relay_format_mail(const struct relay_session *s,
    const struct relay_request *req, int utf8, char *buf, size_t size)
{
	const struct envelope	*env = req->env;
	unsigned		 caps = s->caps.flags;
	size_t			 len = 0;

	if (relay_cat(buf, size, &len, "MAIL FROM:<%s>",
	    req->notice ? "" : env->mail_from) == -1)
		return -1;
	if ((caps & RELAY_CAP_SIZE) && relay_cat(buf, size, &len,
	    " SIZE=%llu", (unsigned long long)req->size) == -1)
		return -1;
	/* Checked by the caller: an 8-bit message means 8BITMIME. */
	if (req->eightbit && relay_cat(buf, size, &len, " BODY=8BITMIME") == -1)
		return -1;
	if ((env->smtputf8 || utf8) && (caps & RELAY_CAP_SMTPUTF8) &&
	    relay_cat(buf, size, &len, " SMTPUTF8") == -1)
		return -1;
	if ((caps & RELAY_CAP_DSN) && !req->notice) {
		if (env->ret != RET_NONE && relay_cat(buf, size, &len,
		    " RET=%s", env->ret == RET_FULL ? "FULL" : "HDRS") == -1)
			return -1;
		if (env->envid[0] != '\0' && relay_cat(buf, size, &len,
		    " ENVID=%s", env->envid) == -1)
			return -1;
	}
	return relay_cat(buf, size, &len, "\r\n");
}

static int
relay_format_rcpt(const struct relay_session *s,
    const struct relay_request *req, const struct envelope_rcpt *rc,
    char *buf, size_t size)
{
	size_t	 len = 0;

	if (relay_cat(buf, size, &len, "RCPT TO:<%s>", rc->addr) == -1)
		return -1;
	if ((s->caps.flags & RELAY_CAP_DSN) && !req->notice) {
		if (rc->notify & NOTIFY_NEVER) {
			if (relay_cat(buf, size, &len, " NOTIFY=NEVER") == -1)
				return -1;
		} else if (rc->notify != 0 && relay_cat(buf, size, &len,
		    " NOTIFY=%s%s%s%s%s",
		    (rc->notify & NOTIFY_SUCCESS) ? "SUCCESS" : "",
		    (rc->notify & NOTIFY_SUCCESS) &&
		    (rc->notify & (NOTIFY_FAILURE | NOTIFY_DELAY)) ? "," : "",
		    (rc->notify & NOTIFY_FAILURE) ? "FAILURE" : "",
		    (rc->notify & NOTIFY_FAILURE) &&
		    (rc->notify & NOTIFY_DELAY) ? "," : "",
		    (rc->notify & NOTIFY_DELAY) ? "DELAY" : "") == -1)
			return -1;
		if (rc->orcpt[0] != '\0' && relay_cat(buf, size, &len,
		    " ORCPT=%s", rc->orcpt) == -1)
			return -1;
	}
	return relay_cat(buf, size, &len, "\r\n");
}

/* Every command of the transaction, into s->cmds. */
static int
relay_txn_format(struct relay_session *s, int utf8)
{
	struct relay_request		*req = s->req;
	const struct envelope		*env = req->env;
	const struct envelope_rcpt	*rc;
	char				 line[RELAY_CMD_MAX];
	size_t				 i;

	if (!relay_text_ok(env->mail_from, 1) ||
	    !relay_text_ok(env->envid, 0) || !relay_text_ok(env->xforward, 1))
		return -1;
	s->nxf = 0;
	/* A notice is the gateway's own mail, not the client's. */
	if ((s->caps.flags & RELAY_CAP_XFORWARD) && env->xforward[0] != '\0' &&
	    !req->notice)
		s->nxf = relay_format_xforward(s, env->xforward, s->cmds);
	if (relay_format_mail(s, req, utf8, line, sizeof(line)) == -1 ||
	    evbuffer_add(s->cmds, line, strlen(line)) == -1)
		return -1;
	for (i = 0; i < req->nrcpt; i++) {
		rc = &env->rcpts[req->rcpt_idx[i]];
		if (!relay_text_ok(rc->addr, 1) || !relay_text_ok(rc->orcpt, 0) ||
		    relay_format_rcpt(s, req, rc, line, sizeof(line)) == -1 ||
		    evbuffer_add(s->cmds, line, strlen(line)) == -1)
			return -1;
	}
	if (evbuffer_add(s->cmds, "DATA\r\n", 6) == -1)
		return -1;
	s->ncmd = s->nxf + 1 + req->nrcpt + 1;
	return 0;
}

/* Without PIPELINING: the next command, once the last one is answered. */
static void
relay_txn_send_next(struct relay_session *s)
{
	struct evbuffer_ptr	 eol;
	size_t			 eol_len;

	eol = evbuffer_search_eol(s->cmds, NULL, &eol_len, EVBUFFER_EOL_CRLF);
	if (eol.pos == -1 || evbuffer_remove_buffer(s->cmds,
	    bufferevent_get_output(s->bev), (size_t)eol.pos + eol_len) !=
	    (int)((size_t)eol.pos + eol_len))
		fatalx("relay: command queue");
	s->nsent++;
}

/* The request fails before anything was sent; the session stays clean. */
static int
relay_txn_refuse(struct relay_session *s, const struct relay_result *res)
{
	relay_session_finish(s, res);
	relay_session_clean(s);
	return 0;
}

int
relay_txn_start(struct relay_session *s)
{
	struct relay		*r = s->relay;
	struct relay_request	*req = s->req;
	struct relay_result	 res;
	int			 utf8;

	s->failed = 0;
	s->replied = 0;
	s->nsent = s->nreplied = 0;
	s->off = 0;
	s->bol = 1;
	if (s->cmds == NULL && (s->cmds = evbuffer_new()) == NULL)
		fatalx("relay: evbuffer_new");
	(void)evbuffer_drain(s->cmds, evbuffer_get_length(s->cmds));

	/* RFC 1870: a message over the relay's limit would be refused at
	 * the end of the data anyway; and the limit will not grow. */
	if ((s->caps.flags & RELAY_CAP_SIZE) && s->caps.size_max > 0 &&
	    req->size > s->caps.size_max) {
		relay_result_local(&res, 552, "5.3.4", "message size %llu "
		    "exceeds the limit of relay %s (%llu)",
		    (unsigned long long)req->size, r->conf.name,
		    (unsigned long long)s->caps.size_max);
		return relay_txn_refuse(s, &res);
	}
	/* RFC 6152: without 8BITMIME an 8-bit message must be converted or
	 * bounced.  Converting would break signatures and is cryptod's
	 * business, so: bounce. */
	if (req->eightbit && !(s->caps.flags & RELAY_CAP_8BITMIME)) {
		relay_result_local(&res, 554, "5.6.3", "relay %s does not "
		    "offer 8BITMIME for an 8-bit message", r->conf.name);
		return relay_txn_refuse(s, &res);
	}
	utf8 = relay_txn_needs_utf8(req);
	if (utf8 && !(s->caps.flags & RELAY_CAP_SMTPUTF8)) {
		relay_result_local(&res, 553, "5.6.7", "relay %s does not "
		    "offer SMTPUTF8 for a non-ASCII address", r->conf.name);
		return relay_txn_refuse(s, &res);
	}
	if (relay_txn_format(s, utf8) == -1) {
		relay_result_local(&res, 451, "4.3.0", "internal error: "
		    "envelope unfit for relay %s", r->conf.name);
		return relay_txn_refuse(s, &res);
	}

	s->reused = s->ntxn++ > 0;
	r->stats.transactions++;
	if (s->reused)
		r->stats.reuses++;
	s->state = RS_TXN;
	relay_session_arm(s, &r->conf.command_timeout);
	if (s->caps.flags & RELAY_CAP_PIPELINING) {
		/* RFC 2920: DATA may end the group; we send it along. */
		if (bufferevent_write_buffer(s->bev, s->cmds) == -1)
			fatalx("relay: bufferevent_write_buffer");
		s->nsent = s->ncmd;
	} else
		relay_txn_send_next(s);
	return 0;
}

/*
 * Keep the refusal that answers for the group: the first, except that a
 * recipient's 4xx wins over an earlier recipient's 5xx, because a retry
 * may then still deliver to all and a bounce would be final for all.
 */
static void
relay_txn_note(struct relay_session *s, const struct relay_reply *rep,
    enum relay_cmd cmd)
{
	struct relay_result	 res;
	int			 cls = rep->code / 100;

	if (cls == 4 || cls == 5)
		relay_result_relay(&res, rep);
	else
		relay_result_local(&res, 451, "4.5.0", "relay %s: protocol "
		    "error: unexpected reply %d to %s", s->relay->conf.name,
		    rep->code, relay_session_what(s));
	if (!s->failed || (cmd == RC_RCPT && s->fail_cmd == RC_RCPT &&
	    s->fail.reply.code / 100 == 5 && res.reply.code / 100 == 4)) {
		s->fail = res;
		s->fail_cmd = cmd;
		s->failed = 1;
	}
}

/* Dot-stuff (RFC 5321 4.5.2) one piece of the message into out. */
static void
relay_dot_stuff(struct evbuffer *out, const char *p, size_t n, int *bol)
{
	const char	*nl;
	size_t		 len;

	while (n > 0) {
		if (*bol && p[0] == '.' && evbuffer_add(out, ".", 1) == -1)
			fatalx("relay: evbuffer_add");
		nl = memchr(p, '\n', n);
		len = nl != NULL ? (size_t)(nl - p) + 1 : n;
		if (evbuffer_add(out, p, len) == -1)
			fatalx("relay: evbuffer_add");
		*bol = nl != NULL;
		p += len;
		n -= len;
	}
}

/*
 * Keep the output buffer between RELAY_OUT_LOWAT and RELAY_OUT_HIWAT
 * from the memfd; the write callback brings us back here.  Each refill
 * is progress, and restarts the data timeout.
 */
int
relay_txn_body(struct relay_session *s)
{
	struct relay		*r = s->relay;
	struct relay_request	*req = s->req;
	struct relay_result	 res;
	struct evbuffer		*out = bufferevent_get_output(s->bev);
	uint64_t		 want;
	ssize_t			 n;

	while (evbuffer_get_length(out) < RELAY_OUT_HIWAT &&
	    s->off < req->size) {
		want = req->size - s->off;
		if (want > RELAY_CHUNK)
			want = RELAY_CHUNK;
		n = pread(req->fd, r->chunk, (size_t)want, (off_t)s->off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* Closing before the dot: the relay drops it. */
			relay_result_local(&res, 451, "4.3.0", "cannot read "
			    "the message for relay %s: %s", r->conf.name,
			    n == 0 ? "shorter than its size" : strerror(errno));
			return relay_session_abort(s, &res, 0);
		}
		relay_dot_stuff(out, r->chunk, (size_t)n, &s->bol);
		s->off += (uint64_t)n;
	}
	if (s->off == req->size) {
		if (!s->bol && evbuffer_add(out, "\r\n", 2) == -1)
			fatalx("relay: evbuffer_add");
		if (evbuffer_add(out, ".\r\n", 3) == -1)
			fatalx("relay: evbuffer_add");
		bufferevent_setwatermark(s->bev, EV_WRITE, 0, 0);
		s->state = RS_DOT;
	}
	relay_session_arm(s, &r->conf.data_timeout);
	return 0;
}

/* The transaction failed before the data; RSET makes the session clean. */
static int
relay_txn_failed(struct relay_session *s)
{
	relay_session_finish(s, &s->fail);
	relay_session_rset(s);
	return 0;
}

int
relay_txn_reply(struct relay_session *s)
{
	struct relay		*r = s->relay;
	struct relay_reply	*rep = &s->reply;
	struct relay_result	 res;
	enum relay_cmd		 cmd;
	int			 first = !s->replied;

	s->replied = 1;
	if (s->state == RS_DOT) {
		if (rep->code / 100 == 2) {
			relay_result_accepted(&res, rep);
			relay_session_finish(s, &res);
			relay_session_clean(s);
			return 0;
		}
		relay_txn_note(s, rep, RC_DATA);
		relay_session_finish(s, &s->fail);
		if (rep->code == 421)
			return relay_session_abort(s, &s->fail, 0);
		relay_session_clean(s);
		return 0;
	}
	if (s->state == RS_BODY) {
		/* A reply before our dot: the relay gave up on the data. */
		relay_txn_note(s, rep, RC_DATA);
		return relay_session_abort(s, &s->fail, 0);
	}

	if (s->nreplied >= s->nsent) {
		relay_result_local(&res, 451, "4.5.0", "relay %s: protocol "
		    "error: reply without a command", r->conf.name);
		return relay_session_abort(s, &res, 0);
	}
	cmd = relay_txn_cmd(s, s->nreplied);
	if (cmd == RC_DATA && rep->code == 354) {
		s->nreplied++;
		if (s->failed)
			/* DATA was pipelined after a refused RCPT and the
			 * relay opened the data anyway: a lone dot would
			 * deliver an empty message to the others, closing
			 * makes the relay drop the transaction. */
			return relay_session_abort(s, &s->fail, 0);
		s->state = RS_BODY;
		bufferevent_setwatermark(s->bev, EV_WRITE, RELAY_OUT_LOWAT, 0);
		return relay_txn_body(s);
	}
	if (rep->code / 100 != 2 || cmd == RC_DATA)
		relay_txn_note(s, rep, cmd);
	s->nreplied++;
	relay_session_arm(s, &r->conf.command_timeout);

	if (rep->code == 421) {
		/* The relay is closing.  On a pooled session, as the very
		 * first reply, it is the idle-timeout race: retry once. */
		s->replied = !first;
		return relay_session_abort(s, &s->fail, 1);
	}
	if (s->nreplied < s->nsent)
		return 0;
	if (s->failed)
		return relay_txn_failed(s);
	if (s->nsent < s->ncmd) {
		relay_txn_send_next(s);
		return 0;
	}
	/* Cannot happen: DATA was answered, and not with 354. */
	return relay_txn_failed(s);
}
