/*
 * keydata: key material through webd.  webd reads none of it: an upload
 * goes on as the bytes were sent (keyd takes armour or binary and
 * decides), an export goes out as keyd made it.  Both travel as sealed
 * memfds (common/memfd.h), as mail does between our processes, so that
 * what policyd passes on is what webd received and nobody can change it
 * underneath.  webd checks only what is its to check: exactly one of
 * the two ways of giving a key, the size, and for an export that the
 * descriptor is sealed and within its bound before a byte is read.
 *
 * A download is named after the fingerprint, which the handler has
 * proven to be hex digits, so the file name needs no quoting rules and
 * cannot carry a path; its type is application/pgp-keys (RFC 3156
 * section 7).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/memfd.h"
#include "webd/form.h"
#include "webd/keydata.h"
#include "webd/multipart.h"
#include "webd/opchain.h"
#include "webd/page.h"
#include "webd/policyd_client.h"
#include "webd/webd.h"

#define KEYDATA_TYPE	"application/pgp-keys"

int
keydata_fpr_valid(const char *s)
{
	size_t	 n = strspn(s, "0123456789abcdefABCDEF");

	return s[n] == '\0' && (n == 40 || n == 64);
}

int
keydata_upload(const struct webd_request *r, int *fd, const char **why)
{
	const struct multipart_file	*file = NULL;
	const char			*armour = NULL;
	const void			*data;
	size_t				 len;
	struct spool			 sp;

	*fd = -1;
	if (r->files != NULL)
		file = multipart_file(r->files, "key");
	if (r->form != NULL)
		armour = form_value(r->form, "armour");
	if (file != NULL && file->len == 0)
		file = NULL;	/* a file input left empty */
	if (armour != NULL && armour[strspn(armour, " \t\r\n")] == '\0')
		armour = NULL;	/* a textarea left empty */
	if (file == NULL && armour == NULL) {
		*why = "Give the key: a file, or the armoured key pasted.";
		return 400;
	}
	if (file != NULL && armour != NULL) {
		*why = "Give the key one way: a file or the armoured key "
		    "pasted, not both.";
		return 400;
	}
	data = file != NULL ? (const void *)file->data : armour;
	len = file != NULL ? file->len : strlen(armour);
	if (len > CONSOLE_UPLOAD_MAX) {
		*why = "The key is larger than the console takes (1 MiB).";
		return 413;
	}
	if (spool_open(&sp, "pgpmg-upload") == -1) {
		log_warn("upload: memfd");
		*why = "The upload could not be held: try again later.";
		return 503;
	}
	if (spool_write(&sp, data, len) == -1 || spool_seal(&sp) == -1) {
		log_warn("upload: writing the memfd");
		spool_discard(&sp);
		*why = "The upload could not be held: try again later.";
		return 503;
	}
	*fd = sp.fd;
	return 0;
}

/* The whole of a sealed memfd of at most KEYDATA_EXPORT_MAX bytes, in
 * a malloc'd buffer; NULL with the reason logged. */
static char *
keydata_read(int fd, size_t *lenp)
{
	uint64_t	 size;
	size_t		 off = 0;
	ssize_t		 n;
	char		*buf;

	if (memfd_check_sealed(fd, &size) == -1) {
		log_warn("export: the key is not in a sealed memfd");
		return NULL;
	}
	if (size == 0 || size > KEYDATA_EXPORT_MAX) {
		log_warnx("export: %llu bytes, not 1 to %zu",
		    (unsigned long long)size, KEYDATA_EXPORT_MAX);
		return NULL;
	}
	if ((buf = malloc((size_t)size)) == NULL) {
		log_warn("export");
		return NULL;
	}
	while (off < size) {
		if ((n = pread(fd, buf + off, (size_t)size - off,
		    (off_t)off)) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("export: read");
			free(buf);
			return NULL;
		}
		if (n == 0) {
			log_warnx("export: the memfd ended early");
			free(buf);
			return NULL;
		}
		off += (size_t)n;
	}
	*lenp = off;
	return buf;
}

