/*
 * lockout: the rule that turns failed logins into locks, and the failure
 * counts of client addresses and unknown accounts, in memory; see
 * lockout.h.  The tables are searched from end to end: 4096 entries,
 * each compared by a 64-bit hash of its key first, cost microseconds, far
 * below the password check that every failure costs.
 */
#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "policyd/lockout.h"

/* Beyond 2^20 seconds doubling means nothing: the cap is far below. */
#define LOCKOUT_SHIFT_MAX	20

struct lockout_entry {
	int		 used;
	uint64_t	 hash;
	char		 key[LOCKOUT_KEY_MAX + 1];
	uint32_t	 failures;
	uint64_t	 last;		/* the order of its last failure */
	int64_t		 until_ms;	/* locked until */
};

static struct {
	uint32_t		 hard;		/* console-lockout */
	uint64_t		 failures;	/* counted so far, in all */
	char			 sql[LOCKOUT_SQL_MAX];
	struct lockout_entry	*tables[LOCKOUT_NKINDS];
} lk;

static int64_t
now_ms(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("lockout: clock_gettime");
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* FNV-1a: enough to skip the entries that are not the key. */
static uint64_t
key_hash(const char *key)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;

	for (const unsigned char *p = (const unsigned char *)key; *p != '\0';
	    p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint32_t
lockout_seconds(uint32_t failures)
{
	uint32_t	 shift;

	if (failures >= LOCKOUT_HARD)
		return lk.hard;
	if (failures <= LOCKOUT_FREE)
		return 0;
	shift = failures - LOCKOUT_FREE - 1;
	if (shift > LOCKOUT_SHIFT_MAX)
		shift = LOCKOUT_SHIFT_MAX;
	return (1u << shift) < LOCKOUT_STEP_CAP ? 1u << shift :
	    LOCKOUT_STEP_CAP;
}

void
lockout_init(uint64_t hard_seconds)
{
	size_t	 off = 0;
	int	 n;

	if (hard_seconds == 0 || hard_seconds > UINT32_MAX)
		fatalx("lockout: console-lockout %llu",
		    (unsigned long long)hard_seconds);
	lk.hard = (uint32_t)hard_seconds;
	for (int k = 0; k < LOCKOUT_NKINDS; k++)
		if ((lk.tables[k] = calloc(LOCKOUT_TABLE_MAX,
		    sizeof(*lk.tables[k]))) == NULL)
			fatal("lockout");
	for (uint32_t i = 1; i <= LOCKOUT_HARD; i++) {
		n = snprintf(lk.sql + off, sizeof(lk.sql) - off, "%s%u",
		    i == 1 ? "{" : ",", lockout_seconds(i));
		if (n < 0 || (size_t)n >= sizeof(lk.sql) - off)
			fatalx("lockout: the table does not fit");
		off += (size_t)n;
	}
	if (off + 2 > sizeof(lk.sql))
		fatalx("lockout: the table does not fit");
	memcpy(lk.sql + off, "}", 2);
}

const char *
lockout_sql_table(void)
{
	if (lk.hard == 0)
		fatalx("lockout: not initialised");
	return lk.sql;
}

static struct lockout_entry *
lockout_find(enum lockout_kind kind, const char *key)
{
	struct lockout_entry	*t;
	uint64_t		 h = key_hash(key);

	if ((unsigned)kind >= LOCKOUT_NKINDS || (t = lk.tables[kind]) == NULL)
		fatalx("lockout: kind %d", (int)kind);
	for (size_t i = 0; i < LOCKOUT_TABLE_MAX; i++)
		if (t[i].used && t[i].hash == h && strcmp(t[i].key, key) == 0)
			return &t[i];
	return NULL;
}

uint32_t
lockout_wait(enum lockout_kind kind, const char *key)
{
	struct lockout_entry	*e;
	int64_t			 left;

	if ((e = lockout_find(kind, key)) == NULL)
		return 0;
	if ((left = e->until_ms - now_ms()) <= 0)
		return 0;
	return (uint32_t)((left + 999) / 1000);
}

uint32_t
lockout_fail(enum lockout_kind kind, const char *key, uint32_t *failures)
{
	struct lockout_entry	*t, *e;
	int64_t			 now = now_ms();
	uint32_t		 secs;

	if ((e = lockout_find(kind, key)) == NULL) {
		/* A free entry, or the one whose last failure is oldest. */
		t = lk.tables[kind];
		e = &t[0];
		for (size_t i = 0; i < LOCKOUT_TABLE_MAX && e->used; i++)
			if (!t[i].used || t[i].last < e->last)
				e = &t[i];
		memset(e, 0, sizeof(*e));
		e->used = 1;
		e->hash = key_hash(key);
		snprintf(e->key, sizeof(e->key), "%s", key);
	}
	if (e->failures < UINT32_MAX)
		e->failures++;
	e->last = ++lk.failures;
	if ((secs = lockout_seconds(e->failures)) > 0)
		e->until_ms = now + (int64_t)secs * 1000;
	if (failures != NULL)
		*failures = e->failures;
	return secs;
}

void
lockout_clear(enum lockout_kind kind, const char *key)
{
	struct lockout_entry	*e;

	if ((e = lockout_find(kind, key)) != NULL)
		memset(e, 0, sizeof(*e));
}

void
lockout_client_key(const char *client, char *key, size_t len)
{
	struct in6_addr	 a6;
	char		 buf[INET6_ADDRSTRLEN];

	/* One host of IPv6 commonly holds a whole /64: count the /64.  An
	 * IPv4 address mapped into IPv6 is the IPv4 address. */
	if (inet_pton(AF_INET6, client, &a6) == 1) {
		if (IN6_IS_ADDR_V4MAPPED(&a6) &&
		    inet_ntop(AF_INET, &a6.s6_addr[12], buf, sizeof(buf)) !=
		    NULL) {
			snprintf(key, len, "%s", buf);
			return;
		}
		memset(&a6.s6_addr[8], 0, 8);
		if (inet_ntop(AF_INET6, &a6, buf, sizeof(buf)) != NULL) {
			snprintf(key, len, "%s/64", buf);
			return;
		}
	}
	snprintf(key, len, "%s", client);
}

void
lockout_account_key(const char *address, char *key, size_t len)
{
	size_t	 i;

	for (i = 0; address[i] != '\0' && i + 1 < len; i++)
		key[i] = (char)tolower((unsigned char)address[i]);
	if (len > 0)
		key[i] = '\0';
}
