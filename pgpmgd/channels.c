/*
 * Wiring the peer graph.  A channel between two children is created when
 * the second of the two is ready (sandboxed and listening to us), so a
 * restarted cryptod worker gets fresh channels to its peers by the same
 * rule that wired it the first time.  Only pairs listed in channel_table
 * are ever connected.
 */
#include <sys/socket.h>

#include <unistd.h>

#include "common/log.h"
#include "common/msg.h"
#include "pgpmgd/pgpmgd.h"

static void
channel_send(struct proc_slot *to, const struct proc_slot *peer, int fd)
{
	uint32_t	 v[2] = { (uint32_t)peer->proc, (uint32_t)peer->instance };

	if (imsgev_compose(&to->iev, IMSG_PARENT_PEER_FD, 0, fd, v,
	    sizeof(v)) == -1)
		fatal("compose peer fd");
}

static void
channel_connect(struct proc_slot *a, struct proc_slot *b)
{
	int	 sp[2];

	if (!channel_allowed(a->proc, b->proc))
		fatalx("channel %s-%s is not in the peer graph",
		    proc_name(a->proc), proc_name(b->proc));
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0,
	    sp) == -1)
		fatal("socketpair");
	channel_send(a, b, sp[0]);
	channel_send(b, a, sp[1]);
	log_debug("channel %s#%d-%s#%d", proc_name(a->proc), a->instance,
	    proc_name(b->proc), b->instance);
}

void
channels_child_ready(struct proc_slot *s)
{
	for (size_t k = 0; k < pgpmgd->nslots; k++) {
		struct proc_slot *o = &pgpmgd->slots[k];
		if (channel_allowed(s->proc, o->proc) && o->ready && o->iev_live)
			channel_connect(s, o);
	}
}
