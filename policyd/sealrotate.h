/*
 * sealrotate: the second step of a rotation of policyd's column key
 * (docs/DESIGN-NOTES.md, "Column encryption").  Once a new key is on the
 * first line of policyd-key-file and policyd restarted, every value of
 * pgpmg.secrets still sealed under another key is opened with the key
 * its blob names and sealed again under the first one, so that the old
 * key can leave the file.
 *
 * A job on policyd's loop, like housekeeping's: a moment after each
 * database connection comes up, and every housekeeping-interval while it
 * is up.  Rows are read in pages, in name order; each one is re-sealed
 * by one statement that changes it only if it still holds the blob that
 * was read (another gateway, or an administrator, may have changed it
 * meanwhile) and appends its audit row (kind secret-rotate, actor
 * policyd, subject the name, details the old and the new key id; never
 * the value).  A row that does not open (its key is no longer in the
 * file, or it was altered) is left as it is and logged, at every run,
 * until an administrator puts its key back or deletes it.
 */
#ifndef PGPMG_POLICYD_SEALROTATE_H
#define PGPMG_POLICYD_SEALROTATE_H

/* After the connection comes up: after housekeeping's run, so that the
 * policy load and the statistics held back go first. */
#define SEALROTATE_AFTER_UP_MS	3000
/* Rows read per query: a blob is at most 64 KiB (128 KiB of hex), so
 * a page stays around 2 MiB, and its statements below DB_PARAMS_MAX
 * each. */
#define SEALROTATE_PAGE		16

struct child;

void	sealrotate_init(struct child *);

#endif /* PGPMG_POLICYD_SEALROTATE_H */
