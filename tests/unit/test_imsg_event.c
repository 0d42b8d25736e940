/*
 * Tests of imsgev, the libevent helper: EV_WRITE is registered only while
 * messages are queued, messages reach on_msg in order and are freed after
 * it, and the channel's end (EOF, a write error, a protocol error) stops it
 * and reaches on_done exactly once, after which on_done may free it.  The
 * peer is a plain imsgbuf on the other end of a socketpair.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include <criterion/criterion.h>

#include "imsg/imsg_event.h"

/* Messages a peer sends in the delivery tests. */
#define T_COUNT		100
/* Bound on loop iterations, so a bug shows as a failure, not a hang. */
#define T_PUMP_MAX	100000
/* Seconds before Criterion kills a hung test. */
#define T_TIMEOUT	10

TestSuite(imsg_event, .timeout = T_TIMEOUT);

struct t_state {
	int		msgs;
	int		dones;
	int		done_error;
	uint32_t	last_type;
	int		stop_after;	/* call imsgev_stop after this many */
	int		echo;		/* reply to each message */
	int		claim_fd;	/* keep the fd of each message */
	int		fd_seen;
	int		fd_claimed;
	int		free_on_done;
};

static void
t_pair(int sv[2])
{
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_neq(fcntl(sv[0], F_SETFL, O_NONBLOCK), -1);
	cr_assert_neq(fcntl(sv[1], F_SETFL, O_NONBLOCK), -1);
}

static void
t_on_msg(struct imsgev *iev, struct imsg *imsg)
{
	struct t_state	*st = iev->arg;

	st->msgs++;
	cr_assert_eq(imsg->hdr.type, st->last_type + 1, "out of order");
	st->last_type = imsg->hdr.type;
	if (imsg->fd >= 0) {
		st->fd_seen = imsg->fd;
		if (st->claim_fd)
			st->fd_claimed = imsg_get_fd(imsg);
	}
	if (st->echo)
		cr_assert_eq(imsgev_compose(iev, imsg->hdr.type + 1000, 0, -1,
		    imsg->data, imsg->datalen), 0);
	if (st->stop_after > 0 && st->msgs == st->stop_after)
		imsgev_stop(iev);
}

static void
t_on_done(struct imsgev *iev, int error)
{
	struct t_state	*st = iev->arg;

	st->dones++;
	st->done_error = error;
	cr_assert(iev->stopped, "on_done before stop");
	cr_assert_null(iev->ev);
	if (st->free_on_done)
		free(iev);
}

static struct event_base *
t_base(void)
{
	struct event_base	*base;

	cr_assert_not_null(base = event_base_new());
	return base;
}

Test(imsg_event, write_interest_follows_queue)
{
	struct event_base	*base = t_base();
	struct t_state		 st = { 0 };
	struct imsgev		 iev;
	struct imsgbuf		 peer;
	struct imsg		 imsg;
	int			 sv[2], i;

	t_pair(sv);
	imsgbuf_init(&peer, sv[1]);
	cr_assert_eq(imsgev_init(&iev, base, sv[0], t_on_msg, t_on_done,
	    &st), 0);
	cr_assert_eq(iev.events, EV_READ);
	cr_assert(event_pending(iev.ev, EV_READ, NULL));
	cr_assert(!event_pending(iev.ev, EV_WRITE, NULL),
	    "idle channel watches EV_WRITE");

	cr_assert_eq(imsgev_compose(&iev, 1, 0, -1, "a", 1), 0);
	cr_assert_eq(iev.events, EV_READ | EV_WRITE);
	cr_assert(event_pending(iev.ev, EV_WRITE, NULL));
	/* A second message: the wanted set is the same. */
	cr_assert_eq(imsgev_compose(&iev, 2, 0, -1, "b", 1), 0);
	cr_assert_eq(iev.events, EV_READ | EV_WRITE);

	for (i = 0; imsgbuf_queuelen(&iev.ibuf) > 0 && i < T_PUMP_MAX; i++)
		event_base_loop(base, EVLOOP_ONCE);
	cr_assert_eq(imsgbuf_queuelen(&iev.ibuf), 0);
	cr_assert_eq(iev.events, EV_READ);
	cr_assert(!event_pending(iev.ev, EV_WRITE, NULL));
	cr_assert(event_pending(iev.ev, EV_READ, NULL));

	cr_assert_gt(imsgbuf_read(&peer), 0);
	cr_assert_eq(imsg_get(&peer, &imsg), 1);
	cr_assert_eq(imsg.hdr.type, 1);
	imsg_free(&imsg);
	cr_assert_eq(imsg_get(&peer, &imsg), 1);
	cr_assert_eq(imsg.hdr.type, 2);
	imsg_free(&imsg);

	/* Queued by hand: imsgev_update arms EV_WRITE. */
	imsg_close(&iev.ibuf, imsg_create(&iev.ibuf, 3, 0, -1, 0));
	cr_assert_eq(iev.events, EV_READ);
	imsgev_update(&iev);
	cr_assert_eq(iev.events, EV_READ | EV_WRITE);
	cr_assert(event_pending(iev.ev, EV_WRITE, NULL));

	imsgev_stop(&iev);
	cr_assert_eq(iev.events, 0);
	cr_assert_eq(st.dones, 0, "owner's stop called on_done");
	imsgbuf_clear(&peer);
	event_base_free(base);
}

