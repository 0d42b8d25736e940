/*
 * The job as job.c (assembly, the queue, the plan from policyd) and
 * job_exec.c (carrying it out) share it.
 */
#ifndef PGPMG_CRYPTOD_JOB_INTERNAL_H
#define PGPMG_CRYPTOD_JOB_INTERNAL_H

#include <sys/queue.h>

#include <stdint.h>

#include "cryptod/cryptod.h"
#include "cryptod/job.h"
#include "cryptod/message.h"
#include "cryptod/plan.h"
#include "smtpd/envelope.h"

enum job_state {
	JOB_NEW = 0,		/* complete, waiting for its turn */
	JOB_PLANNING,		/* asked policyd, waiting for the plan */
	JOB_PLANNED,		/* the plan is in: ready to run */
};

struct job {
	TAILQ_ENTRY(job)	 entry;
	struct child_peer	*peer;	/* the smtpd channel it came from */
	uint64_t		 id;
	uint32_t		 flags;	/* JOB_F_* */
	int			 fd;
	char			 sender[SMTP_PATH_MAX + 1];
	char			(*rcpts)[SMTP_PATH_MAX + 1];
	uint32_t		 nrcpt;
	uint32_t		 cap;

	enum job_state		 state;
	int			 mapped;
	struct message		 m;
	struct plan		 pl;
	uint64_t		 plan_req;	/* our number for policyd */
	uint32_t		 nanswered;	/* POLICYD_PLAN_RCPTs so far */

	/* What happened, for policyd's statistics and audit trail. */
	uint32_t		 res_in, res_out;	/* RESULT_F_* */
	const char		*res_rcpt_in, *res_rcpt_out;
	char			 res_detail[512];
};

void	job_execute(struct job *);
void	reply_done(struct job *, uint32_t outcome, uint32_t code,
	    const char *enhanced, const char *text);

#endif /* PGPMG_CRYPTOD_JOB_INTERNAL_H */
