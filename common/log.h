/*
 * log: the OpenBSD-style logging calls, for the parent and the children.
 *
 * The parent writes lines to syslog, one ident per process
 * ("pgpmg/smtpd[1234]"), or to stderr with -d.  A child never opens syslog:
 * it sends each line to the parent over its channel (IMSG_CHILD_LOG) and
 * flushes at once, so that the line before a fatal() is never lost.  The
 * x forms leave out strerror(errno).
 */
#ifndef PGPMG_LOG_H
#define PGPMG_LOG_H

#include <stdarg.h>
#include <sys/types.h>

#include "common/proc.h"

struct imsgbuf;

/* A log line, message text only, is at most this long; longer ones are
 * cut.  The parent refuses a longer one from a child. */
#define LOG_MAX_LINE	1024

void	log_init_parent(int foreground, int verbose);
void	log_init_child(enum proc_id, struct imsgbuf *parent_chan, int verbose);
/* Children: switch to the channel's new buffer (bootstrap -> event loop). */
void	log_set_channel(struct imsgbuf *);
void	log_set_verbose(int);
int	log_get_verbose(void);

/* Parent: write one line on behalf of a process (its own or a child's). */
void	log_emit(enum proc_id, int instance, pid_t, int priority, const char *msg);
/* True for the syslog priorities a child may send (LOG_CRIT..LOG_DEBUG). */
int	log_priority_valid(int);

void	fatal(const char *, ...)
	    __attribute__((noreturn, format(printf, 1, 2)));
void	fatalx(const char *, ...)
	    __attribute__((noreturn, format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));

#endif /* PGPMG_LOG_H */
