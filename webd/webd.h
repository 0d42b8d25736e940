/*
 * webd: shared state of the HTTPS console.  conn.c owns a connection from
 * accept to close and reads each request; router.c hands a whole request
 * to its handler; response.c writes the one response every request gets.
 */
#ifndef PGPMG_WEBD_H
#define PGPMG_WEBD_H

#include <sys/queue.h>

#include <netinet/in.h>
#include <stdint.h>

#include <event2/bufferevent.h>
#include <openssl/ssl.h>

#include "common/child.h"
#include "common/msg.h"
#include "webd/form.h"
#include "webd/http_parse.h"
#include "webd/http_path.h"
#include "webd/multipart.h"

struct webd {
	struct child		*child;
	const struct pgpmg_conf	*conf;
	SSL_CTX			*tls;
	int			 root_fd;	/* web-root, O_PATH */
	struct event		*listen_ev;
	struct event		*redirect_ev;	/* listen web-redirect; NULL:
						 * not configured */
	uint64_t		 nconns;
	uint64_t		 next_id;
	unsigned		 nlarge;	/* bodies held above FORM_BODY_MAX */
	TAILQ_HEAD(, conn)	 conns;
};

extern struct webd *webd;

enum conn_state {
	C_IDLE,		/* between requests, nothing of the next one yet */
	C_HEAD,		/* reading a request head */
	C_BODY,		/* reading its body */
	C_RUN,		/* a handler has the whole request */
	C_WAIT,		/* the response waits for policyd's answer */
	C_WRITING,	/* the response is going out */
	C_LINGER,	/* closing: reading what the client still sends */
};

/*
 * The signed-in person of a request, as policyd's session lookup gave
 * it (IMSG_POLICYD_SESSION), with the session id the cookie carried.
 */
struct console_session {
	char		 id[CONSOLE_TOKEN_LEN + 1];
	uint64_t	 uid;
	char		 address[CONSOLE_ADDRESS_MAX + 1];
	char		 role[CONSOLE_ROLE_MAX + 1];
	char		 name[CONSOLE_NAME_MAX + 1];
	char		 csrf[CONSOLE_TOKEN_LEN + 1];
	int		 admin;		/* role "admin"; anything else is not */
};

/* What a handler is given: a whole request, its body read. */
struct webd_request {
	enum http_method	 method;
	const char		*path;		/* decoded, clean */
	const char		*tail;		/* after a prefix route's path */
	const char		*query;		/* as sent, or NULL */
	size_t			 querylen;
	const struct http_request *head;
	const uint8_t		*body;
	size_t			 bodylen;
	/* a POST's form, parsed and checked (Origin, and the CSRF token
	 * of a signed-in route); NULL for GET and HEAD */
	const struct form	*form;
	/* an upload's file parts (its text fields are the form); NULL
	 * unless the route takes uploads */
	const struct multipart_files *files;
	/* the signed-in person; NULL on a public route */
	const struct console_session *session;
};

struct conn {
	TAILQ_ENTRY(conn)	 entry;
	uint64_t		 id;
	int			 fd;
	struct bufferevent	*bev;
	struct event		*timer;		/* the deadline of the state */
	enum conn_state		 state;
	char			 peer[INET6_ADDRSTRLEN];
	uint64_t		 nrequests;
	int			 fresh;		/* no request yet: the deadline
						 * runs from the accept */
	int			 plain;		/* from listen web-redirect: no
						 * TLS, one head, a redirect */
	int			 peer_done;	/* plain: the client shut down
						 * its side after its request */
	int			 close;		/* close after this response */
	int			 responded;	/* the request has its response */
	size_t			 scanned;	/* head bytes seen by the last
						 * parse */
	size_t			 lingered;	/* bytes read while closing */

	/* the request in progress; req and target point into head */
	char			 head[HTTP_HEAD_MAX];
	struct http_request	 req;
	struct http_target	 target;
	uint8_t			*body;
	size_t			 bodysize;	/* its Content-Length */
	size_t			 bodylen;	/* received so far */
	int			 large;		/* counted in webd->nlarge */

	/* kept for the handler across a wait for policyd */
	struct webd_request	 request;
	struct form		 form;
	struct multipart_files	 files;		/* into body */
	struct console_session	 session;
	uint32_t		 waiting;	/* policyd's request, in C_WAIT */
	const char		*late;		/* said when it never answers */
	void			*page;		/* the handler's own state */
	void			(*page_free)(void *);
};

/* A response; a body without content_type is an error in the caller. */
struct response {
	int		 status;
	const char	*content_type;	/* NULL: no body */
	const void	*body;
	size_t		 bodylen;
	const char	*location;	/* 3xx */
	const char	*disposition;	/* Content-Disposition (a download) */
	const char	*allow;		/* 405 */
	const char	*cookie;	/* Set-Cookie, or NULL */
	uint32_t	 retry_after;	/* seconds (429, 503); 0: none */
	int		 cacheable;	/* a static file; else no-store */
	int		 keep;		/* a page for a whole, well-formed
					 * request: the connection stays */
};

/* tls.c */
SSL_CTX	*webd_tls_context(const struct pgpmg_conf *);

/* conn.c */
void	 conn_accept(int fd, short ev, void *arg);
/* The same for listen web-redirect: plain HTTP, answered only with a
 * redirect to the console (redirect.c). */
void	 conn_accept_redirect(int fd, short ev, void *arg);
void	 conn_responded(struct conn *);
int	 conn_head_only(const struct conn *);
/* The response waits for policyd's answer to request, at most seconds;
 * late is the 504's explanation if it never comes. */
void	 conn_wait(struct conn *, uint32_t request, unsigned seconds,
	    const char *late);
/* policyd answered request: the handler has the connection again, and
 * after conn_ran() must have responded or be waiting once more. */
void	 conn_wake(struct conn *, uint32_t request);
void	 conn_ran(struct conn *);
/* State the handler keeps across waits: freed with free_fn once the
 * response is out or the connection closes, whichever comes first. */
void	 conn_page_set(struct conn *, void *page, void (*free_fn)(void *));

/* response.c */
void	 response_send(struct conn *, const struct response *);
void	 response_error(struct conn *, int status, const char *detail);
void	 response_unavailable(struct conn *, uint32_t retry_after,
	    const char *detail);
void	 response_not_allowed(struct conn *, const char *allow);
void	 response_redirect(struct conn *, const char *location);
void	 response_redirect_cookie(struct conn *, const char *location,
	    const char *cookie);
/* 301 to an absolute URL: the plain-HTTP listener's only answer. */
void	 response_moved(struct conn *, const char *location);
/* Send the page built in b (emptied); r gives the rest. */
void	 response_page(struct conn *, struct response *r, struct evbuffer *b);

/* router.c */
void	 router_dispatch(struct conn *, struct webd_request *);
/* The largest body the route of method and path takes (RFC 9110 15.5.14:
 * a larger one is 413, before it is read). */
size_t	 router_body_max(enum http_method, const char *path);

/* static.c */
void	 static_file(struct conn *, const struct webd_request *);
void	 static_robots(struct conn *, const struct webd_request *);
void	 static_favicon(struct conn *, const struct webd_request *);

/* login.c */
void	 login_page(struct conn *, const struct webd_request *);
void	 login_post(struct conn *, const struct webd_request *);
void	 logout_post(struct conn *, const struct webd_request *);

#endif /* PGPMG_WEBD_H */
