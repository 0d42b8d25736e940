/*
 * admin_policy: the policy editor.  It shows the global settings, the
 * rules and the internal domains as policyd lists them (POLICY_SHOW,
 * RULE_LIST, DOMAIN_LIST), and has a form for each change: a setting,
 * a rule added or deleted, a domain added or deleted, each with the
 * password given again.  The choices a form offers are policydef's own
 * names (common/policydef.c), so that a select never offers what policyd
 * would refuse; a typed value (a keyword, a pattern) is policyd's to
 * judge, and its refusal is shown as it said it.
 */
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "common/policydef.h"
#include "webd/admin.h"
#include "webd/opchain.h"
#include "webd/optext.h"
#include "webd/page.h"
#include "webd/webd.h"

static void	policy_lists(struct opchain *);
static void	policy_body(struct evbuffer *, const struct console_session *,
		    const struct opchain *, int);

static const struct admin_page policy_page = {
	"Policy", "/admin/policy", policy_lists, policy_body,
};

static const struct admin_post policy_posts[] = {
#define POST_SET	0
	{ CONSOLE_OP_POLICY_SET, { "key", "value" }, 0 },
#define POST_RULE_ADD	1
	{ CONSOLE_OP_RULE_ADD, { "scope", "pattern", "action", "priority" },
	    0 },
#define POST_RULE_DEL	2
	{ CONSOLE_OP_RULE_DEL, { "id" }, 0 },
#define POST_DOMAIN_ADD	3
	{ CONSOLE_OP_DOMAIN_ADD, { "name" }, 0 },
#define POST_DOMAIN_DEL	4
	{ CONSOLE_OP_DOMAIN_DEL, { "name" }, 0 },
};

static void
policy_lists(struct opchain *ch)
{
	opchain_add(ch, CONSOLE_OP_POLICY_SHOW, NULL);
	opchain_add(ch, CONSOLE_OP_RULE_LIST, NULL);
	opchain_add(ch, CONSOLE_OP_DOMAIN_LIST, NULL);
}

/* <option>s of names, the current one selected. */
static void
policy_options(struct evbuffer *b, const char *const *names, int n,
    const char *current)
{
	for (int i = 0; i < n; i++) {
		page_printf(b, "<option%s>", current != NULL &&
		    strcmp(current, names[i]) == 0 ? " selected" : "");
		page_text(b, names[i]);
		page_printf(b, "</option>\n");
	}
}

/* The control for a new value of a setting, as policydef takes it. */
static void
policy_control(struct evbuffer *b, int setting, const char *id,
    const char *current)
{
	/* Room for the longer of the two lists. */
	const char	*names[(int)POL_NMODES > (int)POL_NMISSING ?
			    (int)POL_NMODES : (int)POL_NMISSING];
	static const char *const yesno[] = { "yes", "no" };
	int		 n = 0;

	page_printf(b, "<label for=\"%s\">New value</label>\n", id);
	switch (setting) {
	case POL_SET_KEYWORD:
		page_printf(b, "<input id=\"%s\" name=\"value\" type=\"text\" "
		    "maxlength=\"%d\" required value=\"", id,
		    POL_KEYWORD_CHARS);
		page_text(b, current != NULL ? current : "");
		page_printf(b, "\">\n");
		return;
	case POL_SET_MODE:
		for (n = 0; n < POL_NMODES; n++)
			names[n] = pol_mode_name(n);
		break;
	case POL_SET_MISSING_KEY:
		for (n = 0; n < POL_NMISSING; n++)
			names[n] = pol_missing_name(n);
		break;
	default:
		page_printf(b, "<select id=\"%s\" name=\"value\">\n", id);
		policy_options(b, yesno, 2, current);
		page_printf(b, "</select>\n");
		return;
	}
	page_printf(b, "<select id=\"%s\" name=\"value\">\n", id);
	policy_options(b, names, n, current);
	page_printf(b, "</select>\n");
}

