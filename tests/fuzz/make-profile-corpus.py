#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpus of fuzz-profile: small multi-profile UKIs (the
PE builder of make-pe-corpus.py) and "@N" load options in UTF-16.

    tests/fuzz/make-profile-corpus.py [OUTPUT_DIR]"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
pe = __import__("make-pe-corpus")


def seeds():
    base = pe.uki_sections()
    yield "three-profiles", pe.small(base + [
        (".profile", b"ID=default\nTITLE=Default\n"),
        (".profile", b"ID=debug\nTITLE=\"Debug boot\"\n"), (".cmdline", b"debug"),
        (".profile", b"ID=rescue\n"), (".osrel", b'ID=r\nNAME="Rescue"\n'), (".cmdline", b"rescue"),
    ]).build()
    yield "profile-first", pe.small(pe.stub_sections() + [
        (".profile", b"ID=a\n"), (".linux", b"MZ" + b"\0" * 62), (".profile", b"ID=b\n"),
    ]).build()
    yield "duplicate-in-profile", pe.small(base + [
        (".profile", b"ID=a\n"), (".profile", b"ID=b\n"), (".cmdline", b"x"), (".cmdline", b"y"),
    ]).build()
    yield "thin-over-fat", pe.small(base + [(".profile", b"ID=a\n"), (".profile", b"ID=b\n"),
                                            (".tlinux", b"0" * 64 + b" 64 /x\n")]).build()
    yield "long-title", pe.small(base + [(".profile", b"TITLE=" + b"t" * 300 + b"\n")]).build()
    for name, text in (("prefix-1", "@1"), ("prefix-space", "@12 quiet"), ("prefix-bad", "@1x"),
                       ("prefix-max", "@4294967295 "), ("prefix-nul", "@3\0junk")):
        yield name, text.encode("utf-16-le")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                             "corpus", "fuzz-profile")
    os.makedirs(out, exist_ok=True)
    for name, data in seeds():
        assert len(data) <= pe.MAX_SEED, name
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
