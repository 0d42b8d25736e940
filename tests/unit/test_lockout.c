/*
 * test_lockout: policyd/lockout.c, the rule that turns failed logins into
 * locks and the counts it keeps in memory: the seconds by count (free,
 * doubling, capped, console-lockout from LOCKOUT_HARD), the same rule as
 * the table the statement gets, client addresses counted by IPv4 address
 * or IPv6 /64, a count cleared, and a full table making room by evicting
 * the entry whose last failure is oldest.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "policyd/lockout.c"

#define HOUR	3600

static void
setup(void)
{
	lockout_init(HOUR);
}

TestSuite(lockout, .init = setup);

Test(lockout, rule)
{
	static const uint32_t want[] = { 0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32,
	    64, 128, 256, 512, 900, 900, 900, 900, 900, HOUR, HOUR };

	for (uint32_t n = 0; n < sizeof(want) / sizeof(want[0]); n++)
		cr_expect_eq(lockout_seconds(n), want[n], "%u failures: %u s, "
		    "want %u", n, lockout_seconds(n), want[n]);
	cr_expect_eq(lockout_seconds(UINT32_MAX), HOUR);
}

Test(lockout, sql_table)
{
	cr_expect_str_eq(lockout_sql_table(), "{0,0,0,0,1,2,4,8,16,32,64,128,"
	    "256,512,900,900,900,900,900,3600}");
}

Test(lockout, counts_and_clears)
{
	uint32_t	 n = 0;

	cr_expect_eq(lockout_wait(LOCKOUT_CLIENT, "192.0.2.1"), 0);
	for (int i = 1; i <= 4; i++)
		cr_expect_eq(lockout_fail(LOCKOUT_CLIENT, "192.0.2.1", &n), 0);
	cr_expect_eq(n, 4);
	cr_expect_eq(lockout_wait(LOCKOUT_CLIENT, "192.0.2.1"), 0);
	cr_expect_eq(lockout_fail(LOCKOUT_CLIENT, "192.0.2.1", &n), 1);
	cr_expect_eq(lockout_wait(LOCKOUT_CLIENT, "192.0.2.1"), 1);
	/* The kinds are apart. */
	cr_expect_eq(lockout_wait(LOCKOUT_UNKNOWN, "192.0.2.1"), 0);
	lockout_clear(LOCKOUT_CLIENT, "192.0.2.1");
	cr_expect_eq(lockout_wait(LOCKOUT_CLIENT, "192.0.2.1"), 0);
	cr_expect_eq(lockout_fail(LOCKOUT_CLIENT, "192.0.2.1", &n), 0);
	cr_expect_eq(n, 1);
}

Test(lockout, client_keys)
{
	char	 a[LOCKOUT_KEY_MAX + 1], b[LOCKOUT_KEY_MAX + 1];

	lockout_client_key("2001:db8:1:2::1", a, sizeof(a));
	lockout_client_key("2001:DB8:1:2:ffff:1:2:3", b, sizeof(b));
	cr_expect_str_eq(a, "2001:db8:1:2::/64");
	cr_expect_str_eq(b, a);
	lockout_client_key("2001:db8:1:3::1", b, sizeof(b));
	cr_expect_str_neq(b, a);
	lockout_client_key("::ffff:192.0.2.7", a, sizeof(a));
	cr_expect_str_eq(a, "192.0.2.7");
	lockout_client_key("192.0.2.7", a, sizeof(a));
	cr_expect_str_eq(a, "192.0.2.7");
	/* Not an address: counted as given. */
	lockout_client_key("unix:/run/x", a, sizeof(a));
	cr_expect_str_eq(a, "unix:/run/x");
	lockout_account_key("Alice@Example.COM", a, sizeof(a));
	cr_expect_str_eq(a, "alice@example.com");
}

Test(lockout, evicts_the_oldest)
{
	char	 key[32];

	/* The first entry is the oldest: four failures, not yet locked. */
	for (int i = 0; i < 4; i++)
		lockout_fail(LOCKOUT_UNKNOWN, "first@example.org", NULL);
	for (int i = 1; i < LOCKOUT_TABLE_MAX; i++) {
		snprintf(key, sizeof(key), "k%d@example.org", i);
		lockout_fail(LOCKOUT_UNKNOWN, key, NULL);
	}
	/* The table is full; one more takes the oldest entry's place, so
	 * the first one's count starts again. */
	lockout_fail(LOCKOUT_UNKNOWN, "new@example.org", NULL);
	cr_expect_eq(lockout_fail(LOCKOUT_UNKNOWN, "first@example.org", NULL),
	    0, "the oldest entry was not the one evicted");
	cr_expect_eq(lockout_find(LOCKOUT_UNKNOWN, "k1@example.org"), NULL,
	    "the next oldest made room for the first one again");
	cr_expect_neq(lockout_find(LOCKOUT_UNKNOWN, "new@example.org"), NULL);
}
