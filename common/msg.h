/*
 * msg: the message types that travel between pgpmg's processes, and the
 * table (msgperm.c) of who may send which to whom.  Names follow
 * IMSG_<SENDER>_<VERB>; payload layouts are written beside each type.
 */
#ifndef PGPMG_MSG_H
#define PGPMG_MSG_H

#include <stdint.h>

#include "common/proc.h"

struct imsg;

enum imsg_type {
	IMSG_NONE = 0,

	/* parent -> child */
	IMSG_PARENT_CONF,	/* the config file's text, NUL-terminated */
	IMSG_PARENT_PEER_FD,	/* u32 peer proc, u32 peer instance; fd */
	IMSG_PARENT_LISTENER_FD,/* u32 listener kind (LISTENER_*); fd */
	IMSG_PARENT_SHUTDOWN,	/* empty: finish and exit 0 */
	IMSG_PARENT_STOPPING,	/* empty: the appliance is stopping; a peer
				   that goes away now is no failure */

	/* child -> parent */
	IMSG_CHILD_LOG,		/* u32 priority, string (<= LOG_MAX_LINE) */
	IMSG_CHILD_READY,	/* u32 landlock abi, u32 chrooted, u32 netns */
	IMSG_CHILD_PEER_UP,	/* u32 peer proc, u32 peer instance */

	/* child <-> child */
	IMSG_PEER_HELLO,	/* u32 sender's instance */

	/*
	 * smtpd <-> cryptod: one job per message.  smtpd sends every
	 * recipient, then START with the sealed message; cryptod answers
	 * one GROUP per output message (the recipients it goes to, and the
	 * sealed result), then DONE.  Jobs are numbered by smtpd.
	 */
	IMSG_SMTPD_JOB_RCPT,	/* u64 job, string address */
	IMSG_SMTPD_JOB_START,	/* u64 job, string sender, u32 nrcpt,
				   u32 JOB_F_*; fd: the message */
	IMSG_CRYPTOD_JOB_GROUP,	/* u64 job, u32 GROUP_F_*, u32 n,
				   n x u32 rcpt index; fd: the output message */
	IMSG_CRYPTOD_JOB_REFUSE,/* u64 job, u32 rcpt index, u32 reply code
				   (4xx/5xx), string enhanced code, string
				   text: this recipient gets no message */
	IMSG_CRYPTOD_JOB_DONE,	/* u64 job, u32 JOB_*, u32 reply code,
				   string enhanced code, string text */


	/*
	 * Key management, served by keyd to policyd alone (which asks for
	 * pgpmgctl through the parent, and records every change in the
	 * database).  policyd numbers its requests; keyd answers each with
	 * one REPLY, in order.
	 */
	IMSG_KEY_REQUEST,	/* u32 request, u32 KEY_OP_*, string arg
				   (address or fingerprint), string passphrase
				   ("" for none); fd: input (import) or none */
	IMSG_KEYD_KEY_REPLY,	/* u32 request, u32 KEY_E_*, string text;
				   fd: output (export, list) or none */
	/*
	 * The public keyring and the list of keys keyd holds secret, as
	 * sealed memfds: keyd -> parent after every change, and parent ->
	 * every cryptod worker (again to each new worker).  Until policyd
	 * serves public keys, this is the gateway's key store.
	 */
	IMSG_KEYD_KEYRING,	/* u32 generation, u32 KEYRING_*; fd */
	IMSG_PARENT_KEYRING,	/* likewise */

	/*
	 * policyd's database connection, for pgpmgctl: the parent asks on a
	 * client's behalf under its own request id.  policyd answers at
	 * once from the connection's state; with DBSTAT_F_CHECK it first
	 * runs its health statement, answered within database-timeout (at
	 * once when the database is down).
	 */
	IMSG_PARENT_DB_STATUS,	/* u32 request, u32 DBSTAT_F_* */
	IMSG_POLICYD_DB_STATUS,	/* u32 request, u32 DBSTAT_*, u32
				   DBSTAT_CHECK_*, u64 seconds since it
				   came up or went away, string text
				   (< DBSTAT_TEXT_MAX) */

