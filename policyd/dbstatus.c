/*
 * dbstatus: the parent asks how the database connection is, on behalf of
 * pgpmgctl.  The answer without a check comes at once from db.c's state,
 * so it also shows that policyd's loop is not stuck, whatever the server
 * does.  With DBSTAT_F_CHECK the health statement runs first, through the
 * same queue as every other query: it is answered within the database
 * timeout, and at once while the database is down.
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
	struct child	*c;
	uint32_t	 request;
};

static void
dbstatus_reply(struct child *c, uint32_t request, uint32_t check,
    const char *text)
{
	struct ibuf	*b;
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
	snprintf(t, sizeof(t), "%s", text);	/* cut to the bound */
	if ((b = imsg_create(&c->parent.ibuf, IMSG_POLICYD_DB_STATUS, 0, -1,
	    3 * sizeof(uint32_t) + sizeof(uint64_t) + strlen(t) + 1)) ==
	    NULL || imsg_add_u32(b, request) == -1 ||
	    imsg_add_u32(b, state) == -1 || imsg_add_u32(b, check) == -1 ||
	    imsg_add_u64(b, db_state_seconds()) == -1 ||
	    imsg_add_string(b, t) == -1)
		fatal("compose POLICYD_DB_STATUS");
	imsg_close(&c->parent.ibuf, b);
	imsgev_update(&c->parent);
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
	dbstatus_reply(k->c, k->request, check, text);
	free(k);
}

void
dbstatus_request(struct child *c, struct imsg *imsg)
{
	struct imsg_reader	 r;
	struct dbstatus_check	*k;
	uint32_t		 request, flags;

	imsg_reader_init(&r, imsg);
	if (imsg_read_u32(&r, &request) == -1 ||
	    imsg_read_u32(&r, &flags) == -1 || imsg_reader_end(&r) == -1 ||
	    (flags & ~(uint32_t)DBSTAT_F_CHECK) != 0)
		fatalx("malformed PARENT_DB_STATUS");
	if (!(flags & DBSTAT_F_CHECK)) {
		dbstatus_reply(c, request, DBSTAT_CHECK_NONE,
		    db_state() == DB_STATE_UP ? "" : db_last_error());
		return;
	}
	if ((k = malloc(sizeof(*k))) == NULL)
		fatal("dbstatus");
	k->c = c;
	k->request = request;
	db_query(STMT_HEALTH, 0, NULL, NULL, NULL, dbstatus_checked, k);
}
