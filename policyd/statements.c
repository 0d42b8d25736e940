/*
 * The statements policyd prepares at every connection.  Every name is
 * qualified with its schema (pg_catalog here), so that no object someone
 * created earlier in the search path can stand in for the one we mean.
 */
#include "policyd/statements.h"

const struct db_statement policyd_statements[] = {
	{ STMT_HEALTH, "SELECT pg_catalog.version()", 0 },
};

const size_t policyd_nstatements =
    sizeof(policyd_statements) / sizeof(policyd_statements[0]);
