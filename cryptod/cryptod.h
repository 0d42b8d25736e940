/*
 * cryptod: one worker's state, shared by its files.  A worker is a single
 * thread on one event loop: jobs are processed one at a time, each to the
 * end, and the gpg it runs is its only concurrency.
 */
#ifndef PGPMG_CRYPTOD_CRYPTOD_H
#define PGPMG_CRYPTOD_CRYPTOD_H

#include "common/child.h"
#include "cryptod/keystore.h"
#include "cryptod/pgp.h"

struct cryptod {
	struct child		*child;
	const struct pgpmg_conf	*conf;
	struct pgp		 pgp;
	struct keystore		 keys;
};

extern struct cryptod	*cryptod;

#endif /* PGPMG_CRYPTOD_CRYPTOD_H */
