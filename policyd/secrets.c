/*
 * secrets: the key ring and the values in the clear in locked memory,
 * secrets_get() (read, or make and read back), and the console key kept
 * for policyd's life; see secrets.h.  Re-sealing under a new key is
 * sealrotate.c's job, with secrets_reseal() from here, so that a value
 * in the clear never leaves this file's locked pages.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "common/child.h"
#include "common/lockedmem.h"
#include "common/log.h"
#include "policyd/db.h"
#include "policyd/secrets.h"
#include "policyd/statements.h"

/*
 * Everything secret policyd holds, in one mapping: locked, left out of
 * core dumps, wiped at exit.  value[] is the one place a value is in the
 * clear, from its opening (or making) until it is sealed again or its
 * callback returns; busy catches a second use meanwhile, which would be
 * a bug.
 */
struct secrets_vault {
	struct seal_keyring	 ring;
	unsigned char		 console[SECRETS_CONSOLE_KEY_LEN];
	int			 console_ready;
	int			 busy;
	unsigned char		 value[SEAL_MAX_PLAINTEXT];
};

/* A name's additional data fits what seal() takes. */
_Static_assert(SECRETS_AAD_MAX <= SEAL_MAX_AAD, "SECRETS_AAD_MAX");

static struct secrets_vault	*vault;
static size_t			 vault_maplen;

/* One secrets_get() on its way. */
struct secrets_req {
	char		 name[SECRETS_NAME_MAX + 1];
	size_t		 len;
	secrets_cb	 cb;
	void		*arg;
	int		 made;		/* inserted (or tried to): read back */
};

static struct {
	struct child	*c;
	struct event	*retry;
	int		 fetching;
} sc;

static void	secrets_read_answered(const struct db_result *, void *);
static void	secrets_console_got(enum secrets_status,
		    const unsigned char *, size_t, void *);

static void
secrets_wipe(void)
{
	if (vault != NULL)
		explicit_bzero(vault, vault_maplen);
}

void
secrets_prepare(const char *key_file)
{
	char	 err[512];

	/* mlock is not in policyd's syscall allowlist: lock now, as root,
	 * and keep the pages for good. */
	vault = locked_alloc(sizeof(*vault), &vault_maplen, "secrets");
	if (atexit(secrets_wipe) != 0)
		fatalx("secrets: atexit");
	if (seal_keyring_load(&vault->ring, key_file, err, sizeof(err)) == -1)
		fatalx("policyd-key-file %s", err);
	log_info("secrets: policyd-key-file holds %zu key%s; new values are "
	    "sealed under key %s", vault->ring.n, vault->ring.n == 1 ? "" :
	    "s", vault->ring.keys[0].id);
}

const struct seal_keyring *
secrets_keyring(void)
{
	if (vault == NULL)
		fatalx("secrets: no key ring before secrets_prepare");
	return &vault->ring;
}

const unsigned char *
secrets_console_key(void)
{
	return vault != NULL && vault->console_ready ? vault->console : NULL;
}

/* The additional data of name's row; its length. */
static size_t
secrets_aad(const char *name, char *aad, size_t cap)
{
	int	 n;

	n = snprintf(aad, cap, "%s%s", SECRETS_AAD_PREFIX, name);
	if (n < 0 || (size_t)n >= cap)
		fatalx("secrets: name too long for the additional data");
	return (size_t)n;
}

static void
secrets_value_done(void)
{
	explicit_bzero(vault->value, sizeof(vault->value));
	vault->busy = 0;
}

/* Open name's blob into value[]: SEAL_OK and its length, or why not. */
static int
secrets_open(const char *name, const unsigned char *blob, size_t bloblen,
    size_t *len)
{
	char	 aad[SECRETS_AAD_MAX + 1];
	size_t	 aadlen = secrets_aad(name, aad, sizeof(aad));
	int	 rc;

	if (vault->busy)
		fatalx("secrets: a value is still in the clear");
	rc = seal_keyring_open(&vault->ring, blob, bloblen, aad, aadlen,
	    vault->value, sizeof(vault->value), len);
	if (rc == SEAL_OK)
		vault->busy = 1;
	return rc;
}

void
secrets_describe(int rc, const unsigned char *blob, size_t bloblen,
    char *buf, size_t cap)
{
	char	 id[SEAL_KEYID_LEN + 1];

	/* "Another key" says little: which one, and that it is missing. */
	if (rc == SEAL_E_KEYID && seal_blob_key_id(blob, bloblen, id) ==
	    SEAL_OK)
		snprintf(buf, cap, "sealed under key %s, which "
		    "policyd-key-file does not hold", id);
	else
		snprintf(buf, cap, "%s", seal_strerror(rc));
}

