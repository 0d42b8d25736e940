/*
 * admin_dash: the administrator's start page.  Its figures come with the
 * console's operations; until then it is the frame alone.
 */
#include "webd/admin.h"
#include "webd/page.h"
#include "webd/webd.h"

void
admin_dashboard(struct conn *c, const struct webd_request *r)
{
	struct evbuffer	*b = page_buffer();

	page_open(b, r->session, "Dashboard", "/admin");
	page_printf(b, "<p>The dashboard's figures come with the console's "
	    "operations.</p>\n");
	page_close(b);
	page_send(c, 200, 0, b);
}
