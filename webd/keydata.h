/*
 * keydata: key material in and out of webd, for the administrator's key
 * page and the portal alike.  In: the upload form's file or pasted
 * armour, into a sealed memfd for policyd (and keyd behind it).  Out: an
 * export's sealed memfd, read within a bound, as a download.  Also the
 * forms and checks both pages share.
 */
#ifndef PGPMG_WEBD_KEYDATA_H
#define PGPMG_WEBD_KEYDATA_H

#include <stddef.h>

#include "common/msg.h"

struct conn;
struct console_result;
struct opchain;
struct console_session;
struct evbuffer;
struct webd_request;

/*
 * An export: an armoured public key.  The largest key keyd takes in is
 * 1 MiB (KEYD_IMPORT_MAX), 1.4 MiB armoured; it grows only by another
 * import.  4 MiB leaves room and bounds what one download makes webd
 * hold.
 */
#define KEYDATA_EXPORT_MAX	((size_t)4 << 20)
/* A fingerprint: v4 (40 hex digits) or v5 (64). */
#define KEYDATA_FPR_MAX		64

/* True when s is a fingerprint: 40 or 64 hexadecimal digits. */
int	keydata_fpr_valid(const char *s);

/*
 * The key data of an upload form (webd_request's form and files): the
 * file of the field "key" or the text of the field "armour", exactly one
 * of them not empty, at most CONSOLE_UPLOAD_MAX bytes, as a sealed
 * memfd in *fd.  Returns 0, or the status to answer with *why (for the
 * person): 400 for neither or both, 413 for too much, 503 when no memfd
 * could be made.
 */
int	keydata_upload(const struct webd_request *, int *fd, const char **why);

/*
 * Answer the request with an export's key (res->fd, which is taken) as
 * a download named FPR.asc.  Without a descriptor, or one that is not a
 * sealed memfd within KEYDATA_EXPORT_MAX, the answer is a 502: policyd
 * said done and gave nothing usable.
 */
void	keydata_download(struct conn *, const struct console_result *,
	    const char *fpr);

/* A key's addresses as the record joins them (ADDRESS[,ADDRESS..], cut
 * up in place), one a line in their cell. */
void	keydata_addresses(struct evbuffer *, char *list);

/* The upload form: a file or pasted armour, the passphrase of a key
 * pair, the password again; ids start with prefix. */
void	keydata_upload_form(struct evbuffer *, const struct console_session *,
	    const char *action, const char *prefix, const char *button);

/* A row's form that posts its fingerprint, with the password again and
 * one button; id is unique on the page. */
void	keydata_row_form(struct evbuffer *, const struct console_session *,
	    const char *action, const char *fpr, const char *id,
	    const char *button);

/* The fingerprint argument of a query (?fpr=) into fpr; 0, or -1 when it
 * is missing, repeated or not a fingerprint (answered 400 here). */
int	keydata_query_fpr(struct conn *, const struct webd_request *,
	    char fpr[KEYDATA_FPR_MAX + 1]);

/* The form's password given again: "" when absent (policyd then says
 * it is missing). */
const char *keydata_password(const struct webd_request *);

/*
 * An import's step on ch: op (KEY_IMPORT or MY_KEY_IMPORT) with the key
 * data as a sealed memfd and the form's passphrase ("" for public keys),
 * or the form's refusal (opchain_refused) when it is not one.
 */
void	keydata_import_step(struct opchain *, const struct webd_request *,
	    enum console_op);
/*
 * A change of one key's step on ch: op (KEY_REVOKE, KEY_DELETE,
 * MY_KEY_REVOKE) with the form's fingerprint, or the form's refusal.
 */
void	keydata_fpr_step(struct opchain *, const struct webd_request *,
	    enum console_op);

/*
 * GET PATH?fpr=FPR: op's export (KEY_EXPORT, MY_KEY_EXPORT) as a
 * download; a refusal as a page with its banner and a link to back.
 */
void	keydata_export(struct conn *, const struct webd_request *,
	    enum console_op, const char *back);

#endif /* PGPMG_WEBD_KEYDATA_H */
