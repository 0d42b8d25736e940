/*
 * page: what every signed-in page shares.  The frame (title, a nav that
 * depends on the role, who is signed in, a sign-out button), the fields
 * every form carries (the CSRF token; "Your password" on a form whose
 * operation asks for it again), the result banner after a POST, and the
 * one table from policyd's answer (console_error) to the HTTP status and
 * the banner's words.  Out of memory is fatal here, as in response.c.
 */
#ifndef PGPMG_WEBD_PAGE_H
#define PGPMG_WEBD_PAGE_H

#include <stdint.h>

#include "common/msg.h"

struct conn;
struct console_session;
struct evbuffer;

/*
 * Retry-After for an answer that says "not now".  Busy: four password
 * checks of 0.6 s run at once, so two seconds frees a slot.  Unavailable:
 * policyd tries the database again every few seconds; ten is a person's
 * patience, not a promise.
 */
#define PAGE_RETRY_BUSY		2
#define PAGE_RETRY_UNAVAILABLE	10

struct evbuffer	*page_buffer(void);
/* The frame around a page's content; current is the nav entry's path. */
void	page_open(struct evbuffer *, const struct console_session *,
	    const char *title, const char *current);
void	page_close(struct evbuffer *);
/* Escaped text; constant markup with numbers (never request text). */
void	page_text(struct evbuffer *, const char *);
void	page_printf(struct evbuffer *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* A time as policyd gives it, ISO 8601 in UTC to the second
 * ("2024-05-01T12:00:00Z"): a <time> element that reads "2024-05-01
 * 12:00:00 UTC"; anything else as escaped text. */
void	page_time(struct evbuffer *, const char *iso);
/* A row of a list whose first field is its id and second its time
 * (audit rows, notices): <tr data-id>, then each field f[i] in a cell
 * of class cls[i], the time as page_time() writes it. */
void	page_id_row(struct evbuffer *, char *const *f,
	    const char *const *cls, int n);
/* The hidden csrf field every form of a signed-in page carries. */
void	page_csrf(struct evbuffer *, const struct console_session *);
/* The "Your password" field of a form whose operation is marked P in
 * common/msg.h; id names it uniquely on its page. */
void	page_password(struct evbuffer *, const struct console_session *,
	    const char *id);
/* <p class="result ok|error">text</p>, text escaped. */
void	page_result(struct evbuffer *, int ok, const char *text);
/* The banner for an answer: the table's words and policyd's message. */
void	page_result_of(struct evbuffer *, enum console_error,
	    const char *message);

/* The table's words for an answer, as the banner starts with them. */
const char *page_error_text(enum console_error);
/* The note under a list of the key, audit and notice pages and the
 * portal for the lines of policyd's answer the page did not understand
 * (none: nothing). */
void	page_unread(struct evbuffer *, int lines);

/* An answer's HTTP status, and its Retry-After (0: none). */
int	page_status(enum console_error, uint32_t wait, uint32_t *retry_after);

/* Send b as a page (b is freed). */
void	page_send(struct conn *, int status, uint32_t retry_after,
	    struct evbuffer *);
/* 403 for a signed-in person on a page their role does not open. */
void	page_forbidden(struct conn *, const struct console_session *);

#endif /* PGPMG_WEBD_PAGE_H */
