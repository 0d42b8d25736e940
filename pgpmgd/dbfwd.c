/*
 * The parent's part in the database status: pgpmgctl's IMSG_CTL_DB_STATUS
 * goes to policyd as IMSG_PARENT_DB_STATUS under the parent's own request
 * id, and policyd's IMSG_POLICYD_DB_STATUS goes back to the client that
 * asked, if it is still there (ctlfwd.c).  policyd answers a check within
 * its database-timeout and anything else at once; the parent still
 * bounds the wait.
 */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/msg.h"
#include "imsg/imsg.h"
#include "pgpmgd/pgpmgd.h"

/* Added to database-timeout: policyd's own bound on a check. */
#define DBFWD_GRACE_SEC		5

int
dbfwd_request(int client, uint64_t serial, uint32_t flags, char *err,
    size_t errlen)
{
	struct proc_slot	*s;
	struct ctlfwd_req	*q;
	uint32_t		 v[2];

	if ((q = ctlfwd_new(CTLFWD_DB, client, serial,
	    pgpmgd->conf.database_timeout + DBFWD_GRACE_SEC, &s, err,
	    errlen)) == NULL)
		return -1;
	v[0] = q->id;
	v[1] = flags;
	if (imsgev_compose(&s->iev, IMSG_PARENT_DB_STATUS, 0, -1, v,
	    sizeof(v)) == -1)
		fatal("compose PARENT_DB_STATUS");
	return 0;
}

/* policyd's answer: to the client waiting for it, if any. */
int
dbfwd_reply(struct imsg *imsg)
{
	struct imsg_reader	 r;
	struct dbfwd_status	 st;
	struct ctlfwd_req	*q;
	uint32_t		 id;

	imsg_reader_init(&r, imsg);
	if (imsg_read_u32(&r, &id) == -1 ||
	    imsg_read_u32(&r, &st.state) == -1 ||
	    imsg_read_u32(&r, &st.check) == -1 ||
	    imsg_read_u64(&r, &st.seconds) == -1 ||
	    imsg_read_string(&r, &st.text, DBSTAT_TEXT_MAX) == -1 ||
	    imsg_reader_end(&r) == -1 || st.state > DBSTAT_UP ||
	    st.check > DBSTAT_CHECK_ERROR)
		return -1;
	if ((q = ctlfwd_find(CTLFWD_DB, id)) != NULL) {
		control_db_reply(q->client, q->serial, &st, NULL);
		ctlfwd_free(q);
	}
	return 0;
}