	/*
	 * cryptod <-> policyd: the plan for one message (issue 5).  cryptod
	 * sends every recipient, then REQUEST; policyd answers one RCPT per
	 * recipient, in order, then DONE.  Requests are numbered by cryptod;
	 * policyd answers them in the order they came.  While the database is
	 * unavailable DONE says PLAN_TEMPFAIL (and no RCPT is sent), so the
	 * message gets a 4xx and nothing leaves against policy.
	 */
	IMSG_CRYPTOD_PLAN_RCPT,	/* u64 request, string address (<= 256),
				   u32 PLAN_RCPT_F_* */
	IMSG_CRYPTOD_PLAN_REQUEST,/* u64 request, string sender (<= 256),
				   u32 nrcpt, u32 PLAN_MSG_F_*, string subject
				   (UTF-8, RFC 2047 decoded, <= 4096) */
	IMSG_POLICYD_PLAN_RCPT,	/* u64 request, u32 recipient index, u32
				   POLICY_*, string rule (<= 200: what
				   decided, e.g. "rule 12: domain
				   partner.example" or "global: keyword") */
	IMSG_POLICYD_PLAN_DONE,	/* u64 request, u32 PLAN_OK|PLAN_TEMPFAIL,
				   u32 PLAN_DONE_F_*, string keyword to remove
				   from the outgoing Subject ("" for none) */
	/*
	 * cryptod -> policyd, once a job is done: statistics and, for a
	 * failure or a refusal, the audit trail.  Fire and forget: policyd
	 * logs what it cannot record.
	 */
	IMSG_CRYPTOD_RESULT,	/* u32 RESULT_DIR_*, u32 RESULT_F_*, u32
				   messages, string sender, string recipient
				   (the first concerned), string detail
				   (reason, rule; <= 512) */

	/*
	 * pgpmgctl's policy, rule, domain and user commands, for which the
	 * parent asks policyd on a client's behalf under its own request id,
	 * with the client's uid (SO_PEERCRED) for the audit trail.  policyd
	 * answers with any number of DATA (the output, in order), then one
	 * DONE; the parent bounds the wait.
	 */
	IMSG_PARENT_ADMIN,	/* u32 request, u32 uid, u32 ADMIN_OP_*,
				   4 x string arg (each <= ADMIN_ARG_MAX;
				   "" when not used) */
	IMSG_POLICYD_ADMIN_DATA,/* u32 request, string text
				   (< ADMIN_TEXT_MAX) */
	IMSG_POLICYD_ADMIN_DONE,/* u32 request, u32 ADMIN_E_*, string
				   message (< ADMIN_TEXT_MAX; "" when done
				   without one) */

	/*
	 * pgpmgctl's key commands: the parent asks policyd on a client's
	 * behalf under its own request id, with the client's uid; policyd
	 * asks keyd, records a change and its audit row, and answers as
	 * keyd answered (KEY_E_UNAVAILABLE: a change while the database is
	 * down, refused so that no change goes unrecorded).
	 */
	IMSG_PARENT_KEY,	/* u32 request, u32 uid, u32 KEY_OP_*, string
				   arg, string passphrase; fd: input */
	IMSG_POLICYD_KEY_REPLY,	/* as IMSG_KEYD_KEY_REPLY */

	/*
	 * webd <-> policyd: the console's logins and sessions (policyd/
	 * console.c, login.c).  webd numbers its requests (never 0); policyd
	 * answers each exactly once, not necessarily in the order asked (a
	 * login waits for its password check, a session lookup does not).
	 * Every string is bounded below (CONSOLE_*_MAX): webd refuses longer
	 * input itself, and a longer field is a protocol violation, fatal to
	 * policyd.  A session id that is not 64 lower-case hex digits (a
	 * cookie is the browser's to send) is no violation: it names no
	 * session.  Passwords are wiped by policyd once checked.
	 */
	IMSG_WEBD_LOGIN,	/* u32 request, string address, string
				   password, string client (the TCP peer as
				   text) */
	IMSG_POLICYD_LOGIN,	/* u32 request, u32 LOGIN_*, u32 seconds to
				   wait (LOGIN_LOCKED; else 0), string session
				   id (LOGIN_OK; else ""), string role, string
				   address as stored (LOGIN_OK; else "") */
	IMSG_WEBD_SESSION,	/* u32 request, string session id, string
				   client */
	IMSG_POLICYD_SESSION,	/* u32 request, u32 SESSION_*, u64 user id,
				   string address, string role, string display
				   name, string CSRF token (SESSION_OK; else 0
				   and "") */
	IMSG_WEBD_LOGOUT,	/* u32 request, string session id */
	IMSG_POLICYD_LOGOUT,	/* u32 request, u32 LOGOUT_* */
	IMSG_WEBD_REAUTH,	/* u32 request, string session id, string
				   password: the session's user again, before
				   an operation that asks for it */
	IMSG_POLICYD_REAUTH,	/* u32 request, u32 REAUTH_*, u32 seconds to
				   wait (REAUTH_LOCKED; else 0) */

