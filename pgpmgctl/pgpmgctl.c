/*
 * pgpmgctl: the administrator's command-line tool.  It finds pgpmgd's
 * control socket through the same configuration file pgpmgd reads (or -s),
 * sends one request and prints the reply.  The parent checks our
 * credentials; we only present them by connecting.
 *
 * Key commands go through pgpmgd to keyd.  Input (a key file, or stdin)
 * is copied into a sealed memfd and passed by fd; a key pair's passphrase
 * comes from a file, never from the command line.  Output arrives as
 * sealed memfds and goes to stdout.  Everything that can be checked here
 * (arguments, files) is checked before we connect.
 *
 * The database commands (db migrate, audit verify) do not go through
 * pgpmgd: they connect to PostgreSQL as database-admin (db.c, audit.c).
 *
 * Exit status (pgpmgctl.h): 0 done; 1 usage or local error (arguments, a
 * file, the connection); 2 pgpmgd, keyd or the database refused or failed
 * the request; 3 no such key; 4 the key exists already; 5 wrong or missing
 * passphrase; 6 the audit chain is broken.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/memfd.h"
#include "common/msg.h"
#include "imsg/imsg.h"
#include "pgpmgctl/pgpmgctl.h"

/* What keyd accepts (keyd/keyd.h): key data, an argument. */
#define KEY_DATA_MAX	((size_t)1 << 20)
#define KEY_ARG_MAX	320

struct ctl_cmd {
	const char	*name;
	const char	*sub;		/* NULL: no subcommand */
	int		 minargs;
	int		 maxargs;
	const char	*usage;
	/* Checks the arguments and fills the request: before connecting. */
	void		(*prepare)(struct ctl_req *, int, char **);
	int		(*run)(struct imsgbuf *, struct ctl_req *);
	/* Or, without pgpmgd: the database commands. */
	int		(*local)(const struct pgpmg_conf *, int, char **);
};

static int	cmd_status(struct imsgbuf *, struct ctl_req *);
static void	prep_key_generate(struct ctl_req *, int, char **);
static void	prep_key_import(struct ctl_req *, int, char **);
static void	prep_key_export(struct ctl_req *, int, char **);
static void	prep_key_list(struct ctl_req *, int, char **);
static void	prep_key_revoke(struct ctl_req *, int, char **);
static void	prep_key_delete(struct ctl_req *, int, char **);
static int	cmd_key(struct imsgbuf *, struct ctl_req *);

