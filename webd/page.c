/*
 * page: the signed-in pages' frame and shared parts.  Everything dynamic
 * goes through the escaper (html.c); the only unescaped output is our own
 * markup with numbers in it.  No inline script or style anywhere: the
 * CSP allows neither, and the stylesheet (www/static/pgpmg.css) has a
 * class for every look a page needs.
 */
#include <stdarg.h>
#include <string.h>

#include <event2/buffer.h>

#include "common/log.h"
#include "webd/html.h"
#include "webd/page.h"
#include "webd/webd.h"

/* The nav of each role: the admin's console, and the user's portal. */
struct page_nav {
	const char	*path;
	const char	*label;
};

static const struct page_nav page_nav_admin[] = {
	{ "/admin",		"Dashboard" },
	{ "/admin/policy",	"Policy" },
	{ "/admin/users",	"Users" },
	{ "/admin/keys",	"Keys" },
	{ "/admin/audit",	"Audit" },
	{ "/admin/notices",	"Notices" },
	/* an administrator's own keys and password */
	{ "/portal",		"Portal" },
	{ NULL,			NULL },
};

static const struct page_nav page_nav_user[] = {
	{ "/portal",		"Portal" },
	{ NULL,			NULL },
};

/*
 * policyd's answer as the person sees it: the status that says the same
 * in HTTP, and the banner's words when policyd gave no message.
 */
static const struct {
	int		 status;
	uint32_t	 retry;		/* Retry-After; LOCKED: policyd's */
	const char	*text;
} page_errors[CONSOLE_E_MAX + 1] = {
	[CONSOLE_E_DENIED] = { 403, 0,
	    "This is not yours to do, or your session has ended." },
	[CONSOLE_E_OK] = { 200, 0, "Done." },
	[CONSOLE_E_PASSWORD] = { 401, 0,
	    "Your password was wrong or missing: nothing was changed." },
	[CONSOLE_E_LOCKED] = { 429, 0,
	    "Too many wrong passwords: wait before you try again." },
	[CONSOLE_E_BUSY] = { 503, PAGE_RETRY_BUSY,
	    "Too many password checks at once: try again in a moment." },
	[CONSOLE_E_INVALID] = { 400, 0,
	    "The value was not accepted: nothing was changed." },
	[CONSOLE_E_NOTFOUND] = { 404, 0, "There is no such entry." },
	[CONSOLE_E_EXISTS] = { 409, 0, "That exists already." },
	[CONSOLE_E_PASSPHRASE] = { 400, 0,
	    "The key's passphrase was missing or wrong." },
	[CONSOLE_E_UNAVAILABLE] = { 503, PAGE_RETRY_UNAVAILABLE,
	    "The database is unavailable: try again later." },
	[CONSOLE_E_FAILED] = { 500, 0, "The operation failed." },
};

struct evbuffer *
page_buffer(void)
{
	struct evbuffer	*b;

	if ((b = evbuffer_new()) == NULL)
		fatalx("page: out of memory");
	return b;
}

void
page_text(struct evbuffer *b, const char *s)
{
	if (html_add(b, s) == -1)
		fatalx("page: out of memory");
}

void
page_printf(struct evbuffer *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, fmt);
	rc = evbuffer_add_vprintf(b, fmt, ap);
	va_end(ap);
	if (rc == -1)
		fatalx("page: out of memory");
}

void
page_time(struct evbuffer *b, const char *iso)
{
	static const char	 form[] = "dddd-dd-ddTdd:dd:ddZ";
	size_t			 i;

	for (i = 0; form[i] != '\0' && iso[i] != '\0'; i++)
		if (form[i] == 'd' ? iso[i] < '0' || iso[i] > '9' :
		    iso[i] != form[i])
			break;
	if (form[i] != '\0' || iso[i] != '\0') {
		page_text(b, iso);
		return;
	}
	/* Only digits and the form's own characters: nothing to escape. */
	page_printf(b, "<time datetime=\"%s\">%.10s %.8s UTC</time>", iso, iso,
	    iso + 11);
}

void
page_id_row(struct evbuffer *b, char *const *f, const char *const *cls,
    int n)
{
	page_printf(b, "<tr data-id=\"");
	page_text(b, f[0]);
	page_printf(b, "\">");
	for (int i = 0; i < n; i++) {
		page_printf(b, "<td class=\"%s\">", cls[i]);
		if (i == 1)
			page_time(b, f[i]);
		else
			page_text(b, f[i]);
		page_printf(b, "</td>");
	}
	page_printf(b, "</tr>\n");
}

void
page_csrf(struct evbuffer *b, const struct console_session *s)
{
	page_printf(b, "<input type=\"hidden\" name=\"csrf\" value=\"");
	page_text(b, s->csrf);
	page_printf(b, "\">\n");
}

