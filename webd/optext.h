/*
 * optext: an operation's output (common/msg.h: lines of fields separated
 * by one tab, no field holding a tab or a line break) cut into lines and
 * fields, in place.  Pure, for the unit tests.
 */
#ifndef PGPMG_WEBD_OPTEXT_H
#define PGPMG_WEBD_OPTEXT_H

struct optext {
	char	*p;		/* the rest; NULL at the end */
};

/* text is NUL-terminated and is cut up as lines are read. */
void	optext_init(struct optext *, char *text);
/*
 * The next line that is not empty, its fields in f[0..n): n (1 to max),
 * 0 when no line is left, or -1 for a line of more than max fields (it is
 * skipped; the caller counts what it did not understand).
 */
int	optext_line(struct optext *, char **f, int max);
/* "KEY VALUE" (policy show): the key and the rest after one space or
 * tab; -1 when there is neither. */
int	optext_pair(char *line, char **key, char **value);

#endif /* PGPMG_WEBD_OPTEXT_H */
