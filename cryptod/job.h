/*
 * job: one message from smtpd, assembled from its recipients and its
 * sealed body, processed, and answered with one output message per
 * recipient group (and a refusal for a recipient that gets none).
 */
#ifndef PGPMG_CRYPTOD_JOB_H
#define PGPMG_CRYPTOD_JOB_H

#include "common/child.h"

void	job_peer_msg(struct child *, struct child_peer *, struct imsg *);
/* The first key store is in: run the jobs that waited for it. */
void	job_keystore_loaded(void);

#endif /* PGPMG_CRYPTOD_JOB_H */
