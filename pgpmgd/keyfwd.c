/*
 * The parent's part in key management.
 *
 * pgpmgctl's key commands (IMSG_CTL_KEY) go to policyd as IMSG_PARENT_KEY
 * under the parent's own request ids, with the client's uid (for the
 * audit trail); policyd asks keyd, records any change, and its
 * IMSG_POLICYD_KEY_REPLY is mapped back to the client that asked, if it
 * is still there (a client that went away, or whose slot a new client
 * took, gets nothing and breaks nothing: ctlfwd.c).  The parent itself
 * never asks keyd for anything.  A request waits at most
 * KEYFWD_TIMEOUT_SEC (policyd does one at a time, each bounded by its own
 * wait for keyd and the database).
 *
 * keyd publishes its keyring (IMSG_KEYD_KEYRING: the public keys, and the
 * list of keys it holds the secret of) after every change; the parent
 * keeps the latest of each kind and, once both of a generation are in,
 * hands them to every ready cryptod worker (IMSG_PARENT_KEYRING), and to
 * each worker again when it (re)starts.  Each worker gets a descriptor of
 * its own, opened read-only on the same sealed memfd (its own file
 * offset).  A keyring that is not a sealed memfd of sane size, or whose
 * generation does not grow, is a protocol violation by keyd.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/memfd.h"
#include "common/msg.h"
#include "imsg/imsg.h"
#include "pgpmgd/pgpmgd.h"

#define KEYFWD_TIMEOUT_SEC	180
/* A published keyring larger than this is keyd's bug. */
#define KEYFWD_RING_MAX		((uint64_t)256 << 20)

/* The latest keyring of each kind (KEYRING_PUBLIC, KEYRING_HELD). */
static int			 ring_fd[KEYRING_HELD + 1] = { -1, -1, -1 };
static uint32_t			 ring_gen[KEYRING_HELD + 1];

int
keyfwd_request(int client, uint64_t serial, uint32_t uid, uint32_t op,
    const char *arg, const char *pass, int fd, char *err, size_t errlen)
{
	struct proc_slot	*s;
	struct ctlfwd_req	*q;
	struct ibuf		*b;

	if ((q = ctlfwd_new(CTLFWD_KEY, client, serial, KEYFWD_TIMEOUT_SEC,
	    &s, err, errlen)) == NULL) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	/* imsg owns fd from here on, also when this fails. */
	if ((b = imsg_create(&s->iev.ibuf, IMSG_PARENT_KEY, 0, fd,
	    3 * sizeof(uint32_t) + strlen(arg) + strlen(pass) + 2)) == NULL ||
	    imsg_add_u32(b, q->id) == -1 || imsg_add_u32(b, uid) == -1 ||
	    imsg_add_u32(b, op) == -1 || imsg_add_string(b, arg) == -1 ||
	    imsg_add_string(b, pass) == -1)
		fatal("compose PARENT_KEY");
	imsg_close(&s->iev.ibuf, b);
	imsgev_update(&s->iev);
	return 0;
}

/* policyd's answer: to the client waiting for it, if any. */
int
keyfwd_reply(struct imsg *imsg)
{
	struct imsg_reader	 r;
	struct ctlfwd_req	*q;
	const char		*text;
	uint32_t		 id, code;
	int			 fd;

	imsg_reader_init(&r, imsg);
	if (imsg_read_u32(&r, &id) == -1 || imsg_read_u32(&r, &code) == -1 ||
	    imsg_read_string(&r, &text, KEYFWD_TEXT_MAX) == -1 ||
	    imsg_reader_end(&r) == -1 || code > KEY_E_MAX)
		return -1;
	fd = imsg_get_fd(imsg);
	if ((q = ctlfwd_find(CTLFWD_KEY, id)) == NULL) {
		if (fd != -1)
			close(fd);
		return 0;
	}
	control_key_reply(q->client, q->serial, code, text, fd);
	ctlfwd_free(q);
	return 0;
}

/* A descriptor of the worker's own, read-only, on the same memfd. */
static int
ring_reopen(int fd)
{
	char	 path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, O_RDONLY | O_CLOEXEC);
}

static void
ring_send(struct proc_slot *s)
{
	uint32_t	 v[2];
	int		 fd;

	if (ring_fd[KEYRING_PUBLIC] == -1 || ring_fd[KEYRING_HELD] == -1 ||
	    ring_gen[KEYRING_PUBLIC] != ring_gen[KEYRING_HELD] ||
	    s->pid == 0 || !s->ready || !s->iev_live)
		return;
	for (uint32_t kind = KEYRING_PUBLIC; kind <= KEYRING_HELD; kind++) {
		if ((fd = ring_reopen(ring_fd[kind])) == -1)
			fatal("keyring: reopen");
		v[0] = ring_gen[kind];
		v[1] = kind;
		if (imsgev_compose(&s->iev, IMSG_PARENT_KEYRING, 0, fd, v,
		    sizeof(v)) == -1)
			fatal("compose PARENT_KEYRING");
	}
}

int
keyfwd_keyring(struct imsg *imsg)
{
	struct imsg_reader	 r;
	uint32_t		 gen, kind;
	uint64_t		 size;
	int			 fd;

	imsg_reader_init(&r, imsg);
	if (imsg_read_u32(&r, &gen) == -1 || imsg_read_u32(&r, &kind) == -1 ||
	    imsg_reader_end(&r) == -1 ||
	    (kind != KEYRING_PUBLIC && kind != KEYRING_HELD) ||
	    gen <= ring_gen[kind] || (fd = imsg_get_fd(imsg)) == -1)
		return -1;
	if (memfd_check_sealed(fd, &size) == -1 || size > KEYFWD_RING_MAX) {
		close(fd);
		return -1;
	}
	if (ring_fd[kind] != -1)
		close(ring_fd[kind]);
	ring_fd[kind] = fd;
	ring_gen[kind] = gen;
	if (ring_gen[KEYRING_PUBLIC] != ring_gen[KEYRING_HELD])
		return 0;
	log_debug("keyring generation %u to the cryptod workers", gen);
	for (size_t i = 0; i < pgpmgd->nslots; i++)
		if (pgpmgd->slots[i].proc == PROC_CRYPTOD)
			ring_send(&pgpmgd->slots[i]);
	return 0;
}

void
keyfwd_worker_ready(struct proc_slot *s)
{
	ring_send(s);
}
