# Helpers for the peloader-* scenarios (keel's own PE loader, issue 14 item
# 8), sourced after lib.sh (or aavmf/lib.sh) and pcr-lib.sh. Every expected
# value is computed here from the PE files, never taken from keel.

# authenticode FILE: the SHA-256 Authenticode digest, what EDK II extends
# into PCR 4 for each image its LoadImage() loads: the headers without
# CheckSum and the certificate directory entry, the sections' raw data in
# file order, then what follows them without the certificate table.
authenticode() {
        python3 - "$1" <<'PY'
import hashlib, struct, sys
b = open(sys.argv[1], "rb").read()
pe = struct.unpack_from("<I", b, 0x3C)[0]
nsec, optsz = struct.unpack_from("<H", b, pe + 6)[0], struct.unpack_from("<H", b, pe + 20)[0]
opt = pe + 24
soh = struct.unpack_from("<I", b, opt + 60)[0]
cks, certdir = opt + 64, opt + 112 + 8 * 4
cert_size = struct.unpack_from("<I", b, certdir + 4)[0]
h = hashlib.sha256(b[:cks] + b[cks + 4:certdir] + b[certdir + 8:soh])
total = soh
for ro, rs in sorted(struct.unpack_from("<II", b, opt + optsz + 40 * i + 16)[::-1] for i in range(nsec)):
    if rs:
        h.update(b[ro:ro + rs])
        total += rs
if len(b) - cert_size > total:
    h.update(b[total:len(b) - cert_size])
print(h.hexdigest())
PY
}

# pcr4_applications WORKDIR: the sha256 digest of each
# EV_EFI_BOOT_SERVICES_APPLICATION event in PCR 4 (after eventlog_parse).
pcr4_applications() {
        python3 - "$1/eventlog.yaml" <<'PY'
import re, sys
text = open(sys.argv[1]).read().split("\npcrs:\n", 1)[0]
for block in re.split(r"\n- EventNum: ", text)[1:]:
    if int(re.search(r"PCRIndex: (\d+)", block).group(1)) == 4 and \
            re.search(r"EventType: (\S+)", block).group(1) == "EV_EFI_BOOT_SERVICES_APPLICATION":
        print(dict(re.findall(r"AlgorithmId: (\w+)\n\s+Digest: \"([0-9a-f]+)\"", block))["sha256"])
PY
}

# patch_kernel UKI MODE: breaks the UKI's embedded kernel in place, one way:
# machine (the other architecture's), outside (SizeOfImage 64 KiB short of
# the last section), reloc-type (a HIGHLOW base relocation), reloc-outside
# (a DIR64 relocation past SizeOfImage), entry (entry point in .data).
patch_kernel() {
        local offset
        offset=$("$KEEL" uki inspect --json "$1" | python3 -c \
                'import json,sys; print([s["raw_offset"] for s in json.load(sys.stdin)["sections"] if s["name"] == ".linux"][0])')
        python3 - "$1" "$offset" "$2" <<'PY'
import struct, sys
path, base, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
b = bytearray(open(path, "rb").read())
pe = base + struct.unpack_from("<I", b, base + 0x3C)[0]
opt = pe + 24
nsec, optsz = struct.unpack_from("<H", b, pe + 6)[0], struct.unpack_from("<H", b, pe + 20)[0]
secs = [struct.unpack_from("<8sIIII", b, opt + optsz + 40 * i) + struct.unpack_from("<I", b, opt + optsz + 40 * i + 36)
        for i in range(nsec)]
data = [s for s in secs if s[5] & 0x80000000][0]   # the writable .data section
soi = struct.unpack_from("<I", b, opt + 56)[0]
machine = struct.unpack_from("<H", b, pe + 4)[0]
if mode == "machine":
    struct.pack_into("<H", b, pe + 4, 0xAA64 if machine == 0x8664 else 0x8664)
elif mode == "outside":
    struct.pack_into("<I", b, opt + 56, soi - 0x10000)
elif mode in ("reloc-type", "reloc-outside"):
    # A relocation block in .data's first bytes, named by the directory.
    page, entry = (data[2], 3 << 12) if mode == "reloc-type" else (soi - 0x1000, (10 << 12) | 0xFFC)
    struct.pack_into("<IIHH", b, base + data[4], page, 12, entry, 0)
    struct.pack_into("<II", b, opt + 112 + 8 * 5, data[2], 12)
elif mode == "entry":
    struct.pack_into("<I", b, opt + 16, data[2])
else:
    sys.exit("patch_kernel: unknown mode " + mode)
open(path, "wb").write(b)
PY
}

