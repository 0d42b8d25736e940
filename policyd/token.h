/*
 * token: the console's session ids and CSRF tokens.
 *
 * A session id is 32 bytes of RAND_bytes in lower-case hex (64 digits,
 * CONSOLE_TOKEN_LEN): 256 bits nobody guesses.  webd keeps it in the
 * browser's cookie; the database keeps only the SHA-256 of those 64
 * digits (token_session_hash()), so a copy of the table opens no session.
 *
 * The CSRF token of a session is HMAC-SHA-256 under the console key
 * (policyd/secrets.h) of "pgpmg-csrf", a NUL and the session id's 64
 * digits, in hex: webd puts it in its forms and compares what comes back,
 * and nobody without the key can make the token of a session, nor the
 * session of a token.  It is a function of the session, so it needs no
 * row, and it is the same on every gateway that shares the database (and
 * so the key).
 */
#ifndef PGPMG_POLICYD_TOKEN_H
#define PGPMG_POLICYD_TOKEN_H

#include "common/msg.h"

/* The context of the CSRF token's HMAC, before its NUL. */
#define TOKEN_CSRF_CONTEXT	"pgpmg-csrf"
/* SHA-256 in hex. */
#define TOKEN_HASH_HEX		64

/* A new session id into id (CONSOLE_TOKEN_LEN + 1 bytes); 0, or -1 when
 * OpenSSL has no random bytes. */
int	token_session_new(char *id);
/* True for exactly 64 lower-case hex digits. */
int	token_session_valid(const char *id);
/* The SHA-256 of a valid id, in hex, into out (TOKEN_HASH_HEX + 1). */
void	token_session_hash(const char *id, char *out);
/* The CSRF token of a valid id under the 32-byte key, into out
 * (CONSOLE_TOKEN_LEN + 1). */
void	token_csrf(const unsigned char *key, const char *id, char *out);

#endif /* PGPMG_POLICYD_TOKEN_H */
