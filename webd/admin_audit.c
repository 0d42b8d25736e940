/*
 * admin_audit: /admin/audit, the audit log.  At the top the chain's
 * state (CONSOLE_OP_AUDIT_CHAIN: intact, or broken at a row and why);
 * then the filters, a GET form (process, kind, actor, since, until),
 * and the rows policyd finds (CONSOLE_OP_AUDIT_LIST, newest first, a
 * page of at most AUDIT_PAGE), with a link to the older ones (the same
 * filters and before=the last id shown).
 *
 * The filters come in the query string, read by the form parser
 * (form.c: bounded by the target's 2048 bytes, percent-decoded, UTF-8
 * without NUL); a malformed query, a filter given twice, or a "before"
 * that is not a row id is answered 400.  Their values go to policyd as
 * they are, as statement parameters there: a value that looks like SQL
 * or markup is only text, looked for and shown escaped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "webd/admin.h"
#include "webd/form.h"
#include "webd/opchain.h"
#include "webd/optext.h"
#include "webd/page.h"
#include "webd/webd.h"

#define AUDIT_PATH	"/admin/audit"
/* The rows of one page, as policyd gives them (common/msg.h). */
#define AUDIT_PAGE	100
/* A row: ID, TIME, PROCESS, ACTOR, KIND, SUBJECT, DETAIL. */
#define AUDIT_FIELDS	7
/* A row id: a bigint's digits. */
#define AUDIT_ID_MAX	19

/* The filters, in the order AUDIT_LIST takes them; "before" last. */
static const struct {
	const char	*name;
	const char	*label;
	const char	*hint;		/* the input's placeholder */
} audit_filters[] = {
	{ "process",	"Process",	NULL },
	{ "kind",	"Kind",		"login-failed" },
	{ "actor",	"Actor",	"admin:alice@example.com" },
	{ "since",	"Since",	"2024-05-01 or 2024-05-01T12:00Z" },
	{ "until",	"Until",	"2024-05-31T23:59:59Z" },
};
#define AUDIT_NFILTERS	(sizeof(audit_filters) / sizeof(audit_filters[0]))

/* Who wrote a row, as policyd tells them apart. */
static const char *const audit_processes[] = {
	"console", "pgpmgctl", "cryptod", "policyd", "other",
};

struct audit {
	const char	*value[AUDIT_NFILTERS];	/* into the request's form */
	const char	*before;
};

/* The value of a query field given at most once: 0 (NULL when absent),
 * or -1 when it is repeated. */
static int
audit_once(const struct form *f, const char *name, const char **value)
{
	size_t	 n = 0;

	*value = NULL;
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->fields[i].name, name) == 0) {
			*value = f->fields[i].value;
			n++;
		}
	return n > 1 ? -1 : 0;
}

/* A query value, percent-encoded but for RFC 3986's unreserved
 * characters: what it writes is safe in an attribute as it is. */
static void
audit_encode(struct evbuffer *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0';
	    p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL)
			page_printf(b, "%c", *p);
		else
			page_printf(b, "%%%02X", *p);
	}
}

static void
audit_chain(struct evbuffer *b, struct opchain_step *st)
{
	struct optext	 t;
	char		*f[3];
	int		 n;

	if (opchain_list_failed(b, st))
		return;
	optext_init(&t, st->out);
	n = optext_line(&t, f, 3);
	if (n == 3 && strcmp(f[0], "ok") == 0) {
		page_printf(b, "<p class=\"chain ok\" role=\"status\">The audit "
		    "chain is intact: <span class=\"rows\">");
		page_text(b, f[1]);
		page_printf(b, "</span> rows, the last <span class=\"last\">");
		page_text(b, f[2]);
		page_printf(b, "</span>.</p>\n");
	} else if (n == 3 && strcmp(f[0], "broken") == 0) {
		page_printf(b, "<p class=\"chain broken\" role=\"alert\">The "
		    "audit chain is broken at row <span class=\"at\">");
		page_text(b, f[1]);
		page_printf(b, "</span>: <span class=\"why\">");
		page_text(b, f[2]);
		page_printf(b, "</span></p>\n");
	} else
		page_printf(b, "<p class=\"chain unknown\" role=\"alert\">The "
		    "audit chain's state was not understood.</p>\n");
}

static void
audit_form(struct evbuffer *b, const struct audit *a)
{
	page_printf(b, "<form method=\"get\" action=\"" AUDIT_PATH "\" "
	    "class=\"filters\">\n");
	for (size_t i = 0; i < AUDIT_NFILTERS; i++) {
		const char *v = a->value[i] != NULL ? a->value[i] : "";

		page_printf(b, "<div class=\"filter\">\n<label "
		    "for=\"audit-%s\">%s</label>\n", audit_filters[i].name,
		    audit_filters[i].label);
		if (i == 0) {
			page_printf(b, "<select id=\"audit-process\" "
			    "name=\"process\">\n<option value=\"\">any"
			    "</option>\n");
			for (size_t k = 0; k < sizeof(audit_processes) /
			    sizeof(audit_processes[0]); k++)
				page_printf(b, "<option%s>%s</option>\n",
				    strcmp(v, audit_processes[k]) == 0 ?
				    " selected" : "", audit_processes[k]);
			page_printf(b, "</select>\n</div>\n");
			continue;
		}
		page_printf(b, "<input id=\"audit-%s\" name=\"%s\" "
		    "type=\"text\" maxlength=\"%d\" placeholder=\"",
		    audit_filters[i].name, audit_filters[i].name,
		    CONSOLE_ARG_MAX);
		page_text(b, audit_filters[i].hint);
		page_printf(b, "\" value=\"");
		page_text(b, v);
		page_printf(b, "\">\n</div>\n");
	}
	page_printf(b, "<button type=\"submit\">Filter</button>\n</form>\n");
}

