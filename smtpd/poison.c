/*
 * The poison table; see poison.h.
 */
#include <sys/mman.h>

#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "smtpd/poison.h"

struct poison_slot {
	struct poison_digest	 dg;
	unsigned		 deaths;	/* 0: free */
	time_t			 last;
};

static struct poison_slot	 slots[POISON_SLOTS];

int
poison_digest(int fd, uint64_t size, struct poison_digest *out)
{
	unsigned int	 n = sizeof(out->d);
	void		*p = NULL;
	int		 rc;

	if (size > 0 && (p = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE,
	    fd, 0)) == MAP_FAILED)
		return -1;
	rc = EVP_Digest(size > 0 ? p : "", (size_t)size, out->d, &n,
	    EVP_sha256(), NULL) == 1 ? 0 : -1;
	if (p != NULL)
		munmap(p, (size_t)size);
	return rc;
}

static struct poison_slot *
poison_find(const struct poison_digest *dg, time_t now)
{
	for (size_t i = 0; i < POISON_SLOTS; i++) {
		struct poison_slot *s = &slots[i];
		if (s->deaths > 0 && now - s->last > POISON_TTL)
			s->deaths = 0;
		if (s->deaths > 0 && memcmp(s->dg.d, dg->d, sizeof(dg->d)) == 0)
			return s;
	}
	return NULL;
}

unsigned
poison_deaths(const struct poison_digest *dg)
{
	struct poison_slot	*s = poison_find(dg, time(NULL));

	return s != NULL ? s->deaths : 0;
}

unsigned
poison_record(const struct poison_digest *dg)
{
	time_t			 now = time(NULL);
	struct poison_slot	*s = poison_find(dg, now), *old = &slots[0];

	if (s == NULL) {
		/* A free slot, or the least recently seen one. */
		for (size_t i = 0; i < POISON_SLOTS && old->deaths > 0; i++)
			if (slots[i].deaths == 0 || slots[i].last < old->last)
				old = &slots[i];
		s = old;
		s->dg = *dg;
		s->deaths = 0;
	}
	s->deaths++;
	s->last = now;
	return s->deaths;
}

int
poison_any(void)
{
	for (size_t i = 0; i < POISON_SLOTS; i++)
		if (slots[i].deaths > 0)
			return 1;
	return 0;
}