static const struct ctl_cmd commands[] = {
	{ "status", NULL, 0, 0, "status", NULL, cmd_status, NULL },
	{ "key", "generate", 1, 1, "key generate ADDRESS",
	    prep_key_generate, cmd_key, NULL },
	{ "key", "import", 1, 3,
	    "key import [--passphrase-file FILE] FILE|-",
	    prep_key_import, cmd_key, NULL },
	{ "key", "export", 1, 1, "key export ADDRESS|FINGERPRINT",
	    prep_key_export, cmd_key, NULL },
	{ "key", "list", 0, 0, "key list", prep_key_list, cmd_key, NULL },
	{ "key", "revoke", 1, 1, "key revoke ADDRESS|FINGERPRINT",
	    prep_key_revoke, cmd_key, NULL },
	{ "key", "delete", 1, 1, "key delete FINGERPRINT",
	    prep_key_delete, cmd_key, NULL },
	{ "policy", "show", 0, 0, "policy show", prep_policy_show,
	    cmd_admin, NULL },
	{ "policy", "set", 2, 2, "policy set KEY VALUE", prep_policy_set,
	    cmd_admin, NULL },
	{ "rule", "add", 3, 4, "rule add domain|address PATTERN ACTION "
	    "[PRIORITY]", prep_rule_add, cmd_admin, NULL },
	{ "rule", "del", 1, 1, "rule del ID", prep_rule_del, cmd_admin, NULL },
	{ "rule", "list", 0, 0, "rule list", prep_rule_list, cmd_admin, NULL },
	{ "domain", "add", 1, 1, "domain add NAME", prep_domain_add,
	    cmd_admin, NULL },
	{ "domain", "del", 1, 1, "domain del NAME", prep_domain_del,
	    cmd_admin, NULL },
	{ "domain", "list", 0, 0, "domain list", prep_domain_list, cmd_admin,
	    NULL },
	{ "user", "add", 1, 5, "user add ADDRESS [--name NAME] "
	    "[--role admin|user|none | --admin]", prep_user_add, cmd_user_add,
	    NULL },
	{ "user", "list", 0, 0, "user list", prep_user_list, cmd_admin, NULL },
	{ "user", "set", 3, 3, "user set ADDRESS name|role|portal VALUE",
	    prep_user_set, cmd_admin, NULL },
	{ "user", "passwd", 1, 2, "user passwd ADDRESS [--random]",
	    prep_user_passwd, cmd_user_passwd, NULL },
	{ "user", "del", 1, 1, "user del ADDRESS", prep_user_del, cmd_admin,
	    NULL },
	{ "db", "migrate", 0, 4, "db migrate [-D dir] [-c conninfo]",
	    NULL, NULL, ctl_db_migrate },
	{ "audit", "verify", 0, 4, "audit verify [-a id:hash] [-c conninfo]",
	    NULL, NULL, ctl_audit_verify },
};
#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: pgpmgctl [-f file] [-s socket] command\n"
	    "commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(stderr, "\t%s\n", commands[i].usage);
	fprintf(stderr, "policy set: mode off|possible|all|keyword, keyword "
	    "TEXT, missing-key plain|bounce|hold,\n\tsign|decrypt|"
	    "protected-headers yes|no\n"
	    "rule ACTION: off|possible|all|keyword (plain = off, encrypt = "
	    "all), all and\n\tkeyword with +plain, +bounce or +hold for "
	    "the rule's own missing-key action\n"
	    "user set: name TEXT, role admin|user|none, portal yes|no\n"
	    "user passwd: the password is one line on stdin; --random makes "
	    "one of 20\n\tcharacters and prints it (stdout) once it is "
	    "set\n");
	fprintf(stderr, "exit status: 0 done, 1 usage or local error, "
	    "2 refused or failed,\n\t3 no such key, rule, domain or user, "
	    "4 it exists already,\n\t5 wrong or missing passphrase, 6 audit "
	    "chain broken\n");
	exit(EXIT_USAGE);
}

void
ctl_die_status(int status, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "pgpmgctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

#define die(...)	ctl_die_status(EXIT_USAGE, __VA_ARGS__)

/* Send what is queued; a connection pgpmgd refused may break here. */
void
ctl_send(struct imsgbuf *ibuf)
{
	if (imsgbuf_flush(ibuf) == -1) {
		if (errno == EPIPE || errno == ECONNRESET)
			die("pgpmgd closed the connection (are you root or "
			    "in group _pgpmg?)");
		die("send: %s", strerror(errno));
	}
}

/* Block until one whole message arrives. */
void
ctl_read(struct imsgbuf *ibuf, struct imsg *imsg)
{
	ssize_t	 n;

	for (;;) {
		if ((n = imsg_get(ibuf, imsg)) == -1)
			die("malformed reply: %s", strerror(errno));
		if (n > 0)
			return;
		if ((n = imsgbuf_read(ibuf)) == -1) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			/* A refused client is closed with our request unread,
			 * which the kernel turns into a reset. */
			if (errno != ECONNRESET)
				die("read: %s", strerror(errno));
			n = 0;
		}
		if (n == 0)
			die("pgpmgd closed the connection (are you root or "
			    "in group _pgpmg?)");
	}
}

static void
ctl_error_reply(struct imsg *imsg)
{
	struct imsg_reader	 r;
	const char		*msg;

	imsg_reader_init(&r, imsg);
	if (imsg_read_string(&r, &msg, 1024) == -1 || imsg_reader_end(&r) == -1)
		die("malformed error reply");
	die("%s", msg);
}

void
ctl_usage(const char *which)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strncmp(commands[i].usage, which, strlen(which)) == 0)
			fprintf(stderr, "usage: pgpmgctl [-f file] [-s socket] "
			    "%s\n", commands[i].usage);
	exit(EXIT_USAGE);
}

/* ---------------------------------------------------------------- keys */

static void
prep_arg(struct ctl_req *req, uint32_t op, const char *arg)
{
	if (strlen(arg) == 0 || strlen(arg) > KEY_ARG_MAX)
		die("\"%s\": an address or a fingerprint expected", arg);
	req->op = op;
	req->arg = arg;
}

