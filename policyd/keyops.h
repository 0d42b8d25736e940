/*
 * keyops: key requests for pgpmgctl (IMSG_PARENT_KEY) to keyd, each
 * change recorded with its audit row before the answer, and the record
 * kept in step with keyd's inventory.  See keyops.c.
 */
#ifndef PGPMG_POLICYD_KEYOPS_H
#define PGPMG_POLICYD_KEYOPS_H

#include "common/child.h"

void	keyops_init(struct child *);
void	keyops_request(struct child *, struct imsg *);
void	keyops_keyd_reply(struct child *, struct imsg *);
void	keyops_peer_up(struct child *, struct child_peer *);

#endif /* PGPMG_POLICYD_KEYOPS_H */
