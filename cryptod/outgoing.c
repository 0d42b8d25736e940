/*
 * Outgoing mail in RFC 3156 form.
 *
 * The message's routing header fields (From, To, Date, Message-ID, ...)
 * stay outside; its Content-* fields move inside, onto the entity that is
 * signed or encrypted.  Before anything is signed, every part that is not
 * 7-bit clean is re-encoded (quoted-printable or base64), so no MTA on the
 * way can change a byte under the signature.  With protected headers the
 * real Subject (and copies of the other visible fields) travel inside, as
 * the protected-headers convention Thunderbird reads says, and the outer
 * Subject becomes "...".
 */
#include <sys/uio.h>

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "cryptod/hdr.h"
#include "cryptod/outgoing.h"

/* Copied inside as protected headers: what a reader shows or threads by. */
static const char *const protected_fields[] = {
	"Subject", "From", "To", "Cc", "Reply-To", "Followup-To", "Date",
	"Message-ID", "In-Reply-To", "References",
};

static const char enc_preamble[] =
    "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\r\n";
static const char sig_preamble[] =
    "This is an OpenPGP/MIME signed message (RFC 4880 and 3156)\r\n";

static int
is_protected(const struct mime_field *f)
{
	for (size_t i = 0; i < sizeof(protected_fields) /
	    sizeof(protected_fields[0]); i++)
		if (hdr_is(f, protected_fields[i]))
			return 1;
	return 0;
}

/* A field as it was, but the Subject as the policy rewrote it (the
 * keyword removed), when it did. */
static void
add_field(struct buf *b, const struct message *m, const struct mime_field *f)
{
	if (m->subject != NULL && hdr_is(f, "Subject"))
		hdr_add(b, "Subject", m->subject);
	else
		buf_add(b, f->raw, f->raw_len);
}

/* The entity to sign or encrypt: its header and body. */
struct inner {
	struct buf	 outer;		/* the routing fields */
	struct buf	 header;	/* Content-* (+ protected), blank line */
	struct buf	 body;		/* only when re-encoded */
	struct iovec	 iov[2];
};

static void
inner_free(struct inner *in)
{
	buf_free(&in->outer);
	buf_free(&in->header);
	buf_free(&in->body);
}

static int
inner_content_type(struct inner *in, const struct mime_field *f, int protect)
{
	struct buf	 v;
	int		 rc;

	char		 pv[16];

	/* Already marked (a client of ours did it): keep it as it is. */
	if (f != NULL && (!protect || mime_param(f->value, f->value_len,
	    "protected-headers", pv, sizeof(pv)) == 0))
		return buf_add(&in->header, f->raw, f->raw_len);
	buf_init(&v, 0);
	if (f != NULL)
		mime_field_unfold(f, &v);
	else
		buf_addstr(&v, "text/plain; charset=us-ascii");
	buf_addstr(&v, "; protected-headers=\"v1\"");
	buf_addc(&v, '\0');
	rc = buf_failed(&v) ? -1 : hdr_add(&in->header, "Content-Type",
	    v.data);
	buf_free(&v);
	return rc;
}

/*
 * Split the root's header (with the rewrites mime_make_7bit made) into the
 * fields that stay outside and those that go in.
 */
static int
inner_build(struct cryptod *cd, struct message *m, int protect,
    struct inner *in)
{
	struct mime_part	*root = m->mime->root;
	struct mime_msg		*hm = NULL;
	struct buf		 hdr;
	int			 have_ct = 0, rc = -1;

	memset(in, 0, sizeof(*in));
	buf_init(&in->outer, 0);
	buf_init(&in->header, 0);
	buf_init(&in->body, cd->conf->crypto_max_output);
	buf_init(&hdr, 0);
	/* The root's header as it will be emitted, parsed again: the
	 * simplest way to see the rewrites as fields. */
	if (mime_emit_header(m->mime, root, &hdr) == -1 ||
	    mime_parse(hdr.data != NULL ? hdr.data : "", hdr.len, &hm) != 0)
		goto out;
	for (size_t i = 0; i < hm->root->nfields; i++) {
		const struct mime_field *f = &hm->root->fields[i];

		if (hdr_is(f, "MIME-Version"))
			continue;
		if (hdr_is(f, "Content-Type")) {
			have_ct = 1;
			if (inner_content_type(in, f, protect) == -1)
				goto out;
		} else if (hdr_is_content(f))
			buf_add(&in->header, f->raw, f->raw_len);
		else if (protect && hdr_is(f, "Subject"))
			buf_addstr(&in->outer, "Subject: ...\r\n");
		else
			add_field(&in->outer, m, f);
	}
	if (!have_ct && protect &&
	    inner_content_type(in, NULL, protect) == -1)
		goto out;
	if (protect)
		for (size_t i = 0; i < hm->root->nfields; i++)
			if (is_protected(&hm->root->fields[i]))
				add_field(&in->header, m, &hm->root->fields[i]);
	buf_addstr(&in->header, "\r\n");