static void
policy_settings(struct evbuffer *b, const struct console_session *s,
    const struct opchain *ch, int i)
{
	const char	*value[POL_NSETTINGS] = { NULL };
	const char	*version = NULL, *at = NULL, *by = NULL;
	struct optext	 t;
	char		*f[1], *key, *v, id[64];
	int		 n, unread = 0;

	page_printf(b, "<section id=\"settings\">\n<h2>Global policy</h2>\n");
	if (opchain_list_failed(b, &ch->steps[i])) {
		page_printf(b, "</section>\n");
		return;
	}
	optext_init(&t, ch->steps[i].out);
	while ((n = optext_line(&t, f, 1)) != 0) {
		if (n == -1 || optext_pair(f[0], &key, &v) == -1) {
			unread++;
			continue;
		}
		if (strcmp(key, "version") == 0)
			version = v;
		else if (strcmp(key, "updated-at") == 0)
			at = v;
		else if (strcmp(key, "updated-by") == 0)
			by = v;
		else {
			for (n = 0; n < POL_NSETTINGS; n++)
				if (strcmp(key, pol_setting_name(n)) == 0)
					break;
			if (n == POL_NSETTINGS)
				unread++;
			else
				value[n] = v;
		}
	}
	page_printf(b, "<table class=\"list settings\">\n<thead><tr>"
	    "<th scope=\"col\">Setting</th><th scope=\"col\">Now</th>"
	    "<th scope=\"col\">Change</th></tr></thead>\n<tbody>\n");
	for (n = 0; n < POL_NSETTINGS; n++) {
		page_printf(b, "<tr id=\"setting-%s\"><th scope=\"row\">",
		    pol_setting_name(n));
		page_text(b, pol_setting_name(n));
		page_printf(b, "</th><td class=\"value\">");
		page_text(b, value[n] != NULL ? value[n] : "?");
		page_printf(b, "</td><td>\n<form method=\"post\" "
		    "action=\"/admin/policy/set\" class=\"change\">\n");
		page_csrf(b, s);
		page_printf(b, "<input type=\"hidden\" name=\"key\" "
		    "value=\"%s\">\n", pol_setting_name(n));
		snprintf(id, sizeof(id), "set-%s-value", pol_setting_name(n));
		policy_control(b, n, id, value[n]);
		snprintf(id, sizeof(id), "set-%s-password",
		    pol_setting_name(n));
		page_password(b, s, id);
		page_printf(b, "<button type=\"submit\">Set</button>\n"
		    "</form>\n</td></tr>\n");
	}
	page_printf(b, "</tbody>\n</table>\n");
	if (version != NULL) {
		page_printf(b, "<p class=\"muted\">Version ");
		page_text(b, version);
		if (at != NULL) {
			page_printf(b, ", changed ");
			page_text(b, at);
		}
		if (by != NULL) {
			page_printf(b, " by ");
			page_text(b, by);
		}
		page_printf(b, ".</p>\n");
	}
	admin_unread(b, unread);
	page_printf(b, "</section>\n");
}

/* Every action a rule may have: each mode, and for those that encrypt,
 * each missing-key action of its own. */
static void
policy_action_options(struct evbuffer *b)
{
	char	 action[POL_ACTION_MAX];

	for (int m = 0; m < POL_NMODES; m++)
		for (int k = POL_MISSING_GLOBAL; k < POL_NMISSING; k++) {
			if (k != POL_MISSING_GLOBAL && m != POL_MODE_ALL &&
			    m != POL_MODE_KEYWORD)
				continue;
			pol_action_format(m, k, action, sizeof(action));
			page_printf(b, "<option>");
			page_text(b, action);
			page_printf(b, "</option>\n");
		}
}

static void
policy_rules(struct evbuffer *b, const struct console_session *s,
    const struct opchain *ch, int i)
{
	static const char *const heads[] = { "ID", "Priority", "Scope",
	    "Pattern", "Action" };
	struct optext	 t;
	char		*f[5];
	int		 n, rows = 0, unread = 0;

	page_printf(b, "<section id=\"rules\">\n<h2>Rules</h2>\n");
	if (!opchain_list_failed(b, &ch->steps[i])) {
		optext_init(&t, ch->steps[i].out);
		while ((n = optext_line(&t, f, 5)) != 0) {
			if (n != 5) {
				unread++;
				continue;
			}
			if (rows++ == 0) {
				page_printf(b, "<table class=\"list\" "
				    "id=\"rule-list\">\n<thead><tr>");
				for (int k = 0; k < 5; k++)
					page_printf(b, "<th scope=\"col\">%s"
					    "</th>", heads[k]);
				page_printf(b, "</tr></thead>\n<tbody>\n");
			}
			page_printf(b, "<tr>");
			for (int k = 0; k < 5; k++) {
				page_printf(b, "<td>");
				page_text(b, f[k]);
				page_printf(b, "</td>");
			}
			page_printf(b, "</tr>\n");
		}
		if (rows > 0)
			page_printf(b, "</tbody>\n</table>\n");
		else
			page_printf(b, "<p class=\"muted\">No rules: the "
			    "global policy decides for every recipient.</p>\n");
		admin_unread(b, unread);
	}
	page_printf(b, "<h3>Add a rule</h3>\n<form method=\"post\" "
	    "action=\"/admin/rules/add\" class=\"change\">\n");
	page_csrf(b, s);
	page_printf(b, "<label for=\"rule-scope\">Scope</label>\n"
	    "<select id=\"rule-scope\" name=\"scope\">\n");
	for (n = 0; n < POL_NSCOPES; n++)
		page_printf(b, "<option>%s</option>\n", pol_scope_name(n));
	page_printf(b, "</select>\n<label for=\"rule-pattern\">Domain or "
	    "address</label>\n<input id=\"rule-pattern\" name=\"pattern\" "
	    "type=\"text\" maxlength=\"%d\" required>\n<label "
	    "for=\"rule-action\">Action</label>\n<select id=\"rule-action\" "
	    "name=\"action\">\n", POL_ADDRESS_MAX);
	policy_action_options(b);
	page_printf(b, "</select>\n<label for=\"rule-priority\">Priority (0 to "
	    "%d; the higher wins)</label>\n<input id=\"rule-priority\" "
	    "name=\"priority\" type=\"number\" min=\"0\" max=\"%d\" "
	    "value=\"%d\">\n", POL_PRIORITY_MAX, POL_PRIORITY_MAX,
	    POL_PRIORITY_DEFAULT);
	page_password(b, s, "rule-add-password");
	page_printf(b, "<button type=\"submit\">Add the rule</button>\n"
	    "</form>\n<h3>Delete a rule</h3>\n<form method=\"post\" "
	    "action=\"/admin/rules/del\" class=\"change\">\n");
	page_csrf(b, s);
	page_printf(b, "<label for=\"rule-id\">Rule ID</label>\n<input "
	    "id=\"rule-id\" name=\"id\" type=\"number\" min=\"1\" required>\n");
	page_password(b, s, "rule-del-password");
	page_printf(b, "<button type=\"submit\">Delete the rule</button>\n"
	    "</form>\n</section>\n");
}