	/*
	 * webd <-> policyd: the console's operations (CONSOLE_OP_*, below).
	 * Each names the session it is asked under; policyd looks it up,
	 * checks the role the operation needs and, for an operation marked
	 * so in its table, the password given (as REAUTH does, counting and
	 * locking as a failed login), and only then carries it out, audited
	 * with the actor "admin:ADDRESS" or "user:ADDRESS".  The answer is
	 * any number of DATA (the output, in order: lines of tab-separated
	 * fields, formats beside each op) and one DONE.  Requests are
	 * numbered by webd (never 0) and answered once each, in any order.
	 */
	IMSG_WEBD_OP,		/* u32 request, u32 CONSOLE_OP_*, string
				   session id, string client, string password
				   ("" when the op asks for none), CONSOLE_NARGS
				   x string arg (each <= CONSOLE_ARG_MAX, "" when
				   not used); fd: the upload of a key import
				   (a sealed memfd), or none */
	IMSG_POLICYD_OP_DATA,	/* u32 request, string text
				   (< ADMIN_TEXT_MAX) */
	IMSG_POLICYD_OP_DONE,	/* u32 request, u32 CONSOLE_E_*, u32 seconds
				   to wait (CONSOLE_E_LOCKED; else 0), string
				   message for the person (< ADMIN_TEXT_MAX);
				   fd: a key export (sealed memfd), or none */

	/*
	 * policyd -> parent -> policyd: the processes and their sandbox
	 * state, for the console's dashboard.  The entries are those of
	 * IMSG_CTL_STATUS_ENTRY (pgpmgd/control.c) with the request first.
	 */
	IMSG_POLICYD_PROCS,	/* u32 request */
	IMSG_PARENT_PROCS_ENTRY,/* u32 request, then as CTL_STATUS_ENTRY */
	IMSG_PARENT_PROCS_END,	/* u32 request */

	IMSG_TYPE_MAX,

	/*
	 * pgpmgctl <-> parent, on the control socket only (not a channel of
	 * the peer graph; control.c keeps its own list of accepted requests).
	 */
	IMSG_CTL_STATUS = 1000,	/* empty */
	IMSG_CTL_STATUS_ENTRY,	/* see control.c: ctl_status_entry() */
	IMSG_CTL_END,		/* empty: the reply is complete */
	IMSG_CTL_ERROR,		/* string */
	IMSG_CTL_KEY,		/* u32 KEY_OP_*, string arg, string
				   passphrase; fd: input for an import */
	IMSG_CTL_DATA,		/* fd: output to print (sealed memfd) */
	IMSG_CTL_DB_STATUS,	/* u32 DBSTAT_F_*; answered with one
				   CTL_DB_STATE, or CTL_ERROR */
	IMSG_CTL_DB_STATE,	/* as IMSG_POLICYD_DB_STATUS, without the
				   request id */
	IMSG_CTL_ADMIN,		/* u32 ADMIN_OP_*, 4 x string arg: answered
				   with CTL_DATA (output, when there is
				   any) and CTL_END, or CTL_ERROR whose
				   header peerid is the ADMIN_E_* code */
};

/* Output groups (IMSG_CRYPTOD_JOB_GROUP). */
#define GROUP_F_NOTICE	0x01	/* a notice from the gateway: relayed with
				   the null sender, so it never bounces */
#define GROUP_F_8BIT	0x02	/* the output has 8-bit bytes */

/* The plan protocol (IMSG_CRYPTOD_PLAN_*, IMSG_POLICYD_PLAN_*). */
#define PLAN_RCPT_F_KEY		0x01	/* a usable encryption key for this
					   recipient is in the store */
