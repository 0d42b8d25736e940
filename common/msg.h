/*
 * msg: the message types that travel between pgpmg's processes, and the
 * table (msgperm.c) of who may send which to whom.  Names follow
 * IMSG_<SENDER>_<VERB>; payload layouts are written beside each type.
 */
#ifndef PGPMG_MSG_H
#define PGPMG_MSG_H

#include <stdint.h>

#include "common/proc.h"

struct imsg;

enum imsg_type {
	IMSG_NONE = 0,

	/* parent -> child */
	IMSG_PARENT_CONF,	/* the config file's text, NUL-terminated */
	IMSG_PARENT_PEER_FD,	/* u32 peer proc, u32 peer instance; fd */
	IMSG_PARENT_LISTENER_FD,/* u32 listener kind (LISTENER_*); fd */
	IMSG_PARENT_SHUTDOWN,	/* empty: finish and exit 0 */

	/* child -> parent */
	IMSG_CHILD_LOG,		/* u32 priority, string (<= LOG_MAX_LINE) */
	IMSG_CHILD_READY,	/* u32 landlock abi, u32 chrooted, u32 netns */
	IMSG_CHILD_PEER_UP,	/* u32 peer proc, u32 peer instance */

	/* child <-> child */
	IMSG_PEER_HELLO,	/* u32 sender's instance */

	IMSG_TYPE_MAX,

	/*
	 * pgpmgctl <-> parent, on the control socket only (not a channel of
	 * the peer graph; control.c keeps its own list of accepted requests).
	 */
	IMSG_CTL_STATUS = 1000,	/* empty */
	IMSG_CTL_STATUS_ENTRY,	/* see control.c: ctl_status_entry() */
	IMSG_CTL_END,		/* empty: the reply is complete */
	IMSG_CTL_ERROR,		/* string */
};

enum listener_kind {
	LISTENER_SMTP = 1,
	LISTENER_WEB = 2,
};

const char *imsg_type_name(uint32_t);
/* True when 'receiver' accepts 'type' from 'sender'. */
int	 msg_allowed(enum proc_id receiver, enum proc_id sender, uint32_t type);
/* Check a received message against the table; fatalx() naming the type and
 * the peer when it is not allowed. */
void	 msg_check(enum proc_id self, enum proc_id from, const struct imsg *);

#endif /* PGPMG_MSG_H */
