/*
 * gate: the checks a request passes before a handler sees it, on what the
 * request says of itself: where a POST comes from (Origin), the session
 * cookie, the form's media type and its CSRF token.  Pure, for the unit
 * tests and the fuzz target; router.c applies them in order.
 */
#ifndef PGPMG_WEBD_GATE_H
#define PGPMG_WEBD_GATE_H

#include <stddef.h>

#include "common/msg.h"
#include "webd/http_parse.h"

/*
 * The session cookie.  __Host-: a browser takes it only from a secure
 * origin, with Path=/ and without Domain, so that no other host under
 * the same name (nor plain HTTP) can set or shadow it.
 */
#define GATE_COOKIE		"__Host-pgpmg"
#define GATE_COOKIE_ATTRS	"Path=/; Secure; HttpOnly; SameSite=Strict"

/*
 * A POST must come from a page of ours: Origin present, once, and equal
 * to "https://" and the request's Host; without Origin, only a browser's
 * "Sec-Fetch-Site: same-origin".  0, or -1 with *why (for the log: never
 * a value of the request).
 */
int	gate_origin(const struct http_request *, const char **why);

/*
 * The session id of the cookie GATE_COOKIE into sid: 1 when there is
 * exactly one, of 64 lower-case hex digits; 0 when there is none, or it
 * is malformed or repeated (no session, and nobody is asked).
 */
int	gate_cookie(const struct http_request *,
	    char sid[CONSOLE_TOKEN_LEN + 1]);

/* True when the body is declared application/x-www-form-urlencoded
 * (once, parameters allowed). */
int	gate_form_type(const struct http_request *);

/* The request's one Content-Type field; NULL when it has none or more
 * than one (for an upload: multipart.c reads its value). */
const struct http_field *gate_content_type(const struct http_request *);

/* True when the form's token equals the session's: both 64 characters,
 * compared in constant time. */
int	gate_csrf(const char *given, const char *token);

#endif /* PGPMG_WEBD_GATE_H */
