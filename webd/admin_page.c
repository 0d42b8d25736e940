/*
 * admin_page: what the administrator's list pages share.  A GET asks for
 * the page's lists and shows them.  A POST is a change: its arguments are
 * the form's fields (a field given twice, or a value longer than the
 * protocol takes, is refused here, 400; a missing password too, 401,
 * without costing a password check), then the same lists, so that the
 * answer is the page as the change left it, with the outcome on top.
 * The status is the change's (page.c's table), or for a GET the first
 * list's that failed.  A one-time password in a change's answer is shown
 * once, here, and nowhere else: not in the log, not in a URL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "common/log.h"
#include "webd/admin.h"
#include "webd/opchain.h"
#include "webd/optext.h"
#include "webd/page.h"
#include "webd/webd.h"

/* The banner's text from an answer's lines: enough for "KEY: OLD -> NEW"
 * or "added rule 7"; longer is cut. */
#define ADMIN_BANNER_MAX	1024

/* The output's lines but a one-time password's, joined by "; ". */
static void
admin_lines(char *out, char *dst, size_t len, const char **secret)
{
	struct optext	 t;
	char		*f[2];
	size_t		 n = 0;
	int		 nf;

	dst[0] = '\0';
	optext_init(&t, out);
	while ((nf = optext_line(&t, f, 2)) != 0) {
		if (nf == 2 && strcmp(f[0], "password") == 0 &&
		    secret != NULL && *secret == NULL) {
			*secret = f[1];
			continue;
		}
		if (nf == -1)
			continue;
		n += (size_t)snprintf(dst + n, n < len ? len - n : 0, "%s%s%s%s",
		    n > 0 ? "; " : "", f[0], nf == 2 ? " " : "",
		    nf == 2 ? f[1] : "");
		if (n >= len)
			break;
	}
}

/* An admin page's chain: the page, and the change posted (NULL for a
 * GET). */
struct admin_run {
	const struct admin_page	*page;
	const struct admin_post	*post;
};

static void
admin_banner(struct evbuffer *b, const struct webd_request *r,
    const struct admin_post *post, const struct opchain_step *st)
{
	const char		*secret = NULL, *address;
	char			 text[ADMIN_BANNER_MAX];

	if (st->error != CONSOLE_E_OK) {
		opchain_banner(b, st);
		return;
	}
	admin_lines(st->out, text, sizeof(text), post->secret ? &secret :
	    NULL);
	page_result_of(b, st->error, st->message[0] != '\0' ? st->message :
	    text);
	if (!post->secret)
		return;
	address = form_value(r->form, "address");
	if (secret == NULL) {
		page_result(b, 0, "policyd gave no password: reset it to make "
		    "a new one.");
		return;
	}
	page_printf(b, "<div class=\"secret\">\n<p>The one-time password of "
	    "<strong>");
	page_text(b, address != NULL ? address : "");
	page_printf(b, "</strong>, shown this once: give it to its owner, "
	    "who signs in with it.</p>\n<p><code class=\"password\">");
	page_text(b, secret);
	page_printf(b, "</code></p>\n</div>\n");
}

static void
admin_render(struct conn *c, struct opchain *ch)
{
	const struct admin_run	*run = ch->arg;
	struct evbuffer		*b = page_buffer();
	uint32_t		 retry;
	int			 status;

	status = opchain_status(ch, &retry);
	page_open(b, c->request.session, run->page->title, run->page->path);
	if (ch->change)
		admin_banner(b, &c->request, run->post, &ch->steps[0]);
	run->page->body(b, c->request.session, ch, ch->change ? 1 : 0);
	page_close(b);
	page_send(c, status, retry, b);
}

static struct opchain *
admin_chain(struct conn *c, const struct admin_page *page,
    const struct admin_post *post)
{
	struct opchain		*ch;
	struct admin_run	*run;

	if ((run = calloc(1, sizeof(*run))) == NULL)
		fatal("admin");
	run->page = page;
	run->post = post;
	ch = opchain_new(c, admin_render, run);
	ch->owned = run;
	ch->change = post != NULL;
	return ch;
}

void
admin_get(struct conn *c, const struct webd_request *r,
    const struct admin_page *page)
{
	struct opchain	*ch;

	(void)r;
	ch = admin_chain(c, page, NULL);
	page->lists(ch);
	opchain_start(c, ch);
}

void
admin_post(struct conn *c, const struct webd_request *r,
    const struct admin_page *page, const struct admin_post *post)
{
	struct opchain		*ch;
	struct opchain_step	*st;
	const char		*args[CONSOLE_NARGS] = { NULL };
	const char		*password, *refusal = NULL;
	char			 banner[ADMIN_BANNER_MAX];
	enum console_error	 e = CONSOLE_E_OK;
	uint32_t		 retry;

	ch = admin_chain(c, page, post);
	for (int i = 0; i < CONSOLE_NARGS && post->fields[i] != NULL; i++) {
		switch (form_count(r->form, post->fields[i])) {
		case 0:
			args[i] = "";
			break;
		case 1:
			args[i] = form_value(r->form, post->fields[i]);
			break;
		default:
			e = CONSOLE_E_INVALID;
			refusal = "A field of the form was given twice.";
			break;
		}
		if (args[i] != NULL && strlen(args[i]) > ADMIN_ARG_MAX) {
			e = CONSOLE_E_INVALID;
			refusal = "A value is longer than the console takes.";
		}
	}
	password = form_value(r->form, "password");
	if (refusal == NULL && (password == NULL || password[0] == '\0')) {
		e = CONSOLE_E_PASSWORD;
		refusal = "Give your password to confirm the change.";
	} else if (refusal == NULL && strlen(password) > CONSOLE_PASSWORD_MAX) {
		e = CONSOLE_E_INVALID;
		refusal = "The password is longer than any password.";
	}
	if (refusal != NULL) {
		log_info("conn %llu (%s): %s not asked: %s",
		    (unsigned long long)c->id, c->peer, r->path, refusal);
		/* Said as policyd's answer of that error would be: its
		 * status, the table's words and then why. */
		snprintf(banner, sizeof(banner), "%s %s", page_error_text(e),
		    refusal);
		opchain_refused(ch, post->op, page_status(e, 0, &retry),
		    banner);
	} else {
		st = opchain_add(ch, post->op, password);
		memcpy(st->args, args, sizeof(st->args));
	}
	page->lists(ch);
	opchain_start(c, ch);
}

void
admin_unread(struct evbuffer *b, int lines)
{
	if (lines > 0)
		page_printf(b, "<p class=\"muted\">%d line%s of policyd's "
		    "answer could not be read.</p>\n", lines,
		    lines == 1 ? "" : "s");
}
