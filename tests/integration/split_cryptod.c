/*
 * A stand-in cryptod for test_smtp_groups.sh: it speaks the real job
 * protocol through the real child frame, but answers every job with one
 * output message per recipient, so that smtpd has several recipient
 * groups to relay (as it will when some recipients get encrypted mail
 * and others plain).  A test program only: it is installed as "cryptod"
 * beside a copy of the real binaries and never sandboxed.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/child.h"
#include "common/log.h"
#include "common/msg.h"
#include "imsg/imsg.h"

static uint32_t	 nrcpt;

static void
split_msg(struct child *c, struct child_peer *p, struct imsg *imsg)
{
	struct imsg_reader	 r;
	struct ibuf		*b;
	const char		*str;
	uint64_t		 id;
	uint32_t		 n, flags;
	int			 fd;

	(void)c;
	imsg_reader_init(&r, imsg);
	if (imsg->hdr.type == IMSG_SMTPD_JOB_RCPT) {
		nrcpt++;
		return;
	}
	if (imsg->hdr.type != IMSG_SMTPD_JOB_START ||
	    imsg_read_u64(&r, &id) == -1 ||
	    imsg_read_string(&r, &str, 300) == -1 ||
	    imsg_read_u32(&r, &n) == -1 || imsg_read_u32(&r, &flags) == -1 ||
	    (fd = imsg_get_fd(imsg)) == -1 || n != nrcpt)
		fatalx("split: unexpected message");
	for (uint32_t i = 0; i < n; i++) {
		b = imsg_create(&p->iev.ibuf, IMSG_CRYPTOD_JOB_GROUP, 0,
		    dup(fd), 16);
		imsg_add_u64(b, id);
		imsg_add_u32(b, 0);	/* GROUP_F_* */
		imsg_add_u32(b, 1);
		imsg_add_u32(b, i);
		imsg_close(&p->iev.ibuf, b);
	}
	close(fd);
	b = imsg_create(&p->iev.ibuf, IMSG_CRYPTOD_JOB_DONE, 0, -1, 64);
	imsg_add_u64(b, id);
	imsg_add_u32(b, JOB_OK);
	imsg_add_u32(b, 250);
	imsg_add_string(b, "2.0.0");
	imsg_add_string(b, "split");
	imsg_close(&p->iev.ibuf, b);
	imsgev_update(&p->iev);
	nrcpt = 0;
}

/* The key store keyd publishes is of no use to a splitter. */
static void
split_parent_msg(struct child *c, struct imsg *imsg)
{
	int	 fd;

	(void)c;
	if (imsg->hdr.type != IMSG_PARENT_KEYRING)
		fatalx("split: unexpected message from the parent");
	if ((fd = imsg_get_fd(imsg)) != -1)
		close(fd);
}

static const struct child_ops split_ops = {
	.peer_msg = split_msg,
	.parent_msg = split_parent_msg,
};

int
main(int argc, char *argv[])
{
	struct child	 c;

	child_boot(&c, PROC_CRYPTOD, argc, argv);
	child_run(&c, &split_ops);
	return 1;
}
