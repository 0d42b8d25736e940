/*
 * A stand-in cryptod for test_policy_plan.sh: it drives policyd's side of
 * the plan protocol directly.  Only cryptod may send plan requests (the
 * permission table), so the test installs this program as "cryptod"
 * beside a copy of the real binaries; it speaks the real child frame and
 * the real job protocol with smtpd, but instead of processing a message
 * it reads a script from the message's body and plays it to policyd:
 *
 *   OUT /path/file                  where the answers go (appended)
 *   REQ TAG FLAGS SENDER SUBJECT... a plan request; FLAGS is "-" or a
 *                                   comma list of enc (PLAN_MSG_F_ENCRYPTED)
 *                                   and senderkey; the subject is the rest
 *                                   of the line
 *   RCPT ADDRESS key|nokey          a recipient of the request above
 *   RESULT in|out FLAGS N SENDER RCPT DETAIL...
 *                                   an IMSG_CRYPTOD_RESULT; FLAGS "-" or a
 *                                   comma list of enc, signed, dec, good,
 *                                   bad, failed, refused
 *   RAWRCPT REQ-ID ADDRESS FLAGS / RAWREQ REQ-ID NRCPT FLAGS
 *                                   protocol offences, sent as they are
 *
 * In SENDER, SUBJECT, ADDRESS and DETAIL, %XX is the byte XX (so a space
 * is %20, and % itself %25).  Every request is sent at once (pipelined);
 * policyd answers them in order, and each answer is appended to OUT as
 *
 *   TAG rcpt INDEX ACTION RULE
 *   TAG done ok|tempfail FLAGS KEYWORD
 *
 * with ACTION pass|encrypt|bounce|hold|incoming, FLAGS a comma list of
 * sign, decrypt, protect (or "-"), and RULE and KEYWORD as policyd sent
 * them, byte for byte.  Once all are in, the job is answered 554 (nothing
 * is relayed).  A test program only: never installed, never sandboxed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/child.h"
#include "common/log.h"
#include "common/msg.h"
#include "imsg/imsg.h"

#define SCRIPT_MAX	(1 << 20)
#define MAX_REQ		4096
#define TAG_MAX		64

static struct {
	int		 busy;
	uint64_t	 job;
	struct child_peer *smtpd;
	FILE		*out;
	uint64_t	 first, next;	/* plan request ids of this job */
	uint64_t	 done;		/* answered */
	char		 tags[MAX_REQ][TAG_MAX];
	uint32_t	 nrcpt[MAX_REQ];
	uint32_t	 seen[MAX_REQ];
} st;
static uint64_t	 request_id = 1000;

static void
job_done(const char *text)
{
	struct ibuf	*b;

	b = imsg_create(&st.smtpd->iev.ibuf, IMSG_CRYPTOD_JOB_DONE, 0, -1, 64);
	imsg_add_u64(b, st.job);
	imsg_add_u32(b, JOB_PERMFAIL);
	imsg_add_u32(b, 554);
	imsg_add_string(b, "5.0.0");
	imsg_add_string(b, text);
	imsg_close(&st.smtpd->iev.ibuf, b);
	imsgev_update(&st.smtpd->iev);
	if (st.out != NULL)
		fclose(st.out);
	st.out = NULL;
	st.busy = 0;
}

/* %XX decoding, in place. */
static char *
pct(char *s)
{
	char	*o = s, *i = s;

	while (*i != '\0') {
		unsigned v;

		if (i[0] == '%' && sscanf(i + 1, "%2x", &v) == 1 &&
		    i[1] != '\0' && i[2] != '\0') {
			*o++ = (char)v;
			i += 3;
		} else
			*o++ = *i++;
	}
	*o = '\0';
	return s;
}

static uint32_t
flags_of(const char *s, const char *const *names, const uint32_t *bits,
    size_t n)
{
	uint32_t	 f = 0;
	char		 buf[256], *tok, *save;

	if (strcmp(s, "-") == 0)
		return 0;
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < n && strcmp(tok, names[i]) != 0; i++)
			;
		if (i == n)
			fatalx("plan_cryptod: flag %s", tok);
		f |= bits[i];
	}
	return f;
}

/* Next space-separated field of *line; NULL at the end. */
static char *
field(char **line)
{
	char	*s = *line, *e;

	if (s == NULL || *s == '\0')
		return NULL;
	if ((e = strchr(s, ' ')) != NULL) {
		*e = '\0';
		*line = e + 1;
	} else
		*line = s + strlen(s);
	return s;
}

static void
send_rcpt(struct child_peer *pd, uint64_t id, const char *addr,
    uint32_t flags)
{
	struct ibuf	*b;

	b = imsg_create(&pd->iev.ibuf, IMSG_CRYPTOD_PLAN_RCPT, 0, -1,
	    16 + strlen(addr));
	imsg_add_u64(b, id);
	imsg_add_string(b, addr);
	imsg_add_u32(b, flags);
	imsg_close(&pd->iev.ibuf, b);
}

