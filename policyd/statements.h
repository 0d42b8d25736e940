/*
 * statements: every SQL statement policyd runs, prepared at each
 * connection (policyd/db.c).  Queries name them; nothing else reaches the
 * server.
 */
#ifndef PGPMG_POLICYD_STATEMENTS_H
#define PGPMG_POLICYD_STATEMENTS_H

#include <stddef.h>

#include "policyd/db.h"

/* The health check: no table, so it works before any migration. */
#define STMT_HEALTH	"health"

extern const struct db_statement	 policyd_statements[];
extern const size_t			 policyd_nstatements;

#endif /* PGPMG_POLICYD_STATEMENTS_H */
