/*
 * syscall_sample: for bench/crypto.sh, where a few processes spend their
 * time, by sampling.
 *
 *   syscall_sample [-i MS] PID...
 *
 * Every MS milliseconds (default 10) reads /proc/PID/syscall of each PID:
 * the number of the system call it is blocked in, or "running" when it is
 * on a CPU or runnable.  On SIGTERM or SIGINT prints one line of
 * "STATE COUNT" pairs, where STATE is the system call's number or running.
 * Cheap enough (two small reads per sample) not to disturb what it
 * watches.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_STATES	64

static volatile sig_atomic_t	 stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int
main(int argc, char *argv[])
{
	char		 names[MAX_STATES][16], path[64], buf[256];
	long		 counts[MAX_STATES];
	int		 nstates = 0, ch, interval = 10;
	struct timespec	 ts;

	while ((ch = getopt(argc, argv, "i:")) != -1) {
		if (ch != 'i')
			goto usage;
		interval = atoi(optarg);
	}
	if (optind == argc || interval <= 0)
		goto usage;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	ts.tv_sec = interval / 1000;
	ts.tv_nsec = (long)(interval % 1000) * 1000000;
	while (!stop) {
		for (int i = optind; i < argc; i++) {
			ssize_t n;
			int fd, k;

			snprintf(path, sizeof(path), "/proc/%s/syscall",
			    argv[i]);
			if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
				continue;
			n = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			if (n <= 0)
				continue;
			buf[n] = '\0';
			buf[strcspn(buf, " \n")] = '\0';
			for (k = 0; k < nstates; k++)
				if (strcmp(names[k], buf) == 0)
					break;
			if (k == nstates) {
				if (nstates == MAX_STATES)
					continue;
				snprintf(names[k], sizeof(names[k]), "%.15s", buf);
				counts[k] = 0;
				nstates++;
			}
			counts[k]++;
		}
		nanosleep(&ts, NULL);
	}
	for (int k = 0; k < nstates; k++)
		printf("%s%s %ld", k ? " " : "", names[k], counts[k]);
	printf("\n");
	return 0;
usage:
	fprintf(stderr, "usage: syscall_sample [-i MS] PID...\n");
	return 2;
}
