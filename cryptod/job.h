/*
 * job: one message from smtpd, assembled from its recipients and its
 * sealed body, processed, and answered with one output message per
 * recipient group.
 */
#ifndef PGPMG_CRYPTOD_JOB_H
#define PGPMG_CRYPTOD_JOB_H

#include "common/child.h"

void	job_peer_msg(struct child *, struct child_peer *, struct imsg *);

#endif /* PGPMG_CRYPTOD_JOB_H */
