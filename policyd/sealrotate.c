/*
 * sealrotate: re-sealing pgpmg.secrets under the first key of
 * policyd-key-file, on two timers of policyd's loop; see sealrotate.h.
 * A run reads a page, sends one statement per row it could re-seal, and
 * reads the next page after the last name of this one, until a page
 * comes back short; rows that stay under an old key (they did not open)
 * are therefore passed over, not read again and again within a run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/child.h"
#include "common/log.h"
#include "policyd/audit.h"
#include "policyd/db.h"
#include "policyd/sealrotate.h"
#include "policyd/secrets.h"
#include "policyd/statements.h"

/* One row's statement on its way, for the log. */
struct sr_row {
	char	 name[SECRETS_NAME_MAX + 1];
	char	 from[SEAL_KEYID_LEN + 1];
};

static struct {
	struct child	*c;
	struct event	*tick;		/* every housekeeping-interval */
	struct event	*after_up;	/* once after the connection came up */
	int		 running;
	int		 paging;	/* a page's query not answered */
	int		 pending;	/* rows' statements not answered */
	char		 after[SECRETS_NAME_MAX + 1];	/* last name read */
	unsigned	 resealed, left;
} sr;

static void
sr_done(void)
{
	if (!sr.running || sr.paging || sr.pending > 0)
		return;
	sr.running = 0;
	if (sr.resealed > 0 || sr.left > 0)
		log_info("secrets: rotation: %u value%s re-sealed under key "
		    "%s, %u left under other keys", sr.resealed,
		    sr.resealed == 1 ? "" : "s",
		    secrets_keyring()->keys[0].id, sr.left);
}

static void
sr_rotated(const struct db_result *r, void *arg)
{
	struct sr_row	*row = arg;

	sr.pending--;
	if (r->status != DB_OK) {
		log_warnx("secrets: re-sealing %s failed: %s; tried again at "
		    "the next run", row->name, r->error);
		sr.left++;
	} else if (PQntuples(r->res) != 1 || PQnfields(r->res) != 2) {
		/* Not an error: it changed after it was read. */
		log_info("secrets: %s changed while it was being re-sealed; "
		    "left to the next run", row->name);
		sr.left++;
	} else {
		log_info("secrets: %s re-sealed from key %s to key %s (audit "
		    "row %s)", row->name, row->from,
		    secrets_keyring()->keys[0].id, PQgetvalue(r->res, 0, 1));
		sr.resealed++;
	}
	free(row);
	sr_done();
}

/* One row read: re-seal it, or say why it stays. */
static void
sr_row(const char *name, const char *hex, size_t hexlen)
{
	struct sr_row	*row;
	unsigned char	*blob, *out = NULL;
	char		 why[128], *newhex;
	const char	*v[5];
	size_t		 bloblen, outlen = 0;
	int		 rc;

	if ((row = calloc(1, sizeof(*row))) == NULL)
		fatal("secrets");
	snprintf(row->name, sizeof(row->name), "%s", name);
	if ((blob = secrets_blob_from_hex(hex, hexlen, &bloblen)) == NULL)
		rc = SEAL_E_FORMAT;
	else if ((rc = seal_blob_key_id(blob, bloblen, row->from)) ==
	    SEAL_OK) {
		/* The same value: the same length. */
		if ((out = malloc(bloblen)) == NULL)
			fatal("secrets");
		rc = secrets_reseal(row->name, blob, bloblen, out, bloblen,
		    &outlen);
	}
	if (rc != SEAL_OK) {
		secrets_describe(rc, blob, bloblen, why, sizeof(why));
		log_warnx("secrets: %s cannot be re-sealed under key %s: it "
		    "does not open: %s; it is left as it is (put its key back "
		    "into policyd-key-file, or delete the row to have a new "
		    "value made)", row->name, secrets_keyring()->keys[0].id,
		    why);
		sr.left++;
		free(out);
		free(blob);
		free(row);
		return;
	}
	newhex = secrets_blob_to_hex(out, outlen);
	v[0] = row->name;
	v[1] = hex;
	v[2] = secrets_keyring()->keys[0].id;
	v[3] = newhex;
	v[4] = row->from;
	sr.pending++;
	audit_query(STMT_SECRET_ROTATE, 5, v, sr_rotated, row);
	free(newhex);
	free(out);
	free(blob);
}

