/*
 * keyops: key management for pgpmgctl (through the parent) and the
 * console (console_keys.c): whoever asks names a callback, which hears
 * keyd's answer once.  policyd alone talks to keyd, so that every change
 * to the keys is recorded: a request goes to keyd (IMSG_KEY_REQUEST);
 * when it changed something, policyd asks keyd for its inventory and
 * records it with the operation's audit row (keyrecord.c), and only then
 * answers.
 *
 * One request is at keyd or at the database at a time (keyd does one at
 * a time anyway); the rest wait in order, at most KEYOPS_QUEUE_MAX.  A
 * change is refused (KEY_E_UNAVAILABLE) while the database is down, so
 * that none goes unrecorded; reading (list, export) works regardless.  A
 * change keyd made whose record then failed (the database went away in
 * between) is kept and recorded when the database is back; the answer
 * says so.
 *
 * Besides, the record is brought in step with keyd's inventory, without
 * an audit row of its own, whenever keyd's channel comes up and after
 * each new database connection (a restored database may be behind).
 */
#include <sys/queue.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/child.h"
#include "common/log.h"
#include "common/msg.h"
#include "imsg/imsg.h"
#include "policyd/audit.h"
#include "policyd/db.h"
#include "policyd/keyops.h"
#include "policyd/keyrecord.h"

#define KEYOPS_QUEUE_MAX	16
/* Changes keyd made that wait for the database; beyond, none is made. */
#define KEYOPS_UNRECORDED_MAX	64
/* keyd's answer: a generation takes about a second, an import of a big
 * keyring a few; the parent waits KEYFWD_TIMEOUT_SEC for all of it. */
#define KEYOPS_KEYD_TIMEOUT_SEC	110
/* A record that failed with the database up is tried again after: */
#define KEYOPS_RETRY_SEC	10
#define KEYOPS_TEXT_MAX		4096

/* How a change is audited, and the source of keys it adds. */
static const struct {
	const char	*kind;		/* NULL: not a change */
	const char	*source;
} op_record[KEY_OP_CTL_MAX + 1] = {
	[KEY_OP_GENERATE] =	{ "key-generate", "generated" },
	[KEY_OP_IMPORT] =	{ "key-import", "imported" },
	[KEY_OP_REVOKE] =	{ "key-revoke", "" },
	[KEY_OP_DELETE] =	{ "key-delete", "" },
};

enum keyop_state {
	KO_QUEUED,
	KO_KEYD,		/* the request is at keyd */
	KO_INVENTORY,		/* the inventory for its record is */
	KO_RECORD,		/* the record is at the database */
};

struct keyop {
	TAILQ_ENTRY(keyop)	 entry;
	enum keyop_state	 state;
	int			 sync;		/* no request: a plain sync */
	keyops_cb		 cb;		/* NULL: nobody waits */
	void			*cbarg;
	uint32_t		 op;
	int			 fd;		/* an import's data */
	const char		*kind;		/* the audit row's */
	const char		*source;	/* of keys it adds */
	char			 actor[AUDIT_ACTOR_MAX + 1];
	char			 arg[KEYOPS_ARG_MAX + 1];
	char			 pass[KEYOPS_PASS_MAX + 1];
	/* keyd's answer */
	char			 text[KEYOPS_TEXT_MAX];
	char			 subject[KEYOPS_TEXT_MAX];
};
TAILQ_HEAD(keyop_list, keyop);

static struct {
	struct child		*c;
	struct keyop_list	 queue;		/* requests, in order */
	struct keyop_list	 unrecorded;	/* changes to record, in order */
	size_t			 nqueue;
	size_t			 nunrecorded;
	int			 sync_needed;
	struct keyop		*cur;		/* at keyd or the database */
	uint32_t		 keyd_id;	/* cur's request to keyd */
	struct event		*keyd_timer;	/* keyd's answer */
	struct event		*retry_timer;	/* a failed record's retry */
	int			 retry_wait;
} ko;

static void	pump(void);

static int
op_changes(uint32_t op)
{
	return op <= KEY_OP_CTL_MAX && op_record[op].kind != NULL;
}

static void
keyop_free(struct keyop *q)
{
	if (q->fd != -1)
		close(q->fd);
	explicit_bzero(q, sizeof(*q));
	free(q);
}

