/*
 * portal: /portal and its forms.  The person's keys (CONSOLE_OP_MY_KEYS:
 * those whose record lists their address) with a download link and a
 * revoke form each; the upload of their own key (keyd refuses a key with
 * a user ID of another address, and the page says so); the change of
 * their password.
 *
 * The password change ends every session of the person, this one too
 * (policyd's MY_PASSWORD), so its success is not the portal again, which
 * could no longer be shown: it is a page that says so, links to the
 * sign-in, and clears the cookie.  Before asking, webd checks what it
 * can without the account: the new password given twice alike, and
 * within the rules every password of ours follows (common/userdef.c).
 */
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "common/log.h"
#include "common/userdef.h"
#include "webd/gate.h"
#include "webd/html.h"
#include "webd/keydata.h"
#include "webd/opchain.h"
#include "webd/optext.h"
#include "webd/page.h"
#include "webd/portal.h"
#include "webd/webd.h"

#define PORTAL_PATH	"/portal"
/* A key line, as the administrator's list (admin_keys.c). */
#define PORTAL_FIELDS	8

static void	portal_render(struct conn *, struct opchain *);

static void
portal_row(struct evbuffer *b, const struct console_session *s, char **f,
    int row)
{
	char	 id[32];

	page_printf(b, "<tr data-fpr=\"");
	page_text(b, f[0]);
	page_printf(b, "\">\n<td class=\"fpr\">");
	page_text(b, f[0]);
	page_printf(b, "</td>\n<td class=\"addresses\">");
	keydata_addresses(b, f[7]);
	page_printf(b, "</td>\n<td class=\"expires\">");
	page_time(b, strcmp(f[4], "-") == 0 ? "never" : f[4]);
	page_printf(b, "</td>\n<td class=\"revoked\">");
	page_text(b, f[5]);
	page_printf(b, "</td>\n<td class=\"actions\">\n"
	    "<a class=\"download\" href=\"" PORTAL_PATH "/key?fpr=");
	page_text(b, f[0]);
	page_printf(b, "\">Download</a>\n");
	if (strcmp(f[5], "yes") != 0) {
		snprintf(id, sizeof(id), "revoke-password-%d", row);
		keydata_row_form(b, s, PORTAL_PATH "/key/revoke", f[0], id,
		    "Revoke");
	}
	page_printf(b, "</td>\n</tr>\n");
}

static void
portal_keys(struct evbuffer *b, const struct console_session *s,
    struct opchain_step *list)
{
	struct optext	 t;
	char		*f[PORTAL_FIELDS];
	int		 n, rows = 0, unread = 0;

	page_printf(b, "<h2>Your keys</h2>\n");
	if (!list->answered || opchain_list_failed(b, list))
		return;
	page_printf(b, "<table class=\"keys\">\n<thead><tr>"
	    "<th>Fingerprint</th><th>Addresses</th><th>Expires</th>"
	    "<th>Revoked</th><th>Actions</th></tr></thead>\n<tbody>\n");
	optext_init(&t, list->out);
	while ((n = optext_line(&t, f, PORTAL_FIELDS)) != 0) {
		if (n != PORTAL_FIELDS) {
			unread++;
			continue;
		}
		portal_row(b, s, f, rows++);
	}
	page_printf(b, "</tbody>\n</table>\n");
	if (rows == 0)
		page_printf(b, "<p class=\"empty\">You have no key.</p>\n");
	page_unread(b, unread);
}

/* The portal's chain: a change (or its refusal) first, then the list. */
static struct opchain *
portal_chain(struct conn *c, int change)
{
	struct opchain	*ch = opchain_new(c, portal_render, NULL);

	ch->change = change;
	return ch;
}

/* The session has ended with the password's change. */
static void
portal_ended(struct conn *c)
{
	struct evbuffer	*b = page_buffer();
	struct response	 r;

	if (html_page_open(b, "pgpmg: password changed") == -1)
		fatalx("portal: out of memory");
	page_printf(b, "<h1>Password changed</h1>\n");
	page_result(b, 1, "Your password is changed. Every session of yours "
	    "has ended with it, this one too: sign in again with the new "
	    "password.");
	page_printf(b, "<p><a class=\"login\" href=\"/login\">Sign in</a>"
	    "</p>\n");
	page_close(b);
	log_info("conn %llu (%s): password changed, sessions ended",
	    (unsigned long long)c->id, c->peer);
	memset(&r, 0, sizeof(r));
	r.status = 200;
	r.cookie = GATE_COOKIE "=; Max-Age=0; " GATE_COOKIE_ATTRS;
	r.keep = 1;
	response_page(c, &r, b);
	evbuffer_free(b);
}