Test(imsg_event, messages_then_eof)
{
	struct event_base	*base = t_base();
	struct t_state		 st = { 0 };
	struct imsgev		 iev;
	struct imsgbuf		 peer;
	uint32_t		 i;
	int			 sv[2];

	t_pair(sv);
	imsgbuf_init(&peer, sv[1]);
	for (i = 1; i <= T_COUNT; i++)
		cr_assert_eq(imsg_compose(&peer, i, 0, -1, &i, sizeof(i)), 0);
	cr_assert_eq(imsgbuf_flush(&peer), 0);
	imsgbuf_clear(&peer);
	close(sv[1]);

	cr_assert_eq(imsgev_init(&iev, base, sv[0], t_on_msg, t_on_done,
	    &st), 0);
	/* Returns once the stopped channel left the loop without events. */
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(st.msgs, T_COUNT);
	cr_assert_eq(st.dones, 1);
	cr_assert_eq(st.done_error, 0);
	cr_assert(iev.stopped);
	event_base_free(base);
}

Test(imsg_event, echo_replies)
{
	struct event_base	*base = t_base();
	struct t_state		 st = { .echo = 1 };
	struct imsgev		 iev;
	struct imsgbuf		 peer;
	struct imsg		 imsg;
	uint32_t		 i, got = 0;
	int			 sv[2], n;

	t_pair(sv);
	imsgbuf_init(&peer, sv[1]);
	cr_assert_eq(imsgev_init(&iev, base, sv[0], t_on_msg, t_on_done,
	    &st), 0);
	for (i = 1; i <= T_COUNT; i++)
		cr_assert_eq(imsg_compose(&peer, i, 0, -1, &i, sizeof(i)), 0);
	cr_assert_eq(imsgbuf_flush(&peer), 0);

	for (n = 0; got < T_COUNT && n < T_PUMP_MAX; n++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		if (imsgbuf_read(&peer) == -1)
			cr_assert_eq(errno, EAGAIN);
		while (imsg_get(&peer, &imsg) == 1) {
			got++;
			cr_assert_eq(imsg.hdr.type, got + 1000);
			cr_assert_eq(imsg.datalen, sizeof(got));
			cr_assert_eq(memcmp(imsg.data, &got, sizeof(got)), 0);
			imsg_free(&imsg);
		}
	}
	cr_assert_eq(got, T_COUNT);
	cr_assert_eq(st.msgs, T_COUNT);
	cr_assert_eq(iev.events, EV_READ, "EV_WRITE left on when idle");
	cr_assert_eq(st.dones, 0);
	imsgev_stop(&iev);
	imsgbuf_clear(&peer);
	event_base_free(base);
}

