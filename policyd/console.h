/*
 * console: the console's logins and sessions, for webd (IMSG_WEBD_LOGIN,
 * _SESSION, _LOGOUT, _REAUTH; common/msg.h) and for the console's
 * operations that policyd will carry out for webd, which check a session
 * and, for the weightier ones, the password again with the same calls.
 *
 * Sessions are rows of pgpmg.sessions (sql/005_console.sql); passwords
 * are checked on the verifier's thread (verifier.h); failures lock as
 * lockout.h says; every password check and every logout is audited.
 * docs/DESIGN-NOTES.md, "The console's authentication", has the whole.
 *
 * Each call answers through its callback exactly once, always on the
 * loop; a refusal that needs no database (busy, unavailable, a malformed
 * session id) may be answered before the call returns.
 */
#ifndef PGPMG_POLICYD_CONSOLE_H
#define PGPMG_POLICYD_CONSOLE_H

#include <stdint.h>

#include "common/msg.h"

struct child;
struct child_peer;
struct imsg;

/* What a live session is, for SESSION_OK. */
struct console_user {
	uint64_t	 id;
	char		 address[CONSOLE_ADDRESS_MAX + 1];	/* as stored */
	char		 role[CONSOLE_ROLE_MAX + 1];
	char		 name[CONSOLE_NAME_MAX + 1];
	char		 csrf[CONSOLE_TOKEN_LEN + 1];
};

/* session, role and address are "" unless status is LOGIN_OK: then the
 * new session's id, and the user's role and address as stored.  wait:
 * the seconds of LOGIN_LOCKED, else 0.  The user of SESSION_OK, else
 * NULL. */
typedef void	(*console_login_cb)(enum login_status, uint32_t wait,
		    const char *session, const char *role, const char *address,
		    void *arg);
typedef void	(*console_session_cb)(enum session_status,
		    const struct console_user *, void *arg);
typedef void	(*console_logout_cb)(enum logout_status, void *arg);
typedef void	(*console_reauth_cb)(enum reauth_status, uint32_t wait,
		    void *arg);

void	console_init(struct child *);
/* A request from webd, checked against the permission table: parsed
 * exactly (fatal when malformed) and answered once. */
void	console_msg(struct child *, struct child_peer *, struct imsg *);

/*
 * The arguments are within the CONSOLE_*_MAX bounds of msg.h, and client
 * is 1 to CONSOLE_CLIENT_MAX printable ASCII characters without a space:
 * anything else is a bug in policyd, fatal.  A session id may be any
 * string within its bound (a browser's cookie): one that is not a session
 * id is no session.  The password is copied into the verifier's locked
 * slot and wiped there once checked; the caller wipes its own copy.
 */
void	console_login(const char *address, const char *password,
	    const char *client, console_login_cb, void *arg);
void	console_session(const char *session, const char *client,
	    console_session_cb, void *arg);
void	console_logout(const char *session, console_logout_cb, void *arg);
/* The session's user's password again: a failure counts and locks as a
 * failed login does; a success is audited as a login with "reauth". */
void	console_reauth(const char *session, const char *password,
	    console_reauth_cb, void *arg);

#endif /* PGPMG_POLICYD_CONSOLE_H */
