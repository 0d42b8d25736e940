/*
 * auditverify: the console's AUDIT_CHAIN, the check `pgpmgctl audit
 * verify` makes (pgpmgctl/audit.c), made by policyd with its read-only
 * grant on pgpmg.audit_log: every row's hash recomputed here from its
 * canonical form (common/auditchain.c, OpenSSL's SHA-256), the ids in
 * sequence from 1, each prev_hash the hash of the row before.  Nothing
 * the database computes about the chain is taken on trust; it supplies
 * the stored columns, the time as exact microseconds (numeric
 * arithmetic, not its text formatting).  The answer is one line:
 * "ok\tROWS\tLAST-ID", or "broken\tID\tWHY" for the first bad row, WHY
 * worded as pgpmgctl words it.
 *
 * The log grows without end, and policyd's loop is the mail's: the rows
 * come AUDIT_CHUNK_ROWS at a time, each chunk one query in db.c's queue
 * behind whatever plans and results wait, and each hashed on the loop
 * within bounds (AUDIT_CHUNK_ROWS rows of at most 68 KiB each: some
 * milliseconds at worst, well under one for the usual rows of a few
 * hundred bytes).  Between chunks the loop serves everything else.  One
 * check runs at a time; another is answered BUSY.  What a chain cannot
 * show (rows cut off its end, everything from some row on rewritten with
 * new hashes) it does not show here either: `pgpmgctl audit verify -a`
 * is for that.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/auditchain.h"
#include "common/log.h"
#include "common/msg.h"
#include "policyd/admin_internal.h"
#include "policyd/console_op.h"
#include "policyd/db.h"
#include "policyd/statements.h"

/* Rows a query fetches: a chunk of the usual rows is a few hundred KiB,
 * and even one of rows at the table's bounds (actor 400, subject 2000,
 * details 64 KiB) stays below 9 MiB. */
#define AUDIT_CHUNK_ROWS	128

enum { C_ID, C_AT, C_ACTOR, C_KIND, C_SUBJECT, C_DETAILS, C_PREV, C_HASH,
    C_N };

struct chain {
	struct admin_req	*q;
	int64_t			 expect;	/* the next row's id */
	int64_t			 rows;
	unsigned char		 prev[AUDIT_HASH_LEN];	/* the last hash */
	/* A row whose contents did not hash to its stored hash: the next
	 * row tells whether its contents or its hash were replaced. */
	int			 suspect;
	int64_t			 suspect_id;
	unsigned char		 suspect_hash[AUDIT_HASH_LEN];
};

/* The one check running, or NULL. */
static struct chain	*running;

static void	chunk_ask(struct chain *);

static void
chain_end(struct chain *ch, const char *verdict)
{
	struct admin_req	*q = ch->q;

	running = NULL;
	free(ch);
	admin_print(q, "%s\n", verdict);
	admin_finish(q, ADMIN_E_OK, "");
}

static void
broken(struct chain *ch, int64_t id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
broken(struct chain *ch, int64_t id, const char *fmt, ...)
{
	va_list	 ap;
	char	 why[512], line[600];

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "broken\t%" PRId64 "\t%s", id, why);
	log_warnx("audit chain: broken at row %" PRId64 ": %s", id, why);
	chain_end(ch, line);
}

static void
feed_sha256(void *ctx, const void *buf, size_t len)
{
	EVP_DigestUpdate(ctx, buf, len);
}