# expected_protections KERNEL: the calls keel's loader must make of
# EFI_MEMORY_ATTRIBUTE_PROTOCOL for this NX_COMPAT kernel ("ALIGN
# SectionAlignment", then "set|clear RVA LENGTH ATTRIBUTES", hex; UEFI 2.10:
# RO 0x20000, XP 0x4000): headers read-only and not executable, code
# read-only and executable, data writable and not executable, whole pages.
expected_protections() {
        python3 - "$1" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
pe = struct.unpack_from("<I", b, 0x3C)[0]
nsec, optsz = struct.unpack_from("<H", b, pe + 6)[0], struct.unpack_from("<H", b, pe + 20)[0]
opt = pe + 24
assert struct.unpack_from("<H", b, opt + 70)[0] & 0x100, "kernel is not NX_COMPAT"
page = lambda n: (n + 0xFFF) & ~0xFFF
print("ALIGN %x" % struct.unpack_from("<I", b, opt + 32)[0])
print("set 0 %x 24000" % page(struct.unpack_from("<I", b, opt + 60)[0]))
for i in range(nsec):
    vs, va, rs = struct.unpack_from("<III", b, opt + optsz + 40 * i + 8)
    c = struct.unpack_from("<I", b, opt + optsz + 40 * i + 36)[0]
    size = page(vs or rs)
    if not size:
        continue
    if c & 0x20000020:
        print("set %x %x 20000\nclear %x %x 4000" % (va, size, va, size))
    elif c & 0x80000000:
        print("set %x %x 4000\nclear %x %x 20000" % (va, size, va, size))
    else:
        print("set %x %x 24000" % (va, size))
PY
}

# expect_protections WORKDIR KERNEL: the console of a boot under
# efi-helpers/memattr.c shows keel's calls, first of all, as
# expected_protections says, at an image base aligned to SectionAlignment.
expect_protections() {
        local w=$1 align base n
        expect_true "the protocol was offered" grep -aq "MEMATTR: protocol installed" "$w/console.log"
        tr -d '\r' <"$w/console.log" | grep -a '^MEMATTR: \(set\|clear\) ' >"$w/calls.txt" || true
        expected_protections "$2" >"$w/expected.txt"
        align=$(sed -n 's/^ALIGN //p' "$w/expected.txt")
        base=$(awk 'NR == 1 { print $3 }' "$w/calls.txt")
        expect_true "the image base 0x$base is aligned to SectionAlignment 0x$align" \
                python3 -c "import sys; sys.exit(int('${base:-1}', 16) % int('$align', 16) != 0)"
        n=$(grep -vc '^ALIGN' "$w/expected.txt")
        expect_eq "keel's first $n calls: each range of the kernel protected as its section says" \
                "$(head -n "$n" "$w/calls.txt" | python3 -c "
import sys
base = int('${base:-0}', 16)
for line in sys.stdin:
    _, op, addr, length, attr = line.split()
    print(op, '%x' % (int(addr, 16) - base), '%x' % int(length, 16), '%x' % int(attr, 16))")" \
                "$(grep -v '^ALIGN' "$w/expected.txt")"
}

# console_shows WORKDIR TEXT: the console log has TEXT (fixed string).
console_shows() {
        tr -d '\r' <"$1/console.log" | grep -aqF -- "$2"
}
