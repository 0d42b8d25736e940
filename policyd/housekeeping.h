/*
 * housekeeping: policyd's scheduled jobs, on its own event loop (no cron,
 * no second process with database credentials).  Every
 * housekeeping-interval seconds, and once a moment after the database
 * connection comes up (again), while it is up:
 *
 *   - a key-expiring notice for every key that expires within
 *     HOUSEKEEPING_WARN_DAYS and is not revoked, to the administrators
 *     and, for an internal key, to its owner;
 *   - a key-expired notice likewise for every key that expired within the
 *     last HOUSEKEEPING_WARN_DAYS;
 *   - the purge of notices older than notice-retention days;
 *   - the purge of console sessions no longer live: unused for
 *     console-idle-timeout, or made console-session-lifetime ago (a
 *     session is refused from that moment on; the purge only tidies).
 *
 * Each job is one statement (statements.c).  A notice's ref is the key's
 * fingerprint and its expiry in seconds since 1970 ("FPR@1767225600"),
 * and the notices' unique index makes the insert do nothing for a notice
 * that exists: every run may insert again, a key gets each notice once,
 * and a key whose expiry moved gets a new one.  The statements are
 * therefore safe to run twice, as a query that lost its connection may
 * have been.
 *
 * A run that fails (or the database going away during it) is logged and
 * simply done again at the next tick; a tick that comes while the run's
 * queries are still waiting or in flight is skipped.
 */
#ifndef PGPMG_POLICYD_HOUSEKEEPING_H
#define PGPMG_POLICYD_HOUSEKEEPING_H

#include "policyd/db.h"

/* How far ahead a key's expiry is announced, and for how long after it
 * an expired key is: a month gives an owner and the administrators time
 * to renew or replace it, and keeps a key they missed in view as long. */
#define HOUSEKEEPING_WARN_DAYS		30
/* The run after the connection comes up waits this long, so that the
 * policy load (mail waits for it) and the statistics held back while the
 * database was down go first. */
#define HOUSEKEEPING_AFTER_UP_MS	2000
/* Notices (and sessions) deleted by one purge at most, so that the statement stays far
 * below database-timeout even after a long time without one; a backlog
 * larger than this is worked off a batch per run. */
#define HOUSEKEEPING_PURGE_BATCH	10000

struct child;

void	housekeeping_init(struct child *);

#endif /* PGPMG_POLICYD_HOUSEKEEPING_H */