void
keydata_download(struct conn *c, const struct console_result *res,
    const char *fpr)
{
	struct response	 r;
	char		 disposition[sizeof("attachment; filename=\"\"") +
			    KEYDATA_FPR_MAX + sizeof(".asc")];
	char		*buf = NULL;
	size_t		 len = 0, i;

	if (res->fd != -1) {
		buf = keydata_read(res->fd, &len);
		close(res->fd);
	}
	if (buf == NULL) {
		response_error(c, 502, "the key did not come whole from "
		    "policyd");
		return;
	}
	if (!keydata_fpr_valid(fpr))
		fatalx("keydata_download: not a fingerprint");
	memcpy(disposition, "attachment; filename=\"", 22);
	for (i = 0; fpr[i] != '\0'; i++)
		disposition[22 + i] = fpr[i] >= 'a' && fpr[i] <= 'f' ?
		    (char)(fpr[i] - 'a' + 'A') : fpr[i];
	memcpy(disposition + 22 + i, ".asc\"", 6);
	memset(&r, 0, sizeof(r));
	r.status = 200;
	r.content_type = KEYDATA_TYPE;
	r.disposition = disposition;
	r.body = buf;
	r.bodylen = len;
	r.keep = 1;
	response_send(c, &r);
	free(buf);
}

void
keydata_addresses(struct evbuffer *b, char *list)
{
	char	*a, *comma;
	int	 first = 1;

	for (a = list; a != NULL; a = comma) {
		if ((comma = strchr(a, ',')) != NULL)
			*comma++ = '\0';
		if (a[0] == '\0')
			continue;
		if (!first)
			page_printf(b, "<br>");
		page_text(b, a);
		first = 0;
	}
}

void
keydata_upload_form(struct evbuffer *b, const struct console_session *s,
    const char *action, const char *prefix, const char *button)
{
	char	 id[64];

	page_printf(b, "<form method=\"post\" action=\"");
	page_text(b, action);
	page_printf(b, "\" enctype=\"multipart/form-data\" class=\"upload\">\n");
	page_csrf(b, s);
	page_printf(b, "<label for=\"");
	page_text(b, prefix);
	page_printf(b, "-key\">Key file</label>\n<input id=\"");
	page_text(b, prefix);
	page_printf(b, "-key\" name=\"key\" type=\"file\" "
	    "accept=\".asc,.gpg,.pgp,.key,application/pgp-keys\">\n"
	    "<label for=\"");
	page_text(b, prefix);
	page_printf(b, "-armour\">Or the armoured key, pasted</label>\n"
	    "<textarea id=\"");
	page_text(b, prefix);
	page_printf(b, "-armour\" name=\"armour\" rows=\"8\" "
	    "spellcheck=\"false\" autocomplete=\"off\"></textarea>\n"
	    "<label for=\"");
	page_text(b, prefix);
	page_printf(b, "-passphrase\">The key's passphrase (a key pair "
	    "only)</label>\n<input id=\"");
	page_text(b, prefix);
	page_printf(b, "-passphrase\" name=\"passphrase\" type=\"password\" "
	    "autocomplete=\"off\" maxlength=\"%d\">\n", CONSOLE_ARG_MAX);
	snprintf(id, sizeof(id), "%s-password", prefix);
	page_password(b, s, id);
	page_printf(b, "<button type=\"submit\">");
	page_text(b, button);
	page_printf(b, "</button>\n</form>\n");
}

void
keydata_row_form(struct evbuffer *b, const struct console_session *s,
    const char *action, const char *fpr, const char *id, const char *button)
{
	page_printf(b, "<form method=\"post\" action=\"");
	page_text(b, action);
	page_printf(b, "\" class=\"row\">\n");
	page_csrf(b, s);
	page_printf(b, "<input type=\"hidden\" name=\"fpr\" value=\"");
	page_text(b, fpr);
	page_printf(b, "\">\n");
	page_password(b, s, id);
	page_printf(b, "<button type=\"submit\">");
	page_text(b, button);
	page_printf(b, "</button>\n</form>\n");
}

