/*
 * keyrecord: keyd's inventory into the record of keys (pgpmg.keys and
 * pgpmg.key_addresses), with the audit row of the operation that changed
 * it.  See keyrecord.c.
 */
#ifndef PGPMG_POLICYD_KEYRECORD_H
#define PGPMG_POLICYD_KEYRECORD_H

#include <stddef.h>

/* The inventory of a keyring far larger than any gateway's. */
#define KEYRECORD_INVENTORY_MAX	((size_t)256 << 20)

/* What to audit with the record; kind "" for a sync no operation caused
 * (then only keys that left keyd are audited, as key-delete).  source
 * is that of keys new to the record: "generated", "imported", ..., or ""
 * for "generated" when keyd holds the secret part, else "imported". */
struct keyrecord_op {
	const char	*actor;
	const char	*kind;
	const char	*subject;
	const char	*argument;
	const char	*result;
	const char	*source;
};

/* ok, or not and why; called exactly once, perhaps before
 * keyrecord_sync() returns. */
typedef void	(*keyrecord_done)(int ok, const char *err, void *arg);

/* Record the inventory in fd (a sealed memfd from keyd; closed here).
 * The strings of op must live until done is called. */
void	keyrecord_sync(int fd, const struct keyrecord_op *, keyrecord_done,
	    void *arg);

#endif /* PGPMG_POLICYD_KEYRECORD_H */