static void
prep_key_generate(struct ctl_req *req, int argc, char **argv)
{
	(void)argc;
	if (strchr(argv[0], '@') == NULL)
		die("key generate: \"%s\" is not an address", argv[0]);
	prep_arg(req, KEY_OP_GENERATE, argv[0]);
}

static void
prep_key_export(struct ctl_req *req, int argc, char **argv)
{
	(void)argc;
	prep_arg(req, KEY_OP_EXPORT, argv[0]);
}

static void
prep_key_revoke(struct ctl_req *req, int argc, char **argv)
{
	(void)argc;
	prep_arg(req, KEY_OP_REVOKE, argv[0]);
}

static void
prep_key_delete(struct ctl_req *req, int argc, char **argv)
{
	size_t	 len = strlen(argv[0]);

	(void)argc;
	if ((len != 40 && len != 64) || strspn(argv[0],
	    "0123456789abcdefABCDEF") != len)
		die("key delete: \"%s\" is not a fingerprint (40 or 64 hex "
		    "digits)", argv[0]);
	prep_arg(req, KEY_OP_DELETE, argv[0]);
}

static void
prep_key_list(struct ctl_req *req, int argc, char **argv)
{
	(void)argc; (void)argv;
	req->op = KEY_OP_LIST;
}

/* The first line of a file, without its line end. */
static void
read_passphrase(const char *path, char *buf, size_t len)
{
	size_t	 n = 0;
	ssize_t	 r;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		die("%s: %s", path, strerror(errno));
	while (n < len - 1) {
		if ((r = read(fd, buf + n, len - 1 - n)) == -1) {
			if (errno == EINTR)
				continue;
			die("%s: %s", path, strerror(errno));
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0] == '\0')
		die("%s: no passphrase on its first line", path);
	if (strlen(buf) > KEY_PASS_MAX)
		die("%s: the passphrase is longer than %d bytes", path,
		    KEY_PASS_MAX);
}

/* FILE, or stdin for "-", into a sealed memfd. */
static int
read_key_data(const char *path)
{
	struct spool	 sp;
	char		 buf[16384];
	size_t		 total = 0;
	ssize_t		 n;
	int		 fd;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		die("%s: %s", path, strerror(errno));
	if (spool_open(&sp, "pgpmgctl-key") == -1)
		die("memfd: %s", strerror(errno));
	for (;;) {
		if ((n = read(fd, buf, sizeof(buf))) == -1) {
			if (errno == EINTR)
				continue;
			die("%s: %s", path, strerror(errno));
		}
		if (n == 0)
			break;
		if ((total += (size_t)n) > KEY_DATA_MAX)
			die("%s: larger than %zu bytes: not key data", path,
			    KEY_DATA_MAX);
		if (spool_write(&sp, buf, (size_t)n) == -1)
			die("memfd: %s", strerror(errno));
	}
	if (fd != STDIN_FILENO)
		close(fd);
	if (total == 0)
		die("%s: empty", path);
	if (spool_seal(&sp) == -1)
		die("memfd: %s", strerror(errno));
	return sp.fd;
}

static void
prep_key_import(struct ctl_req *req, int argc, char **argv)
{
	const char	*file;

	if (argc == 3 && strcmp(argv[0], "--passphrase-file") == 0) {
		read_passphrase(argv[1], req->pass, sizeof(req->pass));
		file = argv[2];
	} else if (argc == 1 && (argv[0][0] != '-' || strcmp(argv[0], "-") ==
	    0))
		file = argv[0];
	else
		ctl_usage("key import");
	req->op = KEY_OP_IMPORT;
	req->arg = "";
	req->fd = read_key_data(file);
}

/* An output memfd to out, from its start (its writer's file offset
 * travelled with it). */
void
ctl_print_fd(int fd, int out)
{
	char	 buf[16384];
	ssize_t	 n;
	size_t	 off;
	off_t	 pos = 0;

	while ((n = pread(fd, buf, sizeof(buf), pos)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			die("reading the reply: %s", strerror(errno));
		}
		pos += n;
		for (off = 0; off < (size_t)n; ) {
			ssize_t w = write(out, buf + off, (size_t)n - off);
			if (w == -1) {
				if (errno == EINTR)
					continue;
				die("%s: %s", out == STDOUT_FILENO ? "stdout" :
				    "stderr", strerror(errno));
			}
			off += (size_t)w;
		}
	}
	close(fd);
}

