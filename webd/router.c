/*
 * router: every page the console serves, in one table, with who may
 * reach it.  A request whose decoded path matches no entry is a 404; one
 * whose method the entry does not take is a 405 naming those it does.
 * GET routes answer HEAD too (RFC 9110 9.3.2), with the same header
 * block and no content.
 *
 * Before a handler runs, in this order:
 *
 * - a POST, any POST (/login and /logout too), must come from the
 *   console's own page (gate_origin), declare the body its route takes
 *   (a urlencoded form, or for an upload route multipart/form-data), and
 *   parse as one (form.c, multipart.c: UTF-8, bounded); else 403, 415,
 *   400 or 413.  The route also bounds the body (its body column): conn.c
 *   answers a larger Content-Length 413 before reading a byte of it;
 * - a route that is not public needs a session: the cookie's id is
 *   looked up at policyd (a missing or malformed cookie is no session,
 *   and nobody is asked).  Without one, a GET is sent to /login and a
 *   POST refused 403; while policyd cannot tell, 503;
 * - an admin route refuses any other role with a 403 page;
 * - a signed-in POST must carry the session's CSRF token in its form.
 *
 * Every refusal of a POST is logged, without a value of the request.
 */
#include <stdint.h>
#include <string.h>

#include "common/log.h"
#include "webd/admin.h"
#include "webd/gate.h"
#include "webd/multipart.h"
#include "webd/page.h"
#include "webd/policyd_client.h"
#include "webd/portal.h"
#include "webd/webd.h"

#define ROUTE_GET	0x1	/* and HEAD */
#define ROUTE_POST	0x2

enum route_access {
	ACCESS_PUBLIC,		/* anybody, no session asked for */
	ACCESS_SIGNED_IN,	/* any role with a session */
	ACCESS_ADMIN,		/* the admin role */
};

/*
 * The body a route takes, and how large it may be (route_body_max;
 * conn.c answers a larger Content-Length 413 before reading it).
 * Ordinary forms are a few hundred bytes; a key upload is up to
 * CONSOLE_UPLOAD_MAX of key data with the rest of its form beside it
 * (multipart.h).  Only the upload routes take more than a form, so a
 * stranger's request can make webd hold 64 KiB anywhere else.
 */
enum route_body {
	BODY_FORM,		/* application/x-www-form-urlencoded */
	BODY_UPLOAD,		/* multipart/form-data */
};

static const size_t route_body_max[] = {
	[BODY_FORM] =	FORM_BODY_MAX,
	[BODY_UPLOAD] =	MULTIPART_BODY_MAX,
};

struct route {
	const char	*path;
	int		 prefix;	/* path ends in '/' and names a
					 * directory: the rest is the tail */
	unsigned	 methods;	/* ROUTE_* */
	enum route_access access;
	enum route_body	 body;		/* what it takes, and how much */
	void		(*handler)(struct conn *, const struct webd_request *);
};

static void	router_root(struct conn *, const struct webd_request *);