static void	sr_page(void);

static void
sr_paged(const struct db_result *r, void *arg)
{
	const char	*name;
	int		 n;

	(void)arg;
	sr.paging = 0;
	if (r->status != DB_OK) {
		log_warnx("secrets: rotation: cannot read pgpmg.secrets: %s; "
		    "tried again at the next run", r->error);
		sr_done();
		return;
	}
	if (PQnfields(r->res) != 2) {
		log_warnx("secrets: rotation: an answer of %d columns",
		    PQnfields(r->res));
		sr_done();
		return;
	}
	n = PQntuples(r->res);
	for (int i = 0; i < n; i++) {
		name = PQgetvalue(r->res, i, 0);
		/* The schema bounds a name; a longer one is not ours. */
		if (strlen(name) > SECRETS_NAME_MAX) {
			log_warnx("secrets: rotation: a name of %zu bytes; "
			    "run stopped", strlen(name));
			sr_done();
			return;
		}
		memcpy(sr.after, name, strlen(name) + 1);
		sr_row(name, PQgetvalue(r->res, i, 1),
		    (size_t)PQgetlength(r->res, i, 1));
	}
	if (n == SEALROTATE_PAGE)
		sr_page();
	else
		sr_done();
}

static void
sr_page(void)
{
	const char	*v[3];
	char		 limit[16];

	snprintf(limit, sizeof(limit), "%d", SEALROTATE_PAGE);
	v[0] = secrets_keyring()->keys[0].id;
	v[1] = sr.after;
	v[2] = limit;
	sr.paging = 1;
	db_query(STMT_SECRETS_STALE, 3, v, NULL, NULL, sr_paged, NULL);
}

static void
sr_run(const char *why)
{
	if (!db_up())
		return;
	if (sr.running) {
		log_debug("secrets: rotation still going; the run of the %s "
		    "is skipped", why);
		return;
	}
	log_debug("secrets: rotation: run of the %s", why);
	sr.running = 1;
	sr.after[0] = '\0';
	sr.resealed = sr.left = 0;
	sr_page();
}

static void
sr_tick(int fd, short ev, void *arg)
{
	(void)fd; (void)ev; (void)arg;
	sr_run("interval");
}

static void
sr_after_up(int fd, short ev, void *arg)
{
	(void)fd; (void)ev; (void)arg;
	sr_run("new connection");
}

static void
sealrotate_db_state(enum db_state state, void *arg)
{
	struct timeval	 tv = { SEALROTATE_AFTER_UP_MS / 1000,
			    (SEALROTATE_AFTER_UP_MS % 1000) * 1000 };

	(void)arg;
	/* A restart with a new first key is when there is work: do it
	 * then, not up to an interval later. */
	if (state == DB_STATE_UP) {
		if (evtimer_add(sr.after_up, &tv) == -1)
			fatalx("secrets: evtimer_add");
	} else
		evtimer_del(sr.after_up);
}

void
sealrotate_init(struct child *c)
{
	struct timeval	 tv = { (time_t)c->conf.housekeeping_interval, 0 };

	sr.c = c;
	if ((sr.after_up = evtimer_new(c->base, sr_after_up, NULL)) == NULL ||
	    (sr.tick = event_new(c->base, -1, EV_PERSIST, sr_tick, NULL)) ==
	    NULL || event_add(sr.tick, &tv) == -1)
		fatalx("secrets: rotation event");
	db_add_state_hook(sealrotate_db_state, NULL);
}