static int
key_exit_status(uint32_t code)
{
	switch (code) {
	case KEY_E_NOTFOUND:	return EXIT_NOTFOUND;
	case KEY_E_EXISTS:	return EXIT_EXISTS;
	case KEY_E_PASSPHRASE:	return EXIT_PASSPHRASE;
	}
	return EXIT_REFUSED;
}

static int
cmd_key(struct imsgbuf *ibuf, struct ctl_req *req)
{
	static const char *const names[] = { "", "generate", "import",
	    "export", "list", "revoke", "delete" };
	struct imsg		 imsg;
	struct imsg_reader	 r;
	struct ibuf		*b;
	const char		*msg, *name = names[req->op];
	uint64_t		 size;
	int			 fd;

	if ((b = imsg_create(ibuf, IMSG_CTL_KEY, 0, req->fd,
	    sizeof(uint32_t) + strlen(req->arg) + strlen(req->pass) + 2)) ==
	    NULL || imsg_add_u32(b, req->op) == -1 ||
	    imsg_add_string(b, req->arg) == -1 ||
	    imsg_add_string(b, req->pass) == -1)
		die("key %s: %s", name, strerror(errno));
	req->fd = -1;		/* imsg's now */
	imsg_close(ibuf, b);
	explicit_bzero(req->pass, sizeof(req->pass));
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
				die("key %s: malformed reply", name);
			ctl_print_fd(fd, STDOUT_FILENO);
			break;
		case IMSG_CTL_ERROR:
			imsg_reader_init(&r, &imsg);
			if (imsg_read_string(&r, &msg, CTL_TEXT_MAX) == -1 ||
			    imsg_reader_end(&r) == -1)
				die("key %s: malformed error reply", name);
			ctl_die_status(key_exit_status(imsg.hdr.peerid),
			    "key %s: %s", name, msg);
		default:
			die("key %s: unexpected reply type %u", name,
			    imsg.hdr.type);
		}
		imsg_free(&imsg);
	}
}

/* ---------------------------------------------------------------- status */

static void
fmt_uptime(uint64_t s, char *buf, size_t len)
{
	if (s >= 86400)
		snprintf(buf, len, "%llud%02lluh", (unsigned long long)s / 86400,
		    (unsigned long long)(s % 86400) / 3600);
	else
		snprintf(buf, len, "%02llu:%02llu:%02llu",
		    (unsigned long long)s / 3600,
		    (unsigned long long)(s % 3600) / 60,
		    (unsigned long long)s % 60);
}

static int
cmd_status(struct imsgbuf *ibuf, struct ctl_req *req)
{
	struct imsg		 imsg;
	struct imsg_reader	 r;
	const char		*name, *user, *capeff, *root;
	uint32_t		 pid, ready, seccomp, nnp, netns, landlock;
	uint32_t		 up, expected;
	uint64_t		 uptime;
	char			 ut[32], ll[16], sc[8], nn[8];

	(void)req;
	if (imsg_compose(ibuf, IMSG_CTL_STATUS, 0, -1, NULL, 0) == -1)
		die("send: %s", strerror(errno));
	ctl_send(ibuf);
	printf("%-11s %7s %-16s %9s %-5s %7s %3s %-16s %-5s %-8s %s\n",
	    "PROCESS", "PID", "USER", "UPTIME", "STATE", "SECCOMP", "NNP",
	    "CAPEFF", "NETNS", "LANDLOCK", "ROOT / PEERS");
	for (;;) {
		ctl_read(ibuf, &imsg);
		if (imsg.hdr.type == IMSG_CTL_END)
			break;
		if (imsg.hdr.type == IMSG_CTL_ERROR)
			ctl_error_reply(&imsg);
		if (imsg.hdr.type != IMSG_CTL_STATUS_ENTRY)
			die("unexpected reply type %u", imsg.hdr.type);
		imsg_reader_init(&r, &imsg);
		if (imsg_read_string(&r, &name, 64) == -1 ||
		    imsg_read_u32(&r, &pid) == -1 ||
		    imsg_read_u32(&r, &ready) == -1 ||
		    imsg_read_u64(&r, &uptime) == -1 ||
		    imsg_read_string(&r, &user, 64) == -1 ||
		    imsg_read_u32(&r, &seccomp) == -1 ||
		    imsg_read_u32(&r, &nnp) == -1 ||
		    imsg_read_string(&r, &capeff, 32) == -1 ||
		    imsg_read_string(&r, &root, 256) == -1 ||
		    imsg_read_u32(&r, &netns) == -1 ||
		    imsg_read_u32(&r, &landlock) == -1 ||
		    imsg_read_u32(&r, &up) == -1 ||
		    imsg_read_u32(&r, &expected) == -1 ||
		    imsg_reader_end(&r) == -1)
			die("malformed status entry");
		fmt_uptime(uptime, ut, sizeof(ut));
		snprintf(sc, sizeof(sc), "%d", (int)seccomp);
		snprintf(nn, sizeof(nn), "%d", (int)nnp);
		if (landlock)
			snprintf(ll, sizeof(ll), "abi %u", landlock);
		else
			snprintf(ll, sizeof(ll), "-");
		printf("%-11s %7u %-16s %9s %-5s %7s %3s %-16s %-5s %-8s "
		    "%s peers %u/%u\n", name, pid, pid ? user : "-",
		    pid ? ut : "-", !pid ? "down" : ready ? "ready" : "start",
		    pid ? sc : "-", pid ? nn : "-", pid ? capeff : "-",
		    netns ? "empty" : "host", ll, pid ? root : "-", up,
		    expected);
		imsg_free(&imsg);
	}
	imsg_free(&imsg);
	return 0;
}

