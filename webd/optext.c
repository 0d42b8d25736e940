/*
 * optext: lines and tab-separated fields.  A line ends at LF (a CR before
 * it is part of the line: policyd writes none, and showing it escaped is
 * better than guessing); the last line may lack its LF.
 */
#include <string.h>

#include "webd/optext.h"

void
optext_init(struct optext *t, char *text)
{
	t->p = text;
}

int
optext_line(struct optext *t, char **f, int max)
{
	char	*line, *nl, *tab;
	int	 n;

	for (;;) {
		if (t->p == NULL || *t->p == '\0') {
			t->p = NULL;
			return 0;
		}
		line = t->p;
		if ((nl = strchr(line, '\n')) != NULL) {
			*nl = '\0';
			t->p = nl + 1;
		} else
			t->p = NULL;
		if (*line != '\0')
			break;
	}
	for (n = 0;; n++) {
		if (n == max)
			return -1;
		f[n] = line;
		if ((tab = strchr(line, '\t')) == NULL)
			return n + 1;
		*tab = '\0';
		line = tab + 1;
	}
}

int
optext_pair(char *line, char **key, char **value)
{
	size_t	 n = strcspn(line, " \t");

	if (line[n] == '\0')
		return -1;
	line[n] = '\0';
	*key = line;
	*value = line + n + 1;
	return 0;
}
