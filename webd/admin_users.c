/*
 * admin_users: the people who may sign in.  The list is USER_LIST's; a
 * user is added with a new random password that policyd makes and this
 * page shows once (USER_ADD), a user's role, portal login and display
 * name are set (USER_SET, its fields and values common/userdef.c's: a
 * user is disabled by turning the portal login off), and a password is
 * reset to a new random one, shown once too (USER_RESET).  Every change
 * carries the password of the admin who makes it.
 */
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "common/userdef.h"
#include "webd/admin.h"
#include "webd/opchain.h"
#include "webd/optext.h"
#include "webd/page.h"
#include "webd/webd.h"

/* USER_LIST: address, role, portal yes|no, locked yes|no, name. */
#define USERS_FIELDS	5

static void	users_lists(struct opchain *);
static void	users_body(struct evbuffer *, const struct console_session *,
		    const struct opchain *, int);

static const struct admin_page users_page = {
	"Users", "/admin/users", users_lists, users_body,
};

static const struct admin_post users_posts[] = {
#define POST_ADD	0
	{ CONSOLE_OP_USER_ADD, { "address", "name", "role" }, 1 },
#define POST_SET	1
	{ CONSOLE_OP_USER_SET, { "address", "field", "value" }, 0 },
#define POST_RESET	2
	{ CONSOLE_OP_USER_RESET, { "address" }, 1 },
};

static void
users_lists(struct opchain *ch)
{
	opchain_add(ch, CONSOLE_OP_USER_LIST, NULL);
}

static void
users_table(struct evbuffer *b, const struct opchain *ch, int i)
{
	static const char *const heads[] = { "Address", "Name", "Role",
	    "Portal login", "Locked out" };
	/* The columns in the list's order of fields. */
	static const int order[] = { 0, 4, 1, 2, 3 };
	struct optext	 t;
	char		*f[USERS_FIELDS];
	int		 n, rows = 0, unread = 0;

	page_printf(b, "<section id=\"users\">\n<h2>All users</h2>\n");
	if (opchain_list_failed(b, &ch->steps[i])) {
		page_printf(b, "</section>\n");
		return;
	}
	optext_init(&t, ch->steps[i].out);
	while ((n = optext_line(&t, f, USERS_FIELDS)) != 0) {
		/* A user without a display name may end at the locked
		 * field: the name is then "". */
		if (n == USERS_FIELDS - 1)
			f[n++] = "";
		if (n != USERS_FIELDS) {
			unread++;
			continue;
		}
		if (rows++ == 0) {
			page_printf(b, "<table class=\"list\" "
			    "id=\"user-list\">\n<thead><tr>");
			for (int k = 0; k < USERS_FIELDS; k++)
				page_printf(b, "<th scope=\"col\">%s</th>",
				    heads[k]);
			page_printf(b, "</tr></thead>\n<tbody>\n");
		}
		page_printf(b, "<tr>");
		for (int k = 0; k < USERS_FIELDS; k++) {
			page_printf(b, "<td>");
			page_text(b, f[order[k]]);
			page_printf(b, "</td>");
		}
		page_printf(b, "</tr>\n");
	}
	if (rows > 0)
		page_printf(b, "</tbody>\n</table>\n");
	else
		page_printf(b, "<p class=\"muted\">No users yet.</p>\n");
	admin_unread(b, unread);
	page_printf(b, "</section>\n");
}

static void
users_address(struct evbuffer *b, const char *id)
{
	page_printf(b, "<label for=\"%s\">Address</label>\n<input id=\"%s\" "
	    "name=\"address\" type=\"text\" maxlength=\"%d\" "
	    "autocomplete=\"off\" required>\n", id, id, USER_ADDRESS_MAX);
}

static void
users_roles(struct evbuffer *b, const char *id, const char *name,
    int selected)
{
	page_printf(b, "<select id=\"%s\" name=\"%s\">\n", id, name);
	for (int r = 0; r < USER_NROLES; r++)
		page_printf(b, "<option%s>%s</option>\n", r == selected ?
		    " selected" : "", user_role_name(r));
	page_printf(b, "</select>\n");
}

