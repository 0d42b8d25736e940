/*
 * gpgme_loop: the ceiling for bench/crypto.sh.  A bare gpgme sign+encrypt
 * loop, one process per GnuPG home given, all started at once, each
 * encrypting the same payload to the same recipient and signing it with
 * the same key, armoured and always-trust, as a cryptod worker does
 * (cryptod/pgp.c: pgp_init, pgp_encrypt), but with nothing else around
 * it: no SMTP, no MIME, no imsg.
 *
 *   gpgme_loop -r RECIPIENT -u SIGNER -f PAYLOAD [-t SECONDS | -c COUNT]
 *       [-o SAMPLE] HOME...
 *
 * RECIPIENT and SIGNER are fingerprints or addresses; each HOME is a copy
 * of a cryptod worker's home (pubring.kbx, gpg.conf and the S.gpg-agent
 * redirect to keyd's restricted socket), so signing goes through keyd's
 * agent as in the pipeline.  Each process first makes one untimed
 * operation (its output goes to SAMPLE, from the first process, so that
 * the caller can check it), then all start together and loop for SECONDS
 * (default 5) or COUNT operations each.  The environment is emptied
 * first, as pgpmgd empties its children's.
 *
 * Prints one line per process and a total:
 *   worker I ops N elapsed_ms E rate R ms_per_op_avg A min M max X
 *       cpu_self_ms S cpu_gpg_ms G
 *   total ops N rate R workers W cpu_self_ms S cpu_gpg_ms G
 * where the total rate is the sum of the processes' rates, and the CPU
 * times (user + system) are those of the timed loop: the process itself
 * (gpgme) and the gpg processes it ran.  Exits 1 when
 * anything failed.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <gpgme.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_WORKERS	64

struct result {
	long	 ops;
	double	 elapsed_ms;
	double	 sum_ms, min_ms, max_ms;
	double	 cpu_self_ms, cpu_gpg_ms;	/* user + system, timed part */
};

