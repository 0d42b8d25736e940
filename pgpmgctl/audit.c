/*
 * audit verify: read pgpmg.audit_log in id order and check the chain
 * without trusting the database's functions: every row's hash is
 * recomputed here (common/auditchain.c, OpenSSL's SHA-256) from the stored
 * columns, fetched in binary (the time as PostgreSQL's integer
 * microseconds, the text as its bytes), one row at a time.
 *
 * A row is good when its id is the previous id plus one (the first is 1),
 * its prev_hash is the previous row's hash (32 zero bytes for row 1), and
 * its hash is the SHA-256 of its canonical form.  The first bad row is
 * named with what differs, and the exit status is EXIT_CHAIN.  It needs
 * SELECT on the table only: database-admin by default, -c for another
 * role (policyd's will do).
 *
 * A chain cannot show that its newest rows were cut off, or that everything
 * from some row on was rewritten with fresh hashes.  So verify ends by
 * printing the last row's id and hash; -a ID:HASH, from an earlier run
 * (kept somewhere the database's owner cannot write), checks that row ID
 * still exists with that hash.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/evp.h>

#include "common/auditchain.h"
#include "common/config.h"
#include "pgpmgctl/pgpmgctl.h"

#define AUDIT_QUERY	"SELECT id, \"at\", actor, kind, subject, details, " \
			"prev_hash, hash FROM pgpmg.audit_log ORDER BY id"
#define AUDIT_NCOLS	8

enum { C_ID, C_AT, C_ACTOR, C_KIND, C_SUBJECT, C_DETAILS, C_PREV, C_HASH };

static const char *const colname[AUDIT_NCOLS] = { "id", "at", "actor",
    "kind", "subject", "details", "prev_hash", "hash" };

/* One row as fetched; the pointers are into its PGresult. */
struct vrow {
	struct audit_row	 r;
	int64_t			 pg_at;
	const unsigned char	*hash;
	int			 bad_time;	/* no canonical form */
};

static int64_t
be64(const char *p)
{
	uint64_t	 v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | (unsigned char)p[i];
	return (int64_t)v;
}

static void
feed_sha256(void *ctx, const void *buf, size_t len)
{
	EVP_DigestUpdate(ctx, buf, len);
}

/* Fill v from row 0 of res; -1 after saying what is malformed. */
static int
vrow_parse(const PGresult *res, struct vrow *v)
{
	int64_t		 id;

	memset(v, 0, sizeof(*v));
	if (PQnfields(res) != AUDIT_NCOLS) {
		ctl_warnx("audit verify: %d columns, not %d", PQnfields(res),
		    AUDIT_NCOLS);
		return -1;
	}
	id = PQgetlength(res, 0, C_ID) == 8 && !PQgetisnull(res, 0, C_ID) ?
	    be64(PQgetvalue(res, 0, C_ID)) : 0;
	for (int c = 0; c < AUDIT_NCOLS; c++)
		if (PQgetisnull(res, 0, c)) {
			printf("audit chain: broken at row %" PRId64 ": %s is "
			    "NULL\n", id, colname[c]);
			return -1;
		}
	if (PQgetlength(res, 0, C_ID) != 8 || PQgetlength(res, 0, C_AT) != 8 ||
	    PQgetlength(res, 0, C_PREV) != AUDIT_HASH_LEN ||
	    PQgetlength(res, 0, C_HASH) != AUDIT_HASH_LEN) {
		printf("audit chain: broken at row %" PRId64 ": a column has "
		    "the wrong size (id and at 8 bytes, prev_hash and hash "
		    "%d)\n", id, AUDIT_HASH_LEN);
		return -1;
	}
	v->r.id = id;
	v->pg_at = be64(PQgetvalue(res, 0, C_AT));
	/* infinity and -infinity are INT64_MAX and INT64_MIN. */
	if (v->pg_at > INT64_MAX - AUDIT_PG_EPOCH_US)
		v->bad_time = 1;
	else
		v->r.at_us = v->pg_at + AUDIT_PG_EPOCH_US;
	v->r.actor = PQgetvalue(res, 0, C_ACTOR);
	v->r.actor_len = (size_t)PQgetlength(res, 0, C_ACTOR);
	v->r.kind = PQgetvalue(res, 0, C_KIND);
	v->r.kind_len = (size_t)PQgetlength(res, 0, C_KIND);
	v->r.subject = PQgetvalue(res, 0, C_SUBJECT);
	v->r.subject_len = (size_t)PQgetlength(res, 0, C_SUBJECT);
	v->r.details = PQgetvalue(res, 0, C_DETAILS);
	v->r.details_len = (size_t)PQgetlength(res, 0, C_DETAILS);
	v->r.prev_hash = (const unsigned char *)PQgetvalue(res, 0, C_PREV);
	v->hash = (const unsigned char *)PQgetvalue(res, 0, C_HASH);
	return 0;
}

