/*
 * status: every process's state as the parent sees it (its pid, whether
 * it is ready, how long it has run, its peers) with its sandbox as the
 * kernel reports it (procstat.c), one entry per slot.  Two readers get
 * the same entries: pgpmgctl status on the control socket
 * (IMSG_CTL_STATUS_ENTRY, control.c) and the console's dashboard through
 * policyd (IMSG_PARENT_PROCS_ENTRY, after the request's id).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/msg.h"
#include "imsg/imsg.h"
#include "pgpmgd/pgpmgd.h"

/* One entry: the strings are bounded by procstat's fields. */
#define STATUS_ENTRY_HINT	512

static void
status_entry(struct imsgbuf *ibuf, uint32_t type, const uint32_t *request,
    const struct proc_slot *s, const struct timespec *now)
{
	struct procstat	 ps;
	struct ibuf	*b;
	char		 name[32];

	if (s->proc == PROC_CRYPTOD)
		snprintf(name, sizeof(name), "cryptod#%d", s->instance);
	else
		snprintf(name, sizeof(name), "%s", proc_name(s->proc));
	if (s->pid == 0 || procstat_read(s->pid, &ps) == -1) {
		memset(&ps, 0, sizeof(ps));
		ps.seccomp = ps.nonewprivs = -1;
	}
	if ((b = imsg_create(ibuf, type, 0, -1, STATUS_ENTRY_HINT)) == NULL ||
	    (request != NULL && imsg_add_u32(b, *request) == -1) ||
	    imsg_add_string(b, name) == -1 ||
	    imsg_add_u32(b, (uint32_t)s->pid) == -1 ||
	    imsg_add_u32(b, (uint32_t)s->ready) == -1 ||
	    imsg_add_u64(b, s->pid ? (uint64_t)(now->tv_sec -
	    s->started.tv_sec) : 0) == -1 ||
	    imsg_add_string(b, ps.user) == -1 ||
	    imsg_add_u32(b, (uint32_t)ps.seccomp) == -1 ||
	    imsg_add_u32(b, (uint32_t)ps.nonewprivs) == -1 ||
	    imsg_add_string(b, ps.capeff) == -1 ||
	    imsg_add_string(b, ps.root) == -1 ||
	    imsg_add_u32(b, (uint32_t)ps.netns_own) == -1 ||
	    imsg_add_u32(b, (uint32_t)s->sandbox.landlock_abi) == -1 ||
	    imsg_add_u32(b, children_peers_up(s)) == -1 ||
	    imsg_add_u32(b, children_expected_peers(s)) == -1)
		fatal("compose %s", imsg_type_name(type));
	imsg_close(ibuf, b);
}

void
status_send(struct imsgbuf *ibuf, uint32_t type, const uint32_t *request)
{
	struct timespec	 now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	for (size_t i = 0; i < pgpmgd->nslots; i++)
		status_entry(ibuf, type, request, &pgpmgd->slots[i], &now);
}

int
status_procs(struct proc_slot *policyd, struct imsg *imsg)
{
	struct imsg_reader	 r;
	uint32_t		 request;

	imsg_reader_init(&r, imsg);
	if (imsg_read_u32(&r, &request) == -1 || imsg_reader_end(&r) == -1)
		return -1;
	status_send(&policyd->iev.ibuf, IMSG_PARENT_PROCS_ENTRY, &request);
	if (imsgev_compose(&policyd->iev, IMSG_PARENT_PROCS_END, 0, -1,
	    &request, sizeof(request)) == -1)
		fatal("compose PARENT_PROCS_END");
	return 0;
}
