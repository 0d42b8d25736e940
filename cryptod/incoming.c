/*
 * Incoming mail; see incoming.h.
 *
 * Three forms are understood: PGP/MIME encrypted (RFC 3156 4, signed
 * inside or not), PGP/MIME signed (RFC 3156 5), and inline PGP: armoured
 * blocks in a message that is one text/plain part, in any transfer encoding
 * and any charset iconv knows (the part becomes UTF-8 when a block in it
 * was decrypted).
 *
 * What we write is what a reader will trust, so:
 * - inline blocks are decrypted only when the whole message is one
 *   text/plain part: decrypting a block among attacker-chosen HTML parts
 *   would hand the plaintext to the EFAIL "direct exfiltration" trick;
 * - a signature that covers only part of the message (a signed part inside
 *   a multipart, a cleartext-signed block among other text) says so with
 *   "scope=part";
 * - decrypted content is re-encoded to 7 bit like outgoing mail, and inner
 *   header fields with a bare CR, a NUL or an overlong line are dropped, so
 *   decryption cannot smuggle a header field or break the relay's SMTP.
 */
#include <ctype.h>
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
result_sigs(struct in_result *res, const struct pgp_result *r, int partial)
{
	for (size_t i = 0; i < r->nsigs && res->nsigs < PGP_MAX_SIGS; i++) {
		res->sigs[res->nsigs] = r->sigs[i];
		res->sigs[res->nsigs++].partial = partial;
	}
}

static void
result_bad_sig(struct in_result *res, int partial)
{
	if (res->nsigs < PGP_MAX_SIGS) {
		memset(&res->sigs[res->nsigs], 0, sizeof(res->sigs[0]));
		res->sigs[res->nsigs].state = PGP_SIG_BAD;
		res->sigs[res->nsigs++].partial = partial;
	}
}

static void
result_failed(struct in_result *res, const char *why, const char *detail)
{
	res->dec = IN_DEC_FAILED;
	snprintf(res->reason, sizeof(res->reason), "%s%s%s", why,
	    detail != NULL ? ": " : "", detail != NULL ? detail : "");
}

static void
result_decrypted(struct in_result *res, const struct pgp_result *r,
    int partial)
{
	if (res->dec != IN_DEC_FAILED)
		res->dec = IN_DEC_OK;
	if (res->ndec < IN_MAX_BLOCKS)
		memcpy(res->dec_key[res->ndec++], r->dec_key,
		    sizeof(res->dec_key[0]));
	result_sigs(res, r, partial);
}

/* ------------------------------------------------------------ headers */

static int
spool_str(struct spool *sp, const char *s)
{
	return spool_write(sp, s, strlen(s));
}

/* Only what may stand in an addr-spec or a fingerprint goes into our
 * fields; a user ID is the key owner's text, not ours. */
static void
copy_token(char *out, size_t len, const char *in, const char *allowed)
{
	size_t	 o = 0;

	for (; in != NULL && *in != '\0' && o + 1 < len; in++)
		if (isalnum((unsigned char)*in) || strchr(allowed, *in))
			out[o++] = *in;
	out[o] = '\0';
}

/* Our result fields, first in the header. */
static void
write_results(struct cryptod *cd, struct spool *sp,
    const struct in_result *res)
{
	static const char *const dec[] = { "none", "ok", "failed" };
	char		 line[512], reason[200], fpr[PGP_FPR_MAX + 1], addr[257];

	if (res->dec == IN_DEC_FAILED) {
		/* gpg's text: printable ASCII only, never a line end. */
		copy_token(reason, sizeof(reason), res->reason,
		    " .,:;()'-_/=+<>@[]");
		snprintf(line, sizeof(line), "X-PGPMG-Decryption: failed "
		    "(%s)\r\n", reason);
	} else
		snprintf(line, sizeof(line), "X-PGPMG-Decryption: %s\r\n",
		    dec[res->dec]);
	spool_str(sp, line);
	for (size_t i = 0; i < res->nsigs; i++) {
		const struct pgp_sig *s = &res->sigs[i];

		copy_token(fpr, sizeof(fpr), s->fpr, "");
		copy_token(addr, sizeof(addr), keystore_addr_of(&cd->keys,
		    s->fpr), ".!#$%&'*+-/=?^_`{|}~@");
		snprintf(line, sizeof(line), "X-PGPMG-Signature: %s; "
		    "fingerprint=%s%s%s%s\r\n", pgp_sigstate_name(s->state),
		    fpr[0] != '\0' ? fpr : "unknown",
		    addr[0] != '\0' ? "; address=" : "", addr,
		    s->partial ? "; scope=part" : "");
		spool_str(sp, line);
	}
}

