#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpus of fuzz-pe-load: small kernel-like PE32+ images
(code with the entry point, writable data, a zero-filled tail, a base
relocation table) that pe_load_check() accepts, and ones that each break one
rule of it. The fuzzer reads the last two bytes of an input as the machine
(bit 0 of the last: aarch64) and the load address (the one before, in MiB).

    tests/fuzz/make-pe-load-corpus.py [OUTPUT_DIR]

OUTPUT_DIR defaults to tests/fuzz/corpus/fuzz-pe-load next to this script.
The image layout is make-pe-corpus.py's."""

import importlib.util
import os
import struct
import sys

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("pe_corpus", os.path.join(here, "make-pe-corpus.py"))
pe_corpus = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pe_corpus)

CODE = 0x60000020
DATA = 0xC0000040
RDATA = 0x40000040


def relocs(blocks):
    out = b""
    for page, entries in blocks:
        body = b"".join(struct.pack("<H", e) for e in entries)
        out += struct.pack("<II", page, 8 + len(body)) + body
    return out


def kernel(machine=0x8664, section_alignment=0x1000, reloc_entries=None, nx=False, bss=0x80):
    data = struct.pack("<QQ", 0x1122334455667788, 0x1000)
    img = pe_corpus.Image([(".text", b"\xc3" * 32), (".data", data), (".reloc", b"\0" * 16)],
                          file_alignment=0x40, section_alignment=section_alignment, machine=machine)
    text, dat, rel = img.sections
    dat["vsize"] += bss  # a zero-filled tail past the initialised data
    if reloc_entries is None:
        reloc_entries = [(10 << 12) | 0, (10 << 12) | 8, 0, 0]
    table = relocs([(dat["va"], reloc_entries)]) if reloc_entries else b""
    rel["content"] = table.ljust(16, b"\0")
    rel["vsize"] = max(len(table), 1)
    if table:
        img.directories[5] = (rel["va"], len(table))
    b = bytearray(img.build())
    for i, c in enumerate((CODE, DATA, RDATA)):
        struct.pack_into("<I", b, img.section_header_offset(i) + 36, c)
    struct.pack_into("<I", b, pe_corpus.OPT + 56, img.image_size + section_alignment)
    if nx:
        struct.pack_into("<H", b, pe_corpus.OPT + 70, 0x0100)
    return b


def seeds():
    out = {}
    out["x86-64-relocs"] = kernel() + b"\x07\x00"
    out["x86-64-no-relocs"] = kernel(reloc_entries=[]) + b"\x00\x00"
    out["x86-64-nx-compat"] = kernel(nx=True) + b"\x10\x00"
    out["aarch64-64k"] = kernel(machine=0xAA64, section_alignment=0x10000) + b"\x02\x01"
    out["highlow-reloc"] = kernel(reloc_entries=[(3 << 12) | 0]) + b"\x01\x00"
    out["reloc-past-image"] = kernel(reloc_entries=[(10 << 12) | 0xFFF]) + b"\x01\x00"
    b = kernel()
    struct.pack_into("<I", b, pe_corpus.OPT + 16, 0x10)  # entry point in the headers
    out["entry-in-headers"] = b + b"\x00\x00"
    return out


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus", "fuzz-pe-load")
    os.makedirs(out_dir, exist_ok=True)
    for name, data in seeds().items():
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
