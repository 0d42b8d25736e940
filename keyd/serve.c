/*
 * Key requests (IMSG_KEY_REQUEST) from policyd, which asks for pgpmgctl
 * and the console and records every change; the permission table keeps
 * every other process out (neither smtpd nor the parent reaches keyd's
 * keys).  keyd answers each request with one IMSG_KEYD_KEY_REPLY, in
 * order, and publishes the keyring after every change.  A malformed
 * request is fatal, as from any peer; an operation keyd does not know,
 * or arguments that do not fit it, get KEY_E_INVALID.  The passphrase a
 * request carries is wiped from the message once the request is done.
 */
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/msg.h"
#include "imsg/imsg.h"
#include "keyd/keyd.h"

/* Whether an operation takes an argument. */
#define ARG_NONE	0
#define ARG_NEEDED	1	/* an address or fingerprint */
#define ARG_OPTIONAL	2	/* an import: the address every user ID of
				   every key must be (the console's own-key
				   upload), or "" */

/* What each operation takes, and whether it changes the keyring. */
static const struct key_op_spec {
	const char	*name;
	int		 arg;		/* ARG_* */
	int		 input;		/* carries key data (and a passphrase) */
	int		 changes;
} key_ops[] = {
	[KEY_OP_GENERATE] =	{ "generate",	ARG_NEEDED, 0, 1 },
	[KEY_OP_IMPORT] =	{ "import",	ARG_OPTIONAL, 1, 1 },
	[KEY_OP_EXPORT] =	{ "export",	ARG_NEEDED, 0, 0 },
	[KEY_OP_LIST] =		{ "list",	ARG_NONE, 0, 0 },
	[KEY_OP_REVOKE] =	{ "revoke",	ARG_NEEDED, 0, 1 },
	[KEY_OP_DELETE] =	{ "delete",	ARG_NEEDED, 0, 1 },
	[KEY_OP_INVENTORY] =	{ "inventory",	ARG_NONE, 0, 0 },
};
#define NKEY_OPS	(sizeof(key_ops) / sizeof(key_ops[0]))

static const struct key_op_spec *
op_spec(uint32_t op)
{
	return op >= KEY_OP_GENERATE && op < NKEY_OPS ? &key_ops[op] : NULL;
}

static void
serve_op(struct keyd *k, uint32_t op, const char *arg, const char *pass,
    int fd, struct keyreply *r)
{
	const struct key_op_spec *spec = op_spec(op);

	if (spec == NULL) {
		reply_set(r, KEY_E_INVALID, "unknown key operation %u", op);
		return;
	}
	if ((spec->arg == ARG_NEEDED && arg[0] == '\0') ||
	    (spec->arg == ARG_NONE && arg[0] != '\0') ||
	    (!spec->input && (pass[0] != '\0' || fd != -1))) {
		reply_set(r, KEY_E_INVALID, "malformed %s request", spec->name);
		return;
	}
	switch (op) {
	case KEY_OP_GENERATE:
		keys_generate(k, arg, r);
		break;
	case KEY_OP_IMPORT:
		import_keys(k, fd, pass, arg, r);
		break;
	case KEY_OP_EXPORT:
		keys_export(k, arg, r);
		break;
	case KEY_OP_LIST:
		keys_list(k, r);
		break;
	case KEY_OP_REVOKE:
		keys_revoke(k, arg, r);
		break;
	case KEY_OP_DELETE:
		keys_delete(k, arg, r);
		break;
	case KEY_OP_INVENTORY:
		keys_inventory(k, r);
		break;
	}
}

/* Read, run and answer one request on ibuf; returns with the reply
 * queued. */
static void
serve_request(struct keyd *k, struct imsgbuf *ibuf, uint32_t peerid,
    const char *from, struct imsg *imsg)
{
	static struct keyreply	 r;
	struct imsg_reader	 rd;
	struct ibuf		*b;
	const char		*arg, *pass;
	uint32_t		 id, op;
	const struct key_op_spec *spec;
	int			 fd;

	imsg_reader_init(&rd, imsg);
	if (imsg_read_u32(&rd, &id) == -1 || imsg_read_u32(&rd, &op) == -1 ||
	    imsg_read_string(&rd, &arg, KEYD_ARG_MAX) == -1 ||
	    imsg_read_string(&rd, &pass, KEYD_PASS_MAX) == -1 ||
	    imsg_reader_end(&rd) == -1)
		fatalx("malformed KEY_REQUEST from %s", from);
	fd = imsg_get_fd(imsg);

	memset(&r, 0, sizeof(r));
	r.fd = -1;
	spec = op_spec(op);
	log_debug("%s asks: %s%s%s", from, spec ? spec->name : "unknown",
	    arg[0] ? " " : "", arg);
	serve_op(k, op, arg, pass, fd, &r);
	if (fd != -1)
		close(fd);
	if (r.code != KEY_E_OK)
		log_info("%s: %s%s%s: refused (%u): %s", from, spec ?
		    spec->name : "unknown", arg[0] ? " " : "", arg, r.code,
		    r.text);
	if (imsg->data != NULL)
		explicit_bzero(imsg->data, imsg->datalen);

	/* imsg owns r.fd from here, also when composing fails. */
	if ((b = imsg_create(ibuf, IMSG_KEYD_KEY_REPLY, peerid, r.fd,
	    2 * sizeof(uint32_t) + strlen(r.text) + 1)) == NULL ||
	    imsg_add_u32(b, id) == -1 || imsg_add_u32(b, r.code) == -1 ||
	    imsg_add_string(b, r.text) == -1)
		fatal("compose KEY_REPLY");
	imsg_close(ibuf, b);

	if (r.code == KEY_E_OK && spec != NULL && spec->changes)
		publish_keyring(k);
}

void
serve_peer_msg(struct child *c, struct child_peer *p, struct imsg *imsg)
{
	struct keyd	*k = c->data;

	if (imsg->hdr.type != IMSG_KEY_REQUEST)
		fatalx("unexpected %s from %s", imsg_type_name(imsg->hdr.type),
		    proc_name(p->proc));
	serve_request(k, &p->iev.ibuf, (uint32_t)c->instance,
	    proc_name(p->proc), imsg);
	imsgev_update(&p->iev);
}
