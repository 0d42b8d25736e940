/*
 * sbtest: the harness of the sandbox suite.
 *
 * sbt_run() forks a child that does what a daemon does: its pre-jail
 * set-up, sandbox_enter() with the daemon's profile and a view of the same
 * shape as the daemon's, then one operation.  The child stops between the
 * two, so that the test reads the achieved state from /proc/<pid> exactly
 * as pgpmgctl status does; then the operation runs and the test sees how it
 * ended: an exit code (0: it worked, SBT_ERRNO_BASE + errno: it failed with
 * errno) or the signal that killed it.
 *
 * Fixtures shared by the whole run (a PostgreSQL cluster, a test key) are
 * made once by main() and found through the environment, since Criterion
 * runs every test in a fresh exec of this binary.
 */
#ifndef PGPMG_TESTS_SBTEST_H
#define PGPMG_TESTS_SBTEST_H

#include <sys/types.h>

#include <limits.h>
#include <stddef.h>

#include "common/proc.h"
#include "common/sandbox.h"

/* Exit codes of the sandboxed child. */
#define SBT_OK			0	/* the operation worked */
#define SBT_FATAL		1	/* fatal()/fatalx() (log_stub.c) */
#define SBT_SETUP_FAILED	2	/* the test's own pre-jail set-up */
#define SBT_WORK_FAILED		3	/* normal work gave a wrong result */
#define SBT_ERRNO_BASE		100	/* + errno: the operation failed */

/* Outcomes a golden row may accept. */
#define SBT_OUT_SIGSYS		0x01
#define SBT_OUT_EPERM		0x02
#define SBT_OUT_EACCES		0x04

/* Room for the fds a test child keeps, beside the harness's own two. */
#define SBT_MAX_KEEP		8
/* How long a sandboxed child may take to get ready, and to finish.  gpg
 * key generation, the slowest work here, takes well under a second. */
#define SBT_READY_TIMEOUT_MS	10000
#define SBT_DONE_TIMEOUT_MS	20000
/* One line of /proc/<pid>/status that we keep. */
#define SBT_FIELD_MAX		128
/* sbt_describe()'s sentence, and the outcome lists of messages. */
#define SBT_DESCRIBE_MAX	128
/* Exit status of a process ended by a signal, as the shell reports it. */
#define SBT_SIGNAL_EXIT		128

/* Fixtures, set by main() for the tests. */
#define SBT_ENV_PGROOT		"PGPMG_SBT_PGROOT"	/* policyd's chroot */
#define SBT_ENV_PUBKEY		"PGPMG_SBT_PUBKEY"	/* armored export */
#define SBT_ENV_FPR		"PGPMG_SBT_FPR"

struct sbt_ctx;
typedef int	(*sbt_child_fn)(struct sbt_ctx *);
typedef void	(*sbt_peer_fn)(struct sbt_ctx *);

struct sbt_ctx {
	enum proc_id		 proc;
	struct sandbox_view	 view;
	int			 keep[SBT_MAX_KEEP];
	size_t			 nkeep;
	sbt_child_fn		 before;	/* child, as root, pre-jail */
	sbt_child_fn		 op;		/* child, sandboxed */
	sbt_peer_fn		 peer;		/* test process, during op */
	void			*arg;
};

struct sbt_result {
	int			 entered;	/* sandbox_enter() returned */
	int			 timed_out;
	struct sandbox_state	 state;		/* as the child saw it */
	int			 exited;	/* 1: code, 0: killed by signo */
	int			 code;
	int			 signo;
	/* /proc/<pid> of the sandboxed child, before the operation */
	char			 seccomp[SBT_FIELD_MAX];
	char			 nnp[SBT_FIELD_MAX];
	char			 capinh[SBT_FIELD_MAX];
	char			 capprm[SBT_FIELD_MAX];
	char			 capeff[SBT_FIELD_MAX];
	char			 capbnd[SBT_FIELD_MAX];
	char			 capamb[SBT_FIELD_MAX];
	char			 uid[SBT_FIELD_MAX];
	char			 gid[SBT_FIELD_MAX];
	char			 groups[SBT_FIELD_MAX];
	char			 netns[PATH_MAX];
	char			 root[PATH_MAX];
};

void	sbt_run(struct sbt_ctx *, struct sbt_result *);
/* "exit 113 (EACCES)", "signal SIGSYS", ... for messages. */
const char *sbt_describe(const struct sbt_result *, char *, size_t);
/* The outcome as SBT_OUT_* bits, 0 when it was none of them. */
int	sbt_outcome(const struct sbt_result *);

/* Views of the daemons' shape, in fresh temporary directories that
 * sbt_view_cleanup() removes. */
void	sbt_view_for(enum proc_id, struct sandbox_view *);
void	sbt_view_cleanup(enum proc_id, struct sandbox_view *);
/* A fresh directory under /tmp, root-owned, with the given mode/owner. */
char	*sbt_mkdir(const char *tag, mode_t, uid_t, gid_t);
void	sbt_rmtree(const char *);
/* Run a program (argv[0] is a path) and wait; returns its exit status or
 * -1.  With 'as' set, it runs as that user (through runuser). */
int	sbt_spawn(const char *as, const char *const argv[], const char *log);
void	sbt_user(const char *name, uid_t *, gid_t *);
/* Stop a gpg-agent that a test started in home. */
void	sbt_kill_agent(const char *home);

/* The normal event loop and imsg channel of child_run(), proven inside
 * the sandbox: the child answers one message from the peer. */
int	sbt_loop_probe_child(int fd);
int	sbt_loop_probe_peer(int fd);

/* TLS material made in-process (OpenSSL), before the sandbox. */
struct ssl_ctx_st;
struct ssl_ctx_st *sbt_tls_server_ctx(void);
struct ssl_ctx_st *sbt_tls_client_ctx(void);

#endif /* PGPMG_TESTS_SBTEST_H */
