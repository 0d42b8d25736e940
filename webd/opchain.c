/*
 * opchain: operations in order, then the page.  The answers policyd_
 * client.c hands over are wiped once the callback returns, so each is
 * copied here, and wiped again when the request is over: an output may
 * hold a one-time password, a message anything policyd chose to say.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "webd/opchain.h"
#include "webd/page.h"
#include "webd/policyd_client.h"
#include "webd/webd.h"

static void	opchain_ask(struct conn *, struct opchain *);

static void
opchain_free(void *arg)
{
	struct opchain		*ch = arg;
	struct opchain_step	*s;

	for (int i = 0; i < ch->n; i++) {
		s = &ch->steps[i];
		if (s->upload_fd != -1)
			close(s->upload_fd);
		if (s->message != NULL) {
			explicit_bzero(s->message, strlen(s->message));
			free(s->message);
		}
		if (s->out != NULL) {
			explicit_bzero(s->out, s->outlen);
			free(s->out);
		}
	}
	free(ch->owned);
	explicit_bzero(ch, sizeof(*ch));
	free(ch);
}

struct opchain *
opchain_new(struct conn *c, opchain_render render, const void *arg)
{
	struct opchain	*ch;

	if ((ch = calloc(1, sizeof(*ch))) == NULL)
		fatal("opchain");
	ch->render = render;
	ch->arg = arg;
	conn_page_set(c, ch, opchain_free);
	return ch;
}

struct opchain_step *
opchain_add(struct opchain *ch, enum console_op op, const char *password)
{
	struct opchain_step	*s;

	if (ch->n == OPCHAIN_MAX)
		fatalx("opchain: more than %d operations", OPCHAIN_MAX);
	s = &ch->steps[ch->n++];
	memset(s, 0, sizeof(*s));
	s->op = op;
	s->password = password;
	s->upload_fd = -1;
	return s;
}

static char *
opchain_copy(const char *s, size_t len)
{
	char	*p;

	if ((p = malloc(len + 1)) == NULL)
		fatal("opchain: answer");
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void
opchain_refused(struct opchain *ch, enum console_op op, int status,
    const char *message)
{
	struct opchain_step	*s = opchain_add(ch, op, NULL);

	s->answered = 1;
	s->refused = status;
	s->error = CONSOLE_E_INVALID;
	s->message = opchain_copy(message, strlen(message));
	s->out = opchain_copy("", 0);
}

/* Ask for the next step not yet answered, or render. */
static void
opchain_next(struct conn *c, struct opchain *ch)
{
	while (ch->next < ch->n && ch->steps[ch->next].answered)
		ch->next++;
	if (ch->next == ch->n) {
		ch->render(c, ch);
		return;
	}
	opchain_ask(c, ch);
}

static void
opchain_answered(struct conn *c, const struct console_result *res,
    void *arg)
{
	struct opchain		*ch = arg;
	struct opchain_step	*s = &ch->steps[ch->next++];

	/* No operation of a chain exports; an fd would be policyd's
	 * mistake, and is not kept. */
	if (res->fd != -1)
		close(res->fd);
	s->answered = 1;
	s->error = res->error;
	s->wait = res->wait;
	s->message = opchain_copy(res->message, strlen(res->message));
	s->out = opchain_copy(res->output, res->outlen);
	s->outlen = res->outlen;
	if (s->last_if_ok && s->error == CONSOLE_E_OK)
		ch->n = ch->next;
	opchain_next(c, ch);
}

static void
opchain_ask(struct conn *c, struct opchain *ch)
{
	struct opchain_step	*s = &ch->steps[ch->next];
	int			 fd = s->upload_fd;

	/* console_op() takes the descriptor whatever happens. */
	s->upload_fd = -1;
	(void)console_op(c, c->request.session, s->op, s->password, s->args,
	    fd, opchain_answered, ch);
}

void
opchain_start(struct conn *c, struct opchain *ch)
{
	if (ch->n == 0)
		fatalx("opchain: nothing to ask");
	ch->next = 0;
	opchain_next(c, ch);
}

/* The status of an answered step. */
static int
opchain_step_status(const struct opchain_step *s, uint32_t *retry_after)
{
	*retry_after = 0;
	if (s->refused)
		return s->refused;
	return page_status(s->error, s->wait, retry_after);
}

int
opchain_status(const struct opchain *ch, uint32_t *retry_after)
{
	*retry_after = 0;
	if (ch->change && ch->n > 0 && ch->steps[0].answered)
		return opchain_step_status(&ch->steps[0], retry_after);
	for (int i = 0; i < ch->n; i++) {
		if (!ch->steps[i].answered)
			continue;
		if (ch->steps[i].refused ||
		    ch->steps[i].error != CONSOLE_E_OK)
			return opchain_step_status(&ch->steps[i],
			    retry_after);
	}
	return 200;
}

void
opchain_banner(struct evbuffer *b, const struct opchain_step *s)
{
	char	 wait[64];

	if (!s->answered)
		return;
	if (s->refused)
		page_result(b, 0, s->message);
	else if (s->error == CONSOLE_E_LOCKED && s->message[0] == '\0') {
		snprintf(wait, sizeof(wait), "Try again in %u seconds.",
		    s->wait);
		page_result_of(b, s->error, wait);
	} else
		page_result_of(b, s->error, s->message);
}

int
opchain_list_failed(struct evbuffer *b, const struct opchain_step *s)
{
	if (s->error == CONSOLE_E_OK)
		return 0;
	opchain_banner(b, s);
	return 1;
}
