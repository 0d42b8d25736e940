/*
 * Incoming mail; see incoming.h.
 *
 * Three forms are understood: PGP/MIME encrypted (RFC 3156 4, signed
 * inside or not), PGP/MIME signed (RFC 3156 5; found anywhere in the tree,
 * since lists wrap signed mail in a multipart/mixed with their footer), and
 * inline PGP: armoured blocks in text/plain parts, in any transfer encoding
 * and any charset iconv knows (the part becomes UTF-8 when a block in it
 * was decrypted).
 */
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "cryptod/hdr.h"
#include "cryptod/incoming.h"

#define ARMOUR_MSG	"-----BEGIN PGP MESSAGE-----"
#define ARMOUR_MSG_END	"-----END PGP MESSAGE-----"
#define ARMOUR_SIGNED	"-----BEGIN PGP SIGNED MESSAGE-----"
#define ARMOUR_SIG_END	"-----END PGP SIGNATURE-----"

static int
is_type(const struct mime_part *p, const char *type, const char *subtype)
{
	return strcmp(p->type, type) == 0 && strcmp(p->subtype, subtype) == 0;
}

static void
result_sigs(struct in_result *res, const struct pgp_result *r)
{
	for (size_t i = 0; i < r->nsigs && res->nsigs < PGP_MAX_SIGS; i++)
		res->sigs[res->nsigs++] = r->sigs[i];
}

static void
result_failed(struct in_result *res, const struct pgp_result *r)
{
	res->dec = IN_DEC_FAILED;
	snprintf(res->reason, sizeof(res->reason), "%s", r->too_big ?
	    "decrypted content above the size limit" : r->error);
}

static void
result_decrypted(struct in_result *res, const struct pgp_result *r)
{
	if (res->dec != IN_DEC_FAILED)
		res->dec = IN_DEC_OK;
	for (size_t i = 0; i < r->nrcpt && res->nkeyid < PGP_MAX_SIGS; i++)
		memcpy(res->keyid[res->nkeyid++], r->rcpt_keyid[i],
		    sizeof(res->keyid[0]));
	result_sigs(res, r);
}

/* LF to CRLF, for decrypted MIME entities written with Unix line ends. */
static int
canonical_crlf(const struct buf *in, struct buf *out)
{
	size_t	 run = 0;

	for (size_t i = 0; i < in->len; i++) {
		if (in->data[i] != '\n' || (i > 0 && in->data[i - 1] == '\r'))
			continue;
		buf_add(out, in->data + run, i - run);
		buf_addc(out, '\r');
		run = i;
	}
	buf_add(out, in->data + run, in->len - run);
	return buf_failed(out) ? -1 : 0;
}

/* ------------------------------------------------------------ headers */

static int
spool_str(struct spool *sp, const char *s)
{
	return spool_write(sp, s, strlen(s));
}

/* Our result fields, first in the header. */
static void
write_results(struct cryptod *cd, struct spool *sp,
    const struct in_result *res)
{
	static const char *const dec[] = { "none", "ok", "failed" };
	char		 line[512];

	if (res->dec == IN_DEC_FAILED)
		snprintf(line, sizeof(line), "X-PGPMG-Decryption: failed "
		    "(%s)\r\n", res->reason);
	else
		snprintf(line, sizeof(line), "X-PGPMG-Decryption: %s\r\n",
		    dec[res->dec]);
	/* A reason from gpg could hold a line end: never split a field. */
	for (char *c = line; c[2] != '\0'; c++)
		if (*c == '\r' || *c == '\n')
			*c = ' ';
	spool_str(sp, line);
	for (size_t i = 0; i < res->nsigs; i++) {
		const struct pgp_sig *s = &res->sigs[i];
		const char *addr = keystore_addr_of(&cd->keys, s->fpr);

		snprintf(line, sizeof(line), "X-PGPMG-Signature: %s; "
		    "fingerprint=%s%s%s\r\n", pgp_sigstate_name(s->state),
		    s->fpr[0] != '\0' ? s->fpr : "unknown",
		    addr != NULL ? "; address=" : "", addr != NULL ? addr : "");
		spool_str(sp, line);
	}
}

