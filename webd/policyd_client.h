/*
 * policyd_client: webd's requests to policyd over their channel, the
 * console's logins, sessions, logouts and operations (common/msg.h).
 * Each request is numbered (never 0), waits in a bounded table, and is
 * answered exactly once, by number; its callback then gets the
 * connection back.  A connection that closes or gives up first cancels
 * its request: the answer is read and dropped when it comes.
 *
 * Every function here either starts the request (the connection waits,
 * and the callback will run) and returns 0, or answers the request
 * itself at once (503: policyd is not there yet, or the table is full)
 * and returns -1; the caller then has nothing more to do.  Strings must
 * be within their CONSOLE_*_MAX bounds: a handler refuses longer input
 * with a 4xx before it asks, and a longer one here is webd's bug.
 */
#ifndef PGPMG_WEBD_POLICYD_CLIENT_H
#define PGPMG_WEBD_POLICYD_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "common/msg.h"

struct child;
struct child_peer;
struct conn;
struct console_session;
struct imsg;

/*
 * Requests waiting for policyd at once.  Each connection waits for at
 * most one, but a cancelled request keeps its slot until policyd answers
 * it: policyd bounds its own console requests at 256 (policyd/console.c),
 * so more here would only be answered busy there.
 */
#define POLICYD_PENDING_MAX	256

/*
 * How long a connection waits.  A login waits for its password check
 * (0.6 s each, four at once at most, policyd/verifier.c) and a session
 * lookup or logout for one statement (database-timeout, 10 s by
 * default): 30 s means policyd is stuck.  An operation may also wait for
 * keyd, which policyd gives 110 s for a key generation or a large
 * import, after its password check and before its records: 180 s, what
 * the parent gives pgpmgctl's key commands (pgpmgd/keyfwd.c).
 */
#define POLICYD_AUTH_TIMEOUT	30
#define POLICYD_OP_TIMEOUT	180

/* The whole output of one operation, as the parent bounds pgpmgctl's. */
#define CONSOLE_OUTPUT_MAX	ADMIN_OUTPUT_MAX

struct login_answer {
	enum login_status	 status;
	uint32_t		 wait;		/* LOGIN_LOCKED */
	const char		*session;	/* LOGIN_OK: 64 hex digits */
	const char		*role;
	const char		*address;	/* as stored */
};

struct console_result {
	enum console_error	 error;
	uint32_t		 wait;		/* CONSOLE_E_LOCKED */
	const char		*message;	/* for the person; may be "" */
	char			*output;	/* the DATA, NUL-terminated, and
						 * the handler's to cut up: it
						 * is wiped after the callback */
	size_t			 outlen;
	int			 fd;		/* a key export, or -1; the
						 * callback owns it */
};

typedef void (*login_cb)(struct conn *, const struct login_answer *, void *);
typedef void (*session_cb)(struct conn *, enum session_status, void *);
typedef void (*logout_cb)(struct conn *, enum logout_status, void *);
typedef void (*console_op_cb)(struct conn *, const struct console_result *,
	    void *);

int	policyd_login(struct conn *, const char *address, const char *password,
	    login_cb, void *);
/* Fills the connection's session (c->session) on SESSION_OK. */
int	policyd_session(struct conn *, const char *session_id, session_cb,
	    void *);
int	policyd_logout(struct conn *, const char *session_id, logout_cb,
	    void *);
/*
 * An operation under the session: password "" when the op asks for
 * none, args[CONSOLE_NARGS] (NULL for ""), upload_fd a sealed memfd or
 * -1 (taken in any case).
 */
int	console_op(struct conn *, const struct console_session *,
	    enum console_op, const char *password,
	    const char *const args[CONSOLE_NARGS], int upload_fd,
	    console_op_cb, void *);

/* The connection waiting for request is gone. */
void	policyd_cancel(uint32_t request);
/* An answer from policyd (child.c checked the table). */
void	policyd_client_msg(struct child *, struct child_peer *, struct imsg *);

#endif /* PGPMG_WEBD_POLICYD_CLIENT_H */
