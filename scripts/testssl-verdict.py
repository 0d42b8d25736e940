#!/usr/bin/python3
"""testssl-verdict.py NAME JSONFILE — judge one testssl.sh run (--jsonfile,
the flat form) by the severity of each finding, and print TAP lines for
scripts/tls-check.sh.

testssl gives every finding a severity: OK and INFO are fine; LOW, MEDIUM,
HIGH and CRITICAL are weaknesses (an offered TLS 1.0 or 1.1 is LOW, SSLv3
HIGH, SSLv2 CRITICAL; a NULL, export, LOW, 3DES or obsolete CBC cipher
category offered is LOW to CRITICAL; a vulnerability found is MEDIUM or
above); WARN means a check could not decide and FATAL that the run broke.
Every finding above INFO fails its group, but for the few in EXCUSED, which
are properties of the throwaway test certificate or of the scanner, not of
our TLS settings.
A group whose required findings are missing fails too: a run cut short
must not pass for a clean one.  Exits 1 when anything failed."""

import json
import sys

FINE = {"OK", "INFO"}

# Findings that are about the test certificate (scripts/mkcert.sh) or the
# scanner, not about our TLS settings: id, the finding exactly (None: any),
# and the reason.
EXCUSED = {
    "cert_chain_of_trust": (None, "the test certificate is self-signed"),
    "cert_revocation": (None, "the test certificate names no CRL or OCSP URI"),
    "engine_problem": (None, "the scanner's openssl has no GOST engine (we offer no GOST suite)"),
}


def excused(f):
    e = EXCUSED.get(f.get("id"))
    return e is not None and (e[0] is None or e[0] == f.get("finding"))


# Groups, in the order printed: (title, id prefixes or ids, required ids).
GROUPS = [
    ("protocols: no SSLv2, SSLv3, TLS 1.0 or 1.1",
     ["SSLv2", "SSLv3", "TLS1", "TLS1_1", "TLS1_2", "TLS1_3", "NPN", "ALPN"],
     ["SSLv2", "SSLv3", "TLS1", "TLS1_1", "TLS1_2", "TLS1_3"]),
    ("ciphers: no NULL, anonymous, export, LOW, RC4, 3DES or obsolete CBC suite; forward secrecy",
     ["cipherlist_", "PFS", "DH_groups", "cipher_order", "cipherorder_",
      "protocol_negotiated", "cipher_negotiated", "pre_128cipher"],
     ["cipherlist_NULL", "cipherlist_aNULL", "cipherlist_EXPORT",
      "cipherlist_LOW", "cipherlist_3DES_IDEA", "cipherlist_AVERAGE", "PFS"]),
    ("vulnerabilities: none found",
     ["heartbleed", "CCS", "ticketbleed", "ROBOT", "secure_renego",
      "secure_client_renego", "CRIME_TLS", "BREACH", "POODLE_SSL",
      "fallback_SCSV", "SWEET32", "FREAK", "DROWN", "LOGJAM", "BEAST",
      "LUCKY13", "RC4", "GREASE"],
     ["heartbleed", "CCS", "ROBOT", "secure_renego", "secure_client_renego",
      "CRIME_TLS", "POODLE_SSL", "fallback_SCSV", "SWEET32", "FREAK",
      "DROWN", "LOGJAM", "BEAST", "LUCKY13", "RC4"]),
    # Everything else: server defaults, the certificate, HTTP headers, and
    # testssl's own warnings.
    ("everything else (server defaults, certificate, headers): nothing above INFO",
     None, ["scanTime"]),
]


# A member names its finding and the findings that elaborate it
# (BEAST_CBC_TLS1, LOGJAM-common_primes); one ending in "_" is a prefix.
def group_of(fid):
    for i, (_, members, _) in enumerate(GROUPS):
        if members is None:
            continue
        for m in members:
            if fid == m or fid.startswith(m if m.endswith("_") else
                                          (m + "_", m + "-")):
                return i
    return len(GROUPS) - 1


def main():
    if len(sys.argv) != 3:
        print("usage: testssl-verdict.py NAME JSONFILE", file=sys.stderr)
        return 2
    name, path = sys.argv[1], sys.argv[2]
    try:
        with open(path, encoding="utf-8") as f:
            findings = json.load(f)
        if not isinstance(findings, list):
            raise ValueError("not a list of findings (use --jsonfile, not --jsonfile-pretty)")
    except (OSError, ValueError) as e:
        print(f"not ok - {name}: testssl's findings unreadable: {e}")
        return 1

    failed = False
    for i, (title, _, required) in enumerate(GROUPS):
        mine = [f for f in findings if group_of(f.get("id", "")) == i]
        seen = {f.get("id") for f in mine}
        bad = [f for f in mine if f.get("severity") not in FINE and
               not excused(f)]
        missing = [r for r in required if r not in seen]
        if bad or missing:
            failed = True
            print(f"not ok - {name}: {title}")
            for f in bad:
                print(f"#   {f.get('id')} {f.get('severity')}: {f.get('finding')}")
            for r in missing:
                print(f"#   {r}: missing (the run did not get that far)")
        else:
            print(f"ok - {name}: {title} ({len(mine)} findings)")
    for f in findings:
        if f.get("severity") not in FINE and excused(f):
            print(f"#   excused: {f.get('id')} {f.get('severity')}: "
                  f"{f.get('finding')} ({EXCUSED[f['id']][1]})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
