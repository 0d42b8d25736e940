/*
 * utf8: the one well-formedness check of UTF-8 that every parser of
 * untrusted text uses (SMTPUTF8 commands in smtpd, form fields and paths
 * in webd, policy values, user names and passwords), so that "valid
 * UTF-8" means the same thing everywhere; and the helpers that keep text
 * well-formed when it is copied or cut.
 */
#ifndef PGPMG_UTF8_H
#define PGPMG_UTF8_H

#include <stddef.h>

/*
 * Returns 1 when s[0..len) is well-formed UTF-8 (RFC 3629): shortest form
 * only, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no
 * sequence cut short.  NUL is a valid character here; callers that cannot
 * hold one refuse it themselves.
 */
int	utf8_valid(const void *s, size_t len);
/* The same for a NUL-terminated string. */
int	utf8_valid_str(const char *s);
/* Characters in well-formed UTF-8. */
size_t	utf8_chars(const char *s);
/*
 * Copy src into dst as well-formed UTF-8: each byte that does not belong
 * to a well-formed sequence becomes '?', and the copy is cut at a
 * character boundary to fit dstlen (> 0).
 */
void	utf8_copy(char *dst, size_t dstlen, const char *src);
/* Cut s in place to at most max bytes at a character boundary, ending
 * with "..." when it was cut (max >= 3). */
void	utf8_cut(char *s, size_t max);

#endif /* PGPMG_UTF8_H */
