/*
 * html: the escaper and the page frame.  The five characters that end
 * text or a quoted attribute value (& < > " ') become entities, so one
 * escaper serves both places; C0 controls other than TAB, LF and CR, and
 * DEL, become U+FFFD, since HTML has no use for them and a NUL is a parse
 * error.  Bytes from 0x80 up pass: text is checked as UTF-8 where it
 * enters (form.c), and the page says charset=utf-8.
 */
#include <string.h>

#include <event2/buffer.h>

#include "webd/html.h"

const char *
html_entity(unsigned char c)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	case '\t':
	case '\n':
	case '\r':
		return NULL;
	}
	if (c < 0x20 || c == 0x7f)
		return "&#xfffd;";
	return NULL;
}

size_t
html_escape(char *dst, size_t dstsz, const char *src, size_t len)
{
	const char	*e;
	size_t		 need = 0, n;
	int		 full = dstsz == 0;

	for (size_t i = 0; i < len; i++) {
		e = html_entity((unsigned char)src[i]);
		n = e != NULL ? strlen(e) : 1;
		if (!full && need + n < dstsz) {
			if (e != NULL)
				memcpy(dst + need, e, n);
			else
				dst[need] = src[i];
		} else if (!full) {
			dst[need] = '\0';
			full = 1;
		}
		need += n;
	}
	if (!full)
		dst[need] = '\0';
	return need;
}

int
html_add(struct evbuffer *b, const char *s)
{
	const char	*e;
	size_t		 run = 0;

	/* Runs of plain bytes go in one piece. */
	for (size_t i = 0; s[i] != '\0'; i++) {
		if ((e = html_entity((unsigned char)s[i])) == NULL) {
			run++;
			continue;
		}
		if ((run > 0 && evbuffer_add(b, s + i - run, run) == -1) ||
		    evbuffer_add(b, e, strlen(e)) == -1)
			return -1;
		run = 0;
	}
	if (run > 0 && evbuffer_add(b, s + strlen(s) - run, run) == -1)
		return -1;
	return 0;
}

int
html_page_head(struct evbuffer *b, const char *title)
{
	if (evbuffer_add_printf(b, "<!DOCTYPE html>\n<html lang=\"en\">\n"
	    "<head>\n<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n<title>") == -1 ||
	    html_add(b, title) == -1 ||
	    evbuffer_add_printf(b, "</title>\n<link rel=\"stylesheet\" "
	    "href=\"/static/pgpmg.css\">\n</head>\n") == -1)
		return -1;
	return 0;
}

int
html_page_open(struct evbuffer *b, const char *title)
{
	if (html_page_head(b, title) == -1 ||
	    evbuffer_add_printf(b, "<body>\n<main>\n") == -1)
		return -1;
	return 0;
}

int
html_page_close(struct evbuffer *b)
{
	return evbuffer_add_printf(b, "</main>\n</body>\n</html>\n") == -1 ?
	    -1 : 0;
}
