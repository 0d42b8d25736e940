#!/usr/bin/env bash
# deps.sh — install every Debian package that pgpmg's build, tests and
# runtime need, then create its system users and install the browser
# tests' npm package (scripts/browser-deps.sh).  Idempotent.
#
#   scripts/deps.sh            install what is missing, say what it installs
#   scripts/deps.sh --ensure   the same, but silent when everything is there
#
# The "all present" path is one dpkg-query call; apt-get update runs only
# when something is missing.  Never needs a terminal.
set -eu

PACKAGES=(
	build-essential		# cc, make, libc headers
	pkg-config		# the Makefile finds every library through it
	libevent-dev		# event loop of every daemon
	libssl-dev		# TLS in smtpd and webd, column encryption in policyd
	openssl			# scripts/mkcert.sh (self-signed certificate)
	libgpgme-dev		# cryptod and keyd
	gnupg			# gpg, run by gpgme
	gpg-agent		# keyd's agent and its restricted extra socket
	libpq-dev		# policyd's PostgreSQL client
	postgresql-15		# private cluster of `make run` and the tests
	postgresql-client-15	# psql, for scripts and tests
	libseccomp-dev		# seccomp allowlists of the children
	libcap-ng-dev		# dropping capabilities in the children
	libcriterion-dev	# unit and sandbox tests
	clang			# `make fuzz` (libFuzzer targets)
	libclang-rt-14-dev	# libFuzzer runtime for clang 14
	procps			# ps/pkill in tests, /proc readers
	iproute2		# ip netns in tests
	groff-base		# man page check of docs/*.5
	ca-certificates		# TLS trust store
	postfix			# smtp-sink/smtp-source and a private Postfix in tests
	swaks			# SMTP conversations in integration tests
	curl			# HTTPS requests in the web console's tests
	chromium		# the browser tests' browser (tests/browser/), never
				# one that playwright downloads
	fonts-dejavu-core	# chromium's text: fontconfig takes any one of several
				# fonts, this is the first; named so that it is known
	testssl.sh		# `make tls-check` (scripts/tls-check.sh)
	sq			# Sequoia: a second OpenPGP reader of what we emit
	rnp			# RNP (Thunderbird's engine): a third reader
)

ensure=0
case "${1-}" in
"") ;;
--ensure) ensure=1 ;;
*) echo "usage: $0 [--ensure]" >&2; exit 2 ;;
esac

die() { echo "deps: $*" >&2; exit 1; }

command -v dpkg-query >/dev/null 2>&1 ||
    die "dpkg-query not found: pgpmg is built on Debian 12"

# One dpkg-query for the whole list; unknown packages print nothing (and an
# error on stderr, which we drop), so they count as missing.
declare -A have=()
while read -r status pkg; do
	[ "$status" = ii ] && have[$pkg]=1
done < <(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' \
    "${PACKAGES[@]}" 2>/dev/null || true)

missing=()
for p in "${PACKAGES[@]}"; do
	[ -n "${have[$p]-}" ] || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] ||
	    die "missing packages (${missing[*]}); run as root to install them"
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	log=$(mktemp)
	trap 'rm -f "$log"' EXIT
	if ! apt-get update -q >"$log" 2>&1; then
		cat "$log" >&2
		die "apt-get update failed"
	fi
	# Postfix asks how to configure the system's mail; the tests run
	# their own instance, so the system's stays unconfigured.
	echo "postfix postfix/main_mailer_type select No configuration" |
	    debconf-set-selections
	if ! apt-get install -y -q --no-install-recommends \
	    -o Dpkg::Use-Pty=0 "${missing[@]}" </dev/null >"$log" 2>&1; then
		cat "$log" >&2
		die "apt-get install failed for: ${missing[*]}"
	fi
elif [ "$ensure" = 0 ]; then
	echo "deps: all ${#PACKAGES[@]} packages present"
fi

# The system users the daemons run as (idempotent, quiet).
if [ "$(id -u)" = 0 ]; then
	"$(dirname "$0")/ensure-users.sh"
elif [ "$ensure" = 0 ]; then
	echo "deps: not root; system users not checked" >&2
fi

# The browser tests' npm package (playwright-core, never a browser).
if [ "$ensure" = 1 ]; then
	"$(dirname "$0")/browser-deps.sh" --ensure
else
	"$(dirname "$0")/browser-deps.sh"
fi
