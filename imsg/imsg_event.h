/*
 * imsgev: an imsgbuf driven by a libevent event.  The event always watches
 * EV_READ and watches EV_WRITE only while the write queue is not empty, so an
 * idle channel costs no wake-ups.
 */
#ifndef PGPMG_IMSG_EVENT_H
#define PGPMG_IMSG_EVENT_H

#include <event2/event.h>

#include "imsg.h"

struct imsgev;

/*
 * Called once per complete message.  The handler owns nothing: imsgev frees
 * the message (closing an unclaimed fd) after the handler returns.  It may
 * compose replies and may call imsgev_stop(), but must not free the imsgev:
 * only on_done may do that.
 */
typedef void (*imsgev_msg_cb)(struct imsgev *, struct imsg *);
/*
 * Called when the channel is finished: EOF from the peer (error 0), a
 * read/write error (errno value) or a protocol error from imsg_get().
 * After it returns the imsgev is stopped; the callback may free it.
 */
typedef void (*imsgev_done_cb)(struct imsgev *, int error);

struct imsgev {
	struct imsgbuf	 ibuf;
	struct event	*ev;
	struct event_base *base;
	short		 events;	/* currently registered */
	imsgev_msg_cb	 on_msg;
	imsgev_done_cb	 on_done;
	void		*arg;
	int		 stopped;
};

int	 imsgev_init(struct imsgev *, struct event_base *, int fd,
	    imsgev_msg_cb, imsgev_done_cb, void *arg);
/* Stop watching; clears the buffer but does not close the socket.  A stop
 * asked for by the owner does not call on_done. */
void	 imsgev_stop(struct imsgev *);
/* Re-arm after queueing messages by hand with imsg_create()/imsg_close(). */
void	 imsgev_update(struct imsgev *);
int	 imsgev_compose(struct imsgev *, uint32_t type, uint32_t peerid,
	    int fd, const void *data, size_t datalen);

#endif /* PGPMG_IMSG_EVENT_H */
