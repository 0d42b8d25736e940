/*
 * Tests for policyd/policy.c, the pure decision, and common/policydef.c,
 * the syntax of the policy's values.
 *
 * The decision: every global mode x missing-key action x key present or
 * absent x keyword in the Subject or not, written out as a table; the
 * same through a rule's action and its own missing-key action; which
 * rule applies (address before domain at equal priority, the higher
 * priority otherwise, ASCII case ignored, exact domains only); the
 * directions (internal recipient, external sender, null sender); the
 * keyword (case, returned as the Subject has it, only when it decided);
 * an encrypted message is never bounced or held; the flags of DONE; rule
 * texts cut to the protocol's bound at a character boundary.
 * The source is compiled in: libpgpmg.a holds no policyd code.
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "policyd/policy.c"

static char	 err[512];

static struct policy_set *
set_make(int mode, int missing, const char *keyword)
{
	struct policy_set	*p = policy_set_new();

	cr_assert_not_null(p);
	cr_assert_eq(policy_set_global(p, mode, keyword, missing, 1, 1, 1), 0);
	cr_assert_eq(policy_set_add_domain(p, "example.com", err, sizeof(err)),
	    0);
	cr_assert_eq(policy_set_add_domain(p, "Example.NET", err, sizeof(err)),
	    0);
	return p;
}

static void
finish(struct policy_set *p)
{
	cr_assert_eq(policy_set_finish(p, err, sizeof(err)), 0, "%s", err);
}

/* The decision for one recipient of a message from alice@example.com. */
static uint32_t
decide1(const struct policy_set *p, const char *rcpt, int key,
    const char *subject, uint32_t mflags, char *rule, struct policy_done *d)
{
	struct policy_msg	 m = { "alice@example.com", subject, mflags };
	struct policy_rcpt	 r = { rcpt, key ? PLAN_RCPT_F_KEY : 0 };
	struct policy_answer	 a;
	struct policy_done	 dd;

	policy_decide(p, &m, &r, 1, &a, d != NULL ? d : &dd);
	if (rule != NULL)
		snprintf(rule, POLICY_RULE_MAX + 1, "%s", a.rule);
	return a.action;
}

#define P	POLICY_PASS
#define E	POLICY_ENCRYPT
#define B	POLICY_BOUNCE
#define H	POLICY_HOLD

/* [mode][keyword in subject][missing][key] */
static const uint32_t expect_global[POL_NMODES][2][POL_NMISSING][2] = {
	[POL_MODE_OFF] = {
		{ { P, P }, { P, P }, { P, P } },
		{ { P, P }, { P, P }, { P, P } } },
	[POL_MODE_POSSIBLE] = {
		{ { P, E }, { P, E }, { P, E } },
		{ { P, E }, { P, E }, { P, E } } },
	[POL_MODE_ALL] = {
		{ { P, E }, { B, E }, { H, E } },
		{ { P, E }, { B, E }, { H, E } } },
	[POL_MODE_KEYWORD] = {
		{ { P, P }, { P, P }, { P, P } },
		{ { P, E }, { B, E }, { H, E } } },
};

Test(decide, global_matrix)
{
	char	 rule[POLICY_RULE_MAX + 1], want[64];

	for (int mode = 0; mode < POL_NMODES; mode++)
		for (int kw = 0; kw < 2; kw++)
			for (int mk = 0; mk < POL_NMISSING; mk++)
				for (int key = 0; key < 2; key++) {
					struct policy_set *p = set_make(mode,
					    mk, "[secure]");
					uint32_t got;

					finish(p);
					got = decide1(p, "bob@partner.example",
					    key, kw ? "Hi [SECURE] there" :
					    "Hi there", 0, rule, NULL);
					cr_expect_eq(got,
					    expect_global[mode][kw][mk][key],
					    "mode %s, keyword %d, missing %s, "
					    "key %d: %s", pol_mode_name(mode),
					    kw, pol_missing_name(mk), key,
					    policy_action_name(got));
					snprintf(want, sizeof(want),
					    "global: %s", pol_mode_name(mode));
					cr_expect_str_eq(rule, want);
					policy_set_free(p);
				}
}

