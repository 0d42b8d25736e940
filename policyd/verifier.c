/*
 * verifier: the password checks' thread and the loop's side of it; see
 * verifier.h.
 *
 * A slot goes FREE -> RESERVED (the loop copied a password in) -> QUEUED
 * (the loop asked for the check) -> RUNNING (the thread took it) -> DONE
 * (the thread wrote the result and the slot's number into the pipe) ->
 * FREE (the loop handed the result over).  The mutex guards the states;
 * a slot's other fields belong to whichever side its state says, so the
 * thread reads a password only while RUNNING, and the loop never then.
 * The thread takes the QUEUED slots in the order they were queued.  A
 * slot is a check (its password against phc, or the dummy) or a hash (its
 * password into phc); either way the password is wiped by the thread as
 * soon as it is done with it.
 */
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "common/log.h"
#include "common/msg.h"
#include "common/passhash.h"
#include "policyd/verifier.h"

_Static_assert(CONSOLE_PASSWORD_MAX == PASSHASH_PASS_MAX,
    "a console password is what passhash takes");
_Static_assert(VERIFIER_SLOTS < 255, "a slot's number is one byte");

/* The byte the thread writes when it could not make the dummy hash. */
#define VERIFIER_NO_DUMMY	0xff
/* Random bytes of the dummy's password: nobody ever types it. */
#define VERIFIER_DUMMY_BYTES	32

enum slot_state {
	SLOT_FREE = 0,
	SLOT_RESERVED,
	SLOT_QUEUED,
	SLOT_RUNNING,
	SLOT_DONE,
};

struct verifier_slot {
	enum slot_state	 state;
	uint64_t	 seq;		/* the order of the queue */
	int		 dummy;		/* check against the dummy hash */
	int		 hash;		/* make phc, do not check */
	int		 match;		/* a hash: 1 when phc was made */
	verifier_cb	 cb;
	verifier_hash_cb hash_cb;
	void		*arg;
	char		 pass[PASSHASH_PASS_MAX + 1];
	char		 phc[PASSHASH_PHC_MAX + 1];
};

/* Everything the thread reads, in the locked mapping. */
struct verifier_vault {
	struct verifier_slot	 slots[VERIFIER_SLOTS];
	char			 dummy_pass[2 * VERIFIER_DUMMY_BYTES + 1];
	char			 dummy_phc[PASSHASH_PHC_MAX + 1];
};

static struct verifier_vault	*vv;
static size_t			 vv_maplen;

static struct {
	pthread_mutex_t	 lock;
	pthread_cond_t	 queued;
	uint64_t	 seq;
	int		 pipe[2];	/* thread -> loop */
	struct event	*ev;
} vf = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.queued = PTHREAD_COND_INITIALIZER,
	.pipe = { -1, -1 },
};

