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
#include <string.h>

#include <event2/buffer.h>

#include "common/log.h"
#include "webd/admin.h"
#include "webd/oprun.h"
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

static void
admin_banner(struct evbuffer *b, const struct webd_request *r,
    const struct oprun *run)
{
	const struct admin_post	*post = run->post;
	const struct oprun_op	*o = &run->ops[0];
	const char		*secret = NULL, *address;
	char			 text[ADMIN_BANNER_MAX], wait[64];

	if (o->error != CONSOLE_E_OK) {
		if (o->error == CONSOLE_E_LOCKED && o->message[0] == '\0') {
			snprintf(wait, sizeof(wait), "Try again in %u seconds.",
			    o->wait);
			page_result_of(b, o->error, wait);
		} else
			page_result_of(b, o->error, o->message);
		return;
	}
	admin_lines(o->out, text, sizeof(text), post->secret ? &secret :
	    NULL);
	page_result_of(b, o->error, o->message[0] != '\0' ? o->message :
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
admin_render(struct conn *c, struct oprun *run)
{
	const struct admin_page	*page = run->arg;
	const struct oprun_op	*failed;
	struct evbuffer		*b = page_buffer();
	uint32_t		 retry = 0;
	int			 status = 200;

	if (run->change)
		status = page_status(run->ops[0].error, run->ops[0].wait,
		    &retry);
	else if ((failed = oprun_failed(run)) != NULL)
		status = page_status(failed->error, failed->wait, &retry);
	page_open(b, &c->session, page->title, page->path);
	if (run->change)
		admin_banner(b, &c->request, run);
	page->body(b, &c->session, run, run->change ? 1 : 0);
	page_close(b);
	page_send(c, status, retry, b);
}

void
admin_get(struct conn *c, const struct webd_request *r,
    const struct admin_page *page)
{
	struct oprun	*run;

	(void)r;
	run = oprun_new(c, admin_render, page);
	page->lists(run);
	oprun_start(c, run);
}

void
admin_post(struct conn *c, const struct webd_request *r,
    const struct admin_page *page, const struct admin_post *post)
{
	struct oprun	*run;
	struct oprun_op	*o;
	const char	*args[CONSOLE_NARGS] = { NULL };
	const char	*password, *refusal = NULL;
	enum console_error e = CONSOLE_E_OK;

	run = oprun_new(c, admin_render, page);
	run->post = post;
	run->change = 1;
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
		oprun_refused(run, post->op, e, refusal);
	} else {
		o = oprun_add(run, post->op, password);
		memcpy(o->args, args, sizeof(o->args));
	}
	page->lists(run);
	oprun_start(c, run);
}

int
admin_list_failed(struct evbuffer *b, const struct oprun *run, int i)
{
	const struct oprun_op	*o = &run->ops[i];

	if (o->error == CONSOLE_E_OK)
		return 0;
	page_result_of(b, o->error, o->message);
	return 1;
}

void
admin_unread(struct evbuffer *b, int lines)
{
	if (lines > 0)
		page_printf(b, "<p class=\"muted\">%d line%s of policyd's "
		    "answer could not be read.</p>\n", lines,
		    lines == 1 ? "" : "s");
}