/* A rule's action and missing-key action, whatever the global ones. */
static void
rule_case(int gmode, int gmk, int mode, int mk, int kw, int key)
{
	struct policy_set	*p = set_make(gmode, gmk, "[secure]");
	char			 rule[POLICY_RULE_MAX + 1];
	const char		*subject = kw ? "[secure] x" : "x";
	int			 eff = mk == POL_MISSING_GLOBAL ? gmk : mk;
	uint32_t		 got;

	cr_assert_eq(policy_set_add_rule(p, 7, POL_SCOPE_DOMAIN,
	    "partner.example", 100, mode, mk, err, sizeof(err)), 0);
	finish(p);
	got = decide1(p, "bob@Partner.Example", key, subject, 0, rule, NULL);
	cr_expect_eq(got, expect_global[mode][kw][eff][key],
	    "global %s/%s, rule %s/%d, keyword %d, key %d: %s",
	    pol_mode_name(gmode), pol_missing_name(gmk), pol_mode_name(mode),
	    mk, kw, key, policy_action_name(got));
	cr_expect_str_eq(rule, "rule 7: domain partner.example");
	/* Another domain: the global mode. */
	got = decide1(p, "carol@other.example", key, subject, 0, NULL, NULL);
	cr_expect_eq(got, expect_global[gmode][kw][gmk][key]);
	policy_set_free(p);
}

Test(decide, rule_matrix)
{
	for (int gmode = 0; gmode < POL_NMODES; gmode++)
	for (int gmk = 0; gmk < POL_NMISSING; gmk++)
	for (int mode = 0; mode < POL_NMODES; mode++)
	for (int mk = POL_MISSING_GLOBAL; mk < POL_NMISSING; mk++)
	for (int kw = 0; kw < 2; kw++)
	for (int key = 0; key < 2; key++)
		rule_case(gmode, gmk, mode, mk, kw, key);
}

Test(decide, which_rule)
{
	struct policy_set	*p = set_make(POL_MODE_POSSIBLE,
				    POL_MISSING_PLAIN, "[secure]");
	char			 rule[POLICY_RULE_MAX + 1];

	/* Equal priority: the address rule. */
	cr_assert_eq(policy_set_add_rule(p, 1, POL_SCOPE_DOMAIN,
	    "partner.example", 100, POL_MODE_ALL, POL_MISSING_BOUNCE, err,
	    sizeof(err)), 0);
	cr_assert_eq(policy_set_add_rule(p, 2, POL_SCOPE_ADDRESS,
	    "bob@partner.example", 100, POL_MODE_OFF, POL_MISSING_GLOBAL, err,
	    sizeof(err)), 0);
	/* A higher priority: the domain rule. */
	cr_assert_eq(policy_set_add_rule(p, 3, POL_SCOPE_DOMAIN,
	    "strict.example", 500, POL_MODE_ALL, POL_MISSING_HOLD, err,
	    sizeof(err)), 0);
	cr_assert_eq(policy_set_add_rule(p, 4, POL_SCOPE_ADDRESS,
	    "eve@strict.example", 499, POL_MODE_OFF, POL_MISSING_GLOBAL, err,
	    sizeof(err)), 0);
	/* A higher priority: the address rule. */
	cr_assert_eq(policy_set_add_rule(p, 5, POL_SCOPE_ADDRESS,
	    "vip@strict.example", 501, POL_MODE_OFF, POL_MISSING_GLOBAL, err,
	    sizeof(err)), 0);
	/* Hostile characters are only bytes. */
	cr_assert_eq(policy_set_add_rule(p, 6, POL_SCOPE_ADDRESS,
	    "o'brien;--@example.org", 100, POL_MODE_ALL, POL_MISSING_BOUNCE,
	    err, sizeof(err)), 0);
	cr_assert_eq(policy_set_add_rule(p, 8, POL_SCOPE_ADDRESS,
	    "jürgen@example.org", 100, POL_MODE_ALL, POL_MISSING_HOLD, err,
	    sizeof(err)), 0);
	finish(p);

	cr_expect_eq(decide1(p, "BOB@partner.example", 0, "", 0, rule, NULL),
	    P);
	cr_expect_str_eq(rule, "rule 2: address bob@partner.example");
	cr_expect_eq(decide1(p, "other@partner.example", 0, "", 0, rule, NULL),
	    B);
	cr_expect_str_eq(rule, "rule 1: domain partner.example");
	cr_expect_eq(decide1(p, "eve@strict.example", 0, "", 0, rule, NULL),
	    H);
	cr_expect_str_eq(rule, "rule 3: domain strict.example");
	cr_expect_eq(decide1(p, "vip@strict.example", 0, "", 0, rule, NULL),
	    P);
	cr_expect_str_eq(rule, "rule 5: address vip@strict.example");
	/* Exact domains: a subdomain is another domain. */
	cr_expect_eq(decide1(p, "x@sub.partner.example", 0, "", 0, rule,
	    NULL), P);
	cr_expect_str_eq(rule, "global: possible");
	cr_expect_eq(decide1(p, "o'brien;--@example.org", 0, "", 0, rule,
	    NULL), B);
	cr_expect_str_eq(rule, "rule 6: address o'brien;--@example.org");
	/* Near misses do not match. */
	cr_expect_eq(decide1(p, "o'brien;-@example.org", 0, "", 0, NULL, NULL),
	    P);
	cr_expect_eq(decide1(p, "o'brien;--@example.org.", 0, "", 0, NULL,
	    NULL), P);
	cr_expect_eq(decide1(p, "jürgen@example.org", 0, "", 0, rule, NULL),
	    H);
	cr_expect_str_eq(rule, "rule 8: address jürgen@example.org");
	/* Only ASCII letters are folded. */
	cr_expect_eq(decide1(p, "JÜRGEN@example.org", 0, "", 0, NULL, NULL),
	    P);
	cr_expect_eq(decide1(p, "JüRGEN@EXAMPLE.ORG", 0, "", 0, NULL, NULL),
	    H);
	policy_set_free(p);
}

