/*
 * admin: the administrator's pages of the console.  Each is reached only
 * through the router's gates (a session of the admin role, and for a
 * POST its Origin and CSRF token), and is carried out by policyd as
 * console operations (common/msg.h, CONSOLE_OP_*), which check the role
 * again and, for a change, the password given once more.
 *
 * A page that lists (policy, users) is a struct admin_page: the lists it
 * asks for and how it shows them.  Its forms post a change
 * (struct admin_post: the operation and the form fields that are its
 * arguments); the answer is the same page, showing the state the change
 * left, with the outcome in a banner and the HTTP status that says it
 * (admin_page.c).
 */
#ifndef PGPMG_WEBD_ADMIN_H
#define PGPMG_WEBD_ADMIN_H

#include "common/msg.h"

struct conn;
struct console_session;
struct evbuffer;
struct opchain;
struct webd_request;

struct admin_page {
	const char	*title;
	const char	*path;		/* its nav entry */
	/* the lists, added to the chain after any change */
	void		(*lists)(struct opchain *);
	/* the page below the banner; first is the index of its first list */
	void		(*body)(struct evbuffer *, const struct console_session *,
			    const struct opchain *, int first);
};

struct admin_post {
	enum console_op	 op;
	const char	*fields[CONSOLE_NARGS];	/* its arguments, in order;
						 * NULL after the last */
	int		 secret;	/* answers "password\tPW": shown once */
};

/* admin_page.c */
void	admin_get(struct conn *, const struct webd_request *,
	    const struct admin_page *);
void	admin_post(struct conn *, const struct webd_request *,
	    const struct admin_page *, const struct admin_post *);
/* A note for lines of a list that the page did not understand. */
void	admin_unread(struct evbuffer *, int lines);

/* admin_dash.c */
void	admin_dashboard(struct conn *, const struct webd_request *);

/* admin_policy.c */
void	admin_policy(struct conn *, const struct webd_request *);
void	admin_policy_set(struct conn *, const struct webd_request *);
void	admin_rule_add(struct conn *, const struct webd_request *);
void	admin_rule_del(struct conn *, const struct webd_request *);
void	admin_domain_add(struct conn *, const struct webd_request *);
void	admin_domain_del(struct conn *, const struct webd_request *);

/* admin_users.c */
void	admin_users(struct conn *, const struct webd_request *);
void	admin_user_add(struct conn *, const struct webd_request *);
void	admin_user_set(struct conn *, const struct webd_request *);
void	admin_user_reset(struct conn *, const struct webd_request *);

/* admin_keys.c */
void	admin_keys(struct conn *, const struct webd_request *);
void	admin_key_generate(struct conn *, const struct webd_request *);
void	admin_key_import(struct conn *, const struct webd_request *);
void	admin_key_revoke(struct conn *, const struct webd_request *);
void	admin_key_delete(struct conn *, const struct webd_request *);
void	admin_key_export(struct conn *, const struct webd_request *);

/* admin_audit.c */
void	admin_audit(struct conn *, const struct webd_request *);

/* admin_notices.c */
void	admin_notices(struct conn *, const struct webd_request *);

#endif /* PGPMG_WEBD_ADMIN_H */
