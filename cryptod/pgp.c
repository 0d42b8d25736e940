/*
 * OpenPGP through gpgme; see pgp.h.  Every context setting that matters for
 * what we emit is set here once: armour, binary (not text) mode for PGP/MIME
 * data, which is already canonical CRLF, and no pinentry mode, because
 * keyd's restricted socket refuses loopback.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "cryptod/pgp.h"

/* ------------------------------------------------------------ data */

struct pgp_src {
	const struct iovec	*iov;
	int			 iovcnt;
	int			 cur;
	size_t			 off;
};

static ssize_t
src_read(void *handle, void *out, size_t size)
{
	struct pgp_src	*s = handle;
	size_t		 n;

	while (s->cur < s->iovcnt && s->off == s->iov[s->cur].iov_len) {
		s->cur++;
		s->off = 0;
	}
	if (s->cur == s->iovcnt)
		return 0;
	n = s->iov[s->cur].iov_len - s->off;
	if (n > size)
		n = size;
	memcpy(out, (const char *)s->iov[s->cur].iov_base + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

static int
sink_put(struct pgp_sink *k, const char *data, size_t size)
{
	if ((k->buf != NULL && buf_add(k->buf, data, size) == -1) ||
	    (k->spool != NULL && spool_write(k->spool, data, size) == -1))
		return -1;
	return 0;
}

/* gpg writes armour with LF line ends; MIME wants CRLF. */
static int
sink_put_crlf(struct pgp_sink *k, const char *data, size_t size)
{
	size_t	 run = 0;

	for (size_t i = 0; i < size; i++) {
		char prev = i > 0 ? data[i - 1] : k->last;

		if (data[i] != '\n' || prev == '\r')
			continue;
		if (sink_put(k, data + run, i - run) == -1 ||
		    sink_put(k, "\r", 1) == -1)
			return -1;
		run = i;
	}
	if (size > 0)
		k->last = data[size - 1];
	return sink_put(k, data + run, size - run);
}

static ssize_t
sink_write(void *handle, const void *data, size_t size)
{
	struct pgp_sink	*k = handle;
	int		 rc;

	if (k->written + size > k->max) {
		k->overflow = 1;
		errno = EFBIG;
		return -1;
	}
	rc = k->crlf ? sink_put_crlf(k, data, size) : sink_put(k, data, size);
	if (rc == -1) {
		k->failed = 1;
		errno = ENOMEM;
		return -1;
	}
	k->written += size;
	return (ssize_t)size;
}

void
pgp_sink_buf(struct pgp_sink *k, struct buf *b, uint64_t max)
{
	memset(k, 0, sizeof(*k));
	k->buf = b;
	k->max = max;
}

void
pgp_sink_spool(struct pgp_sink *k, struct spool *sp, uint64_t max)
{
	memset(k, 0, sizeof(*k));
	k->spool = sp;
	k->max = max;
}

static gpgme_data_t
data_src(struct pgp_src *s, struct gpgme_data_cbs *cbs,
    const struct iovec *iov, int iovcnt)
{
	gpgme_data_t	 d;

	memset(s, 0, sizeof(*s));
	s->iov = iov;
	s->iovcnt = iovcnt;
	memset(cbs, 0, sizeof(*cbs));
	cbs->read = src_read;
	if (gpgme_data_new_from_cbs(&d, cbs, s) != 0)
		return NULL;
	return d;
}

static gpgme_data_t
data_sink(struct pgp_sink *k, struct gpgme_data_cbs *cbs)
{
	gpgme_data_t	 d;

	memset(cbs, 0, sizeof(*cbs));
	cbs->write = sink_write;
	if (gpgme_data_new_from_cbs(&d, cbs, k) != 0)
		return NULL;
	return d;
}

static gpgme_data_t
data_mem(const char *p, size_t len)
{
	gpgme_data_t	 d;

	if (gpgme_data_new_from_mem(&d, p, len, 0) != 0)
		return NULL;
	return d;
}

/* ------------------------------------------------------------ results */

static int
result_fail(struct pgp_result *r, const struct pgp_sink *k, gpgme_error_t e,
    const char *what)
{
	r->ok = 0;
	if (k != NULL && k->overflow) {
		r->too_big = 1;
		snprintf(r->error, sizeof(r->error), "%s: output above the "
		    "limit of %llu bytes", what, (unsigned long long)k->max);
	} else
		snprintf(r->error, sizeof(r->error), "%s: %s", what,
		    gpgme_strerror(e));
	return -1;
}

static enum pgp_sigstate
sig_state(gpgme_signature_t s)
{
	switch (gpgme_err_code(s->status)) {
	case GPG_ERR_NO_ERROR:
		if (s->summary & GPGME_SIGSUM_KEY_REVOKED)
			return PGP_SIG_REVOKED;
		if (s->summary & (GPGME_SIGSUM_KEY_EXPIRED |
		    GPGME_SIGSUM_SIG_EXPIRED))
			return PGP_SIG_EXPIRED;
		return PGP_SIG_GOOD;
	case GPG_ERR_NO_PUBKEY:
		return PGP_SIG_UNKNOWN_KEY;
	case GPG_ERR_KEY_EXPIRED:
	case GPG_ERR_SIG_EXPIRED:
		return PGP_SIG_EXPIRED;
	case GPG_ERR_CERT_REVOKED:
		return PGP_SIG_REVOKED;
	default:
		return PGP_SIG_BAD;
	}
}

static void
result_sigs(struct pgp *p, struct pgp_result *r)
{
	gpgme_verify_result_t	 vr = gpgme_op_verify_result(p->ctx);

	if (vr == NULL)
		return;
	for (gpgme_signature_t s = vr->signatures; s != NULL &&
	    r->nsigs < PGP_MAX_SIGS; s = s->next) {
		struct pgp_sig *o = &r->sigs[r->nsigs++];
		o->state = sig_state(s);
		snprintf(o->fpr, sizeof(o->fpr), "%s",
		    s->fpr != NULL ? s->fpr : "");
	}
}

const char *
pgp_sigstate_name(enum pgp_sigstate s)
{
	switch (s) {
	case PGP_SIG_GOOD:		return "good";
	case PGP_SIG_BAD:		return "bad";
	case PGP_SIG_UNKNOWN_KEY:	return "unknown-key";
	case PGP_SIG_EXPIRED:		return "expired";
	case PGP_SIG_REVOKED:		return "revoked";
	default:			return "none";
	}
}

/* gpg's DECRYPTION_KEY line: "<subkey fpr> <primary fpr> <trust>". */
static gpgme_error_t
status_cb(void *hook, const char *keyword, const char *args)
{
	struct pgp_result	*r = hook;
	size_t			 n;

	if (keyword == NULL || args == NULL ||
	    strcmp(keyword, "DECRYPTION_KEY") != 0)
		return 0;
	n = strcspn(args, " ");
	if (n == 0 || n > PGP_FPR_MAX || strspn(args, "0123456789ABCDEFabcdef")
	    != n)
		return 0;
	memcpy(r->dec_key, args, n);
	r->dec_key[n] = '\0';
	return 0;
}

/* ------------------------------------------------------------ context */

void
pgp_prejail(void)
{
	/* gpgme finds its engines by running gpgconf, which the sandbox
	 * does not let us run: it must happen before. */
	if (gpgme_check_version(NULL) == NULL ||
	    gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP) != 0)
		fatalx("gpgme: no usable OpenPGP engine (is gnupg installed?)");
}

void
pgp_init(struct pgp *p, const char *home)
{
	gpgme_error_t	 e;

	if (home != p->home && snprintf(p->home, sizeof(p->home), "%s",
	    home) >= (int)sizeof(p->home))
		fatalx("GnuPG home too long");
	p->ctx = NULL;
	if ((e = gpgme_new(&p->ctx)) != 0 ||
	    (e = gpgme_set_protocol(p->ctx, GPGME_PROTOCOL_OpenPGP)) != 0 ||
	    (e = gpgme_ctx_set_engine_info(p->ctx, GPGME_PROTOCOL_OpenPGP,
	    "/usr/bin/gpg", p->home)) != 0)
		fatalx("gpgme: %s", gpgme_strerror(e));
	/* Every status line reaches status_cb: DECRYPTION_KEY says which
	 * key decrypted, which gpgme's results do not. */
	if ((e = gpgme_set_ctx_flag(p->ctx, "full-status", "1")) != 0)
		fatalx("gpgme full-status: %s", gpgme_strerror(e));
	gpgme_set_armor(p->ctx, 1);
	gpgme_set_textmode(p->ctx, 0);
	gpgme_set_offline(p->ctx, 1);
	gpgme_set_keylist_mode(p->ctx, GPGME_KEYLIST_MODE_LOCAL);
}

int
pgp_encrypt(struct pgp *p, gpgme_key_t *rcpts, gpgme_key_t signer, int text,
    const struct iovec *iov, int iovcnt, struct pgp_sink *k,
    struct pgp_result *r)
{
	struct gpgme_data_cbs	 icb, ocb;
	struct pgp_src		 src;
	gpgme_data_t		 in, out;
	gpgme_error_t		 e;

	memset(r, 0, sizeof(*r));
	if ((in = data_src(&src, &icb, iov, iovcnt)) == NULL ||
	    (out = data_sink(k, &ocb)) == NULL)
		fatalx("gpgme_data_new");
	gpgme_signers_clear(p->ctx);
	gpgme_set_textmode(p->ctx, text);
	/* Keys come from the admin-run store; gpg's web of trust has no
	 * say in it, so encryption trusts them as given. */
	if (signer != NULL) {
		if ((e = gpgme_signers_add(p->ctx, signer)) != 0) {
			gpgme_data_release(in);
			gpgme_data_release(out);
			return result_fail(r, NULL, e, "signer");
		}
		e = gpgme_op_encrypt_sign(p->ctx, rcpts,
		    GPGME_ENCRYPT_ALWAYS_TRUST, in, out);
	} else
		e = gpgme_op_encrypt(p->ctx, rcpts, GPGME_ENCRYPT_ALWAYS_TRUST,
		    in, out);
	gpgme_signers_clear(p->ctx);
	gpgme_set_textmode(p->ctx, 0);
	gpgme_data_release(in);
	gpgme_data_release(out);
	if (e != 0 || k->overflow || k->failed)
		return result_fail(r, k, e, "encrypt");
	r->ok = 1;
	return 0;
}

int
pgp_sign_detached(struct pgp *p, gpgme_key_t signer, const struct iovec *iov,
    int iovcnt, struct pgp_sink *k, struct pgp_result *r)
{
	struct gpgme_data_cbs	 icb, ocb;
	struct pgp_src		 src;
	gpgme_data_t		 in, out;
	gpgme_sign_result_t	 sr;
	gpgme_error_t		 e;
	const char		*h;

	memset(r, 0, sizeof(*r));
	if ((in = data_src(&src, &icb, iov, iovcnt)) == NULL ||
	    (out = data_sink(k, &ocb)) == NULL)
		fatalx("gpgme_data_new");
	gpgme_signers_clear(p->ctx);
	if ((e = gpgme_signers_add(p->ctx, signer)) == 0)
		e = gpgme_op_sign(p->ctx, in, out, GPGME_SIG_MODE_DETACH);
	gpgme_signers_clear(p->ctx);
	gpgme_data_release(in);
	gpgme_data_release(out);
	if (e != 0 || k->overflow || k->failed)
		return result_fail(r, k, e, "sign");
	if ((sr = gpgme_op_sign_result(p->ctx)) == NULL ||
	    sr->signatures == NULL ||
	    (h = gpgme_hash_algo_name(sr->signatures->hash_algo)) == NULL)
		return result_fail(r, NULL, GPG_ERR_GENERAL, "sign result");
	/* RFC 3156 5: micalg is "pgp-" and the hash name in lower case. */
	snprintf(r->micalg, sizeof(r->micalg), "pgp-%s", h);
	for (char *c = r->micalg; *c != '\0'; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	r->ok = 1;
	return 0;
}

int
pgp_decrypt(struct pgp *p, const char *data, size_t len, struct pgp_sink *k,
    struct pgp_result *r)
{
	struct gpgme_data_cbs	 ocb;
	gpgme_data_t		 in, out;
	gpgme_error_t		 e;

	memset(r, 0, sizeof(*r));
	if ((in = data_mem(data, len)) == NULL ||
	    (out = data_sink(k, &ocb)) == NULL)
		fatalx("gpgme_data_new");
	gpgme_set_status_cb(p->ctx, status_cb, r);
	e = gpgme_op_decrypt_verify(p->ctx, in, out);
	gpgme_set_status_cb(p->ctx, NULL, NULL);
	gpgme_data_release(in);
	gpgme_data_release(out);
	/* No key named: no reader can be told apart, so nobody reads it. */
	if (e == 0 && r->dec_key[0] == '\0')
		e = gpg_error(GPG_ERR_NO_SECKEY);
	if (e != 0 || k->overflow || k->failed)
		return result_fail(r, k, e, "decrypt");
	result_sigs(p, r);
	r->ok = 1;
	return 0;
}

int
pgp_verify_detached(struct pgp *p, const char *data, size_t len,
    const char *sig, size_t siglen, struct pgp_result *r)
{
	gpgme_data_t	 d, s;
	gpgme_error_t	 e;

	memset(r, 0, sizeof(*r));
	if ((d = data_mem(data, len)) == NULL ||
	    (s = data_mem(sig, siglen)) == NULL)
		fatalx("gpgme_data_new");
	e = gpgme_op_verify(p->ctx, s, d, NULL);
	gpgme_data_release(d);
	gpgme_data_release(s);
	if (e != 0)
		return result_fail(r, NULL, e, "verify");
	result_sigs(p, r);
	r->ok = 1;
	return 0;
}

int
pgp_verify_clear(struct pgp *p, const char *data, size_t len,
    struct pgp_sink *k, struct pgp_result *r)
{
	struct gpgme_data_cbs	 ocb;
	gpgme_data_t		 in, out;
	gpgme_error_t		 e;

	struct pgp_sink		 discard;

	memset(r, 0, sizeof(*r));
	if (k == NULL) {
		/* The signed text is not wanted: count it, keep nothing. */
		pgp_sink_buf(&discard, NULL, len);
		k = &discard;
	}
	if ((in = data_mem(data, len)) == NULL ||
	    (out = data_sink(k, &ocb)) == NULL)
		fatalx("gpgme_data_new");
	e = gpgme_op_verify(p->ctx, in, NULL, out);
	gpgme_data_release(in);
	gpgme_data_release(out);
	if (e != 0 || k->overflow || k->failed)
		return result_fail(r, k, e, "verify");
	result_sigs(p, r);
	r->ok = 1;
	return 0;
}

int
pgp_load_keyring(struct pgp *p, const char *data, size_t len)
{
	char		 path[4200];
	gpgme_data_t	 d;
	gpgme_error_t	 e;

	/* A fresh keyring, so that keys removed from the store go too. */
	for (const char *const *f = (const char *const[]){ "pubring.kbx",
	    "pubring.kbx~", NULL }; *f != NULL; f++) {
		snprintf(path, sizeof(path), "%s/%s", p->home, *f);
		if (unlink(path) == -1 && errno != ENOENT) {
			log_warn("unlink %s", path);
			return -1;
		}
	}
	if (len == 0)
		return 0;
	if ((d = data_mem(data, len)) == NULL)
		fatalx("gpgme_data_new");
	e = gpgme_op_import(p->ctx, d);
	gpgme_data_release(d);
	if (e != 0) {
		log_warnx("keyring import: %s", gpgme_strerror(e));
		return -1;
	}
	return 0;
}