Test(decide, directions)
{
	struct policy_set	*p = set_make(POL_MODE_ALL,
				    POL_MISSING_BOUNCE, "[secure]");
	struct policy_msg	 m = { "", "", 0 };
	struct policy_rcpt	 r[4] = {
		{ "carol@EXAMPLE.com", 0 }, { "dave@example.net", 1 },
		{ "erin@partner.example", 0 }, { "frank@partner.example", 1 },
	};
	struct policy_answer	 a[4];
	struct policy_done	 d;

	/* A rule for an internal domain changes nothing for it. */
	cr_assert_eq(policy_set_add_rule(p, 1, POL_SCOPE_DOMAIN,
	    "example.com", 1000, POL_MODE_OFF, POL_MISSING_GLOBAL, err,
	    sizeof(err)), 0);
	finish(p);
	/* From outside, and from the null sender. */
	const char *senders[] = { "mallory@evil.example", "", "nobody" };
	for (size_t s = 0; s < 3; s++) {
		m.sender = senders[s];
		policy_decide(p, &m, r, 4, a, &d);
		cr_expect_eq(a[0].action, POLICY_INCOMING);
		cr_expect_str_eq(a[0].rule, "internal recipient");
		cr_expect_eq(a[1].action, POLICY_INCOMING);
		cr_expect_eq(a[2].action, POLICY_PASS);
		cr_expect_str_eq(a[2].rule, "external sender");
		cr_expect_eq(a[3].action, POLICY_PASS);
	}
	/* From inside. */
	m.sender = "alice@Example.Com";
	policy_decide(p, &m, r, 4, a, &d);
	cr_expect_eq(a[0].action, POLICY_INCOMING);
	cr_expect_eq(a[1].action, POLICY_INCOMING);
	cr_expect_eq(a[2].action, POLICY_BOUNCE);
	cr_expect_eq(a[3].action, POLICY_ENCRYPT);
	cr_expect_str_eq(a[3].rule, "global: all");
	policy_set_free(p);
}

