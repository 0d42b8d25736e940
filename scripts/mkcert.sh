#!/bin/sh
# mkcert.sh DIR — make a self-signed TLS certificate for the embedded
# default: ECDSA P-256, CN=localhost, subjectAltName DNS:localhost and
# IP:127.0.0.1, valid 825 days.  Writes DIR/cert.pem (0644) and DIR/key.pem
# (0600, owned by root).  Overwrites an existing pair.
set -eu

die() { echo "mkcert: $*" >&2; exit 1; }

[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
dir=$1
command -v openssl >/dev/null 2>&1 || die "openssl not found (run make deps)"
[ "$(id -u)" = 0 ] || die "must run as root (key.pem is owned by root)"

mkdir -p "$dir" || die "cannot create $dir"
umask 077
tmpkey=$dir/.key.pem.$$
tmpcert=$dir/.cert.pem.$$
trap 'rm -f "$tmpkey" "$tmpcert"' EXIT

openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -nodes -sha256 -days 825 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -addext "basicConstraints=critical,CA:FALSE" \
    -addext "keyUsage=critical,digitalSignature" \
    -addext "extendedKeyUsage=serverAuth" \
    -keyout "$tmpkey" -out "$tmpcert" 2>/dev/null ||
    die "openssl could not make the certificate in $dir"

chown root:root "$tmpkey" "$tmpcert"
chmod 0600 "$tmpkey"
chmod 0644 "$tmpcert"
mv -f "$tmpkey" "$dir/key.pem"
mv -f "$tmpcert" "$dir/cert.pem"