#define PLAN_MSG_F_SENDER_KEY	0x01	/* the sender has a held signing key */
#define PLAN_MSG_F_ENCRYPTED	0x02	/* the message is encrypted already */
enum policy_action {
	POLICY_PASS = 1,	/* as it is (signed when PLAN_DONE_F_SIGN) */
	POLICY_ENCRYPT,		/* encrypt to the recipient's key (signed
				   inside when PLAN_DONE_F_SIGN) */
	POLICY_BOUNCE,		/* refuse 5xx: no key, policy wants it
				   encrypted (missing-key bounce) */
	POLICY_HOLD,		/* refuse 4xx: held until the admin decides
				   (missing-key hold; Postfix keeps it) */
	POLICY_INCOMING,	/* internal recipient: verify, and decrypt
				   when PLAN_DONE_F_DECRYPT */
};
enum plan_status {
	PLAN_OK = 0,
	PLAN_TEMPFAIL,		/* the database is unavailable: 4xx */
};
#define PLAN_DONE_F_SIGN	0x01	/* sign outgoing mail */
#define PLAN_DONE_F_DECRYPT	0x02	/* decrypt incoming mail */
#define PLAN_DONE_F_PROTECT	0x04	/* protected headers */

/* Results (IMSG_CRYPTOD_RESULT). */
enum result_dir {
	RESULT_DIR_IN = 1,
	RESULT_DIR_OUT,
};
#define RESULT_F_ENCRYPTED	0x001
#define RESULT_F_SIGNED		0x002
#define RESULT_F_DECRYPTED	0x004
#define RESULT_F_SIG_GOOD	0x008
#define RESULT_F_SIG_BAD	0x010
#define RESULT_F_FAILED		0x020	/* decryption failed */
#define RESULT_F_REFUSED	0x040	/* refused or held by policy */

/* Policy and user administration (IMSG_CTL_ADMIN, IMSG_PARENT_ADMIN);
 * the arguments in order, README lists the commands. */
enum admin_op {
	ADMIN_OP_POLICY_SHOW = 1,	/* no argument */
	ADMIN_OP_POLICY_SET,		/* KEY, VALUE */
	ADMIN_OP_RULE_ADD,		/* SCOPE, PATTERN, ACTION, PRIORITY
					   ("" for the default) */
	ADMIN_OP_RULE_DEL,		/* ID */
	ADMIN_OP_RULE_LIST,		/* no argument */
	ADMIN_OP_DOMAIN_ADD,		/* NAME */
	ADMIN_OP_DOMAIN_DEL,		/* NAME */
	ADMIN_OP_DOMAIN_LIST,		/* no argument */
	ADMIN_OP_USER_ADD,		/* ADDRESS, DISPLAY NAME ("" for
					   none), ROLE ("" for user) */
	ADMIN_OP_USER_LIST,		/* no argument */
	ADMIN_OP_USER_SET,		/* ADDRESS, FIELD, VALUE ("" only
					   for the name) */
	ADMIN_OP_USER_PASSWD,		/* ADDRESS, PHC string (never the
					   password: pgpmgctl hashes) */
	ADMIN_OP_USER_DEL,		/* ADDRESS */
};
#define ADMIN_OP_MAX	ADMIN_OP_USER_DEL
#define ADMIN_NARGS	4
/* One argument: a display name of 200 characters of up to 4 bytes
 * each (common/userdef.h), the longest value of any command. */
#define ADMIN_ARG_MAX	800
/* One DATA chunk of output, or DONE's message. */
#define ADMIN_TEXT_MAX	(16 * 1024)
/* The whole output of one command, as the parent collects it. */
#define ADMIN_OUTPUT_MAX	((size_t)8 << 20)
enum admin_error {
	ADMIN_E_OK = 0,
	ADMIN_E_INVALID,	/* a bad value: nothing changed */
	ADMIN_E_NOTFOUND,	/* no such rule, domain or user */
	ADMIN_E_EXISTS,		/* that rule, domain or user exists
				   already */
	ADMIN_E_UNAVAILABLE,	/* the database is unavailable */
	ADMIN_E_FAILED,		/* the database refused; see the message */
};

