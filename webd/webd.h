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
#include "webd/http_parse.h"
#include "webd/http_path.h"

struct webd {
	struct child		*child;
	const struct pgpmg_conf	*conf;
	SSL_CTX			*tls;
	int			 root_fd;	/* web-root, O_PATH */
	struct event		*listen_ev;
	uint64_t		 nconns;
	uint64_t		 next_id;
	TAILQ_HEAD(, conn)	 conns;
};

extern struct webd *webd;

enum conn_state {
	C_IDLE,		/* between requests, nothing of the next one yet */
	C_HEAD,		/* reading a request head */
	C_BODY,		/* reading its body */
	C_WRITING,	/* the response is going out */
	C_LINGER,	/* closing: reading what the client still sends */
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
};

/* A response; a body without content_type is an error in the caller. */
struct response {
	int		 status;
	const char	*content_type;	/* NULL: no body */
	const void	*body;
	size_t		 bodylen;
	const char	*location;	/* 3xx */
	const char	*allow;		/* 405 */
	int		 cacheable;	/* a static file; else no-store */
};

/* tls.c */
SSL_CTX	*webd_tls_context(const struct pgpmg_conf *);

/* conn.c */
void	 conn_accept(int fd, short ev, void *arg);
void	 conn_responded(struct conn *);
int	 conn_head_only(const struct conn *);

/* response.c */
void	 response_send(struct conn *, const struct response *);
void	 response_error(struct conn *, int status, const char *detail);
void	 response_not_allowed(struct conn *, const char *allow);
void	 response_redirect(struct conn *, const char *location);

/* router.c */
void	 router_dispatch(struct conn *, const struct webd_request *);

/* static.c */
void	 static_file(struct conn *, const struct webd_request *);
void	 static_robots(struct conn *, const struct webd_request *);

/* login.c */
void	 login_page(struct conn *, const struct webd_request *);

#endif /* PGPMG_WEBD_H */