/* The rows; the last one's id in last (for the older page). */
static int
audit_rows(struct evbuffer *b, struct opchain_step *st, char *last,
    size_t lastlen)
{
	static const char *const cls[AUDIT_FIELDS] = {
		"id", "time", "process", "actor", "kind", "subject", "detail",
	};
	struct optext	 t;
	char		*f[AUDIT_FIELDS];
	int		 n, rows = 0, unread = 0;

	page_printf(b, "<table class=\"audit\">\n<thead><tr><th>ID</th>"
	    "<th>Time</th><th>Process</th><th>Actor</th><th>Kind</th>"
	    "<th>Subject</th><th>Detail</th></tr></thead>\n<tbody>\n");
	optext_init(&t, st->out);
	while ((n = optext_line(&t, f, AUDIT_FIELDS)) != 0) {
		if (n != AUDIT_FIELDS) {
			unread++;
			continue;
		}
		page_id_row(b, f, cls, AUDIT_FIELDS);
		snprintf(last, lastlen, "%s", f[0]);
		rows++;
	}
	page_printf(b, "</tbody>\n</table>\n");
	if (rows == 0)
		page_printf(b, "<p class=\"empty\">No rows.</p>\n");
	page_unread(b, unread);
	return rows + unread;
}

static void
audit_older(struct evbuffer *b, const struct audit *a, const char *last)
{
	page_printf(b, "<p class=\"paging\"><a class=\"older\" href=\""
	    AUDIT_PATH "?");
	for (size_t i = 0; i < AUDIT_NFILTERS; i++) {
		if (a->value[i] == NULL || a->value[i][0] == '\0')
			continue;
		page_printf(b, "%s=", audit_filters[i].name);
		audit_encode(b, a->value[i]);
		page_printf(b, "&amp;");
	}
	page_printf(b, "before=");
	audit_encode(b, last);
	page_printf(b, "\">Older rows</a></p>\n");
}

static void
audit_render(struct conn *c, struct opchain *ch)
{
	const struct audit	*a = ch->arg;
	struct evbuffer		*b = page_buffer();
	struct opchain_step	*list = &ch->steps[1];
	char			 last[AUDIT_ID_MAX + 1] = "";
	uint32_t		 retry;
	int			 status;

	status = opchain_status(ch, &retry);
	page_open(b, c->request.session, "Audit", AUDIT_PATH);
	audit_chain(b, &ch->steps[0]);
	audit_form(b, a);
	if (!opchain_list_failed(b, list) &&
	    audit_rows(b, list, last, sizeof(last)) >= AUDIT_PAGE &&
	    last[0] != '\0')
		audit_older(b, a, last);
	page_close(b);
	page_send(c, status, retry, b);
}

void
admin_audit(struct conn *c, const struct webd_request *r)
{
	struct opchain		*ch;
	struct opchain_step	*st;
	struct audit		*a;
	const char		*why;
	size_t			 n;
	int			 status;

	/* The query's fields live in the connection's form until the
	 * response is out. */
	if ((status = form_parse(r->query != NULL ? r->query : "",
	    r->query != NULL ? r->querylen : 0, &c->form, &why)) != 0) {
		response_error(c, status, why);
		return;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL)
		fatal("audit");
	for (size_t i = 0; i < AUDIT_NFILTERS; i++)
		if (audit_once(&c->form, audit_filters[i].name,
		    &a->value[i]) == -1 || (a->value[i] != NULL &&
		    strlen(a->value[i]) > CONSOLE_ARG_MAX)) {
			free(a);
			response_error(c, 400, "a filter given twice, or too "
			    "long");
			return;
		}
	if (audit_once(&c->form, "before", &a->before) == -1 ||
	    (a->before != NULL && ((n = strlen(a->before)) == 0 ||
	    n > AUDIT_ID_MAX || strspn(a->before, "0123456789") != n))) {
		free(a);
		response_error(c, 400, "before: a row id");
		return;
	}
	ch = opchain_new(c, audit_render, a);
	ch->owned = a;
	opchain_add(ch, CONSOLE_OP_AUDIT_CHAIN, NULL);
	st = opchain_add(ch, CONSOLE_OP_AUDIT_LIST, NULL);
	for (size_t i = 0; i < AUDIT_NFILTERS; i++)
		st->args[i] = a->value[i];
	st->args[AUDIT_NFILTERS] = a->before;
	opchain_start(c, ch);
}