/* 64 hex digits into 32 bytes; -1 when they are not. */
static int
unhex(const char *s, int len, unsigned char *out)
{
	unsigned	 v;

	if (len != 2 * AUDIT_HASH_LEN)
		return -1;
	for (int i = 0; i < AUDIT_HASH_LEN; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

/* 1 when row's canonical form hashes to hash, 0 when not (or it has
 * none: a time out of range). */
static int
hash_ok(const struct audit_row *row, const unsigned char *hash)
{
	EVP_MD_CTX	*ctx;
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	int		 ok = 0;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		fatalx("audit chain: EVP_MD_CTX_new");
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		fatalx("audit chain: SHA-256");
	if (audit_canonical(row, feed_sha256, ctx) == 0) {
		if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 ||
		    mdlen != AUDIT_HASH_LEN)
			fatalx("audit chain: SHA-256");
		ok = memcmp(md, hash, AUDIT_HASH_LEN) == 0;
	}
	EVP_MD_CTX_free(ctx);
	return ok;
}

/* The suspect row's verdict, from the row after it (NULL: none). */
static void
suspect_judged(struct chain *ch, const unsigned char *next_prev,
    int64_t next_id)
{
	if (next_prev == NULL)
		broken(ch, ch->suspect_id, "its contents or its stored hash "
		    "were altered (they do not match; it is the last row)");
	else if (memcmp(next_prev, ch->suspect_hash, AUDIT_HASH_LEN) == 0)
		broken(ch, ch->suspect_id, "its contents were altered (they "
		    "do not hash to its stored hash, to which row %" PRId64
		    " is chained)", next_id);
	else
		broken(ch, ch->suspect_id, "its stored hash was replaced (it "
		    "matches neither its contents nor the prev_hash of the "
		    "next row)");
}

/* Row i of res: 0 when it is good, -1 when the check is over. */
static int
row_check(struct chain *ch, const PGresult *res, int i)
{
	struct audit_row	 row;
	unsigned char		 prev[AUDIT_HASH_LEN], hash[AUDIT_HASH_LEN];
	char			*end;
	int64_t			 id, at;

	memset(&row, 0, sizeof(row));
	id = strtoll(PQgetvalue(res, i, C_ID), &end, 10);
	for (int c = 0; c < C_N; c++)
		if (PQgetisnull(res, i, c)) {
			broken(ch, id, "a column is NULL");
			return -1;
		}
	if (unhex(PQgetvalue(res, i, C_PREV), PQgetlength(res, i, C_PREV),
	    prev) == -1 || unhex(PQgetvalue(res, i, C_HASH),
	    PQgetlength(res, i, C_HASH), hash) == -1) {
		broken(ch, id, "a column has the wrong size (prev_hash and "
		    "hash %d bytes)", AUDIT_HASH_LEN);
		return -1;
	}
	if (ch->suspect) {
		suspect_judged(ch, prev, id);
		return -1;
	}
	if (id != ch->expect) {
		if (ch->expect == 1)
			broken(ch, 1, "missing (deleted): the first row is %"
			    PRId64, id);
		else
			broken(ch, ch->expect, "missing (deleted): row %"
			    PRId64 " follows row %" PRId64, id,
			    ch->expect - 1);
		return -1;
	}
	at = strtoll(PQgetvalue(res, i, C_AT), &end, 10);
	row.id = id;
	row.at_us = at;
	row.actor = PQgetvalue(res, i, C_ACTOR);
	row.actor_len = (size_t)PQgetlength(res, i, C_ACTOR);
	row.kind = PQgetvalue(res, i, C_KIND);
	row.kind_len = (size_t)PQgetlength(res, i, C_KIND);
	row.subject = PQgetvalue(res, i, C_SUBJECT);
	row.subject_len = (size_t)PQgetlength(res, i, C_SUBJECT);
	row.details = PQgetvalue(res, i, C_DETAILS);
	row.details_len = (size_t)PQgetlength(res, i, C_DETAILS);
	row.prev_hash = prev;
	if (!hash_ok(&row, hash)) {
		char	 t[AUDIT_TIME_LEN + 1];

		if (audit_time_format(at, t) == -1) {
			broken(ch, id, "its time is out of range (altered)");
			return -1;
		}
		ch->suspect = 1;
		ch->suspect_id = id;
		memcpy(ch->suspect_hash, hash, AUDIT_HASH_LEN);
		return 0;
	}
	if (memcmp(prev, ch->prev, AUDIT_HASH_LEN) != 0) {
		if (id == 1)
			broken(ch, 1, "its prev_hash is not all zero "
			    "(altered)");
		else
			broken(ch, id, "its prev_hash is not the hash of row %"
			    PRId64 " (row %" PRId64 " was rewritten with a new "
			    "hash, or this row's prev_hash was altered)",
			    id - 1, id - 1);
		return -1;
	}
	memcpy(ch->prev, hash, AUDIT_HASH_LEN);
	ch->expect++;
	ch->rows++;
	return 0;
}

static void
chunk_read(const struct db_result *r, void *arg)
{
	struct chain	*ch = arg;
	struct admin_req *q = ch->q;
	char		 line[128];
	int		 n;

	if (r->status != DB_OK || !admin_rows(r, C_N)) {
		running = NULL;
		free(ch);
		if (r->status != DB_OK)
			admin_db_error(q, r, 0, NULL);
		else
			admin_fail(q, ADMIN_E_FAILED, "unexpected answer");
		return;
	}
	n = PQntuples(r->res);
	for (int i = 0; i < n; i++)
		if (row_check(ch, r->res, i) == -1)
			return;
	if (n == AUDIT_CHUNK_ROWS) {
		chunk_ask(ch);
		return;
	}
	/* The end of the log. */
	if (ch->suspect) {
		suspect_judged(ch, NULL, 0);
		return;
	}
	snprintf(line, sizeof(line), "ok\t%" PRId64 "\t%" PRId64, ch->rows,
	    ch->expect - 1);
	log_info("audit chain: %" PRId64 " rows, ok (asked by %s)", ch->rows,
	    q->actor);
	chain_end(ch, line);
}

static void
chunk_ask(struct chain *ch)
{
	const char	*v[2];
	char		 after[24], limit[16];

	/* After the suspect row, the one that judges it. */
	snprintf(after, sizeof(after), "%" PRId64, ch->suspect ?
	    ch->suspect_id : ch->expect - 1);
	snprintf(limit, sizeof(limit), "%d", AUDIT_CHUNK_ROWS);
	v[0] = after;
	v[1] = limit;
	db_query(STMT_AUDIT_CHUNK, 2, v, NULL, NULL, chunk_read, ch);
}

void
console_audit_chain(struct admin_req *q)
{
	struct chain	*ch;

	if (running != NULL) {
		console_op_fail(q, CONSOLE_E_BUSY, "the chain is being checked "
		    "already: try again when that is done");
		return;
	}
	if ((ch = calloc(1, sizeof(*ch))) == NULL)
		fatal("audit chain");
	ch->q = q;
	ch->expect = 1;
	memcpy(ch->prev, audit_genesis, AUDIT_HASH_LEN);
	running = ch;
	chunk_ask(ch);
}
