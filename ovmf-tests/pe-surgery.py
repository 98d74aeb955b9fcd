#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# TEST ONLY. Section surgery on an unsigned PE32+ image (a UKI), to make the
# images a hostile signer would: valid for the firmware, misleading for
# anyone who reads the file. The output is then signed with sbsign (not keel
# sign, which is meant to refuse such images).
#
#   pe-surgery.py hide IN OUT OVER NAME DATA
#       adds section NAME with VirtualSize 0 whose raw data (the bytes of file
#       DATA) EDK II copies to section OVER's VirtualAddress: it loads
#       SizeOfRawData bytes for a VirtualSize-0 section, and sections are
#       loaded in table order, so OVER's bytes are overwritten in memory
#       while every tool reading the file still shows OVER's own bytes.
#   pe-surgery.py zero-vsize IN OUT SECTION
#       sets SECTION's VirtualSize to 0 and keeps its raw data (which the
#       firmware still loads).
#   pe-surgery.py empty IN OUT SECTION
#       leaves SECTION in the table with VirtualSize 0 and no raw data; its
#       bytes are cut from the file and later sections' data moved up, so
#       the file has no gap (a gap would change what Authenticode hashes).
#   pe-surgery.py reloc IN OUT SECTION OFFSET [TYPE]
#       rewrites the base relocation table (the block the data directory
#       points at, such as the 12-byte .reloc of keel's stub or systemd-stub
#       252) into one block with a single fixup of TYPE (dir64 by default;
#       highlow, high, low, absolute or a number 0-15) at SECTION's
#       VirtualAddress + OFFSET (SECTION "headers" is RVA 0), the rest
#       ABSOLUTE padding. When the firmware loads the image anywhere but its
#       ImageBase it adds the difference to the bytes there, so a fixup in
#       .cmdline changes the command line in memory while every tool reading
#       the file shows the signed one.
#
# Every command keeps the file data contiguous and recomputes the PE
# checksum; SizeOfImage never needs to change (no section grows in memory).
import os
import struct
import sys

SECTION_HEADER_SIZE = 40


class Pe:
    def __init__(self, data):
        self.data = bytearray(data)
        if self.data[:2] != b"MZ":
            sys.exit("pe-surgery: not an MZ image")
        self.pe = struct.unpack_from("<I", self.data, 0x3C)[0]
        if self.data[self.pe:self.pe + 4] != b"PE\0\0":
            sys.exit("pe-surgery: no PE signature")
        fh = self.pe + 4
        self.n_sections_offset = fh + 2
        opt_size = struct.unpack_from("<H", self.data, fh + 16)[0]
        self.opt = fh + 20
        if struct.unpack_from("<H", self.data, self.opt)[0] != 0x20B:
            sys.exit("pe-surgery: not PE32+")
        self.table = self.opt + opt_size
        self.file_alignment = self.u32(self.opt + 36)
        self.size_of_headers = self.u32(self.opt + 60)
        # Data directory 4 (certificate table): 112 + 4 * 8 into the optional header.
        if self.u32(self.opt + 112 + 4 * 8 + 4) != 0:
            sys.exit("pe-surgery: the image is signed; give it the unsigned image")

    def u32(self, off):
        return struct.unpack_from("<I", self.data, off)[0]

    def put32(self, off, v):
        struct.pack_into("<I", self.data, off, v)

    @property
    def n_sections(self):
        return struct.unpack_from("<H", self.data, self.n_sections_offset)[0]

    def header(self, i):
        return self.table + i * SECTION_HEADER_SIZE

    def find(self, name):
        for i in range(self.n_sections):
            h = self.header(i)
            if self.data[h:h + 8].rstrip(b"\0") == name.encode():
                return h
        sys.exit(f"pe-surgery: no section {name}")

    # Section header fields, by offset inside the header.
    VSIZE, VADDR, RAW_SIZE, RAW_OFFSET = 8, 12, 16, 20

    def data_end(self):
        end = self.size_of_headers
        for i in range(self.n_sections):
            h = self.header(i)
            if self.u32(h + self.RAW_SIZE):
                end = max(end, self.u32(h + self.RAW_OFFSET) + self.u32(h + self.RAW_SIZE))
        return end

    def fix_checksum(self):
        off = self.opt + 64
        self.put32(off, 0)
        buf = bytes(self.data) + b"\0" * (len(self.data) & 1)
        total = 0
        for (w,) in struct.iter_unpack("<H", buf):
            total += w
            total = (total & 0xFFFF) + (total >> 16)
        total = (total & 0xFFFF) + (total >> 16)
        self.put32(off, (total + len(self.data)) & 0xFFFFFFFF)


def align(v, a):
    return (v + a - 1) // a * a


