/*
 * log_stub: the log.h calls for the sandbox suite only.
 *
 * The real common/log.c sends a child's lines to pgpmgd over its channel;
 * the suite's sandboxed children are forks of a Criterion test, with no
 * parent channel, so here every line goes to stderr.  fatal() leaves with
 * _exit(), not exit(): the child must not run the test framework's exit
 * handlers.  The production daemons link common/log.c and never this file.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "common/log.h"
#include "tests/sandbox/sbtest.h"

static int	stub_verbose;

void
log_init_parent(int foreground, int verbose)
{
	(void)foreground;
	stub_verbose = verbose;
}

void
log_init_child(enum proc_id proc, struct imsgbuf *chan, int verbose)
{
	(void)proc;
	(void)chan;
	stub_verbose = verbose;
}

void
log_set_channel(struct imsgbuf *chan)
{
	(void)chan;
}

void
log_set_verbose(int v)
{
	stub_verbose = v;
}

int
log_get_verbose(void)
{
	return stub_verbose;
}

int
log_priority_valid(int pri)
{
	return pri >= LOG_CRIT && pri <= LOG_DEBUG;
}

void
log_emit(enum proc_id proc, int instance, pid_t pid, int pri, const char *msg)
{
	(void)instance;
	(void)pri;
	fprintf(stderr, "pgpmg/%s[%ld]: %s\n", proc_name(proc), (long)pid, msg);
}

static void
stub_vlog(int saved_errno, const char *prefix, const char *fmt, va_list ap)
{
	char	 msg[LOG_MAX_LINE + 1];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (saved_errno != 0)
		fprintf(stderr, "sbtest[%ld]: %s%s: %s\n", (long)getpid(),
		    prefix, msg, strerror(saved_errno));
	else
		fprintf(stderr, "sbtest[%ld]: %s%s\n", (long)getpid(), prefix,
		    msg);
}

void
log_warn(const char *fmt, ...)
{
	int	 saved_errno = errno;
	va_list	 ap;

	va_start(ap, fmt);
	stub_vlog(saved_errno, "", fmt, ap);
	va_end(ap);
	errno = saved_errno;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	stub_vlog(0, "", fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	stub_vlog(0, "", fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (!stub_verbose)
		return;
	va_start(ap, fmt);
	stub_vlog(0, "", fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int	 saved_errno = errno;
	va_list	 ap;

	va_start(ap, fmt);
	stub_vlog(saved_errno, "fatal: ", fmt, ap);
	va_end(ap);
	_exit(SBT_FATAL);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	stub_vlog(0, "fatal: ", fmt, ap);
	va_end(ap);
	_exit(SBT_FATAL);
}