/* The command argv names, with its arguments counted; usage() if none. */
static const struct ctl_cmd *
find_command(int argc, char **argv, int *nargs)
{
	int	 known = 0;

	for (size_t i = 0; i < NCOMMANDS; i++) {
		const struct ctl_cmd *c = &commands[i];
		int skip = c->sub != NULL ? 2 : 1;

		if (strcmp(argv[0], c->name) != 0)
			continue;
		known = 1;
		if (c->sub != NULL && (argc < 2 || strcmp(argv[1], c->sub) != 0))
			continue;
		*nargs = argc - skip;
		if (*nargs < c->minargs || *nargs > c->maxargs)
			ctl_usage(c->usage);
		return c;
	}
	if (known && argc >= 2)
		fprintf(stderr, "pgpmgctl: unknown %s command \"%s\"\n",
		    argv[0], argv[1]);
	else if (known)
		fprintf(stderr, "pgpmgctl: %s: which one?\n", argv[0]);
	else
		fprintf(stderr, "pgpmgctl: unknown command \"%s\"\n", argv[0]);
	usage();
}

int
main(int argc, char *argv[])
{
	static struct ctl_req	 req;
	const struct ctl_cmd	*cmd;
	struct pgpmg_conf	 conf;
	struct sockaddr_un	 sun;
	struct imsgbuf		 ibuf;
	const char		*conf_path = CONF_DEFAULT_PATH, *sock = NULL;
	char			 err[512];
	int			 ch, fd, nargs;

	while ((ch = getopt(argc, argv, "+f:s:")) != -1) {
		switch (ch) {
		case 'f':
			conf_path = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();

	cmd = find_command(argc, argv, &nargs);
	req.fd = -1;
	req.arg = "";
	req.out = STDOUT_FILENO;
	if (cmd->prepare != NULL)
		cmd->prepare(&req, nargs, argv + (argc - nargs));

	memset(&conf, 0, sizeof(conf));
	if (cmd->local != NULL) {
		if (conf_parse_file(conf_path, &conf, err, sizeof(err)) == -1)
			die("%s", err);
		ch = cmd->local(&conf, nargs, argv + (argc - nargs));
		conf_free(&conf);
		return ch;
	}
	if (sock == NULL) {
		if (conf_parse_file(conf_path, &conf, err, sizeof(err)) == -1)
			die("%s", err);
		sock = conf.control_socket;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock) >=
	    (int)sizeof(sun.sun_path))
		die("socket path too long: %s", sock);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		die("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		die("%s: %s (is pgpmgd running?)", sock, strerror(errno));
	if (imsgbuf_init(&ibuf, fd) == -1)
		die("out of memory");

	ch = cmd->run(&ibuf, &req);
	imsgbuf_clear(&ibuf);
	close(fd);
	conf_free(&conf);
	return ch;
}
