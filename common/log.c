/*
 * Logging for every pgpmg process.
 *
 * The parent owns the log: syslog with one ident per process, or stderr in
 * the foreground.  Children have no syslog socket in their sandbox; they send
 * each formatted line to the parent (IMSG_CHILD_LOG) and flush it at once,
 * which keeps lines in order with the messages around them and makes sure
 * the reason for a fatal() reaches the parent before the child exits.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/msg.h"
#include "imsg/imsg.h"

/* A log line longer than LOG_MAX_LINE is cut on purpose. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

static enum proc_id	 log_proc = PROC_PARENT;
static int		 log_is_child;
static int		 log_foreground = 1;
static int		 log_verbose;
static struct imsgbuf	*log_chan;
static int		 log_in_fatal;

void
log_init_parent(int foreground, int verbose)
{
	log_proc = PROC_PARENT;
	log_is_child = 0;
	log_foreground = foreground;
	log_verbose = verbose;
	tzset();
}

void
log_init_child(enum proc_id proc, struct imsgbuf *chan, int verbose)
{
	log_proc = proc;
	log_is_child = 1;
	log_chan = chan;
	log_verbose = verbose;
}

void
log_set_channel(struct imsgbuf *chan)
{
	log_chan = chan;
}

void
log_set_verbose(int v)
{
	log_verbose = v;
}

int
log_get_verbose(void)
{
	return log_verbose;
}

int
log_priority_valid(int pri)
{
	return pri >= LOG_CRIT && pri <= LOG_DEBUG;
}

/*
 * Make a line safe to write: a child may be compromised, and a newline or a
 * terminal escape in its text must not forge another process's line.
 */
static void
log_sanitize(char *dst, size_t dstlen, const char *src)
{
	size_t	 o = 0;

	for (; *src != '\0' && o + 5 < dstlen; src++) {
		unsigned char c = (unsigned char)*src;
		if (c >= 0x20 && c != 0x7f)
			dst[o++] = (char)c;
		else
			o += (size_t)snprintf(dst + o, dstlen - o, "\\x%02x", c);
	}
	dst[o] = '\0';
}

void
log_emit(enum proc_id proc, int instance, pid_t pid, int pri, const char *msg)
{
	char	 ident[64], clean[LOG_MAX_LINE * 4 + 1];

	if (pri == LOG_DEBUG && !log_verbose)
		return;
	log_sanitize(clean, sizeof(clean), msg);
	if (proc == PROC_PARENT)
		snprintf(ident, sizeof(ident), "pgpmg/pgpmgd[%ld]", (long)pid);
	else if (proc == PROC_CRYPTOD)
		snprintf(ident, sizeof(ident), "pgpmg/%s#%d[%ld]",
		    proc_name(proc), instance, (long)pid);
	else
		snprintf(ident, sizeof(ident), "pgpmg/%s[%ld]",
		    proc_name(proc), (long)pid);

	if (log_foreground) {
		fprintf(stderr, "%s: %s\n", ident, clean);
		fflush(stderr);
	} else {
		/* One ident per process: openlog only stores the pointer. */
		openlog(ident, LOG_NDELAY, LOG_DAEMON);
		syslog(pri, "%s", clean);
		closelog();
	}
}

static void
log_str(int pri, const char *line)
{
	struct ibuf	*b;

	if (pri == LOG_DEBUG && !log_verbose)
		return;
	if (!log_is_child) {
		log_emit(log_proc, 0, getpid(), pri, line);
		return;
	}
	if (log_chan == NULL ||
	    (b = imsg_create(log_chan, IMSG_CHILD_LOG, 0, -1,
	    sizeof(uint32_t) + strlen(line) + 1)) == NULL) {
		/* Last resort: stderr is /dev/null or the parent's stderr. */
		fprintf(stderr, "pgpmg/%s[%ld]: %s\n", proc_name(log_proc),
		    (long)getpid(), line);
		return;
	}
	if (imsg_add_u32(b, (uint32_t)pri) == -1 ||
	    imsg_add_string(b, line) == -1) {
		imsg_abort(b);
		return;
	}
	imsg_close(log_chan, b);
	if (imsgbuf_flush(log_chan) == -1 && !log_in_fatal) {
		/* The parent is gone: there is nobody left to serve. */
		_exit(1);
	}
}

/* Format, optionally append strerror(saved_errno), and emit. */
static void
log_vlog(int pri, int saved_errno, const char *fmt, va_list ap)
{
	char	 msg[LOG_MAX_LINE + 1], full[LOG_MAX_LINE + 1];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (saved_errno != 0) {
		snprintf(full, sizeof(full), "%s: %s", msg,
		    strerror(saved_errno));
		log_str(pri, full);
	} else
		log_str(pri, msg);
}

void
log_warn(const char *fmt, ...)
{
	int	 saved_errno = errno;
	va_list	 ap;

	va_start(ap, fmt);
	log_vlog(LOG_ERR, saved_errno, fmt, ap);
	va_end(ap);
	errno = saved_errno;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vlog(LOG_ERR, 0, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vlog(LOG_INFO, 0, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_vlog(LOG_DEBUG, 0, fmt, ap);
	va_end(ap);
}

static void __attribute__((noreturn))
log_vfatal(int saved_errno, const char *fmt, va_list ap)
{
	char	 msg[LOG_MAX_LINE + 1], full[LOG_MAX_LINE + 1];

	log_in_fatal = 1;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (saved_errno != 0)
		snprintf(full, sizeof(full), "fatal: %s: %s", msg,
		    strerror(saved_errno));
	else
		snprintf(full, sizeof(full), "fatal: %s", msg);
	log_str(LOG_CRIT, full);
	exit(1);
}

void
fatal(const char *fmt, ...)
{
	int	 saved_errno = errno;
	va_list	 ap;

	va_start(ap, fmt);
	log_vfatal(saved_errno, fmt, ap);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vfatal(0, fmt, ap);
}