/* The root's fields, ours dropped (so none can be forged from outside),
 * optionally without its Content-* fields, or with another Subject. */
static void
write_fields(struct spool *sp, const struct mime_part *root, int content,
    const struct mime_field *subject)
{
	int	 subject_done = 0;

	for (size_t i = 0; i < root->nfields; i++) {
		const struct mime_field *f = &root->fields[i];

		if (hdr_is_ours(f) || (!content && hdr_is_content(f)))
			continue;
		if (subject != NULL && hdr_is(f, "Subject")) {
			if (subject_done++)
				continue;
			f = subject;
		}
		spool_write(sp, f->raw, f->raw_len);
	}
	if (subject != NULL && !subject_done)
		spool_write(sp, subject->raw, subject->raw_len);
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
	struct buf		 armour;
	int			 rc;

	if ((data = root->child) == NULL || (data = data->next) == NULL) {
		result_failed(res, "multipart/encrypted without its "
		    "data part", NULL);
		return -1;
	}
	buf_init(&armour, cd->conf->crypto_max_output);
	if (mime_decode_body(m->mime, data, &armour) == -1) {
		buf_free(&armour);
		result_failed(res, "too large", NULL);
		return -1;
	}
	pgp_sink_buf(&sink, plain, cd->conf->crypto_max_output);
	rc = pgp_decrypt(&cd->pgp, armour.data != NULL ? armour.data : "",
	    armour.len, &sink, &r);
	buf_free(&armour);
	if (rc == -1) {
		result_failed(res, r.too_big ?
		    "decrypted content above the size limit" : r.error, NULL);
		return -1;
	}
	result_decrypted(res, &r, 0);
	return 0;
}

/* Verify a multipart/signed: its first part's exact bytes against the
 * signature in its second. */
static void
pgpmime_verify(struct cryptod *cd, const struct mime_msg *mm,
    const struct mime_part *signedp, struct in_result *res, int partial)
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
		result_sigs(res, &r, partial);
	else
		result_bad_sig(res, partial);
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

/* A header field fit to copy: no bare CR, no NUL, no line above 998. */
static int
field_clean(const struct mime_field *f)
{
	size_t	 col = 0;

	for (size_t i = 0; i < f->raw_len; i++) {
		char c = f->raw[i];

		if (c == '\0' || (c == '\r' && (i + 1 == f->raw_len ||
		    f->raw[i + 1] != '\n')))
			return 0;
		col = c == '\n' ? 0 : col + 1;
		if (col > 998)
			return 0;
	}
	return 1;
}

/* Decrypted bytes as MIME: CRLF line ends when the sender used LF only
 * (RFC 3156 says CRLF; some clients do not), left alone otherwise. */
static int
canonical_crlf(const struct buf *in, struct buf *out)
{
	size_t	 run = 0;

	if (in->len > 0 && memmem(in->data, in->len, "\r\n", 2) != NULL)
		return buf_add(out, in->data, in->len);
	for (size_t i = 0; i < in->len; i++) {
		if (in->data[i] != '\n')
			continue;
		buf_add(out, in->data + run, i - run);
		buf_addstr(out, "\r\n");
		run = i + 1;
	}
	buf_add(out, in->data + run, in->len - run);
	return buf_failed(out) ? -1 : 0;
}

