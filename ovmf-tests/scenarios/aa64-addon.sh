#!/bin/bash
# Addons and SMBIOS on arm64 (issue 14 items 4, 6): a keel arm64 UKI boots
# directly under AAVMF with a global arm64 addon (keel addon build --arch
# aa64: .cmdline + .initrd) and, beside the UKI, an x86-64 addon that AAVMF's
# LoadImage() refuses (one console line). QEMU's SMBIOS type 11
# io.systemd.stub.kernel-cmdline-extra= is appended after the addon's
# command line. PCR 12 = an independent model (hashlib: both command lines
# as UTF-16 + NUL, then the addon's initrd) = keel pcr predict --addon
# extended by the SMBIOS event.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../pcr-lib.sh"
source "$(dirname "$0")/../aavmf/lib.sh"
WORK=$1

CMDLINE=$(aa64_cmdline aa64-addon)
"$KEEL" uki build --stub "$KEEL_EFI" --linux "$(kernel_image)" --initrd "$(shared_initramfs)" \
        --cmdline "$CMDLINE" -o "$WORK/uki.efi"
mkdir -p "$WORK/ir"
printf 'arm64 addon initrd' >"$WORK/ir/keel-aa64-addon"
(cd "$WORK/ir" && find . | sort | cpio -o -H newc --quiet --reproducible) >"$WORK/addon-initrd.cpio"
"$KEEL" addon build --arch aa64 --cmdline "keel.addon.aa64=1" --initrd "$WORK/addon-initrd.cpio" \
        -o "$WORK/aa64.addon.efi"
expect_eq "the addon is an arm64 PE (objdump)" \
        "$(aarch64-linux-gnu-objdump -f "$WORK/aa64.addon.efi" | sed -n 's/.*file format //p')" pei-aarch64-little
"$KEEL" addon build --arch x64 --cmdline "keel.addon.x64=1" -o "$WORK/x64.addon.efi"
esp_image_create "$WORK/disk.img"
esp_put "$WORK/disk.img" "$WORK/uki.efi" "$AA64_BOOT_EFI"
mmd -i "$WORK/disk.img@@1M" ::/loader/addons "::$AA64_BOOT_EFI.extra.d"
esp_put "$WORK/disk.img" "$WORK/aa64.addon.efi" /loader/addons/10-aa64.addon.efi
esp_put "$WORK/disk.img" "$WORK/x64.addon.efi" "$AA64_BOOT_EFI.extra.d/20-x64.addon.efi"

qemu_boot "$WORK" "$WORK/disk.img" -smbios "type=11,value=io.systemd.stub.kernel-cmdline-extra=keel.smbios.aa64=1" ||
        true

expect_report_complete "$WORK"
expect_eq "an arm64 kernel reported" "$(report_value "$WORK" ARCH)" aarch64
expect_eq "the UKI's command line + the addon's + SMBIOS's" "$(report_value "$WORK" CMDLINE)" \
        "$CMDLINE keel.addon.aa64=1 keel.smbios.aa64=1"
expect_eq "one console line: the x86-64 addon is not loadable here" \
        "$(tr -d '\r' <"$WORK/console.log" | grep -ac '20-x64.addon.efi: not a loadable PE image')" 1
model=$(python3 - "$WORK/addon-initrd.cpio" <<'EOF'
import hashlib, sys
v = bytes(32)
def ext(d):
    global v
    v = hashlib.sha256(v + hashlib.sha256(d).digest()).digest()
ext("keel.addon.aa64=1\0".encode("utf-16-le"))
ext("keel.smbios.aa64=1\0".encode("utf-16-le"))
ext(open(sys.argv[1], "rb").read())
print(v.hex())
EOF
)
expect_eq "PCR 12 (sha256) = model: addon command line, SMBIOS, addon initrd" "$(booted_pcr "$WORK" sha256 12)" \
        "$model"
# keel pcr predict knows no SMBIOS: its value without the SMBIOS event, checked by replaying the log's digests.
expect_true "tpm2_eventlog parses the event log" eventlog_parse "$WORK"
expect_replay_matches "$WORK"
predicted=$("$KEEL" pcr predict "$WORK/uki.efi" --bank sha256 --phase= --addon "$WORK/aa64.addon.efi" |
        sed -n 's/^12:sha256=//p')
expect_eq "keel pcr predict --addon = the model without the SMBIOS event" "$predicted" \
        "$(python3 - "$WORK/addon-initrd.cpio" <<'EOF'
import hashlib, sys
v = bytes(32)
def ext(d):
    global v
    v = hashlib.sha256(v + hashlib.sha256(d).digest()).digest()
ext("keel.addon.aa64=1\0".encode("utf-16-le"))
ext(open(sys.argv[1], "rb").read())
print(v.hex())
EOF
)"
exit $((FAILURES > 0))