/* The root's fields, ours dropped (so none can be forged from outside),
 * optionally without its Content-* fields, or with another Subject. */
static void
write_fields(struct spool *sp, const struct mime_part *root, int content,
    const struct mime_field *subject)
{
	for (size_t i = 0; i < root->nfields; i++) {
		const struct mime_field *f = &root->fields[i];

		if (hdr_is_ours(f) || (!content && hdr_is_content(f)))
			continue;
		if (subject != NULL && hdr_is(f, "Subject"))
			f = subject;
		spool_write(sp, f->raw, f->raw_len);
	}
}

int
in_original(struct cryptod *cd, struct message *m, const char *reason,
    struct spool *sp)
{
	struct in_result	 res;
	const struct mime_part	*root = m->mime->root;

	memset(&res, 0, sizeof(res));
	res.dec = IN_DEC_FAILED;
	snprintf(res.reason, sizeof(res.reason), "%s", reason);
	write_results(cd, sp, &res);
	write_fields(sp, root, 1, NULL);
	spool_str(sp, "\r\n");
	return spool_write(sp, m->data + root->body_off,
	    m->len - root->body_off);
}

/* ------------------------------------------------------------ PGP/MIME */

/* The encrypted payload of a multipart/encrypted: its second part. */
static int
pgpmime_decrypt(struct cryptod *cd, struct message *m, struct buf *plain,
    struct in_result *res)
{
	struct mime_part	*root = m->mime->root, *data;
	struct pgp_sink		 sink;
	struct pgp_result	 r;
	struct buf		 armour, raw;
	int			 rc;

	if ((data = root->child) == NULL || (data = data->next) == NULL) {
		res->dec = IN_DEC_FAILED;
		snprintf(res->reason, sizeof(res->reason),
		    "multipart/encrypted without its data part");
		return -1;
	}
	buf_init(&armour, cd->conf->crypto_max_output);
	buf_init(&raw, cd->conf->crypto_max_output);
	if (mime_decode_body(m->mime, data, &armour) == -1) {
		buf_free(&armour);
		res->dec = IN_DEC_FAILED;
		snprintf(res->reason, sizeof(res->reason), "too large");
		return -1;
	}
	pgp_sink_buf(&sink, &raw, cd->conf->crypto_max_output);
	rc = pgp_decrypt(&cd->pgp, armour.data != NULL ? armour.data : "",
	    armour.len, &sink, &r);
	buf_free(&armour);
	if (rc == -1) {
		result_failed(res, &r);
		buf_free(&raw);
		return -1;
	}
	result_decrypted(res, &r);
	rc = canonical_crlf(&raw, plain);
	buf_free(&raw);
	if (rc == -1) {
		res->dec = IN_DEC_FAILED;
		snprintf(res->reason, sizeof(res->reason), "too large");
	}
	return rc;
}

/* Verify a multipart/signed: its first part's exact bytes against the
 * signature in its second. */
static void
pgpmime_verify(struct cryptod *cd, const struct mime_msg *mm,
    const struct mime_part *signedp, struct in_result *res)
{
	const struct mime_part	*content = signedp->child, *sigp;
	struct pgp_result	 r;
	struct buf		 sig;

	if (content == NULL || (sigp = content->next) == NULL ||
	    !is_type(sigp, "application", "pgp-signature"))
		return;
	buf_init(&sig, 1 << 20);
	if (mime_decode_body(mm, sigp, &sig) == 0 &&
	    pgp_verify_detached(&cd->pgp, mm->data + content->off,
	    content->end - content->off, sig.data != NULL ? sig.data : "",
	    sig.len, &r) == 0)
		result_sigs(res, &r);
	else if (res->nsigs < PGP_MAX_SIGS)
		res->sigs[res->nsigs++].state = PGP_SIG_BAD;
	buf_free(&sig);
}