def hide(pe, over, name, payload):
    target = pe.find(over)
    n = pe.n_sections
    new = pe.header(n)
    # The new header must fit in the header area, before any section data.
    if new + SECTION_HEADER_SIZE > pe.size_of_headers:
        sys.exit("pe-surgery: no room for another section header")
    if pe.data[new:new + SECTION_HEADER_SIZE] != bytes(SECTION_HEADER_SIZE):
        sys.exit("pe-surgery: the header area after the section table is not empty")
    end = pe.data_end()
    if len(pe.data) != end:
        sys.exit("pe-surgery: data after the last section (symbols?); refusing")
    raw_offset = align(end, pe.file_alignment)
    raw = payload + b"\0" * (align(len(payload), pe.file_alignment) - len(payload))
    pe.data[end:] = b"\0" * (raw_offset - end) + raw
    struct.pack_into("<8sIIIIIIHHI", pe.data, new, name.encode(), 0, pe.u32(target + pe.VADDR), len(raw),
                     raw_offset, 0, 0, 0, 0, 0x40000040)  # initialized data, readable
    struct.pack_into("<H", pe.data, pe.n_sections_offset, n + 1)


def zero_vsize(pe, section):
    pe.put32(pe.find(section) + pe.VSIZE, 0)


def empty(pe, section):
    h = pe.find(section)
    start, size = pe.u32(h + pe.RAW_OFFSET), pe.u32(h + pe.RAW_SIZE)
    pe.put32(h + pe.VSIZE, 0)
    pe.put32(h + pe.RAW_SIZE, 0)
    pe.put32(h + pe.RAW_OFFSET, 0)
    if size == 0:
        return
    del pe.data[start:start + size]
    for i in range(pe.n_sections):
        o = pe.header(i)
        if pe.u32(o + pe.RAW_SIZE) and pe.u32(o + pe.RAW_OFFSET) > start:
            pe.put32(o + pe.RAW_OFFSET, pe.u32(o + pe.RAW_OFFSET) - size)


RELOC_TYPES = {"absolute": 0, "high": 1, "low": 2, "highlow": 3, "dir64": 10}


def reloc(pe, section, offset, kind):
    # Data directory 5 (base relocation table): an RVA and a size.
    rva, size = pe.u32(pe.opt + 112 + 5 * 8), pe.u32(pe.opt + 112 + 5 * 8 + 4)
    if size < 10 or size % 2:
        sys.exit(f"pe-surgery: the relocation table has {size} bytes; need an even size of at least 10")
    table = None
    for i in range(pe.n_sections):
        h = pe.header(i)
        va, raw_size = pe.u32(h + pe.VADDR), pe.u32(h + pe.RAW_SIZE)
        if va <= rva and rva + size <= va + min(pe.u32(h + pe.VSIZE), raw_size):
            table = pe.u32(h + pe.RAW_OFFSET) + rva - va
    if table is None:
        sys.exit("pe-surgery: the relocation table is not in a section's file data")
    base = 0 if section == "headers" else pe.u32(pe.find(section) + pe.VADDR)
    target = base + offset
    kind = RELOC_TYPES.get(kind, kind)
    if not isinstance(kind, int):
        kind = int(kind, 0) if kind.isdigit() else -1
    if not 0 <= target < 1 << 32 or not 0 <= kind < 16:
        sys.exit("pe-surgery: target or type out of range")
    block = struct.pack("<IIH", target & ~0xFFF, size, kind << 12 | (target & 0xFFF))
    pe.data[table:table + size] = block + b"\0" * (size - len(block))


def main(argv):
    usage = ("usage: pe-surgery.py hide IN OUT OVER NAME DATA | zero-vsize IN OUT SECTION | empty IN OUT SECTION | "
             "reloc IN OUT SECTION OFFSET [TYPE]")
    if len(argv) < 4:
        sys.exit(usage)
    cmd, src, dst = argv[1:4]
    with open(src, "rb") as f:
        pe = Pe(f.read())
    if cmd == "hide" and len(argv) == 7:
        with open(argv[6], "rb") as f:
            hide(pe, argv[4], argv[5], f.read())
    elif cmd == "zero-vsize" and len(argv) == 5:
        zero_vsize(pe, argv[4])
    elif cmd == "empty" and len(argv) == 5:
        empty(pe, argv[4])
    elif cmd == "reloc" and len(argv) in (6, 7):
        reloc(pe, argv[4], int(argv[5], 0), argv[6] if len(argv) == 7 else "dir64")
    else:
        sys.exit(usage)
    pe.fix_checksum()
    with open(dst + ".tmp", "wb") as f:
        f.write(pe.data)
    os.replace(dst + ".tmp", dst)


if __name__ == "__main__":
    main(sys.argv)
