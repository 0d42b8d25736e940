/*
 * envelope: what an SMTP/LMTP transaction carries besides the message:
 * the reverse path, the forward paths and the ESMTP parameters that must be
 * passed on to the relay unchanged (DSN's RET, ENVID, NOTIFY and ORCPT of
 * RFC 3461; BODY and SMTPUTF8; Postfix's XFORWARD attributes).
 */
#ifndef PGPMG_ENVELOPE_H
#define PGPMG_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

/* RFC 5321 4.5.3.1.3: a path is at most 256 octets with its brackets. */
#define SMTP_PATH_MAX		256
/* RFC 3461 4.4: ENVID is at most 100 characters (xtext as received). */
#define SMTP_ENVID_MAX		100
/* RFC 3461 4.2: ORCPT's addr-type;xtext, bounded like a long path. */
#define SMTP_ORCPT_MAX		500
/* XFORWARD attributes kept for the relay (NAME ADDR PORT PROTO HELO
 * IDENT SOURCE), as "NAME=value" words. */
#define SMTP_XFORWARD_MAX	1024

enum smtp_body { BODY_NONE = 0, BODY_7BIT, BODY_8BITMIME };
enum smtp_ret { RET_NONE = 0, RET_FULL, RET_HDRS };

#define NOTIFY_NEVER	0x01
#define NOTIFY_SUCCESS	0x02
#define NOTIFY_FAILURE	0x04
#define NOTIFY_DELAY	0x08

struct envelope_rcpt {
	char		 addr[SMTP_PATH_MAX + 1];	/* without <> */
	char		 orcpt[SMTP_ORCPT_MAX + 1];	/* raw, "" if none */
	uint8_t		 notify;			/* 0: not given */
};

struct envelope {
	char		 mail_from[SMTP_PATH_MAX + 1];	/* "" for <> */
	enum smtp_body	 body;
	int		 smtputf8;
	enum smtp_ret	 ret;
	char		 envid[SMTP_ENVID_MAX + 1];	/* raw xtext, "" if none */
	uint64_t	 size;				/* SIZE=, 0 if none */
	char		 xforward[SMTP_XFORWARD_MAX + 1];
	struct envelope_rcpt *rcpts;
	size_t		 nrcpt;
	size_t		 rcpt_cap;
};

/* A reply to send upstream: code, enhanced status (may be ""), text. */
struct smtp_reply {
	int		 code;
	char		 enhanced[16];
	char		 text[512];
};

#endif /* PGPMG_ENVELOPE_H */
