/*
 * policyload: the policy cache and its loading; see policyload.h.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/child.h"
#include "common/log.h"
#include "policyd/db.h"
#include "policyd/policyload.h"
#include "policyd/statements.h"

/* Who seeds the domains table from the configuration. */
#define SEED_ACTOR	"policyd"

/* Somebody who waits for the next load to end (policyload_changed). */
struct waiter {
	struct waiter		*next;
	void			(*cb)(void *);
	void			*arg;
};

static struct {
	struct child		*c;
	struct event		*poll;
	struct policy_set	*cur;		/* the last complete load */
	int			 trusted;	/* cur may decide ... */
	uint64_t		 cur_conn;	/* ... on this connection */
	/* the load in progress */
	int			 loading;
	int			 again;		/* load again when done */
	uint64_t		 load_conn;
	struct policy_set	*next;
	/* Waiting for the load after the current one, and for it. */
	struct waiter		*waiting_next;
	struct waiter		*waiting_load;
	int			 seeded;	/* tried on this connection */
	int			 failing;	/* a failure was logged */
	int			 conf_differs;	/* and was logged */
} pl;

static void	load_start(void);

const struct policy_set *
policyload_current(void)
{
	/* Straight from db.c, not from the state hook, which hears of a
	 * reconnection a moment later. */
	return pl.trusted && pl.cur_conn == db_connection() ? pl.cur : NULL;
}

static void __attribute__((format(printf, 1, 2)))
load_fail(const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Once per streak of failures, then quietly until one succeeds. */
	if (!pl.failing)
		log_warnx("policy: cannot load: %s", msg);
	else
		log_debug("policy: cannot load: %s", msg);
	pl.failing = 1;
}

static void
notify(struct waiter **list)
{
	struct waiter	*w;

	while ((w = *list) != NULL) {
		*list = w->next;
		w->cb(w->arg);
		free(w);
	}
}

/* The load ended: LOAD_OK, LOAD_FAILED, or LOAD_AGAIN (what it read may
 * mix two states, or came over a connection that has gone: its waiters
 * wait for the next load). */
enum { LOAD_OK, LOAD_FAILED, LOAD_AGAIN };

static void
load_end(int how)
{
	struct waiter	**tail;

	pl.loading = 0;
	if (how != LOAD_OK) {
		policy_set_free(pl.next);
		pl.next = NULL;
	}
	/* A lost connection untrusts by itself (state hook); any other
	 * failure leaves no policy that is the database's. */
	if (how == LOAD_FAILED && db_up())
		pl.trusted = 0;
	if (how == LOAD_AGAIN) {
		for (tail = &pl.waiting_load; *tail != NULL;
		    tail = &(*tail)->next)
			;
		*tail = pl.waiting_next;
		pl.waiting_next = pl.waiting_load;
		pl.waiting_load = NULL;
		pl.again = 1;
	} else
		notify(&pl.waiting_load);
	if (pl.again) {
		pl.again = 0;
		load_start();
	}
}

