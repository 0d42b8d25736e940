/*
 * keyd: the key custodian's state, shared by its files.
 *
 * keyd is one thread on one event loop.  Before its sandbox it reads the
 * master passphrase (secret.c) and makes the agent's listening sockets
 * (sockets.c); inside it, it supervises gpg-agent (agent.c), answers the
 * agent's pinentry (pinserve.c), keeps the organisation key (orgkey.c),
 * serves key requests (serve.c; keys.c, list.c, revoke.c, import.c) and
 * publishes the keyring (publish.c).  gpgme calls are synchronous: while
 * one runs, the loop waits (a key generation with its certification takes
 * ~110 ms with ed25519, about a second with RSA-3072).
 */
#ifndef PGPMG_KEYD_KEYD_H
#define PGPMG_KEYD_KEYD_H

#include <sys/types.h>

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>

#include <gpgme.h>

#include "common/child.h"

/* A unix socket path, as bind() and connect() take it. */
#define KEYD_SOCK_MAX		(sizeof(((struct sockaddr_un *)0)->sun_path))
/* A v4 (40) or v5 (64) fingerprint in hex, and its NUL. */
#define KEYD_FPR_MAX		65
/* Largest key import accepted (armoured or binary). */
#define KEYD_IMPORT_MAX		((uint64_t)1 << 20)
/* Request fields (IMSG_KEY_REQUEST): an address or fingerprint, and a
 * passphrase. */
#define KEYD_ARG_MAX		320
#define KEYD_PASS_MAX		1024
/* The reply's text (fingerprints of an import, or an error). */
#define KEYD_TEXT_MAX		4096
/* The master passphrase: at least 32 characters (prepare.c writes 64 hex
 * digits), so the agent's S2K needs no stretching. */
#define KEYD_SECRET_MIN		32
#define KEYD_SECRET_MAX		256

/* File names inside keyd's home. */
#define KEYD_STD_SOCKET		"S.gpg-agent"
#define KEYD_PIN_SOCKET		"S.pgpmg-pinentry"
#define KEYD_ORGKEY_FILE	"pgpmg-orgkey"
#define KEYD_REVOCS_DIR		"openpgp-revocs.d"
/* Under cryptod-home: the directory cryptod may enter, and the socket. */
#define KEYD_AGENT_DIR		"agent"
#define KEYD_EXTRA_SOCKET	"S.gpg-agent.extra"
/* The environment variable that makes the keyd binary the agent's
 * pinentry (its value: keyd's pinentry socket). */
#define KEYD_PINENTRY_ENV	"PGPMG_KEYD_PINENTRY"

/* The master passphrase, in locked memory that is never dumped. */
struct secret {
	char		*buf;		/* NUL-terminated */
	size_t		 len;
	size_t		 maplen;
};

struct keyd {
	struct child		*child;
	const struct pgpmg_conf	*conf;
	struct secret		 pass;		/* the master passphrase */
	struct secret		 orgpass;	/* the organisation key's */
	char			 self_exe[PATH_MAX];
	char			 std_path[KEYD_SOCK_MAX];
	char			 extra_path[KEYD_SOCK_MAX];
	char			 pin_path[KEYD_SOCK_MAX];
	int			 std_fd;	/* listening, for the agent */
	int			 extra_fd;	/* listening, for the agent */
	int			 pin_fd;	/* listening, ours */
	/* the agent */
	pid_t			 agent_pid;
	int			 agent_err;	/* its stderr, read end */
	struct event		*ev_chld;
	struct event		*ev_agent_err;
	char			 agent_line[512];
	size_t			 agent_linelen;
	/* the pinentry server */
	struct event		*ev_pin;
	/* the organisation key */
	char			 org_fpr[KEYD_FPR_MAX];
	char			 org_grips[4][41];
	size_t			 norg_grips;
	/* the published keyring */
	uint32_t		 generation;
};

extern struct keyd	*keyd;

/* secret.c: the master passphrase file, read as root before the sandbox. */
void	 secret_load(struct secret *, const char *path);
/* dst = src and a suffix, in a locked page of its own. */
void	 secret_derive(struct secret *dst, const struct secret *src,
	    const char *suffix);
/* The passphrase as lower-case hex, for PRESET_PASSPHRASE; wipe after. */
char	*secret_hex(const struct secret *);
void	 secret_free_str(char *);

/* sockets.c: before the sandbox (root), the listening sockets; after it,
 * keyd's gpg.conf and gpg-agent.conf. */