Test(decide, keyword)
{
	struct policy_set	*p = set_make(POL_MODE_KEYWORD,
				    POL_MISSING_PLAIN, "[Secure]");
	struct policy_done	 d;
	char			 rule[POLICY_RULE_MAX + 1];

	cr_assert_eq(policy_set_add_rule(p, 3, POL_SCOPE_DOMAIN,
	    "plain.example", 100, POL_MODE_OFF, POL_MISSING_GLOBAL, err,
	    sizeof(err)), 0);
	finish(p);
	cr_expect_eq(decide1(p, "b@x.example", 1, "re: [SECURE] offer", 0,
	    rule, &d), E);
	cr_expect_str_eq(rule, "global: keyword");
	cr_expect_str_eq(d.keyword, "[SECURE]");
	cr_expect_eq(decide1(p, "b@x.example", 1, "[sEcUrE]", 0, NULL, &d), E);
	cr_expect_str_eq(d.keyword, "[sEcUrE]");
	/* Without it: plain, and nothing to remove. */
	cr_expect_eq(decide1(p, "b@x.example", 1, "re: [secur] offer", 0,
	    NULL, &d), P);
	cr_expect_str_eq(d.keyword, "");
	cr_expect_eq(decide1(p, "b@x.example", 1, "", 0, NULL, &d), P);
	/* A recipient whose rule is not the keyword: nothing to remove. */
	cr_expect_eq(decide1(p, "b@plain.example", 1, "[secure]", 0, NULL,
	    &d), P);
	cr_expect_str_eq(d.keyword, "");
	policy_set_free(p);

	/* UTF-8 keyword: its non-ASCII letters compare exactly. */
	p = set_make(POL_MODE_KEYWORD, POL_MISSING_HOLD, "[vertraulich–ä]");
	finish(p);
	cr_expect_eq(decide1(p, "b@x.example", 0, "x [VERTRAULICH–ä] y", 0,
	    NULL, &d), H);
	cr_expect_str_eq(d.keyword, "[VERTRAULICH–ä]");
	cr_expect_eq(decide1(p, "b@x.example", 0, "x [vertraulich–Ä] y", 0,
	    NULL, &d), P);
	policy_set_free(p);
}

Test(decide, encrypted_already)
{
	struct policy_set	*p = set_make(POL_MODE_ALL,
				    POL_MISSING_BOUNCE, "[secure]");
	char			 rule[POLICY_RULE_MAX + 1];

	finish(p);
	cr_expect_eq(decide1(p, "b@x.example", 0, "", PLAN_MSG_F_ENCRYPTED,
	    rule, NULL), P);
	cr_expect_str_eq(rule, "global: all (encrypted already)");
	/* With a key cryptod passes it as it is, and says so itself. */
	cr_expect_eq(decide1(p, "b@x.example", 1, "", PLAN_MSG_F_ENCRYPTED,
	    NULL, NULL), E);
	policy_set_free(p);
}

Test(decide, done_flags)
{
	struct policy_set	*p = policy_set_new();
	struct policy_done	 d;

	cr_assert_eq(policy_set_global(p, POL_MODE_OFF, "k", 0, 1, 0, 1), 0);
	finish(p);
	decide1(p, "b@x.example", 0, "", 0, NULL, &d);
	cr_expect_eq(d.flags, PLAN_DONE_F_SIGN | PLAN_DONE_F_PROTECT);
	cr_assert_eq(policy_set_global(p, POL_MODE_OFF, "k", 0, 0, 1, 0), 0);
	decide1(p, "b@x.example", 0, "", 0, NULL, &d);
	cr_expect_eq(d.flags, PLAN_DONE_F_DECRYPT);
	policy_set_free(p);
}

Test(decide, long_rule_text)
{
	struct policy_set	*p = set_make(POL_MODE_POSSIBLE, 0, "k");
	char			 addr[POLICY_ADDR_MAX + 1], rule[256];
	size_t			 n = 0;

	/* 2-byte characters up to 250 bytes, then @x.example. */
	while (n < 240) {
		memcpy(addr + n, "é", 2);
		n += 2;
	}
	memcpy(addr + n, "@x.example", 11);
	cr_assert_eq(policy_set_add_rule(p, 123456789, POL_SCOPE_ADDRESS, addr,
	    1, POL_MODE_OFF, POL_MISSING_GLOBAL, err, sizeof(err)), 0);
	finish(p);
	decide1(p, addr, 0, "", 0, rule, NULL);
	cr_expect_leq(strlen(rule), POLICY_RULE_MAX);
	cr_expect(utf8_valid_str(rule), "cut inside a character: %s", rule);
	cr_expect_eq(strncmp(rule, "rule 123456789: address éé", 28), 0);
	cr_expect_eq(strcmp(rule + strlen(rule) - 3, "..."), 0);
	policy_set_free(p);
}

