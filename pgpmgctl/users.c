/*
 * pgpmgctl's user commands: user add, list, set, passwd and del.  Like
 * the policy commands (policy.c, whose cmd_admin() sends them) they go
 * through pgpmgd (IMSG_CTL_ADMIN) to policyd, which checks every value
 * again and makes each change with its audit row; here every value is
 * checked first (common/userdef.c), so a typo is refused before anything
 * is sent.
 *
 * `user passwd` reads the password (one line of stdin: it is for
 * scripts) or makes one (--random), and hashes it here
 * (common/passhash.c): pgpmgctl runs outside any sandbox, and half a
 * second of scrypt here never holds up policyd's event loop.  Only the
 * PHC string leaves this process; the password is wiped once hashed, a
 * random one once printed.
 *
 * Output (README, "Users"): `user list` one line per user, fields
 * separated by tabs (address, role, portal yes/no, locked yes/no, display
 * name); a change one line saying what it did; `user passwd --random` the
 * password alone on stdout, that line on stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "common/msg.h"
#include "common/passhash.h"
#include "common/userdef.h"
#include "imsg/imsg.h"
#include "pgpmgctl/pgpmgctl.h"

#define bad_value(...)	ctl_die_status(EXIT_USAGE, __VA_ARGS__)

/* A password of --random: 20 characters of PASSHASH_RANDOM_ALPHABET's
 * 56, about 116 bits. */
#define USER_RANDOM_LEN	20

/* What `user passwd` sends, and what it prints once the hash is stored. */
static char	user_phc[PASSHASH_PHC_MAX + 1];
static char	user_random[USER_RANDOM_LEN + 1];

static void
prep(struct ctl_req *req, uint32_t op, const char *a0, const char *a1,
    const char *a2)
{
	req->op = op;
	req->args[0] = a0;
	req->args[1] = a1;
	req->args[2] = a2;
	for (int i = 3; i < ADMIN_NARGS; i++)
		req->args[i] = "";
}

static void
check_address(const char *cmd, const char *address)
{
	char	 err[512];

	if (user_address_check(address, err, sizeof(err)) == -1)
		bad_value("user %s: %s", cmd, err);
}

void
prep_user_add(struct ctl_req *req, int argc, char **argv)
{
	const char	*address = NULL, *name = NULL, *role = NULL;
	char		 err[512];
	int		 r;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--name") == 0 ||
		    strcmp(argv[i], "--role") == 0) {
			const char **opt = strcmp(argv[i], "--name") == 0 ?
			    &name : &role;

			if (i + 1 == argc || *opt != NULL)
				ctl_usage("user add");
			*opt = argv[++i];
		} else if (address == NULL && strncmp(argv[i], "--", 2) != 0)
			address = argv[i];
		else
			ctl_usage("user add");
	}
	if (address == NULL)
		ctl_usage("user add");
	check_address("add", address);
	if (name == NULL)
		name = "";
	if (user_name_check(name, err, sizeof(err)) == -1)
		bad_value("user add: %s", err);
	if (role == NULL)
		role = user_role_name(USER_ROLE_DEFAULT);
	if (user_role_parse(role, &r) == -1)
		bad_value("user add: role \"%s\" is not one of admin, user, "
		    "none", role);
	prep(req, ADMIN_OP_USER_ADD, address, name, role);
}

void
prep_user_list(struct ctl_req *req, int argc, char **argv)
{
	(void)argc; (void)argv;
	prep(req, ADMIN_OP_USER_LIST, "", "", "");
}

void
prep_user_set(struct ctl_req *req, int argc, char **argv)
{
	char	 canon[USER_NAME_MAX + 1], err[512];
	int	 field;

	(void)argc;
	check_address("set", argv[0]);
	if (user_field_parse(argv[1], argv[2], &field, canon, sizeof(canon),
	    err, sizeof(err)) == -1)
		bad_value("user set: %s", err);
	prep(req, ADMIN_OP_USER_SET, argv[0], argv[1], argv[2]);
}

void
prep_user_del(struct ctl_req *req, int argc, char **argv)
{
	(void)argc;
	check_address("del", argv[0]);
	prep(req, ADMIN_OP_USER_DEL, argv[0], "", "");
}

/* ---------------------------------------------------------------- passwd */

/* Why OpenSSL failed, as far as it says. */
static const char *
ssl_error(void)
{
	const char	*e = ERR_reason_error_string(ERR_get_error());

	return e != NULL ? e : "no reason given";
}

static void __attribute__((noreturn))
bad_password(char *buf, size_t len, const char *why)
{
	explicit_bzero(buf, len);
	bad_value("user passwd: %s", why);
}

/*
 * One line of stdin, without its "\n" or "\r\n", into buf (len >
 * PASSHASH_PASS_MAX + 1).  A byte at a time, so that nothing after the
 * line is taken from a script's stdin.
 */
static void
read_password(char *buf, size_t len)
{
	size_t	 n = 0;
	ssize_t	 r;
	char	 c;

	for (;;) {
		if ((r = read(STDIN_FILENO, &c, 1)) == -1) {
			if (errno == EINTR)
				continue;
			bad_password(buf, len, strerror(errno));
		}
		if (r == 0 || c == '\n')
			break;
		if (c == '\0')
			bad_password(buf, len, "the password has a NUL byte");
		if (n == len - 1) {
			explicit_bzero(buf, len);
			bad_value("user passwd: the password is longer than %d "
			    "bytes", PASSHASH_PASS_MAX);
		}
		buf[n++] = c;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
}

void
prep_user_passwd(struct ctl_req *req, int argc, char **argv)
{
	char		 pass[PASSHASH_PASS_MAX + 2], err[512];
	const char	*address = argv[0];
	int		 use_random = 0;

	if (argc == 2) {
		use_random = 1;
		if (strcmp(argv[0], "--random") == 0)
			address = argv[1];
		else if (strcmp(argv[1], "--random") != 0)
			ctl_usage("user passwd");
	}
	check_address("passwd", address);
	if (use_random) {
		if (passhash_random(user_random, USER_RANDOM_LEN) == -1)
			bad_value("user passwd: no random bytes: %s",
			    ssl_error());
		memcpy(pass, user_random, sizeof(user_random));
		/* The password alone on stdout. */
		req->out = STDERR_FILENO;
	} else
		read_password(pass, sizeof(pass));
	if (user_password_check(pass, err, sizeof(err)) == -1)
		bad_password(pass, sizeof(pass), err);
	if (passhash_make(pass, user_phc, sizeof(user_phc)) == -1) {
		explicit_bzero(pass, sizeof(pass));
		bad_value("user passwd: hashing failed: %s", ssl_error());
	}
	explicit_bzero(pass, sizeof(pass));
	prep(req, ADMIN_OP_USER_PASSWD, address, user_phc, "");
}

/* cmd_admin(), then a random password, once it is stored. */
int
cmd_user_passwd(struct imsgbuf *ibuf, struct ctl_req *req)
{
	int	 rc;

	rc = cmd_admin(ibuf, req);
	explicit_bzero(user_phc, sizeof(user_phc));
	if (user_random[0] == '\0')
		return rc;
	if (printf("%s\n", user_random) < 0 || fflush(stdout) == EOF) {
		explicit_bzero(user_random, sizeof(user_random));
		ctl_die_status(EXIT_REFUSED, "user passwd: the password was "
		    "set but could not be printed (%s): set another",
		    strerror(errno));
	}
	explicit_bzero(user_random, sizeof(user_random));
	return rc;
}
