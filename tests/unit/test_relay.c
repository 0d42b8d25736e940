/*
 * Tests of smtpd's relay client.  The relay is Postfix's smtp-sink, a real
 * SMTP server started on a free loopback port per test (-d dumps each
 * message, -v logs each command), for everything it can do: delivery and
 * dot-stuffing round trips, several recipients, a 5 MiB message,
 * pipelining on and off, 4xx/5xx/421/disconnects/timeouts at each step,
 * connection reuse and limits, 8BITMIME, SMTPUTF8, DSN and XFORWARD only
 * when offered.  What smtp-sink cannot do (SIZE, SMTPUTF8 offered,
 * STARTTLS, malformed replies, a pooled connection dying under us, mixed
 * recipient refusals with pipelined DATA) is played by a scripted server
 * in a child process, which checks what the client sends and exits
 * non-zero when it is wrong.  The relay's sources are compiled in, since
 * libpgpmg.a holds no smtpd code.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <criterion/criterion.h>

#include "smtpd/relay.c"
#include "smtpd/relay_session.c"
#include "smtpd/relay_txn.c"
#include "smtpd/relay_reply.c"

/* Seconds before Criterion kills a hung test. */
#define T_TIMEOUT	20
/* A leaked smtp-sink dies by itself after this (timeout(1)). */
#define T_SINK_LIFE	"30"
/* Longest wait for a relay result; the tests take far less. */
#define T_WAIT		8.0
/* A scripted server gives up after this many seconds (alarm). */
#define T_FAKE_LIFE	10

TestSuite(relay, .timeout = T_TIMEOUT);

static struct event_base	*base;
static struct relay		*relay;
static struct relay_config	 rconf;
static int			 ndone;

/* ------------------------------------------------------------ fixtures */

struct treq {
	struct relay_request	 req;
	struct envelope		 env;
	struct envelope_rcpt	 rcpts[8];
	size_t			 idx[8];
	int			 called;
	struct relay_result	 res;
};

static const char T_MSG[] =
    "From: a@example.org\r\n"
    "To: b@example.net\r\n"
    "Subject: relay test\r\n"
    "\r\n"
    ".\r\n"
    ".leading dot\r\n"
    "..two dots\r\n"
    "middle . dot\r\n"
    ". \r\n"
    "last line\r\n";

static int
t_memfd(const char *data, size_t len)
{
	size_t	 off = 0;
	ssize_t	 n;
	int	 fd;

	fd = memfd_create("t_msg", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	cr_assert_neq(fd, -1);
	while (off < len) {
		n = write(fd, data + off, len - off);
		cr_assert_gt(n, 0);
		off += (size_t)n;
	}
	cr_assert_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL), 0);
	return fd;
}

static void
t_done(struct relay_request *req, const struct relay_result *res)
{
	struct treq	*t = req->arg;

	t->called++;
	t->res = *res;
	ndone++;
}

/* rcpts: NULL-terminated; msg NULL: T_MSG. */
static void
treq_init(struct treq *t, const char *from, const char *const *rcpts,
    const char *msg, size_t len)
{
	size_t	 i;

	memset(t, 0, sizeof(*t));
	snprintf(t->env.mail_from, sizeof(t->env.mail_from), "%s", from);
	for (i = 0; rcpts[i] != NULL; i++) {
		cr_assert_lt(i, 8);
		snprintf(t->rcpts[i].addr, sizeof(t->rcpts[i].addr), "%s",
		    rcpts[i]);
		t->idx[i] = i;
	}
	t->env.rcpts = t->rcpts;
	t->env.nrcpt = i;
	t->env.rcpt_cap = 8;
	if (msg == NULL) {
		msg = T_MSG;
		len = sizeof(T_MSG) - 1;
	}
	t->req.env = &t->env;
	t->req.rcpt_idx = t->idx;
	t->req.nrcpt = i;
	t->req.fd = t_memfd(msg, len);
	t->req.size = len;
	t->req.done = t_done;
	t->req.arg = t;
}

static void
treq_simple(struct treq *t)
{
	static const char *const r[] = { "b@example.net", NULL };

	treq_init(t, "a@example.org", r, NULL, 0);
}

static void
treq_close(struct treq *t)
{
	if (t->req.fd >= 0)
		close(t->req.fd);
	t->req.fd = -1;
}

static void
t_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd; (void)ev;
	*(int *)arg = 1;
}

static void
t_tv(struct timeval *tv, double secs)
{
	tv->tv_sec = (time_t)secs;
	tv->tv_usec = (suseconds_t)((secs - (double)tv->tv_sec) * 1e6);
}

