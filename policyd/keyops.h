/*
 * keyops: key requests for pgpmgctl (IMSG_PARENT_KEY) and the console
 * (console_keys.c) to keyd, each change recorded with its audit row
 * before the answer, and the record kept in step with keyd's inventory.
 * See keyops.c.
 */
#ifndef PGPMG_POLICYD_KEYOPS_H
#define PGPMG_POLICYD_KEYOPS_H

#include <stdint.h>

#include "common/child.h"

/* Bounds of a request, as keyd reads it. */
#define KEYOPS_ARG_MAX		320
#define KEYOPS_PASS_MAX		1024

/*
 * A key request: op (KEY_OP_GENERATE .. KEY_OP_CTL_MAX), its argument
 * (an address, a fingerprint, an import's required address, or ""), a
 * passphrase (""), the import's data (a sealed memfd, taken over; -1),
 * who asks (for the audit row), and the audit row's kind and the source
 * of the keys a change adds (NULL: the operation's own, as pgpmgctl's:
 * key-generate/generated, key-import/imported, key-revoke, key-delete).
 * The strings are copied.
 */
struct keyops_ask {
	uint32_t	 op;
	const char	*arg;
	const char	*pass;
	int		 fd;
	const char	*actor;
	const char	*kind;
	const char	*source;
};
/* keyd's answer, once: KEY_E_*, its text, and the output fd (an export;
 * the callee's to close or pass on) or -1.  A change is answered once it
 * is recorded (or kept to be recorded: then the text says so). */
typedef void	(*keyops_cb)(uint32_t code, const char *text, int fd,
		    void *arg);

void	keyops_init(struct child *);
void	keyops_request(struct child *, struct imsg *);
/* Queue a request; cb may be called before this returns (the queue is
 * full, or the database is down for a change). */
void	keyops_ask(const struct keyops_ask *, keyops_cb, void *arg);
void	keyops_keyd_reply(struct child *, struct imsg *);
void	keyops_peer_up(struct child *, struct child_peer *);

#endif /* PGPMG_POLICYD_KEYOPS_H */
