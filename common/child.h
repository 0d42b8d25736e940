/*
 * child: what every pgpmg child does around its own work.
 *
 * child_boot() runs first, before the sandbox: it attaches logging to the
 * parent channel (fd 3) and reads the configuration the parent sends.
 * child_run() runs after sandbox_enter(): it builds the event loop, tells
 * the parent it is ready, and from then on accepts peer channels from the
 * parent, greets each peer, and hands the daemon the messages the
 * permission table allows.  A daemon's main() is: child_boot, its own
 * pre-jail set-up, sandbox_enter, child_run, fatalx.
 */
#ifndef PGPMG_CHILD_H
#define PGPMG_CHILD_H

#include "common/config.h"
#include "common/proc.h"
#include "common/sandbox.h"
#include "imsg/imsg_event.h"

struct child;
struct event;
struct sockaddr_storage;

struct child_peer {
	struct child	*child;
	enum proc_id	 proc;
	int		 instance;
	int		 used;		/* slot holds a channel */
	int		 up;		/* the peer greeted us */
	struct imsgev	 iev;
};

/* A daemon's hooks; any may be NULL. */
struct child_ops {
	/* A message from a peer child, already checked against the table. */
	void	(*peer_msg)(struct child *, struct child_peer *, struct imsg *);
	/* A message from the parent that child.c does not handle itself. */
	void	(*parent_msg)(struct child *, struct imsg *);
	/* A peer greeted us: messages to it may go now. */
	void	(*peer_up)(struct child *, struct child_peer *);
	/* A cryptod worker went away (only cryptod peers may go away). */
	void	(*peer_down)(struct child *, struct child_peer *);
	/* Called once the event base exists, before the loop starts. */
	void	(*started)(struct child *);
};

/* Room for every peer: all cryptod workers plus one of each other kind. */
#define CHILD_MAX_PEERS	(PROC_MAX_INSTANCES + PROC_MAX)

struct child {
	enum proc_id		 proc;
	int			 instance;
	struct pgpmg_conf	 conf;
	struct event_base	*base;
	struct imsgev		 parent;
	struct child_peer	 peers[CHILD_MAX_PEERS];
	struct sandbox_state	 sandbox;
	const struct child_ops	*ops;
	void			*data;		/* the daemon's own state */
	int			 stopping;	/* IMSG_PARENT_STOPPING seen */
};

void	child_boot(struct child *, enum proc_id, int argc, char *argv[]);
/* Before the sandbox (still root): room for want descriptors. */
void	child_raise_fd_limit(uint64_t want);
void	child_run(struct child *, const struct child_ops *);
struct child_peer *child_peer_find(struct child *, enum proc_id, int instance);
/*
 * IMSG_PARENT_LISTENER_FD (fatal when it is another message, or
 * malformed): the listening socket, and its kind in *kind.
 */
int	child_listener(struct imsg *, uint32_t *kind);
/* An event that calls cb with arg on every connection to the listening
 * socket fd; fatal when it cannot be made. */
struct event *child_listen(struct child *, int fd,
	    void (*cb)(int, short, void *), void *arg);
/* The address of an accepted connection's peer as text: IPv4 or IPv6
 * without a port, "local" for anything else. */
void	child_peer_text(const struct sockaddr_storage *, char *, size_t);
int	child_peer_compose(struct child_peer *, uint32_t type, int fd,
	    const void *, size_t);

#endif /* PGPMG_CHILD_H */
