/*
 * smtpd: the only process that faces the mail network.  It runs as
 * _pgpmg_smtpd in an empty chroot, gets its listening socket from the
 * parent, speaks SMTP or LMTP to Postfix, hands each message to a cryptod
 * worker and relays the result to the reinjection port.
 *
 * Everything that needs the filesystem or the resolver happens before
 * the sandbox: the TLS certificate and key are loaded, the relay's address
 * is resolved, the descriptor limit is raised for many sessions.
 */
#include <sys/socket.h>

#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/tlsserver.h"
#include "common/msg.h"
#include "imsg/imsg.h"
#include "smtpd/relay.h"
#include "smtpd/smtpd.h"

/* Relay sessions kept open between messages: enough for the client
 * concurrency Postfix uses toward a content filter. */
#define SMTPD_RELAY_MAX_IDLE	16
#define SMTPD_RELAY_IDLE_SEC	30
/* Descriptors per session (client, relay) plus the fixed ones. */
#define SMTPD_FDS_PER_SESSION	3
#define SMTPD_FDS_SPARE		64

struct smtpd		*smtpd;
static struct relay_config relay_conf;

static void
smtpd_relay_prejail(const struct pgpmg_conf *conf)
{
	struct addrinfo	 hints, *res;
	char		 port[8];
	int		 rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", conf->relay.port);
	/* No resolver inside the sandbox: resolve the relay now. */
	if ((rc = getaddrinfo(conf->relay.host, port, &hints, &res)) != 0)
		fatalx("relay %s:%u: %s", conf->relay.host, conf->relay.port,
		    gai_strerror(rc));
	memcpy(&relay_conf.addr, res->ai_addr, res->ai_addrlen);
	relay_conf.addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	snprintf(relay_conf.name, sizeof(relay_conf.name), "%.200s:%u",
	    conf->relay.host, conf->relay.port);
	snprintf(relay_conf.helo, sizeof(relay_conf.helo), "%s",
	    conf->hostname);
	switch (conf->relay_tls) {
	case CONF_RELAY_TLS_NO:
		relay_conf.tls = RELAY_TLS_NO;
		break;
	case CONF_RELAY_TLS_REQUIRE:
		relay_conf.tls = RELAY_TLS_REQUIRE;
		break;
	default:
		relay_conf.tls = RELAY_TLS_OPPORTUNISTIC;
		break;
	}
	if (relay_conf.tls != RELAY_TLS_NO) {
		if ((relay_conf.ssl_ctx = SSL_CTX_new(TLS_client_method())) ==
		    NULL || SSL_CTX_set_min_proto_version(relay_conf.ssl_ctx,
		    TLS1_2_VERSION) != 1)
			fatalx("TLS: cannot make a client context");
	}
	relay_conf.connect_timeout.tv_sec = (time_t)conf->relay_connect_timeout;
	relay_conf.command_timeout.tv_sec = (time_t)conf->relay_timeout;
	relay_conf.data_timeout.tv_sec = (time_t)conf->relay_timeout;
	relay_conf.idle_timeout.tv_sec = SMTPD_RELAY_IDLE_SEC;
	relay_conf.max_idle = SMTPD_RELAY_MAX_IDLE;
}

static void
smtpd_parent_msg(struct child *c, struct imsg *imsg)
{
	uint32_t	 kind;
	int		 fd;

	fd = child_listener(imsg, &kind);
	if (kind != LISTENER_SMTP)
		fatalx("malformed PARENT_LISTENER_FD");
	if (smtpd->listen_ev != NULL)
		fatalx("listener already set");
	smtpd->listen_fd = fd;
	smtpd->listen_ev = child_listen(c, fd, session_accept, NULL);
	log_debug("listening (%s)", c->conf.smtp_lmtp ? "LMTP" : "SMTP");
}

static void
smtpd_started(struct child *c)
{
	if ((smtpd->relay = relay_new(c->base, &relay_conf)) == NULL)
		fatalx("relay");
}

static const struct child_ops smtpd_ops = {
	.parent_msg = smtpd_parent_msg,
	.peer_msg = pipeline_job_msg,
	.peer_down = pipeline_worker_down,
	.started = smtpd_started,
};

int
main(int argc, char *argv[])
{
	static struct smtpd	 sd;
	struct child		 c;
	struct sandbox_view	 view = { 0 };
	const int		 keep[] = { PROC_PARENT_FD };

	child_boot(&c, PROC_SMTPD, argc, argv);
	smtpd = &sd;
	sd.child = &c;
	sd.conf = &c.conf;
	sd.listen_fd = -1;
	TAILQ_INIT(&sd.sessions);
	if (c.conf.smtp_tls)
		sd.server_ctx = tls_server_context(&c.conf);
	smtpd_relay_prejail(&c.conf);
	/* Room for every session the configuration allows. */
	child_raise_fd_limit(c.conf.smtp_max_sessions * SMTPD_FDS_PER_SESSION +
	    SMTPD_FDS_SPARE);

	view.chroot_dir = c.conf.chroot_dir;
	sandbox_enter(PROC_SMTPD, &view, keep, 1, &c.sandbox);
	child_run(&c, &smtpd_ops);
	fatalx("exited event loop");
}
