/*
 * html: every byte of dynamic text that reaches a page goes through the
 * escaper here, and every page opens and closes with the same frame.
 */
#ifndef PGPMG_HTML_H
#define PGPMG_HTML_H

#include <stddef.h>

struct evbuffer;

/* What c becomes in HTML text or a quoted attribute value: an entity, or
 * NULL when the byte stands for itself. */
const char	*html_entity(unsigned char c);
/*
 * Escape src[0..len) into dst, which holds dstsz bytes, NUL-terminated
 * (truncated at a whole entity when it does not fit).  Returns the length
 * the whole escape needs, as snprintf does.
 */
size_t		 html_escape(char *dst, size_t dstsz, const char *src,
		    size_t len);
/* Append the escape of s; -1 when out of memory. */
int		 html_add(struct evbuffer *, const char *s);
/* The frame of every page: doctype, head with the title (escaped) and
 * the stylesheet, then <body>; and the end.  -1 when out of memory. */
int		 html_page_open(struct evbuffer *, const char *title);
/* The same up to </head>, for a page that opens its own body. */
int		 html_page_head(struct evbuffer *, const char *title);
int		 html_page_close(struct evbuffer *);

#endif /* PGPMG_HTML_H */