	in->iov[0].iov_base = in->header.data;
	in->iov[0].iov_len = in->header.len;
	if (m->changed7 == 0) {
		/* Untouched: straight from the mapped message. */
		in->iov[1].iov_base = (void *)(uintptr_t)(m->data +
		    root->body_off);
		in->iov[1].iov_len = m->len - root->body_off;
	} else {
		if (mime_emit_body(m->mime, root, &in->body) == -1)
			goto out;
		in->iov[1].iov_base = in->body.data;
		in->iov[1].iov_len = in->body.len;
	}
	rc = buf_failed(&in->outer) || buf_failed(&in->header) ? -1 : 0;
out:
	mime_free(hm);
	buf_free(&hdr);
	return rc;
}

static int
make_7bit(struct message *m)
{
	if (!m->made7) {
		if (mime_make_7bit(m->mime, m->mime->root, &m->changed7) != 0)
			return -1;
		m->made7 = 1;
	}
	return 0;
}

static int
spool_str(struct spool *sp, const char *s)
{
	return spool_write(sp, s, strlen(s));
}

static int
spool_buf(struct spool *sp, const struct buf *b)
{
	return b->len == 0 ? 0 : spool_write(sp, b->data, b->len);
}

static int
out_fail_pgp(struct job_err *err, const struct pgp_result *r)
{
	if (r->too_big)
		job_err_set(err, 552, "5.3.4", "message too large to "
		    "encrypt: %s", r->error);
	else
		/* An agent or gpg failure passes; the client retries. */
		job_err_set(err, 451, "4.7.0", "encryption failed, try "
		    "again later: %s", r->error);
	return -1;
}

static int
out_prepare(struct cryptod *cd, struct message *m, int protect,
    struct inner *in, struct job_err *err)
{
	if (m->mime == NULL && m->mime_err == MIME_E_NOMEM) {
		job_err_set(err, 451, "4.3.0", "out of memory, try again "
		    "later");
		return -1;
	}
	if (m->mime == NULL) {
		job_err_set(err, 554, "5.6.0", "message cannot be signed or "
		    "encrypted: %s", mime_strerror(m->mime_err));
		return -1;
	}
	if (make_7bit(m) == -1 || inner_build(cd, m, protect, in) == -1) {
		inner_free(in);
		job_err_set(err, 552, "5.3.4", "message too large to process");
		return -1;
	}
	return 0;
}

int
out_encrypt(struct cryptod *cd, struct message *m, gpgme_key_t *keys,
    gpgme_key_t signer, struct spool *sp, struct job_err *err)
{
	struct inner		 in;
	struct pgp_sink		 sink;
	struct pgp_result	 r;
	char			 b[HDR_BOUNDARY_LEN + 1];
	int			 rc;

	if (out_prepare(cd, m, m->protect, &in, err) == -1)
		return -1;
	hdr_boundary(b);
	spool_buf(sp, &in.outer);
	spool_str(sp, "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/encrypted;\r\n"
	    " protocol=\"application/pgp-encrypted\";\r\n boundary=\"");
	spool_str(sp, b);
	spool_str(sp, "\"\r\n\r\n");
	spool_str(sp, enc_preamble);
	spool_str(sp, "--");
	spool_str(sp, b);
	spool_str(sp, "\r\nContent-Type: application/pgp-encrypted\r\n"
	    "Content-Description: PGP/MIME version identification\r\n\r\n"
	    "Version: 1\r\n\r\n--");
	spool_str(sp, b);
	spool_str(sp, "\r\nContent-Type: application/octet-stream; "
	    "name=\"encrypted.asc\"\r\n"
	    "Content-Description: OpenPGP encrypted message\r\n"
	    "Content-Disposition: inline; filename=\"encrypted.asc\"\r\n\r\n");
	pgp_sink_spool(&sink, sp, cd->conf->crypto_max_output);
	sink.crlf = 1;
	rc = pgp_encrypt(&cd->pgp, keys, signer, 0, in.iov, 2, &sink, &r);
	inner_free(&in);
	if (rc == -1)
		return out_fail_pgp(err, &r);
	spool_str(sp, "\r\n--");
	spool_str(sp, b);
	if (spool_str(sp, "--\r\n") == -1) {
		job_err_set(err, 451, "4.3.0", "out of memory");
		return -1;
	}
	return 0;
}

