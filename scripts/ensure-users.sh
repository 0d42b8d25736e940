#!/bin/sh
# Create pgpmg's system users and the _pgpmg group when they are absent.
# Each process runs as its own user with its own group; members of _pgpmg
# (and root) may use pgpmgctl.  Idempotent; needs root.
set -eu
[ "$(id -u)" = 0 ] || { echo "ensure-users: must run as root" >&2; exit 1; }
getent group _pgpmg >/dev/null || groupadd --system _pgpmg
for p in smtpd cryptod keyd policyd webd; do
	u=_pgpmg_$p
	getent passwd "$u" >/dev/null && continue
	useradd --system --user-group --no-create-home --home-dir /nonexistent \
	    --shell /usr/sbin/nologin --comment "pgpmg $p" "$u"
done
