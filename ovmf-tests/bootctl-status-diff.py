#!/usr/bin/env python3
# bootctl-status-diff.py A B: compares two `bootctl status` outputs line by
# line, keyed so that a line one of them lacks does not shift the others:
# a "Label: value" line by its section and label (a second line of the same
# label by its number), a feature line ("✓ Boot counting", "✗ ...") by its
# section and text, any other line by itself. Prints one line per key whose
# values differ, in A's order then B's:
#   SECTION | KEY | VALUE IN A | VALUE IN B
# ("-" where the output has no such line), and nothing when they agree.
import re
import sys

LABEL = re.compile(r"^\s*([^:]+?): (.*)$")
FEATURE = re.compile(r"^([✓✗]) (.*)$")


def keyed(path):
    out = {}
    order = []
    section = ""
    label = None
    count = {}
    for raw in open(path, encoding="utf-8", errors="replace"):
        line = raw.rstrip()
        if not line.strip():
            continue
        if not line.startswith(" "):
            if line.endswith(":"):
                section, label = line[:-1], None
                continue
            key, value = line, "present"
        else:
            m = LABEL.match(line)
            if m and not FEATURE.match(line.strip()):
                label, value = m.group(1), m.group(2)
            else:
                value = line.strip()
            f = FEATURE.match(value)
            if f:
                key, value = f.group(2), f.group(1)
            else:
                n = count.get((section, label), 0) + 1
                count[(section, label)] = n
                key = label if n == 1 else "%s #%d" % (label, n)
        out[(section, key)] = value
        order.append((section, key))
    return out, order


def main():
    a, a_order = keyed(sys.argv[1])
    b, b_order = keyed(sys.argv[2])
    for k in a_order + [k for k in b_order if k not in a]:
        if a.get(k, "-") != b.get(k, "-"):
            print("%s | %s | %s | %s" % (k[0], k[1], a.get(k, "-"), b.get(k, "-")))


if __name__ == "__main__":
    main()