static void
send_req(struct child_peer *pd, uint64_t id, const char *sender,
    uint32_t n, uint32_t flags, const char *subject)
{
	struct ibuf	*b;

	b = imsg_create(&pd->iev.ibuf, IMSG_CRYPTOD_PLAN_REQUEST, 0, -1,
	    32 + strlen(sender) + strlen(subject));
	imsg_add_u64(b, id);
	imsg_add_string(b, sender);
	imsg_add_u32(b, n);
	imsg_add_u32(b, flags);
	imsg_add_string(b, subject);
	imsg_close(&pd->iev.ibuf, b);
}

static void
run_script(struct child *c, char *text)
{
	static const char *const mnames[] = { "enc", "senderkey" };
	static const uint32_t mbits[] = { PLAN_MSG_F_ENCRYPTED,
	    PLAN_MSG_F_SENDER_KEY };
	static const char *const rnames[] = { "enc", "signed", "dec", "good",
	    "bad", "failed", "refused" };
	static const uint32_t rbits[] = { RESULT_F_ENCRYPTED, RESULT_F_SIGNED,
	    RESULT_F_DECRYPTED, RESULT_F_SIG_GOOD, RESULT_F_SIG_BAD,
	    RESULT_F_FAILED, RESULT_F_REFUSED };
	struct child_peer	*pd = child_peer_find(c, PROC_POLICYD, 0);
	char			*line, *save, *rest, *kw;
	/* the request being collected */
	char			*sender = NULL, *subject = NULL;
	uint32_t		 mflags = 0, n = 0;
	int			 open_req = 0;

	if (pd == NULL)
		fatalx("plan_cryptod: no policyd");
	st.first = st.next = request_id;
	st.done = 0;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		line[strcspn(line, "\r")] = '\0';
		rest = line;
		if ((kw = field(&rest)) == NULL)
			continue;
		if (strcmp(kw, "OUT") == 0) {
			if ((st.out = fopen(rest, "a")) == NULL)
				fatal("plan_cryptod: %s", rest);
			setvbuf(st.out, NULL, _IOLBF, 0);
		} else if (strcmp(kw, "REQ") == 0 || strcmp(kw, "RESULT") == 0) {
			if (open_req) {
				send_req(pd, st.next - 1, sender, n, mflags,
				    subject);
				open_req = 0;
			}
			if (strcmp(kw, "RESULT") == 0) {
				char *dir = field(&rest), *fl = field(&rest);
				char *cnt = field(&rest), *snd = field(&rest);
				char *rc = field(&rest);
				struct ibuf *b;

				if (rc == NULL)
					fatalx("plan_cryptod: RESULT line");
				b = imsg_create(&pd->iev.ibuf,
				    IMSG_CRYPTOD_RESULT, 0, -1, 1024);
				imsg_add_u32(b, strcmp(dir, "in") == 0 ?
				    RESULT_DIR_IN : RESULT_DIR_OUT);
				imsg_add_u32(b, flags_of(fl, rnames, rbits, 7));
				imsg_add_u32(b, (uint32_t)atoi(cnt));
				imsg_add_string(b, pct(snd));
				imsg_add_string(b, pct(rc));
				imsg_add_string(b, pct(rest));
				imsg_close(&pd->iev.ibuf, b);
				continue;
			}
			if (st.next - st.first >= MAX_REQ)
				fatalx("plan_cryptod: too many requests");
			snprintf(st.tags[st.next - st.first], TAG_MAX, "%s",
			    field(&rest));
			mflags = flags_of(field(&rest), mnames, mbits, 2);
			sender = field(&rest);
			if (sender == NULL)
				fatalx("plan_cryptod: REQ line");
			if (strcmp(sender, "<>") == 0)
				sender[0] = '\0';	/* the null sender */
			pct(sender);
			subject = pct(rest);
			n = 0;
			st.seen[st.next - st.first] = 0;
			st.next++;
			open_req = 1;
		} else if (strcmp(kw, "RCPT") == 0) {
			char *addr = field(&rest), *key = field(&rest);

			if (!open_req || key == NULL)
				fatalx("plan_cryptod: RCPT line");
			send_rcpt(pd, st.next - 1, pct(addr),
			    strcmp(key, "key") == 0 ? PLAN_RCPT_F_KEY : 0);
			n++;
			st.nrcpt[st.next - 1 - st.first] = n;
		} else if (strcmp(kw, "RAWRCPT") == 0) {
			char *id = field(&rest), *addr = field(&rest);

			send_rcpt(pd, strtoull(id, NULL, 10), pct(addr),
			    (uint32_t)strtoul(rest, NULL, 0));
		} else if (strcmp(kw, "RAWREQ") == 0) {
			char *id = field(&rest), *nr = field(&rest);

			send_req(pd, strtoull(id, NULL, 10), "a@example.com",
			    (uint32_t)strtoul(nr, NULL, 10),
			    (uint32_t)strtoul(rest, NULL, 0), "");
		}
	}
	if (open_req)
		send_req(pd, st.next - 1, sender, n, mflags, subject);
	request_id = st.next;
	imsgev_update(&pd->iev);
	if (st.next == st.first)
		job_done("plan: no request");
}

