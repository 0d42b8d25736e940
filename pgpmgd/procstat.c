/*
 * A child's sandbox state as the kernel reports it, read by the parent
 * from /proc rather than taken from the child's word: the seccomp mode,
 * no_new_privs, the effective capabilities, its root directory and whether
 * its network namespace differs from ours.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pgpmgd/pgpmgd.h"

static int
readlink_proc(pid_t pid, const char *what, char *buf, size_t len)
{
	char	 path[64];
	ssize_t	 n;

	if (pid == 0)
		snprintf(path, sizeof(path), "/proc/self/%s", what);
	else
		snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, what);
	if ((n = readlink(path, buf, len - 1)) == -1)
		return -1;
	buf[n] = '\0';
	return 0;
}

int
procstat_read(pid_t pid, struct procstat *ps)
{
	char		 path[64], line[256], mine[64], theirs[64];
	FILE		*f;
	long		 uid = -1;
	struct passwd	*pw;

	memset(ps, 0, sizeof(*ps));
	ps->seccomp = ps->nonewprivs = -1;
	snprintf(ps->capeff, sizeof(ps->capeff), "?");
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "Uid:", 4) == 0)
			uid = strtol(line + 4, NULL, 10);
		else if (strncmp(line, "Seccomp:", 8) == 0)
			ps->seccomp = atoi(line + 8);
		else if (strncmp(line, "NoNewPrivs:", 11) == 0)
			ps->nonewprivs = atoi(line + 11);
		else if (strncmp(line, "CapEff:", 7) == 0)
			sscanf(line + 7, " %19s", ps->capeff);
	}
	fclose(f);
	if (uid >= 0 && (pw = getpwuid((uid_t)uid)) != NULL)
		snprintf(ps->user, sizeof(ps->user), "%s", pw->pw_name);
	else
		snprintf(ps->user, sizeof(ps->user), "%ld", uid);
	if (readlink_proc(pid, "root", ps->root, sizeof(ps->root)) == -1)
		snprintf(ps->root, sizeof(ps->root), "?");
	if (readlink_proc(0, "ns/net", mine, sizeof(mine)) == 0 &&
	    readlink_proc(pid, "ns/net", theirs, sizeof(theirs)) == 0)
		ps->netns_own = strcmp(mine, theirs) != 0;
	return 0;
}