/* 1 when the row's contents hash to its stored hash, 0 when not, -1. */
static int
vrow_hash_ok(const struct vrow *v)
{
	EVP_MD_CTX	*ctx;
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	int		 ok = -1;

	if (v->bad_time)
		return 0;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	if (audit_canonical(&v->r, feed_sha256, ctx) == -1) {
		ok = 0;
		goto out;
	}
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != AUDIT_HASH_LEN)
		goto out;
	ok = memcmp(md, v->hash, AUDIT_HASH_LEN) == 0;
 out:
	EVP_MD_CTX_free(ctx);
	return ok;
}

/* The next row: 1 with *res holding it, 0 at the end, -1 on error. */
static int
next_row(PGconn *conn, PGresult **res)
{
	PGresult	*r;

	*res = NULL;
	if ((r = PQgetResult(conn)) == NULL) {
		ctl_warnx("audit verify: the query ended without a status");
		return -1;
	}
	switch (PQresultStatus(r)) {
	case PGRES_SINGLE_TUPLE:
		*res = r;
		return 1;
	case PGRES_TUPLES_OK:
		PQclear(r);
		return 0;
	default:
		ctl_db_error("reading pgpmg.audit_log", r);
		PQclear(r);
		return -1;
	}
}

/* ID:HASH, 64 hex digits; -1 when malformed. */
static int
parse_anchor(const char *s, int64_t *id, char hex[2 * AUDIT_HASH_LEN + 1])
{
	const char	*colon = strchr(s, ':');
	char		*end;
	long long	 v;

	if (colon == NULL || colon == s || strlen(colon + 1) !=
	    2 * AUDIT_HASH_LEN || s[0] < '1' || s[0] > '9')
		return -1;
	v = strtoll(s, &end, 10);
	if (end != colon || v < 1 || v == LLONG_MAX)
		return -1;
	for (size_t i = 0; i < 2 * AUDIT_HASH_LEN; i++) {
		char c = colon[1 + i];
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -1;
		hex[i] = c;
	}
	hex[2 * AUDIT_HASH_LEN] = '\0';
	*id = v;
	return 0;
}

static void
drain(PGconn *conn)
{
	PGresult	*r;

	/* Abandon the rest: ask the server to stop, then read to the end. */
	PGcancel *c = PQgetCancel(conn);
	if (c != NULL) {
		char err[256];
		(void)PQcancel(c, err, sizeof(err));
		PQfreeCancel(c);
	}
	while ((r = PQgetResult(conn)) != NULL)
		PQclear(r);
}

