#!/usr/bin/env bash
# Every program is built with the hardening the Makefile promises: PIE,
# full RELRO (GNU_RELRO + BIND_NOW), a non-executable stack, the stack
# protector, and _FORTIFY_SOURCE's checked calls where they apply.
set -u
. "$(dirname "$0")/lib.sh"

for p in pgpmgd pgpmgctl smtpd cryptod keyd policyd webd; do
	f=$BIN/$p
	check "$p is PIE" bash -c 'readelf -h "$0" | grep -q "Type:.*DYN"' "$f"
	check "$p has full RELRO" bash -c \
	    'readelf -lW "$0" | grep -q GNU_RELRO && readelf -dW "$0" | grep -qE "BIND_NOW|FLAGS.*NOW"' "$f"
	check "$p has a non-executable stack" bash -c \
	    'readelf -lW "$0" | grep GNU_STACK | grep -qv RWE' "$f"
	check "$p uses the stack protector" bash -c \
	    'readelf -sW --dyn-syms "$0" | grep -q __stack_chk_fail' "$f"
done
check "fortified calls are in use (pgpmgd)" bash -c \
    'readelf -sW --dyn-syms "$0" | grep -qE "__(snprintf|memcpy|read|vsnprintf)_chk"' "$BIN/pgpmgd"
done_testing