/* The first multipart/signed in the tree, depth first. */
static const struct mime_part *
find_signed(const struct mime_part *p)
{
	const struct mime_part	*s;

	if (is_type(p, "multipart", "signed"))
		return p;
	for (const struct mime_part *c = p->child; c != NULL; c = c->next)
		if ((s = find_signed(c)) != NULL)
			return s;
	return NULL;
}

/* A decrypted PGP/MIME message: the outer routing fields, the inner
 * entity's Content-* fields and body; a protected Subject wins. */
static int
write_decrypted(struct cryptod *cd, struct message *m, const struct buf *plain,
    struct in_result *res, struct spool *sp)
{
	struct mime_msg		*inner;
	const struct mime_part	*ir;
	const struct mime_field	*ct, *subject = NULL;
	const struct mime_part	*signedp;
	char			 pv[16];
	int			 rc;

	if ((rc = mime_parse(plain->data != NULL ? plain->data : "",
	    plain->len, &inner)) != 0) {
		res->dec = IN_DEC_FAILED;
		snprintf(res->reason, sizeof(res->reason), "decrypted "
		    "content: %s", mime_strerror(rc));
		return -1;
	}
	ir = inner->root;
	if ((signedp = find_signed(ir)) != NULL)
		pgpmime_verify(cd, inner, signedp, res);
	if ((ct = mime_field_find(ir, "Content-Type")) != NULL &&
	    mime_param(ct->value, ct->value_len, "protected-headers", pv,
	    sizeof(pv)) == 0)
		subject = mime_field_find(ir, "Subject");
	write_results(cd, sp, res);
	write_fields(sp, m->mime->root, 0, subject);
	spool_str(sp, "MIME-Version: 1.0\r\n");
	for (size_t i = 0; i < ir->nfields; i++)
		if (hdr_is_content(&ir->fields[i]) &&
		    !hdr_is(&ir->fields[i], "MIME-Version"))
			spool_write(sp, ir->fields[i].raw,
			    ir->fields[i].raw_len);
	spool_str(sp, "\r\n");
	rc = spool_write(sp, inner->data + ir->body_off,
	    inner->len - ir->body_off);
	mime_free(inner);
	return rc;
}

/* ------------------------------------------------------------ inline */

static int
to_utf8(const char *charset, const char *p, size_t len, struct buf *out)
{
	/* Already UTF-8 (or ASCII): as is; else from the part's charset. */
	if (mime_to_utf8("utf-8", p, len, out) == 0)
		return 0;
	buf_reset(out);
	if (mime_to_utf8(charset, p, len, out) == 0)
		return 0;
	buf_reset(out);
	return buf_add(out, p, len);
}

static const char *
line_find(const char *p, const char *end, const char *marker)
{
	size_t	 n = strlen(marker);

	for (const char *s = p; s + n <= end; s++) {
		if ((s = memmem(s, (size_t)(end - s), marker, n)) == NULL)
			return NULL;
		if (s == p || s[-1] == '\n')
			return s;
	}
	return NULL;
}

/* The end of the line holding marker at or after p, or NULL. */
static const char *
block_end(const char *p, const char *end, const char *marker)
{
	const char	*e = line_find(p, end, marker), *nl;

	if (e == NULL)
		return NULL;
	nl = memchr(e, '\n', (size_t)(end - e));
	return nl != NULL ? nl + 1 : end;
}

/*
 * One text/plain part: every armoured block in it.  Encrypted blocks are
 * replaced by their plaintext in out; signed blocks are verified and kept.
 * Returns 1 when something was decrypted.
 */