static void
policy_domains(struct evbuffer *b, const struct console_session *s,
    const struct opchain *ch, int i)
{
	struct optext	 t;
	char		*f[1];
	int		 n, rows = 0, unread = 0;

	page_printf(b, "<section id=\"domains\">\n<h2>Internal domains</h2>\n");
	if (!opchain_list_failed(b, &ch->steps[i])) {
		optext_init(&t, ch->steps[i].out);
		while ((n = optext_line(&t, f, 1)) != 0) {
			if (n != 1) {
				unread++;
				continue;
			}
			if (rows++ == 0)
				page_printf(b, "<ul class=\"names\" "
				    "id=\"domain-list\">\n");
			page_printf(b, "<li>");
			page_text(b, f[0]);
			page_printf(b, "</li>\n");
		}
		if (rows > 0)
			page_printf(b, "</ul>\n");
		else
			page_printf(b, "<p class=\"muted\">No internal "
			    "domains: no mail is incoming.</p>\n");
		admin_unread(b, unread);
	}
	page_printf(b, "<h3>Add a domain</h3>\n<form method=\"post\" "
	    "action=\"/admin/domains/add\" class=\"change\">\n");
	page_csrf(b, s);
	page_printf(b, "<label for=\"domain-add-name\">Domain</label>\n"
	    "<input id=\"domain-add-name\" name=\"name\" type=\"text\" "
	    "maxlength=\"%d\" required>\n", POL_DOMAIN_MAX);
	page_password(b, s, "domain-add-password");
	page_printf(b, "<button type=\"submit\">Add the domain</button>\n"
	    "</form>\n<h3>Delete a domain</h3>\n<form method=\"post\" "
	    "action=\"/admin/domains/del\" class=\"change\">\n");
	page_csrf(b, s);
	page_printf(b, "<label for=\"domain-del-name\">Domain</label>\n"
	    "<input id=\"domain-del-name\" name=\"name\" type=\"text\" "
	    "maxlength=\"%d\" required>\n", POL_DOMAIN_MAX);
	page_password(b, s, "domain-del-password");
	page_printf(b, "<button type=\"submit\">Delete the domain</button>\n"
	    "</form>\n</section>\n");
}

static void
policy_body(struct evbuffer *b, const struct console_session *s,
    const struct opchain *ch, int first)
{
	policy_settings(b, s, ch, first);
	policy_rules(b, s, ch, first + 1);
	policy_domains(b, s, ch, first + 2);
}

void
admin_policy(struct conn *c, const struct webd_request *r)
{
	admin_get(c, r, &policy_page);
}

void
admin_policy_set(struct conn *c, const struct webd_request *r)
{
	admin_post(c, r, &policy_page, &policy_posts[POST_SET]);
}

void
admin_rule_add(struct conn *c, const struct webd_request *r)
{
	admin_post(c, r, &policy_page, &policy_posts[POST_RULE_ADD]);
}

void
admin_rule_del(struct conn *c, const struct webd_request *r)
{
	admin_post(c, r, &policy_page, &policy_posts[POST_RULE_DEL]);
}

void
admin_domain_add(struct conn *c, const struct webd_request *r)
{
	admin_post(c, r, &policy_page, &policy_posts[POST_DOMAIN_ADD]);
}

void
admin_domain_del(struct conn *c, const struct webd_request *r)
{
	admin_post(c, r, &policy_page, &policy_posts[POST_DOMAIN_DEL]);
}