void
verifier_prepare(void)
{
	long	 pg = sysconf(_SC_PAGESIZE);
	size_t	 pgsz = pg > 0 ? (size_t)pg : 4096;
	void	*p;

	/* mlock is not in policyd's allowlist: lock now, as root. */
	vv_maplen = (sizeof(*vv) + pgsz - 1) / pgsz * pgsz;
	p = mmap(NULL, vv_maplen, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		fatal("verifier: mmap");
	if (mlock(p, vv_maplen) == -1)
		fatal("verifier: cannot lock %zu bytes of memory", vv_maplen);
	if (madvise(p, vv_maplen, MADV_DONTDUMP) == -1)
		fatal("verifier: madvise");
	vv = p;
}

/* ---------------------------------------------------------------- thread */

static void
thread_lock(void)
{
	/* An error here is a broken mutex: nothing safe is left to do. */
	if (pthread_mutex_lock(&vf.lock) != 0)
		abort();
}

static void
thread_unlock(void)
{
	if (pthread_mutex_unlock(&vf.lock) != 0)
		abort();
}

static void
thread_tell(unsigned char b)
{
	ssize_t	 n;

	do
		n = write(vf.pipe[1], &b, 1);
	while (n == -1 && errno == EINTR);
}

/* The dummy hash, of a password made of random bytes and then wiped. */
static int
thread_make_dummy(void)
{
	static const char	 digits[] = "0123456789abcdef";
	unsigned char		 r[VERIFIER_DUMMY_BYTES];
	int			 rc;

	if (RAND_bytes(r, sizeof(r)) != 1)
		return -1;
	for (size_t i = 0; i < sizeof(r); i++) {
		vv->dummy_pass[2 * i] = digits[r[i] >> 4];
		vv->dummy_pass[2 * i + 1] = digits[r[i] & 0xf];
	}
	vv->dummy_pass[2 * sizeof(r)] = '\0';
	rc = passhash_make(vv->dummy_pass, vv->dummy_phc,
	    sizeof(vv->dummy_phc));
	explicit_bzero(r, sizeof(r));
	explicit_bzero(vv->dummy_pass, sizeof(vv->dummy_pass));
	return rc;
}

static void *
verifier_thread(void *arg)
{
	struct verifier_slot	*s;
	int			 idx, match;

	(void)arg;
	if (thread_make_dummy() == -1) {
		thread_tell(VERIFIER_NO_DUMMY);
		return NULL;
	}
	for (;;) {
		thread_lock();
		for (;;) {
			idx = -1;
			for (int i = 0; i < VERIFIER_SLOTS; i++)
				if (vv->slots[i].state == SLOT_QUEUED &&
				    (idx == -1 ||
				    vv->slots[i].seq < vv->slots[idx].seq))
					idx = i;
			if (idx != -1)
				break;
			if (pthread_cond_wait(&vf.queued, &vf.lock) != 0)
				abort();
		}
		s = &vv->slots[idx];
		s->state = SLOT_RUNNING;
		thread_unlock();

		/* The dummy costs what the real check costs, and never
		 * lets anybody in. */
		if (s->hash)
			match = passhash_make(s->pass, s->phc,
			    sizeof(s->phc)) == 0;
		else {
			match = passhash_verify(s->pass, s->dummy ?
			    vv->dummy_phc : s->phc);
			if (s->dummy)
				match = 0;
		}
		explicit_bzero(s->pass, sizeof(s->pass));

		thread_lock();
		s->match = match;
		s->state = SLOT_DONE;
		thread_unlock();
		thread_tell((unsigned char)idx);
	}
	return NULL;
}

/* ---------------------------------------------------------------- loop */

static void
verifier_results(int fd, short ev, void *arg)
{
	struct verifier_slot	*s;
	unsigned char		 buf[VERIFIER_SLOTS];
	verifier_cb		 cb;
	verifier_hash_cb	 hash_cb;
	void			*cbarg;
	char			 phc[PASSHASH_PHC_MAX + 1];
	ssize_t			 n;
	int			 match, hash;

	(void)ev; (void)arg;
	if ((n = read(fd, buf, sizeof(buf))) == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		fatal("verifier: read");
	}
	if (n == 0)
		fatalx("verifier: the thread's pipe closed");
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == VERIFIER_NO_DUMMY)
			fatalx("verifier: cannot make the dummy hash: no "
			    "password can be checked");
		if (buf[i] >= VERIFIER_SLOTS)
			fatalx("verifier: slot %u from the thread", buf[i]);
		s = &vv->slots[buf[i]];
		if (pthread_mutex_lock(&vf.lock) != 0)
			fatalx("verifier: mutex");
		if (s->state != SLOT_DONE)
			fatalx("verifier: slot %u is not done", buf[i]);
		cb = s->cb;
		hash_cb = s->hash_cb;
		cbarg = s->arg;
		match = s->match;
		hash = s->hash;
		snprintf(phc, sizeof(phc), "%s", s->phc);
		explicit_bzero(s, sizeof(*s));
		s->state = SLOT_FREE;
		if (pthread_mutex_unlock(&vf.lock) != 0)
			fatalx("verifier: mutex");
		if (hash)
			hash_cb(match ? phc : NULL, cbarg);
		else
			cb(match, cbarg);
	}
}