static double
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* User + system CPU of this process, or of its reaped children. */
static double
cpu_ms(int who)
{
	struct rusage	 ru;

	if (getrusage(who, &ru) == -1)
		return 0;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static void
die(const char *what, gpgme_error_t e)
{
	fprintf(stderr, "gpgme_loop[%d]: %s: %s\n", (int)getpid(), what,
	    e ? gpgme_strerror(e) : strerror(errno));
	_exit(1);
}

static char *
read_file(const char *path, size_t *len)
{
	struct stat	 st;
	char		*p;
	size_t		 got = 0;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1)
		die(path, 0);
	if ((p = malloc((size_t)st.st_size + 1)) == NULL)
		die("malloc", 0);
	while (got < (size_t)st.st_size &&
	    (n = read(fd, p + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	*len = got;
	return p;
}

/* A key by fingerprint, or the first one an address finds. */
static gpgme_key_t
find_key(gpgme_ctx_t ctx, const char *what, int secret)
{
	gpgme_key_t	 k = NULL;
	gpgme_error_t	 e;

	if ((e = gpgme_op_keylist_start(ctx, what, secret)) != 0)
		die("keylist", e);
	if ((e = gpgme_op_keylist_next(ctx, &k)) != 0)
		die(what, e);
	gpgme_op_keylist_end(ctx);
	return k;
}

/* gpg processes gpgme left to us (see worker()): reap them. */
static void
reap(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* One encrypt+sign of the payload; the output stays in memory. */
static size_t
one_op(gpgme_ctx_t ctx, gpgme_key_t *rcpts, const char *payload, size_t len,
    char **out_copy)
{
	gpgme_data_t	 in, out;
	gpgme_error_t	 e;
	size_t		 olen = 0;
	char		*o;

	if ((e = gpgme_data_new_from_mem(&in, payload, len, 0)) != 0 ||
	    (e = gpgme_data_new(&out)) != 0)
		die("gpgme_data_new", e);
	if ((e = gpgme_op_encrypt_sign(ctx, rcpts, GPGME_ENCRYPT_ALWAYS_TRUST,
	    in, out)) != 0)
		die("encrypt_sign", e);
	gpgme_data_release(in);
	reap();
	o = gpgme_data_release_and_get_mem(out, &olen);
	if (out_copy != NULL)
		*out_copy = o;
	else
		gpgme_free(o);
	return olen;
}

static void
worker(int idx, const char *home, const char *rcpt, const char *signer,
    const char *payload, size_t len, double seconds, long count,
    const char *sample, int ready_fd, int go_fd, int res_fd)
{
	gpgme_ctx_t	 ctx;
	gpgme_key_t	 keys[2] = { NULL, NULL }, sk;
	gpgme_error_t	 e;
	struct result	 r = { .min_ms = 1e30 };
	double		 t0, t1, deadline, self0, gpg0;
	char		*o = NULL, c;

	/* gpgme runs gpg through a double fork: gpg is orphaned and would
	 * be reaped by init, its CPU time lost to us.  As a subreaper, each
	 * worker reaps its gpg itself (as pgpmgd does for cryptod's). */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
		die("PR_SET_CHILD_SUBREAPER", 0);
	if ((e = gpgme_new(&ctx)) != 0 ||
	    (e = gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP)) != 0 ||
	    (e = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP,
	    "/usr/bin/gpg", home)) != 0)
		die("gpgme_new", e);
	gpgme_set_armor(ctx, 1);
	gpgme_set_textmode(ctx, 0);
	gpgme_set_offline(ctx, 1);
	gpgme_set_keylist_mode(ctx, GPGME_KEYLIST_MODE_LOCAL);
	keys[0] = find_key(ctx, rcpt, 0);
	/* The signer from the public keyring, as cryptod's key store has
	 * it: the secret part lives behind keyd's agent. */
	sk = find_key(ctx, signer, 0);
	if ((e = gpgme_signers_add(ctx, sk)) != 0)
		die("signers_add", e);

	/* Untimed warm-up; its output is the caller's proof. */
	one_op(ctx, keys, payload, len, idx == 0 && sample ? &o : NULL);
	if (o != NULL) {
		FILE *f = fopen(sample, "w");
		if (f == NULL)
			die(sample, 0);
		fputs(o, f);
		fclose(f);
		gpgme_free(o);
	}
	c = 'r';
	if (write(ready_fd, &c, 1) != 1)
		die("ready", 0);
	close(ready_fd);
	/* Everyone starts when the parent closes the go pipe. */
	while (read(go_fd, &c, 1) > 0)
		;
	self0 = cpu_ms(RUSAGE_SELF);
	gpg0 = cpu_ms(RUSAGE_CHILDREN);
	t0 = now_ms();
	deadline = t0 + seconds * 1e3;
	for (;;) {
		double a = now_ms(), d;
		one_op(ctx, keys, payload, len, NULL);
		t1 = now_ms();
		d = t1 - a;
		r.ops++;
		r.sum_ms += d;
		if (d < r.min_ms)
			r.min_ms = d;
		if (d > r.max_ms)
			r.max_ms = d;
		if (count > 0 ? r.ops >= count : t1 >= deadline)
			break;
	}
	r.elapsed_ms = t1 - t0;
	/* The last gpg may still be exiting. */
	for (int i = 0; i < 100; i++) {
		reap();
		if (waitpid(-1, NULL, WNOHANG) == -1)
			break;		/* ECHILD: none left */
		usleep(1000);
	}
	r.cpu_self_ms = cpu_ms(RUSAGE_SELF) - self0;
	r.cpu_gpg_ms = cpu_ms(RUSAGE_CHILDREN) - gpg0;
	if (write(res_fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		die("result", 0);
	gpgme_key_unref(keys[0]);
	gpgme_key_unref(sk);
	gpgme_release(ctx);
	_exit(0);
}

static void
usage(void)
{
	fprintf(stderr, "usage: gpgme_loop -r RECIPIENT -u SIGNER -f PAYLOAD "
	    "[-t SECONDS | -c COUNT] [-o SAMPLE] HOME...\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	const char	*rcpt = NULL, *signer = NULL, *file = NULL;
	const char	*sample = NULL;
	double		 seconds = 5, total_rate = 0, cpu_self = 0, cpu_gpg = 0;
	long		 count = 0, total_ops = 0;
	int		 ch, n, ready[2], go[2], res[MAX_WORKERS][2];
	pid_t		 pids[MAX_WORKERS];
	int		 failed = 0;
	char		*payload, c;
	size_t		 len;

	while ((ch = getopt(argc, argv, "r:u:f:t:c:o:")) != -1) {
		switch (ch) {
		case 'r': rcpt = optarg; break;
		case 'u': signer = optarg; break;
		case 'f': file = optarg; break;
		case 't': seconds = atof(optarg); break;
		case 'c': count = atol(optarg); break;
		case 'o': sample = optarg; break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (rcpt == NULL || signer == NULL || file == NULL || argc < 1 ||
	    argc > MAX_WORKERS || seconds <= 0)
		usage();
	n = argc;
	/* gpg runs as cryptod runs it: with an empty environment. */
	clearenv();
	if (gpgme_check_version(NULL) == NULL ||
	    gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP) != 0) {
		fprintf(stderr, "gpgme_loop: no usable OpenPGP engine\n");
		return 1;
	}
	payload = read_file(file, &len);
	signal(SIGPIPE, SIG_IGN);
	if (pipe(ready) == -1 || pipe(go) == -1)
		die("pipe", 0);
	for (int i = 0; i < n; i++) {
		if (pipe(res[i]) == -1)
			die("pipe", 0);
		if ((pids[i] = fork()) == -1)
			die("fork", 0);
		if (pids[i] == 0) {
			close(ready[0]);
			close(go[1]);
			close(res[i][0]);
			worker(i, argv[i], rcpt, signer, payload, len, seconds,
			    count, sample, ready[1], go[0], res[i][1]);
		}
		close(res[i][1]);
	}
	close(ready[1]);
	close(go[0]);
	/* Wait until every worker made its warm-up operation. */
	for (int i = 0; i < n; i++)
		if (read(ready[0], &c, 1) != 1) {
			fprintf(stderr, "gpgme_loop: a worker failed to "
			    "start\n");
			failed = 1;
			break;
		}
	close(go[1]);		/* go */
	for (int i = 0; i < n; i++) {
		struct result	 r;
		int		 st;

		if (read(res[i][0], &r, sizeof(r)) != (ssize_t)sizeof(r)) {
			failed = 1;
			r.ops = 0;
		}
		if (waitpid(pids[i], &st, 0) == -1 || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0)
			failed = 1;
		if (r.ops > 0) {
			double rate = r.ops / (r.elapsed_ms / 1e3);
			printf("worker %d ops %ld elapsed_ms %.0f rate %.2f "
			    "ms_per_op_avg %.2f min %.2f max %.2f cpu_self_ms "
			    "%.0f cpu_gpg_ms %.0f\n", i, r.ops, r.elapsed_ms,
			    rate, r.sum_ms / r.ops, r.min_ms, r.max_ms,
			    r.cpu_self_ms, r.cpu_gpg_ms);
			total_rate += rate;
			total_ops += r.ops;
			cpu_self += r.cpu_self_ms;
			cpu_gpg += r.cpu_gpg_ms;
		}
	}
	printf("total ops %ld rate %.2f workers %d cpu_self_ms %.0f "
	    "cpu_gpg_ms %.0f\n", total_ops, total_rate, n, cpu_self, cpu_gpg);
	return failed;
}
