/*
 * tls: webd's server context, made as root before the sandbox: the one
 * smtpd's STARTTLS uses (common/tlsserver.c: TLS 1.2 and newer, ECDHE
 * and AEAD, no resumption), which every browser speaks, and ALPN.  There
 * is no plaintext fallback: without a certificate and key webd does not
 * start.
 */
#include <openssl/ssl.h>

#include "common/tlsserver.h"
#include "webd/webd.h"

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

SSL_CTX *
webd_tls_context(const struct pgpmg_conf *conf)
{
	SSL_CTX	*ctx;

	ctx = tls_server_context(conf);
	SSL_CTX_set_alpn_select_cb(ctx, webd_tls_alpn, NULL);
	return ctx;
}
