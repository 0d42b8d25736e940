/*
 * admin_keys: the administrator's key page, /admin/keys.  The record's
 * keys (CONSOLE_OP_KEY_LIST) in a table, one row a key, each with its
 * export link and its own forms (revoke; delete for an external key);
 * below it the forms to generate a key for an internal address and to
 * import one (a file or pasted armour, multipart).  Every change asks
 * for the password again (P in common/msg.h) and answers with the same
 * page: the outcome in a banner, with the status that says it, above
 * the list as the change left it.  An export is a download
 * (keydata.c).
 */
#include <stdio.h>
#include <string.h>

#include "webd/admin.h"
#include "webd/keydata.h"
#include "webd/opchain.h"
#include "webd/optext.h"
#include "webd/page.h"
#include "webd/policyd_client.h"
#include "webd/webd.h"

#define KEYS_PATH	"/admin/keys"
/* A key line: FINGERPRINT, internal|external, SOURCE, CREATED,
 * EXPIRES|-, REVOKED, SECRET, ADDRESS[,ADDRESS..]. */
#define KEYS_FIELDS	8

static void
keys_row(struct evbuffer *b, const struct console_session *s, char **f,
    int row)
{
	char	 id[32];
	int	 external = strcmp(f[1], "external") == 0;
	int	 revoked = strcmp(f[5], "yes") == 0;

	page_printf(b, "<tr data-fpr=\"");
	page_text(b, f[0]);
	page_printf(b, "\">\n<td class=\"fpr\">");
	page_text(b, f[0]);
	page_printf(b, "</td>\n<td class=\"addresses\">");
	keydata_addresses(b, f[7]);
	page_printf(b, "</td>\n<td class=\"kind\">");
	page_text(b, f[1]);
	page_printf(b, "</td>\n<td class=\"source\">");
	page_text(b, f[2]);
	page_printf(b, "</td>\n<td class=\"created\">");
	page_time(b, f[3]);
	page_printf(b, "</td>\n<td class=\"expires\">");
	page_time(b, strcmp(f[4], "-") == 0 ? "never" : f[4]);
	page_printf(b, "</td>\n<td class=\"revoked\">");
	page_text(b, f[5]);
	page_printf(b, "</td>\n<td class=\"secret\">");
	page_text(b, f[6]);
	page_printf(b, "</td>\n<td class=\"actions\">\n"
	    "<a class=\"export\" href=\"" KEYS_PATH "/export?fpr=");
	page_text(b, f[0]);
	page_printf(b, "\">Export</a>\n");
	if (!revoked) {
		snprintf(id, sizeof(id), "revoke-password-%d", row);
		keydata_row_form(b, s, KEYS_PATH "/revoke", f[0], id,
		    "Revoke");
	}
	if (external) {
		snprintf(id, sizeof(id), "delete-password-%d", row);
		keydata_row_form(b, s, KEYS_PATH "/delete", f[0], id,
		    "Delete");
	}
	page_printf(b, "</td>\n</tr>\n");
}

static void
keys_table(struct evbuffer *b, const struct console_session *s,
    struct opchain_step *list)
{
	struct optext	 t;
	char		*f[KEYS_FIELDS];
	int		 n, rows = 0, unread = 0;

	if (opchain_list_failed(b, list))
		return;
	page_printf(b, "<table class=\"keys\">\n<thead><tr>"
	    "<th>Fingerprint</th><th>Addresses</th><th>Kind</th>"
	    "<th>Source</th><th>Created</th><th>Expires</th><th>Revoked</th>"
	    "<th>Secret held</th><th>Actions</th></tr></thead>\n<tbody>\n");
	optext_init(&t, list->out);
	while ((n = optext_line(&t, f, KEYS_FIELDS)) != 0) {
		if (n != KEYS_FIELDS) {
			unread++;
			continue;
		}
		keys_row(b, s, f, rows++);
	}
	page_printf(b, "</tbody>\n</table>\n");
	if (rows == 0)
		page_printf(b, "<p class=\"empty\">The record holds no "
		    "key.</p>\n");
	page_unread(b, unread);
}

/* What a change concerned: keyd's fingerprints, one a line. */
static void
keys_changed(struct evbuffer *b, struct opchain_step *change)
{
	struct optext	 t;
	char		*f[1];
	int		 n, first = 1;

	if (change->error != CONSOLE_E_OK)
		return;
	optext_init(&t, change->out);
	while ((n = optext_line(&t, f, 1)) != 0) {
		if (n != 1)
			continue;
		page_printf(b, "%s<li><code>", first ? "<ul class=\"changed\">\n" :
		    "");
		page_text(b, f[0]);
		page_printf(b, "</code></li>\n");
		first = 0;
	}
	if (!first)
		page_printf(b, "</ul>\n");
}

