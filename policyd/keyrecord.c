/*
 * keyrecord: keyd's inventory (KEY_OP_INVENTORY, keyd/inventory.c) into
 * the record of keys, pgpmg.keys and pgpmg.key_addresses.
 *
 * keyd holds the keys; the tables are their record, for the console, the
 * scheduled jobs and the audit trail.  A sync makes the record match the
 * inventory: every key in it is inserted or brought up to date
 * (STMT_KEYS_UPSERT, in chunks of whole lines below the parameter bound,
 * each stamping its rows with this sync's random id), then every row the
 * sync did not stamp is deleted and the audit row written, in one
 * statement (STMT_KEYS_PRUNE): the operation that caused the sync
 * (generate, import, revoke, delete) is audited with the record that
 * shows it, and a key that left keyd by any other way is audited as
 * deleted.  Nothing is pruned unless every chunk was recorded: a sync cut
 * short leaves stale rows, never missing ones, and the next sync mends
 * them.
 *
 * policyd does not parse the JSON: the database does (json_to_record),
 * checked by the table's constraints.  keyd is trusted with the
 * inventory's form (it comes from keyd's own export), not the database
 * with anything an outsider wrote: addresses reach it only when keyd
 * found them valid, as parameters.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "common/log.h"
#include "common/memfd.h"
#include "policyd/audit.h"
#include "policyd/db.h"
#include "policyd/keyrecord.h"
#include "policyd/statements.h"

/* Room left in a statement's parameters for the chunk. */
#define KEYRECORD_CHUNK		(DB_PARAMS_MAX - 4096)

struct keyrecord {
	char			*buf;		/* the inventory, NUL-ended */
	size_t			 len;
	size_t			 off;		/* next chunk */
	char			 sync[24];	/* this sync's id */
	struct keyrecord_op	 op;
	uint64_t		 added, updated, kept;
	unsigned		 chunks;
	keyrecord_done		 done;
	void			*arg;
};

static void
record_finish(struct keyrecord *kr, int ok, const char *err)
{
	keyrecord_done	 done = kr->done;
	void		*arg = kr->arg;

	if (ok)
		log_info("key record: %" PRIu64 " added, %" PRIu64 " updated%s "
		    "(%u statement%s)", kr->added, kr->updated, kr->kept ?
		    ", some kept as they were" : "", kr->chunks + 1,
		    kr->chunks ? "s" : "");
	free(kr->buf);
	free(kr);
	done(ok, err, arg);
}

static uint64_t
count(const struct db_result *r, int col)
{
	return strtoull(PQgetvalue(r->res, 0, col), NULL, 10);
}

static void
pruned(const struct db_result *r, void *arg)
{
	struct keyrecord	*kr = arg;
	uint64_t		 removed;

	if (r->status != DB_OK || PQntuples(r->res) != 1) {
		record_finish(kr, 0, r->status != DB_OK ? r->error :
		    "unexpected answer");
		return;
	}
	if ((removed = count(r, 0)) > 0)
		log_info("key record: %" PRIu64 " removed", removed);
	record_finish(kr, 1, "");
}

static void	chunk_next(struct keyrecord *);

static void
chunk_done(const struct db_result *r, void *arg)
{
	struct keyrecord	*kr = arg;

	if (r->status != DB_OK || PQntuples(r->res) != 1) {
		record_finish(kr, 0, r->status != DB_OK ? r->error :
		    "unexpected answer");
		return;
	}
	kr->added += count(r, 0);
	kr->updated += count(r, 1);
	kr->kept += count(r, 2);
	chunk_next(kr);
}

static void
chunk_next(struct keyrecord *kr)
{
	const char	*v[7];
	size_t		 end;

	if (kr->off >= kr->len) {
		v[0] = kr->sync;
		v[1] = kr->op.actor;
		v[2] = kr->op.kind;
		v[3] = kr->op.subject;
		v[4] = kr->op.argument;
		v[5] = kr->op.result;
		v[6] = kr->op.source;
		audit_query(STMT_KEYS_PRUNE, 7, v, pruned, kr);
		return;
	}
	/* Whole lines, as many as fit. */
	end = kr->len - kr->off <= KEYRECORD_CHUNK ? kr->len :
	    kr->off + KEYRECORD_CHUNK;
	if (end < kr->len) {
		while (end > kr->off && kr->buf[end - 1] != '\n')
			end--;
		if (end == kr->off) {
			record_finish(kr, 0, "a key's line in the inventory "
			    "is larger than a statement may carry");
			return;
		}
	}
	/* db_query() copies the values: the chunk ends here for a moment. */
	{
		char saved = kr->buf[end];

		kr->buf[end] = '\0';
		v[0] = kr->buf + kr->off;
		v[1] = kr->op.source;
		v[2] = kr->sync;
		kr->off = end;
		kr->chunks++;
		db_query(STMT_KEYS_UPSERT, 3, v, NULL, NULL, chunk_done, kr);
		kr->buf[end] = saved;
	}
}

/* The inventory's bytes; NULL and err when it is not what keyd sends. */
static char *
inventory_read(int fd, size_t *len, char *err, size_t errlen)
{
	uint64_t	 size;
	char		*buf;
	size_t		 off = 0;
	ssize_t		 n;

	if (memfd_check_sealed(fd, &size) == -1) {
		snprintf(err, errlen, "the inventory is not a sealed memfd");
		return NULL;
	}
	if (size > KEYRECORD_INVENTORY_MAX) {
		snprintf(err, errlen, "the inventory is %" PRIu64 " bytes, "
		    "more than %zu", size, KEYRECORD_INVENTORY_MAX);
		return NULL;
	}
	if ((buf = malloc((size_t)size + 1)) == NULL) {
		snprintf(err, errlen, "out of memory for the inventory");
		return NULL;
	}
	while (off < size) {
		if ((n = pread(fd, buf + off, (size_t)size - off,
		    (off_t)off)) <= 0) {
			snprintf(err, errlen, "reading the inventory failed");
			free(buf);
			return NULL;
		}
		off += (size_t)n;
	}
	buf[off] = '\0';
	if (memchr(buf, '\0', off) != NULL) {
		snprintf(err, errlen, "the inventory holds a NUL byte");
		free(buf);
		return NULL;
	}
	*len = off;
	return buf;
}

void
keyrecord_sync(int fd, const struct keyrecord_op *op, keyrecord_done done,
    void *arg)
{
	struct keyrecord	*kr;
	uint64_t		 id;
	char			 err[128];

	if ((kr = calloc(1, sizeof(*kr))) == NULL)
		fatal("keyrecord");
	kr->op = *op;
	kr->done = done;
	kr->arg = arg;
	kr->buf = inventory_read(fd, &kr->len, err, sizeof(err));
	close(fd);
	if (kr->buf == NULL) {
		record_finish(kr, 0, err);
		return;
	}
	/* A positive bigint no earlier sync is likely to have used. */
	if (RAND_bytes((unsigned char *)&id, sizeof(id)) != 1)
		fatalx("keyrecord: RAND_bytes");
	snprintf(kr->sync, sizeof(kr->sync), "%" PRIu64,
	    (id & INT64_MAX) | 1);
	chunk_next(kr);
}
