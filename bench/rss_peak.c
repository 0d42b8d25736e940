/*
 * rss_peak: for bench/crypto.sh, the peak memory of a process tree.
 *
 *   rss_peak [-i MS] PID
 *
 * Every MS milliseconds (default 10) walks /proc, finds PID and all its
 * descendants (by ppid, so gpg and gpg-agent count, whatever their
 * session), and sums their VmRSS (and RssAnon, RssShmem) from
 * /proc/N/status.  Also reads Shmem from /proc/meminfo: memfd spools that
 * nobody maps count in no process's RSS, but they do there.  Stops on
 * SIGTERM, SIGINT or when PID is gone, and prints, in kB:
 *
 *   samples N interval_ms_avg A
 *   peak_total_rss K at_ms T procs P          (the sum over the tree)
 *   peak_total_anon K
 *   peak_total_shmem K                        (mapped memfds, in RSS)
 *   peak_meminfo_shmem_delta K                (system-wide, vs the start)
 *   at_peak KIND K ...                        (the breakdown at that peak)
 *   kind KIND peak_rss K max_procs N max_single K
 *
 * where a KIND is the process's comm (pgpmgd, smtpd, cryptod, gpg, ...)
 * and a kind's peak is that of the sum over its processes.
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_PROCS	65536
#define MAX_KINDS	32

struct proc {
	int	 pid, ppid;
	char	 comm[32];
	int	 mark;
};

struct kind {
	char	 name[32];
	long	 peak_rss;	/* of the sum over the kind's processes */
	long	 max_single;
	int	 max_procs;
	long	 now_rss;	/* in the current sample */
	int	 now_procs;
	long	 at_peak;	/* in the sample of the total's peak */
};

