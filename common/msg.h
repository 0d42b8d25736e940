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
	IMSG_PARENT_STOPPING,	/* empty: the appliance is stopping; a peer
				   that goes away now is no failure */

	/* child -> parent */
	IMSG_CHILD_LOG,		/* u32 priority, string (<= LOG_MAX_LINE) */
	IMSG_CHILD_READY,	/* u32 landlock abi, u32 chrooted, u32 netns */
	IMSG_CHILD_PEER_UP,	/* u32 peer proc, u32 peer instance */

	/* child <-> child */
	IMSG_PEER_HELLO,	/* u32 sender's instance */

	/*
	 * smtpd <-> cryptod: one job per message.  smtpd sends every
	 * recipient, then START with the sealed message; cryptod answers
	 * one GROUP per output message (the recipients it goes to, and the
	 * sealed result), then DONE.  Jobs are numbered by smtpd.
	 */
	IMSG_SMTPD_JOB_RCPT,	/* u64 job, string address */
	IMSG_SMTPD_JOB_START,	/* u64 job, string sender, u32 nrcpt,
				   u32 JOB_F_*; fd: the message */
	IMSG_CRYPTOD_JOB_GROUP,	/* u64 job, u32 n, n x u32 rcpt index;
				   fd: the output message */
	IMSG_CRYPTOD_JOB_DONE,	/* u64 job, u32 JOB_*, u32 reply code,
				   string enhanced code, string text */

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

#define JOB_F_SMTPUTF8	0x01	/* the envelope needs SMTPUTF8 */
#define JOB_F_8BIT	0x02	/* the message has 8-bit bytes */

/* Outcome of a job, in IMSG_CRYPTOD_JOB_DONE. */
enum job_outcome {
	JOB_OK = 0,		/* the groups are complete: relay them */
	JOB_TEMPFAIL,		/* answer 4xx with the given reply */
	JOB_PERMFAIL,		/* answer 5xx with the given reply */
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
