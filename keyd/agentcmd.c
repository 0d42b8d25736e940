/*
 * What keyd asks its own agent over the standard socket: preset the master
 * passphrase for a keygrip, check a passphrase, change one (loopback: the
 * agent inquires the old and the new one by name), delete a secret key,
 * and whether it holds one.  Each call is one short connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "keyd/assuan.h"
#include "keyd/keyd.h"

/* "PRESET_PASSPHRASE " grip " -1 " hex(passphrase) */
#define PRESET_LINE	(64 + 2 * KEYD_SECRET_MAX)

struct passwd_inq {
	const char	*old;
	const char	*new;	/* NULL: only verify */
};

static const char *
passwd_inquire(void *arg, const char *kw)
{
	struct passwd_inq	*p = arg;

	if (strcmp(kw, "PASSPHRASE") == 0)
		return p->old;
	if (strcmp(kw, "NEW_PASSPHRASE") == 0)
		return p->new;
	return NULL;
}

static int
valid_grip(const char *grip)
{
	return strlen(grip) == 40 && strspn(grip, "0123456789ABCDEFabcdef") ==
	    40;
}

static gpgme_error_t
agentcmd_one(struct keyd *k, const char *cmd, int loopback,
    struct passwd_inq *inq)
{
	struct assuan	 a;
	gpgme_error_t	 e;

	if (assuan_open(&a, k->std_path) == -1)
		return gpg_error(GPG_ERR_NO_AGENT);
	e = loopback ? assuan_transact(&a, "OPTION pinentry-mode=loopback",
	    NULL, NULL) : 0;
	if (e == 0)
		e = assuan_transact(&a, cmd, inq != NULL ? passwd_inquire : NULL,
		    inq);
	assuan_close(&a);
	return e;
}

int
agentcmd_preset(struct keyd *k, const char *grip, const struct secret *pass)
{
	char		 line[PRESET_LINE + 64];
	char		*hex;
	gpgme_error_t	 e;

	if (!valid_grip(grip) || (hex = secret_hex(pass)) == NULL)
		return -1;
	/* -1: never expires; the standard socket is keyd's alone. */
	snprintf(line, sizeof(line), "PRESET_PASSPHRASE %s -1 %s", grip, hex);
	secret_free_str(hex);
	e = agentcmd_one(k, line, 0, NULL);
	explicit_bzero(line, sizeof(line));
	if (e != 0) {
		log_warnx("agent: preset for keygrip %s: %s", grip,
		    gpgme_strerror(e));
		return -1;
	}
	return 0;
}

gpgme_error_t
agentcmd_verify(struct keyd *k, const char *grip, const char *pass)
{
	struct passwd_inq	 inq = { pass, NULL };
	char			 line[128];

	if (!valid_grip(grip))
		return gpg_error(GPG_ERR_INV_VALUE);
	snprintf(line, sizeof(line), "PASSWD --verify %s", grip);
	return agentcmd_one(k, line, 1, &inq);
}

gpgme_error_t
agentcmd_passwd(struct keyd *k, const char *grip, const char *pass)
{
	struct passwd_inq	 inq = { pass, k->pass.buf };
	char			 line[128];

	if (!valid_grip(grip))
		return gpg_error(GPG_ERR_INV_VALUE);
	snprintf(line, sizeof(line), "PASSWD %s", grip);
	return agentcmd_one(k, line, 1, &inq);
}

gpgme_error_t
agentcmd_delete(struct keyd *k, const char *grip)
{
	char	 line[128];

	if (!valid_grip(grip))
		return gpg_error(GPG_ERR_INV_VALUE);
	snprintf(line, sizeof(line), "DELETE_KEY --force %s", grip);
	return agentcmd_one(k, line, 1, NULL);
}

int
agentcmd_havekey(struct keyd *k, const char *grip)
{
	char	 line[128];

	if (!valid_grip(grip))
		return 0;
	snprintf(line, sizeof(line), "HAVEKEY %s", grip);
	return agentcmd_one(k, line, 0, NULL) == 0;
}