static int
inline_text(struct cryptod *cd, const char *charset, const char *text,
    size_t len, struct buf *out, struct in_result *res)
{
	const char	*p = text, *end = text + len, *b, *bm, *bs, *e;
	int		 replaced = 0;

	for (;;) {
		bm = line_find(p, end, ARMOUR_MSG);
		bs = line_find(p, end, ARMOUR_SIGNED);
		b = bm == NULL ? bs : bs == NULL ? bm : bm < bs ? bm : bs;
		if (b == NULL)
			break;
		buf_add(out, p, (size_t)(b - p));
		if (b == bm) {
			struct buf plain;
			struct pgp_sink sink;
			struct pgp_result r;

			if ((e = block_end(b, end, ARMOUR_MSG_END)) == NULL)
				break;
			buf_init(&plain, cd->conf->crypto_max_output);
			pgp_sink_buf(&sink, &plain, cd->conf->crypto_max_output);
			if (pgp_decrypt(&cd->pgp, b, (size_t)(e - b), &sink,
			    &r) == 0) {
				result_decrypted(res, &r);
				to_utf8(charset, plain.data != NULL ?
				    plain.data : "", plain.len, out);
				replaced = 1;
			} else {
				result_failed(res, &r);
				buf_add(out, b, (size_t)(e - b));
			}
			buf_free(&plain);
		} else {
			struct pgp_result r;

			if ((e = block_end(b, end, ARMOUR_SIG_END)) == NULL)
				break;
			if (pgp_verify_clear(&cd->pgp, b, (size_t)(e - b),
			    NULL, &r) == 0)
				result_sigs(res, &r);
			else if (res->nsigs < PGP_MAX_SIGS)
				res->sigs[res->nsigs++].state = PGP_SIG_BAD;
			buf_add(out, b, (size_t)(e - b));
		}
		p = e;
	}
	buf_add(out, p, (size_t)(end - p));
	return replaced;
}

static void
inline_walk(struct cryptod *cd, struct mime_msg *mm, struct mime_part *p,
    struct in_result *res)
{
	struct buf	 raw, text, out, qp;

	for (struct mime_part *c = p->child; c != NULL; c = c->next)
		inline_walk(cd, mm, c, res);
	if (p->child != NULL || !is_type(p, "text", "plain") ||
	    p->cte == MIME_CTE_OTHER)
		return;
	buf_init(&raw, cd->conf->crypto_max_output);
	buf_init(&text, cd->conf->crypto_max_output);
	buf_init(&out, cd->conf->crypto_max_output);
	buf_init(&qp, cd->conf->crypto_max_output);
	/* Searched after conversion: in UTF-16 the armour is not ASCII. */
	if (mime_decode_body(mm, p, &raw) == 0 &&
	    to_utf8(p->charset, raw.data != NULL ? raw.data : "", raw.len,
	    &text) == 0 && text.len > 0 &&
	    memmem(text.data, text.len, "-----BEGIN PGP ", 15) != NULL &&
	    inline_text(cd, p->charset, text.data, text.len, &out, res) &&
	    !buf_failed(&out) && mime_encode_qp(out.data, out.len, &qp) == 0) {
		mime_set_body(mm, p, qp.data, qp.len);
		mime_set_field(mm, p, "Content-Type",
		    "text/plain; charset=utf-8");
		mime_set_field(mm, p, "Content-Transfer-Encoding",
		    "quoted-printable");
	}
	buf_free(&raw);
	buf_free(&text);
	buf_free(&out);
	buf_free(&qp);
}

/* ------------------------------------------------------------ entry */

int
in_process(struct cryptod *cd, struct message *m, struct spool *sp,
    struct in_result *res, struct job_err *err)
{
	struct mime_part	*root;
	const struct mime_part	*signedp;
	struct buf		 plain;
	int			 rc;