static int64_t
num(const PGresult *res, int row, int col)
{
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static int
boolean(const PGresult *res, int row, int col)
{
	return PQgetvalue(res, row, col)[0] == 't';
}

static int
wrong_shape(const struct db_result *r, int ncols, const char *what)
{
	if (r->status == DB_UNAVAILABLE) {
		/* The connection's own log says so; the next one loads. */
		log_debug("policy: load interrupted: %s: %s", what, r->error);
		return 1;
	}
	if (r->status != DB_OK) {
		load_fail("%s: %s", what, r->error);
		return 1;
	}
	if (PQnfields(r->res) != ncols) {
		load_fail("%s: unexpected columns", what);
		return 1;
	}
	return 0;
}

/* Seeding answered: load again if it added domains. */
static void
seeded(const struct db_result *r, void *arg)
{
	(void)arg;
	if (r->status != DB_OK) {
		log_warnx("policy: could not seed the internal domains from "
		    "the configuration: %s", r->error);
		return;
	}
	if (PQntuples(r->res) > 0) {
		log_info("policy: %d internal domain%s from the configuration "
		    "added to the database, which keeps the list from now on",
		    PQntuples(r->res), PQntuples(r->res) == 1 ? "" : "s");
		policyload_changed(NULL, NULL);
	} else
		log_warnx("policy: the configuration's internal domains were "
		    "not added: the database's list was managed before (or "
		    "another gateway just seeded it); while it is empty no "
		    "recipient is internal and no mail is outgoing");
}

static void
seed(void)
{
	const struct pgpmg_conf	*conf = &pl.c->conf;
	const char		*v[2];
	char			*list;
	size_t			 len = 1, off = 0;

	for (size_t i = 0; i < conf->n_internal_domains; i++)
		len += strlen(conf->internal_domains[i]) + 1;
	if ((list = malloc(len)) == NULL)
		fatal("seed");
	for (size_t i = 0; i < conf->n_internal_domains; i++) {
		size_t n = strlen(conf->internal_domains[i]);

		memcpy(list + off, conf->internal_domains[i], n);
		off += n;
		list[off++] = '\n';
	}
	list[off] = '\0';
	v[0] = SEED_ACTOR;
	v[1] = list;
	db_query(STMT_DOMAINS_SEED, 2, v, NULL, NULL, seeded, NULL);
	free(list);
}

/* Log once when the configuration's list is not the database's. */
static void
compare_conf(const struct policy_set *p)
{
	const struct pgpmg_conf	*conf = &pl.c->conf;
	int			 differs = conf->n_internal_domains !=
				    p->ndomains;

	for (size_t i = 0; !differs && i < conf->n_internal_domains; i++)
		differs = !policy_domain_internal(p, conf->internal_domains[i]);
	if (differs && !pl.conf_differs && conf->n_internal_domains > 0)
		log_info("policy: the internal domains are the database's "
		    "(%zu, pgpmgctl domain list); the configuration's "
		    "internal-domain lines differ and are not used", p->ndomains);
	pl.conf_differs = differs;
}

static void
loaded_generation(const struct db_result *r, void *arg)
{
	struct policy_set	*p = pl.next;
	char			 err[256];

	(void)arg;
	if (wrong_shape(r, 1, "generation") || PQntuples(r->res) != 1) {
		load_end(LOAD_FAILED);
		return;
	}
	if (num(r->res, 0, 0) != p->generation) {
		/* Something changed while we read: what we have may mix
		 * two states.  Read again. */
		log_debug("policy: changed during the load; again");
		load_end(LOAD_AGAIN);
		return;
	}
	if (policy_set_finish(p, err, sizeof(err)) == -1) {
		load_fail("%s", err);
		load_end(LOAD_FAILED);
		return;
	}
	if (pl.load_conn != db_connection()) {
		/* Loaded over a connection that has gone since. */
		load_end(LOAD_AGAIN);
		return;
	}
	policy_set_free(pl.cur);
	pl.cur = p;
	pl.next = NULL;
	pl.trusted = 1;
	pl.cur_conn = pl.load_conn;
	if (pl.failing)
		log_info("policy: loaded again after the failure");
	pl.failing = 0;
	log_info("policy: generation %" PRId64 " "
	    "loaded: mode %s, missing-key %s, %zu rules, %zu internal "
	    "domains", p->generation, pol_mode_name(p->mode),
	    pol_missing_name(p->missing), p->nrules[0] + p->nrules[1],
	    p->ndomains);
	if (p->ndomains == 0 && !pl.seeded &&
	    pl.c->conf.n_internal_domains > 0) {
		pl.seeded = 1;
		seed();
	} else
		compare_conf(p);
	load_end(LOAD_OK);
}

static void
loaded_domains(const struct db_result *r, void *arg)
{
	char	 err[256];

	(void)arg;
	if (wrong_shape(r, 1, "domains")) {
		load_end(LOAD_FAILED);
		return;
	}
	if (PQntuples(r->res) > POLICY_MAX_DOMAINS) {
		load_fail("more than %d internal domains",
		    POLICY_MAX_DOMAINS);
		load_end(LOAD_FAILED);
		return;
	}
	for (int i = 0; i < PQntuples(r->res); i++)
		if (policy_set_add_domain(pl.next, PQgetvalue(r->res, i, 0),
		    err, sizeof(err)) == -1) {
			load_fail("%s", err);
			load_end(LOAD_FAILED);
			return;
		}
	db_query(STMT_POLICY_GENERATION, 0, NULL, NULL, NULL,
	    loaded_generation, NULL);
}

static void
loaded_rules(const struct db_result *r, void *arg)
{
	const char	*v[1];
	char		 err[256], limit[16];
	int		 scope, mode, missing;

	(void)arg;
	if (wrong_shape(r, 6, "rules")) {
		load_end(LOAD_FAILED);
		return;
	}
	if (PQntuples(r->res) > POLICY_MAX_RULES) {
		load_fail("more than %d rules", POLICY_MAX_RULES);
		load_end(LOAD_FAILED);
		return;
	}
	for (int i = 0; i < PQntuples(r->res); i++) {
		missing = POL_MISSING_GLOBAL;
		if (pol_scope_parse(PQgetvalue(r->res, i, 1), &scope) == -1 ||
		    pol_mode_parse(PQgetvalue(r->res, i, 4), &mode) == -1 ||
		    (!PQgetisnull(r->res, i, 5) &&
		    pol_missing_parse(PQgetvalue(r->res, i, 5), &missing) ==
		    -1)) {
			load_fail("rule %s: unknown scope, action or "
			    "missing-key", PQgetvalue(r->res, i, 0));
			load_end(LOAD_FAILED);
			return;
		}
		if (policy_set_add_rule(pl.next, num(r->res, i, 0), scope,
		    PQgetvalue(r->res, i, 2), (int)num(r->res, i, 3), mode,
		    missing, err, sizeof(err)) == -1) {
			load_fail("%s", err);
			load_end(LOAD_FAILED);
			return;
		}
	}
	snprintf(limit, sizeof(limit), "%d", POLICY_MAX_DOMAINS + 1);
	v[0] = limit;
	db_query(STMT_DOMAINS_LOAD, 1, v, NULL, NULL, loaded_domains, NULL);
}

static void
loaded_policy(const struct db_result *r, void *arg)
{
	const PGresult	*res = r->res;
	const char	*v[1];
	char		 limit[16];
	int		 mode, missing;

	(void)arg;
	if (wrong_shape(r, 8, "policy")) {
		load_end(LOAD_FAILED);
		return;
	}
	if (PQntuples(res) != 1 ||
	    pol_mode_parse(PQgetvalue(res, 0, 0), &mode) == -1 ||
	    pol_missing_parse(PQgetvalue(res, 0, 2), &missing) == -1 ||
	    policy_set_global(pl.next, mode, PQgetvalue(res, 0, 1), missing,
	    boolean(res, 0, 3), boolean(res, 0, 4), boolean(res, 0, 5)) ==
	    -1) {
		load_fail("the policy row is missing or has a value "
		    "policyd does not know");
		load_end(LOAD_FAILED);
		return;
	}
	pl.next->version = num(res, 0, 6);
	pl.next->generation = num(res, 0, 7);
	snprintf(limit, sizeof(limit), "%d", POLICY_MAX_RULES + 1);
	v[0] = limit;
	db_query(STMT_RULES_LOAD, 1, v, NULL, NULL, loaded_rules, NULL);
}

static void
load_start(void)
{
	if (pl.loading) {
		pl.again = 1;
		return;
	}
	if (!db_up()) {
		/* No load now: the next connection makes one. */
		notify(&pl.waiting_next);
		return;
	}
	if ((pl.next = policy_set_new()) == NULL)
		fatal("policy");
	pl.loading = 1;
	pl.again = 0;
	pl.load_conn = db_connection();
	pl.waiting_load = pl.waiting_next;
	pl.waiting_next = NULL;
	db_query(STMT_POLICY_LOAD, 0, NULL, NULL, NULL, loaded_policy, NULL);
}

void
policyload_changed(void (*cb)(void *), void *arg)
{
	struct waiter	*w, **tail;

	if (cb != NULL) {
		if ((w = calloc(1, sizeof(*w))) == NULL)
			fatal("policyload");
		w->cb = cb;
		w->arg = arg;
		for (tail = &pl.waiting_next; *tail != NULL;
		    tail = &(*tail)->next)
			;
		*tail = w;
	}
	load_start();
}

static void
polled(const struct db_result *r, void *arg)
{
	(void)arg;
	if (r->status != DB_OK || PQntuples(r->res) != 1 ||
	    PQnfields(r->res) != 1)
		return;		/* the next poll, or the state hook */
	if (!pl.trusted || pl.cur == NULL ||
	    num(r->res, 0, 0) != pl.cur->generation)
		load_start();
}

static void
poll_tick(int fd, short ev, void *arg)
{
	(void)fd; (void)ev; (void)arg;
	if (db_up() && !pl.loading)
		db_query(STMT_POLICY_GENERATION, 0, NULL, NULL, NULL, polled,
		    NULL);
}

static void
policyload_db_state(enum db_state state, void *arg)
{
	(void)arg;
	if (state != DB_STATE_UP) {
		if (pl.trusted)
			log_info("policy: database unavailable: every plan "
			    "is answered tempfail until it is back");
		pl.trusted = 0;
		return;
	}
	/* A new connection: nothing is trusted before a load on it. */
	pl.trusted = 0;
	pl.seeded = 0;
	load_start();
}

void
policyload_init(struct child *c)
{
	struct timeval	 tv = { POLICYLOAD_POLL_MS / 1000,
			    (POLICYLOAD_POLL_MS % 1000) * 1000 };

	pl.c = c;
	db_add_state_hook(policyload_db_state, NULL);
	if ((pl.poll = event_new(c->base, -1, EV_PERSIST, poll_tick, NULL)) ==
	    NULL || event_add(pl.poll, &tv) == -1)
		fatalx("policyload: event");
}