static void
keys_render(struct conn *c, struct opchain *ch)
{
	const struct console_session	*s = c->request.session;
	struct evbuffer			*b = page_buffer();
	uint32_t			 retry;
	int				 status;

	status = opchain_status(ch, &retry);
	page_open(b, s, "Keys", KEYS_PATH);
	if (ch->change) {
		opchain_banner(b, &ch->steps[0]);
		keys_changed(b, &ch->steps[0]);
	}
	keys_table(b, s, &ch->steps[ch->n - 1]);

	page_printf(b, "<h2>Generate a key</h2>\n<form method=\"post\" "
	    "action=\"" KEYS_PATH "/generate\" class=\"generate\">\n");
	page_csrf(b, s);
	page_printf(b, "<label for=\"generate-address\">Address</label>\n"
	    "<input id=\"generate-address\" name=\"address\" type=\"email\" "
	    "maxlength=\"%d\" required>\n", CONSOLE_ADDRESS_MAX);
	page_password(b, s, "generate-password");
	page_printf(b, "<button type=\"submit\">Generate</button>\n</form>\n");

	page_printf(b, "<h2>Import a key</h2>\n");
	keydata_upload_form(b, s, KEYS_PATH "/import", "import", "Import");
	page_close(b);
	page_send(c, status, retry, b);
}

/* The chain of a page: a change (or its refusal) first, then the list. */
static struct opchain *
keys_chain(struct conn *c, int change)
{
	struct opchain	*ch = opchain_new(c, keys_render, NULL);

	ch->change = change;
	return ch;
}

void
admin_keys(struct conn *c, const struct webd_request *r)
{
	struct opchain	*ch = keys_chain(c, 0);

	(void)r;
	opchain_add(ch, CONSOLE_OP_KEY_LIST, NULL);
	opchain_start(c, ch);
}

/* A change of one fingerprint (revoke, delete). */
static void
keys_fpr_change(struct conn *c, const struct webd_request *r,
    enum console_op op)
{
	struct opchain	*ch = keys_chain(c, 1);

	keydata_fpr_step(ch, r, op);
	opchain_add(ch, CONSOLE_OP_KEY_LIST, NULL);
	opchain_start(c, ch);
}

void
admin_key_revoke(struct conn *c, const struct webd_request *r)
{
	keys_fpr_change(c, r, CONSOLE_OP_KEY_REVOKE);
}

void
admin_key_delete(struct conn *c, const struct webd_request *r)
{
	keys_fpr_change(c, r, CONSOLE_OP_KEY_DELETE);
}

void
admin_key_generate(struct conn *c, const struct webd_request *r)
{
	struct opchain		*ch = keys_chain(c, 1);
	struct opchain_step	*st;
	const char		*address = form_value(r->form, "address");
	const char		*pw = keydata_password(r);

	if (address == NULL || address[0] == '\0')
		opchain_refused(ch, CONSOLE_OP_KEY_GENERATE, 400, "Give the "
		    "address the key is for.");
	else if (strlen(address) > CONSOLE_ADDRESS_MAX)
		opchain_refused(ch, CONSOLE_OP_KEY_GENERATE, 400, "The address "
		    "is too long.");
	else if (strlen(pw) > CONSOLE_PASSWORD_MAX)
		opchain_refused(ch, CONSOLE_OP_KEY_GENERATE, 400, "The password "
		    "is too long.");
	else {
		st = opchain_add(ch, CONSOLE_OP_KEY_GENERATE, pw);
		st->args[0] = address;
	}
	opchain_add(ch, CONSOLE_OP_KEY_LIST, NULL);
	opchain_start(c, ch);
}

void
admin_key_import(struct conn *c, const struct webd_request *r)
{
	struct opchain	*ch = keys_chain(c, 1);

	keydata_import_step(ch, r, CONSOLE_OP_KEY_IMPORT);
	opchain_add(ch, CONSOLE_OP_KEY_LIST, NULL);
	opchain_start(c, ch);
}

void
admin_key_export(struct conn *c, const struct webd_request *r)
{
	keydata_export(c, r, CONSOLE_OP_KEY_EXPORT, KEYS_PATH);
}
