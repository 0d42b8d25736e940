/*
 * imsgev: an imsgbuf driven by one persistent libevent event.
 *
 * The event watches EV_READ always and EV_WRITE only while messages are
 * queued; imsgev_update() re-registers it only when that wanted set
 * changes, so a busy channel costs no epoll_ctl() per message and an idle
 * one no wake-ups.
 *
 * Callback rules (the dispatcher relies on them):
 *  - on_msg may compose replies and may call imsgev_stop(), but must not
 *    free the imsgev: the dispatcher looks at iev->stopped after each
 *    message and returns at once when it is set.
 *  - on_done is called at most once, when the channel ends by itself (EOF,
 *    an I/O or a protocol error), after the imsgev was stopped; it may free
 *    the imsgev, so the dispatcher never touches it afterwards.  An owner
 *    that calls imsgev_stop() itself gets no on_done.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "imsg/imsg_event.h"

static void	imsgev_dispatch(evutil_socket_t, short, void *);
static void	imsgev_fail(struct imsgev *, int);

int
imsgev_init(struct imsgev *iev, struct event_base *base, int fd,
    imsgev_msg_cb on_msg, imsgev_done_cb on_done, void *arg)
{
	memset(iev, 0, sizeof(*iev));
	iev->base = base;
	iev->on_msg = on_msg;
	iev->on_done = on_done;
	iev->arg = arg;
	if (imsgbuf_init(&iev->ibuf, fd) == -1) {
		iev->stopped = 1;
		return -1;
	}
	iev->ev = event_new(base, fd, EV_READ | EV_PERSIST, imsgev_dispatch,
	    iev);
	if (iev->ev == NULL || event_add(iev->ev, NULL) == -1) {
		if (iev->ev != NULL)
			event_free(iev->ev);
		iev->ev = NULL;
		imsgbuf_clear(&iev->ibuf);
		iev->stopped = 1;
		errno = ENOMEM;
		return -1;
	}
	iev->events = EV_READ;
	return 0;
}

/*
 * Freeing the event from inside its own callback is safe in libevent 2.1
 * when single-threaded: the loop does not touch the event after the
 * callback returns.
 */
void
imsgev_stop(struct imsgev *iev)
{
	if (iev->stopped)
		return;
	iev->stopped = 1;
	if (iev->ev != NULL) {
		event_del(iev->ev);
		event_free(iev->ev);
		iev->ev = NULL;
	}
	iev->events = 0;
	imsgbuf_clear(&iev->ibuf);
}

void
imsgev_update(struct imsgev *iev)
{
	short	want;

	if (iev->stopped)
		return;
	want = EV_READ;
	if (imsgbuf_queuelen(&iev->ibuf) > 0)
		want |= EV_WRITE;
	if (want == iev->events)
		return;

	event_del(iev->ev);
	iev->events = 0;
	if (event_assign(iev->ev, iev->base, iev->ibuf.fd, want | EV_PERSIST,
	    imsgev_dispatch, iev) == -1)
		return;
	/*
	 * event_add() on epoll fails only when the kernel is out of memory;
	 * events stays 0 then, so the next update tries again.
	 */
	if (event_add(iev->ev, NULL) == -1)
		return;
	iev->events = want;
}

int
imsgev_compose(struct imsgev *iev, uint32_t type, uint32_t peerid, int fd,
    const void *data, size_t datalen)
{
	if (iev->stopped) {
		/* The fd is ours from the call on, as with imsg_compose(). */
		if (fd >= 0)
			close(fd);
		errno = EPIPE;
		return -1;
	}
	if (imsg_compose(&iev->ibuf, type, peerid, fd, data, datalen) == -1)
		return -1;
	imsgev_update(iev);
	return 0;
}

/* Stops the channel and tells the owner; the owner may free iev here. */
static void
imsgev_fail(struct imsgev *iev, int error)
{
	imsgev_done_cb	on_done = iev->on_done;

	imsgev_stop(iev);
	if (on_done != NULL)
		on_done(iev, error);
}

/*
 * Reads before writing, so that the messages a peer sent before it went
 * away are still delivered even when our write to it would fail.
 */
static void
imsgev_dispatch(evutil_socket_t fd, short what, void *arg)
{
	struct imsgev	*iev = arg;
	struct imsg	 imsg;
	ssize_t		 n;

	(void)fd;
	if (iev->stopped)
		return;

	if (what & EV_READ) {
		n = imsgbuf_read(&iev->ibuf);
		if (n == 0) {
			imsgev_fail(iev, 0);
			return;
		}
		if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK) {
			imsgev_fail(iev, errno);
			return;
		}
		for (;;) {
			n = imsg_get(&iev->ibuf, &imsg);
			if (n == -1) {
				imsgev_fail(iev, errno);
				return;
			}
			if (n == 0)
				break;
			iev->on_msg(iev, &imsg);
			imsg_free(&imsg);
			if (iev->stopped)
				return;
		}
	}

	if ((what & EV_WRITE) && imsgbuf_write(&iev->ibuf) == -1) {
		imsgev_fail(iev, errno);
		return;
	}
	imsgev_update(iev);
}
