#!/usr/bin/python3
"""pgpsplice.py VICTIM.gpg DECOY.gpg: an armoured OpenPGP message made of
VICTIM's session-key packets, DECOY's session-key packets (a key ID the
sender wants to claim as a recipient, with a session key for another
message), and VICTIM's encrypted data.  A forgery for the test that the
gateway's idea of "who may read this" is gpg's DECRYPTION_KEY, not the
key IDs a message claims."""
import base64
import sys


def packets(d):
    """[(tag, raw bytes)]; a packet with an indeterminate or partial
    length runs to the end (the encrypted data does, in gpg's output)."""
    i, out = 0, []
    while i < len(d):
        h = d[i]
        if not h & 0x80:
            raise SystemExit("not an OpenPGP packet at %d" % i)
        if h & 0x40:                      # new format, RFC 4880 4.2.2
            tag, first = h & 0x3F, d[i + 1]
            if first < 192:
                hl, n = 2, first
            elif first < 224:
                hl, n = 3, ((first - 192) << 8) + d[i + 2] + 192
            elif first == 255:
                hl, n = 6, int.from_bytes(d[i + 2:i + 6], "big")
            else:
                out.append((tag, d[i:]))
                break
        else:                             # old format, RFC 4880 4.2.1
            tag, lt = (h >> 2) & 0x0F, h & 3
            if lt == 3:
                out.append((tag, d[i:]))
                break
            size = (1, 2, 4)[lt]
            hl, n = 1 + size, int.from_bytes(d[i + 1:i + 1 + size], "big")
        out.append((tag, d[i:i + hl + n]))
        i += hl + n
    return out


def crc24(data):
    crc = 0xB704CE
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def main():
    victim = packets(open(sys.argv[1], "rb").read())
    decoy = packets(open(sys.argv[2], "rb").read())
    keys = [raw for tag, raw in decoy if tag in (1, 3)]
    keys += [raw for tag, raw in victim if tag in (1, 3)]
    rest = [raw for tag, raw in victim if tag not in (1, 3)]
    data = b"".join(keys + rest)
    b64 = base64.b64encode(data).decode()
    body = "\n".join(b64[i:i + 64] for i in range(0, len(b64), 64))
    crc = base64.b64encode(crc24(data).to_bytes(3, "big")).decode()
    sys.stdout.write("-----BEGIN PGP MESSAGE-----\n\n%s\n=%s\n"
                     "-----END PGP MESSAGE-----\n" % (body, crc))


if __name__ == "__main__":
    main()