static void
job_start(struct child *c, struct child_peer *p, struct imsg *imsg)
{
	struct imsg_reader	 r;
	const char		*sender;
	uint32_t		 n, flags;
	char			*buf, *body;
	ssize_t			 got;
	size_t			 len = 0;
	int			 fd;

	imsg_reader_init(&r, imsg);
	if (imsg_read_u64(&r, &st.job) == -1 ||
	    imsg_read_string(&r, &sender, 300) == -1 ||
	    imsg_read_u32(&r, &n) == -1 || imsg_read_u32(&r, &flags) == -1 ||
	    (fd = imsg_get_fd(imsg)) == -1)
		fatalx("plan_cryptod: JOB_START");
	if (st.busy)
		fatalx("plan_cryptod: one job at a time");
	st.busy = 1;
	st.smtpd = p;
	if ((buf = malloc(SCRIPT_MAX + 1)) == NULL)
		fatal("plan_cryptod");
	while ((got = pread(fd, buf + len, SCRIPT_MAX - len, (off_t)len)) > 0)
		len += (size_t)got;
	close(fd);
	buf[len] = '\0';
	if ((body = strstr(buf, "\r\n\r\n")) != NULL)
		body += 4;
	else if ((body = strstr(buf, "\n\n")) != NULL)
		body += 2;
	else
		body = buf + len;
	run_script(c, body);
	free(buf);
}

static void
plan_answer(struct imsg *imsg)
{
	static const char *const actions[] = { "?", "pass", "encrypt",
	    "bounce", "hold", "incoming" };
	struct imsg_reader	 r;
	const char		*s;
	uint64_t		 id;
	uint32_t		 idx, action, status, flags;
	size_t			 k;
	char			 fl[32];

	imsg_reader_init(&r, imsg);
	if (imsg_read_u64(&r, &id) == -1 || id < st.first || id >= st.next)
		fatalx("plan_cryptod: answer to unknown request");
	k = id - st.first;
	if (id != st.first + st.done)
		fatalx("plan_cryptod: answers out of order");
	if (imsg->hdr.type == IMSG_POLICYD_PLAN_RCPT) {
		if (imsg_read_u32(&r, &idx) == -1 ||
		    imsg_read_u32(&r, &action) == -1 ||
		    imsg_read_string(&r, &s, 200) == -1 ||
		    imsg_reader_end(&r) == -1 || action < POLICY_PASS ||
		    action > POLICY_INCOMING)
			fatalx("plan_cryptod: malformed PLAN_RCPT");
		if (idx != st.seen[k]++)
			fatalx("plan_cryptod: recipient %u out of order", idx);
		if (st.out != NULL)
			fprintf(st.out, "%s rcpt %u %s %s\n", st.tags[k], idx,
			    actions[action], s);
		return;
	}
	if (imsg_read_u32(&r, &status) == -1 ||
	    imsg_read_u32(&r, &flags) == -1 ||
	    imsg_read_string(&r, &s, 400) == -1 ||
	    imsg_reader_end(&r) == -1 || status > PLAN_TEMPFAIL)
		fatalx("plan_cryptod: malformed PLAN_DONE");
	if (status == PLAN_OK && st.seen[k] != st.nrcpt[k])
		fatalx("plan_cryptod: %u answers for %u recipients", st.seen[k],
		    st.nrcpt[k]);
	fl[0] = '\0';
	if (flags & PLAN_DONE_F_SIGN)
		strcat(fl, ",sign");
	if (flags & PLAN_DONE_F_DECRYPT)
		strcat(fl, ",decrypt");
	if (flags & PLAN_DONE_F_PROTECT)
		strcat(fl, ",protect");
	if (st.out != NULL)
		fprintf(st.out, "%s done %s %s %s\n", st.tags[k],
		    status == PLAN_OK ? "ok" : "tempfail",
		    fl[0] != '\0' ? fl + 1 : "-", s);
	if (++st.done == st.next - st.first)
		job_done("plan: all answered");
}

static void
stand_in_msg(struct child *c, struct child_peer *p, struct imsg *imsg)
{
	switch (imsg->hdr.type) {
	case IMSG_SMTPD_JOB_RCPT:
		return;
	case IMSG_SMTPD_JOB_START:
		job_start(c, p, imsg);
		return;
	case IMSG_POLICYD_PLAN_RCPT:
	case IMSG_POLICYD_PLAN_DONE:
		plan_answer(imsg);
		return;
	default:
		fatalx("plan_cryptod: unexpected %s",
		    imsg_type_name(imsg->hdr.type));
	}
}

static void
stand_in_parent_msg(struct child *c, struct imsg *imsg)
{
	int	 fd;

	(void)c;
	if (imsg->hdr.type != IMSG_PARENT_KEYRING)
		fatalx("plan_cryptod: unexpected message from the parent");
	if ((fd = imsg_get_fd(imsg)) != -1)
		close(fd);
}

static const struct child_ops stand_in_ops = {
	.peer_msg = stand_in_msg,
	.parent_msg = stand_in_parent_msg,
};

int
main(int argc, char *argv[])
{
	struct child	 c;

	child_boot(&c, PROC_CRYPTOD, argc, argv);
	child_run(&c, &stand_in_ops);
	return 1;
}