/* Key operations (IMSG_KEY_REQUEST, IMSG_CTL_KEY). */
enum key_op {
	KEY_OP_GENERATE = 1,	/* arg: internal address */
	KEY_OP_IMPORT,		/* fd: armoured or binary key(s); a secret
				   key needs its passphrase; arg: "" or the
				   address that every user ID of every key
				   must be (the console's own-key upload) */
	KEY_OP_EXPORT,		/* arg: address or fingerprint; armoured */
	KEY_OP_LIST,		/* text, one key per line */
	KEY_OP_REVOKE,		/* arg: address or fingerprint */
	KEY_OP_DELETE,		/* arg: fingerprint of a public key that
				   keyd holds no secret of */
	KEY_OP_INVENTORY,	/* policyd only: every key, as JSON lines
				   (keyd/inventory.c) */
};
/* The operations pgpmgctl (and the console) may ask for. */
#define KEY_OP_CTL_MAX	KEY_OP_DELETE

/* Key results (IMSG_KEYD_KEY_REPLY). */
enum key_error {
	KEY_E_OK = 0,
	KEY_E_INVALID,		/* bad argument or key data */
	KEY_E_NOTFOUND,
	KEY_E_EXISTS,
	KEY_E_PASSPHRASE,	/* missing or wrong passphrase */
	KEY_E_FAILED,		/* gpg failed: see the text */
	KEY_E_UNAVAILABLE,	/* the database is down: no change now */
};
#define KEY_E_MAX	KEY_E_UNAVAILABLE

/*
 * The console's authentication (IMSG_WEBD_*, IMSG_POLICYD_LOGIN ..
 * IMSG_POLICYD_REAUTH).  The bounds are the fields' longest values: an
 * address as users.address takes it (common/userdef.h), a password as
 * common/passhash.h takes it, a client address as text (an IPv6 address
 * with a zone and a port is below 64).  Answers say 0 for a refusal, so
 * that a zeroed answer never lets anybody in.
 */
#define CONSOLE_ADDRESS_MAX	320
#define CONSOLE_PASSWORD_MAX	1024
#define CONSOLE_CLIENT_MAX	64
/* A session id and a CSRF token: 32 bytes in lower-case hex. */
#define CONSOLE_TOKEN_LEN	64
/* The answers' strings: a role's name, a display name (200 characters
 * of up to 4 bytes). */
#define CONSOLE_ROLE_MAX	16
#define CONSOLE_NAME_MAX	800
enum login_status {
	LOGIN_DENIED = 0,	/* the same for an unknown address, a wrong
				   password, no portal login, role none: the
				   reason is in the audit log only */
	LOGIN_OK,		/* the session id, the role and the address */
	LOGIN_LOCKED,		/* too many failures: try again after the
				   seconds given (the password was not
				   checked, or was wrong and started the lock) */
	LOGIN_BUSY,		/* too many logins at once: try again */
	LOGIN_UNAVAILABLE,	/* the database (or the console's key) is
				   unavailable: nothing was checked */
};
enum session_status {
	SESSION_NONE = 0,	/* unknown, expired, logged out, or its user
				   may no longer log in */
	SESSION_OK,
	SESSION_UNAVAILABLE,	/* the database or the console's key is
				   unavailable: not known either way */
};
enum logout_status {
	LOGOUT_NONE = 0,	/* no session ended: there was none such */
	LOGOUT_DONE,		/* the session was ended (and audited) */
	LOGOUT_UNAVAILABLE,	/* the database was unavailable (or policyd
				   too busy): nothing was ended, and the
				   session may live on until its timeout */
};
enum reauth_status {
	REAUTH_DENIED = 0,	/* a wrong password */
	REAUTH_OK,
	REAUTH_LOCKED,		/* as LOGIN_LOCKED */
	REAUTH_NONE,		/* no such session (as SESSION_NONE) */
	REAUTH_BUSY,
	REAUTH_UNAVAILABLE,
};

/*
 * The console's operations (IMSG_WEBD_OP).  A: the admin role only; U:
 * any signed-in role, for the session's own address only; P: the
 * password must be given again.  Arguments in order; output lines, with
 * fields separated by one tab (no field holds a tab or a line break).
 */