Test(imsg_event, stop_from_on_msg)
{
	struct event_base	*base = t_base();
	struct t_state		 st = { .stop_after = 1 };
	struct imsgev		 iev;
	struct imsgbuf		 peer;
	uint32_t		 i;
	int			 sv[2];

	t_pair(sv);
	imsgbuf_init(&peer, sv[1]);
	for (i = 1; i <= 5; i++)
		cr_assert_eq(imsg_compose(&peer, i, 0, -1, "x", 1), 0);
	cr_assert_eq(imsgbuf_flush(&peer), 0);

	cr_assert_eq(imsgev_init(&iev, base, sv[0], t_on_msg, t_on_done,
	    &st), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	/* Four messages were buffered, but none reached the handler. */
	cr_assert_eq(st.msgs, 1);
	cr_assert_eq(st.dones, 0);
	cr_assert(iev.stopped);
	/* Stopped channels refuse to compose, and still own the fd. */
	{
		int	p[2];

		cr_assert_eq(pipe2(p, O_NONBLOCK), 0);
		errno = 0;
		cr_assert_eq(imsgev_compose(&iev, 1, 0, p[1], NULL, 0), -1);
		cr_assert_eq(errno, EPIPE);
		cr_assert_eq(fcntl(p[1], F_GETFD), -1);
		close(p[0]);
	}
	imsgev_stop(&iev);	/* twice is harmless */
	imsgbuf_clear(&peer);
	event_base_free(base);
}

Test(imsg_event, protocol_error_reaches_on_done)
{
	struct event_base	*base = t_base();
	struct t_state		 st = { 0 };
	struct imsgev		 iev;
	struct imsg_hdr		 h;
	int			 sv[2];

	t_pair(sv);
	memset(&h, 0, sizeof(h));
	h.type = 1;
	h.len = IMSG_HEADER_SIZE;
	h.reserved = 1;
	cr_assert_eq(write(sv[1], &h, sizeof(h)), (ssize_t)sizeof(h));

	cr_assert_eq(imsgev_init(&iev, base, sv[0], t_on_msg, t_on_done,
	    &st), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(st.msgs, 0);
	cr_assert_eq(st.dones, 1);
	cr_assert_eq(st.done_error, EBADMSG);
	close(sv[1]);
	event_base_free(base);
}

Test(imsg_event, write_error_reaches_on_done)
{
	struct event_base	*base = t_base();
	struct t_state		 st = { 0 };
	struct imsgev		 iev;
	int			 sv[2];

	t_pair(sv);
	/* The peer stops reading but does not close: only writes fail. */
	cr_assert_eq(shutdown(sv[1], SHUT_RD), 0);
	cr_assert_eq(imsgev_init(&iev, base, sv[0], t_on_msg, t_on_done,
	    &st), 0);
	cr_assert_eq(imsgev_compose(&iev, 1, 0, -1, "x", 1), 0);
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(st.dones, 1);
	cr_assert_eq(st.done_error, EPIPE);
	close(sv[1]);
	event_base_free(base);
}

Test(imsg_event, on_done_may_free)
{
	struct event_base	*base = t_base();
	struct t_state		 st = { .free_on_done = 1 };
	struct imsgev		*iev;
	struct imsgbuf		 peer;
	int			 sv[2];

	t_pair(sv);
	imsgbuf_init(&peer, sv[1]);
	cr_assert_eq(imsg_compose(&peer, 1, 0, -1, "x", 1), 0);
	cr_assert_eq(imsgbuf_flush(&peer), 0);
	imsgbuf_clear(&peer);
	close(sv[1]);

	cr_assert_not_null(iev = malloc(sizeof(*iev)));
	cr_assert_eq(imsgev_init(iev, base, sv[0], t_on_msg, t_on_done,
	    &st), 0);
	/* Under ASan any touch of iev after on_done is a crash. */
	cr_assert_eq(event_base_dispatch(base), 1);
	cr_assert_eq(st.msgs, 1);
	cr_assert_eq(st.dones, 1);
	event_base_free(base);
}

Test(imsg_event, fds_claimed_or_closed)
{
	struct event_base	*base = t_base();
	struct t_state		 st = { 0 };
	struct imsgev		 iev;
	struct imsgbuf		 peer;
	int			 sv[2], p[2];
	char			 c;

	t_pair(sv);
	imsgbuf_init(&peer, sv[1]);
	cr_assert_eq(imsgev_init(&iev, base, sv[0], t_on_msg, t_on_done,
	    &st), 0);

	/* Unclaimed: closed once the handler returns. */
	cr_assert_eq(pipe2(p, O_NONBLOCK), 0);
	cr_assert_eq(imsg_compose(&peer, 1, 0, p[1], NULL, 0), 0);
	cr_assert_eq(imsgbuf_flush(&peer), 0);
	cr_assert_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	cr_assert_eq(st.msgs, 1);
	cr_assert_geq(st.fd_seen, 0);
	cr_assert_eq(fcntl(st.fd_seen, F_GETFD), -1, "unclaimed fd open");
	cr_assert_eq(read(p[0], &c, 1), 0);
	close(p[0]);

	/* Claimed: the handler's to keep. */
	st.claim_fd = 1;
	cr_assert_eq(pipe2(p, O_NONBLOCK), 0);
	cr_assert_eq(imsg_compose(&peer, 2, 0, p[1], NULL, 0), 0);
	cr_assert_eq(imsgbuf_flush(&peer), 0);
	cr_assert_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	cr_assert_eq(st.msgs, 2);
	cr_assert_geq(st.fd_claimed, 0);
	cr_assert_eq(write(st.fd_claimed, "k", 1), 1);
	cr_assert_eq(read(p[0], &c, 1), 1);
	cr_assert_eq(c, 'k');
	close(st.fd_claimed);
	close(p[0]);

	imsgev_stop(&iev);
	imsgbuf_clear(&peer);
	event_base_free(base);
}