int
secrets_reseal(const char *name, const unsigned char *blob, size_t bloblen,
    unsigned char *out, size_t outcap, size_t *outlen)
{
	char	 aad[SECRETS_AAD_MAX + 1];
	size_t	 aadlen = secrets_aad(name, aad, sizeof(aad)), len;
	int	 rc;

	*outlen = 0;
	if ((rc = secrets_open(name, blob, bloblen, &len)) != SEAL_OK)
		return rc;
	rc = seal(&vault->ring.keys[0], vault->value, len, aad, aadlen, out,
	    outcap, outlen);
	secrets_value_done();
	return rc;
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

unsigned char *
secrets_blob_from_hex(const char *hex, size_t hexlen, size_t *len)
{
	unsigned char	*blob;
	size_t		 n = hexlen / 2;

	*len = 0;
	if (hex == NULL || hexlen % 2 != 0 || n < SEAL_OVERHEAD ||
	    n > seal_size(SEAL_MAX_PLAINTEXT))
		return NULL;
	if ((blob = malloc(n)) == NULL)
		fatal("secrets");
	for (size_t i = 0; i < n; i++) {
		int hi = hexval((unsigned char)hex[2 * i]);
		int lo = hexval((unsigned char)hex[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			free(blob);
			return NULL;
		}
		blob[i] = (unsigned char)(hi << 4 | lo);
	}
	*len = n;
	return blob;
}

char *
secrets_blob_to_hex(const unsigned char *blob, size_t len)
{
	static const char	 digits[] = "0123456789abcdef";
	char			*hex;

	if ((hex = malloc(2 * len + 1)) == NULL)
		fatal("secrets");
	for (size_t i = 0; i < len; i++) {
		hex[2 * i] = digits[blob[i] >> 4];
		hex[2 * i + 1] = digits[blob[i] & 0xf];
	}
	hex[2 * len] = '\0';
	return hex;
}

/* ---------------------------------------------------------------- get */

static void
secrets_finish(struct secrets_req *q, enum secrets_status st)
{
	q->cb(st, NULL, 0, q->arg);
	free(q);
}

static void
secrets_read(struct secrets_req *q)
{
	const char	*v[1] = { q->name };

	db_query(STMT_SECRET_GET, 1, v, NULL, NULL, secrets_read_answered, q);
}

/* A query that got no usable answer: the caller tries again later. */
static void
secrets_unavailable(struct secrets_req *q, const char *what,
    const struct db_result *r)
{
	/* The database being away is db.c's news; a refusal is ours. */
	if (r->status == DB_ERROR)
		log_warnx("secrets: %s %s: %s", what, q->name, r->error);
	else
		log_debug("secrets: %s %s: %s", what, q->name, r->error);
	secrets_finish(q, SECRETS_UNAVAILABLE);
}

static void
secrets_made(const struct db_result *r, void *arg)
{
	struct secrets_req	*q = arg;

	if (r->status != DB_OK) {
		secrets_unavailable(q, "cannot store", r);
		return;
	}
	if (PQntuples(r->res) == 1)
		log_info("secrets: %s made: %zu random bytes, sealed under key "
		    "%s", q->name, q->len, vault->ring.keys[0].id);
	else
		log_debug("secrets: %s was made by another gateway first; its "
		    "value is used", q->name);
	/* Whoever made it, what is stored is what everybody uses. */
	secrets_read(q);
}

/* No row yet: len random bytes, sealed, inserted unless one came first. */
static void
secrets_make(struct secrets_req *q)
{
	const struct seal_key	*k = &vault->ring.keys[0];
	unsigned char		*blob;
	char			 aad[SECRETS_AAD_MAX + 1], *hex;
	const char		*v[3];
	size_t			 aadlen, bloblen;
	int			 rc;

	if (vault->busy)
		fatalx("secrets: a value is still in the clear");
	vault->busy = 1;
	if (RAND_bytes(vault->value, (int)q->len) != 1) {
		secrets_value_done();
		log_warnx("secrets: no random bytes to make %s", q->name);
		secrets_finish(q, SECRETS_UNAVAILABLE);
		return;
	}
	aadlen = secrets_aad(q->name, aad, sizeof(aad));
	if ((blob = malloc(seal_size(q->len))) == NULL)
		fatal("secrets");
	rc = seal(k, vault->value, q->len, aad, aadlen, blob,
	    seal_size(q->len), &bloblen);
	secrets_value_done();
	if (rc != SEAL_OK) {
		free(blob);
		log_warnx("secrets: cannot seal %s: %s", q->name,
		    seal_strerror(rc));
		secrets_finish(q, SECRETS_UNAVAILABLE);
		return;
	}
	hex = secrets_blob_to_hex(blob, bloblen);
	free(blob);
	v[0] = q->name;
	v[1] = k->id;
	v[2] = hex;
	q->made = 1;
	db_query(STMT_SECRET_CREATE, 3, v, NULL, NULL, secrets_made, q);
	free(hex);
}

static void
secrets_read_answered(const struct db_result *r, void *arg)
{
	struct secrets_req	*q = arg;
	unsigned char		*blob;
	char			 why[128];
	size_t			 bloblen = 0, len = 0;
	int			 rc;

	if (r->status != DB_OK) {
		secrets_unavailable(q, "cannot read", r);
		return;
	}
	if (PQnfields(r->res) != 1 || PQntuples(r->res) > 1) {
		log_warnx("secrets: reading %s: an answer of %d columns and %d "
		    "rows", q->name, PQnfields(r->res), PQntuples(r->res));
		secrets_finish(q, SECRETS_UNAVAILABLE);
		return;
	}
	if (PQntuples(r->res) == 0) {
		if (!q->made) {
			secrets_make(q);
			return;
		}
		log_warnx("secrets: %s was stored, but is gone again "
		    "(deleted meanwhile?); asked for again later", q->name);
		secrets_finish(q, SECRETS_UNAVAILABLE);
		return;
	}

	blob = secrets_blob_from_hex(PQgetvalue(r->res, 0, 0),
	    (size_t)PQgetlength(r->res, 0, 0), &bloblen);
	rc = blob == NULL ? SEAL_E_FORMAT : secrets_open(q->name, blob,
	    bloblen, &len);
	if (rc != SEAL_OK) {
		secrets_describe(rc, blob, bloblen, why, sizeof(why));
		free(blob);
		log_warnx("secrets: the value of %s in pgpmg.secrets does not "
		    "open: %s; it is not used, and left as it is (put its key "
		    "back into policyd-key-file, or delete the row to have a "
		    "new value made)", q->name, why);
		secrets_finish(q, SECRETS_BROKEN);
		return;
	}
	free(blob);
	if (len != q->len) {
		secrets_value_done();
		log_warnx("secrets: the value of %s in pgpmg.secrets is %zu "
		    "bytes, not %zu; it is not used, and left as it is (delete "
		    "the row to have a new value made)", q->name, len, q->len);
		secrets_finish(q, SECRETS_BROKEN);
		return;
	}
	q->cb(SECRETS_OK, vault->value, len, q->arg);
	secrets_value_done();
	free(q);
}

void
secrets_get(const char *name, size_t len, secrets_cb cb, void *arg)
{
	struct secrets_req	*q;
	size_t			 nlen;

	if (vault == NULL)
		fatalx("secrets_get before secrets_prepare");
	if (name == NULL || cb == NULL ||
	    (nlen = strnlen(name, SECRETS_NAME_MAX + 1)) == 0 ||
	    nlen > SECRETS_NAME_MAX || len == 0 || len > SEAL_MAX_PLAINTEXT)
		fatalx("secrets_get: bad name or length");
	for (size_t i = 0; i < nlen; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			fatalx("secrets_get: control character in the name");
	if ((q = calloc(1, sizeof(*q))) == NULL)
		fatal("secrets_get");
	memcpy(q->name, name, nlen);
	q->len = len;
	q->cb = cb;
	q->arg = arg;
	/* Answered from the loop, even while the database is down. */
	secrets_read(q);
}

/* ---------------------------------------------------------------- console */

static void
secrets_console_fetch(void)
{
	if (vault->console_ready || sc.fetching || !db_up())
		return;
	sc.fetching = 1;
	secrets_get(SECRETS_CONSOLE_KEY, SECRETS_CONSOLE_KEY_LEN,
	    secrets_console_got, NULL);
}

static void
secrets_console_got(enum secrets_status st, const unsigned char *value,
    size_t len, void *arg)
{
	struct timeval	 tv = { SECRETS_RETRY_SEC, 0 };

	(void)arg;
	sc.fetching = 0;
	if (st == SECRETS_OK && len == sizeof(vault->console)) {
		memcpy(vault->console, value, len);
		vault->console_ready = 1;
		evtimer_del(sc.retry);
		log_info("secrets: the console key is loaded");
		return;
	}
	/* A value that does not open stays so until an administrator acts:
	 * the error comes back once an interval, not every few seconds. */
	if (st == SECRETS_BROKEN)
		tv.tv_sec = (time_t)sc.c->conf.housekeeping_interval;
	log_debug("secrets: no console key yet; asked for again in %lld s",
	    (long long)tv.tv_sec);
	if (evtimer_add(sc.retry, &tv) == -1)
		fatalx("secrets: evtimer_add");
}

static void
secrets_retry(int fd, short ev, void *arg)
{
	(void)fd; (void)ev; (void)arg;
	secrets_console_fetch();
}

static void
secrets_db_state(enum db_state state, void *arg)
{
	(void)arg;
	if (state == DB_STATE_UP)
		secrets_console_fetch();
}

void
secrets_init(struct child *c)
{
	if (vault == NULL)
		fatalx("secrets_init before secrets_prepare");
	sc.c = c;
	if ((sc.retry = evtimer_new(c->base, secrets_retry, NULL)) == NULL)
		fatalx("secrets: event");
	db_add_state_hook(secrets_db_state, NULL);
}
