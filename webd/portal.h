/*
 * portal: the pages of any signed-in person about their own account (a
 * user's start page; an administrator's too, for their own address):
 * their keys, a download of each, an upload of their own key, the
 * revocation of one, and their password.  policyd decides what is
 * theirs (the U operations of common/msg.h); these pages only ask.
 */
#ifndef PGPMG_WEBD_PORTAL_H
#define PGPMG_WEBD_PORTAL_H

struct conn;
struct webd_request;

void	portal_page(struct conn *, const struct webd_request *);
void	portal_key_export(struct conn *, const struct webd_request *);
void	portal_key_import(struct conn *, const struct webd_request *);
void	portal_key_revoke(struct conn *, const struct webd_request *);
void	portal_password(struct conn *, const struct webd_request *);

#endif /* PGPMG_WEBD_PORTAL_H */
