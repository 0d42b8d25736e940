/*
 * The process names and the peer graph.  This table is the only place that
 * says which channels exist; pgpmgd builds socketpairs from it, the children
 * refuse a peer fd the table does not list.
 */
#include <string.h>

#include "common/proc.h"

static const char *const proc_names[PROC_MAX] = {
	[PROC_PARENT]	= "parent",
	[PROC_SMTPD]	= "smtpd",
	[PROC_CRYPTOD]	= "cryptod",
	[PROC_KEYD]	= "keyd",
	[PROC_POLICYD]	= "policyd",
	[PROC_WEBD]	= "webd",
};

/* Each child runs as its own system user (scripts/ensure-users.sh). */
static const char *const proc_users[PROC_MAX] = {
	[PROC_PARENT]	= "root",
	[PROC_SMTPD]	= "_pgpmg_smtpd",
	[PROC_CRYPTOD]	= "_pgpmg_cryptod",
	[PROC_KEYD]	= "_pgpmg_keyd",
	[PROC_POLICYD]	= "_pgpmg_policyd",
	[PROC_WEBD]	= "_pgpmg_webd",
};

/* The parent's channel to every child is implicit (fd 3); these are the
 * channels between children. */
const struct channel_spec channel_table[] = {
	{ PROC_SMTPD,	PROC_CRYPTOD,	"jobs: envelope + message fd -> result fds" },
	{ PROC_SMTPD,	PROC_POLICYD,	"envelope checks, statistics" },
	{ PROC_CRYPTOD,	PROC_POLICYD,	"policy plan, public keys, results" },
	{ PROC_POLICYD,	PROC_KEYD,	"key management for admins and policy" },
	{ PROC_WEBD,	PROC_POLICYD,	"everything the console does" },
};
const size_t channel_table_len = sizeof(channel_table) / sizeof(channel_table[0]);

const char *
proc_name(enum proc_id id)
{
	if ((unsigned)id >= PROC_MAX)
		return "unknown";
	return proc_names[id];
}

const char *
proc_user(enum proc_id id)
{
	if ((unsigned)id >= PROC_MAX)
		return "nobody";
	return proc_users[id];
}

int
proc_from_name(const char *name, enum proc_id *out)
{
	for (int i = 0; i < PROC_MAX; i++) {
		if (strcmp(proc_names[i], name) == 0) {
			*out = (enum proc_id)i;
			return 0;
		}
	}
	return -1;
}

int
channel_allowed(enum proc_id a, enum proc_id b)
{
	if (a == PROC_PARENT || b == PROC_PARENT)
		return a != b;
	for (size_t i = 0; i < channel_table_len; i++) {
		if ((channel_table[i].a == a && channel_table[i].b == b) ||
		    (channel_table[i].a == b && channel_table[i].b == a))
			return 1;
	}
	return 0;
}