static volatile sig_atomic_t	 stop;
static struct proc		 procs[MAX_PROCS];
static struct kind		 kinds[MAX_KINDS];
static int			 nkinds;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static ssize_t
slurp(const char *path, char *buf, size_t len)
{
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* pid, ppid and comm of every process. */
static int
scan(void)
{
	char		 path[300], buf[1024], *l, *r;
	struct dirent	*de;
	DIR		*d;
	int		 n = 0;

	if ((d = opendir("/proc")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < MAX_PROCS) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		if (slurp(path, buf, sizeof(buf)) <= 0)
			continue;
		/* "pid (comm) state ppid ...": comm may hold anything. */
		if ((l = strchr(buf, '(')) == NULL ||
		    (r = strrchr(buf, ')')) == NULL || r < l)
			continue;
		procs[n].pid = atoi(buf);
		snprintf(procs[n].comm, sizeof(procs[n].comm), "%.*s",
		    (int)(r - l - 1), l + 1);
		procs[n].ppid = atoi(r + 4);
		procs[n].mark = 0;
		n++;
	}
	closedir(d);
	return n;
}

static long
field_kb(const char *status, const char *name)
{
	const char	*p = strstr(status, name);

	return p != NULL ? atol(p + strlen(name)) : 0;
}

static struct kind *
kind_of(const char *name)
{
	for (int i = 0; i < nkinds; i++)
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	if (nkinds == MAX_KINDS)
		return &kinds[MAX_KINDS - 1];
	snprintf(kinds[nkinds].name, sizeof(kinds[0].name), "%s", name);
	return &kinds[nkinds++];
}

static long
meminfo_shmem(void)
{
	char	 buf[8192];

	if (slurp("/proc/meminfo", buf, sizeof(buf)) <= 0)
		return 0;
	return field_kb(buf, "\nShmem:");
}

int
main(int argc, char *argv[])
{
	long	 peak_total = 0, peak_anon = 0, peak_shm = 0, peak_mshm = 0;
	long	 shm0;
	double	 t0, peak_at = 0, last;
	int	 root, ch, interval = 10, samples = 0, peak_procs = 0;

	while ((ch = getopt(argc, argv, "i:")) != -1) {
		if (ch != 'i') {
			fprintf(stderr, "usage: rss_peak [-i MS] PID\n");
			return 2;
		}
		interval = atoi(optarg);
	}
	if (optind != argc - 1 || (root = atoi(argv[optind])) <= 0 ||
	    interval <= 0) {
		fprintf(stderr, "usage: rss_peak [-i MS] PID\n");
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	shm0 = meminfo_shmem();
	t0 = last = now_ms();
	while (!stop) {
		long	 total = 0, anon = 0, shm = 0, mshm;
		int	 n = scan(), changed, alive = 0, nprocs = 0;
		char	 path[64], status[4096];

		for (int i = 0; i < n; i++)
			if (procs[i].pid == root)
				procs[i].mark = alive = 1;
		if (!alive)
			break;
		do {
			changed = 0;
			for (int i = 0; i < n; i++) {
				if (procs[i].mark)
					continue;
				for (int j = 0; j < n; j++)
					if (procs[j].mark &&
					    procs[j].pid == procs[i].ppid) {
						procs[i].mark = changed = 1;
						break;
					}
			}
		} while (changed);
		for (int k = 0; k < nkinds; k++)
			kinds[k].now_rss = kinds[k].now_procs = 0;
		for (int i = 0; i < n; i++) {
			struct kind *k;
			long rss;

			if (!procs[i].mark)
				continue;
			snprintf(path, sizeof(path), "/proc/%d/status",
			    procs[i].pid);
			if (slurp(path, status, sizeof(status)) <= 0)
				continue;
			rss = field_kb(status, "\nVmRSS:");
			if (rss == 0)	/* a zombie */
				continue;
			nprocs++;
			total += rss;
			anon += field_kb(status, "\nRssAnon:");
			shm += field_kb(status, "\nRssShmem:");
			k = kind_of(procs[i].comm);
			k->now_rss += rss;
			k->now_procs++;
			if (rss > k->max_single)
				k->max_single = rss;
		}
		mshm = meminfo_shmem() - shm0;
		for (int k = 0; k < nkinds; k++) {
			if (kinds[k].now_rss > kinds[k].peak_rss)
				kinds[k].peak_rss = kinds[k].now_rss;
			if (kinds[k].now_procs > kinds[k].max_procs)
				kinds[k].max_procs = kinds[k].now_procs;
		}
		if (total > peak_total) {
			peak_total = total;
			peak_at = now_ms() - t0;
			peak_procs = nprocs;
			for (int k = 0; k < nkinds; k++)
				kinds[k].at_peak = kinds[k].now_rss;
		}
		if (anon > peak_anon)
			peak_anon = anon;
		if (shm > peak_shm)
			peak_shm = shm;
		if (mshm > peak_mshm)
			peak_mshm = mshm;
		samples++;
		/* The next sample interval ms after the start of this one. */
		{
			double next = last + interval, t = now_ms();
			if (next > t) {
				struct timespec ts;
				ts.tv_sec = (time_t)((next - t) / 1e3);
				ts.tv_nsec = (long)((next - t -
				    (double)ts.tv_sec * 1e3) * 1e6);
				nanosleep(&ts, NULL);
			}
			last = now_ms();
		}
	}
	printf("samples %d interval_ms_avg %.1f\n", samples,
	    samples > 1 ? (now_ms() - t0) / samples : 0.0);
	printf("peak_total_rss %ld at_ms %.0f procs %d\n", peak_total,
	    peak_at, peak_procs);
	printf("peak_total_anon %ld\n", peak_anon);
	printf("peak_total_shmem %ld\n", peak_shm);
	printf("peak_meminfo_shmem_delta %ld\n", peak_mshm);
	printf("at_peak");
	for (int k = 0; k < nkinds; k++)
		if (kinds[k].at_peak > 0)
			printf(" %s %ld", kinds[k].name, kinds[k].at_peak);
	printf("\n");
	for (int k = 0; k < nkinds; k++)
		printf("kind %s peak_rss %ld max_procs %d max_single %ld\n",
		    kinds[k].name, kinds[k].peak_rss, kinds[k].max_procs,
		    kinds[k].max_single);
	return 0;
}
