/*
 * oprun: the chain of a page's operations.  Each answer is copied out of
 * the client's buffers (they are wiped after the callback) into the run,
 * which lives as the request's page state and is wiped when it goes.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "webd/oprun.h"
#include "webd/policyd_client.h"
#include "webd/webd.h"

static void	oprun_next(struct conn *, struct oprun *);

static void
oprun_free(void *arg)
{
	struct oprun	*run = arg;

	for (int i = 0; i < run->n; i++) {
		free(run->ops[i].message);
		if (run->ops[i].out != NULL) {
			explicit_bzero(run->ops[i].out, run->ops[i].outlen);
			free(run->ops[i].out);
		}
	}
	explicit_bzero(run, sizeof(*run));
	free(run);
}

struct oprun *
oprun_new(struct conn *c, oprun_render render, const void *arg)
{
	struct oprun	*run;

	if ((run = calloc(1, sizeof(*run))) == NULL)
		fatal("oprun");
	run->render = render;
	run->arg = arg;
	conn_page_set(c, run, oprun_free);
	return run;
}

struct oprun_op *
oprun_add(struct oprun *run, enum console_op op, const char *password)
{
	struct oprun_op	*o;

	if (run->n == OPRUN_MAX)
		fatalx("oprun: more than %d operations", OPRUN_MAX);
	o = &run->ops[run->n++];
	o->op = op;
	o->password = password;
	return o;
}

void
oprun_refused(struct oprun *run, enum console_op op, enum console_error e,
    const char *message)
{
	struct oprun_op	*o;

	if (run->next != run->n)
		fatalx("oprun: a refusal after an operation");
	o = oprun_add(run, op, NULL);
	o->error = e;
	if ((o->message = strdup(message)) == NULL ||
	    (o->out = strdup("")) == NULL)
		fatal("oprun");
	run->next++;
}

static void
oprun_answered(struct conn *c, const struct console_result *res, void *arg)
{
	struct oprun	*run = arg;
	struct oprun_op	*o = &run->ops[run->next++];

	/* No page of these takes a file: an export is not kept. */
	if (res->fd != -1)
		close(res->fd);
	o->error = res->error;
	o->wait = res->wait;
	if ((o->message = strdup(res->message)) == NULL ||
	    (o->out = malloc(res->outlen + 1)) == NULL)
		fatal("oprun");
	memcpy(o->out, res->output, res->outlen);
	o->out[res->outlen] = '\0';
	o->outlen = res->outlen;
	oprun_next(c, run);
}

static void
oprun_next(struct conn *c, struct oprun *run)
{
	struct oprun_op	*o;

	if (run->next == run->n) {
		run->render(c, run);
		return;
	}
	o = &run->ops[run->next];
	(void)console_op(c, &c->session, o->op, o->password, o->args, -1,
	    oprun_answered, run);
}

void
oprun_start(struct conn *c, struct oprun *run)
{
	oprun_next(c, run);
}

const struct oprun_op *
oprun_failed(const struct oprun *run)
{
	for (int i = 0; i < run->next; i++)
		if (run->ops[i].error != CONSOLE_E_OK)
			return &run->ops[i];
	return NULL;
}