enum console_op {
	CONSOLE_OP_STATUS = 1,	/* A: "proc" + the CTL_STATUS_ENTRY fields
				   as text (name pid ready uptime user seccomp
				   nnp capeff root netns landlock up expected);
				   then "db\tSTATE\tSECONDS\tTEXT" */
	CONSOLE_OP_STATS,	/* A: arg hours (1..168, "" 24): one line per
				   hour and outcome with messages,
				   "HOUR-START-UNIX\tOUTCOME\tCOUNT"; the
				   outcomes messages, encrypted, signed,
				   decrypted, sig-good, sig-bad, failed */
	CONSOLE_OP_FAILURES,	/* A: the last 50 failed or refused
				   messages and failed logins: "TIME\tKIND\t
				   ACTOR\tSUBJECT\tDETAIL" (audit rows) */
	CONSOLE_OP_POLICY_SHOW,	/* A: as ADMIN_OP_POLICY_SHOW */
	CONSOLE_OP_POLICY_SET,	/* A P: KEY, VALUE: as ADMIN_OP_POLICY_SET */
	CONSOLE_OP_RULE_LIST,	/* A: as ADMIN_OP_RULE_LIST */
	CONSOLE_OP_RULE_ADD,	/* A P: as ADMIN_OP_RULE_ADD */
	CONSOLE_OP_RULE_DEL,	/* A P: as ADMIN_OP_RULE_DEL */
	CONSOLE_OP_DOMAIN_LIST,	/* A: as ADMIN_OP_DOMAIN_LIST */
	CONSOLE_OP_DOMAIN_ADD,	/* A P: as ADMIN_OP_DOMAIN_ADD */
	CONSOLE_OP_DOMAIN_DEL,	/* A P: as ADMIN_OP_DOMAIN_DEL */
	CONSOLE_OP_USER_LIST,	/* A: as ADMIN_OP_USER_LIST */
	CONSOLE_OP_USER_ADD,	/* A P: ADDRESS, NAME, ROLE: the user with a
				   new random password, output once as
				   "password\tPASSWORD" */
	CONSOLE_OP_USER_SET,	/* A P: as ADMIN_OP_USER_SET */
	CONSOLE_OP_USER_RESET,	/* A P: ADDRESS: a new random password,
				   output once as "password\tPASSWORD" */
	CONSOLE_OP_KEY_LIST,	/* A: every key of the record: "FINGERPRINT\t
				   internal|external\tSOURCE\tCREATED\t
				   EXPIRES|-\tREVOKED yes|no\tSECRET yes|no\t
				   ADDRESS[,ADDRESS..]" (times ISO 8601 UTC) */
	CONSOLE_OP_KEY_GENERATE,/* A P: ADDRESS */
	CONSOLE_OP_KEY_EXPORT,	/* A: FINGERPRINT: the armoured public key
				   as DONE's fd */
	CONSOLE_OP_KEY_IMPORT,	/* A P: PASSPHRASE ("" for public keys);
				   fd: the key data */
	CONSOLE_OP_KEY_REVOKE,	/* A P: FINGERPRINT */
	CONSOLE_OP_KEY_DELETE,	/* A P: FINGERPRINT (public keys only) */
	CONSOLE_OP_AUDIT_LIST,	/* A: PROCESS, KIND, ACTOR, SINCE, UNTIL,
				   BEFORE-ID (each "" for any; PROCESS one of
				   console, pgpmgctl, cryptod, policyd, other;
				   ACTOR any part of it; times ISO 8601, UTC
				   without a zone; at most 100 rows, newest
				   first):
				   "ID\tTIME\tPROCESS\tACTOR\tKIND\tSUBJECT\t
				   DETAIL" */
	CONSOLE_OP_AUDIT_CHAIN,	/* A: "ok\tROWS\tLAST-ID" or
				   "broken\tID\tWHY" */
	CONSOLE_OP_NOTICE_LIST,	/* A: "ID\tTIME\tKIND\tADDRESS\tTEXT" */
	CONSOLE_OP_MY_KEYS,	/* U: as KEY_LIST, the user's keys only */
	CONSOLE_OP_MY_KEY_EXPORT,/* U: FINGERPRINT of one of them */
	CONSOLE_OP_MY_KEY_IMPORT,/* U P: PASSPHRASE; fd: a public key or a
				   key pair whose every user id is the
				   user's address (keyd checks) */
	CONSOLE_OP_MY_KEY_REVOKE,/* U P: FINGERPRINT of one of them */
	CONSOLE_OP_MY_PASSWORD,	/* U P: NEW PASSWORD (the session ends with
				   it, as every session of the user does) */
	CONSOLE_OP_USER_DEL,	/* A P: as ADMIN_OP_USER_DEL */
};
#define CONSOLE_OP_MAX	CONSOLE_OP_USER_DEL
#define CONSOLE_NARGS	6
/* One argument: a new password or a key's passphrase is as long as a
 * password may be (CONSOLE_PASSWORD_MAX); every other value has its own,
 * shorter bound, checked by policyd. */
