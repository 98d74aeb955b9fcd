#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpus of fuzz-pe: small PE32+ images, valid ones (a bare
EFI application, a UKI, a signed stub, the section-count limit) and broken
ones (one header field wrong each), so that the fuzzer starts from inputs
that already get past the early checks.

    tests/fuzz/make-pe-corpus.py [OUTPUT_DIR]

OUTPUT_DIR defaults to tests/fuzz/corpus/fuzz-pe next to this script. Every
seed stays below 8 KiB."""

import os
import struct
import sys

LFANEW = 0x40
FILE_HEADER = LFANEW + 4
OPT = FILE_HEADER + 20
SECTION_HEADER_SIZE = 40
MAX_SEED = 8 * 1024


def align(v, a):
    return (v + a - 1) // a * a


class Image:
    """A PE32+ x86-64 image: DOS header, PE signature, file header, optional
    header with n_dirs data directories, section table, then each section's
    raw data one after the other."""

    def __init__(self, sections, file_alignment=0x200, section_alignment=0x1000, n_dirs=16,
                 machine=0x8664, header_slack=0):
        self.file_alignment = file_alignment
        self.section_alignment = section_alignment
        self.n_dirs = n_dirs
        self.machine = machine
        self.opt_size = 112 + 8 * n_dirs
        self.table = OPT + self.opt_size
        self.headers = align(self.table + SECTION_HEADER_SIZE * len(sections) + header_slack, file_alignment)
        self.sections = []
        va = align(self.headers, section_alignment)
        raw = self.headers
        for name, content in sections:
            raw_size = align(len(content), file_alignment)
            self.sections.append(dict(name=name, content=content, vsize=len(content), va=va,
                                      raw_size=raw_size, raw=raw))
            va = align(va + max(len(content), 1), section_alignment)
            raw += raw_size
        self.image_size = va
        self.directories = {}
        self.trailer = b""
        self.patches = []

    def patch(self, offset, fmt, value):
        """Overwrites a field after the image is laid out."""
        self.patches.append((offset, fmt, value))

    def section_header_offset(self, i):
        return self.table + SECTION_HEADER_SIZE * i

    def build(self):
        end = self.headers + sum(s["raw_size"] for s in self.sections)
        b = bytearray(end)
        b[0:2] = b"MZ"
        struct.pack_into("<I", b, 0x3C, LFANEW)
        b[LFANEW:LFANEW + 4] = b"PE\0\0"
        struct.pack_into("<HHIIIHH", b, FILE_HEADER, self.machine, len(self.sections), 0, 0, 0,
                         self.opt_size, 0x0206)
        struct.pack_into("<H", b, OPT, 0x20B)
        entry = self.sections[0]["va"] if self.sections else 0
        struct.pack_into("<I", b, OPT + 16, entry)
        struct.pack_into("<II", b, OPT + 32, self.section_alignment, self.file_alignment)
        struct.pack_into("<II", b, OPT + 56, self.image_size, self.headers)
        struct.pack_into("<H", b, OPT + 68, 10)  # EFI application
        struct.pack_into("<I", b, OPT + 108, self.n_dirs)
        for index, (address, size) in self.directories.items():
            struct.pack_into("<II", b, OPT + 112 + 8 * index, address, size)
        for i, s in enumerate(self.sections):
            h = self.section_header_offset(i)
            b[h:h + 8] = s["name"].encode().ljust(8, b"\0")[:8]
            struct.pack_into("<IIII", b, h + 8, s["vsize"], s["va"], s["raw_size"], s["raw"])
            struct.pack_into("<I", b, h + 36, 0x40000040)
            b[s["raw"]:s["raw"] + len(s["content"])] = s["content"]
        b += self.trailer
        for offset, fmt, value in self.patches:
            struct.pack_into(fmt, b, offset, value)
        return bytes(b)


SBAT = b"sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\n"
OSREL = b'ID=fuzz\nNAME="Fuzz OS"\n'


def stub_sections():
    return [(".text", b"\xc3" * 16), (".reloc", b"\0" * 12), (".sbat", SBAT)]


def uki_sections():
    return stub_sections() + [
        (".osrel", OSREL),
        (".cmdline", b"quiet console=ttyS0"),
        (".uname", b"6.1.0-fuzz"),
        (".initrd", b"070701" + b"0" * 10),
        (".linux", b"MZ" + b"\0" * 62),
    ]


def small(sections, **kw):
    """Compact images: 0x40-byte file alignment keeps seeds small."""
    kw.setdefault("file_alignment", 0x40)
    return Image(sections, **kw)


def relocated(fixups_of, table=None):
    """A UKI on a stub with 64 bytes each of .text, .reloc and .data whose
    relocation table holds fixups_of(section addresses): (type, rva) pairs,
    one block per page in the order given; or the raw table bytes."""
    img = small([(".text", b"\xc3" * 64), (".reloc", b"\0" * 64), (".data", b"\0" * 64)] + uki_sections()[2:])
    va = {s["name"]: s["va"] for s in img.sections}
    if table is None:
        blocks = {}
        for kind, rva in fixups_of(va):
            blocks.setdefault(rva & ~0xFFF, []).append(kind << 12 | (rva & 0xFFF))
        table = b""
        for page, entries in blocks.items():
            entries += [0] * (len(entries) % 2)  # ABSOLUTE padding to 32 bits
            table += struct.pack("<II", page, 8 + 2 * len(entries)) + struct.pack("<%dH" % len(entries), *entries)
    reloc = img.sections[1]
    img.patch(reloc["raw"], "%ds" % len(table), table)
    img.directories[5] = (reloc["va"], len(table))
    return img.build()


def seeds():
    out = {}

    out["efi-app-minimal"] = Image([(".text", b"\xc3")]).build()
    out["efi-stub"] = small(stub_sections()).build()
    out["uki"] = small(uki_sections()).build()
    out["uki-no-data-dirs"] = small(uki_sections(), n_dirs=0).build()
    out["uki-aarch64"] = small(uki_sections(), machine=0xAA64).build()

    img = small(uki_sections())
    img.sections[-1]["name"] = ".cmdline"  # two .cmdline sections
    out["uki-duplicate-cmdline"] = img.build()
    img = small(uki_sections() + [(".linux", b"MZ")])
    out["uki-duplicate-linux"] = img.build()

    # A signed stub: a certificate table after the last section.
    img = small(stub_sections())
    data_end = len(img.build())
    cert = struct.pack("<IHH", 0x48, 0x0200, 0x0002) + b"\x30\x82" + b"\x5a" * 62
    img.trailer = cert
    img.directories[4] = (data_end, len(cert))
    out["stub-signed"] = img.build()

    # A debug directory in .data pointing at data in .rdata.
    img = small([(".text", b"\xc3" * 8), (".data", b"\0" * 64), (".rdata", b"RSDS" + b"\1" * 28)])
    entry = struct.pack("<IIHHIIII", 0, 0, 0, 0, 2, 32, img.sections[2]["va"], img.sections[2]["raw"])
    img.patch(img.sections[1]["raw"], "<28s", entry)
    img.directories[6] = (img.sections[1]["va"], 28)
    out["debug-directory"] = img.build()

    # The section-count limit, with empty raw data to stay small.
    img = Image([(".s%d" % i, b"") for i in range(96)], file_alignment=0x20, section_alignment=0x20)
    out["96-sections"] = img.build()
    # A .bss-like section: memory but no file data.
    img = small([(".text", b"\xc3"), (".bss", b"")])
    img.sections[1]["vsize"] = 0x1000
    out["bss"] = img.build()

    # Base relocation tables, in a stub-like UKI: fixups in the stub's own
    # code and data, and each kind the checks refuse.
    out["uki-relocated"] = relocated(lambda va: [(10, va[".text"] + 8), (0, va[".text"] + 0x123),
                                                 (3, va[".data"]), (2, va[".data"] + 8), (1, va[".data"] + 12)])
    out["uki-reloc-cmdline"] = relocated(lambda va: [(10, va[".cmdline"] + 4)])
    out["uki-reloc-sbat"] = relocated(lambda va: [(3, va[".sbat"])])
    out["uki-reloc-headers"] = relocated(lambda va: [(10, OPT + 112 + 5 * 8)])
    out["uki-reloc-straddle"] = relocated(lambda va: [(10, va[".text"] + 60)])
    out["uki-reloc-table"] = relocated(lambda va: [(10, va[".reloc"] + 4)])
    out["uki-reloc-gap"] = relocated(lambda va: [(10, va[".text"] + 0x800)])
    out["uki-reloc-unknown-type"] = relocated(lambda va: [(5, va[".text"])])
    out["uki-reloc-padding-in-headers"] = relocated(lambda va: [(0, 0x374A), (0, 0x374A)])
    out["uki-reloc-bad-block"] = relocated(lambda va: [], table=struct.pack("<II", 0x1000, 6) + b"\0" * 4)

    # Broken ones: each with one field wrong.
    good = small(uki_sections())
    base = good.build()
    out["truncated-dos-header"] = base[:40]
    out["truncated-file-header"] = base[:FILE_HEADER + 10]
    out["truncated-optional-header"] = base[:OPT + 100]
    out["truncated-section-table"] = base[:good.table + 3 * SECTION_HEADER_SIZE + 7]
    out["headers-only"] = base[:good.headers]
    out["truncated-last-section"] = base[:-5]

    def broken(name, offset, fmt, value, image=None):
        img = image or small(uki_sections())
        img.patch(offset, fmt, value)
        out[name] = img.build()

    broken("bad-mz", 0, "<H", 0x4D5A)
    broken("lfanew-huge", 0x3C, "<I", 0xFFFFFFF0)
    broken("lfanew-past-eof", 0x3C, "<I", len(base) - 2)
    broken("lfanew-inside-dos-header", 0x3C, "<I", 0x20)
    broken("bad-pe-signature", LFANEW, "<I", 0x00014550)
    broken("pe32-magic", OPT, "<H", 0x10B)
    broken("optional-header-too-small", FILE_HEADER + 16, "<H", 111)
    broken("too-many-data-dirs", OPT + 108, "<I", 17)
    broken("file-alignment-zero", OPT + 36, "<I", 0)
    broken("file-alignment-not-power-of-two", OPT + 36, "<I", 0x300)
    broken("section-alignment-below-file", OPT + 32, "<I", 0x20)
    broken("zero-sections", FILE_HEADER + 2, "<H", 0)
    broken("97-sections", FILE_HEADER + 2, "<H", 97)
    broken("size-of-headers-too-small", OPT + 60, "<I", good.table + 8)
    broken("size-of-headers-past-image", OPT + 60, "<I", good.image_size + 0x40)
    broken("size-of-image-too-small", OPT + 56, "<I", good.sections[-1]["va"] + 1)
    h = good.section_header_offset
    broken("va-below-headers", h(0) + 12, "<I", 0x10)
    broken("va-overlap", h(4) + 12, "<I", good.sections[3]["va"] + 4)
    broken("va-size-overflow", h(7) + 12, "<I", 0xFFFFFFF0)
    broken("raw-size-overflow", h(7) + 20, "<I", 0xFFFFFFF0)
    broken("raw-past-eof", h(7) + 16, "<I", 0x100000)
    broken("raw-overlap", h(5) + 20, "<I", good.sections[4]["raw"] + 8)
    broken("raw-inside-headers", h(2) + 20, "<I", 0x80)
    broken("cert-table-past-eof", OPT + 112 + 8 * 4, "<Q", (0x100 << 32) | 0x7FFFFFF0)
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus", "fuzz-pe")
    os.makedirs(outdir, exist_ok=True)
    for name, data in sorted(seeds().items()):
        if len(data) > MAX_SEED:
            sys.exit("seed %s is %d bytes, more than %d" % (name, len(data), MAX_SEED))
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(data)
    print("wrote %d seeds to %s" % (len(seeds()), outdir))


if __name__ == "__main__":
    main()
