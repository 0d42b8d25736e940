/*
 * lockedmem: anonymous private pages, mlock()ed and MADV_DONTDUMP.
 * Anonymous mappings come zeroed.
 */
#include <sys/mman.h>

#include <unistd.h>

#include "common/lockedmem.h"
#include "common/log.h"

void *
locked_alloc(size_t len, size_t *maplen, const char *what)
{
	long	 pg = sysconf(_SC_PAGESIZE);
	size_t	 pgsz = pg > 0 ? (size_t)pg : 4096;
	void	*p;

	if (len == 0)
		len = 1;
	*maplen = (len + pgsz - 1) / pgsz * pgsz;
	p = mmap(NULL, *maplen, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		fatal("%s: mmap", what);
	if (mlock(p, *maplen) == -1)
		fatal("%s: cannot lock %zu bytes of memory (without "
		    "CAP_IPC_LOCK, RLIMIT_MEMLOCK must allow them)", what,
		    *maplen);
	if (madvise(p, *maplen, MADV_DONTDUMP) == -1)
		fatal("%s: madvise", what);
	return p;
}
