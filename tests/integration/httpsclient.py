#!/usr/bin/python3
"""A raw HTTPS client for test_webd_http.sh (and, with -p, a plain one for
test_webd_redirect.sh): it sends exactly the bytes it is given (no HTTP
library would send a bare LF or a folded line), then
prints whatever comes back, as Latin-1, until the server closes or a
timeout.  The last line says how it ended:

    END eof 0.12        the server closed after 0.12 s
    END timeout 5.00    nothing more within the timeout
    END error 0.01 ...  the connection failed (a TLS alert, a reset)

The first line is "TLS <version> <cipher>" once the handshake is done.

usage: httpsclient.py PORT [options] DATA|-
  DATA         the bytes to send, with \\r \\n \\t \\\\ and \\xHH escapes;
               "-" reads them from stdin
  -t SECONDS   give up reading after this long (default 5)
  -v 1.2|1.3   the only TLS version to offer
  -p           plain TCP, no TLS
  -s SECONDS   send one byte at a time, this far apart
  -S           plain TCP only: shut down the sending side once the data
               is sent (a half-close), then read as usual
  -H N         first open N more connections (TLS, or plain TCP with -p)
               and hold them while the request is made (for the
               connection cap)
"""
import getopt
import select
import socket
import ssl
import sys
import time


def unescape(s):
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            n = s[i + 1]
            if n == "r":
                out += b"\r"
            elif n == "n":
                out += b"\n"
            elif n == "t":
                out += b"\t"
            elif n == "\\":
                out += b"\\"
            elif n == "x":
                out.append(int(s[i + 2:i + 4], 16))
                i += 2
            else:
                out += ("\\" + n).encode()
            i += 2
            continue
        out += c.encode("latin-1")
        i += 1
    return bytes(out)


def connect(port, plain, version, timeout):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    if plain:
        return s
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if version == "1.2":
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    elif version == "1.3":
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    t = ctx.wrap_socket(s, server_hostname="localhost")
    return t


def main():
    opts, args = getopt.gnu_getopt(sys.argv[1:], "t:v:ps:SH:")
    timeout, version, plain, slow, hold = 5.0, None, False, None, 0
    halfclose = False
    for o, a in opts:
        if o == "-t":
            timeout = float(a)
        elif o == "-v":
            version = a
        elif o == "-p":
            plain = True
        elif o == "-s":
            slow = float(a)
        elif o == "-S":
            halfclose = True
        elif o == "-H":
            hold = int(a)
    port = int(args[0])
    data = sys.stdin.buffer.read() if args[1] == "-" else unescape(args[1])
    out = sys.stdout
    held = [connect(port, plain, None, timeout) for _ in range(hold)]
    start = time.monotonic()
    try:
        s = connect(port, plain, version, timeout)
        if not plain:
            out.write("TLS %s %s\n" % (s.version(), s.cipher()[0]))
        if slow is None:
            s.sendall(data)
        else:
            # stop sending as soon as the server has said something
            for i in range(len(data)):
                s.sendall(data[i:i + 1])
                r, _, _ = select.select([s], [], [], slow)
                if r:
                    break
        if halfclose and plain:
            s.shutdown(socket.SHUT_WR)
        s.settimeout(timeout)
        while True:
            b = s.recv(65536)
            if not b:
                how = "eof"
                break
            out.write(b.decode("latin-1"))
            out.flush()
    except socket.timeout:
        how = "timeout"
    except (OSError, ssl.SSLError) as e:
        how = "error %s" % e
        # a reset may come with the answer still unread: that is an
        # error all the same
    elapsed = time.monotonic() - start
    if not how.startswith("error"):
        out.write("\nEND %s %.2f\n" % (how, elapsed))
    else:
        out.write("\nEND error %.2f %s\n" % (elapsed, how[6:]))
    for h in held:
        h.close()


main()