/*
 * A decrypted PGP/MIME message: the outer routing fields, the inner
 * entity's Content-* fields and its body made 7-bit; a protected Subject
 * wins.
 */
static int
write_decrypted(struct cryptod *cd, struct message *m, const struct buf *raw,
    struct in_result *res, struct spool *sp)
{
	struct mime_msg		*inner = NULL, *hm = NULL;
	const struct mime_field	*ct, *subject = NULL;
	const struct mime_part	*signedp;
	struct buf		 plain, hdr, body;
	size_t			 changed;
	char			 pv[16];
	int			 rc = -1, e;

	buf_init(&plain, cd->conf->crypto_max_output);
	buf_init(&hdr, 0);
	buf_init(&body, cd->conf->crypto_max_output);
	if (canonical_crlf(raw, &plain) == -1) {
		result_failed(res, "decrypted content above the size "
		    "limit", NULL);
		goto out;
	}
	if ((e = mime_parse(plain.data != NULL ? plain.data : "", plain.len,
	    &inner)) != 0) {
		inner = NULL;
		result_failed(res, "decrypted content", mime_strerror(e));
		goto out;
	}
	/* Signed inside: the signature covers the whole decrypted entity
	 * only when it is its root. */
	if ((signedp = find_signed(inner->root)) != NULL)
		pgpmime_verify(cd, inner, signedp, res,
		    signedp != inner->root);
	if ((ct = mime_field_find(inner->root, "Content-Type")) != NULL &&
	    mime_param(ct->value, ct->value_len, "protected-headers", pv,
	    sizeof(pv)) == 0 &&
	    (subject = mime_field_find(inner->root, "Subject")) != NULL &&
	    !field_clean(subject))
		subject = NULL;
	if (mime_make_7bit(inner, inner->root, &changed) != 0 ||
	    mime_emit_header(inner, inner->root, &hdr) == -1 ||
	    mime_parse(hdr.data != NULL ? hdr.data : "", hdr.len, &hm) != 0 ||
	    mime_emit_body(inner, inner->root, &body) == -1) {
		hm = NULL;
		result_failed(res, "decrypted content above the size "
		    "limit", NULL);
		goto out;
	}
	write_results(cd, sp, res);
	write_fields(sp, m->mime->root, 0, subject);
	spool_str(sp, "MIME-Version: 1.0\r\n");
	for (size_t i = 0; i < hm->root->nfields; i++) {
		const struct mime_field *f = &hm->root->fields[i];

		if (hdr_is_content(f) && !hdr_is(f, "MIME-Version") &&
		    field_clean(f))
			spool_write(sp, f->raw, f->raw_len);
	}
	spool_str(sp, "\r\n");
	rc = spool_write(sp, body.data != NULL ? body.data : "", body.len);
out:
	mime_free(hm);
	mime_free(inner);
	buf_free(&plain);
	buf_free(&hdr);
	buf_free(&body);
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

/* 1 when [p, end) holds anything but white space. */
static int
has_text(const char *p, const char *end)
{
	for (; p < end; p++)
		if (!isspace((unsigned char)*p))
			return 1;
	return 0;
}

/*
 * The text of a one-part message: every armoured block in it, at most
 * IN_MAX_BLOCKS.  Encrypted blocks are replaced by their plaintext in out;
 * signed blocks are verified and kept.  Returns 1 when something was
 * decrypted.
 */
static int
inline_text(struct cryptod *cd, const char *charset, const char *text,
    size_t len, int decrypt, struct buf *out, struct in_result *res)
{
	const char	*p = text, *end = text + len, *b, *bm, *bs, *e;
	int		 replaced = 0, nblocks = 0, partial;

	bm = line_find(p, end, ARMOUR_MSG);
	bs = line_find(p, end, ARMOUR_SIGNED);
	while ((bm != NULL || bs != NULL) && nblocks++ < IN_MAX_BLOCKS) {
		b = bm == NULL ? bs : bs == NULL ? bm : bm < bs ? bm : bs;
		if ((e = block_end(b, end, b == bm ? ARMOUR_MSG_END :
		    ARMOUR_SIG_END)) == NULL)
			break;
		/* A signature covers the whole message only when nothing
		 * else is in the text. */
		partial = has_text(text, b) || has_text(e, end);
		buf_add(out, p, (size_t)(b - p));
		if (b == bm && !decrypt)
			buf_add(out, b, (size_t)(e - b));
		else if (b == bm) {
			struct buf plain;
			struct pgp_sink sink;
			struct pgp_result r;

			buf_init(&plain, cd->conf->crypto_max_output);
			pgp_sink_buf(&sink, &plain, cd->conf->crypto_max_output);
			if (pgp_decrypt(&cd->pgp, b, (size_t)(e - b), &sink,
			    &r) == 0) {
				result_decrypted(res, &r, partial);
				to_utf8(charset, plain.data != NULL ?
				    plain.data : "", plain.len, out);
				replaced = 1;
			} else {
				result_failed(res, r.too_big ?
				    "decrypted content above the size limit" :
				    r.error, NULL);
				buf_add(out, b, (size_t)(e - b));
			}
			buf_free(&plain);
		} else {
			struct pgp_result r;

			if (pgp_verify_clear(&cd->pgp, b, (size_t)(e - b),
			    NULL, &r) == 0)
				result_sigs(res, &r, partial);
			else
				result_bad_sig(res, partial);
			buf_add(out, b, (size_t)(e - b));
		}
		p = e;
		if (bm != NULL && bm < p)
			bm = line_find(p, end, ARMOUR_MSG);
		if (bs != NULL && bs < p)
			bs = line_find(p, end, ARMOUR_SIGNED);
	}
	buf_add(out, p, (size_t)(end - p));
	return replaced;
}

/* A message that is one text/plain part: its armoured blocks. */
static void
inline_root(struct cryptod *cd, struct mime_msg *mm, struct in_result *res,
    int decrypt)
{
	struct mime_part	*p = mm->root;
	struct buf		 raw, text, out, qp;

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
	    inline_text(cd, p->charset, text.data, text.len, decrypt, &out,
	    res) &&
	    res->dec == IN_DEC_OK && !buf_failed(&out) &&
	    mime_encode_qp(out.data, out.len, &qp) == 0) {
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

static int
in_fail(struct job_err *err, int rc)
{
	if (rc == -1 && err->code == 0)
		job_err_set(err, 451, "4.3.0", "cannot write the output, try "
		    "again later");
	return rc;
}

int
in_process(struct cryptod *cd, struct message *m, struct spool *sp,
    struct in_result *res, struct job_err *err)
{
	struct mime_part	*root;
	const struct mime_part	*signedp;
	struct buf		 plain, b;
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
	/* The policy may say not to decrypt: such mail is then only
	 * verified where it is signed outside any encryption. */
	if (m->decrypt && is_type(root, "multipart", "encrypted")) {
		buf_init(&plain, cd->conf->crypto_max_output);
		rc = pgpmime_decrypt(cd, m, &plain, res);
		if (rc == 0)
			rc = write_decrypted(cd, m, &plain, res, sp);
		buf_free(&plain);
		if (rc == -1 && res->dec == IN_DEC_FAILED)
			return in_fail(err, in_original(cd, m, res->reason,
			    sp));
		return in_fail(err, rc);
	}
	if ((signedp = find_signed(root)) != NULL)
		pgpmime_verify(cd, m->mime, signedp, res, signedp != root);
	else
		inline_root(cd, m->mime, res, m->decrypt);
	if (res->dec == IN_DEC_FAILED)
		return in_fail(err, in_original(cd, m, res->reason, sp));
	/* Ours from outside go; the rest, with any decrypted part. */
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
	buf_init(&b, cd->conf->crypto_max_output);
	rc = mime_emit_entity(m->mime, root, &b);
	if (rc == 0)
		rc = spool_write(sp, b.data != NULL ? b.data : "", b.len);
	buf_free(&b);
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
