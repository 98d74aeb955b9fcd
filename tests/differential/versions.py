#!/usr/bin/env python3
"""Differential test: keel's version ordering vs `systemd-analyze
compare-versions` (systemd 252) on tricky and random version strings."""
import random
import subprocess
import sys

KEEL = sys.argv[1]
SEED = int(sys.argv[2]) if len(sys.argv) > 2 else 1
rng = random.Random(SEED)

FIXED = ["1.10", "1.9", "1.9~rc1", "1.9~rc2", "1.0^post", "1.0", "1.0.1", "1.0-1", "1.0-2", "1.0~",
         "01", "1", "001.002", "1.2", "a", "b", "abc", "ab", "1a", "1b", "a1", "~", "-", "^", ".",
         "1..2", "1.-2", "6.1.0-56-amd64", "6.1.0-9-amd64", "6.10", "249.3", "250~rc1", "2022.11",
         "1_2", "1+2", "1:2", "×1", "1 2", "0", "00", "1.0^", "1.0^^", "1~~", "1~-", "1-~"]
ALPHABET = "0123456789abcAB~-^._+: "


def random_version():
    n = rng.randint(1, 8)
    return "".join(rng.choice(ALPHABET) for _ in range(n)).strip() or "0"


def keel_compare(a, b):
    out = subprocess.run([KEEL, "compare-versions", "--", a, b], capture_output=True, text=True, check=True).stdout
    return out.strip()


def systemd_compare(a, b):
    # Its exit status encodes the result (0 equal, 11 greater, 12 less); the text is what we compare.
    out = subprocess.run(["systemd-analyze", "compare-versions", "--", a, b], capture_output=True, text=True).stdout
    return out.strip()


pairs = [(a, b) for a in FIXED[:20] for b in FIXED[:20]]
pairs += [(rng.choice(FIXED), rng.choice(FIXED)) for _ in range(100)]
pairs += [(random_version(), random_version()) for _ in range(180)]
failures = 0
for a, b in pairs:
    k, s = keel_compare(a, b), systemd_compare(a, b)
    if k != s:
        failures += 1
        print(f"FAIL: '{a}' vs '{b}': keel says '{k}', systemd-analyze says '{s}'")
print(f"versions: {len(pairs) - failures}/{len(pairs)} comparisons agree with systemd-analyze")
sys.exit(1 if failures else 0)
