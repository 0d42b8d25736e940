#!/usr/bin/python3
"""memscan.py PID HEX...: search a process's readable memory for byte
strings (given in hex; each is also searched reversed, for little-endian
limbs).  Prints one line per hit and exits 0 when something was found, 1
when nothing was, 2 when the memory could not be read at all."""
import re
import sys


def main():
    pid = int(sys.argv[1])
    needles = []
    for h in sys.argv[2:]:
        b = bytes.fromhex(h)
        needles += [(h, b), (h + " (reversed)", b[::-1])]
    found = 0
    readable = 0
    with open("/proc/%d/maps" % pid) as maps, \
            open("/proc/%d/mem" % pid, "rb", 0) as mem:
        for line in maps:
            m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
            start, end, perms = int(m.group(1), 16), int(m.group(2), 16), \
                m.group(3)
            if perms[0] != "r" or line.rstrip().endswith("[vvar]"):
                continue
            try:
                mem.seek(start)
                data = mem.read(end - start)
            except OSError:
                continue
            readable += len(data)
            for name, b in needles:
                if b in data:
                    print("found %s in %s" % (name, line.strip()))
                    found += 1
    print("scanned %d bytes of pid %d" % (readable, pid), file=sys.stderr)
    sys.exit(0 if found else (1 if readable else 2))


if __name__ == "__main__":
    main()
