/*
 * A malformed message makes the receiving child log and exit, without
 * reading out of bounds.  The test plays pgpmgd for a real child binary
 * (build/smtpd): it starts it with a channel on fd 3, sends the
 * configuration, waits for READY, then sends one bad message, as the parent
 * or as a peer, and checks that the child logged a fatal line naming the
 * fault and exited with status 1.  Needs root, like the daemons.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/msg.h"
#include "common/proc.h"
#include "imsg/imsg.h"

/* The binary under test; PGPMG_BIN names another build directory. */
#define CHILD_DEFAULT_DIR	"build"
#define WAIT_MS		5000

struct fake_parent {
	char		 dir[64];
	char		 conf[2048];
	pid_t		 pid;
	int		 fd;
	struct imsgbuf	 ibuf;
	char		 log[16384];
	size_t		 loglen;
};

static void
fp_setup_dir(struct fake_parent *fp)
{
	char	 empty[128], sock[128];

	snprintf(fp->dir, sizeof(fp->dir), "/tmp/pgpmg-malformed.XXXXXX");
	cr_assert_not_null(mkdtemp(fp->dir));
	chmod(fp->dir, 0755);
	snprintf(empty, sizeof(empty), "%s/empty", fp->dir);
	snprintf(sock, sizeof(sock), "%s/pgsock", fp->dir);
	cr_assert_eq(mkdir(empty, 0755), 0);
	cr_assert_eq(mkdir(sock, 0755), 0);
	snprintf(fp->conf, sizeof(fp->conf),
	    "chroot %s\n"
	    "database \"host=%s dbname=pgpmg\"\n"
	    "control-socket %s/ctl.sock\n"
	    "cryptod-workers 2\n"
	    "smtp-tls no\n", empty, sock, fp->dir);
}

/* Read messages until one of 'type' arrives (1) or EOF/timeout (0); log
 * lines are collected on the way. */
static int
fp_wait_for(struct fake_parent *fp, uint32_t type)
{
	struct pollfd	 pfd = { .fd = fp->fd, .events = POLLIN };
	struct imsg	 imsg;
	ssize_t		 n;

	for (;;) {
		while ((n = imsg_get(&fp->ibuf, &imsg)) > 0) {
			uint32_t t = imsg.hdr.type;
			if (t == IMSG_CHILD_LOG && imsg.datalen > 4) {
				size_t len = imsg.datalen - 4;
				if (fp->loglen + len + 1 < sizeof(fp->log)) {
					memcpy(fp->log + fp->loglen,
					    (char *)imsg.data + 4, len);
					fp->loglen += len;
					fp->log[fp->loglen - 1] = '\n';
					fp->log[fp->loglen] = '\0';
				}
			}
			imsg_free(&imsg);
			if (t == type)
				return 1;
		}
		cr_assert_neq(n, -1, "child sent a malformed message");
		if (poll(&pfd, 1, WAIT_MS) <= 0)
			return 0;
		n = imsgbuf_read(&fp->ibuf);
		if (n == 0 || (n == -1 && errno != EAGAIN))
			return 0;
	}
}

static void
fp_start(struct fake_parent *fp)
{
	struct ibuf	*b;
	int		 sp[2];

	memset(fp, 0, sizeof(*fp));
	fp_setup_dir(fp);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	fp->pid = fork();
	cr_assert_neq(fp->pid, -1);
	if (fp->pid == 0) {
		char bin[PATH_MAX];
		const char *dir = getenv("PGPMG_BIN");
		snprintf(bin, sizeof(bin), "%s/smtpd",
		    dir ? dir : CHILD_DEFAULT_DIR);
		char *argv[] = { bin, "-i", "0", NULL };
		char *envp[] = { NULL };
		dup2(sp[1], PROC_PARENT_FD);
		close_range(PROC_PARENT_FD + 1, ~0U, 0);
		execve(bin, argv, envp);
		_exit(127);
	}
	close(sp[1]);
	fp->fd = sp[0];
	fcntl(fp->fd, F_SETFL, O_NONBLOCK);
	cr_assert_eq(imsgbuf_init(&fp->ibuf, fp->fd), 0);
	b = imsg_create(&fp->ibuf, IMSG_PARENT_CONF, 0, -1, 4096);
	cr_assert_not_null(b);
	cr_assert_eq(imsg_add_string(b, "test.conf"), 0);
	cr_assert_eq(imsg_add_string(b, fp->conf), 0);
	imsg_close(&fp->ibuf, b);
	cr_assert_eq(imsgbuf_flush(&fp->ibuf), 0);
	cr_assert(fp_wait_for(fp, IMSG_CHILD_READY), "child not ready; log:\n%s",
	    fp->log);
}

