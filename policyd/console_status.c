/*
 * console_status: the dashboard's STATUS.  The processes come from the
 * parent, which alone knows them (procs.c: `pgpmgctl status`'s entries,
 * with a timeout, so that a missing answer fails the operation rather
 * than keep the page waiting); the database from policyd's own
 * connection, with the health statement (dbstatus.c).  Output:
 *
 *   proc NAME PID READY UPTIME USER SECCOMP NNP CAPEFF ROOT NETNS
 *        LANDLOCK UP EXPECTED       one per process, as pgpmgctl status
 *                                   has them: READY and NETNS 0 or 1,
 *                                   SECCOMP and NNP -1 when unknown (the
 *                                   process is not running)
 *   db STATE SECONDS TEXT           down, connecting or up; the seconds
 *                                   in that state; the server's version,
 *                                   or why it is not there
 *
 * (fields separated by tabs).
 */
#include <inttypes.h>
#include <stdio.h>

#include "common/msg.h"
#include "policyd/admin_internal.h"
#include "policyd/console_op.h"
#include "policyd/dbstatus.h"
#include "policyd/procs.h"

static const char *const db_states[] = {
	[DBSTAT_DOWN] = "down",
	[DBSTAT_CONNECTING] = "connecting",
	[DBSTAT_UP] = "up",
};

static void
db_answered(uint32_t state, uint32_t check, uint64_t seconds,
    const char *text, void *arg)
{
	struct admin_req	*q = arg;
	const char		*f[4];
	char			 secs[24];

	(void)check;
	snprintf(secs, sizeof(secs), "%" PRIu64, seconds);
	f[0] = "db";
	f[1] = state <= DBSTAT_UP ? db_states[state] : "unknown";
	f[2] = secs;
	f[3] = text;
	console_op_row(q, 4, f);
	console_op_finish(q, CONSOLE_E_OK, 0, "", -1);
}

static void
procs_answered(const struct procs_entry *e, size_t n, const char *error,
    void *arg)
{
	struct admin_req	*q = arg;
	const char		*f[14];
	char			 num[10][24];

	if (e == NULL) {
		console_op_fail(q, CONSOLE_E_UNAVAILABLE, "the processes' "
		    "status: %s", error);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(num[0], sizeof(num[0]), "%u", e[i].pid);
		snprintf(num[1], sizeof(num[1]), "%u", e[i].ready ? 1 : 0);
		snprintf(num[2], sizeof(num[2]), "%" PRIu64, e[i].uptime);
		snprintf(num[3], sizeof(num[3]), "%d", e[i].seccomp);
		snprintf(num[4], sizeof(num[4]), "%d", e[i].nnp);
		snprintf(num[5], sizeof(num[5]), "%u", e[i].netns ? 1 : 0);
		snprintf(num[6], sizeof(num[6]), "%u", e[i].landlock);
		snprintf(num[7], sizeof(num[7]), "%u", e[i].up);
		snprintf(num[8], sizeof(num[8]), "%u", e[i].expected);
		f[0] = "proc";
		f[1] = e[i].name;
		f[2] = num[0];
		f[3] = num[1];
		f[4] = num[2];
		f[5] = e[i].user;
		f[6] = num[3];
		f[7] = num[4];
		f[8] = e[i].capeff;
		f[9] = e[i].root;
		f[10] = num[5];
		f[11] = num[6];
		f[12] = num[7];
		f[13] = num[8];
		console_op_row(q, 14, f);
	}
	dbstatus_get(1, db_answered, q);
}

void
console_status(struct admin_req *q)
{
	procs_ask(procs_answered, q);
}
