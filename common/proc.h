/*
 * proc: the process graph of pgpmg, declared once.
 *
 * The process ids, the channels that may exist between them (the peer graph
 * of DESIGN.md) and, in msgperm.c, which message types each process accepts
 * from each peer.  pgpmgd creates exactly the channels of channel_table and
 * no other; every receiver checks each message against the permission table
 * before it reads a byte of the payload.
 */
#ifndef PGPMG_PROC_H
#define PGPMG_PROC_H

#include <stddef.h>
#include <stdint.h>

enum proc_id {
	PROC_PARENT = 0,
	PROC_SMTPD,
	PROC_CRYPTOD,
	PROC_KEYD,
	PROC_POLICYD,
	PROC_WEBD,
	PROC_MAX
};

/* Every child finds its channel to the parent here after exec. */
#define PROC_PARENT_FD		3

/* cryptod runs as several stateless workers; the others as one. */
#define PROC_MAX_INSTANCES	64

struct channel_spec {
	enum proc_id	a;
	enum proc_id	b;
	const char	*purpose;
};

extern const struct channel_spec channel_table[];
extern const size_t channel_table_len;

const char	*proc_name(enum proc_id);
const char	*proc_user(enum proc_id);
int		 proc_from_name(const char *, enum proc_id *);
/* True when the peer graph has a channel between a and b (either order). */
int		 channel_allowed(enum proc_id, enum proc_id);

#endif /* PGPMG_PROC_H */