int
out_sign(struct cryptod *cd, struct message *m, gpgme_key_t signer,
    struct spool *sp, struct job_err *err)
{
	struct inner		 in;
	struct pgp_sink		 sink;
	struct pgp_result	 r;
	struct buf		 sig;
	char			 b[HDR_BOUNDARY_LEN + 3];
	int			 rc;

	if (out_prepare(cd, m, 0, &in, err) == -1)
		return -1;
	/* The signed entity is written verbatim between delimiters: choose
	 * a boundary it does not contain. */
	do {
		memcpy(b, "--", 2);
		hdr_boundary(b + 2);
	} while (memmem(in.iov[1].iov_base, in.iov[1].iov_len, b,
	    strlen(b)) != NULL || memmem(in.header.data, in.header.len, b,
	    strlen(b)) != NULL);
	buf_init(&sig, 1 << 20);
	pgp_sink_buf(&sink, &sig, 1 << 20);
	sink.crlf = 1;
	if ((rc = pgp_sign_detached(&cd->pgp, signer, in.iov, 2, &sink,
	    &r)) == -1) {
		inner_free(&in);
		buf_free(&sig);
		job_err_set(err, 451, "4.7.0", "signing failed, try again "
		    "later: %s", r.error);
		return -1;
	}
	spool_buf(sp, &in.outer);
	spool_str(sp, "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/signed; micalg=");
	spool_str(sp, r.micalg);
	spool_str(sp, ";\r\n protocol=\"application/pgp-signature\";\r\n"
	    " boundary=\"");
	spool_str(sp, b + 2);
	spool_str(sp, "\"\r\n\r\n");
	spool_str(sp, sig_preamble);
	spool_str(sp, b);
	spool_str(sp, "\r\n");
	spool_write(sp, in.iov[0].iov_base, in.iov[0].iov_len);
	spool_write(sp, in.iov[1].iov_base, in.iov[1].iov_len);
	spool_str(sp, "\r\n");
	spool_str(sp, b);
	spool_str(sp, "\r\nContent-Type: application/pgp-signature; "
	    "name=\"signature.asc\"\r\n"
	    "Content-Description: OpenPGP digital signature\r\n"
	    "Content-Disposition: attachment; filename=\"signature.asc\"\r\n"
	    "\r\n");
	spool_buf(sp, &sig);
	spool_str(sp, "\r\n");
	spool_str(sp, b);
	rc = spool_str(sp, "--\r\n");
	inner_free(&in);
	buf_free(&sig);
	if (rc == -1) {
		job_err_set(err, 451, "4.3.0", "out of memory");
		return -1;
	}
	return 0;
}

int
out_inline(struct cryptod *cd, struct message *m, gpgme_key_t *keys,
    gpgme_key_t signer, struct spool *sp, struct job_err *err)
{
	struct mime_part	*root;
	struct pgp_sink		 sink;
	struct pgp_result	 r;
	struct buf		 text;
	struct iovec		 iov;
	int			 rc;

	err->code = 0;
	if (m->mime == NULL || (root = m->mime->root)->child != NULL ||
	    strcmp(root->type, "text") != 0 ||
	    strcmp(root->subtype, "plain") != 0 || root->cte == MIME_CTE_OTHER)
		return -1;
	buf_init(&text, cd->conf->crypto_max_output);
	if (mime_decode_body(m->mime, root, &text) == -1) {
		buf_free(&text);
		job_err_set(err, 552, "5.3.4", "message too large to process");
		return -1;
	}
	/* Every field stays; only the body's transfer encoding changes:
	 * armour is 7-bit. */
	for (size_t i = 0; i < root->nfields; i++) {
		const struct mime_field *f = &root->fields[i];
		struct buf fb;

		if (hdr_is(f, "Content-Transfer-Encoding"))
			continue;
		buf_init(&fb, 0);
		add_field(&fb, m, f);
		spool_buf(sp, &fb);
		buf_free(&fb);
	}
	spool_str(sp, "Content-Transfer-Encoding: 7bit\r\n\r\n");
	iov.iov_base = text.data;
	iov.iov_len = text.len;
	pgp_sink_spool(&sink, sp, cd->conf->crypto_max_output);
	sink.crlf = 1;
	rc = pgp_encrypt(&cd->pgp, keys, signer, 1, &iov, 1, &sink, &r);
	buf_free(&text);
	if (rc == -1)
		return out_fail_pgp(err, &r);
	return 0;
}