int
ctl_audit_verify(const struct pgpmg_conf *conf, int argc, char **argv)
{
	PGconn		*conn;
	PGresult	*res = NULL, *next = NULL;
	struct vrow	 v, nv;
	const char	*conninfo = conf->database_admin;
	unsigned char	 prev[AUDIT_HASH_LEN];
	char		 hex[2 * AUDIT_HASH_LEN + 1], at[AUDIT_TIME_LEN + 1];
	char		 anchor_hex[2 * AUDIT_HASH_LEN + 1];
	int64_t		 expect = 1, last_id = 0, n = 0, anchor = 0;
	int		 rc = EXIT_CHAIN, r, ok;

	/* -a ID:HASH first, then the options every database command has. */
	if (argc >= 2 && strcmp(argv[0], "-a") == 0) {
		if (parse_anchor(argv[1], &anchor, anchor_hex) == -1) {
			ctl_warnx("audit verify: -a wants ID:HASH, as verify "
			    "printed it (\"last row ID ..., hash HASH\")");
			return EXIT_USAGE;
		}
		argc -= 2;
		argv += 2;
	}
	if (ctl_db_options(argc, argv, &conninfo, NULL) == -1) {
		fprintf(stderr, "usage: pgpmgctl [-f file] audit verify "
		    "[-a id:hash] [-c conninfo]\n");
		return EXIT_USAGE;
	}
	if ((conn = ctl_db_connect(conninfo)) == NULL)
		return EXIT_USAGE;
	if (PQsendQueryParams(conn, AUDIT_QUERY, 0, NULL, NULL, NULL, NULL,
	    1) != 1 || PQsetSingleRowMode(conn) != 1) {
		ctl_warnx("audit verify: %s", PQerrorMessage(conn));
		PQfinish(conn);
		return EXIT_REFUSED;
	}
	memcpy(prev, audit_genesis, AUDIT_HASH_LEN);
	at[0] = '\0';

	if ((r = next_row(conn, &res)) == -1)
		goto error;
	while (r == 1) {
		if (vrow_parse(res, &v) == -1)
			goto broken;
		if (v.r.id != expect) {
			if (v.r.id > expect && expect == 1)
				printf("audit chain: broken at row 1: missing "
				    "(deleted): the first row is %" PRId64 "\n",
				    v.r.id);
			else if (v.r.id > expect)
				printf("audit chain: broken at row %" PRId64
				    ": missing (deleted): row %" PRId64
				    " follows row %" PRId64 "\n", expect,
				    v.r.id, last_id);
			else
				printf("audit chain: broken at row %" PRId64
				    ": out of sequence after row %" PRId64 "\n",
				    v.r.id, last_id);
			goto broken;
		}
		if ((ok = vrow_hash_ok(&v)) == -1) {
			ctl_warnx("audit verify: SHA-256 failed");
			goto error;
		}
		if (!ok) {
			/* Was the row altered, or its hash?  The next row's
			 * prev_hash is the hash the row had when it was
			 * chained. */
			if (v.bad_time || audit_time_format(v.r.at_us, at) ==
			    -1) {
				printf("audit chain: broken at row %" PRId64
				    ": its time is out of range (altered)\n",
				    v.r.id);
				goto broken;
			}
			if ((r = next_row(conn, &next)) == -1)
				goto error;
			if (r == 1 && vrow_parse(next, &nv) == 0 &&
			    memcmp(nv.r.prev_hash, v.hash, AUDIT_HASH_LEN) == 0)
				printf("audit chain: broken at row %" PRId64
				    ": its contents were altered (they do not "
				    "hash to its stored hash, to which row %"
				    PRId64 " is chained)\n", v.r.id, nv.r.id);
			else if (r == 1)
				printf("audit chain: broken at row %" PRId64
				    ": its stored hash was replaced (it matches "
				    "neither its contents nor the prev_hash of "
				    "the next row)\n", v.r.id);
			else
				printf("audit chain: broken at row %" PRId64
				    ": its contents or its stored hash were "
				    "altered (they do not match; it is the "
				    "last row)\n", v.r.id);
			goto broken;
		}
		if (memcmp(v.r.prev_hash, prev, AUDIT_HASH_LEN) != 0) {
			if (v.r.id == 1)
				printf("audit chain: broken at row 1: its "
				    "prev_hash is not all zero (altered)\n");
			else
				printf("audit chain: broken at row %" PRId64
				    ": its prev_hash is not the hash of row %"
				    PRId64 " (row %" PRId64 " was rewritten "
				    "with a new hash, or this row's prev_hash "
				    "was altered)\n", v.r.id, last_id,
				    last_id);
			goto broken;
		}
		if (v.r.id == anchor) {
			audit_hex(v.hash, AUDIT_HASH_LEN, hex);
			if (strcmp(hex, anchor_hex) != 0) {
				printf("audit chain: broken at row %" PRId64
				    ": not the row of the anchor (its hash is "
				    "%s): the chain was rewritten from here "
				    "or before\n", v.r.id, hex);
				goto broken;
			}
		}
		memcpy(prev, v.hash, AUDIT_HASH_LEN);
		last_id = v.r.id;
		(void)audit_time_format(v.r.at_us, at);
		expect++;
		n++;
		PQclear(res);
		res = NULL;
		r = next_row(conn, &res);
	}
	if (r == -1)
		goto error;
	if (anchor > last_id) {
		printf("audit chain: broken: row %" PRId64 ", the anchor, is "
		    "gone: the log ends at row %" PRId64 " (rows were cut "
		    "off its end)\n", anchor, last_id);
		goto broken;
	}
	printf("audit chain: %" PRId64 " rows, ok\n", n);
	if (n > 0) {
		audit_hex(prev, AUDIT_HASH_LEN, hex);
		printf("last row %" PRId64 " at %s, hash %s\n", last_id, at,
		    hex);
	}
	PQfinish(conn);
	return 0;

 error:
	rc = EXIT_REFUSED;
 broken:
	PQclear(res);
	PQclear(next);
	drain(conn);
	PQfinish(conn);
	if (rc == EXIT_CHAIN)
		printf("audit chain: %" PRId64 " good rows before it\n", n);
	return rc;
}