static const struct route routes[] = {
	/* path			prefix	methods	access	body	handler */
	{ "/",			0, ROUTE_GET, ACCESS_PUBLIC, BODY_FORM,
	    router_root },
	{ "/login",		0, ROUTE_GET, ACCESS_PUBLIC, BODY_FORM,
	    login_page },
	{ "/login",		0, ROUTE_POST, ACCESS_PUBLIC, BODY_FORM,
	    login_post },
	{ "/logout",		0, ROUTE_POST, ACCESS_SIGNED_IN, BODY_FORM,
	    logout_post },
	{ "/admin",		0, ROUTE_GET, ACCESS_ADMIN, BODY_FORM,
	    admin_dashboard },
	{ "/admin/policy",	0, ROUTE_GET, ACCESS_ADMIN, BODY_FORM,
	    admin_policy },
	{ "/admin/policy/set",	0, ROUTE_POST, ACCESS_ADMIN, BODY_FORM,
	    admin_policy_set },
	{ "/admin/rules/add",	0, ROUTE_POST, ACCESS_ADMIN, BODY_FORM,
	    admin_rule_add },
	{ "/admin/rules/del",	0, ROUTE_POST, ACCESS_ADMIN, BODY_FORM,
	    admin_rule_del },
	{ "/admin/domains/add",	0, ROUTE_POST, ACCESS_ADMIN, BODY_FORM,
	    admin_domain_add },
	{ "/admin/domains/del",	0, ROUTE_POST, ACCESS_ADMIN, BODY_FORM,
	    admin_domain_del },
	{ "/admin/users",	0, ROUTE_GET, ACCESS_ADMIN, BODY_FORM,
	    admin_users },
	{ "/admin/users/add",	0, ROUTE_POST, ACCESS_ADMIN, BODY_FORM,
	    admin_user_add },
	{ "/admin/users/set",	0, ROUTE_POST, ACCESS_ADMIN, BODY_FORM,
	    admin_user_set },
	{ "/admin/users/reset",	0, ROUTE_POST, ACCESS_ADMIN, BODY_FORM,
	    admin_user_reset },
	{ "/admin/keys",	0, ROUTE_GET, ACCESS_ADMIN, BODY_FORM,
	    admin_keys },
	{ "/admin/keys/generate", 0, ROUTE_POST, ACCESS_ADMIN, BODY_FORM,
	    admin_key_generate },
	{ "/admin/keys/import",	0, ROUTE_POST, ACCESS_ADMIN, BODY_UPLOAD,
	    admin_key_import },
	{ "/admin/keys/revoke",	0, ROUTE_POST, ACCESS_ADMIN, BODY_FORM,
	    admin_key_revoke },
	{ "/admin/keys/delete",	0, ROUTE_POST, ACCESS_ADMIN, BODY_FORM,
	    admin_key_delete },
	{ "/admin/keys/export",	0, ROUTE_GET, ACCESS_ADMIN, BODY_FORM,
	    admin_key_export },
	{ "/admin/audit",	0, ROUTE_GET, ACCESS_ADMIN, BODY_FORM,
	    admin_audit },
	{ "/admin/notices",	0, ROUTE_GET, ACCESS_ADMIN, BODY_FORM,
	    admin_notices },
	{ "/portal",		0, ROUTE_GET, ACCESS_SIGNED_IN, BODY_FORM,
	    portal_page },
	{ "/portal/key",	0, ROUTE_GET, ACCESS_SIGNED_IN, BODY_FORM,
	    portal_key_export },
	{ "/portal/key/import",	0, ROUTE_POST, ACCESS_SIGNED_IN, BODY_UPLOAD,
	    portal_key_import },
	{ "/portal/key/revoke",	0, ROUTE_POST, ACCESS_SIGNED_IN, BODY_FORM,
	    portal_key_revoke },
	{ "/portal/password",	0, ROUTE_POST, ACCESS_SIGNED_IN, BODY_FORM,
	    portal_password },
	{ "/favicon.ico",	0, ROUTE_GET, ACCESS_PUBLIC, BODY_FORM,
	    static_favicon },
	{ "/robots.txt",	0, ROUTE_GET, ACCESS_PUBLIC, BODY_FORM,
	    static_robots },
	{ "/static/",		1, ROUTE_GET, ACCESS_PUBLIC, BODY_FORM,
	    static_file },
};
#define ROUTER_NROUTES	(sizeof(routes) / sizeof(routes[0]))

/* The console starts at its sign-in page. */
static void
router_root(struct conn *c, const struct webd_request *r)
{
	(void)r;
	response_redirect(c, "/login");
}

static int
router_matches(const struct route *rt, const char *path)
{
	return rt->prefix ? strncmp(path, rt->path, strlen(rt->path)) == 0 :
	    strcmp(path, rt->path) == 0;
}

/* Every method the routes of this path take, for a 405's Allow. */
static const char *
router_allow(const char *path)
{
	unsigned	 methods = 0;

	for (size_t i = 0; i < ROUTER_NROUTES; i++)
		if (router_matches(&routes[i], path))
			methods |= routes[i].methods;
	switch (methods) {
	case ROUTE_GET:
		return "GET, HEAD";
	case ROUTE_POST:
		return "POST";
	case ROUTE_GET | ROUTE_POST:
		return "GET, HEAD, POST";
	}
	fatalx("router: a route without methods");
}

static void
router_refuse(struct conn *c, int status, const char *why, const char *say)
{
	log_info("conn %llu (%s): POST %s refused: %s",
	    (unsigned long long)c->id, c->peer, c->request.path, why);
	response_error(c, status, say);
}

/*
 * No session.  A page is asked for again after the sign-in, and a stale
 * cookie is cleared on the way.  A form is refused: its change must not
 * happen, and no page is left to go back to.  A sign-out without a
 * session has nothing left to end: it goes to the sign-in page as a
 * sign-out would, which changes nothing either.
 */
static void
router_no_session(struct conn *c, const struct route *rt, int stale)
{
	if (c->request.method != HTTP_METHOD_POST) {
		response_redirect_cookie(c, "/login", stale ?
		    GATE_COOKIE "=; Max-Age=0; " GATE_COOKIE_ATTRS : NULL);
		return;
	}
	if (rt->handler == logout_post) {
		response_redirect_cookie(c, "/login",
		    GATE_COOKIE "=; Max-Age=0; " GATE_COOKIE_ATTRS);
		return;
	}
	router_refuse(c, 403, "no session", "you are not signed in, or your "
	    "session has ended: sign in again");
}