static void
portal_render(struct conn *c, struct opchain *ch)
{
	const struct console_session	*s = c->request.session;
	struct evbuffer			*b;
	uint32_t			 retry;
	int				 status;

	if (ch->change && ch->steps[0].op == CONSOLE_OP_MY_PASSWORD &&
	    ch->steps[0].answered && !ch->steps[0].refused &&
	    ch->steps[0].error == CONSOLE_E_OK) {
		portal_ended(c);
		return;
	}
	b = page_buffer();
	status = opchain_status(ch, &retry);
	page_open(b, s, "Portal", PORTAL_PATH);
	if (ch->change)
		opchain_banner(b, &ch->steps[0]);
	portal_keys(b, s, &ch->steps[ch->n - 1]);

	page_printf(b, "<h2>Upload your key</h2>\n<p>A public key, or a key "
	    "pair with its passphrase, whose every user ID is your "
	    "address.</p>\n");
	keydata_upload_form(b, s, PORTAL_PATH "/key/import", "upload",
	    "Upload");

	page_printf(b, "<h2>Change your password</h2>\n<form method=\"post\" "
	    "action=\"" PORTAL_PATH "/password\" class=\"password\">\n");
	page_csrf(b, s);
	page_password(b, s, "password-current");
	page_printf(b, "<label for=\"password-new\">New password</label>\n"
	    "<input id=\"password-new\" name=\"new\" type=\"password\" "
	    "autocomplete=\"new-password\" maxlength=\"%d\" required>\n"
	    "<label for=\"password-confirm\">New password again</label>\n"
	    "<input id=\"password-confirm\" name=\"confirm\" "
	    "type=\"password\" autocomplete=\"new-password\" maxlength=\"%d\" "
	    "required>\n<button type=\"submit\">Change password</button>\n"
	    "</form>\n", CONSOLE_PASSWORD_MAX, CONSOLE_PASSWORD_MAX);
	page_close(b);
	page_send(c, status, retry, b);
}

void
portal_page(struct conn *c, const struct webd_request *r)
{
	struct opchain	*ch = portal_chain(c, 0);

	(void)r;
	opchain_add(ch, CONSOLE_OP_MY_KEYS, NULL);
	opchain_start(c, ch);
}

void
portal_key_export(struct conn *c, const struct webd_request *r)
{
	keydata_export(c, r, CONSOLE_OP_MY_KEY_EXPORT, PORTAL_PATH);
}

void
portal_key_import(struct conn *c, const struct webd_request *r)
{
	struct opchain	*ch = portal_chain(c, 1);

	keydata_import_step(ch, r, CONSOLE_OP_MY_KEY_IMPORT);
	opchain_add(ch, CONSOLE_OP_MY_KEYS, NULL);
	opchain_start(c, ch);
}

void
portal_key_revoke(struct conn *c, const struct webd_request *r)
{
	struct opchain	*ch = portal_chain(c, 1);

	keydata_fpr_step(ch, r, CONSOLE_OP_MY_KEY_REVOKE);
	opchain_add(ch, CONSOLE_OP_MY_KEYS, NULL);
	opchain_start(c, ch);
}

void
portal_password(struct conn *c, const struct webd_request *r)
{
	struct opchain		*ch = portal_chain(c, 1);
	struct opchain_step	*st;
	const char		*pw = keydata_password(r);
	const char		*new = form_value(r->form, "new");
	const char		*confirm = form_value(r->form, "confirm");
	char			 err[128], msg[sizeof(err) + 64];

	if (new == NULL || confirm == NULL || new[0] == '\0')
		opchain_refused(ch, CONSOLE_OP_MY_PASSWORD, 400, "Give the new "
		    "password, twice.");
	else if (strcmp(new, confirm) != 0)
		opchain_refused(ch, CONSOLE_OP_MY_PASSWORD, 400, "The new "
		    "password and its confirmation differ: nothing was "
		    "changed.");
	else if (strlen(new) > CONSOLE_ARG_MAX ||
	    user_password_check(new, err, sizeof(err)) == -1) {
		snprintf(msg, sizeof(msg), "The new password was not taken: "
		    "%s.", strlen(new) > CONSOLE_ARG_MAX ? "it is too long" :
		    err);
		opchain_refused(ch, CONSOLE_OP_MY_PASSWORD, 400, msg);
	} else if (strlen(pw) > CONSOLE_PASSWORD_MAX)
		opchain_refused(ch, CONSOLE_OP_MY_PASSWORD, 400, "Your "
		    "password is too long.");
	else {
		st = opchain_add(ch, CONSOLE_OP_MY_PASSWORD, pw);
		st->args[0] = new;
		st->last_if_ok = 1;
	}
	opchain_add(ch, CONSOLE_OP_MY_KEYS, NULL);
	opchain_start(c, ch);
}
