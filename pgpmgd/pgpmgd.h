/*
 * pgpmgd: the parent.  It reads the configuration, prepares the directories
 * the children need, opens the listeners and the control socket, starts one
 * child per process (cryptod: one per worker), wires the peer graph, relays
 * the children's logs and supervises them.
 */
#ifndef PGPMG_PGPMGD_H
#define PGPMG_PGPMGD_H

#include <sys/types.h>

#include <stdint.h>
#include <time.h>

#include "common/config.h"
#include "common/memfd.h"
#include "common/proc.h"
#include "common/sandbox.h"
#include "imsg/imsg_event.h"

struct imsg;

/* Restart back-off for cryptod workers: the first restart is immediate,
 * each quick repeat doubles the delay up to the maximum; a worker that
 * lived longer than the reset time starts the sequence again. */
#define RESTART_DELAY_FIRST_MS	250
#define RESTART_DELAY_MAX_MS	8000
#define RESTART_RESET_SEC	30
/* SIGTERM to the children, then SIGKILL for those still alive: the whole
 * stop stays within 5 s. */
#define SHUTDOWN_GRACE_MS	3000

struct proc_slot {
	enum proc_id		 proc;
	int			 instance;
	pid_t			 pid;		/* 0: not running */
	struct timespec		 started;	/* CLOCK_MONOTONIC */
	time_t			 started_wall;
	int			 ready;
	struct sandbox_state	 sandbox;
	struct imsgev		 iev;
	int			 iev_live;
	/* restart bookkeeping (cryptod) */
	unsigned		 quick_restarts;
	struct event		*restart_ev;
};

struct pgpmgd {
	struct pgpmg_conf	 conf;
	char			*conf_path;
	char			*conf_text;
	int			 foreground;
	struct event_base	*base;
	struct proc_slot	 slots[PROC_MAX_INSTANCES + PROC_MAX];
	size_t			 nslots;
	int			 listen_smtp;
	int			 listen_web;
	int			 listen_web_redirect;	/* -1: not configured */
	int			 stopping;
	int			 exit_code;
	struct event		*stop_timer;
	char			 exec_dir[4096];
};

extern struct pgpmgd *pgpmgd;

/* children.c */
void	children_init(void);
void	children_start_all(void);
void	children_reap(void);
void	children_stop(int exit_code, const char *why);
struct proc_slot *children_find_pid(pid_t);
struct proc_slot *children_find(uint32_t proc, int instance);
unsigned children_expected_peers(const struct proc_slot *);
unsigned children_peers_up(const struct proc_slot *);

/* channels.c */
void	channels_child_ready(struct proc_slot *);

/* listen.c */
int	listen_open(const struct conf_hostport *, char *err, size_t errlen);

/* control.c */
void	control_init(void);
void	control_cleanup(void);
/* The answer to a client's key request (keyfwd.c); the client may be
 * gone, or another in its slot (serial differs): then fd is closed. */
void	control_key_reply(int client, uint64_t serial, uint32_t code,
	    const char *text, int fd);
/* policyd's answer to a client's database status request (dbfwd.c);
 * likewise dropped when the client is gone. */
struct dbfwd_status;
void	control_db_reply(int client, uint64_t serial,
	    const struct dbfwd_status *, const char *error);
/* policyd's answer to a client's policy command (adminfwd.c): code
 * ADMIN_E_OK with the output in fd (or none, -1), else text is the
 * error; dropped (fd closed) when the client is gone. */
void	control_admin_reply(int client, uint64_t serial, uint32_t code,
	    const char *text, int fd);

/* keyfwd.c: key requests through policyd to keyd, keyd's keyring to the
 * cryptod workers.  Field bounds as keyd reads them. */
#define KEYFWD_ARG_MAX		320
#define KEYFWD_PASS_MAX		1024
#define KEYFWD_TEXT_MAX		4096
/* Largest key data pgpmgctl may hand over (keyd's bound). */
#define KEYFWD_IMPORT_MAX	((uint64_t)1 << 20)
int	keyfwd_request(int client, uint64_t serial, uint32_t uid, uint32_t op,
	    const char *arg, const char *pass, int fd, char *err, size_t errlen);
/* From policyd, from keyd; -1: malformed (a protocol violation). */
int	keyfwd_reply(struct imsg *);
int	keyfwd_keyring(struct imsg *);
void	keyfwd_worker_ready(struct proc_slot *);

/* ctlfwd.c: the requests pending at policyd for control clients. */
enum ctlfwd_kind {
	CTLFWD_DB,
	CTLFWD_ADMIN,
	CTLFWD_KEY,
};
struct ctlfwd_req {
	int		 used;
	enum ctlfwd_kind kind;
	uint32_t	 id;		/* the parent's, in the request */
	int		 client;	/* control.c's slot */
	uint64_t	 serial;	/* of the client in that slot */
	struct event	*timer;
	struct spool	 out;		/* CTLFWD_ADMIN: the output */
	int		 out_open;
};
/* A new pending request and policyd's slot; NULL and err when policyd is
 * not there or too many wait. */
struct ctlfwd_req *ctlfwd_new(enum ctlfwd_kind, int client, uint64_t serial,
	    int timeout_sec, struct proc_slot **policyd, char *err,
	    size_t errlen);
/* The request policyd answers; NULL when nobody waits any more. */
struct ctlfwd_req *ctlfwd_find(enum ctlfwd_kind, uint32_t id);
void	ctlfwd_free(struct ctlfwd_req *);
void	ctlfwd_policyd_gone(void);

/* dbfwd.c: database status requests to policyd.  An answer is a
 * status, or (status NULL) an error text for the client. */
struct dbfwd_status {
	uint32_t	 state;		/* DBSTAT_* */
	uint32_t	 check;		/* DBSTAT_CHECK_* */
	uint64_t	 seconds;	/* in this state */
	const char	*text;		/* < DBSTAT_TEXT_MAX */
};
int	dbfwd_request(int client, uint64_t serial, uint32_t flags,
	    char *err, size_t errlen);
/* From policyd; -1: malformed (a protocol violation). */
int	dbfwd_reply(struct imsg *);

/* adminfwd.c: pgpmgctl's policy commands to policyd, with the client's
 * uid; args[ADMIN_NARGS]. */
int	adminfwd_request(int client, uint64_t serial, uint32_t uid,
	    uint32_t op, const char *const *args, char *err, size_t errlen);
/* From policyd; -1: malformed (a protocol violation). */
int	adminfwd_data(struct imsg *);
int	adminfwd_done(struct imsg *);

/* status.c: every slot's status entry (IMSG_CTL_STATUS_ENTRY's fields)
 * as a message of type on ibuf, each after *request when it is not NULL;
 * the caller flushes. */
void	status_send(struct imsgbuf *, uint32_t type, const uint32_t *request);
/* policyd's IMSG_POLICYD_PROCS, answered with PROCS_ENTRY and _END;
 * -1: malformed (a protocol violation). */
int	status_procs(struct proc_slot *policyd, struct imsg *);

/* procstat.c */
struct procstat {
	char		 user[64];
	int		 seccomp;	/* -1: unknown */
	int		 nonewprivs;
	char		 capeff[20];
	char		 root[256];
	int		 netns_own;	/* 1: differs from the parent's */
};
int	procstat_read(pid_t, struct procstat *);

/* prepare.c */
void	prepare_dirs(void);

#endif /* PGPMG_PGPMGD_H */
