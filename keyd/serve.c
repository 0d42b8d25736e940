/*
 * Key requests (IMSG_KEY_REQUEST) from the parent, for pgpmgctl, and from
 * policyd; the permission table keeps every other process out (smtpd never
 * reaches keyd).  keyd answers each request with one IMSG_KEYD_KEY_REPLY on
 * the channel it came from, in order, and publishes the keyring after
 * every change.  A malformed request is fatal, as from any peer; an
 * operation keyd does not know, or arguments that do not fit it, get
 * KEY_E_INVALID.  The passphrase a request carries is wiped from the
 * message once the request is done.
 */
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/msg.h"
#include "imsg/imsg.h"
#include "keyd/keyd.h"

static const char *
op_name(uint32_t op)
{
	switch (op) {
	case KEY_OP_GENERATE:	return "generate";
	case KEY_OP_IMPORT:	return "import";
	case KEY_OP_EXPORT:	return "export";
	case KEY_OP_LIST:	return "list";
	case KEY_OP_REVOKE:	return "revoke";
	}
	return "unknown";
}

static void
serve_op(struct keyd *k, uint32_t op, const char *arg, const char *pass,
    int fd, struct keyreply *r)
{
	int	 wants_arg = op == KEY_OP_GENERATE || op == KEY_OP_EXPORT ||
		    op == KEY_OP_REVOKE;

	if (op < KEY_OP_GENERATE || op > KEY_OP_REVOKE) {
		reply_set(r, KEY_E_INVALID, "unknown key operation %u", op);
		return;
	}
	if (wants_arg != (arg[0] != '\0') ||
	    (op != KEY_OP_IMPORT && (pass[0] != '\0' || fd != -1))) {
		reply_set(r, KEY_E_INVALID, "malformed %s request",
		    op_name(op));
		return;
	}
	switch (op) {
	case KEY_OP_GENERATE:
		keys_generate(k, arg, r);
		break;
	case KEY_OP_IMPORT:
		import_keys(k, fd, pass, r);
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
	int			 fd, changes;

	imsg_reader_init(&rd, imsg);
	if (imsg_read_u32(&rd, &id) == -1 || imsg_read_u32(&rd, &op) == -1 ||
	    imsg_read_string(&rd, &arg, KEYD_ARG_MAX) == -1 ||
	    imsg_read_string(&rd, &pass, KEYD_PASS_MAX) == -1 ||
	    imsg_reader_end(&rd) == -1)
		fatalx("malformed KEY_REQUEST from %s", from);
	fd = imsg_get_fd(imsg);

	memset(&r, 0, sizeof(r));
	r.fd = -1;
	log_debug("%s asks: %s%s%s", from, op_name(op), arg[0] ? " " : "",
	    arg);
	serve_op(k, op, arg, pass, fd, &r);
	if (fd != -1)
		close(fd);
	if (r.code != KEY_E_OK)
		log_info("%s: %s%s%s: refused (%u): %s", from, op_name(op),
		    arg[0] ? " " : "", arg, r.code, r.text);
	if (imsg->data != NULL)
		explicit_bzero(imsg->data, imsg->datalen);

	/* imsg owns r.fd from here, also when composing fails. */
	if ((b = imsg_create(ibuf, IMSG_KEYD_KEY_REPLY, peerid, r.fd,
	    2 * sizeof(uint32_t) + strlen(r.text) + 1)) == NULL ||
	    imsg_add_u32(b, id) == -1 || imsg_add_u32(b, r.code) == -1 ||
	    imsg_add_string(b, r.text) == -1)
		fatal("compose KEY_REPLY");
	imsg_close(ibuf, b);

	changes = r.code == KEY_E_OK && (op == KEY_OP_GENERATE ||
	    op == KEY_OP_IMPORT || op == KEY_OP_REVOKE);
	if (changes)
		publish_keyring(k);
}

void
serve_parent_msg(struct child *c, struct imsg *imsg)
{
	struct keyd	*k = c->data;

	if (imsg->hdr.type != IMSG_KEY_REQUEST)
		fatalx("unexpected %s from the parent",
		    imsg_type_name(imsg->hdr.type));
	serve_request(k, &c->parent.ibuf, 0, "parent", imsg);
	imsgev_update(&c->parent);
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