Test(set, refusals)
{
	struct policy_set	*p = set_make(0, 0, "k");

	cr_expect_eq(policy_set_add_rule(p, 1, POL_SCOPE_DOMAIN, "a.example",
	    1, POL_NMODES, -1, err, sizeof(err)), -1);
	cr_expect_eq(policy_set_add_rule(p, 1, POL_SCOPE_DOMAIN, "a.example",
	    -1, 0, -1, err, sizeof(err)), -1);
	cr_expect_eq(policy_set_add_rule(p, 1, POL_SCOPE_DOMAIN, "", 1, 0, -1,
	    err, sizeof(err)), -1);
	cr_assert_eq(policy_set_add_rule(p, 1, POL_SCOPE_DOMAIN, "a.example",
	    1, 0, -1, err, sizeof(err)), 0);
	cr_assert_eq(policy_set_add_rule(p, 2, POL_SCOPE_DOMAIN, "A.example",
	    1, 0, -1, err, sizeof(err)), 0);
	cr_expect_eq(policy_set_finish(p, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "rules 1 and 2: both for domain a.example");
	/* Not finished: no decision uses it. */
	cr_expect_null(policy_rule_for(p, "x@a.example"));
	cr_expect_eq(policy_internal(p, "x@example.com"), 0);
	policy_set_free(p);

	p = set_make(0, 0, "k");
	cr_assert_eq(policy_set_add_domain(p, "EXAMPLE.com", err, sizeof(err)),
	    0);
	cr_expect_eq(policy_set_finish(p, err, sizeof(err)), -1);
	cr_expect_eq(policy_set_global(p, 0, "", 0, 0, 0, 0), -1);
	policy_set_free(p);
}

Test(set, bounds)
{
	struct policy_set	*p = set_make(0, 0, "k");
	char			 pat[32];

	for (int i = 0; i < POLICY_MAX_RULES; i++) {
		snprintf(pat, sizeof(pat), "d%d.example", i);
		cr_assert_eq(policy_set_add_rule(p, i + 1, POL_SCOPE_DOMAIN,
		    pat, 1, 0, -1, err, sizeof(err)), 0);
	}
	cr_expect_eq(policy_set_add_rule(p, 99999, POL_SCOPE_ADDRESS,
	    "one@more.example", 1, 0, -1, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "more than 20000 rules");
	cr_expect_eq(policy_set_finish(p, err, sizeof(err)), 0);
	cr_expect_eq(policy_rule_for(p, "x@d19999.example")->id, 20000);
	policy_set_free(p);
}

/* ---------------------------------------------------------------- syntax */

Test(policydef, settings)
{
	char	 c[POL_VALUE_MAX + 1];
	int	 s;

	cr_expect_eq(pol_setting_parse("mode", "keyword", &s, c, sizeof(c), err,
	    sizeof(err)), 0);
	cr_expect_eq(s, POL_SET_MODE);
	cr_expect_str_eq(c, "keyword");
	cr_expect_eq(pol_setting_parse("sign", "no", &s, c, sizeof(c), err,
	    sizeof(err)), 0);
	cr_expect_str_eq(c, "false");
	cr_expect_eq(pol_setting_parse("protected-headers", "yes", &s, c,
	    sizeof(c), err, sizeof(err)), 0);
	cr_expect_eq(s, POL_SET_PROTECT);
	cr_expect_str_eq(c, "true");
	cr_expect_eq(pol_setting_parse("missing-key", "hold", &s, c,
	    sizeof(c), err, sizeof(err)), 0);
	cr_expect_eq(pol_setting_parse("keyword", "o'brien\"; DROP TABLE--", &s,
	    c, sizeof(c), err, sizeof(err)), 0);
	cr_expect_str_eq(c, "o'brien\"; DROP TABLE--");

	cr_expect_eq(pol_setting_parse("mode", "All", &s, c, sizeof(c), err,
	    sizeof(err)), -1);
	cr_expect_eq(pol_setting_parse("colour", "red", &s, c, sizeof(c), err,
	    sizeof(err)), -1);
	cr_expect_eq(pol_setting_parse("sign", "true", &s, c, sizeof(c), err,
	    sizeof(err)), -1);
	cr_expect_eq(pol_setting_parse("missing-key", "drop", &s, c,
	    sizeof(c), err, sizeof(err)), -1);
	cr_expect_eq(pol_setting_parse("keyword", "", &s, c, sizeof(c), err,
	    sizeof(err)), -1);
	cr_expect_eq(pol_setting_parse("keyword", "   ", &s, c, sizeof(c), err,
	    sizeof(err)), -1);
	cr_expect_eq(pol_setting_parse("keyword", "a\tb", &s, c, sizeof(c),
	    err, sizeof(err)), -1);
	cr_expect_eq(pol_setting_parse("keyword", "a\xc2\x85" "b", &s, c,
	    sizeof(c), err, sizeof(err)), -1);
	cr_expect_eq(pol_setting_parse("keyword", "\xff", &s, c, sizeof(c),
	    err, sizeof(err)), -1);
	/* 100 characters, not bytes. */
	char kw[512] = "";
	for (int i = 0; i < 100; i++)
		strcat(kw, "ä");
	cr_expect_eq(pol_setting_parse("keyword", kw, &s, c, sizeof(c), err,
	    sizeof(err)), 0);
	strcat(kw, "a");
	cr_expect_eq(pol_setting_parse("keyword", kw, &s, c, sizeof(c), err,
	    sizeof(err)), -1);
}

Test(policydef, actions)
{
	char	 b[POL_ACTION_MAX];
	int	 m, k;

	cr_expect_eq(pol_action_parse("all+bounce", &m, &k, err, sizeof(err)),
	    0);
	cr_expect(m == POL_MODE_ALL && k == POL_MISSING_BOUNCE);
	cr_expect_eq(pol_action_parse("encrypt", &m, &k, err, sizeof(err)), 0);
	cr_expect(m == POL_MODE_ALL && k == POL_MISSING_GLOBAL);
	cr_expect_eq(pol_action_parse("plain", &m, &k, err, sizeof(err)), 0);
	cr_expect(m == POL_MODE_OFF && k == POL_MISSING_GLOBAL);
	cr_expect_eq(pol_action_parse("keyword+hold", &m, &k, err, sizeof(err)),
	    0);
	pol_action_format(m, k, b, sizeof(b));
	cr_expect_str_eq(b, "keyword+hold");
	pol_action_format(POL_MODE_POSSIBLE, POL_MISSING_GLOBAL, b, sizeof(b));
	cr_expect_str_eq(b, "possible");
	cr_expect_eq(pol_action_parse("possible+bounce", &m, &k, err,
	    sizeof(err)), -1);
	cr_expect_eq(pol_action_parse("off+plain", &m, &k, err, sizeof(err)),
	    -1);
	cr_expect_eq(pol_action_parse("all+", &m, &k, err, sizeof(err)), -1);
	cr_expect_eq(pol_action_parse("all+drop", &m, &k, err, sizeof(err)),
	    -1);
	cr_expect_eq(pol_action_parse("", &m, &k, err, sizeof(err)), -1);
	cr_expect_eq(pol_action_parse("allallallallallallall", &m, &k, err,
	    sizeof(err)), -1);
}

Test(policydef, patterns)
{
	char	 o[POL_VALUE_MAX + 1], big[400];

	cr_expect_eq(pol_domain_parse("Partner.EXAMPLE", o, sizeof(o), err,
	    sizeof(err)), 0);
	cr_expect_str_eq(o, "partner.example");
	cr_expect_eq(pol_domain_parse("xn--bcher-kva.example", o, sizeof(o),
	    err, sizeof(err)), 0);
	const char *bad_domains[] = { "", ".", "a..b", "-a.b", "a-.b", "a.b.",
	    "a b", "a;b", "a'b", "bücher.example", "a_b.c", "a.b--\\" };
	for (size_t i = 0; i < sizeof(bad_domains) / sizeof(bad_domains[0]);
	    i++)
		cr_expect_eq(pol_domain_parse(bad_domains[i], o, sizeof(o), err,
		    sizeof(err)), -1, "%s", bad_domains[i]);
	memset(big, 'a', 63);
	big[63] = '\0';
	cr_expect_eq(pol_domain_parse(big, o, sizeof(o), err, sizeof(err)), 0);
	memset(big, 'a', 64);
	big[64] = '\0';
	cr_expect_eq(pol_domain_parse(big, o, sizeof(o), err, sizeof(err)), -1);

	cr_expect_eq(pol_address_parse("O'Brien;--@Example.COM", o, sizeof(o),
	    err, sizeof(err)), 0);
	cr_expect_str_eq(o, "o'brien;--@example.com");
	cr_expect_eq(pol_address_parse("Jürgen\\x@b.c", o, sizeof(o), err,
	    sizeof(err)), 0);
	cr_expect_str_eq(o, "jürgen\\x@b.c");
	cr_expect_eq(pol_address_parse("\"a b\"@c.d", o, sizeof(o), err,
	    sizeof(err)), -1);
	const char *bad_addr[] = { "", "a", "@b", "ab@", "a@b\x01", "a\xa0@b",
	    "a\xc2\xa0@b", "no-at-sign", "a@b\xe2\x80\x83" };
	for (size_t i = 0; i < sizeof(bad_addr) / sizeof(bad_addr[0]); i++)
		cr_expect_eq(pol_address_parse(bad_addr[i], o, sizeof(o), err,
		    sizeof(err)), -1, "%s", bad_addr[i]);
	memset(big, 'a', 316);
	memcpy(big + 316, "@b.c", 5);
	cr_expect_eq(pol_address_parse(big, o, sizeof(o), err, sizeof(err)), 0);
	memcpy(big + 316, "@bc.d", 6);
	cr_expect_eq(pol_address_parse(big, o, sizeof(o), err, sizeof(err)),
	    -1);
}

Test(policydef, numbers)
{
	int	 p;
	int64_t	 id;

	cr_expect_eq(pol_priority_parse("0", &p, err, sizeof(err)), 0);
	cr_expect_eq(pol_priority_parse("1000000", &p, err, sizeof(err)), 0);
	cr_expect_eq(p, 1000000);
	cr_expect_eq(pol_priority_parse("1000001", &p, err, sizeof(err)), -1);
	cr_expect_eq(pol_priority_parse("-1", &p, err, sizeof(err)), -1);
	cr_expect_eq(pol_priority_parse("1x", &p, err, sizeof(err)), -1);
	cr_expect_eq(pol_priority_parse("", &p, err, sizeof(err)), -1);
	cr_expect_eq(pol_priority_parse("99999999999999999999", &p, err,
	    sizeof(err)), -1);
	cr_expect_eq(pol_id_parse("9223372036854775807", &id, err,
	    sizeof(err)), 0);
	cr_expect_eq(pol_id_parse("9223372036854775808", &id, err,
	    sizeof(err)), -1);
	cr_expect_eq(pol_id_parse("0", &id, err, sizeof(err)), -1);
	cr_expect_eq(pol_id_parse("1;DELETE", &id, err, sizeof(err)), -1);
}

Test(policydef, utf8)
{
	char	 o[8];

	cr_expect(utf8_valid_str("aé€😀"));
	cr_expect(!utf8_valid_str("\xc0\xaf"));		/* overlong */
	cr_expect(!utf8_valid_str("\xed\xa0\x80"));	/* surrogate */
	cr_expect(!utf8_valid_str("\xf4\x90\x80\x80"));	/* > U+10FFFF */
	cr_expect(!utf8_valid_str("\xe2\x82"));		/* cut */
	cr_expect_eq(utf8_chars("aé€😀"), 4);
	utf8_copy(o, sizeof(o), "a\xffé");
	cr_expect_str_eq(o, "a?é");
	utf8_copy(o, sizeof(o), "abcdeé");		/* just fits */
	cr_expect_str_eq(o, "abcdeé");
	utf8_copy(o, sizeof(o), "abcdefé");		/* é does not fit */
	cr_expect_str_eq(o, "abcdef");
	utf8_copy(o, sizeof(o), "abcde€");
	cr_expect_str_eq(o, "abcde");
	/* By length: a NUL is a character, a sequence cut by the length is
	 * not one, and a lead byte at the end reads nothing beyond it. */
	cr_expect(utf8_valid("a\0b", 3));
	cr_expect(!utf8_valid("\xe2\x82\xac", 2));
	cr_expect(utf8_valid("\xe2\x82\xac", 3));
	cr_expect(!utf8_valid("a\xf0", 2));
	cr_expect(!utf8_valid("\x80", 1));		/* no lead */
	cr_expect(!utf8_valid("\xf5\x80\x80\x80", 4));
}