/* A form of "user set" for one field. */
static void
users_set_form(struct evbuffer *b, const struct console_session *s,
    int field, const char *title, const char *button)
{
	const char	*name = user_field_name(field);
	char		 id[32];

	page_printf(b, "<h3>%s</h3>\n<form method=\"post\" "
	    "action=\"/admin/users/set\" class=\"change\">\n", title);
	page_csrf(b, s);
	page_printf(b, "<input type=\"hidden\" name=\"field\" value=\"%s\">\n",
	    name);
	page_printf(b, "<label for=\"set-%s-address\">Address</label>\n"
	    "<input id=\"set-%s-address\" name=\"address\" type=\"text\" "
	    "maxlength=\"%d\" autocomplete=\"off\" required>\n", name, name,
	    USER_ADDRESS_MAX);
	switch (field) {
	case USER_FIELD_ROLE:
		page_printf(b, "<label for=\"set-role-value\">Role</label>\n");
		users_roles(b, "set-role-value", "value", USER_ROLE_DEFAULT);
		break;
	case USER_FIELD_PORTAL:
		page_printf(b, "<label for=\"set-portal-value\">Sign-in to the "
		    "console</label>\n<select id=\"set-portal-value\" "
		    "name=\"value\">\n<option value=\"off\">off: disabled"
		    "</option>\n<option value=\"on\">on</option>\n"
		    "</select>\n");
		break;
	case USER_FIELD_NAME:
		page_printf(b, "<label for=\"set-name-value\">Display name"
		    "</label>\n<input id=\"set-name-value\" name=\"value\" "
		    "type=\"text\" maxlength=\"%d\">\n", USER_NAME_CHARS);
		break;
	}
	snprintf(id, sizeof(id), "set-%s-password", name);
	page_password(b, s, id);
	page_printf(b, "<button type=\"submit\">%s</button>\n</form>\n",
	    button);
}

static void
users_body(struct evbuffer *b, const struct console_session *s,
    const struct opchain *ch, int first)
{
	users_table(b, ch, first);

	page_printf(b, "<section id=\"add\">\n<h2>Add a user</h2>\n"
	    "<form method=\"post\" action=\"/admin/users/add\" "
	    "class=\"change\">\n");
	page_csrf(b, s);
	users_address(b, "add-address");
	page_printf(b, "<label for=\"add-name\">Display name (may be empty)"
	    "</label>\n<input id=\"add-name\" name=\"name\" type=\"text\" "
	    "maxlength=\"%d\">\n<label for=\"add-role\">Role</label>\n",
	    USER_NAME_CHARS);
	users_roles(b, "add-role", "role", USER_ROLE_DEFAULT);
	page_password(b, s, "add-password");
	page_printf(b, "<button type=\"submit\">Add the user</button>\n"
	    "</form>\n<p class=\"muted\">The new user gets a one-time "
	    "password, shown once on the next page.</p>\n</section>\n");

	page_printf(b, "<section id=\"change\">\n<h2>Change a user</h2>\n");
	users_set_form(b, s, USER_FIELD_ROLE, "Role", "Set the role");
	users_set_form(b, s, USER_FIELD_PORTAL, "Sign-in (disable or enable)",
	    "Set the sign-in");
	users_set_form(b, s, USER_FIELD_NAME, "Display name", "Set the name");
	page_printf(b, "</section>\n");

	page_printf(b, "<section id=\"reset\">\n<h2>Reset a password</h2>\n"
	    "<form method=\"post\" action=\"/admin/users/reset\" "
	    "class=\"change\">\n");
	page_csrf(b, s);
	users_address(b, "reset-address");
	page_password(b, s, "reset-password");
	page_printf(b, "<button type=\"submit\">Reset the password</button>\n"
	    "</form>\n<p class=\"muted\">The user's sessions end, and the new "
	    "one-time password is shown once on the next page.</p>\n"
	    "</section>\n");
}

void
admin_users(struct conn *c, const struct webd_request *r)
{
	admin_get(c, r, &users_page);
}

void
admin_user_add(struct conn *c, const struct webd_request *r)
{
	admin_post(c, r, &users_page, &users_posts[POST_ADD]);
}

void
admin_user_set(struct conn *c, const struct webd_request *r)
{
	admin_post(c, r, &users_page, &users_posts[POST_SET]);
}

void
admin_user_reset(struct conn *c, const struct webd_request *r)
{
	admin_post(c, r, &users_page, &users_posts[POST_RESET]);
}
