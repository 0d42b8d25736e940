#!/usr/bin/python3
"""Test helper for the crypto suites: builds the test messages and takes
apart what the gateway emits, byte-exactly where signatures depend on it.

  mailtool.py mixed FROM TO SUBJECT > msg      a message with UTF-8 and
        ISO-8859-1 text, an HTML alternative and a binary attachment
  mailtool.py plain FROM TO SUBJECT CHARSET CTE BODYFILE > msg
        one text/plain part in that charset and transfer encoding
  mailtool.py wrap-encrypted FROM TO SUBJECT ARMOURFILE > msg
        an RFC 3156 multipart/encrypted around an armoured message
  mailtool.py wrap-signed FROM TO SUBJECT ENTITYFILE SIGFILE > msg
        an RFC 3156 multipart/signed around an entity and its signature
  mailtool.py entity MSGFILE > entity          the Content-* fields and body
        of a message: what a PGP/MIME sender signs or encrypts
  mailtool.py part MSGFILE N > bytes           the exact bytes of the Nth
        (1-based) body part of the top-level multipart
  mailtool.py body MSGFILE N > bytes           that part's body, decoded
  mailtool.py header MSGFILE NAME              every value of a header field
  mailtool.py same-content A B                 exit 0 when both messages have
        the same MIME tree: types, charsets and decoded leaf bytes
  mailtool.py crlf < in > out                  LF line ends to CRLF

Messages are read as bytes; line ends may be CRLF or LF.
"""
import email
import email.policy
import re
import sys


def mid(subject):
    import hashlib
    return hashlib.sha1(subject.encode()).hexdigest()[:16].encode()


def crlf(data):
    return re.sub(rb"(?<!\r)\n", b"\r\n", data)


def out(data):
    sys.stdout.buffer.write(data)


BINARY = bytes(range(256)) * 8 + b"\x00\x00end"


