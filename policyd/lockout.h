/*
 * lockout: how long failed logins lock, and the counts policyd keeps in
 * memory.
 *
 * One rule for every count (lockout_seconds()): the first LOCKOUT_FREE
 * failures in a row cost nothing, since people mistype; each one after
 * locks for twice as long as the one before, from a second up to
 * LOCKOUT_STEP_CAP; and at LOCKOUT_HARD failures the lock is
 * console-lockout (an hour unless configured), and so is every one after,
 * until a good login.  While locked, an attempt is answered "locked"
 * without its password being checked.
 *
 * An account's count is its row's (users.failed_logins, locked_until,
 * last_failure): it holds across restarts and gateways.  The rule reaches
 * the statement as a table of seconds by count (lockout_sql_table()), so
 * it is written once, here.
 *
 * Two counts live here, in memory, each in a table of LOCKOUT_TABLE_MAX
 * entries whose least recently failing entry makes room for a new one:
 *
 *   LOCKOUT_CLIENT   per client address, so that one source guessing at
 *                    many accounts is slowed as if it guessed at one.
 *                    An IPv6 address counts by its /64, which one host
 *                    commonly has to itself.
 *   LOCKOUT_UNKNOWN  per address that is no account, so that an unknown
 *                    address locks exactly as an account would: the
 *                    answers tell an attacker nothing about which
 *                    addresses exist.
 *
 * A good login clears its account's and its client's counts.  The times
 * are the monotonic clock's: changing the system time moves no lock.
 */
#ifndef PGPMG_POLICYD_LOCKOUT_H
#define PGPMG_POLICYD_LOCKOUT_H

#include <stddef.h>
#include <stdint.h>

/* Failures in a row that cost nothing: four typing mistakes. */
#define LOCKOUT_FREE		4
/* The 5th failure locks for a second, each further one twice as long, up
 * to a quarter of an hour: a person who mistyped waits seconds, a
 * guesser gets about a hundred guesses a day from the 15th on. */
#define LOCKOUT_STEP_CAP	900
/* From this many failures in a row, console-lockout seconds each: an
 * attack, not a person who forgot. */
#define LOCKOUT_HARD		20
/* Entries of each table in memory: more client addresses than fail at
 * once at any real site, and 4096 * ~350 bytes is little memory.  A
 * flood of new addresses evicts the oldest entries, which is why the
 * account's own count is in the database. */
#define LOCKOUT_TABLE_MAX	4096
/* A key: an account's address (lower case), or a client address. */
#define LOCKOUT_KEY_MAX		320
/* lockout_sql_table()'s text: LOCKOUT_HARD numbers of up to 6 digits. */
#define LOCKOUT_SQL_MAX		(LOCKOUT_HARD * 8 + 3)

enum lockout_kind {
	LOCKOUT_CLIENT = 0,
	LOCKOUT_UNKNOWN,
	LOCKOUT_NKINDS
};

/* hard_seconds: console-lockout. */
void		 lockout_init(uint64_t hard_seconds);
/* The lock after the n-th failure in a row, in seconds (0: none). */
uint32_t	 lockout_seconds(uint32_t failures);
/* "{0,0,0,0,1,2,...}": lockout_seconds(1 .. LOCKOUT_HARD), for the
 * statement that counts an account's failure. */
const char	*lockout_sql_table(void);

/* Seconds left of key's lock, 0 when none. */
uint32_t	 lockout_wait(enum lockout_kind, const char *key);
/* One more failure of key: the lock it now has, in seconds (0: none);
 * the count of failures in *failures unless it is NULL. */
uint32_t	 lockout_fail(enum lockout_kind, const char *key,
		    uint32_t *failures);
void		 lockout_clear(enum lockout_kind, const char *key);

/* The key of a client address (an IPv6 address: its /64) into key
 * (LOCKOUT_KEY_MAX + 1 bytes). */
void		 lockout_client_key(const char *client, char *key, size_t);
/* The key of an unknown account's address: in ASCII lower case. */
void		 lockout_account_key(const char *address, char *key, size_t);

#endif /* PGPMG_POLICYD_LOCKOUT_H */