/* keyd's answer (or ours) to whoever asked, once. */
static void
reply(struct keyop *q, uint32_t code, const char *text, int fd)
{
	keyops_cb	 cb = q->cb;

	if (cb == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	q->cb = NULL;
	cb(code, text, fd, q->cbarg);
}

/* pgpmgctl's: the parent's request id is the argument. */
static void
reply_parent(uint32_t code, const char *text, int fd, void *arg)
{
	struct ibuf	*b;
	uint32_t	 request = (uint32_t)(uintptr_t)arg;

	if ((b = imsg_create(&ko.c->parent.ibuf, IMSG_POLICYD_KEY_REPLY, 0,
	    fd, 2 * sizeof(uint32_t) + strlen(text) + 1)) == NULL ||
	    imsg_add_u32(b, request) == -1 ||
	    imsg_add_u32(b, code) == -1 || imsg_add_string(b, text) == -1)
		fatal("compose POLICYD_KEY_REPLY");
	imsg_close(&ko.c->parent.ibuf, b);
	imsgev_update(&ko.c->parent);
}

static struct child_peer *
keyd_peer(void)
{
	struct child_peer	*p = child_peer_find(ko.c, PROC_KEYD, 0);

	return p != NULL && p->up ? p : NULL;
}

static void
timer_set(struct event *ev, int sec)
{
	struct timeval	 tv = { sec, 0 };

	if (evtimer_add(ev, &tv) == -1)
		fatalx("keyops: evtimer_add");
}

/* Send op for cur; its answer comes to keyops_keyd_reply(). */
static void
ask_keyd(struct child_peer *p, uint32_t op, const char *arg,
    const char *pass, int fd)
{
	struct ibuf	*b;

	ko.keyd_id++;
	/* imsg owns fd from here on, also when this fails. */
	if ((b = imsg_create(&p->iev.ibuf, IMSG_KEY_REQUEST,
	    (uint32_t)ko.c->instance, fd, 2 * sizeof(uint32_t) + strlen(arg) +
	    strlen(pass) + 2)) == NULL || imsg_add_u32(b, ko.keyd_id) == -1 ||
	    imsg_add_u32(b, op) == -1 || imsg_add_string(b, arg) == -1 ||
	    imsg_add_string(b, pass) == -1)
		fatal("compose KEY_REQUEST");
	imsg_close(&p->iev.ibuf, b);
	imsgev_update(&p->iev);
	timer_set(ko.keyd_timer, KEYOPS_KEYD_TIMEOUT_SEC);
}

/* ------------------------------------------------------------ record */

static void
recorded(int ok, const char *err, void *arg)
{
	struct keyop	*q = arg;
	char		 text[KEYOPS_TEXT_MAX + 256];

	ko.cur = NULL;
	if (ok) {
		if (q->sync)
			ko.sync_needed = 0;
		else {
			TAILQ_REMOVE(&ko.unrecorded, q, entry);
			ko.nunrecorded--;
			reply(q, KEY_E_OK, q->text, -1);
		}
		keyop_free(q);
		pump();
		return;
	}
	log_warnx("key record%s%s: %s", q->sync ? "" : " of ", q->sync ? "" :
	    q->subject, err);
	if (!q->sync && q->cb != NULL) {
		/* keyd made the change: it is done, and will be recorded. */
		snprintf(text, sizeof(text), "%s\nnot recorded yet (%s): "
		    "policyd records it once the database can take it",
		    q->text, err);
		reply(q, KEY_E_OK, text, -1);
	}
	if (q->sync)
		keyop_free(q);
	else
		q->state = KO_QUEUED;
	if (db_up()) {
		ko.retry_wait = 1;
		timer_set(ko.retry_timer, KEYOPS_RETRY_SEC);
	}
	pump();
}

/* Ask keyd for the inventory, for the oldest unrecorded change or a
 * plain sync. */
static void
record_start(struct child_peer *p)
{
	struct keyop	*q;

	if ((q = TAILQ_FIRST(&ko.unrecorded)) == NULL) {
		if ((q = calloc(1, sizeof(*q))) == NULL)
			fatal("keyops");
		q->sync = 1;
		q->fd = -1;
		snprintf(q->actor, sizeof(q->actor), "policyd (key sync)");
	}
	ko.cur = q;
	q->state = KO_INVENTORY;
	ask_keyd(p, KEY_OP_INVENTORY, "", "", -1);
}

static void
record_inventory(struct keyop *q, uint32_t code, const char *text, int fd)
{
	struct keyrecord_op	 op;

	if (code != KEY_E_OK || fd == -1) {
		if (fd != -1)
			close(fd);
		recorded(0, text[0] != '\0' ? text : "no inventory", q);
		return;
	}
	q->state = KO_RECORD;
	op.actor = q->actor;
	op.kind = q->sync ? "" : q->kind;
	op.subject = q->sync ? "" : q->subject;
	op.argument = q->sync ? "" : q->arg;
	op.result = q->sync ? "" : q->text;
	op.source = q->sync ? "" : q->source;
	keyrecord_sync(fd, &op, recorded, q);
}

/* ------------------------------------------------------------ requests */

static void
request_answered(struct keyop *q, uint32_t code, const char *text, int fd)
{
	ko.cur = NULL;
	if (!op_changes(q->op) || code != KEY_E_OK) {
		reply(q, code, text, fd);
		keyop_free(q);
		return;
	}
	if (fd != -1)
		close(fd);
	snprintf(q->text, sizeof(q->text), "%s", text);
	snprintf(q->subject, sizeof(q->subject), "%s", text);
	for (char *s = q->subject; *s != '\0'; s++)
		if (*s == '\n')
			*s = ' ';
	/* Recorded in order, after any change still waiting. */
	q->state = KO_QUEUED;
	TAILQ_INSERT_TAIL(&ko.unrecorded, q, entry);
	ko.nunrecorded++;
}

static void
pump(void)
{
	struct child_peer	*p;
	struct keyop		*q;

	if (ko.cur != NULL || (p = keyd_peer()) == NULL)
		return;
	if (db_up() && !ko.retry_wait && (ko.sync_needed ||
	    !TAILQ_EMPTY(&ko.unrecorded))) {
		record_start(p);
		return;
	}
	while ((q = TAILQ_FIRST(&ko.queue)) != NULL) {
		TAILQ_REMOVE(&ko.queue, q, entry);
		ko.nqueue--;
		if (op_changes(q->op) && !db_up()) {
			reply(q, KEY_E_UNAVAILABLE, "the database is "
			    "unavailable: keys change only when the change "
			    "can be recorded; try again when it is back", -1);
			keyop_free(q);
			continue;
		}
		if (op_changes(q->op) && ko.nunrecorded > 0) {
			reply(q, KEY_E_UNAVAILABLE, "earlier key "
			    "changes are not recorded yet; try again later",
			    -1);
			keyop_free(q);
			continue;
		}
		ko.cur = q;
		q->state = KO_KEYD;
		ask_keyd(p, q->op, q->arg, q->pass, q->fd);
		q->fd = -1;
		explicit_bzero(q->pass, sizeof(q->pass));
		return;
	}
}

static void
retry_fired(int fd, short ev, void *arg)
{
	(void)fd; (void)ev; (void)arg;
	ko.retry_wait = 0;
	pump();
}

static void
keyd_timeout(int fd, short ev, void *arg)
{
	struct keyop	*q = ko.cur;

	(void)fd; (void)ev; (void)arg;
	if (q == NULL || (q->state != KO_KEYD && q->state != KO_INVENTORY))
		return;
	log_warnx("keyd did not answer key request %u within %d s",
	    ko.keyd_id, KEYOPS_KEYD_TIMEOUT_SEC);
	/* Its late answer will not match ko.keyd_id. */
	ko.keyd_id++;
	if (q->state == KO_KEYD) {
		request_answered(q, KEY_E_FAILED, "keyd did not answer in "
		    "time: the change may or may not have been made", -1);
		pump();
	} else
		record_inventory(q, KEY_E_FAILED, "keyd did not answer", -1);
}

void
keyops_keyd_reply(struct child *c, struct imsg *imsg)
{
	struct imsg_reader	 r;
	struct keyop		*q = ko.cur;
	const char		*text;
	uint32_t		 id, code;
	int			 fd = imsg_get_fd(imsg);

	(void)c;
	imsg_reader_init(&r, imsg);
	if (imsg_read_u32(&r, &id) == -1 || imsg_read_u32(&r, &code) == -1 ||
	    imsg_read_string(&r, &text, KEYOPS_TEXT_MAX - 1) == -1 ||
	    imsg_reader_end(&r) == -1 || code > KEY_E_MAX)
		fatalx("malformed KEYD_KEY_REPLY");
	if (q == NULL || id != ko.keyd_id ||
	    (q->state != KO_KEYD && q->state != KO_INVENTORY)) {
		log_debug("keyd answered request %u, which nobody awaits", id);
		if (fd != -1)
			close(fd);
		return;
	}
	evtimer_del(ko.keyd_timer);
	if (q->state == KO_KEYD) {
		request_answered(q, code, text, fd);
		pump();
	} else
		record_inventory(q, code, text, fd);
}

void
keyops_ask(const struct keyops_ask *a, keyops_cb cb, void *cbarg)
{
	struct keyop	*q;

	if (a->op < KEY_OP_GENERATE || a->op > KEY_OP_CTL_MAX ||
	    strlen(a->arg) > KEYOPS_ARG_MAX ||
	    strlen(a->pass) > KEYOPS_PASS_MAX ||
	    strlen(a->actor) > AUDIT_ACTOR_MAX)
		fatalx("keyops_ask: a request beyond its bounds");
	if ((q = calloc(1, sizeof(*q))) == NULL)
		fatal("keyops");
	q->cb = cb;
	q->cbarg = cbarg;
	q->op = a->op;
	q->fd = a->fd;
	if (op_changes(a->op)) {
		q->kind = a->kind != NULL ? a->kind : op_record[a->op].kind;
		q->source = a->source != NULL ? a->source :
		    op_record[a->op].source;
	}
	memcpy(q->actor, a->actor, strlen(a->actor) + 1);
	memcpy(q->arg, a->arg, strlen(a->arg) + 1);
	memcpy(q->pass, a->pass, strlen(a->pass) + 1);
	if (ko.nqueue >= KEYOPS_QUEUE_MAX) {
		reply(q, KEY_E_FAILED, "too many key requests at once; try "
		    "again", -1);
		keyop_free(q);
		return;
	}
	TAILQ_INSERT_TAIL(&ko.queue, q, entry);
	ko.nqueue++;
	pump();
}

void
keyops_request(struct child *c, struct imsg *imsg)
{
	struct imsg_reader	 r;
	struct keyops_ask	 a;
	const char		*arg, *pass;
	char			 actor[64];
	uint32_t		 request, uid, op;

	(void)c;
	memset(&a, 0, sizeof(a));
	a.fd = imsg_get_fd(imsg);
	imsg_reader_init(&r, imsg);
	if (imsg_read_u32(&r, &request) == -1 || imsg_read_u32(&r, &uid) ==
	    -1 || imsg_read_u32(&r, &op) == -1 ||
	    imsg_read_string(&r, &arg, KEYOPS_ARG_MAX) == -1 ||
	    imsg_read_string(&r, &pass, KEYOPS_PASS_MAX) == -1 ||
	    imsg_reader_end(&r) == -1 || request == 0 ||
	    op < KEY_OP_GENERATE || op > KEY_OP_CTL_MAX)
		fatalx("malformed PARENT_KEY");
	snprintf(actor, sizeof(actor), "pgpmgctl (uid %u)", uid);
	a.op = op;
	a.arg = arg;
	a.pass = pass;
	a.actor = actor;
	keyops_ask(&a, reply_parent, (void *)(uintptr_t)request);
	/* The request may have carried a key pair's passphrase. */
	explicit_bzero(imsg->data, imsg->datalen);
}

void
keyops_peer_up(struct child *c, struct child_peer *p)
{
	(void)c;
	if (p->proc != PROC_KEYD)
		return;
	ko.sync_needed = 1;
	pump();
}

static void
db_state_changed(enum db_state state, void *arg)
{
	(void)arg;
	if (state != DB_STATE_UP)
		return;
	/* A new connection: perhaps a database restored from a backup. */
	ko.sync_needed = 1;
	ko.retry_wait = 0;
	evtimer_del(ko.retry_timer);
	pump();
}

void
keyops_init(struct child *c)
{
	ko.c = c;
	TAILQ_INIT(&ko.queue);
	TAILQ_INIT(&ko.unrecorded);
	if ((ko.keyd_timer = evtimer_new(c->base, keyd_timeout, NULL)) ==
	    NULL || (ko.retry_timer = evtimer_new(c->base, retry_fired,
	    NULL)) == NULL)
		fatalx("keyops: evtimer");
	db_add_state_hook(db_state_changed, NULL);
}
