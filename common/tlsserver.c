/*
 * tlsserver: the server context smtpd (STARTTLS) and webd share.
 *
 * Nothing older than TLS 1.2, and for 1.2 only ECDHE with an AEAD; TLS
 * 1.3's suites are all AEAD and keep OpenSSL's defaults.  No
 * renegotiation, no compression.  No session resumption at all: no
 * tickets, whose key OpenSSL makes once per context and never rotates (a
 * process that lives for months would keep one key able to open every
 * resumed session's secrets), and no session cache.  A full handshake
 * costs about a millisecond of CPU, nothing beside a message's crypto or
 * a console page; testssl.sh's ticket probe, flaky against TLS 1.3
 * tickets, has nothing to probe (docs/DESIGN-NOTES.md, "TLS").
 */
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "common/config.h"
#include "common/log.h"
#include "common/tlsserver.h"

#define TLS12_CIPHERS	"ECDHE+AESGCM:ECDHE+CHACHA20:!PSK:!aNULL:!eNULL"

const char *
tls_reason(void)
{
	const char	*r;
	unsigned long	 e;

	e = ERR_peek_last_error();
	r = e != 0 ? ERR_reason_error_string(e) : NULL;
	ERR_clear_error();
	return r != NULL ? r : "unknown error";
}

SSL_CTX *
tls_server_context(const struct pgpmg_conf *conf)
{
	SSL_CTX	*ctx;

	/* Say "No such file" plainly; OpenSSL's queue names it obliquely. */
	if (access(conf->tls_certificate, R_OK) == -1)
		fatal("TLS: certificate %s", conf->tls_certificate);
	if (access(conf->tls_key, R_OK) == -1)
		fatal("TLS: key %s", conf->tls_key);

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
		fatalx("TLS: cannot make a server context");
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	/* TLS 1.3 would otherwise send stateful tickets all the same. */
	if (SSL_CTX_set_num_tickets(ctx, 0) != 1)
		fatalx("TLS: cannot turn session tickets off");
	/* An idle connection gives its buffers back. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) != 1)
		fatalx("TLS: cipher list: %s", tls_reason());

	if (SSL_CTX_use_certificate_chain_file(ctx, conf->tls_certificate) != 1)
		fatalx("TLS: certificate %s: %s", conf->tls_certificate,
		    tls_reason());
	if (SSL_CTX_use_PrivateKey_file(ctx, conf->tls_key,
	    SSL_FILETYPE_PEM) != 1)
		fatalx("TLS: key %s: %s", conf->tls_key, tls_reason());
	if (SSL_CTX_check_private_key(ctx) != 1)
		fatalx("TLS: key %s does not match certificate %s: %s",
		    conf->tls_key, conf->tls_certificate, tls_reason());
	return ctx;
}
