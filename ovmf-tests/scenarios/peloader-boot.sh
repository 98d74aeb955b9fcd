#!/bin/bash
# keel's own PE loader (issue 14 item 8), the Debian kernel through it:
#  1. Secure Boot on (Debian's snakeoil variables), a snakeoil-signed UKI
#     started by the firmware: it boots, and the firmware's PCR 4 log has the
#     UKI's Authenticode hash but not the kernel's (no LoadImage() of the
#     kernel, no security-protocol hook: the UKI's signature is all that
#     was checked).
#  2. An EFI_MEMORY_ATTRIBUTE_PROTOCOL offered by a test program
#     (efi-helpers/memattr.c, which logs each call and changes nothing)
#     before the UKI starts: keel protects the kernel (NX_COMPAT) as its
#     section table says — headers read-only and not executable, code
#     read-only and executable, data writable and not executable — at an
#     image base aligned to its SectionAlignment, all of it computed here
#     from the kernel's headers.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../sb-lib.sh"
source "$(dirname "$0")/../pcr-lib.sh"
WORK=$1
CMDLINE="console=ttyS0 loglevel=1 panic=-1 keel.test=peloader"

AUTHENTICODE=$WORK/authenticode.py
cat >"$AUTHENTICODE" <<'PY'
# authenticode.py FILE: SHA-256 Authenticode digest (what EDK II extends into
# PCR 4 for an image it loads).
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
pcr4_applications() { # WORKDIR: sha256 of each EV_EFI_BOOT_SERVICES_APPLICATION in PCR 4
        python3 - "$1/eventlog.yaml" <<'PY'
import re, sys
text = open(sys.argv[1]).read().split("\npcrs:\n", 1)[0]
for block in re.split(r"\n- EventNum: ", text)[1:]:
    if int(re.search(r"PCRIndex: (\d+)", block).group(1)) == 4 and \
            re.search(r"EventType: (\S+)", block).group(1) == "EV_EFI_BOOT_SERVICES_APPLICATION":
        print(dict(re.findall(r"AlgorithmId: (\w+)\n\s+Digest: \"([0-9a-f]+)\"", block))["sha256"])
PY
}
kernel_hash=$(python3 "$AUTHENTICODE" "$(kernel_image)")

echo "-- 1. Secure Boot, snakeoil-signed UKI"
printf 'snakeoil\n' >"$WORK/passphrase"
"$KEEL" uki build --stub "$KEEL_EFI" --linux "$(kernel_image)" --initrd "$(shared_initramfs)" \
        --cmdline "$CMDLINE" -o "$WORK/uki.efi"
"$KEEL" sign --key "$SNAKEOIL_KEY" --cert "$SNAKEOIL_CERT" --passphrase-file "$WORK/passphrase" \
        -o "$WORK/uki-snakeoil.efi" "$WORK/uki.efi"
W=$WORK/sb
esp_image_create "$W.img"
esp_put "$W.img" "$WORK/uki-snakeoil.efi" /EFI/BOOT/BOOTX64.EFI
sb_boot "$W" "$W.img" "$SB_SNAKEOIL_VARS" || true
expect_report_complete "$W"
expect_eq "SecureBoot is on" "$(report_value "$W" SECUREBOOT)" "01"
expect_eq "kernel command line is the signed .cmdline" "$(report_value "$W" CMDLINE)" "$CMDLINE"
expect_true "tpm2_eventlog parses the event log" eventlog_parse "$W"
pcr4_applications "$W" >"$W/pcr4.txt"
expect_true "PCR 4 has the signed UKI" grep -qx "$(python3 "$AUTHENTICODE" "$WORK/uki-snakeoil.efi")" "$W/pcr4.txt"
expect_true "PCR 4 lacks the kernel: keel loaded it without LoadImage()" bash -c "! grep -qx '$kernel_hash' '$W/pcr4.txt'"
expect_eq "PCR 4 applications: the UKI alone" "$(wc -l <"$W/pcr4.txt")" 1

echo "-- 2. EFI_MEMORY_ATTRIBUTE_PROTOCOL offered: W^X as the kernel's section table says"
efi_helpers
W=$WORK/memattr
esp_image_create "$W.img"
esp_put "$W.img" "$EFI_HELPERS/memattr.efi" /EFI/BOOT/BOOTX64.EFI
esp_put "$W.img" "$WORK/uki.efi" /EFI/Linux/uki.efi
qemu_boot "$W" "$W.img" || true
expect_report_complete "$W"
expect_eq "kernel command line is the UKI's .cmdline" "$(report_value "$W" CMDLINE)" "$CMDLINE"
expect_true "the protocol was offered" console_has "$W" "MEMATTR: protocol installed"
tr -d '\r' <"$W/console.log" | grep -a '^MEMATTR: \(set\|clear\) ' >"$W/calls.txt" || true
# What keel must have asked for, relative to the image base, from the
# kernel's own headers (UEFI 2.10: RO 0x20000, XP 0x4000).
python3 - "$(kernel_image)" >"$W/expected.txt" <<'PY'
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
align=$(sed -n 's/^ALIGN //p' "$W/expected.txt")
base=$(awk 'NR == 1 { print $3 }' "$W/calls.txt")
expect_true "the image base 0x$base is aligned to SectionAlignment 0x$align" \
        python3 -c "import sys; sys.exit(int('${base:-1}', 16) % int('$align', 16) != 0)"
n=$(grep -vc '^ALIGN' "$W/expected.txt")
expect_eq "keel's first $n calls: each range of the kernel protected as its section says" \
        "$(head -n "$n" "$W/calls.txt" | python3 -c "
import sys
base = int('${base:-0}', 16)
for line in sys.stdin:
    _, op, addr, length, attr = line.split()
    print(op, '%x' % (int(addr, 16) - base), '%x' % int(length, 16), '%x' % int(attr, 16))")" "$(grep -v '^ALIGN' "$W/expected.txt")"
exit $((FAILURES > 0))