/* The child must log a fatal line containing 'what' and exit 1. */
static void
fp_expect_fatal(struct fake_parent *fp, const char *what)
{
	int	 status;

	(void)fp_wait_for(fp, IMSG_NONE);	/* drain until EOF */
	cr_assert_eq(waitpid(fp->pid, &status, 0), fp->pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1,
	    "child did not exit 1 (status 0x%x); log:\n%s", status, fp->log);
	cr_assert(strstr(fp->log, "fatal") != NULL &&
	    strstr(fp->log, what) != NULL,
	    "expected a fatal line with \"%s\"; log:\n%s", what, fp->log);
	imsgbuf_clear(&fp->ibuf);
	close(fp->fd);
	char path[128];
	snprintf(path, sizeof(path), "%s/empty", fp->dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/pgsock", fp->dir);
	rmdir(path);
	rmdir(fp->dir);
}

static void
fp_send_raw(int fd, const void *buf, size_t len)
{
	cr_assert_eq(write(fd, buf, len), (ssize_t)len);
}

static void
raw_header(struct imsg_hdr *h, uint32_t type, uint32_t len)
{
	memset(h, 0, sizeof(*h));
	h->type = type;
	h->len = len;
}

TestSuite(malformed, .timeout = 30);

Test(malformed, length_above_maximum)
{
	struct fake_parent	 fp;
	struct imsg_hdr		 h;

	fp_start(&fp);
	raw_header(&h, IMSG_PARENT_SHUTDOWN, IMSG_MAX_SIZE_DEFAULT + 1);
	fp_send_raw(fp.fd, &h, sizeof(h));
	fp_expect_fatal(&fp, "parent");
}

Test(malformed, length_below_header)
{
	struct fake_parent	 fp;
	struct imsg_hdr		 h;

	fp_start(&fp);
	raw_header(&h, IMSG_PARENT_SHUTDOWN, 3);
	fp_send_raw(fp.fd, &h, sizeof(h));
	fp_expect_fatal(&fp, "parent");
}

Test(malformed, type_the_parent_may_not_send)
{
	struct fake_parent	 fp;
	uint32_t		 pri = 6;

	fp_start(&fp);
	cr_assert_eq(imsg_compose(&fp.ibuf, IMSG_CHILD_LOG, 0, -1, &pri,
	    sizeof(pri)), 0);
	cr_assert_eq(imsgbuf_flush(&fp.ibuf), 0);
	fp_expect_fatal(&fp, "parent may not send CHILD_LOG");
}

Test(malformed, second_configuration)
{
	struct fake_parent	 fp;

	fp_start(&fp);
	cr_assert_eq(imsg_compose(&fp.ibuf, IMSG_PARENT_CONF, 0, -1, "x", 2), 0);
	cr_assert_eq(imsgbuf_flush(&fp.ibuf), 0);
	fp_expect_fatal(&fp, "may not send PARENT_CONF");
}

Test(malformed, bytes_left_over)
{
	struct fake_parent	 fp;
	uint32_t		 v[3] = { PROC_POLICYD, 0, 0 };
	int			 sp[2];

	fp_start(&fp);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	cr_assert_eq(imsg_compose(&fp.ibuf, IMSG_PARENT_PEER_FD, 0, sp[0], v,
	    sizeof(v)), 0);
	cr_assert_eq(imsgbuf_flush(&fp.ibuf), 0);
	fp_expect_fatal(&fp, "malformed PARENT_PEER_FD");
	close(sp[1]);
}

Test(malformed, short_payload)
{
	struct fake_parent	 fp;
	uint32_t		 v = PROC_POLICYD;
	int			 sp[2];

	fp_start(&fp);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	cr_assert_eq(imsg_compose(&fp.ibuf, IMSG_PARENT_PEER_FD, 0, sp[0], &v,
	    sizeof(v)), 0);
	cr_assert_eq(imsgbuf_flush(&fp.ibuf), 0);
	fp_expect_fatal(&fp, "malformed PARENT_PEER_FD");
	close(sp[1]);
}

Test(malformed, announced_fd_missing)
{
	struct fake_parent	 fp;
	struct {
		struct imsg_hdr	 h;
		uint32_t	 v[2];
	} m;

	fp_start(&fp);
	raw_header(&m.h, IMSG_PARENT_PEER_FD, sizeof(m));
	m.h.flags = IMSG_HDR_FLAG_FD;
	m.v[0] = PROC_POLICYD;
	m.v[1] = 0;
	fp_send_raw(fp.fd, &m, sizeof(m));
	fp_expect_fatal(&fp, "parent");
}

Test(malformed, peer_outside_the_graph)
{
	struct fake_parent	 fp;
	uint32_t		 v[2] = { PROC_KEYD, 0 };
	int			 sp[2];

	fp_start(&fp);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	cr_assert_eq(imsg_compose(&fp.ibuf, IMSG_PARENT_PEER_FD, 0, sp[0], v,
	    sizeof(v)), 0);
	cr_assert_eq(imsgbuf_flush(&fp.ibuf), 0);
	fp_expect_fatal(&fp, "no channel smtpd-keyd");
	close(sp[1]);
}

/* Give smtpd a channel to a "policyd" played by the test, greet it, then
 * misbehave on that channel. */
static int
fp_fake_policyd(struct fake_parent *fp, struct imsgbuf *peer)
{
	uint32_t	 v[2] = { PROC_POLICYD, 0 }, zero = 0;
	int		 sp[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	cr_assert_eq(imsg_compose(&fp->ibuf, IMSG_PARENT_PEER_FD, 0, sp[0], v,
	    sizeof(v)), 0);
	cr_assert_eq(imsgbuf_flush(&fp->ibuf), 0);
	cr_assert_eq(imsgbuf_init(peer, sp[1]), 0);
	cr_assert_eq(imsg_compose(peer, IMSG_PEER_HELLO, 0, -1, &zero,
	    sizeof(zero)), 0);
	cr_assert_eq(imsgbuf_flush(peer), 0);
	/* smtpd tells the parent the channel is up */
	cr_assert(fp_wait_for(fp, IMSG_CHILD_PEER_UP), "log:\n%s", fp->log);
	return sp[1];
}

Test(malformed, peer_type_not_allowed)
{
	struct fake_parent	 fp;
	struct imsgbuf		 peer;
	int			 fd;

	fp_start(&fp);
	fd = fp_fake_policyd(&fp, &peer);
	cr_assert_eq(imsg_compose(&peer, IMSG_PARENT_SHUTDOWN, 0, -1, NULL, 0), 0);
	cr_assert_eq(imsgbuf_flush(&peer), 0);
	fp_expect_fatal(&fp, "policyd may not send PARENT_SHUTDOWN");
	imsgbuf_clear(&peer);
	close(fd);
}

Test(malformed, peer_bytes_left_over)
{
	struct fake_parent	 fp;
	struct imsgbuf		 peer;
	uint32_t		 v[2] = { 0, 0 };
	int			 fd;

	fp_start(&fp);
	fd = fp_fake_policyd(&fp, &peer);
	/* a second greeting, and too long */
	cr_assert_eq(imsg_compose(&peer, IMSG_PEER_HELLO, 0, -1, v,
	    sizeof(v)), 0);
	cr_assert_eq(imsgbuf_flush(&peer), 0);
	fp_expect_fatal(&fp, "malformed PEER_HELLO from policyd");
	imsgbuf_clear(&peer);
	close(fd);
}

Test(malformed, peer_oversize_length)
{
	struct fake_parent	 fp;
	struct imsgbuf		 peer;
	struct imsg_hdr		 h;
	int			 fd;

	fp_start(&fp);
	fd = fp_fake_policyd(&fp, &peer);
	raw_header(&h, IMSG_PEER_HELLO, 0x7fffffff);
	fp_send_raw(fd, &h, sizeof(h));
	fp_expect_fatal(&fp, "policyd");
	imsgbuf_clear(&peer);
	close(fd);
}

Test(malformed, peer_eof_is_fatal_for_non_cryptod)
{
	struct fake_parent	 fp;
	struct imsgbuf		 peer;
	int			 fd;

	fp_start(&fp);
	fd = fp_fake_policyd(&fp, &peer);
	imsgbuf_clear(&peer);
	close(fd);
	fp_expect_fatal(&fp, "channel to policyd");
}