void
verifier_init(struct event_base *base)
{
	pthread_t	 t;
	sigset_t	 all, old;
	int		 rc;

	if (vv == NULL)
		fatalx("verifier_init before verifier_prepare");
	if (pipe2(vf.pipe, O_CLOEXEC) == -1)
		fatal("verifier: pipe2");
	if (fcntl(vf.pipe[0], F_SETFL, O_NONBLOCK) == -1)
		fatal("verifier: fcntl");
	if ((vf.ev = event_new(base, vf.pipe[0], EV_READ | EV_PERSIST,
	    verifier_results, NULL)) == NULL || event_add(vf.ev, NULL) == -1)
		fatalx("verifier: event");
	/* Signals are the loop's: the thread starts with all blocked. */
	sigfillset(&all);
	if (pthread_sigmask(SIG_SETMASK, &all, &old) != 0)
		fatalx("verifier: pthread_sigmask");
	if ((rc = pthread_create(&t, NULL, verifier_thread, NULL)) != 0) {
		errno = rc;
		fatal("verifier: pthread_create");
	}
	if (pthread_sigmask(SIG_SETMASK, &old, NULL) != 0)
		fatalx("verifier: pthread_sigmask");
	if ((rc = pthread_detach(t)) != 0) {
		errno = rc;
		fatal("verifier: pthread_detach");
	}
	log_debug("verifier: the password checks' thread is running");
}

static struct verifier_slot *
slot_of(int slot, enum slot_state want)
{
	enum slot_state	 state;

	if (vv == NULL || slot < 0 || slot >= VERIFIER_SLOTS)
		fatalx("verifier: no slot %d", slot);
	if (pthread_mutex_lock(&vf.lock) != 0)
		fatalx("verifier: mutex");
	state = vv->slots[slot].state;
	if (pthread_mutex_unlock(&vf.lock) != 0)
		fatalx("verifier: mutex");
	if (state != want)
		fatalx("verifier: slot %d is in state %d, not %d", slot,
		    (int)state, (int)want);
	return &vv->slots[slot];
}

int
verifier_reserve(const char *password)
{
	size_t	 len = strnlen(password, PASSHASH_PASS_MAX + 1);
	int	 idx = -1;

	if (len > PASSHASH_PASS_MAX)
		fatalx("verifier: a password longer than %d bytes",
		    PASSHASH_PASS_MAX);
	if (pthread_mutex_lock(&vf.lock) != 0)
		fatalx("verifier: mutex");
	for (int i = 0; i < VERIFIER_SLOTS && idx == -1; i++)
		if (vv->slots[i].state == SLOT_FREE) {
			idx = i;
			vv->slots[i].state = SLOT_RESERVED;
		}
	if (pthread_mutex_unlock(&vf.lock) != 0)
		fatalx("verifier: mutex");
	if (idx != -1)
		memcpy(vv->slots[idx].pass, password, len + 1);
	return idx;
}

void
verifier_start(int slot, const char *phc, verifier_cb cb, void *arg)
{
	struct verifier_slot	*s = slot_of(slot, SLOT_RESERVED);
	struct passhash_phc	 parsed;

	/* A string the parser refuses would be answered at once: the
	 * dummy is checked instead, to take the same time. */
	s->dummy = phc == NULL || passhash_parse(phc, &parsed) == -1;
	if (!s->dummy)
		snprintf(s->phc, sizeof(s->phc), "%s", phc);
	s->cb = cb;
	s->arg = arg;
	if (pthread_mutex_lock(&vf.lock) != 0)
		fatalx("verifier: mutex");
	s->seq = vf.seq++;
	s->state = SLOT_QUEUED;
	if (pthread_cond_signal(&vf.queued) != 0)
		fatalx("verifier: cond");
	if (pthread_mutex_unlock(&vf.lock) != 0)
		fatalx("verifier: mutex");
}

void
verifier_hash(int slot, verifier_hash_cb cb, void *arg)
{
	struct verifier_slot	*s = slot_of(slot, SLOT_RESERVED);

	s->hash = 1;
	s->phc[0] = '\0';
	s->hash_cb = cb;
	s->arg = arg;
	if (pthread_mutex_lock(&vf.lock) != 0)
		fatalx("verifier: mutex");
	s->seq = vf.seq++;
	s->state = SLOT_QUEUED;
	if (pthread_cond_signal(&vf.queued) != 0)
		fatalx("verifier: cond");
	if (pthread_mutex_unlock(&vf.lock) != 0)
		fatalx("verifier: mutex");
}

void
verifier_release(int slot)
{
	struct verifier_slot	*s = slot_of(slot, SLOT_RESERVED);

	if (pthread_mutex_lock(&vf.lock) != 0)
		fatalx("verifier: mutex");
	explicit_bzero(s, sizeof(*s));
	s->state = SLOT_FREE;
	if (pthread_mutex_unlock(&vf.lock) != 0)
		fatalx("verifier: mutex");
}