void
page_password(struct evbuffer *b, const struct console_session *s,
    const char *id)
{
	/* Whose password it is, for a password manager (which would
	 * otherwise take the form's other address, say a new user's, for
	 * the account): never sent, as it has no name. */
	page_printf(b, "<input type=\"text\" autocomplete=\"username\" "
	    "value=\"");
	page_text(b, s->address);
	page_printf(b, "\" hidden>\n<label for=\"");
	page_text(b, id);
	page_printf(b, "\">Your password</label>\n<input id=\"");
	page_text(b, id);
	page_printf(b, "\" name=\"password\" type=\"password\" "
	    "autocomplete=\"current-password\" maxlength=\"%d\" required>\n",
	    CONSOLE_PASSWORD_MAX);
}

void
page_open(struct evbuffer *b, const struct console_session *s,
    const char *title, const char *current)
{
	const struct page_nav	*nav = s->admin ? page_nav_admin :
				    page_nav_user;

	if (html_page_head(b, title) == -1)
		fatalx("page: out of memory");
	page_printf(b, "<body>\n<header class=\"bar\">\n<nav>\n");
	for (; nav->path != NULL; nav++) {
		page_printf(b, "<a href=\"%s\"%s>", nav->path,
		    current != NULL && strcmp(current, nav->path) == 0 ?
		    " aria-current=\"page\"" : "");
		page_text(b, nav->label);
		page_printf(b, "</a>\n");
	}
	page_printf(b, "</nav>\n<div class=\"who\">Signed in as ");
	if (s->name[0] != '\0') {
		page_printf(b, "<span class=\"name\">");
		page_text(b, s->name);
		page_printf(b, "</span> ");
	}
	page_printf(b, "<span class=\"address\">");
	page_text(b, s->address);
	page_printf(b, "</span> <span class=\"role\">(");
	page_text(b, s->role);
	page_printf(b, ")</span>\n<form method=\"post\" action=\"/logout\" "
	    "class=\"inline\">\n");
	page_csrf(b, s);
	page_printf(b, "<button type=\"submit\">Sign out</button>\n</form>\n"
	    "</div>\n</header>\n<main class=\"wide\">\n<h1>");
	page_text(b, title);
	page_printf(b, "</h1>\n");
}

void
page_close(struct evbuffer *b)
{
	if (html_page_close(b) == -1)
		fatalx("page: out of memory");
}

void
page_result(struct evbuffer *b, int ok, const char *text)
{
	page_printf(b, "<p class=\"result %s\" role=\"status\">",
	    ok ? "ok" : "error");
	page_text(b, text);
	page_printf(b, "</p>\n");
}

const char *
page_error_text(enum console_error e)
{
	if ((unsigned)e > CONSOLE_E_MAX)
		fatalx("page: no console error %d", e);
	return page_errors[e].text;
}

void
page_result_of(struct evbuffer *b, enum console_error e, const char *message)
{
	const char	*text = page_error_text(e);

	page_printf(b, "<p class=\"result %s\" role=\"status\">",
	    e == CONSOLE_E_OK ? "ok" : "error");
	page_text(b, text);
	if (message != NULL && message[0] != '\0') {
		page_printf(b, " ");
		page_text(b, message);
	}
	page_printf(b, "</p>\n");
}

void
page_unread(struct evbuffer *b, int lines)
{
	if (lines > 0)
		page_printf(b, "<p class=\"unread\">%d lines of the list were "
		    "not understood.</p>\n", lines);
}

int
page_status(enum console_error e, uint32_t wait, uint32_t *retry_after)
{
	if ((unsigned)e > CONSOLE_E_MAX)
		fatalx("page: no console error %d", e);
	*retry_after = e == CONSOLE_E_LOCKED ? wait : page_errors[e].retry;
	return page_errors[e].status;
}

void
page_send(struct conn *c, int status, uint32_t retry_after,
    struct evbuffer *b)
{
	struct response	 r;

	memset(&r, 0, sizeof(r));
	r.status = status;
	r.retry_after = retry_after;
	/* The request was whole and well-formed; whatever the page says,
	 * the connection may serve the next. */
	r.keep = 1;
	response_page(c, &r, b);
	evbuffer_free(b);
}

void
page_forbidden(struct conn *c, const struct console_session *s)
{
	struct evbuffer	*b = page_buffer();

	page_open(b, s, "Not for your role", NULL);
	page_printf(b, "<p>This page is for administrators. You are signed "
	    "in with the role ");
	page_text(b, s->role);
	page_printf(b, ".</p>\n");
	page_close(b);
	page_send(c, 403, 0, b);
}
