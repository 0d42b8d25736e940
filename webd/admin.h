/*
 * admin: the administrator's pages of the console.  Each is reached only
 * through the router's gates (a session of the admin role, and for a
 * POST its Origin and CSRF token), and is carried out by policyd as
 * console operations (common/msg.h, CONSOLE_OP_*), which check the role
 * again and, for a change, the password given once more.
 */
#ifndef PGPMG_WEBD_ADMIN_H
#define PGPMG_WEBD_ADMIN_H

struct conn;
struct webd_request;

/* admin_dash.c */
void	admin_dashboard(struct conn *, const struct webd_request *);

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
