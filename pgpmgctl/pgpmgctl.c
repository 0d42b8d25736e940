/*
 * pgpmgctl: the administrator's command-line tool.  It finds pgpmgd's
 * control socket through the same configuration file pgpmgd reads (or -s),
 * sends one request and prints the reply.  The parent checks our
 * credentials; we only present them by connecting.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/msg.h"
#include "imsg/imsg.h"

struct ctl_cmd {
	const char	*name;
	int		 nargs;
	const char	*usage;
	int		(*run)(struct imsgbuf *, char **);
};

static int	cmd_status(struct imsgbuf *, char **);

static const struct ctl_cmd commands[] = {
	{ "status", 0, "status", cmd_status },
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: pgpmgctl [-f file] [-s socket] command\n"
	    "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(stderr, "\t%s\n", commands[i].usage);
	exit(1);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "pgpmgctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* Block until one whole message arrives. */
static void
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
cmd_status(struct imsgbuf *ibuf, char **argv)
{
	struct imsg		 imsg;
	struct imsg_reader	 r;
	const char		*name, *user, *capeff, *root;
	uint32_t		 pid, ready, seccomp, nnp, netns, landlock;
	uint32_t		 up, expected;
	uint64_t		 uptime;
	char			 ut[32], ll[16], sc[8], nn[8];

	(void)argv;
	if (imsg_compose(ibuf, IMSG_CTL_STATUS, 0, -1, NULL, 0) == -1 ||
	    imsgbuf_flush(ibuf) == -1)
		die("send: %s", strerror(errno));
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

int
main(int argc, char *argv[])
{
	struct pgpmg_conf	 conf;
	struct sockaddr_un	 sun;
	struct imsgbuf		 ibuf;
	const char		*conf_path = CONF_DEFAULT_PATH, *sock = NULL;
	char			 err[512];
	int			 ch, fd;

	while ((ch = getopt(argc, argv, "f:s:")) != -1) {
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

	memset(&conf, 0, sizeof(conf));
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

	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[0], commands[i].name) != 0)
			continue;
		if (argc - 1 != commands[i].nargs)
			usage();
		ch = commands[i].run(&ibuf, argv + 1);
		imsgbuf_clear(&ibuf);
		close(fd);
		conf_free(&conf);
		return ch;
	}
	usage();
}