def mixed(frm, to, subject):
    import base64
    att = base64.encodebytes(BINARY).replace(b"\n", b"\r\n")
    utf8 = "Grüße aus Köln — naïve café ✓\r\nZeile zwei.\r\n".encode()
    html = ("<html><body><p>Grüße aus <b>Köln</b> — ✓</p></body></html>"
            "\r\n").encode()
    latin1 = "Café crème, garçon! Ærø Straße\r\n".encode("iso-8859-1")
    subj = "=?UTF-8?B?" + base64.b64encode(subject.encode()).decode() + "?="
    parts = [
        b"From: " + frm.encode() + b"\r\nTo: " + to.encode() + b"\r\n"
        b"Subject: " + subj.encode() + b"\r\n"
        b"Date: Sun, 22 Nov 2026 03:00:00 +0000\r\n"
        b"Message-ID: <mixed-" + mid(subject) +
        b"@test>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n"
        b"preamble\r\n--outer\r\n"
        b"Content-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n"
        b"--alt\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + utf8 +
        b"--alt\r\nContent-Type: text/html; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + html +
        b"--alt--\r\n"
        b"--outer\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + latin1 +
        b"--outer\r\nContent-Type: application/octet-stream; "
        b"name=\"blob.bin\"\r\nContent-Disposition: attachment; "
        b"filename=\"blob.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + att + b"--outer--\r\n"]
    return b"".join(parts)


def plain(frm, to, subject, charset, cte, body):
    import base64
    import quopri
    if cte == "base64":
        enc = base64.encodebytes(body).replace(b"\n", b"\r\n")
    elif cte == "quoted-printable":
        enc = crlf(quopri.encodestring(crlf(body).replace(b"\r\n", b"\n")))
    else:
        enc = crlf(body)
    return (b"From: " + frm.encode() + b"\r\nTo: " + to.encode() +
            b"\r\nSubject: " + subject.encode() + b"\r\n"
            b"Message-ID: <plain-" + mid(subject) +
            b"@test>\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: text/plain; charset=" + charset.encode() +
            b"\r\nContent-Transfer-Encoding: " + cte.encode() + b"\r\n\r\n"
            + enc)


def head(frm, to, subject, ctype):
    return (b"From: " + frm.encode() + b"\r\nTo: " + to.encode() +
            b"\r\nSubject: " + subject.encode() +
            b"\r\nMessage-ID: <wrap-" + mid(subject) +
            b"@test>\r\nMIME-Version: 1.0\r\nContent-Type: " + ctype +
            b"\r\n\r\n")


def wrap_encrypted(frm, to, subject, armour):
    b = b"enc-boundary-42"
    return (head(frm, to, subject, b"multipart/encrypted; "
                 b"protocol=\"application/pgp-encrypted\"; boundary=\"" +
                 b + b"\"") +
            b"--" + b + b"\r\nContent-Type: application/pgp-encrypted\r\n"
            b"\r\nVersion: 1\r\n\r\n--" + b + b"\r\n"
            b"Content-Type: application/octet-stream\r\n\r\n" +
            crlf(armour) + b"\r\n--" + b + b"--\r\n")


def wrap_signed(frm, to, subject, entity, sig):
    b = b"sig-boundary-42"
    return (head(frm, to, subject, b"multipart/signed; micalg=pgp-sha256; "
                 b"protocol=\"application/pgp-signature\"; boundary=\"" +
                 b + b"\"") +
            b"--" + b + b"\r\n" + entity + b"\r\n--" + b + b"\r\n"
            b"Content-Type: application/pgp-signature\r\n\r\n" +
            crlf(sig) + b"\r\n--" + b + b"--\r\n")


def split_header(data):
    data = crlf(data)
    i = data.find(b"\r\n\r\n")
    if i < 0:
        return data, b""
    return data[:i + 2], data[i + 4:]


def fields(header):
    """[(name, raw field bytes)] of a header block."""
    res = []
    for line in header.split(b"\r\n"):
        if not line:
            continue
        if line[:1] in (b" ", b"\t") and res:
            res[-1] = (res[-1][0], res[-1][1] + b"\r\n" + line)
        else:
            res.append((line.split(b":", 1)[0].strip().lower(), line))
    return res


def entity(data):
    h, body = split_header(data)
    keep = [raw for name, raw in fields(h)
            if name.startswith(b"content-")]
    return b"\r\n".join(keep) + b"\r\n\r\n" + body


def boundary_of(data):
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    return msg.get_param("boundary").encode()


def part(data, n):
    data = crlf(data)
    h, body = split_header(data)
    b = boundary_of(data)
    # Delimiters start a line; the CRLF before one belongs to it.
    pieces = re.split(rb"(?:^|\r\n)--" + re.escape(b) + rb"(?:--)?[ \t]*\r\n",
                      body)
    return pieces[n]


def decoded_body(data):
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    return msg.get_payload(decode=True)


def leaves(data):
    msg = email.message_from_bytes(crlf(data), policy=email.policy.compat32)
    res = []
    for p in msg.walk():
        if p.is_multipart():
            res.append(("multipart", p.get_content_type()))
            continue
        res.append((p.get_content_type(), p.get_content_charset(),
                    p.get_payload(decode=True)))
    return res


def main():
    a = sys.argv[1:]
    cmd = a[0]
    if cmd == "mixed":
        out(mixed(a[1], a[2], a[3]))
    elif cmd == "plain":
        out(plain(a[1], a[2], a[3], a[4], a[5], open(a[6], "rb").read()))
    elif cmd == "wrap-encrypted":
        out(wrap_encrypted(a[1], a[2], a[3], open(a[4], "rb").read()))
    elif cmd == "wrap-signed":
        out(wrap_signed(a[1], a[2], a[3], open(a[4], "rb").read(),
                        open(a[5], "rb").read()))
    elif cmd == "entity":
        out(entity(open(a[1], "rb").read()))
    elif cmd == "part":
        out(part(open(a[1], "rb").read(), int(a[2])))
    elif cmd == "body":
        out(decoded_body(part(open(a[1], "rb").read(), int(a[2]))))
    elif cmd == "header":
        msg = email.message_from_bytes(crlf(open(a[1], "rb").read()),
                                       policy=email.policy.compat32)
        for v in msg.get_all(a[2]) or []:
            print(re.sub(r"\s+", " ", str(v)).strip())
    elif cmd == "same-content":
        x = leaves(open(a[1], "rb").read())
        y = leaves(open(a[2], "rb").read())
        if x != y:
            for i, (p, q) in enumerate(zip(x, y)):
                if p != q:
                    print("part %d differs:\n  %r\n  %r" % (i, p[:2], q[:2]),
                          file=sys.stderr)
            if len(x) != len(y):
                print("%d parts vs %d" % (len(x), len(y)), file=sys.stderr)
            sys.exit(1)
    elif cmd == "crlf":
        out(crlf(sys.stdin.buffer.read()))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
