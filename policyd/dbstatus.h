/*
 * dbstatus: policyd's answers to the parent's questions about the
 * database connection (IMSG_PARENT_DB_STATUS), for pgpmgctl.
 */
#ifndef PGPMG_POLICYD_DBSTATUS_H
#define PGPMG_POLICYD_DBSTATUS_H

struct child;
struct imsg;

/* Fatal on a malformed request: the parent is never wrong about it. */
void	dbstatus_request(struct child *, struct imsg *);

#endif /* PGPMG_POLICYD_DBSTATUS_H */
