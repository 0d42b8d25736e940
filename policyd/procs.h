/*
 * procs: the processes and their sandboxes, from the parent
 * (IMSG_POLICYD_PROCS, answered with PARENT_PROCS_ENTRY and _END), for
 * the console's dashboard.  See procs.c.
 */
#ifndef PGPMG_POLICYD_PROCS_H
#define PGPMG_POLICYD_PROCS_H

#include <stddef.h>
#include <stdint.h>

#include "common/proc.h"

struct child;
struct imsg;

/* The parent has a slot for every cryptod worker and one of each other
 * child: that many entries at most. */
#define PROCS_MAX	(PROC_MAX_INSTANCES + PROC_MAX)

/* One entry, as pgpmgd/status.c sends it. */
struct procs_entry {
	char		 name[32];
	uint32_t	 pid;		/* 0: not running */
	uint32_t	 ready;
	uint64_t	 uptime;	/* seconds */
	char		 user[64];
	int32_t		 seccomp;	/* -1: unknown */
	int32_t		 nnp;		/* no_new_privs; -1: unknown */
	char		 capeff[32];
	char		 root[256];
	uint32_t	 netns;		/* its own network namespace */
	uint32_t	 landlock;	/* ABI, 0: none */
	uint32_t	 up;		/* peer channels up */
	uint32_t	 expected;	/* ... of these */
};

/* The entries (n of them), or NULL and why (the parent did not answer in
 * time, too many asked at once). */
typedef void	(*procs_cb)(const struct procs_entry *, size_t n,
		    const char *error, void *arg);

void	procs_init(struct child *);
/* Ask the parent; cb is called once, perhaps before this returns. */
void	procs_ask(procs_cb, void *arg);
/* The parent's answers: parsed exactly, fatal when malformed. */
void	procs_entry(struct child *, struct imsg *);
void	procs_end(struct child *, struct imsg *);

#endif /* PGPMG_POLICYD_PROCS_H */
