/*
 * router: every page the console serves, in one table.  A request whose
 * decoded path matches no entry is a 404; one whose method the entry
 * does not take is a 405 naming those it does.  GET routes answer HEAD
 * too (RFC 9110 9.3.2), with the same header block and no content.  The
 * session and CSRF checks come with the policyd protocol; until then no
 * route acts on anything a request says.
 */
#include <string.h>

#include "common/log.h"
#include "webd/webd.h"

#define ROUTE_GET	0x1	/* and HEAD */
#define ROUTE_POST	0x2

struct route {
	const char	*path;
	int		 prefix;	/* path ends in '/' and names a
					 * directory: the rest is the tail */
	unsigned	 methods;	/* ROUTE_* */
	void		(*handler)(struct conn *, const struct webd_request *);
};

static void	router_root(struct conn *, const struct webd_request *);

static const struct route routes[] = {
	{ "/",			0, ROUTE_GET,	router_root },
	{ "/login",		0, ROUTE_GET,	login_page },
	{ "/robots.txt",	0, ROUTE_GET,	static_robots },
	{ "/static/",		1, ROUTE_GET,	static_file },
};
#define ROUTER_NROUTES	(sizeof(routes) / sizeof(routes[0]))

/* The console starts at its sign-in page. */
static void
router_root(struct conn *c, const struct webd_request *r)
{
	(void)r;
	response_redirect(c, "/login");
}

static const char *
router_allow(unsigned methods)
{
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

void
router_dispatch(struct conn *c, const struct webd_request *r)
{
	struct webd_request	 rr = *r;
	const struct route	*rt;
	unsigned		 want;
	size_t			 n;

	want = r->method == HTTP_METHOD_POST ? ROUTE_POST : ROUTE_GET;
	for (size_t i = 0; i < ROUTER_NROUTES; i++) {
		rt = &routes[i];
		n = strlen(rt->path);
		if (rt->prefix ? strncmp(r->path, rt->path, n) != 0 :
		    strcmp(r->path, rt->path) != 0)
			continue;
		if ((rt->methods & want) == 0) {
			response_not_allowed(c, router_allow(rt->methods));
			return;
		}
		rr.tail = r->path + (rt->prefix ? n : strlen(r->path));
		rt->handler(c, &rr);
		return;
	}
	response_error(c, 404, "there is no such page");
}
