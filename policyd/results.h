/*
 * results: cryptod's reports (IMSG_CRYPTOD_RESULT) into the statistics
 * per hour and the audit log (results.c).
 */
#ifndef PGPMG_POLICYD_RESULTS_H
#define PGPMG_POLICYD_RESULTS_H

struct child;
struct child_peer;
struct imsg;

void	results_init(struct child *);
void	results_msg(struct child *, struct child_peer *, struct imsg *);

#endif /* PGPMG_POLICYD_RESULTS_H */