#define CONSOLE_ARG_MAX	1024
/* A key upload from the console. */
#define CONSOLE_UPLOAD_MAX	((size_t)1 << 20)
enum console_error {
	CONSOLE_E_DENIED = 0,	/* no live session, or the role may not:
				   a zeroed answer lets nobody do anything */
	CONSOLE_E_OK,
	CONSOLE_E_PASSWORD,	/* the password given again was wrong or
				   missing */
	CONSOLE_E_LOCKED,	/* too many failures: wait the seconds given */
	CONSOLE_E_BUSY,		/* too many password checks at once */
	CONSOLE_E_INVALID,	/* a bad value: nothing changed */
	CONSOLE_E_NOTFOUND,
	CONSOLE_E_EXISTS,
	CONSOLE_E_PASSPHRASE,	/* a key's passphrase missing or wrong */
	CONSOLE_E_UNAVAILABLE,	/* the database (or keyd) is unavailable */
	CONSOLE_E_FAILED,	/* see the message */
};
#define CONSOLE_E_MAX	CONSOLE_E_FAILED

enum keyring_kind {
	KEYRING_PUBLIC = 1,	/* every public key, binary OpenPGP */
	KEYRING_HELD,		/* text: "FINGERPRINT ADDRESS\n" for each
				   usable key keyd holds the secret of */
};

#define JOB_F_SMTPUTF8	0x01	/* the envelope needs SMTPUTF8 */
#define JOB_F_8BIT	0x02	/* the message has 8-bit bytes */
#define JOB_F_POISON	0x04	/* it killed workers before: do no more
				   than give it its permanent outcome */

/* Outcome of a job, in IMSG_CRYPTOD_JOB_DONE. */
enum job_outcome {
	JOB_OK = 0,		/* the groups are complete: relay them */
	JOB_TEMPFAIL,		/* answer 4xx with the given reply */
	JOB_PERMFAIL,		/* answer 5xx with the given reply */
};

/* The database connection (IMSG_POLICYD_DB_STATUS, IMSG_CTL_DB_STATE). */
#define DBSTAT_F_CHECK	0x01	/* run the health statement first */
enum dbstat_state {
	DBSTAT_DOWN = 0,	/* waiting to retry; text: the last error */
	DBSTAT_CONNECTING,	/* connecting, or preparing statements */
	DBSTAT_UP,
};
enum dbstat_check {
	DBSTAT_CHECK_NONE = 0,	/* not asked for */
	DBSTAT_CHECK_OK,	/* text: the server's version() */
	DBSTAT_CHECK_UNAVAILABLE,	/* text: why */
	DBSTAT_CHECK_ERROR,	/* the statement failed; text: why */
};
/* The text of a database status: a version string or one error line. */
#define DBSTAT_TEXT_MAX	256

enum listener_kind {
	LISTENER_SMTP = 1,
	LISTENER_WEB = 2,
	/* listen web-redirect: plain HTTP, answered only with a redirect to
	 * the console; sent to webd after LISTENER_WEB, when configured */
	LISTENER_WEB_REDIRECT = 3,
};

const char *imsg_type_name(uint32_t);
/* True when 'receiver' accepts 'type' from 'sender'. */
int	 msg_allowed(enum proc_id receiver, enum proc_id sender, uint32_t type);
/* Check a received message against the table; fatalx() naming the type and
 * the peer when it is not allowed. */
void	 msg_check(enum proc_id self, enum proc_id from, const struct imsg *);

#endif /* PGPMG_MSG_H */
