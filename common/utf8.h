/*
 * utf8: the one well-formedness check of UTF-8 that every parser of
 * untrusted text uses (SMTPUTF8 commands in smtpd, form fields and paths
 * in webd), so that "valid UTF-8" means the same thing everywhere.
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

#endif /* PGPMG_UTF8_H */