/* Run the loop until want results arrived, failing after T_WAIT. */
static void
run_until(int want)
{
	struct event	*to;
	struct timeval	 tv;
	int		 expired = 0;

	t_tv(&tv, T_WAIT);
	to = evtimer_new(base, t_timer_cb, &expired);
	evtimer_add(to, &tv);
	while (ndone < want && !expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(to);
	cr_assert(!expired, "timed out: %d of %d results", ndone, want);
}

/*
 * Like run_until(1), watching the bytes queued for the network in the
 * first session (its bufferevent and, under TLS, the socket's below it):
 * the body is streamed, never queued whole.
 */
static size_t
run_until_peak(void)
{
	struct relay_session	*s;
	struct bufferevent	*under;
	struct event		*to;
	struct timeval		 tv;
	size_t			 out, peak = 0;
	int			 expired = 0;

	t_tv(&tv, T_WAIT);
	to = evtimer_new(base, t_timer_cb, &expired);
	evtimer_add(to, &tv);
	while (ndone < 1 && !expired) {
		event_base_loop(base, EVLOOP_ONCE);
		if ((s = TAILQ_FIRST(&relay->sessions)) == NULL)
			continue;
		out = evbuffer_get_length(bufferevent_get_output(s->bev));
		if ((under = bufferevent_get_underlying(s->bev)) != NULL)
			out += evbuffer_get_length(
			    bufferevent_get_output(under));
		if (out > peak)
			peak = out;
	}
	event_free(to);
	cr_assert(!expired, "timed out");
	return peak;
}

/* The output bound: RELAY_OUT_HIWAT plus a stuffed chunk, once for the
 * TLS filter and once for the socket below it. */
#define T_OUT_BOUND	(2 * (RELAY_OUT_HIWAT + 2 * RELAY_CHUNK))

/* Run the loop for a while (idle timeouts, cancelled requests). */
static void
run_for(double secs)
{
	struct event	*to;
	struct timeval	 tv;
	int		 expired = 0;

	t_tv(&tv, secs);
	to = evtimer_new(base, t_timer_cb, &expired);
	evtimer_add(to, &tv);
	while (!expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(to);
}

static void
relay_conf_port(int port)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&rconf.addr;

	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rconf.addrlen = sizeof(*sin);
	snprintf(rconf.name, sizeof(rconf.name), "127.0.0.1:%d", port);
}

static void
relay_start(void)
{
	relay = relay_new(base, &rconf);
	cr_assert_not_null(relay);
}

static void
relay_stop(void)
{
	if (relay != NULL)
		relay_free(relay);
	relay = NULL;
}

static void
assert_reply(const struct treq *t, int code, const char *enh)
{
	cr_assert_eq(t->called, 1, "done() called %d times", t->called);
	cr_assert_eq(t->res.reply.code, code, "code %d (want %d): %s %s",
	    t->res.reply.code, code, t->res.reply.enhanced,
	    t->res.reply.text);
	cr_assert_str_eq(t->res.reply.enhanced, enh, "%s %s",
	    t->res.reply.enhanced, t->res.reply.text);
	cr_assert_eq(t->res.accepted, code == 250);
}

/* ------------------------------------------------------------ smtp-sink */

static struct {
	pid_t	 pid;
	int	 port;
	char	 dir[64];
	char	 log[96];
	char	 dumps[96];
} sink = { .pid = -1 };

static int
free_port(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 s;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_neq(s = socket(AF_INET, SOCK_STREAM, 0), -1);
	cr_assert_eq(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(getsockname(s, (struct sockaddr *)&sin, &len), 0);
	close(s);
	return ntohs(sin.sin_port);
}

/* Listening, seen in /proc (a probe connection would count as a session). */
static int
port_listening(int port)
{
	FILE		*f;
	char		 line[512];
	unsigned	 lport, st;
	int		 found = 0;

	if ((f = fopen("/proc/net/tcp", "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, " %*d: %*x:%x %*x:%*x %x", &lport, &st) == 2 &&
		    (int)lport == port && st == 0x0A)
			found = 1;
	fclose(f);
	return found;
}

/* Start smtp-sink with extra options (NULL-terminated). */
static void
sink_start(const char *opt, ...)
{
	const char	*argv[32];
	char		 listen[32], dump[128];
	va_list		 ap;
	int		 argc = 0, i, fd;

	sink.port = free_port();
	snprintf(sink.dir, sizeof(sink.dir), "/tmp/test_relay.XXXXXX");
	cr_assert_not_null(mkdtemp(sink.dir));
	cr_assert_eq(chmod(sink.dir, 0777), 0);	/* smtp-sink runs as nobody */
	snprintf(sink.log, sizeof(sink.log), "%s/log", sink.dir);
	snprintf(sink.dumps, sizeof(sink.dumps), "%s/d", sink.dir);
	snprintf(dump, sizeof(dump), "%s/%%M.", sink.dumps);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", sink.port);

	argv[argc++] = "timeout";
	argv[argc++] = "-s";
	argv[argc++] = "KILL";
	argv[argc++] = T_SINK_LIFE;
	argv[argc++] = "/usr/sbin/smtp-sink";
	argv[argc++] = "-u";
	argv[argc++] = "nobody";
	argv[argc++] = "-v";
	argv[argc++] = "-d";
	argv[argc++] = dump;
	va_start(ap, opt);
	for (; opt != NULL; opt = va_arg(ap, const char *))
		argv[argc++] = opt;
	va_end(ap);
	argv[argc++] = listen;
	argv[argc++] = "100";
	argv[argc] = NULL;

	sink.pid = fork();
	cr_assert_neq(sink.pid, -1);
	if (sink.pid == 0) {
		fd = open(sink.log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd == -1 || dup2(fd, 1) == -1 || dup2(fd, 2) == -1)
			_exit(127);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	for (i = 0; i < 300 && !port_listening(sink.port); i++)
		usleep(10000);
	cr_assert(port_listening(sink.port), "smtp-sink did not start");
	relay_conf_port(sink.port);
}

static void
sink_stop(void)
{
	int	 st;

	if (sink.pid <= 0)
		return;
	kill(sink.pid, SIGTERM);
	waitpid(sink.pid, &st, 0);
	sink.pid = -1;
}

static char *
read_file(const char *path, size_t *lenp)
{
	struct stat	 sb;
	char		*buf;
	ssize_t		 n;
	size_t		 off = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		return NULL;
	cr_assert_eq(fstat(fd, &sb), 0);
	buf = malloc((size_t)sb.st_size + 1);
	cr_assert_not_null(buf);
	while (off < (size_t)sb.st_size &&
	    (n = read(fd, buf + off, (size_t)sb.st_size - off)) > 0)
		off += (size_t)n;
	buf[off] = '\0';
	close(fd);
	if (lenp != NULL)
		*lenp = off;
	return buf;
}

static char *
sink_log(void)
{
	char	*s = read_file(sink.log, NULL);

	cr_assert_not_null(s);
	return s;
}

static int
count_str(const char *hay, const char *needle)
{
	int	 n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/* The dumps smtp-sink wrote; paths into files[], returns how many. */
static int
sink_dumps(char files[][160], int max)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir(sink.dumps)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < max) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(files[n++], 160, "%s/%s", sink.dumps, de->d_name);
	}
	closedir(d);
	return n;
}

/* What smtp-sink stores for a message: LF line ends, one empty line more. */
static char *
sink_expected(const char *msg, size_t len, size_t *outlen)
{
	char	*out = malloc(len + 2);
	size_t	 i, o = 0;

	cr_assert_not_null(out);
	for (i = 0; i < len; i++)
		if (!(msg[i] == '\r' && i + 1 < len && msg[i + 1] == '\n'))
			out[o++] = msg[i];
	out[o++] = '\n';
	out[o] = '\0';
	*outlen = o;
	return out;
}

/* The message part of a dump: after smtp-sink's three Received lines. */
static const char *
dump_message(const char *dump)
{
	const char	*p = strstr(dump, "\nReceived: ");
	int		 i;

	cr_assert_not_null(p, "no Received header in dump");
	for (p++, i = 0; i < 3; i++) {
		p = strchr(p, '\n');
		cr_assert_not_null(p);
		p++;
	}
	return p;
}

/* Exactly one dump, whose message is msg byte for byte; returns it. */
static char *
sink_one_dump(const char *msg, size_t len)
{
	char		 files[4][160], *dump, *want;
	size_t		 dlen, wlen;
	const char	*m;
	int		 i, n = 0;

	/* smtp-sink answers the dot after it closed the dump. */
	for (i = 0; i < 100 && (n = sink_dumps(files, 4)) < 1; i++)
		usleep(10000);
	cr_assert_eq(n, 1, "%d dumps", n);
	dump = read_file(files[0], &dlen);
	cr_assert_not_null(dump);
	m = dump_message(dump);
	want = sink_expected(msg, len, &wlen);
	cr_assert_eq(dlen - (size_t)(m - dump), wlen,
	    "dumped %zu bytes, want %zu", dlen - (size_t)(m - dump), wlen);
	cr_assert(memcmp(m, want, wlen) == 0, "message differs");
	free(want);
	return dump;
}

static void
t_init(void)
{
	signal(SIGPIPE, SIG_IGN);
	log_init_parent(1, 0);
	base = event_base_new();
	cr_assert_not_null(base);
	memset(&rconf, 0, sizeof(rconf));
	snprintf(rconf.helo, sizeof(rconf.helo), "pgpmg.test");
	rconf.tls = RELAY_TLS_NO;
	t_tv(&rconf.connect_timeout, 2);
	t_tv(&rconf.command_timeout, 3);
	t_tv(&rconf.data_timeout, 5);
	t_tv(&rconf.idle_timeout, 5);
	rconf.max_idle = 4;
	ndone = 0;
}

/* Stop smtp-sink and remove its directory. */
static void
sink_cleanup(void)
{
	char	 cmd[128];

	int	 i;

	sink_stop();
	if (sink.dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", sink.dir);
		for (i = 0; i < 3 && access(sink.dir, F_OK) == 0; i++)
			if (system(cmd) != 0)
				cr_log_warn("%s failed", cmd);
		sink.dir[0] = '\0';
	}
}

static void
t_fini(void)
{
	relay_stop();
	sink_cleanup();
	if (rconf.ssl_ctx != NULL)
		SSL_CTX_free(rconf.ssl_ctx);
	rconf.ssl_ctx = NULL;
	event_base_free(base);
	base = NULL;
}

TestSuite(relay_sink, .init = t_init, .fini = t_fini, .timeout = T_TIMEOUT);
TestSuite(relay_fake, .init = t_init, .fini = t_fini, .timeout = T_TIMEOUT);

/* ------------------------------------------------------------ with smtp-sink */

Test(relay_sink, delivers_byte_identical)
{
	struct treq	 t;
	char		*dump;

	sink_start(NULL);
	relay_start();
	treq_simple(&t);
	relay_submit(relay, &t.req);
	cr_assert_eq(t.called, 0, "done() inside relay_submit()");
	run_until(1);
	assert_reply(&t, 250, "2.0.0");
	cr_assert(strncmp(t.res.reply.text, "relay said: ", 12) == 0,
	    "%s", t.res.reply.text);
	dump = sink_one_dump(T_MSG, sizeof(T_MSG) - 1);
	cr_assert_not_null(strstr(dump, "X-Helo-Args: pgpmg.test\n"));
	cr_assert_not_null(strstr(dump, "X-Mail-Args: <a@example.org>\n"));
	cr_assert_not_null(strstr(dump, "X-Rcpt-Args: <b@example.net>\n"));
	free(dump);
	treq_close(&t);
}

Test(relay_sink, message_without_final_crlf_and_empty_message)
{
	static const char	 msg[] = "Subject: x\r\n\r\nno final line end";
	static const char *const r[] = { "b@example.net", NULL };
	struct treq		 t, e;
	char			*dump;

	sink_start(NULL);
	relay_start();
	treq_init(&t, "a@example.org", r, msg, sizeof(msg) - 1);
	relay_submit(relay, &t.req);
	run_until(1);
	assert_reply(&t, 250, "2.0.0");
	/* The relay adds the CRLF the last line lacks. */
	dump = sink_one_dump("Subject: x\r\n\r\nno final line end\r\n",
	    sizeof(msg) + 1);
	free(dump);
	treq_init(&e, "", r, "", 0);
	relay_submit(relay, &e.req);
	run_until(2);
	assert_reply(&e, 250, "2.0.0");
	treq_close(&t);
	treq_close(&e);
}

Test(relay_sink, three_recipients_in_order)
{
	static const char *const r[] = { "one@example.net",
	    "two@example.net", "three@example.net", NULL };
	struct treq	 t;
	char		*dump;
	const char	*p1, *p2, *p3;

	sink_start(NULL);
	relay_start();
	treq_init(&t, "a@example.org", r, NULL, 0);
	relay_submit(relay, &t.req);
	run_until(1);
	assert_reply(&t, 250, "2.0.0");
	dump = sink_one_dump(T_MSG, sizeof(T_MSG) - 1);
	p1 = strstr(dump, "X-Rcpt-Args: <one@example.net>\n");
	p2 = strstr(dump, "X-Rcpt-Args: <two@example.net>\n");
	p3 = strstr(dump, "X-Rcpt-Args: <three@example.net>\n");
	cr_assert(p1 != NULL && p2 != NULL && p3 != NULL && p1 < p2 && p2 < p3);
	free(dump);
	treq_close(&t);
}

/* A subset of the envelope's recipients: only the group's go out. */
Test(relay_sink, recipient_group_subset)
{
	static const char *const r[] = { "one@example.net",
	    "two@example.net", "three@example.net", NULL };
	struct treq	 t;
	char		*dump;

	sink_start(NULL);
	relay_start();
	treq_init(&t, "a@example.org", r, NULL, 0);
	t.idx[0] = 2;
	t.req.nrcpt = 1;
	relay_submit(relay, &t.req);
	run_until(1);
	assert_reply(&t, 250, "2.0.0");
	dump = sink_one_dump(T_MSG, sizeof(T_MSG) - 1);
	cr_assert_eq(count_str(dump, "X-Rcpt-Args:"), 1);
	cr_assert_not_null(strstr(dump, "X-Rcpt-Args: <three@example.net>\n"));
	free(dump);
	treq_close(&t);
}

static char *
big_message(size_t target, size_t *len)
{
	static const char hdr[] = "Subject: big\r\n\r\n";
	char	*m = malloc(target + 128);
	size_t	 o;
	unsigned line = 0;

	cr_assert_not_null(m);
	memcpy(m, hdr, sizeof(hdr) - 1);
	o = sizeof(hdr) - 1;
	while (o < target) {
		/* Every 7th line starts with a dot, to stuff across chunks. */
		o += (size_t)sprintf(m + o, "%s%08u abcdefghijklmnopqrstuvwxyz "
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789\r\n",
		    line % 7 == 0 ? "." : "", line);
		line++;
	}
	*len = o;
	return m;
}

Test(relay_sink, five_mib_message)
{
	static const char *const r[] = { "b@example.net", NULL };
	struct treq	 t;
	char		*msg, *dump;
	size_t		 len, peak;

	msg = big_message(5 * 1024 * 1024, &len);
	sink_start(NULL);
	relay_start();
	treq_init(&t, "a@example.org", r, msg, len);
	relay_submit(relay, &t.req);
	peak = run_until_peak();
	assert_reply(&t, 250, "2.0.0");
	cr_log_info("5 MiB: at most %zu bytes queued", peak);
	cr_assert_leq(peak, T_OUT_BOUND / 2, "%zu bytes queued at once", peak);
	dump = sink_one_dump(msg, len);
	free(dump);
	free(msg);
	treq_close(&t);
}

Test(relay_sink, without_pipelining)
{
	static const char *const r[] = { "one@example.net",
	    "two@example.net", NULL };
	struct treq	 t;
	char		*dump;

	sink_start("-p", NULL);
	relay_start();
	treq_init(&t, "a@example.org", r, NULL, 0);
	relay_submit(relay, &t.req);
	run_until(1);
	assert_reply(&t, 250, "2.0.0");
	dump = sink_one_dump(T_MSG, sizeof(T_MSG) - 1);
	free(dump);
	treq_close(&t);
}

Test(relay_sink, relay_down_is_4xx)
{
	struct treq	 t;

	relay_conf_port(free_port());	/* nothing listens there */
	relay_start();
	treq_simple(&t);
	relay_submit(relay, &t.req);
	cr_assert_eq(t.called, 0);
	run_until(1);
	assert_reply(&t, 451, "4.4.1");
	cr_assert_not_null(strstr(t.res.reply.text, rconf.name), "%s",
	    t.res.reply.text);
	cr_assert_not_null(strstr(t.res.reply.text, "refused"), "%s",
	    t.res.reply.text);
	treq_close(&t);
}

static void
sink_no_message(void)
{
	char		 files[4][160], *dump;
	int		 i, n = sink_dumps(files, 4);

	for (i = 0; i < n; i++) {
		dump = read_file(files[i], NULL);
		cr_assert(dump == NULL || strstr(dump, "Subject:") == NULL,
		    "a message was delivered");
		free(dump);
	}
}

/* The memfd is shorter than its stated size: no dot, a 4xx. */
Test(relay_sink, unreadable_message_is_4xx_without_dot)
{
	struct treq	 t;
	char		*log;

	sink_start(NULL);
	relay_start();
	treq_simple(&t);
	t.req.size += 100;
	relay_submit(relay, &t.req);
	run_until(1);
	assert_reply(&t, 451, "4.3.0");
	run_for(0.1);
	log = sink_log();
	cr_assert_eq(count_str(log, "smtp-sink: .\n"), 0, "%s", log);
	cr_assert_eq(count_str(log, "smtp-sink: DATA\n"), 1, "%s", log);
	free(log);
	treq_close(&t);
}

Test(relay_sink, rcpt_4xx_passed_through)
{
	struct treq	 t;

	sink_start("-r", "RCPT", NULL);
	relay_start();
	treq_simple(&t);
	relay_submit(relay, &t.req);
	run_until(1);
	assert_reply(&t, 450, "4.3.0");
	cr_assert_str_eq(t.res.reply.text, "relay said: Error: command failed");
	sink_no_message();
	treq_close(&t);
}

Test(relay_sink, rcpt_5xx_passed_through)
{
	struct treq	 t;

	sink_start("-f", "RCPT", NULL);
	relay_start();
	treq_simple(&t);
	relay_submit(relay, &t.req);
	run_until(1);
	assert_reply(&t, 500, "5.3.0");
	sink_no_message();
	treq_close(&t);
}

Test(relay_sink, data_5xx_passed_through)
{
	struct treq	 t;

	sink_start("-f", "DATA", NULL);
	relay_start();
	treq_simple(&t);
	relay_submit(relay, &t.req);
	run_until(1);
	assert_reply(&t, 500, "5.3.0");
	sink_no_message();
	treq_close(&t);
}

Test(relay_sink, end_of_data_5xx_and_4xx_passed_through)
{
	struct treq	 t;

	sink_start("-f", ".", NULL);
	relay_start();
	treq_simple(&t);
	relay_submit(relay, &t.req);
	run_until(1);
	assert_reply(&t, 500, "5.3.0");
	treq_close(&t);
	relay_stop();
	sink_cleanup();

	ndone = 0;
	sink_start("-r", ".", NULL);
	relay_start();
	treq_simple(&t);
	relay_submit(relay, &t.req);
	run_until(1);
	assert_reply(&t, 450, "4.3.0");
	treq_close(&t);
}

Test(relay_sink, mail_421_becomes_451)
{
	struct treq	 t;

	sink_start("-Q", "MAIL", NULL);
	relay_start();
	treq_simple(&t);
	relay_submit(relay, &t.req);
	run_until(1);
	cr_assert_eq(t.res.reply.code, 451);
	cr_assert_eq(t.res.reply.enhanced[0], '4');
	cr_assert_eq(t.res.accepted, 0);
	treq_close(&t);
}

Test(relay_sink, disconnect_at_data_is_4xx)
{
	struct treq	 t;

	sink_start("-q", "DATA", NULL);
	relay_start();
	treq_simple(&t);
	relay_submit(relay, &t.req);
	run_until(1);
	assert_reply(&t, 451, "4.4.2");
	cr_assert_not_null(strstr(t.res.reply.text, "lost connection"), "%s",
	    t.res.reply.text);
	treq_close(&t);
}

Test(relay_sink, disconnect_at_dot_is_4xx)
{
	struct treq	 t;

	sink_start("-q", ".", NULL);
	relay_start();
	treq_simple(&t);
	relay_submit(relay, &t.req);
	run_until(1);
	assert_reply(&t, 451, "4.4.2");
	treq_close(&t);
}

Test(relay_sink, timeout_is_4xx)
{
	struct treq	 t;
	struct timespec	 t0, t1;
	double		 secs;

	sink_start("-w", "3", NULL);	/* waits 3 s before answering DATA */
	t_tv(&rconf.command_timeout, 0.3);
	relay_start();
	treq_simple(&t);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	relay_submit(relay, &t.req);
	run_until(1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_reply(&t, 451, "4.4.2");
	cr_assert_not_null(strstr(t.res.reply.text, "timeout"), "%s",
	    t.res.reply.text);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	cr_assert(secs < 2.0, "took %.2f s", secs);
	treq_close(&t);
}

Test(relay_sink, connection_reused)
{
	struct treq		 t1, t2;
	struct relay_stats	 st;
	char			*log;

	sink_start(NULL);
	relay_start();
	treq_simple(&t1);
	relay_submit(relay, &t1.req);
	run_until(1);
	assert_reply(&t1, 250, "2.0.0");
	treq_simple(&t2);
	relay_submit(relay, &t2.req);
	run_until(2);
	assert_reply(&t2, 250, "2.0.0");
	relay_get_stats(relay, &st);
	cr_assert_eq(st.connects, 1);
	cr_assert_eq(st.reuses, 1);
	cr_assert_eq(st.accepted, 2);
	cr_assert_eq(st.idle, 1);
	relay_stop();
	usleep(100000);
	log = sink_log();
	cr_assert_eq(count_str(log, "smtp-sink: connect ("), 1, "%s", log);
	cr_assert_eq(count_str(log, "smtp-sink: EHLO"), 1);
	cr_assert_eq(count_str(log, "smtp-sink: MAIL FROM"), 2);
	free(log);
	treq_close(&t1);
	treq_close(&t2);
}

/* After a refusal the session is RSET and then carries the next message. */
Test(relay_sink, rset_after_failure_then_reuse)
{
	static const char *const bad[] = { "bad@example.net", NULL };
	struct treq		 t1, t2;
	struct relay_stats	 st;
	char			*log;

	sink_start("-r", "RCPT", NULL);
	relay_start();
	treq_init(&t1, "a@example.org", bad, NULL, 0);
	relay_submit(relay, &t1.req);
	run_until(1);
	assert_reply(&t1, 450, "4.3.0");
	treq_simple(&t2);
	relay_submit(relay, &t2.req);
	run_until(2);
	assert_reply(&t2, 450, "4.3.0");
	relay_get_stats(relay, &st);
	cr_assert_eq(st.connects, 1);
	run_for(0.1);
	log = sink_log();
	cr_assert_eq(count_str(log, "smtp-sink: RSET"), 2, "%s", log);
	cr_assert_eq(count_str(log, "smtp-sink: DATA"), 0, "%s", log);
	free(log);
	treq_close(&t1);
	treq_close(&t2);
}

Test(relay_sink, parallel_requests_share_bounded_sessions)
{
	struct treq		 t[6];
	struct relay_stats	 st;
	char			 files[8][160];
	int			 i;

	sink_start(NULL);
	rconf.max_sessions = 2;
	rconf.max_idle = 1;
	relay_start();
	for (i = 0; i < 6; i++) {
		treq_simple(&t[i]);
		relay_submit(relay, &t[i].req);
	}
	relay_get_stats(relay, &st);
	cr_assert_eq(st.queued, 6);
	run_until(6);
	for (i = 0; i < 6; i++)
		assert_reply(&t[i], 250, "2.0.0");
	relay_get_stats(relay, &st);
	cr_assert_eq(st.connects, 2);
	cr_assert_eq(st.accepted, 6);
	cr_assert_eq(st.queued, 0);
	run_for(0.1);
	relay_get_stats(relay, &st);
	cr_assert_eq(st.idle, 1, "max_idle: %u idle", st.idle);
	cr_assert_eq(st.sessions, 1, "%u sessions", st.sessions);
	cr_assert_eq(sink_dumps(files, 8), 6);
	for (i = 0; i < 6; i++)
		treq_close(&t[i]);
}

Test(relay_sink, idle_session_quits)
{
	struct treq		 t;
	struct relay_stats	 st;
	char			*log;

	sink_start(NULL);
	t_tv(&rconf.idle_timeout, 0.2);
	relay_start();
	treq_simple(&t);
	relay_submit(relay, &t.req);
	run_until(1);
	assert_reply(&t, 250, "2.0.0");
	run_for(0.5);
	relay_get_stats(relay, &st);
	cr_assert_eq(st.sessions, 0);
	log = sink_log();
	cr_assert_eq(count_str(log, "smtp-sink: QUIT"), 1, "%s", log);
	free(log);
	treq_close(&t);
}

Test(relay_sink, cancel)
{
	struct treq		 t1, t2, t3;
	struct relay_stats	 st;

	sink_start("-w", "1", NULL);
	relay_start();
	/* Cancelled while queued. */
	treq_simple(&t1);
	relay_submit(relay, &t1.req);
	relay_cancel(&t1.req);
	/* Cancelled in the middle of its transaction. */
	treq_simple(&t2);
	relay_submit(relay, &t2.req);
	run_for(0.3);
	relay_get_stats(relay, &st);
	cr_assert_eq(st.sessions, 1);
	relay_cancel(&t2.req);
	relay_get_stats(relay, &st);
	cr_assert_eq(st.sessions, 0);
	/* The relay carries on. */
	treq_simple(&t3);
	relay_submit(relay, &t3.req);
	run_until(1);
	cr_assert_eq(t1.called, 0);
	cr_assert_eq(t2.called, 0);
	assert_reply(&t3, 250, "2.0.0");
	free(sink_one_dump(T_MSG, sizeof(T_MSG) - 1));	/* t3's only */
	treq_close(&t1);
	treq_close(&t2);
	treq_close(&t3);
}

static void
free_from_done(struct relay_request *req, const struct relay_result *res)
{
	t_done(req, res);
	relay_free(relay);
	relay = NULL;
}

Test(relay_sink, free_from_done)
{
	struct treq	 t1, t2;

	sink_start(NULL);
	relay_start();
	treq_simple(&t1);
	treq_simple(&t2);
	t1.req.done = free_from_done;
	t2.req.done = free_from_done;
	relay_submit(relay, &t1.req);
	relay_submit(relay, &t2.req);
	run_until(1);
	run_for(0.2);
	cr_assert_eq(ndone, 1, "done() after relay_free()");
	treq_close(&t1);
	treq_close(&t2);
}

Test(relay_sink, eightbit_without_8bitmime_is_554)
{
	struct treq	 t1, t2;
	char		*log;

	sink_start("-8", NULL);
	relay_start();
	treq_simple(&t1);
	relay_submit(relay, &t1.req);
	run_until(1);
	assert_reply(&t1, 250, "2.0.0");
	/* On the pooled session the refusal is immediate, yet deferred. */
	treq_simple(&t2);
	t2.req.eightbit = 1;
	relay_submit(relay, &t2.req);
	cr_assert_eq(t2.called, 0, "done() inside relay_submit()");
	run_until(2);
	assert_reply(&t2, 554, "5.6.3");
	log = sink_log();
	cr_assert_eq(count_str(log, "smtp-sink: MAIL FROM"), 1);
	free(log);
	treq_close(&t1);
	treq_close(&t2);
}

Test(relay_sink, body_8bitmime_only_for_8bit)
{
	static const char	 msg[] = "Subject: caf\xc3\xa9\r\n\r\n"
	    "\xc3\xa9t\xc3\xa9\r\n";
	static const char *const r[] = { "b@example.net", NULL };
	struct treq		 t1, t2;
	char			*log;

	sink_start(NULL);
	relay_start();
	treq_init(&t1, "a@example.org", r, msg, sizeof(msg) - 1);
	t1.req.eightbit = 1;
	relay_submit(relay, &t1.req);
	run_until(1);
	assert_reply(&t1, 250, "2.0.0");
	free(sink_one_dump(msg, sizeof(msg) - 1));
	treq_simple(&t2);
	t2.env.body = BODY_8BITMIME;	/* declared, but 7-bit by now */
	relay_submit(relay, &t2.req);
	run_until(2);
	assert_reply(&t2, 250, "2.0.0");
	log = sink_log();
	cr_assert_eq(count_str(log, "MAIL FROM:<a@example.org> BODY=8BITMIME"),
	    1, "%s", log);
	cr_assert_eq(count_str(log, "MAIL FROM:<a@example.org>\n"), 1, "%s",
	    log);
	free(log);
	treq_close(&t1);
	treq_close(&t2);
}

Test(relay_sink, smtputf8_not_offered_is_553)
{
	static const char *const r[] = { "j\xc3\xb6rg@example.net", NULL };
	struct treq	 t;

	sink_start(NULL);
	relay_start();
	treq_init(&t, "a@example.org", r, NULL, 0);
	t.env.smtputf8 = 1;
	relay_submit(relay, &t.req);
	run_until(1);
	assert_reply(&t, 553, "5.6.7");
	treq_close(&t);
}

/* SMTPUTF8 declared upstream but every address ASCII: goes without it. */
Test(relay_sink, smtputf8_declared_but_ascii)
{
	struct treq	 t;

	sink_start(NULL);
	relay_start();
	treq_simple(&t);
	t.env.smtputf8 = 1;
	relay_submit(relay, &t.req);
	run_until(1);
	assert_reply(&t, 250, "2.0.0");
	treq_close(&t);
}

static void
treq_dsn(struct treq *t)
{
	static const char *const r[] = { "b@example.net", "c@example.net",
	    NULL };

	treq_init(t, "a@example.org", r, NULL, 0);
	t->env.ret = RET_HDRS;
	snprintf(t->env.envid, sizeof(t->env.envid), "QQ314159");
	t->rcpts[0].notify = NOTIFY_SUCCESS | NOTIFY_FAILURE;
	snprintf(t->rcpts[0].orcpt, sizeof(t->rcpts[0].orcpt),
	    "rfc822;b@example.net");
	t->rcpts[1].notify = NOTIFY_NEVER;
}

Test(relay_sink, dsn_when_offered)
{
	struct treq	 t;
	char		*dump;

	sink_start(NULL);
	relay_start();
	treq_dsn(&t);
	relay_submit(relay, &t.req);
	run_until(1);
	assert_reply(&t, 250, "2.0.0");
	dump = sink_one_dump(T_MSG, sizeof(T_MSG) - 1);
	cr_assert_not_null(strstr(dump,
	    "X-Mail-Args: <a@example.org> RET=HDRS ENVID=QQ314159\n"), "%s",
	    dump);
	cr_assert_not_null(strstr(dump, "X-Rcpt-Args: <b@example.net> "
	    "NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@example.net\n"), "%s", dump);
	cr_assert_not_null(strstr(dump,
	    "X-Rcpt-Args: <c@example.net> NOTIFY=NEVER\n"), "%s", dump);
	free(dump);
	treq_close(&t);
}

Test(relay_sink, no_dsn_when_not_offered)
{
	struct treq	 t;
	char		*dump;

	sink_start("-N", NULL);
	relay_start();
	treq_dsn(&t);
	relay_submit(relay, &t.req);
	run_until(1);
	assert_reply(&t, 250, "2.0.0");
	dump = sink_one_dump(T_MSG, sizeof(T_MSG) - 1);
	cr_assert_not_null(strstr(dump, "X-Mail-Args: <a@example.org>\n"));
	cr_assert_not_null(strstr(dump, "X-Rcpt-Args: <b@example.net>\n"));
	cr_assert_not_null(strstr(dump, "X-Rcpt-Args: <c@example.net>\n"));
	free(dump);
	treq_close(&t);
}

static void
xforward_run(const char *sinkopt, int want)
{
	struct treq	 t;
	char		*log;

	sink_start(sinkopt, NULL);
	relay_start();
	treq_simple(&t);
	snprintf(t.env.xforward, sizeof(t.env.xforward),
	    "NAME=client.example.org ADDR=192.0.2.7 PORT=2525 PROTO=ESMTP "
	    "HELO=client.example.org");
	relay_submit(relay, &t.req);
	run_until(1);
	assert_reply(&t, 250, "2.0.0");
	log = sink_log();
	/* smtp-sink takes NAME ADDR PROTO HELO: PORT stays out. */
	cr_assert_eq(count_str(log, "smtp-sink: XFORWARD NAME=client.example.org"
	    " ADDR=192.0.2.7 PROTO=ESMTP HELO=client.example.org\n"), want,
	    "%s", log);
	cr_assert_eq(count_str(log, "XFORWARD"), want, "%s", log);
	free(log);
	treq_close(&t);
}

Test(relay_sink, xforward_when_offered)
{
	xforward_run(NULL, 1);
}

Test(relay_sink, no_xforward_when_not_offered)
{
	xforward_run("-F", 0);
}

Test(relay_sink, tls_required_but_not_offered)
{
	struct treq	 t;
	char		*log;

	sink_start(NULL);
	rconf.tls = RELAY_TLS_REQUIRE;
	rconf.ssl_ctx = SSL_CTX_new(TLS_client_method());
	relay_start();
	treq_simple(&t);
	relay_submit(relay, &t.req);
	run_until(1);
	assert_reply(&t, 451, "4.7.4");
	log = sink_log();
	cr_assert_eq(count_str(log, "smtp-sink: MAIL FROM"), 0);
	free(log);
	treq_close(&t);
}

Test(relay_sink, tls_opportunistic_goes_plain)
{
	struct treq	 t;

	sink_start(NULL);
	rconf.tls = RELAY_TLS_OPPORTUNISTIC;
	rconf.ssl_ctx = SSL_CTX_new(TLS_client_method());
	relay_start();
	treq_simple(&t);
	relay_submit(relay, &t.req);
	run_until(1);
	assert_reply(&t, 250, "2.0.0");
	treq_close(&t);
}

Test(relay_sink, config_checks)
{
	struct relay_config	 c;

	memset(&c, 0, sizeof(c));
	cr_assert_null(relay_new(base, &c), "no address");
	sink_start(NULL);
	c = rconf;
	c.tls = RELAY_TLS_REQUIRE;
	c.ssl_ctx = NULL;
	cr_assert_null(relay_new(base, &c), "TLS without a context");
}

/* ------------------------------------------------------------ scripted relay */

static pid_t	 fake_pid = -1;

struct fconn {
	int	 fd;
	SSL	*ssl;
	char	 buf[8192];
	size_t	 len;
};

static void fake_fail(const char *, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

static void
fake_fail(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "fake relay: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	_exit(3);
}

static void
fc_accept(int lfd, struct fconn *c)
{
	memset(c, 0, sizeof(*c));
	if ((c->fd = accept(lfd, NULL, NULL)) == -1)
		fake_fail("accept: %s", strerror(errno));
}

static void
fc_close(struct fconn *c)
{
	if (c->ssl != NULL)
		SSL_free(c->ssl);
	close(c->fd);
	c->ssl = NULL;
}

static void
fc_write(struct fconn *c, const char *s, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		n = c->ssl != NULL ? SSL_write(c->ssl, s, (int)len) :
		    write(c->fd, s, len);
		if (n <= 0)
			fake_fail("write failed");
		s += n;
		len -= (size_t)n;
	}
}

static void
fc_send(struct fconn *c, const char *s)
{
	fc_write(c, s, strlen(s));
}

/* A line without its CRLF; -1 at EOF. */
static int
fc_line(struct fconn *c, char *line, size_t size)
{
	char	*nl;
	ssize_t	 n;
	size_t	 len;

	for (;;) {
		if ((nl = memchr(c->buf, '\n', c->len)) != NULL) {
			len = (size_t)(nl - c->buf);
			if (len > 0 && c->buf[len - 1] == '\r')
				len--;
			if (len >= size)
				fake_fail("line too long");
			memcpy(line, c->buf, len);
			line[len] = '\0';
			len = (size_t)(nl - c->buf) + 1;
			memmove(c->buf, c->buf + len, c->len - len);
			c->len -= len;
			return 0;
		}
		if (c->len == sizeof(c->buf))
			fake_fail("no line end");
		n = c->ssl != NULL ? SSL_read(c->ssl, c->buf + c->len,
		    (int)(sizeof(c->buf) - c->len)) :
		    read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (n <= 0)
			return -1;
		c->len += (size_t)n;
	}
}

static void
fc_expect(struct fconn *c, const char *prefix, char *line, size_t size)
{
	char	 buf[1024];

	if (line == NULL) {
		line = buf;
		size = sizeof(buf);
	}
	if (fc_line(c, line, size) == -1)
		fake_fail("EOF, expected %s", prefix);
	if (strncasecmp(line, prefix, strlen(prefix)) != 0)
		fake_fail("got \"%s\", expected %s", line, prefix);
}

/* The client ends the session: EOF, or QUIT answered. */
static void
fc_end(struct fconn *c)
{
	char	 line[1024];

	if (fc_line(c, line, sizeof(line)) == -1)
		return;
	if (strcasecmp(line, "QUIT") != 0)
		fake_fail("got \"%s\", expected QUIT or EOF", line);
	fc_send(c, "221 2.0.0 Bye\r\n");
}

/* Nothing more arrives before EOF (no body after a refused RCPT). */
static void
fc_expect_eof(struct fconn *c)
{
	char	 buf[256];
	ssize_t	 n;

	if (c->len > 0)
		fake_fail("%zu unexpected bytes", c->len);
	n = read(c->fd, buf, sizeof(buf));
	if (n > 0)
		fake_fail("%zd unexpected bytes: %.*s", n, (int)n, buf);
}

/* Without PIPELINING, the client waits for each reply. */
static void
fc_nothing_pending(struct fconn *c)
{
	struct pollfd	 pfd = { .fd = c->fd, .events = POLLIN };

	if (c->len > 0 || poll(&pfd, 1, 50) > 0)
		fake_fail("client pipelined without PIPELINING");
}

/* Greeting and EHLO; caps: NULL-terminated extension lines. */
static void
fc_hello(struct fconn *c, const char *const *caps)
{
	char	 line[600];
	size_t	 i;

	if (c->ssl == NULL)
		fc_send(c, "220 fake.test ESMTP\r\n");
	fc_expect(c, "EHLO pgpmg.test", NULL, 0);
	for (i = 0; caps[i] != NULL; i++)
		;
	snprintf(line, sizeof(line), "250%cfake.test\r\n", i ? '-' : ' ');
	fc_send(c, line);
	for (i = 0; caps[i] != NULL; i++) {
		snprintf(line, sizeof(line), "250%c%s\r\n",
		    caps[i + 1] != NULL ? '-' : ' ', caps[i]);
		fc_send(c, line);
	}
}

/* The data up to the dot, unstuffed, compared with want. */
static void
fc_data(struct fconn *c, const char *want, size_t wantlen)
{
	char	 line[1024];
	char	*got = malloc(wantlen + 4096);
	size_t	 len = 0, n;

	if (got == NULL)
		fake_fail("malloc");
	for (;;) {
		if (fc_line(c, line, sizeof(line)) == -1)
			fake_fail("EOF in data");
		if (strcmp(line, ".") == 0)
			break;
		n = strlen(line);
		if (len + n + 2 > wantlen + 4096)
			fake_fail("data too long");
		memcpy(got + len, line[0] == '.' ? line + 1 : line,
		    line[0] == '.' ? n - 1 : n);
		len += line[0] == '.' ? n - 1 : n;
		memcpy(got + len, "\r\n", 2);
		len += 2;
	}
	if (len != wantlen || memcmp(got, want, len) != 0)
		fake_fail("data differs (%zu bytes, want %zu)", len, wantlen);
	free(got);
}

/* The message the scripted relay expects; NULL: T_MSG. */
static const char	*fake_msg;
static size_t		 fake_msglen;

/* MAIL, nrcpt RCPTs, DATA, the message, all accepted. */
static void
fc_txn(struct fconn *c, size_t nrcpt, char *mail, size_t mailsz)
{
	size_t	 i;

	fc_expect(c, "MAIL FROM:", mail, mailsz);
	fc_send(c, "250 2.1.0 Ok\r\n");
	for (i = 0; i < nrcpt; i++) {
		fc_expect(c, "RCPT TO:", NULL, 0);
		fc_send(c, "250 2.1.5 Ok\r\n");
	}
	fc_expect(c, "DATA", NULL, 0);
	fc_send(c, "354 go ahead\r\n");
	if (fake_msg != NULL)
		fc_data(c, fake_msg, fake_msglen);
	else
		fc_data(c, T_MSG, sizeof(T_MSG) - 1);
	fc_send(c, "250 2.0.0 Ok: queued as FAKE1\r\n");
}

static void
fake_start(void (*script)(int))
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 lfd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_neq(lfd = socket(AF_INET, SOCK_STREAM, 0), -1);
	cr_assert_eq(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(listen(lfd, 8), 0);
	cr_assert_eq(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
	relay_conf_port(ntohs(sin.sin_port));
	fake_pid = fork();
	cr_assert_neq(fake_pid, -1);
	if (fake_pid == 0) {
		alarm(T_FAKE_LIFE);
		script(lfd);
		_exit(0);
	}
	close(lfd);
}

/* Close the relay (the script sees EOF) and check the script passed. */
static void
fake_finish(void)
{
	int	 st;

	run_for(0.05);	/* let a pending RSET or QUIT go out */
	relay_stop();
	/* libevent closes a freed bufferevent's socket from the loop. */
	run_for(0.01);
	cr_assert_eq(waitpid(fake_pid, &st, 0), fake_pid);
	fake_pid = -1;
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "scripted relay failed (status %d)", st);
}

static void
script_size_limit(int lfd)
{
	static const char *const caps[] = { "PIPELINING", "SIZE 1000", NULL };
	struct fconn	 c;

	fc_accept(lfd, &c);
	fc_hello(&c, caps);
	fc_end(&c);	/* a MAIL here fails the script */
}

Test(relay_fake, size_over_limit_is_552_without_sending)
{
	static const char *const r[] = { "b@example.net", NULL };
	struct treq	 t;
	char		*msg;
	size_t		 len;

	fake_start(script_size_limit);
	relay_start();
	msg = big_message(5000, &len);
	treq_init(&t, "a@example.org", r, msg, len);
	relay_submit(relay, &t.req);
	run_until(1);
	assert_reply(&t, 552, "5.3.4");
	fake_finish();
	free(msg);
	treq_close(&t);
}

static void
script_size_param(int lfd)
{
	static const char *const caps[] = { "PIPELINING", "SIZE 100000",
	    "ENHANCEDSTATUSCODES", NULL };
	struct fconn	 c;
	char		 mail[1024], want[64];

	fc_accept(lfd, &c);
	fc_hello(&c, caps);
	fc_txn(&c, 1, mail, sizeof(mail));
	snprintf(want, sizeof(want), "MAIL FROM:<a@example.org> SIZE=%zu",
	    sizeof(T_MSG) - 1);
	if (strcmp(mail, want) != 0)
		fake_fail("got \"%s\", want \"%s\"", mail, want);
	fc_end(&c);
}

Test(relay_fake, size_param_when_offered)
{
	struct treq	 t;

	fake_start(script_size_param);
	relay_start();
	treq_simple(&t);
	relay_submit(relay, &t.req);
	run_until(1);
	assert_reply(&t, 250, "2.0.0");
	cr_assert_str_eq(t.res.reply.text, "relay said: Ok: queued as FAKE1");
	fake_finish();
	treq_close(&t);
}

static void
script_smtputf8(int lfd)
{
	static const char *const caps[] = { "PIPELINING", "8BITMIME",
	    "SMTPUTF8", NULL };
	struct fconn	 c;
	char		 mail[1024];

	fc_accept(lfd, &c);
	fc_hello(&c, caps);
	fc_txn(&c, 1, mail, sizeof(mail));
	if (strcmp(mail, "MAIL FROM:<pel\xc3\xa9@example.org> SMTPUTF8") != 0)
		fake_fail("got \"%s\"", mail);
	fc_end(&c);
}

Test(relay_fake, smtputf8_when_offered)
{
	static const char *const r[] = { "b@example.net", NULL };
	struct treq	 t;

	fake_start(script_smtputf8);
	relay_start();
	treq_init(&t, "pel\xc3\xa9@example.org", r, NULL, 0);
	t.env.smtputf8 = 1;
	relay_submit(relay, &t.req);
	run_until(1);
	assert_reply(&t, 250, "2.0.0");
	fake_finish();
	treq_close(&t);
}

static void
script_no_pipelining(int lfd)
{
	static const char *const caps[] = { "8BITMIME", NULL };
	struct fconn	 c;
	int		 i;

	fc_accept(lfd, &c);
	fc_hello(&c, caps);
	fc_expect(&c, "MAIL FROM:", NULL, 0);
	fc_nothing_pending(&c);
	fc_send(&c, "250 2.1.0 Ok\r\n");
	for (i = 0; i < 2; i++) {
		fc_expect(&c, "RCPT TO:", NULL, 0);
		fc_nothing_pending(&c);
		fc_send(&c, "250 2.1.5 Ok\r\n");
	}
	fc_expect(&c, "DATA", NULL, 0);
	fc_send(&c, "354 go ahead\r\n");
	fc_data(&c, T_MSG, sizeof(T_MSG) - 1);
	fc_send(&c, "250 2.0.0 Ok\r\n");
	fc_end(&c);
}

Test(relay_fake, waits_for_each_reply_without_pipelining)
{
	static const char *const r[] = { "b@example.net", "c@example.net",
	    NULL };
	struct treq	 t;

	fake_start(script_no_pipelining);
	relay_start();
	treq_init(&t, "a@example.org", r, NULL, 0);
	relay_submit(relay, &t.req);
	run_until(1);
	assert_reply(&t, 250, "2.0.0");
	fake_finish();
	treq_close(&t);
}

static void
script_partial_refusal(int lfd)
{
	static const char *const caps[] = { "PIPELINING", NULL };
	struct fconn	 c;

	fc_accept(lfd, &c);
	fc_hello(&c, caps);
	fc_expect(&c, "MAIL FROM:", NULL, 0);
	fc_send(&c, "250 2.1.0 Ok\r\n");
	fc_expect(&c, "RCPT TO:<b@", NULL, 0);
	fc_send(&c, "250 2.1.5 Ok\r\n");
	fc_expect(&c, "RCPT TO:<c@", NULL, 0);
	fc_send(&c, "550-5.1.1 <c@example.net>: no such user\r\n"
	    "550 5.1.1 try another\r\n");
	fc_expect(&c, "DATA", NULL, 0);
	fc_send(&c, "354 go ahead\r\n");
	/* The client must close without a body or a dot. */
	fc_expect_eof(&c);
}

Test(relay_fake, one_refused_recipient_fails_the_group)
{
	static const char *const r[] = { "b@example.net", "c@example.net",
	    NULL };
	struct treq	 t;

	fake_start(script_partial_refusal);
	relay_start();
	treq_init(&t, "a@example.org", r, NULL, 0);
	relay_submit(relay, &t.req);
	run_until(1);
	assert_reply(&t, 550, "5.1.1");
	cr_assert_str_eq(t.res.reply.text,
	    "relay said: <c@example.net>: no such user");
	fake_finish();
	treq_close(&t);
}

static void
script_mixed_refusals(int lfd)
{
	static const char *const caps[] = { "PIPELINING", NULL };
	struct fconn	 c;

	fc_accept(lfd, &c);
	fc_hello(&c, caps);
	fc_expect(&c, "MAIL FROM:", NULL, 0);
	fc_send(&c, "250 2.1.0 Ok\r\n");
	fc_expect(&c, "RCPT TO:<b@", NULL, 0);
	fc_send(&c, "550 5.1.1 no such user\r\n");
	fc_expect(&c, "RCPT TO:<c@", NULL, 0);
	fc_send(&c, "452 4.2.2 mailbox full\r\n");
	fc_expect(&c, "DATA", NULL, 0);
	fc_send(&c, "554 5.5.1 no valid recipients\r\n");
	fc_expect(&c, "RSET", NULL, 0);
	fc_send(&c, "250 2.0.0 Ok\r\n");
	fc_end(&c);
}

Test(relay_fake, temporary_refusal_wins_over_permanent)
{
	static const char *const r[] = { "b@example.net", "c@example.net",
	    NULL };
	struct treq	 t;

	fake_start(script_mixed_refusals);
	relay_start();
	treq_init(&t, "a@example.org", r, NULL, 0);
	relay_submit(relay, &t.req);
	run_until(1);
	assert_reply(&t, 452, "4.2.2");
	fake_finish();
	treq_close(&t);
}

static int	 pooled_dies_with_421;

static void
script_pooled_dies(int lfd)
{
	static const char *const caps[] = { "PIPELINING", NULL };
	struct fconn	 c;

	fc_accept(lfd, &c);
	fc_hello(&c, caps);
	fc_txn(&c, 1, NULL, 0);
	/* The next transaction arrives; the relay has given up on us. */
	fc_expect(&c, "MAIL FROM:", NULL, 0);
	if (pooled_dies_with_421)
		fc_send(&c, "421 4.4.2 fake.test timeout exceeded\r\n");
	fc_close(&c);
	fc_accept(lfd, &c);
	fc_hello(&c, caps);
	fc_txn(&c, 1, NULL, 0);
	fc_end(&c);
}

Test(relay_fake, dead_pooled_session_retried_once)
{
	struct treq		 t1, t2;
	struct relay_stats	 st;

	fake_start(script_pooled_dies);
	relay_start();
	treq_simple(&t1);
	relay_submit(relay, &t1.req);
	run_until(1);
	assert_reply(&t1, 250, "2.0.0");
	treq_simple(&t2);
	relay_submit(relay, &t2.req);
	run_until(2);
	assert_reply(&t2, 250, "2.0.0");
	relay_get_stats(relay, &st);
	cr_assert_eq(st.connects, 2);
	cr_assert_eq(st.retries, 1);
	fake_finish();
	treq_close(&t1);
	treq_close(&t2);
}

Test(relay_fake, pooled_session_421_retried_once)
{
	struct treq		 t1, t2;
	struct relay_stats	 st;

	pooled_dies_with_421 = 1;
	fake_start(script_pooled_dies);
	relay_start();
	treq_simple(&t1);
	relay_submit(relay, &t1.req);
	run_until(1);
	treq_simple(&t2);
	relay_submit(relay, &t2.req);
	run_until(2);
	assert_reply(&t2, 250, "2.0.0");
	relay_get_stats(relay, &st);
	cr_assert_eq(st.retries, 1);
	fake_finish();
	treq_close(&t1);
	treq_close(&t2);
}

static void
script_idle_closed(int lfd)
{
	static const char *const caps[] = { "PIPELINING", NULL };
	struct fconn	 c;

	fc_accept(lfd, &c);
	fc_hello(&c, caps);
	fc_txn(&c, 1, NULL, 0);
	fc_send(&c, "421 4.4.2 fake.test timeout exceeded\r\n");
	fc_close(&c);
	fc_accept(lfd, &c);
	fc_hello(&c, caps);
	fc_txn(&c, 1, NULL, 0);
	fc_end(&c);
}

Test(relay_fake, idle_session_closed_by_relay)
{
	struct treq		 t1, t2;
	struct relay_stats	 st;

	fake_start(script_idle_closed);
	relay_start();
	treq_simple(&t1);
	relay_submit(relay, &t1.req);
	run_until(1);
	assert_reply(&t1, 250, "2.0.0");
	run_for(0.2);
	relay_get_stats(relay, &st);
	cr_assert_eq(st.sessions, 0, "the closed session is still pooled");
	treq_simple(&t2);
	relay_submit(relay, &t2.req);
	run_until(2);
	assert_reply(&t2, 250, "2.0.0");
	relay_get_stats(relay, &st);
	cr_assert_eq(st.connects, 2);
	cr_assert_eq(st.retries, 0);
	fake_finish();
	treq_close(&t1);
	treq_close(&t2);
}

static void
script_helo_fallback(int lfd)
{
	struct fconn	 c;
	char		 mail[1024];

	fc_accept(lfd, &c);
	fc_send(&c, "220 old.test SMTP\r\n");
	fc_expect(&c, "EHLO pgpmg.test", NULL, 0);
	fc_send(&c, "502 5.5.2 command not recognized\r\n");
	fc_expect(&c, "HELO pgpmg.test", NULL, 0);
	fc_send(&c, "250 old.test\r\n");
	fc_txn(&c, 1, mail, sizeof(mail));
	if (strcmp(mail, "MAIL FROM:<a@example.org>") != 0)
		fake_fail("ESMTP parameters to an SMTP server: %s", mail);
	fc_end(&c);
}

Test(relay_fake, helo_fallback_sends_no_parameters)
{
	struct treq	 t;

	fake_start(script_helo_fallback);
	relay_start();
	treq_dsn(&t);
	t.req.nrcpt = 1;
	relay_submit(relay, &t.req);
	run_until(1);
	assert_reply(&t, 250, "2.0.0");
	fake_finish();
	treq_close(&t);
}

static const char	*greeting;

static void
script_greeting(int lfd)
{
	struct fconn	 c;

	fc_accept(lfd, &c);
	fc_send(&c, greeting);
	fc_end(&c);
}

/* A refused greeting is about the relay, not the message: 4xx. */
Test(relay_fake, greeting_5xx_is_4xx)
{
	struct treq	 t;

	greeting = "554 5.7.1 no service for you\r\n";
	fake_start(script_greeting);
	relay_start();
	treq_simple(&t);
	relay_submit(relay, &t.req);
	run_until(1);
	assert_reply(&t, 451, "4.7.1");
	cr_assert_not_null(strstr(t.res.reply.text, "no service for you"));
	fake_finish();
	treq_close(&t);
}

Test(relay_fake, malformed_replies_are_4xx)
{
	static char	 longline[700], noeol[700], many[70 * 9 + 16];
	const char	*cases[] = {
		longline,
		noeol,
		"2x0 hello\r\n",
		"220-one\r\n221 two\r\n",
		"220_fake\r\n",
		"\r\n",
		many,
		"999 what\r\n",
		"22\x01 control\r\n",
	};
	struct treq	 t;
	size_t		 i;

	snprintf(longline, sizeof(longline), "220 %0600d\r\n", 0);
	memset(noeol, 'x', sizeof(noeol) - 1);
	noeol[0] = '2'; noeol[1] = '2'; noeol[2] = '0'; noeol[3] = ' ';
	for (i = 0; i < 70; i++)
		memcpy(many + i * 9, "220-abc\r\n", 9);
	memcpy(many + 70 * 9, "220 end\r\n", 10);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ndone = 0;
		greeting = cases[i];
		fake_start(script_greeting);
		relay_start();
		treq_simple(&t);
		relay_submit(relay, &t.req);
		run_until(1);
		cr_assert_eq(t.res.reply.code, 451, "case %zu: %d %s", i,
		    t.res.reply.code, t.res.reply.text);
		cr_assert_str_eq(t.res.reply.enhanced, "4.5.0", "case %zu: %s",
		    i, t.res.reply.text);
		fake_finish();
		treq_close(&t);
	}
}

static void
script_hostile_text(int lfd)
{
	static const char *const caps[] = { "PIPELINING", NULL };
	static const char reply[] = "550 5.7.1 bad\x1b[31m\x00x\x7f\xff\r\n";
	struct fconn	 c;

	fc_accept(lfd, &c);
	fc_hello(&c, caps);
	fc_expect(&c, "MAIL FROM:", NULL, 0);
	fc_write(&c, reply, sizeof(reply) - 1);
	fc_expect(&c, "RCPT TO:", NULL, 0);
	fc_send(&c, "503 5.5.1 need MAIL\r\n");
	fc_expect(&c, "DATA", NULL, 0);
	fc_send(&c, "503 5.5.1 need MAIL\r\n");
	fc_expect(&c, "RSET", NULL, 0);
	fc_send(&c, "250 2.0.0 Ok\r\n");
	fc_end(&c);
}

Test(relay_fake, relay_text_made_printable)
{
	struct treq	 t;

	fake_start(script_hostile_text);
	relay_start();
	treq_simple(&t);
	relay_submit(relay, &t.req);
	run_until(1);
	assert_reply(&t, 550, "5.7.1");
	cr_assert_str_eq(t.res.reply.text, "relay said: bad?[31m?x??");
	fake_finish();
	treq_close(&t);
}

/* -------------------------------------------- STARTTLS (scripted relay) */

static SSL_CTX *
fake_tls_ctx(void)
{
	SSL_CTX		*ctx;
	EVP_PKEY	*key;
	X509		*x;
	X509_NAME	*name;

	if ((key = EVP_EC_gen("P-256")) == NULL || (x = X509_new()) == NULL)
		fake_fail("key");
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"fake.test", -1, -1, 0);
	X509_set_issuer_name(x, name);
	if (X509_sign(x, key, EVP_sha256()) == 0 ||
	    (ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    SSL_CTX_use_certificate(ctx, x) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, key) != 1)
		fake_fail("certificate");
	X509_free(x);
	EVP_PKEY_free(key);
	return ctx;
}

static void
fc_starttls(struct fconn *c)
{
	SSL_CTX	*ctx = fake_tls_ctx();

	if (c->len > 0)
		fake_fail("client sent data after STARTTLS");
	if ((c->ssl = SSL_new(ctx)) == NULL || SSL_set_fd(c->ssl, c->fd) != 1 ||
	    SSL_accept(c->ssl) != 1)
		fake_fail("TLS handshake failed");
	SSL_CTX_free(ctx);
	if (SSL_version(c->ssl) < TLS1_2_VERSION)
		fake_fail("TLS older than 1.2");
}

static void
script_starttls(int lfd)
{
	static const char *const caps[] = { "PIPELINING", "STARTTLS", NULL };
	static const char *const caps2[] = { "PIPELINING", "8BITMIME", NULL };
	struct fconn	 c;

	fc_accept(lfd, &c);
	fc_hello(&c, caps);
	fc_expect(&c, "STARTTLS", NULL, 0);
	fc_send(&c, "220 2.0.0 Ready to start TLS\r\n");
	fc_starttls(&c);
	fc_hello(&c, caps2);	/* EHLO again, now over TLS */
	fc_txn(&c, 1, NULL, 0);
	fc_end(&c);
	fc_close(&c);
}

static void
tls_conf(enum relay_tls tls)
{
	rconf.tls = tls;
	rconf.ssl_ctx = SSL_CTX_new(TLS_client_method());
	cr_assert_not_null(rconf.ssl_ctx);
}

Test(relay_fake, starttls_opportunistic)
{
	struct treq	 t;

	fake_start(script_starttls);
	tls_conf(RELAY_TLS_OPPORTUNISTIC);
	relay_start();
	treq_simple(&t);
	relay_submit(relay, &t.req);
	run_until(1);
	assert_reply(&t, 250, "2.0.0");
	fake_finish();
	treq_close(&t);
}

/* With a message large enough to be refilled many times through TLS. */
Test(relay_fake, starttls_required)
{
	static const char *const r[] = { "b@example.net", NULL };
	struct treq	 t;
	char		*msg;
	size_t		 len, peak;

	msg = big_message(2 * 1024 * 1024, &len);
	fake_msg = msg;
	fake_msglen = len;
	fake_start(script_starttls);
	tls_conf(RELAY_TLS_REQUIRE);
	relay_start();
	treq_init(&t, "a@example.org", r, msg, len);
	relay_submit(relay, &t.req);
	peak = run_until_peak();
	assert_reply(&t, 250, "2.0.0");
	cr_log_info("2 MiB over TLS: at most %zu bytes queued", peak);
	cr_assert_leq(peak, T_OUT_BOUND, "%zu bytes queued at once", peak);
	fake_finish();
	treq_close(&t);
	free(msg);
}

static const char	*starttls_answer;

static void
script_starttls_bad(int lfd)
{
	static const char *const caps[] = { "PIPELINING", "STARTTLS", NULL };
	struct fconn	 c;
	char		 buf[4096];
	ssize_t		 n;

	fc_accept(lfd, &c);
	fc_hello(&c, caps);
	fc_expect(&c, "STARTTLS", NULL, 0);
	fc_send(&c, starttls_answer);
	if (strncmp(starttls_answer, "220 ", 4) == 0 &&
	    strchr(starttls_answer, '\n')[1] == '\0') {
		/* The ClientHello, then something that is no TLS at all. */
		if (read(c.fd, buf, sizeof(buf)) <= 0)
			fake_fail("no ClientHello");
		fc_send(&c, "this is not a TLS server hello\r\n");
	}
	/* Whatever the client does next, it must not send mail. */
	while ((n = read(c.fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		if (strstr(buf, "MAIL") != NULL)
			fake_fail("mail sent without TLS");
	}
}

static void
starttls_bad_run(const char *answer, enum relay_tls tls, int code,
    const char *enh)
{
	struct treq	 t;

	starttls_answer = answer;
	fake_start(script_starttls_bad);
	tls_conf(tls);
	relay_start();
	treq_simple(&t);
	relay_submit(relay, &t.req);
	run_until(1);
	assert_reply(&t, code, enh);
	fake_finish();
	treq_close(&t);
}

/* Plaintext after the 220 would be read as if it came over TLS. */
Test(relay_fake, starttls_response_injection)
{
	starttls_bad_run("220 2.0.0 go\r\n250 2.1.0 injected\r\n",
	    RELAY_TLS_OPPORTUNISTIC, 451, "4.7.5");
}

Test(relay_fake, starttls_handshake_garbage)
{
	starttls_bad_run("220 2.0.0 go\r\n", RELAY_TLS_OPPORTUNISTIC, 451,
	    "4.7.5");
}

Test(relay_fake, starttls_refused_when_required)
{
	starttls_bad_run("454 4.7.0 TLS not available\r\n", RELAY_TLS_REQUIRE,
	    451, "4.7.4");
}

static void
script_starttls_declined(int lfd)
{
	static const char *const caps[] = { "PIPELINING", "STARTTLS", NULL };
	struct fconn	 c;

	fc_accept(lfd, &c);
	fc_hello(&c, caps);
	fc_expect(&c, "STARTTLS", NULL, 0);
	fc_send(&c, "454 4.7.0 TLS not available\r\n");
	fc_txn(&c, 1, NULL, 0);
	fc_end(&c);
}

static void
script_starttls_reject(int lfd)
{
	static const char *const caps[] = { "PIPELINING", "STARTTLS", NULL };
	struct fconn	 c;
	SSL_CTX		*ctx;
	char		 buf[4096];
	ssize_t		 n;

	fc_accept(lfd, &c);
	fc_hello(&c, caps);
	fc_expect(&c, "STARTTLS", NULL, 0);
	fc_send(&c, "220 2.0.0 go\r\n");
	ctx = fake_tls_ctx();
	if ((c.ssl = SSL_new(ctx)) == NULL || SSL_set_fd(c.ssl, c.fd) != 1)
		fake_fail("SSL_new");
	if (SSL_accept(c.ssl) == 1)
		fake_fail("the client took a certificate it cannot verify");
	SSL_free(c.ssl);
	SSL_CTX_free(ctx);
	while ((n = read(c.fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		if (strstr(buf, "MAIL") != NULL)
			fake_fail("mail sent without TLS");
	}
}

/* A context that verifies: the fake's self-signed certificate fails. */
Test(relay_fake, starttls_certificate_not_verified)
{
	struct treq	 t;

	fake_start(script_starttls_reject);
	tls_conf(RELAY_TLS_REQUIRE);
	SSL_CTX_set_verify(rconf.ssl_ctx, SSL_VERIFY_PEER, NULL);
	snprintf(rconf.tls_name, sizeof(rconf.tls_name), "fake.test");
	relay_start();
	treq_simple(&t);
	relay_submit(relay, &t.req);
	run_until(1);
	assert_reply(&t, 451, "4.7.5");
	cr_assert_not_null(strstr(t.res.reply.text, "certificate"), "%s",
	    t.res.reply.text);
	fake_finish();
	treq_close(&t);
}

Test(relay_fake, starttls_declined_when_opportunistic)
{
	struct treq	 t;

	fake_start(script_starttls_declined);
	tls_conf(RELAY_TLS_OPPORTUNISTIC);
	relay_start();
	treq_simple(&t);
	relay_submit(relay, &t.req);
	run_until(1);
	assert_reply(&t, 250, "2.0.0");
	fake_finish();
	treq_close(&t);
}

/* ------------------------------------------------------------ pure parts */

static int
parse_reply(struct relay_reply *rep, const char *text)
{
	const char	*p = text, *nl, *why;
	int		 rc = -1;

	memset(rep, 0, sizeof(*rep));
	while ((nl = strchr(p, '\n')) != NULL) {
		rc = relay_reply_line(rep, p, (size_t)(nl - p), &why);
		if (rc != RELAY_REPLY_MORE)
			return rc;
		p = nl + 1;
	}
	return rc;
}

Test(relay, reply_lines)
{
	struct relay_reply	 rep;

	cr_assert_eq(parse_reply(&rep, "250 2.1.0 Ok\n"), RELAY_REPLY_DONE);
	cr_assert_eq(rep.code, 250);
	cr_assert_str_eq(rep.enhanced, "2.1.0");
	cr_assert_str_eq(rep.text, "Ok");
	cr_assert_eq(parse_reply(&rep, "250\n"), RELAY_REPLY_DONE);
	cr_assert_str_eq(rep.text, "");
	cr_assert_eq(parse_reply(&rep, "550-5.1.1 first\n550 5.1.1 last\n"),
	    RELAY_REPLY_DONE);
	cr_assert_eq(rep.nlines, 2);
	cr_assert_str_eq(rep.text, "first");
	/* An enhanced code of the wrong class is text. */
	cr_assert_eq(parse_reply(&rep, "450 5.1.1 odd\n"), RELAY_REPLY_DONE);
	cr_assert_str_eq(rep.enhanced, "");
	cr_assert_str_eq(rep.text, "5.1.1 odd");
	cr_assert_eq(parse_reply(&rep, "250 2.1234.0 long\n"),
	    RELAY_REPLY_DONE);
	cr_assert_str_eq(rep.enhanced, "");
	cr_assert_eq(parse_reply(&rep, "250 2.0.0\n"), RELAY_REPLY_DONE);
	cr_assert_str_eq(rep.enhanced, "2.0.0");
	cr_assert_eq(parse_reply(&rep, "25\n"), -1);
	cr_assert_eq(parse_reply(&rep, "150 x\n"), -1);
	cr_assert_eq(parse_reply(&rep, "260 x\n"), -1);
	cr_assert_eq(parse_reply(&rep, "250x\n"), -1);
	cr_assert_eq(parse_reply(&rep, "250-a\n251 b\n"), -1);
}

Test(relay, reply_text_bounded)
{
	struct relay_reply	 rep;
	char			 line[RELAY_LINE_MAX + 8];
	const char		*why;

	memset(line, 'a', sizeof(line));
	memcpy(line, "250 ", 4);
	memset(&rep, 0, sizeof(rep));
	cr_assert_eq(relay_reply_line(&rep, line, RELAY_LINE_MAX - 2, &why),
	    RELAY_REPLY_DONE);
	cr_assert_eq(strlen(rep.text), RELAY_LINE_MAX - 6);
	memset(&rep, 0, sizeof(rep));
	cr_assert_eq(relay_reply_line(&rep, line, RELAY_LINE_MAX - 1, &why),
	    -1);
}

Test(relay, ehlo_capabilities)
{
	struct relay_caps	 caps;
	static const char *const lines[] = {
		"PIPELINING", "size 10240000", "8BITMIME", "SMTPUTF8", "DSN",
		"STARTTLS", "XFORWARD NAME ADDR proto HELO BOGUS",
		"ENHANCEDSTATUSCODES", "CHUNKING", "AUTH PLAIN", "X-UNKNOWN",
	};
	size_t	 i;

	memset(&caps, 0, sizeof(caps));
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		relay_caps_line(&caps, lines[i], strlen(lines[i]));
	cr_assert_eq(caps.flags, RELAY_CAP_PIPELINING | RELAY_CAP_SIZE |
	    RELAY_CAP_8BITMIME | RELAY_CAP_SMTPUTF8 | RELAY_CAP_DSN |
	    RELAY_CAP_STARTTLS | RELAY_CAP_XFORWARD | RELAY_CAP_ENHANCED |
	    RELAY_CAP_CHUNKING);
	cr_assert_eq(caps.size_max, 10240000);
	cr_assert_eq(caps.xforward, RELAY_XF_NAME | RELAY_XF_ADDR |
	    RELAY_XF_PROTO | RELAY_XF_HELO);

	memset(&caps, 0, sizeof(caps));
	relay_caps_line(&caps, "SIZE 99999999999999999999999", 28);
	cr_assert_eq(caps.size_max, 0, "an overflowing SIZE is no limit");
	relay_caps_line(&caps, "SIZE", 4);
	cr_assert_eq(caps.size_max, 0);
	relay_caps_line(&caps, "SIZE 12x", 8);
	cr_assert_eq(caps.size_max, 0);
	relay_caps_line(&caps, "", 0);
	relay_caps_line(&caps, "    ", 4);
	cr_assert_eq(caps.flags, RELAY_CAP_SIZE);
}

static char *
stuff(const char *const *pieces, int *bol)
{
	struct evbuffer	*out = evbuffer_new();
	char		*s;
	size_t		 len, i;

	*bol = 1;
	for (i = 0; pieces[i] != NULL; i++)
		relay_dot_stuff(out, pieces[i], strlen(pieces[i]), bol);
	len = evbuffer_get_length(out);
	s = malloc(len + 1);
	evbuffer_remove(out, s, len);
	s[len] = '\0';
	evbuffer_free(out);
	return s;
}

Test(relay, dot_stuffing_across_pieces)
{
	static const char *const a[] = { ".a\r\n", "b.\r\n.", "c\r\n", "..",
	    "\r\n", NULL };
	static const char *const b[] = { "x\r", "\n", ".y", NULL };
	char	*s;
	int	 bol;

	s = stuff(a, &bol);
	cr_assert_str_eq(s, "..a\r\nb.\r\n..c\r\n...\r\n");
	cr_assert_eq(bol, 1);
	free(s);
	s = stuff(b, &bol);
	cr_assert_str_eq(s, "x\r\n..y");
	cr_assert_eq(bol, 0);
	free(s);
}

Test(relay, results)
{
	struct relay_reply	 rep;
	struct relay_result	 res;

	parse_reply(&rep, "421 4.3.2 shutting down\n");
	relay_result_relay(&res, &rep);
	cr_assert_eq(res.reply.code, 451);
	cr_assert_str_eq(res.reply.enhanced, "4.3.2");
	cr_assert_str_eq(res.reply.text, "relay said: shutting down");
	parse_reply(&rep, "552 too big\n");
	relay_result_relay(&res, &rep);
	cr_assert_eq(res.reply.code, 552);
	cr_assert_str_eq(res.reply.enhanced, "5.0.0");
	parse_reply(&rep, "554 5.7.1 go away\n");
	relay_result_session(&res, &rep, "r:25", "greeting");
	cr_assert_eq(res.reply.code, 451);
	cr_assert_str_eq(res.reply.enhanced, "4.7.1");
	parse_reply(&rep, "250 Ok\n");
	relay_result_accepted(&res, &rep);
	cr_assert_eq(res.accepted, 1);
	cr_assert_str_eq(res.reply.enhanced, "2.0.0");
	cr_assert_lt(strlen(res.reply.text), RELAY_RESULT_TEXT_MAX);
}