void	 sockets_make(struct keyd *);
void	 home_write_conf(struct keyd *);
void	 home_write(const char *home, const char *name, const char *text);

/* agent.c: start gpg-agent inside the sandbox and watch it. */
void	 agent_start(struct keyd *);

/* agentcmd.c: Assuan commands to the agent's standard socket. */
int	 agentcmd_preset(struct keyd *, const char *grip, const struct secret *);
/* PASSWD --verify: 0 when the passphrase unlocks the key, else the error. */
gpgme_error_t agentcmd_verify(struct keyd *, const char *grip, const char *pass);
/* PASSWD: from pass to the master passphrase. */
gpgme_error_t agentcmd_passwd(struct keyd *, const char *grip, const char *pass);
gpgme_error_t agentcmd_delete(struct keyd *, const char *grip);
int	 agentcmd_havekey(struct keyd *, const char *grip);

/* pinentry.c: main() of the keyd binary run by gpg-agent as its pinentry. */
int	 pinentry_main(const char *socket_path);

/* pinserve.c: keyd's side of the pinentry: hand out the passphrase. */
void	 pinserve_start(struct keyd *);

/* gpg.c: gpgme contexts on keyd's home, and what keys are. */
gpgme_ctx_t gpg_ctx(struct keyd *);
gpgme_error_t gpg_passphrase_cb(void *, const char *, const char *, int, int);
/* A whole keyring (keys owned); secret_only: gpg's secret listing. */
struct keylist {
	gpgme_key_t	*keys;
	size_t		 n;
};
int	 gpg_is_fpr(const char *);
int	 gpg_key_usable(gpgme_key_t);
int	 gpg_key_encrypts(gpgme_key_t);
int	 gpg_key_has_addr(gpgme_key_t, const char *addr, int any);
int	 gpg_valid_address(const char *);
int	 gpg_list(gpgme_ctx_t, int secret, struct keylist *);
void	 gpg_list_free(struct keylist *);
gpgme_key_t gpg_list_find(const struct keylist *, const char *fpr);
int	 gpg_preset_key(struct keyd *, gpgme_key_t secret_key);
int	 gpg_preset_all(struct keyd *);

/* orgkey.c */
void	 orgkey_init(struct keyd *);
int	 orgkey_certify(struct keyd *, gpgme_ctx_t, gpgme_key_t, char *err,
	    size_t errlen);
int	 orgkey_is_grip(const struct keyd *, const char *grip);
/* The suffix that makes the organisation key's passphrase. */
#define KEYD_ORG_SUFFIX		"/pgpmg-organisation-key"

/* A request's outcome: a KEY_E_* code, the reply text, an output fd. */
struct keyreply {
	uint32_t	 code;
	char		 text[KEYD_TEXT_MAX];
	int		 fd;
};
void	 reply_set(struct keyreply *, uint32_t code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* keys.c, list.c, revoke.c */
void	 keys_generate(struct keyd *, const char *addr, struct keyreply *);
void	 keys_export(struct keyd *, const char *arg, struct keyreply *);
void	 keys_list(struct keyd *, struct keyreply *);
void	 keys_revoke(struct keyd *, const char *arg, struct keyreply *);
/* delete.c, inventory.c */
void	 keys_delete(struct keyd *, const char *fpr, struct keyreply *);
void	 keys_inventory(struct keyd *, struct keyreply *);
/* A gpgme data object's bytes into the reply's sealed memfd (releases d). */
int	 keys_data_out(gpgme_data_t, const char *name, struct keyreply *);
/* The keys an address (any of their user IDs, revoked ones too) or a
 * fingerprint names; -1 and a reply when none does. */
int	 keys_resolve(gpgme_ctx_t, const char *arg, struct keylist *,
	    struct keyreply *);
/* Remove a key (secret and public) and its revocation certificate. */
void	 keys_remove(struct keyd *, gpgme_ctx_t, const char *fpr);
/* Output into a sealed memfd: -1 on failure (the reply says why). */
int	 keys_memfd(const char *name, const void *, size_t, struct keyreply *);

/* import.c */
/* required: "" or the address every user ID of every key must be. */
void	 import_keys(struct keyd *, int fd, const char *pass,
	    const char *required, struct keyreply *);

/* serve.c */
void	 serve_peer_msg(struct child *, struct child_peer *, struct imsg *);

/* publish.c */
void	 publish_keyring(struct keyd *);

#endif /* PGPMG_KEYD_KEYD_H */
