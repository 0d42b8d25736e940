#!/usr/bin/python3
"""The console's load generator for bench/console.sh.

usage: console_load.py PORT ADDRESS PASSWORD MODE [N]

MODE:
  scrypt N        the baseline: N scrypt hashes of the password with the
                  parameters policyd verifies (N=2^17, r=8, p=1), in this
                  process, one after another
  login N         N sign-ins, one after another, each on a new connection
  parallel N      8 threads until N sign-ins succeeded, a busy one (503)
                  tried again after 0.1 s; counts 303s and 503s
  pages N         N signed-in GETs of /admin/policy and N of /robots.txt,
                  alternating, each on a new connection
  storm SECONDS   sign-ins from 4 threads until SECONDS have passed
Prints one line "MODE key=value ...", times in seconds.
"""
import hashlib
import http.client
import os
import ssl
import statistics
import sys
import threading
import time
import urllib.parse

PORT, ADDRESS, PASSWORD, MODE = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
ARG = float(sys.argv[5]) if len(sys.argv) > 5 else 10
ORIGIN = f"https://127.0.0.1:{PORT}"
CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE


def request(method, path, body=None, cookie=None):
    conn = http.client.HTTPSConnection("127.0.0.1", int(PORT), context=CTX,
                                       timeout=120)
    headers = {"Origin": ORIGIN}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if cookie:
        headers["Cookie"] = "__Host-pgpmg=" + cookie
    conn.request(method, path, body=body, headers=headers)
    r = conn.getresponse()
    r.read()
    status, setc = r.status, r.getheader("Set-Cookie") or ""
    conn.close()
    return status, setc


def login():
    body = urllib.parse.urlencode({"address": ADDRESS, "password": PASSWORD})
    return request("POST", "/login", body)


def timed(fn, n):
    times = []
    for _ in range(int(n)):
        t = time.monotonic()
        fn()
        times.append(time.monotonic() - t)
    return times


def summary(name, times, extra=""):
    print(f"{name} n={len(times)} median={statistics.median(times):.4f} "
          f"min={min(times):.4f} max={max(times):.4f}{extra}")


if MODE == "scrypt":
    salt = os.urandom(16)
    summary("scrypt", timed(lambda: hashlib.scrypt(
        PASSWORD.encode(), salt=salt, n=1 << 17, r=8, p=1,
        maxmem=256 << 20, dklen=32), ARG))
elif MODE == "login":
    bad = []

    def one():
        s, _ = login()
        if s != 303:
            bad.append(s)
    summary("login", timed(one, ARG), f" failed={len(bad)}")
    sys.exit(1 if bad else 0)
elif MODE == "parallel":
    # 8 clients until N sign-ins succeeded; one told busy (503) waits a
    # little and tries again, as a person would after Retry-After.
    counts = {}
    lock = threading.Lock()
    todo = [int(ARG)]

    def worker():
        while True:
            with lock:
                if todo[0] <= 0:
                    return
            s, _ = login()
            with lock:
                counts[s] = counts.get(s, 0) + 1
                if s == 303:
                    todo[0] -= 1
            if s == 503:
                time.sleep(0.1)
            elif s != 303:
                return
    t = time.monotonic()
    ts = [threading.Thread(target=worker) for _ in range(8)]
    for th in ts:
        th.start()
    for th in ts:
        th.join()
    el = time.monotonic() - t
    ok = counts.get(303, 0)
    other = sum(counts.values()) - ok - counts.get(503, 0)
    print(f"parallel n={int(ARG)} seconds={el:.3f} ok={ok} "
          f"busy={counts.get(503, 0)} other={other} "
          f"logins_per_s={ok / el:.3f}")
    sys.exit(0 if ok >= int(ARG) and other == 0 else 1)
elif MODE == "pages":
    s, setc = login()
    if s != 303:
        print(f"pages: login failed ({s})")
        sys.exit(1)
    sid = setc.split(";")[0].split("=", 1)[1]
    page, static, bad = [], [], []
    for _ in range(int(ARG)):
        for path, out in (("/admin/policy", page), ("/robots.txt", static)):
            t = time.monotonic()
            st, _ = request("GET", path, cookie=sid if path != "/robots.txt" else None)
            out.append(time.monotonic() - t)
            if st != 200:
                bad.append((path, st))
    summary("page", page, f" failed={len(bad)}")
    summary("static", static)
    sys.exit(1 if bad else 0)
elif MODE == "storm":
    end = time.monotonic() + ARG
    n = [0, 0]
    lock = threading.Lock()

    def worker():
        while time.monotonic() < end:
            s, _ = login()
            with lock:
                n[0 if s == 303 else 1] += 1
    ts = [threading.Thread(target=worker) for _ in range(4)]
    for th in ts:
        th.start()
    for th in ts:
        th.join()
    print(f"storm seconds={ARG} ok={n[0]} other={n[1]}")
else:
    sys.exit(__doc__)
