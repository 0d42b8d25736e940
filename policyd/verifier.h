/*
 * verifier: the console's password checks, and the hashing of the
 * passwords it sets, on a thread of their own.
 *
 * One check (or one hash) costs about 0.6 s of CPU and 128 MiB (common/passhash.h); on
 * policyd's event loop it would hold up every plan cryptod waits for, and
 * with it the mail.  So one thread does them, one at a time (one at a
 * time bounds the memory, and two cores have other work), and the loop
 * hears of each result through a pipe it watches.
 *
 * A check takes one of VERIFIER_SLOTS slots, from the moment its request
 * arrives (verifier_reserve(): the password goes straight into the slot)
 * until its result is handed over.  With every slot taken, a login is
 * answered "busy" at once: that bounds both the memory the passwords take
 * and the wait of the last one in line (VERIFIER_SLOTS * 0.6 s).
 *
 * The slots live in one mapping made as root before the sandbox: locked
 * (never swapped), left out of core dumps; a password is wiped from it as
 * soon as it is checked, or when its slot is given back unchecked.
 *
 * The thread never logs, never calls fatal() and touches nothing of the
 * loop's (logging and libevent are not thread-safe): it reads its slot,
 * writes the result into it and one byte into the pipe.  It starts by
 * making the dummy hash that an address without a password (or without
 * an account) is checked against, so that such an attempt takes exactly
 * as long as a wrong password.
 */
#ifndef PGPMG_POLICYD_VERIFIER_H
#define PGPMG_POLICYD_VERIFIER_H

#include <event2/event.h>

/* Checks accepted at once: the one running and those waiting for it.
 * Four wait at most 2.4 s; a fifth would wait long enough for the person
 * to give up, and a flood only ever costs one core. */
#define VERIFIER_SLOTS		4

/* match: 1 when the password is the hash's, 0 otherwise. */
typedef void	(*verifier_cb)(int match, void *arg);
/* phc: the PHC string of the slot's password; NULL when it could not be
 * made (no random bytes, OpenSSL failed). */
typedef void	(*verifier_hash_cb)(const char *phc, void *arg);

/* As root, before the sandbox: map and lock the slots. */
void	verifier_prepare(void);
/* On the loop (after the sandbox): start the thread and watch its pipe. */
void	verifier_init(struct event_base *);

/* A free slot with the password (1 to CONSOLE_PASSWORD_MAX bytes) copied
 * into it; -1 when all are taken. */
int	verifier_reserve(const char *password);
/*
 * Check the slot's password against phc, or against the dummy hash when
 * phc is NULL (the answer is then always 0); cb is called from the loop,
 * once.  A phc that passhash_parse() refuses is not checked: the dummy is,
 * and the answer is 0.
 */
void	verifier_start(int slot, const char *phc, verifier_cb, void *arg);
/*
 * Hash the slot's password with our parameters and a fresh salt
 * (passhash_make()), for a password the console sets: the same 0.6 s as a
 * check, so it takes a slot and the thread as a check does.  cb is called
 * from the loop, once; the password is wiped from the slot by then.
 */
void	verifier_hash(int slot, verifier_hash_cb, void *arg);
/* Give an unchecked slot back; its password is wiped. */
void	verifier_release(int slot);

#endif /* PGPMG_POLICYD_VERIFIER_H */
