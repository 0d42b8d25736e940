/*
 * tlsserver: the one TLS server context of smtpd's STARTTLS and webd,
 * made as root before the sandbox from tls-certificate and tls-key.
 */
#ifndef PGPMG_TLSSERVER_H
#define PGPMG_TLSSERVER_H

#include <openssl/ssl.h>

struct pgpmg_conf;

/* TLS 1.2 and newer, forward-secret AEAD suites, no resumption, the
 * certificate chain and its key; fatal when any of it fails. */
SSL_CTX		*tls_server_context(const struct pgpmg_conf *);
/* OpenSSL's reason for the last failure; the queue is emptied. */
const char	*tls_reason(void);

#endif /* PGPMG_TLSSERVER_H */
