/*
 * dbstatus: policyd's answers to the parent's questions about the
 * database connection (IMSG_PARENT_DB_STATUS), for pgpmgctl.
 */
#ifndef PGPMG_POLICYD_DBSTATUS_H
#define PGPMG_POLICYD_DBSTATUS_H

#include <stdint.h>

struct child;
struct imsg;

/* Fatal on a malformed request: the parent is never wrong about it. */
void	dbstatus_request(struct child *, struct imsg *);

/* The connection's state (DBSTAT_*), with the health statement's answer
 * when check (DBSTAT_CHECK_*; else NONE), the seconds in that state and a
 * text (< DBSTAT_TEXT_MAX: the server's version, or why not); cb is
 * called once, perhaps before this returns. */
typedef void	(*dbstatus_cb)(uint32_t state, uint32_t check,
		    uint64_t seconds, const char *text, void *arg);
void	dbstatus_get(int check, dbstatus_cb, void *arg);

#endif /* PGPMG_POLICYD_DBSTATUS_H */