	memset(res, 0, sizeof(*res));
	if (m->mime == NULL && m->mime_err == MIME_E_NOMEM) {
		job_err_set(err, 451, "4.3.0", "out of memory, try again "
		    "later");
		return -1;
	}
	if (m->mime == NULL) {
		job_err_set(err, 554, "5.6.0", "message refused: %s",
		    mime_strerror(m->mime_err));
		return -1;
	}
	root = m->mime->root;
	if (is_type(root, "multipart", "encrypted")) {
		buf_init(&plain, cd->conf->crypto_max_output);
		rc = pgpmime_decrypt(cd, m, &plain, res);
		if (rc == 0)
			rc = write_decrypted(cd, m, &plain, res, sp);
		buf_free(&plain);
		if (rc == -1)
			return in_original(cd, m, res->reason, sp);
		return 0;
	}
	if ((signedp = find_signed(root)) != NULL)
		pgpmime_verify(cd, m->mime, signedp, res);
	else
		inline_walk(cd, m->mime, root, res);
	if (res->dec == IN_DEC_FAILED)
		return in_original(cd, m, res->reason, sp);
	/* Ours from outside go; the rest, with any decrypted parts. */
	for (size_t i = 0; i < root->nfields; i++) {
		const struct mime_field *f = &root->fields[i];
		char name[128];

		if (!hdr_is_ours(f) || f->name_len >= sizeof(name))
			continue;
		memcpy(name, f->name, f->name_len);
		name[f->name_len] = '\0';
		mime_set_field(m->mime, root, name, NULL);
	}
	write_results(cd, sp, res);
	{
		struct buf	 b;

		buf_init(&b, cd->conf->crypto_max_output);
		rc = mime_emit_entity(m->mime, root, &b);
		if (rc == 0)
			rc = spool_write(sp, b.data != NULL ? b.data : "",
			    b.len);
		buf_free(&b);
	}
	if (rc == -1) {
		job_err_set(err, 552, "5.3.4", "message too large to process");
		return -1;
	}
	return 0;
}

int
in_notice(struct cryptod *cd, struct message *m, const char *reason,
    struct spool *sp)
{
	const struct mime_part	*root = m->mime->root;
	const char		*names[] = { "From", "Subject", "Date",
				    "Message-ID" };
	char			 date[64], msgid[320];
	struct buf		 b, body, qp;
	int			 rc;

	hdr_date(date, sizeof(date));
	hdr_message_id(msgid, sizeof(msgid), cd->conf->hostname);
	buf_init(&b, 1 << 20);
	buf_init(&body, 1 << 20);
	buf_init(&qp, 4 << 20);
	buf_printf(&b, "From: PGP mail gateway <MAILER-DAEMON@%s>\r\n"
	    "To: undisclosed-recipients:;\r\n"
	    "Subject: A message to you could not be decrypted\r\n"
	    "Date: %s\r\nMessage-ID: %s\r\n"
	    "Auto-Submitted: auto-generated\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
	    cd->conf->hostname, date, msgid);
	buf_printf(&body, "The mail gateway could not decrypt a message "
	    "addressed to you.\r\nIt was delivered to you unchanged, as it "
	    "arrived.\r\n\r\nReason: %s\r\n\r\nThe message:\r\n", reason);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct mime_field *f = mime_field_find(root, names[i]);
		struct buf v;

		if (f == NULL)
			continue;
		buf_init(&v, 4096);
		if (mime_decode_2047(f->value, f->value_len, &v) == 0)
			buf_printf(&body, "  %s: %.*s\r\n", names[i],
			    (int)v.len, v.data != NULL ? v.data : "");
		buf_free(&v);
	}
	/* Quoted-printable: the notice is 7-bit whatever the subject. */
	rc = buf_failed(&body) || mime_encode_qp(body.data, body.len,
	    &qp) == -1 || buf_add(&b, qp.data, qp.len) == -1 ||
	    spool_write(sp, b.data, b.len) == -1 ? -1 : 0;
	buf_free(&b);
	buf_free(&body);
	buf_free(&qp);
	return rc;
}
