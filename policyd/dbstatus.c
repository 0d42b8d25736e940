/*
 * dbstatus: the parent asks how the database connection is, on behalf of
 * pgpmgctl.  The answer without a check comes at once from db.c's state,
 * so it also shows that policyd's loop is not stuck, whatever the server
 * does.  With DBSTAT_F_CHECK the health statement runs first, through the
 * same queue as every other query: it is answered within the database
 * timeout, and at once while the database is down.  The console's
 * dashboard (console_status.c) asks the same way, with dbstatus_get().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/child.h"
#include "common/log.h"
#include "common/msg.h"
#include "imsg/imsg.h"
#include "policyd/db.h"
#include "policyd/dbstatus.h"
#include "policyd/statements.h"

struct dbstatus_check {
	dbstatus_cb	 cb;
	void		*arg;
};

/* The state as it is now, and the text cut to its bound. */
static void
dbstatus_answer(dbstatus_cb cb, void *arg, uint32_t check, const char *text)
{
	char		 t[DBSTAT_TEXT_MAX];
	uint32_t	 state;

	switch (db_state()) {
	case DB_STATE_UP:
		state = DBSTAT_UP;
		break;
	case DB_STATE_CONNECTING:
		state = DBSTAT_CONNECTING;
		break;
	default:
		state = DBSTAT_DOWN;
	}
	snprintf(t, sizeof(t), "%s", text);
	cb(state, check, db_state_seconds(), t, arg);
}

static void
dbstatus_checked(const struct db_result *r, void *arg)
{
	struct dbstatus_check	*k = arg;
	const char		*text = r->error;
	uint32_t		 check;

	switch (r->status) {
	case DB_OK:
		check = DBSTAT_CHECK_OK;
		if (PQntuples(r->res) == 1 && PQnfields(r->res) == 1)
			text = PQgetvalue(r->res, 0, 0);
		break;
	case DB_ERROR:
		check = DBSTAT_CHECK_ERROR;
		break;
	default:
		check = DBSTAT_CHECK_UNAVAILABLE;
	}
	dbstatus_answer(k->cb, k->arg, check, text);
	free(k);
}

void
dbstatus_get(int check, dbstatus_cb cb, void *arg)
{
	struct dbstatus_check	*k;

	if (!check) {
		dbstatus_answer(cb, arg, DBSTAT_CHECK_NONE,
		    db_state() == DB_STATE_UP ? "" : db_last_error());
		return;
	}
	if ((k = malloc(sizeof(*k))) == NULL)
		fatal("dbstatus");
	k->cb = cb;
	k->arg = arg;
	db_query(STMT_HEALTH, 0, NULL, NULL, NULL, dbstatus_checked, k);
}

/* The parent's: compose its answer. */
struct dbstatus_parent {
	struct child	*c;
	uint32_t	 request;
};

static void
dbstatus_reply(uint32_t state, uint32_t check, uint64_t seconds,
    const char *text, void *arg)
{
	struct dbstatus_parent	*p = arg;
	struct child		*c = p->c;
	struct ibuf		*b;

	if ((b = imsg_create(&c->parent.ibuf, IMSG_POLICYD_DB_STATUS, 0, -1,
	    3 * sizeof(uint32_t) + sizeof(uint64_t) + strlen(text) + 1)) ==
	    NULL || imsg_add_u32(b, p->request) == -1 ||
	    imsg_add_u32(b, state) == -1 || imsg_add_u32(b, check) == -1 ||
	    imsg_add_u64(b, seconds) == -1 ||
	    imsg_add_string(b, text) == -1)
		fatal("compose POLICYD_DB_STATUS");
	imsg_close(&c->parent.ibuf, b);
	imsgev_update(&c->parent);
	free(p);
}

void
dbstatus_request(struct child *c, struct imsg *imsg)
{
	struct imsg_reader	 r;
	struct dbstatus_parent	*p;
	uint32_t		 request, flags;

	imsg_reader_init(&r, imsg);
	if (imsg_read_u32(&r, &request) == -1 ||
	    imsg_read_u32(&r, &flags) == -1 || imsg_reader_end(&r) == -1 ||
	    (flags & ~(uint32_t)DBSTAT_F_CHECK) != 0)
		fatalx("malformed PARENT_DB_STATUS");
	if ((p = malloc(sizeof(*p))) == NULL)
		fatal("dbstatus");
	p->c = c;
	p->request = request;
	dbstatus_get(flags & DBSTAT_F_CHECK, dbstatus_reply, p);
}
