/*
 * tls: webd's server context, made as root before the sandbox from the
 * same tls-certificate and tls-key as smtpd's STARTTLS.  A console is
 * reached by browsers only, all of which speak TLS 1.2 with ECDHE and an
 * AEAD, so nothing older or weaker is offered.  There is no session
 * resumption at all: no tickets (whose key would need rotating) and no
 * session cache; a full handshake costs a console nothing it would
 * notice.  There is no plaintext fallback either: without a certificate
 * and key webd does not start.
 */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include "common/log.h"
#include "webd/webd.h"

/* TLS 1.2: forward-secret key exchange and AEAD only.  TLS 1.3 suites
 * are all AEAD and keep OpenSSL's defaults. */
#define WEBD_TLS12_CIPHERS \
	"ECDHE+AESGCM:ECDHE+CHACHA20:!PSK:!aNULL:!eNULL"

/*
 * ALPN: HTTP/1.1 (or 1.0) or nothing.  A client that offers ALPN without
 * them meant another protocol (h2 only, or a cross-protocol attack that
 * points a browser at us under another service's name): refuse the
 * handshake, as RFC 7301 3.2 says, rather than answer in a protocol it
 * did not ask for.  A client without ALPN speaks HTTP/1.x to us.
 */
static int
webd_tls_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	static const unsigned char	 ours[] = "\x08http/1.1\x08http/1.0";
	unsigned char			*sel;

	(void)ssl; (void)arg;
	if (SSL_select_next_proto(&sel, outlen, ours, sizeof(ours) - 1, in,
	    inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

/* OpenSSL's reason for the last failure, for a message that names the
 * file; the queue is emptied so it cannot mislead a later check. */
static const char *
webd_tls_reason(void)
{
	const char	*r;
	unsigned long	 e;

	e = ERR_peek_last_error();
	r = e != 0 ? ERR_reason_error_string(e) : NULL;
	ERR_clear_error();
	return r != NULL ? r : "unknown error";
}

SSL_CTX *
webd_tls_context(const struct pgpmg_conf *conf)
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
	/* An idle keep-alive connection gives its buffers back. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_set_cipher_list(ctx, WEBD_TLS12_CIPHERS) != 1)
		fatalx("TLS: cipher list: %s", webd_tls_reason());
	SSL_CTX_set_alpn_select_cb(ctx, webd_tls_alpn, NULL);

	if (SSL_CTX_use_certificate_chain_file(ctx, conf->tls_certificate) != 1)
		fatalx("TLS: certificate %s: %s", conf->tls_certificate,
		    webd_tls_reason());
	if (SSL_CTX_use_PrivateKey_file(ctx, conf->tls_key,
	    SSL_FILETYPE_PEM) != 1)
		fatalx("TLS: key %s: %s", conf->tls_key, webd_tls_reason());
	if (SSL_CTX_check_private_key(ctx) != 1)
		fatalx("TLS: key %s does not match certificate %s: %s",
		    conf->tls_key, conf->tls_certificate, webd_tls_reason());
	return ctx;
}