int
keydata_query_fpr(struct conn *c, const struct webd_request *r,
    char fpr[KEYDATA_FPR_MAX + 1])
{
	struct form	 q;
	const char	*why, *v;
	int		 status;

	fpr[0] = '\0';
	if ((status = form_parse(r->query != NULL ? r->query : "",
	    r->query != NULL ? r->querylen : 0, &q, &why)) != 0) {
		response_error(c, status, why);
		return -1;
	}
	if ((v = form_value(&q, "fpr")) == NULL || !keydata_fpr_valid(v)) {
		form_free(&q);
		response_error(c, 400, "give one fingerprint (fpr), of 40 or "
		    "64 hexadecimal digits");
		return -1;
	}
	memcpy(fpr, v, strlen(v) + 1);
	form_free(&q);
	return 0;
}

const char *
keydata_password(const struct webd_request *r)
{
	const char	*pw = form_value(r->form, "password");

	return pw != NULL ? pw : "";
}

void
keydata_import_step(struct opchain *ch, const struct webd_request *r,
    enum console_op op)
{
	struct opchain_step	*st;
	const char		*pass = form_value(r->form, "passphrase");
	const char		*pw = keydata_password(r);
	const char		*why;
	int			 fd, status;

	if (pass == NULL)
		pass = "";
	if (strlen(pass) > CONSOLE_ARG_MAX) {
		opchain_refused(ch, op, 400, "The key's passphrase is too "
		    "long.");
		return;
	}
	if (strlen(pw) > CONSOLE_PASSWORD_MAX) {
		opchain_refused(ch, op, 400, "The password is too long.");
		return;
	}
	if ((status = keydata_upload(r, &fd, &why)) != 0) {
		opchain_refused(ch, op, status, why);
		return;
	}
	st = opchain_add(ch, op, pw);
	st->args[0] = pass;
	st->upload_fd = fd;
}

void
keydata_fpr_step(struct opchain *ch, const struct webd_request *r,
    enum console_op op)
{
	struct opchain_step	*st;
	const char		*fpr = form_value(r->form, "fpr");
	const char		*pw = keydata_password(r);

	if (fpr == NULL || !keydata_fpr_valid(fpr))
		opchain_refused(ch, op, 400, "Give one fingerprint, of 40 or "
		    "64 hexadecimal digits.");
	else if (strlen(pw) > CONSOLE_PASSWORD_MAX)
		opchain_refused(ch, op, 400, "The password is too long.");
	else {
		st = opchain_add(ch, op, pw);
		st->args[0] = fpr;
	}
}

struct keydata_export {
	char	 fpr[KEYDATA_FPR_MAX + 1];
	char	 back[16];		/* the page to go back to */
};

static void
keydata_exported(struct conn *c, const struct console_result *res, void *arg)
{
	struct keydata_export	*x = arg;
	struct evbuffer		*b;
	uint32_t		 retry;
	int			 status;

	if (res->error == CONSOLE_E_OK) {
		keydata_download(c, res, x->fpr);
		return;
	}
	status = page_status(res->error, res->wait, &retry);
	b = page_buffer();
	page_open(b, c->request.session, "Key export", x->back);
	page_result_of(b, res->error, res->message);
	page_printf(b, "<p><a href=\"");
	page_text(b, x->back);
	page_printf(b, "\">Back</a></p>\n");
	page_close(b);
	page_send(c, status, retry, b);
}

void
keydata_export(struct conn *c, const struct webd_request *r,
    enum console_op op, const char *back)
{
	struct keydata_export	*x;
	const char		*args[CONSOLE_NARGS] = { NULL };

	if ((x = calloc(1, sizeof(*x))) == NULL)
		fatal("export");
	conn_page_set(c, x, free);
	if (keydata_query_fpr(c, r, x->fpr) == -1)
		return;
	snprintf(x->back, sizeof(x->back), "%s", back);
	args[0] = x->fpr;
	(void)console_op(c, r->session, op, NULL, args, -1, keydata_exported, x);
}
