/*
 * admin_notices: /admin/notices, the notices policyd's scheduled jobs
 * write (keys that expire soon or have expired, to their owners and the
 * administrators), the newest first as CONSOLE_OP_NOTICE_LIST gives
 * them.  A list only: notices are the record of what was said, and
 * policyd's housekeeping purges the old ones.
 */
#include "webd/admin.h"
#include "webd/opchain.h"
#include "webd/optext.h"
#include "webd/page.h"
#include "webd/webd.h"

#define NOTICES_PATH	"/admin/notices"
/* A notice: ID, TIME, KIND, ADDRESS, TEXT. */
#define NOTICES_FIELDS	5

static void
notices_render(struct conn *c, struct opchain *ch)
{
	static const char *const cls[NOTICES_FIELDS] = {
		"id", "time", "kind", "address", "text",
	};
	struct opchain_step	*list = &ch->steps[0];
	struct evbuffer		*b = page_buffer();
	struct optext		 t;
	char			*f[NOTICES_FIELDS];
	uint32_t		 retry;
	int			 n, status, rows = 0, unread = 0;

	status = opchain_status(ch, &retry);
	page_open(b, c->request.session, "Notices", NOTICES_PATH);
	if (opchain_list_failed(b, list))
		goto out;
	page_printf(b, "<table class=\"notices\">\n<thead><tr><th>ID</th>"
	    "<th>Time</th><th>Kind</th><th>Address</th><th>Text</th></tr>"
	    "</thead>\n<tbody>\n");
	optext_init(&t, list->out);
	while ((n = optext_line(&t, f, NOTICES_FIELDS)) != 0) {
		if (n != NOTICES_FIELDS) {
			unread++;
			continue;
		}
		page_id_row(b, f, cls, NOTICES_FIELDS);
		rows++;
	}
	page_printf(b, "</tbody>\n</table>\n");
	if (rows == 0)
		page_printf(b, "<p class=\"empty\">No notices.</p>\n");
	page_unread(b, unread);
 out:
	page_close(b);
	page_send(c, status, retry, b);
}

void
admin_notices(struct conn *c, const struct webd_request *r)
{
	struct opchain	*ch = opchain_new(c, notices_render, NULL);

	(void)r;
	opchain_add(ch, CONSOLE_OP_NOTICE_LIST, NULL);
	opchain_start(c, ch);
}
