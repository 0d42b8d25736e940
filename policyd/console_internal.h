/*
 * console_internal: what console.c (the protocol, sessions, logout) and
 * console_login.c (the password checks of a login or a reauth) share.
 */
#ifndef PGPMG_POLICYD_CONSOLE_INTERNAL_H
#define PGPMG_POLICYD_CONSOLE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

struct imsgev;

/* Sessions one user keeps at most: a login beyond them ends the one used
 * longest ago.  Someone who logs in from a browser or two a day needs a
 * few; a script that logs in in a loop must not fill the table. */
#define CONSOLE_SESSIONS_PER_USER	16
/* last_seen is written at most this often per session, so that a busy
 * console does not write a row for every page it shows; shorter (half
 * the idle timeout) when console-idle-timeout is short, so that a session
 * in use never looks idle. */
#define CONSOLE_TOUCH_SEC		60

/* The configured limits, as the statements take them (seconds, decimal). */
struct console_limits {
	char	 idle[24];
	char	 lifetime[24];
	char	 touch[24];
};

const struct console_limits *console_limits(void);
/* True for 1 to CONSOLE_CLIENT_MAX printable ASCII characters, no space. */
int	console_client_valid(const char *);
/* Into out (at least 4 * len + 1 bytes): s itself when it is valid UTF-8
 * without control characters, else every byte outside printable ASCII as
 * \xNN, so that what a browser sent can always go into the audit log. */
void	console_printable(const char *s, char *out, size_t outlen);

void	console_login_init(uint64_t lockout_seconds);

/* webd's channel, to answer on: fatal when webd is not there (its
 * death stops the appliance anyway). */
struct imsgev *console_webd(void);
/* webd's requests in flight (CONSOLE_PENDING_MAX): take counts one more
 * and is true when that one is beyond the bound (it is then answered at
 * once, refused); give counts one answered. */
int	console_pending_take(void);
void	console_pending_give(void);

#endif /* PGPMG_POLICYD_CONSOLE_INTERNAL_H */
