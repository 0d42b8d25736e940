/*
 * statements: every SQL statement policyd runs, prepared at each
 * connection (policyd/db.c).  Queries name them; nothing else reaches the
 * server.  A statement that cannot be prepared (the migrations have not
 * run) keeps the connection down, and policyd tempfails.
 */
#ifndef PGPMG_POLICYD_STATEMENTS_H
#define PGPMG_POLICYD_STATEMENTS_H

#include <stddef.h>

#include "policyd/db.h"

/* The health check: no table. */
#define STMT_HEALTH		"health"

/* The policy cache (policyload.c). */
#define STMT_POLICY_GENERATION	"policy_generation"
#define STMT_POLICY_LOAD	"policy_load"
#define STMT_RULES_LOAD		"rules_load"
#define STMT_DOMAINS_LOAD	"domains_load"
#define STMT_DOMAINS_SEED	"domains_seed"

/* Results (results.c). */
#define STMT_STATS_ADD		"stats_add"
#define STMT_AUDIT_RESULT	"audit_result"

/* The scheduled jobs (housekeeping.c). */
#define STMT_NOTICE_KEY_EXPIRING "notice_key_expiring"
#define STMT_NOTICE_KEY_EXPIRED	"notice_key_expired"
#define STMT_NOTICES_PURGE	"notices_purge"

/* The console's logins and sessions (console.c, console_login.c). */
#define STMT_CONSOLE_USER	"console_user"
#define STMT_CONSOLE_LOGIN_OK	"console_login_ok"
#define STMT_CONSOLE_LOGIN_FAILED "console_login_failed"
#define STMT_CONSOLE_AUDIT_FAILED "console_audit_failed"
#define STMT_CONSOLE_SESSION	"console_session"
#define STMT_CONSOLE_LOGOUT	"console_logout"
#define STMT_CONSOLE_REAUTH_USER "console_reauth_user"
#define STMT_CONSOLE_REAUTH_OK	"console_reauth_ok"
#define STMT_SESSIONS_PURGE	"sessions_purge"

/* pgpmgctl's commands (admin.c); each change and its audit row are one
 * statement, so one transaction. */
#define STMT_POLICY_SHOW	"policy_show"
#define STMT_POLICY_SET		"policy_set"
#define STMT_RULE_ADD		"rule_add"
#define STMT_RULE_DEL		"rule_del"
#define STMT_RULE_LIST		"rule_list"
#define STMT_DOMAIN_ADD		"domain_add"
#define STMT_DOMAIN_DEL		"domain_del"
#define STMT_DOMAIN_LIST	"domain_list"
/* pgpmgctl's user commands (users.c), likewise. */
#define STMT_USER_ADD		"user_add"
#define STMT_USER_LIST		"user_list"
#define STMT_USER_SET		"user_set"
#define STMT_USER_PASSWD	"user_passwd"
#define STMT_USER_DEL		"user_del"

/* The record of keys (keyrecord.c), and the console's view of it
 * (console_keys.c). */
#define STMT_KEYS_UPSERT	"keys_upsert"
#define STMT_KEYS_PRUNE		"keys_prune"
#define STMT_KEY_LIST		"key_list"

/* The console's dashboard and audit views (console_audit.c,
 * auditverify.c): reading only. */
#define STMT_STATS_HOURS	"stats_hours"
#define STMT_FAILURES		"failures"
#define STMT_AUDIT_LIST		"audit_list"
#define STMT_AUDIT_CHUNK	"audit_chunk"
#define STMT_NOTICE_LIST	"notice_list"

/* Sealed values in pgpmg.secrets (secrets.c, sealrotate.c). */
#define STMT_SECRET_GET		"secret_get"
#define STMT_SECRET_CREATE	"secret_create"
#define STMT_SECRETS_STALE	"secrets_stale"
#define STMT_SECRET_ROTATE	"secret_rotate"

extern const struct db_statement	 policyd_statements[];
extern const size_t			 policyd_nstatements;

#endif /* PGPMG_POLICYD_STATEMENTS_H */
