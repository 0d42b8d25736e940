/*
 * pgpmgctl's policy, rule and domain commands.  They go through pgpmgd
 * (IMSG_CTL_ADMIN), which adds who we are (our uid, from the socket's
 * credentials) and asks policyd, which checks every value again, makes
 * the change and its audit row in one transaction, and answers with the
 * output.  Here every value is checked first (common/policydef.c), so a
 * typo is refused before anything is sent.
 *
 * cmd_admin(), at the end, sends the user commands too (users.c).
 *
 * Output (README, "Policy"): `policy show` prints "KEY VALUE" lines in
 * the form `policy set` takes; `rule list` one rule per line, fields
 * separated by tabs (id, priority, scope, pattern, action); `domain list`
 * one name per line; a change one line saying what it did.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/memfd.h"
#include "common/msg.h"
#include "common/policydef.h"
#include "imsg/imsg.h"
#include "pgpmgctl/pgpmgctl.h"

#define bad_value(...)	ctl_die_status(EXIT_USAGE, __VA_ARGS__)

static void
prep(struct ctl_req *req, uint32_t op, int argc, char **argv)
{
	req->op = op;
	for (int i = 0; i < ADMIN_NARGS; i++)
		req->args[i] = i < argc ? argv[i] : "";
	for (int i = 0; i < argc && i < ADMIN_NARGS; i++)
		if (strlen(argv[i]) > ADMIN_ARG_MAX)
			bad_value("\"%.40s...\": longer than %d bytes", argv[i],
			    ADMIN_ARG_MAX);
}

void
prep_policy_show(struct ctl_req *req, int argc, char **argv)
{
	prep(req, ADMIN_OP_POLICY_SHOW, argc, argv);
}

void
prep_policy_set(struct ctl_req *req, int argc, char **argv)
{
	char	 canon[POL_VALUE_MAX + 1], err[512];
	int	 setting;

	prep(req, ADMIN_OP_POLICY_SET, argc, argv);
	if (pol_setting_parse(argv[0], argv[1], &setting, canon,
	    sizeof(canon), err, sizeof(err)) == -1)
		bad_value("policy set: %s", err);
}

void
prep_rule_add(struct ctl_req *req, int argc, char **argv)
{
	char	 pat[POL_VALUE_MAX + 1], err[512];
	int	 scope, mode, missing, prio;

	prep(req, ADMIN_OP_RULE_ADD, argc, argv);
	if (pol_scope_parse(argv[0], &scope) == -1)
		bad_value("rule add: scope \"%s\" is not domain or address",
		    argv[0]);
	if (pol_pattern_parse(scope, argv[1], pat, sizeof(pat), err,
	    sizeof(err)) == -1 ||
	    pol_action_parse(argv[2], &mode, &missing, err, sizeof(err)) ==
	    -1 || (argc == 4 && pol_priority_parse(argv[3], &prio, err,
	    sizeof(err)) == -1))
		bad_value("rule add: %s", err);
}

void
prep_rule_del(struct ctl_req *req, int argc, char **argv)
{
	char	 err[512];
	int64_t	 id;

	prep(req, ADMIN_OP_RULE_DEL, argc, argv);
	if (pol_id_parse(argv[0], &id, err, sizeof(err)) == -1)
		bad_value("rule del: %s", err);
}

void
prep_rule_list(struct ctl_req *req, int argc, char **argv)
{
	prep(req, ADMIN_OP_RULE_LIST, argc, argv);
}

static void
prep_domain(struct ctl_req *req, uint32_t op, int argc, char **argv,
    const char *what)
{
	char	 name[POL_DOMAIN_MAX + 1], err[512];

	prep(req, op, argc, argv);
	if (pol_domain_parse(argv[0], name, sizeof(name), err, sizeof(err)) ==
	    -1)
		bad_value("domain %s: %s", what, err);
}

void
prep_domain_add(struct ctl_req *req, int argc, char **argv)
{
	prep_domain(req, ADMIN_OP_DOMAIN_ADD, argc, argv, "add");
}

void
prep_domain_del(struct ctl_req *req, int argc, char **argv)
{
	prep_domain(req, ADMIN_OP_DOMAIN_DEL, argc, argv, "del");
}

void
prep_domain_list(struct ctl_req *req, int argc, char **argv)
{
	prep(req, ADMIN_OP_DOMAIN_LIST, argc, argv);
}

static int
admin_exit_status(uint32_t code)
{
	switch (code) {
	case ADMIN_E_NOTFOUND:	return EXIT_NOTFOUND;
	case ADMIN_E_EXISTS:	return EXIT_EXISTS;
	}
	return EXIT_REFUSED;
}

int
cmd_admin(struct imsgbuf *ibuf, struct ctl_req *req)
{
	static const char *const names[ADMIN_OP_MAX + 1] = {
		[ADMIN_OP_POLICY_SHOW] = "policy show",
		[ADMIN_OP_POLICY_SET] = "policy set",
		[ADMIN_OP_RULE_ADD] = "rule add",
		[ADMIN_OP_RULE_DEL] = "rule del",
		[ADMIN_OP_RULE_LIST] = "rule list",
		[ADMIN_OP_DOMAIN_ADD] = "domain add",
		[ADMIN_OP_DOMAIN_DEL] = "domain del",
		[ADMIN_OP_DOMAIN_LIST] = "domain list",
		[ADMIN_OP_USER_ADD] = "user add",
		[ADMIN_OP_USER_LIST] = "user list",
		[ADMIN_OP_USER_SET] = "user set",
		[ADMIN_OP_USER_PASSWD] = "user passwd",
		[ADMIN_OP_USER_DEL] = "user del",
	};
	struct imsg		 imsg;
	struct imsg_reader	 r;
	struct ibuf		*b;
	const char		*msg, *name = names[req->op];
	uint64_t		 size;
	size_t			 len = sizeof(uint32_t);
	int			 fd;

	for (int i = 0; i < ADMIN_NARGS; i++)
		len += strlen(req->args[i]) + 1;
	if ((b = imsg_create(ibuf, IMSG_CTL_ADMIN, 0, -1, len)) == NULL ||
	    imsg_add_u32(b, req->op) == -1)
		ctl_die_status(EXIT_USAGE, "%s: %s", name, strerror(errno));
	for (int i = 0; i < ADMIN_NARGS; i++)
		if (imsg_add_string(b, req->args[i]) == -1)
			ctl_die_status(EXIT_USAGE, "%s: %s", name,
			    strerror(errno));
	imsg_close(ibuf, b);
	ctl_send(ibuf);
	for (;;) {
		ctl_read(ibuf, &imsg);
		switch (imsg.hdr.type) {
		case IMSG_CTL_END:
			imsg_free(&imsg);
			return 0;
		case IMSG_CTL_DATA:
			if ((fd = imsg_get_fd(&imsg)) == -1 ||
			    imsg.datalen != 0 ||
			    memfd_check_sealed(fd, &size) == -1)
				ctl_die_status(EXIT_USAGE, "%s: malformed "
				    "reply", name);
			ctl_print_fd(fd, req->out);
			break;
		case IMSG_CTL_ERROR:
			imsg_reader_init(&r, &imsg);
			if (imsg_read_string(&r, &msg, CTL_TEXT_MAX) == -1 ||
			    imsg_reader_end(&r) == -1)
				ctl_die_status(EXIT_USAGE, "%s: malformed "
				    "error reply", name);
			ctl_die_status(admin_exit_status(imsg.hdr.peerid),
			    "%s: %s", name, msg);
		default:
			ctl_die_status(EXIT_USAGE, "%s: unexpected reply type "
			    "%u", name, imsg.hdr.type);
		}
		imsg_free(&imsg);
	}
}
