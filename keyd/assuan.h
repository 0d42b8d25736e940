/*
 * assuan: keyd's minimal client of gpg-agent's Assuan protocol (see
 * assuan.c for why not gpgme's).
 */
#ifndef PGPMG_KEYD_ASSUAN_H
#define PGPMG_KEYD_ASSUAN_H

#include <stddef.h>

#include <gpgme.h>

struct assuan {
	int	 fd;
	char	 buf[2048];
	size_t	 buflen;
	char	 line[2048];
};

/* The value for an INQUIRE keyword, or NULL to cancel it. */
typedef const char *(*assuan_inquire_fn)(void *, const char *keyword);

int	 assuan_open(struct assuan *, const char *socket_path);
void	 assuan_close(struct assuan *);
/* 0 on OK, the agent's error code on ERR, or a local error. */
gpgme_error_t assuan_transact(struct assuan *, const char *cmd,
	    assuan_inquire_fn, void *);

#endif /* PGPMG_KEYD_ASSUAN_H */
