/*
 * The message permission table: which process may send which message type
 * to which other.  A receiver calls msg_check() before it reads a byte of a
 * payload; a message the table does not list is a protocol violation and
 * the receiving child dies loudly (the parent notices and acts).
 */
#include "common/log.h"
#include "common/msg.h"
#include "imsg/imsg.h"

#define P(p)		(1u << (p))
#define CHILDREN	(P(PROC_SMTPD) | P(PROC_CRYPTOD) | P(PROC_KEYD) | \
			 P(PROC_POLICYD) | P(PROC_WEBD))

struct msg_perm {
	uint32_t	 type;
	const char	*name;
	uint32_t	 senders;	/* bit mask of proc ids */
	uint32_t	 receivers;
};

/*
 * IMSG_PARENT_CONF is absent on purpose: a child reads it exactly once,
 * before its sandbox, and refuses it ever after (see child.c).
 */
static const struct msg_perm msg_perms[] = {
	{ IMSG_PARENT_PEER_FD,	   "PARENT_PEER_FD",	 P(PROC_PARENT), CHILDREN },
	{ IMSG_PARENT_LISTENER_FD, "PARENT_LISTENER_FD", P(PROC_PARENT),
	    P(PROC_SMTPD) | P(PROC_WEBD) },
	{ IMSG_PARENT_SHUTDOWN,	   "PARENT_SHUTDOWN",	 P(PROC_PARENT), CHILDREN },
	{ IMSG_PARENT_STOPPING,	   "PARENT_STOPPING",	 P(PROC_PARENT), CHILDREN },
	{ IMSG_CHILD_LOG,	   "CHILD_LOG",		 CHILDREN, P(PROC_PARENT) },
	{ IMSG_CHILD_READY,	   "CHILD_READY",	 CHILDREN, P(PROC_PARENT) },
	{ IMSG_CHILD_PEER_UP,	   "CHILD_PEER_UP",	 CHILDREN, P(PROC_PARENT) },
	/* Between children, further limited to the channels of the graph. */
	{ IMSG_PEER_HELLO,	   "PEER_HELLO",	 CHILDREN, CHILDREN },
	{ IMSG_SMTPD_JOB_RCPT,	   "SMTPD_JOB_RCPT",	 P(PROC_SMTPD), P(PROC_CRYPTOD) },
	{ IMSG_SMTPD_JOB_START,	   "SMTPD_JOB_START",	 P(PROC_SMTPD), P(PROC_CRYPTOD) },
	{ IMSG_CRYPTOD_JOB_GROUP,  "CRYPTOD_JOB_GROUP", P(PROC_CRYPTOD), P(PROC_SMTPD) },
	{ IMSG_CRYPTOD_JOB_REFUSE, "CRYPTOD_JOB_REFUSE", P(PROC_CRYPTOD), P(PROC_SMTPD) },
	{ IMSG_CRYPTOD_JOB_DONE,   "CRYPTOD_JOB_DONE",	 P(PROC_CRYPTOD), P(PROC_SMTPD) },
	/* smtpd, which faces the network, never reaches keyd. */
	/* Only policyd reaches keyd, and records what changed. */
	{ IMSG_KEY_REQUEST,	   "KEY_REQUEST",	 P(PROC_POLICYD), P(PROC_KEYD) },
	{ IMSG_KEYD_KEY_REPLY,	   "KEYD_KEY_REPLY",	 P(PROC_KEYD), P(PROC_POLICYD) },
	{ IMSG_KEYD_KEYRING,	   "KEYD_KEYRING",	 P(PROC_KEYD), P(PROC_PARENT) },
	{ IMSG_PARENT_KEYRING,	   "PARENT_KEYRING",	 P(PROC_PARENT), P(PROC_CRYPTOD) },
	{ IMSG_CRYPTOD_PLAN_RCPT,  "CRYPTOD_PLAN_RCPT",	 P(PROC_CRYPTOD), P(PROC_POLICYD) },
	{ IMSG_CRYPTOD_PLAN_REQUEST, "CRYPTOD_PLAN_REQUEST", P(PROC_CRYPTOD),
	    P(PROC_POLICYD) },
	{ IMSG_POLICYD_PLAN_RCPT,  "POLICYD_PLAN_RCPT",	 P(PROC_POLICYD), P(PROC_CRYPTOD) },
	{ IMSG_POLICYD_PLAN_DONE,  "POLICYD_PLAN_DONE",	 P(PROC_POLICYD), P(PROC_CRYPTOD) },
	{ IMSG_CRYPTOD_RESULT,	   "CRYPTOD_RESULT",	 P(PROC_CRYPTOD), P(PROC_POLICYD) },
	{ IMSG_PARENT_DB_STATUS,   "PARENT_DB_STATUS",	 P(PROC_PARENT), P(PROC_POLICYD) },
	{ IMSG_POLICYD_DB_STATUS,  "POLICYD_DB_STATUS",	 P(PROC_POLICYD), P(PROC_PARENT) },
	{ IMSG_PARENT_ADMIN,	   "PARENT_ADMIN",	 P(PROC_PARENT), P(PROC_POLICYD) },
	{ IMSG_POLICYD_ADMIN_DATA, "POLICYD_ADMIN_DATA", P(PROC_POLICYD), P(PROC_PARENT) },
	{ IMSG_POLICYD_ADMIN_DONE, "POLICYD_ADMIN_DONE", P(PROC_POLICYD), P(PROC_PARENT) },
	{ IMSG_PARENT_KEY,	   "PARENT_KEY",	 P(PROC_PARENT), P(PROC_POLICYD) },
	{ IMSG_POLICYD_KEY_REPLY,  "POLICYD_KEY_REPLY",	 P(PROC_POLICYD), P(PROC_PARENT) },
	/* The console asks policyd alone; policyd decides and records. */
	{ IMSG_WEBD_LOGIN,	   "WEBD_LOGIN",	 P(PROC_WEBD), P(PROC_POLICYD) },
	{ IMSG_POLICYD_LOGIN,	   "POLICYD_LOGIN",	 P(PROC_POLICYD), P(PROC_WEBD) },
	{ IMSG_WEBD_SESSION,	   "WEBD_SESSION",	 P(PROC_WEBD), P(PROC_POLICYD) },
	{ IMSG_POLICYD_SESSION,	   "POLICYD_SESSION",	 P(PROC_POLICYD), P(PROC_WEBD) },
	{ IMSG_WEBD_LOGOUT,	   "WEBD_LOGOUT",	 P(PROC_WEBD), P(PROC_POLICYD) },
	{ IMSG_POLICYD_LOGOUT,	   "POLICYD_LOGOUT",	 P(PROC_POLICYD), P(PROC_WEBD) },
	{ IMSG_WEBD_REAUTH,	   "WEBD_REAUTH",	 P(PROC_WEBD), P(PROC_POLICYD) },
	{ IMSG_POLICYD_REAUTH,	   "POLICYD_REAUTH",	 P(PROC_POLICYD), P(PROC_WEBD) },
	{ IMSG_WEBD_OP,		   "WEBD_OP",		 P(PROC_WEBD), P(PROC_POLICYD) },
	{ IMSG_POLICYD_OP_DATA,	   "POLICYD_OP_DATA",	 P(PROC_POLICYD), P(PROC_WEBD) },
	{ IMSG_POLICYD_OP_DONE,	   "POLICYD_OP_DONE",	 P(PROC_POLICYD), P(PROC_WEBD) },
	/* The dashboard's processes: policyd asks the parent. */
	{ IMSG_POLICYD_PROCS,	   "POLICYD_PROCS",	 P(PROC_POLICYD), P(PROC_PARENT) },
	{ IMSG_PARENT_PROCS_ENTRY, "PARENT_PROCS_ENTRY", P(PROC_PARENT), P(PROC_POLICYD) },
	{ IMSG_PARENT_PROCS_END,   "PARENT_PROCS_END",	 P(PROC_PARENT), P(PROC_POLICYD) },
};

const char *
imsg_type_name(uint32_t type)
{
	if (type == IMSG_PARENT_CONF)
		return "PARENT_CONF";
	for (size_t i = 0; i < sizeof(msg_perms) / sizeof(msg_perms[0]); i++)
		if (msg_perms[i].type == type)
			return msg_perms[i].name;
	return "unknown";
}

int
msg_allowed(enum proc_id receiver, enum proc_id sender, uint32_t type)
{
	if ((unsigned)receiver >= PROC_MAX || (unsigned)sender >= PROC_MAX ||
	    !channel_allowed(receiver, sender))
		return 0;
	for (size_t i = 0; i < sizeof(msg_perms) / sizeof(msg_perms[0]); i++) {
		if (msg_perms[i].type != type)
			continue;
		return (msg_perms[i].senders & P(sender)) &&
		    (msg_perms[i].receivers & P(receiver));
	}
	return 0;
}

void
msg_check(enum proc_id self, enum proc_id from, const struct imsg *imsg)
{
	if (!msg_allowed(self, from, imsg->hdr.type))
		fatalx("%s may not send %s (type %u) to %s",
		    proc_name(from), imsg_type_name(imsg->hdr.type),
		    imsg->hdr.type, proc_name(self));
}