/* The value of a base64 character, or -1. */
static int
b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/*
 * 1 when [p, p+len) is, white space aside, exactly one armoured OpenPGP
 * message whose first packet is an encrypted session key (tag 1 or 3):
 * encrypted, not merely something that quotes an armour line.
 */
static int
armour_is_encrypted(const char *p, size_t len)
{
	static const char begin[] = "-----BEGIN PGP MESSAGE-----";
	static const char end[] = "-----END PGP MESSAGE-----";
	const char	*e = p + len, *q;
	int		 v[2], n = 0, tag;

	while (p < e && isspace((unsigned char)*p))
		p++;
	while (e > p && isspace((unsigned char)e[-1]))
		e--;
	if ((size_t)(e - p) < sizeof(begin) + sizeof(end) ||
	    memcmp(p, begin, sizeof(begin) - 1) != 0 ||
	    memcmp(e - (sizeof(end) - 1), end, sizeof(end) - 1) != 0 ||
	    memmem(p + 1, (size_t)(e - p - 1), begin, sizeof(begin) - 1) !=
	    NULL)
		return 0;
	/* The armour headers end at the first empty line. */
	if ((q = memmem(p, (size_t)(e - p), "\n\n", 2)) == NULL &&
	    (q = memmem(p, (size_t)(e - p), "\n\r\n", 3)) == NULL)
		return 0;
	for (; q < e && n < 2; q++) {
		if (isspace((unsigned char)*q))
			continue;
		if ((v[n++] = b64_value(*q)) == -1)
			return 0;
	}
	if (n < 2)
		return 0;
	/* RFC 4880 4.2: bit 7 set; bit 6 says new or old format. */
	tag = (v[0] << 2) | (v[1] >> 4);
	if (!(tag & 0x80))
		return 0;
	tag = (tag & 0x40) ? (tag & 0x3f) : ((tag >> 2) & 0x0f);
	return tag == 1 || tag == 3;
}

static int
part_armour_encrypted(struct message *m, const struct mime_part *p)
{
	struct buf	 text;
	int		 found;

	buf_init(&text, m->len + 1);
	found = mime_decode_body(m->mime, p, &text) == 0 &&
	    armour_is_encrypted(text.data != NULL ? text.data : "", text.len);
	buf_free(&text);
	return found;
}

int
out_is_encrypted(struct message *m)
{
	const struct mime_part	*root, *ver, *data;
	const struct mime_field	*ct;
	char			 v[64];

	if (m->mime == NULL)
		return 0;
	root = m->mime->root;
	ct = mime_field_find(root, "Content-Type");
	/* RFC 3156 4: two parts, the second the encrypted data. */
	if (strcmp(root->type, "multipart") == 0 &&
	    strcmp(root->subtype, "encrypted") == 0)
		return ct != NULL && mime_param(ct->value, ct->value_len,
		    "protocol", v, sizeof(v)) == 0 &&
		    strcasecmp(v, "application/pgp-encrypted") == 0 &&
		    (ver = root->child) != NULL &&
		    strcmp(ver->type, "application") == 0 &&
		    strcmp(ver->subtype, "pgp-encrypted") == 0 &&
		    (data = ver->next) != NULL && data->next == NULL &&
		    part_armour_encrypted(m, data);
	/* S/MIME: only enveloped data is encrypted (RFC 8551 3.2.2). */
	if (strcmp(root->type, "application") == 0 &&
	    (strcmp(root->subtype, "pkcs7-mime") == 0 ||
	    strcmp(root->subtype, "x-pkcs7-mime") == 0))
		return ct != NULL && mime_param(ct->value, ct->value_len,
		    "smime-type", v, sizeof(v)) == 0 &&
		    (strcasecmp(v, "enveloped-data") == 0 ||
		    strcasecmp(v, "authEnveloped-data") == 0);
	/* Inline: the whole text is one encrypted armoured message. */
	if (root->child == NULL && strcmp(root->type, "text") == 0 &&
	    strcmp(root->subtype, "plain") == 0)
		return part_armour_encrypted(m, root);
	return 0;
}