static void
router_session(struct conn *c, enum session_status st, void *arg)
{
	const struct route	*rt = &routes[(uintptr_t)arg];
	struct webd_request	*r = &c->request;

	switch (st) {
	case SESSION_NONE:
		router_no_session(c, rt, 1);
		return;
	case SESSION_UNAVAILABLE:
		response_unavailable(c, PAGE_RETRY_UNAVAILABLE, "sessions "
		    "cannot be checked now (the database is unavailable): try "
		    "again later");
		return;
	case SESSION_OK:
		break;
	}
	if (rt->access == ACCESS_ADMIN && !c->session.admin) {
		log_info("conn %llu (%s): %s refused: role %s",
		    (unsigned long long)c->id, c->peer, r->path,
		    c->session.role);
		page_forbidden(c, &c->session);
		return;
	}
	if (r->method == HTTP_METHOD_POST &&
	    !gate_csrf(form_value(&c->form, "csrf"), c->session.csrf)) {
		router_refuse(c, 403, "the form's CSRF token is missing or "
		    "wrong", "this form is out of date or did not come from "
		    "the console: open the page again");
		return;
	}
	r->session = &c->session;
	rt->handler(c, r);
}

/* An upload's form: its text fields into c->form, its files. */
static int
router_upload(struct conn *c, struct webd_request *r)
{
	const struct http_field	*ct = gate_content_type(&c->req);
	char			 boundary[MULTIPART_BOUNDARY_MAX + 1];
	const char		*why;
	int			 status;

	if (ct == NULL) {
		router_refuse(c, 415, "not one Content-Type", "an upload is "
		    "sent as multipart/form-data");
		return -1;
	}
	if ((status = multipart_boundary(ct->value, ct->valuelen, boundary,
	    &why)) != 0) {
		router_refuse(c, status, why, status == 415 ? "an upload is "
		    "sent as multipart/form-data" : why);
		return -1;
	}
	if ((status = multipart_parse(r->body, r->bodylen, boundary, &c->form,
	    &c->files, &why)) != 0) {
		router_refuse(c, status, why, why);
		return -1;
	}
	r->form = &c->form;
	r->files = &c->files;
	return 0;
}

/* A POST's origin and form; -1 when it was refused. */
static int
router_post(struct conn *c, const struct route *rt, struct webd_request *r)
{
	const char	*why;
	int		 status;

	if (gate_origin(&c->req, &why) == -1) {
		router_refuse(c, 403, why, "this form did not come from the "
		    "console's own page");
		return -1;
	}
	if (rt->body == BODY_UPLOAD)
		return router_upload(c, r);
	if (!gate_form_type(&c->req)) {
		router_refuse(c, 415, "not a urlencoded form", "the console "
		    "takes forms as application/x-www-form-urlencoded");
		return -1;
	}
	if ((status = form_parse((const char *)r->body, r->bodylen, &c->form,
	    &why)) != 0) {
		router_refuse(c, status, why, why);
		return -1;
	}
	r->form = &c->form;
	return 0;
}

/* The route of method and path, and its index; NULL when none. */
static const struct route *
router_find(enum http_method method, const char *path, size_t *index)
{
	unsigned	 want;

	want = method == HTTP_METHOD_POST ? ROUTE_POST : ROUTE_GET;
	for (size_t i = 0; i < ROUTER_NROUTES; i++)
		if (router_matches(&routes[i], path) &&
		    (routes[i].methods & want) != 0) {
			*index = i;
			return &routes[i];
		}
	return NULL;
}

size_t
router_body_max(enum http_method method, const char *path)
{
	const struct route	*rt;
	size_t			 i;

	/* No route: the request is answered 404 or 405, and nothing it
	 * carries is more than an ordinary form's worth of interest. */
	if ((rt = router_find(method, path, &i)) == NULL)
		return FORM_BODY_MAX;
	return route_body_max[rt->body];
}

void
router_dispatch(struct conn *c, struct webd_request *r)
{
	const struct route	*rt;
	size_t			 i = 0;
	char			 sid[CONSOLE_TOKEN_LEN + 1];

	if ((rt = router_find(r->method, r->path, &i)) == NULL) {
		for (size_t k = 0; k < ROUTER_NROUTES; k++)
			if (router_matches(&routes[k], r->path)) {
				response_not_allowed(c, router_allow(r->path));
				return;
			}
		response_error(c, 404, "there is no such page");
		return;
	}
	r->tail = r->path + (rt->prefix ? strlen(rt->path) : strlen(r->path));
	if (r->method == HTTP_METHOD_POST && router_post(c, rt, r) == -1)
		return;
	if (rt->access == ACCESS_PUBLIC) {
		rt->handler(c, r);
		return;
	}
	if (!gate_cookie(&c->req, sid)) {
		router_no_session(c, rt, 0);
		return;
	}
	(void)policyd_session(c, sid, router_session, (void *)(uintptr_t)i);
	explicit_bzero(sid, sizeof(sid));
}
