/*
 * lockedmem: pages for secrets (a passphrase, the console's key, the
 * passwords being checked) that never reach swap or a core dump.
 */
#ifndef PGPMG_LOCKEDMEM_H
#define PGPMG_LOCKEDMEM_H

#include <stddef.h>

/*
 * len bytes, zeroed, in whole pages (*maplen of them) that are locked in
 * memory and left out of core dumps; fatal, naming what, when that
 * fails.  Called before the sandbox, as root: no process's allowlist has
 * mlock, and root's CAP_IPC_LOCK lifts RLIMIT_MEMLOCK.  The pages are
 * kept for the process's life; the caller wipes what it put there.
 */
void	*locked_alloc(size_t len, size_t *maplen, const char *what);

#endif /* PGPMG_LOCKEDMEM_H */
