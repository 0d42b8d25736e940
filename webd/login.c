/*
 * login: signing in and out.  The sign-in page posts the address and the
 * password to /login, which asks policyd (IMSG_WEBD_LOGIN): on success
 * the session id goes into the cookie and the browser to its role's
 * start page; every refusal shows the form again with one sentence, the
 * same for an unknown address and a wrong password (policyd answers them
 * alike), and the status that says it in HTTP.  The password is never
 * shown again nor logged; the address is given back, escaped, so that a
 * typo in the password does not cost the address too.
 *
 * A 401 here carries no WWW-Authenticate: the console signs in with a
 * form, and no HTTP authentication scheme would describe that.  Browsers
 * show a 401 page without one as any other page.
 */
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "common/log.h"
#include "common/userdef.h"
#include "webd/gate.h"
#include "webd/html.h"
#include "webd/page.h"
#include "webd/policyd_client.h"
#include "webd/webd.h"

/* The longest address RFC 5321 allows in a path, less its brackets: the
 * form's hint to the browser; webd itself takes what policyd takes. */
#define LOGIN_ADDRESS_HINT	254

/* The cookie: its name, 64 hex digits and its attributes. */
#define LOGIN_COOKIE_MAX	(sizeof(GATE_COOKIE) + CONSOLE_TOKEN_LEN + \
				 sizeof("; " GATE_COOKIE_ATTRS))

static void
login_form(struct conn *c, int status, uint32_t retry_after,
    const char *message, const char *address)
{
	struct evbuffer	*b = page_buffer();

	if (html_page_open(b, "pgpmg: sign in") == -1)
		fatalx("login: out of memory");
	page_printf(b, "<h1>pgpmg</h1>\n");
	if (message != NULL)
		page_result(b, 0, message);
	/* No session yet, so no token: the field is there for the form's
	 * shape; /login is guarded by its Origin. */
	page_printf(b, "<form method=\"post\" action=\"/login\">\n"
	    "<input type=\"hidden\" name=\"csrf\" value=\"\">\n"
	    "<label for=\"address\">Address</label>\n"
	    "<input id=\"address\" name=\"address\" type=\"email\" "
	    "autocomplete=\"username\" maxlength=\"%d\" required",
	    LOGIN_ADDRESS_HINT);
	if (address != NULL && address[0] != '\0') {
		page_printf(b, " value=\"");
		page_text(b, address);
		page_printf(b, "\"");
	}
	page_printf(b, ">\n"
	    "<label for=\"password\">Password</label>\n"
	    "<input id=\"password\" name=\"password\" type=\"password\" "
	    "autocomplete=\"current-password\" required>\n"
	    "<button type=\"submit\">Sign in</button>\n"
	    "</form>\n");
	page_close(b);
	page_send(c, status, retry_after, b);
}

void
login_page(struct conn *c, const struct webd_request *r)
{
	(void)r;
	login_form(c, 200, 0, NULL, NULL);
}

static void
login_answered(struct conn *c, const struct login_answer *a, void *arg)
{
	const char	*address = form_value(&c->form, "address");
	char		 cookie[LOGIN_COOKIE_MAX], msg[128];
	int		 role;

	(void)arg;
	switch (a->status) {
	case LOGIN_OK:
		snprintf(cookie, sizeof(cookie), "%s=%s; %s", GATE_COOKIE,
		    a->session, GATE_COOKIE_ATTRS);
		log_debug("conn %llu (%s): signed in, role %s",
		    (unsigned long long)c->id, c->peer, a->role);
		response_redirect_cookie(c, user_role_parse(a->role, &role) ==
		    0 && role == USER_ROLE_ADMIN ? "/admin" : "/portal",
		    cookie);
		explicit_bzero(cookie, sizeof(cookie));
		return;
	case LOGIN_DENIED:
		login_form(c, 401, 0, "The address or the password is wrong.",
		    address);
		return;
	case LOGIN_LOCKED:
		snprintf(msg, sizeof(msg), "Too many failed sign-ins: try "
		    "again in %u seconds.", a->wait);
		login_form(c, 429, a->wait, msg, address);
		return;
	case LOGIN_BUSY:
		login_form(c, 503, PAGE_RETRY_BUSY, "Too many sign-ins at "
		    "once: try again in a moment.", address);
		return;
	case LOGIN_UNAVAILABLE:
		login_form(c, 503, PAGE_RETRY_UNAVAILABLE, "Signing in is not "
		    "possible now: try again later.", address);
		return;
	}
	fatalx("login: status %d", a->status);
}

void
login_post(struct conn *c, const struct webd_request *r)
{
	const char	*address = form_value(r->form, "address");
	const char	*password = form_value(r->form, "password");

	if (address == NULL || password == NULL || address[0] == '\0' ||
	    password[0] == '\0') {
		login_form(c, 400, 0, "Give your address and your password.",
		    address);
		return;
	}
	/* policyd's bounds (common/msg.h): longer is no account of ours,
	 * and may not be sent. */
	if (strlen(address) > CONSOLE_ADDRESS_MAX) {
		login_form(c, 400, 0, "The address is too long.", NULL);
		return;
	}
	if (strlen(password) > CONSOLE_PASSWORD_MAX) {
		login_form(c, 400, 0, "The password is too long.", address);
		return;
	}
	(void)policyd_login(c, address, password, login_answered, NULL);
}

static void
logout_answered(struct conn *c, enum logout_status st, void *arg)
{
	(void)arg;
	/* Not ended, and perhaps alive: say so, and keep the cookie, so
	 * that the person can try again rather than believe it over. */
	if (st == LOGOUT_UNAVAILABLE) {
		log_info("conn %llu (%s): a sign-out was not confirmed",
		    (unsigned long long)c->id, c->peer);
		response_unavailable(c, PAGE_RETRY_UNAVAILABLE, "Your "
		    "sign-out was not confirmed: the database is unavailable. "
		    "Try again in a moment.");
		return;
	}
	/* LOGOUT_NONE: already ended; the browser forgets it. */
	log_debug("conn %llu (%s): signed out (%s)",
	    (unsigned long long)c->id, c->peer, st == LOGOUT_DONE ? "ended" :
	    "nothing to end");
	response_redirect_cookie(c, "/login",
	    GATE_COOKIE "=; Max-Age=0; " GATE_COOKIE_ATTRS);
}

void
logout_post(struct conn *c, const struct webd_request *r)
{
	(void)policyd_logout(c, r->session->id, logout_answered, NULL);
}
