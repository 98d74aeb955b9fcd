#!/bin/bash
# What keel's stub and loader do for systemd 258-262's Boot Loader Interface,
# against systemd-stub 262 (Debian sid) on the same machine: QEMU with SMBIOS
# types 1, 2 and 11, a virtio-rng (EFI_RNG_PROTOCOL), one VirtIO console and
# no screen. The UKIs hold the same kernel, initramfs, .osrel (IMAGE_ID=)
# and a .cmdline without console=. Four boots:
#  A. systemd-stub 262's UKI straight from the firmware, on a fresh ESP and
#     variable store: it creates \loader\random-seed, LoaderBootSecret and
#     \loader\boot-secret-mixin;
#  B. keel's UKI in its place, same ESP, same variables. Equal to A: the
#     command line (console=hvc0 appended, unmeasured), /.extra (names,
#     modes, bytes: os-release, and boot-secret from A's secret and mixin),
#     PCR 1 and its SMBIOS events (type, tag, description, digests), the
#     variables both set (LoaderTpm2ActivePcrBanks, LoaderPcrSMBIOS,
#     StubDevicePartUUID, StubImageIdentifier...); keel refreshed the seed
#     file; StubFeatures is every bit 262 sets but the URL one, and
#     bootctl 262 status, on B's variables and ESP, names keel as the stub,
#     each of its features, its partition and image;
#  C. keel's loader and keel's UKI, a fresh ESP and variable store: the
#     loader measures the SMBIOS structures (PCR 1 as A: once, not again by
#     the stub), LoaderFeatures is exact and bootctl 262 names each
#     feature, keel creates the boot secret's variable and mixin;
#  D. keel's loader and systemd-stub 262's UKI, C's ESP and variables: 262
#     takes keel's LoaderBootSecret and mixin (the same /.extra/boot-secret
#     as C) and keel's LoaderPcrSMBIOS (PCR 1 as A, measured once).
# bootctl 262 names keel's binary (as loader and as stub) among the boot
# loaders on the ESP.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../peers-lib.sh"
source "$(dirname "$0")/../pcr-lib.sh"
WORK=$1
PCR_CHECK="python3 $KEEL_SRC/ovmf-tests/pcr-check.py"

cat >"$WORK/scenario" <<'SCRIPT'
#!/bin/sh
[ -e /.extra/boot-secret ] && echo "BOOTSECRET=$(od -An -tx1 -v /.extra/boot-secret | tr -d ' \n')"
echo "EFILINE=$(dmesg | grep -m1 -E 'efi: .*(ACPI|SMBIOS)=')"
SCRIPT
build_initramfs "$WORK/initramfs.cpio" "$WORK/scenario"
peer_prepare sid
CMDLINE="loglevel=1 panic=-1 keel.test=peers-262"
printf 'ID=keeltest\nIMAGE_ID=keel-peers\nVERSION_ID=262\n' >"$WORK/osrel"
"$KEEL" uki build --stub "$KEEL_EFI" --linux "$(kernel_image)" --initrd "$WORK/initramfs.cpio" \
        --cmdline "$CMDLINE" --os-release "@$WORK/osrel" -o "$WORK/keel.efi"
peer_uki sid "$WORK/sd262.efi" "$(kernel_image)" "$WORK/initramfs.cpio" "$CMDLINE" "$WORK/osrel" ||
        { echo "  FAIL: no systemd-stub 262 UKI"; exit 1; }

MACHINE=(-smbios type=1,manufacturer=KeelCo,product=Box,serial=SER262 -smbios type=2,manufacturer=BoardCo,product=B1
         -smbios "type=11,value=io.systemd.credential:peer=262" -device virtio-rng-pci
         -device virtio-serial-pci -chardev file,id=vc0,path="$WORK/hvc0.log" -device virtconsole,chardev=vc0)
boot() { # NAME DISK [VARS_FROM]: one boot on DISK, the variable store fresh or VARS_FROM's
        mkdir -p "$WORK/$1"
        [ -z "${3:-}" ] || cp "$WORK/$3/OVMF_VARS.fd" "$WORK/$1/OVMF_VARS.fd"
        qemu_boot "$WORK/$1" "$2" "${MACHINE[@]}" || true
        expect_report_complete "$WORK/$1"
        eventlog_parse "$WORK/$1" || true
}
var() { report_value "$WORK/$1" "EFIVAR $2"; }
extra() { tr -d '\r' <"$WORK/$1/report.log" | grep -a '^EXTRA'; }
smbios_events() { $PCR_CHECK rawlog "$WORK/$1/eventlog.bin" 1 | awk '$1 == "00000006"'; }
seed_hex() { mcopy -n -i "$1@@1M" ::/loader/random-seed - 2>/dev/null | od -An -tx1 -v | tr -d ' \n'; }
esp_tree() { # DISK DIR: the ESP's files, for bootctl
        mkdir -p "$2"
        mcopy -s -n -i "$1@@1M" "::/*" "$2/"
}
# bootctl's feature lines of one section ("Current Boot Loader", "Current
# Stub"): "+name" for ✓, "-name" for ✗.
features() {
        awk -v s="$2" '$0 ~ "^" s ":" { in_s = 1; next } /^[A-Z]/ { in_s = 0 }
                in_s && /(✓|✗) / { sub(/^.*Features: /, ""); sub(/^ +/, ""); m = /^✓/ ? "+" : "-";
                                    sub(/^(✓|✗) /, ""); print m $0 }' "$1"
}
# The PCR 1 SMBIOS events systemd documents (TPM2_PCR_MEASUREMENTS.md):
# EV_EVENT_TAG, data = tag (LE32), description size (LE32), "smbios:typeN"
# as UTF-16 with its NUL.
SMBIOS_EVENT_DATA=$(python3 -c 'import struct
for tag, t in ((0xd5cb7cbc, 1), (0xe0d47bc8, 2), (0xc0b3bd23, 11)):
    d = ("smbios:type%d\0" % t).encode("utf-16-le")
    print((struct.pack("<II", tag, len(d)) + d).hex())')

# A: systemd-stub 262.
D1=$WORK/disk1.img
esp_image_create "$D1"
esp_put "$D1" "$WORK/sd262.efi" /EFI/BOOT/BOOTX64.EFI
boot a "$D1"
expect_true "A: systemd-stub 262 booted" bash -c "[[ '$(var a StubInfo)' == 'systemd-stub 262'* ]]"
expect_true "A: it made a boot secret" test -n "$(report_value "$WORK/a" BOOTSECRET)"
seed_a=$(seed_hex "$D1")
expect_eq "A: it created \\loader\\random-seed" "${#seed_a}" 64

# B: keel's stub on the same ESP and variables.
esp_put "$D1" "$WORK/keel.efi" /EFI/BOOT/BOOTX64.EFI
boot b "$D1" a
expect_eq "B: keel's stub booted" "$(var b StubInfo)" "keel 0.1"
expect_eq "B: the command line = A's (.cmdline, then console=hvc0 for the VirtIO console)" \
        "$(report_value "$WORK/b" CMDLINE)" "$(report_value "$WORK/a" CMDLINE)"
expect_eq "B: the command line ends in console=hvc0" "$(report_value "$WORK/b" CMDLINE)" "$CMDLINE console=hvc0"
expect_eq "B: /.extra = A's (names, modes, sha256: os-release, boot-secret 0400)" "$(extra b)" "$(extra a)"
expect_eq "B: /.extra/boot-secret = A's (A's LoaderBootSecret and mixin, IMAGE_ID=keel-peers)" \
        "$(report_value "$WORK/b" BOOTSECRET)" "$(report_value "$WORK/a" BOOTSECRET)"
for bank in sha1 sha256; do
        expect_eq "B: PCR 1 ($bank) = A's" "$(booted_pcr "$WORK/b" $bank 1)" "$(booted_pcr "$WORK/a" $bank 1)"
done
expect_eq "B: PCR 1's SMBIOS events (type, digests, tag, description) = A's" "$(smbios_events b)" "$(smbios_events a)"
expect_eq "B: types 1, 2, 11, tagged as systemd documents" "$(smbios_events b | awk '{ print $4 }')" \
        "$SMBIOS_EVENT_DATA"
for v in LoaderTpm2ActivePcrBanks LoaderPcrSMBIOS StubDevicePartUUID StubImageIdentifier LoaderDevicePartUUID \
         LoaderImageIdentifier LoaderFirmwareInfo LoaderFirmwareType StubPcrKernelImage; do
        expect_eq "B: $v = A's" "$(var b $v)" "$(var a $v)"
done
expect_eq "B: StubDevicePartUUID is the ESP" "$(var b StubDevicePartUUID)" "$(upper "$ESP_PARTUUID")"
expect_eq "B: StubFeatures ($KEEL_STUB_FEATURE_BITS)" "$(var b StubFeatures)" "$(efivar_u64_of_bits $KEEL_STUB_FEATURE_BITS)"
expect_eq "B: StubFeatures bits 262 sets and keel does not: 11 (network boot URLs) only; none the other way" \
        "$(python3 -c 'import sys
a, k = (int.from_bytes(bytes.fromhex(x), "little") for x in sys.argv[1:])
bits = lambda v: " ".join(str(b) for b in range(64) if v >> b & 1)
print(bits(a & ~k) + "|" + bits(k & ~a))' "$(var a StubFeatures)" "$(var b StubFeatures)")" "11|"
seed_b=$(seed_hex "$D1")
expect_eq "B: keel's stub refreshed \\loader\\random-seed (no loader passed a seed)" "${#seed_b}" 64
expect_true "B: a new seed on disk" test "$seed_b" != "$seed_a"
expect_true "B: the kernel got the seed table (RNG= in its efi: line)" grep -aq 'EFILINE=.* RNG=0x' "$WORK/b/report.log"
esp_tree "$D1" "$WORK/esp-b"
peer_bootctl_status sid "$WORK/b" "$WORK/esp-b" >"$WORK/b/bootctl-status.txt"
expect_eq "B: bootctl 262 status: keel 0.1 is the current stub" \
        "$(grep -A1 -x 'Current Stub:' "$WORK/b/bootctl-status.txt" | sed -n 's/^ *Product: //p')" "keel 0.1"
expect_eq "B: bootctl 262 status: a feature line for each of keel's $(wc -w <<<"$KEEL_STUB_FEATURE_BITS") stub bits, and not the URL" \
        "$(features "$WORK/b/bootctl-status.txt" "Current Stub" | grep -c '^+')|$(features "$WORK/b/bootctl-status.txt" "Current Stub" | grep '^-')" \
        "$(wc -w <<<"$KEEL_STUB_FEATURE_BITS")|-Stub reports network boot URL"
expect_true "B: bootctl 262 status: the stub's partition" \
        grep -qx "      Partition: /dev/disk/by-partuuid/$ESP_PARTUUID" "$WORK/b/bootctl-status.txt"
expect_true "B: bootctl 262 status: the stub's image" grep -qx '           Stub: └─/EFI/BOOT/BOOTX64.EFI' "$WORK/b/bootctl-status.txt"
expect_true "B: bootctl 262 status: keel 0.1 among the boot loaders on the ESP" \
        grep -q '/EFI/BOOT/BOOTX64.EFI (keel 0.1)' "$WORK/b/bootctl-status.txt"

# C: keel's loader and keel's UKI, fresh ESP and variables.
D2=$WORK/disk2.img
esp_image_create "$D2"
esp_put "$D2" "$KEEL_EFI" /EFI/BOOT/BOOTX64.EFI
esp_put "$D2" "$WORK/keel.efi" /EFI/Linux/keel.efi
esp_put "$D2" "$WORK/sd262.efi" /EFI/Linux/sd262.efi
esp_write "$D2" /loader/loader.conf $'timeout 0\ndefault keel.efi\n'
boot c "$D2"
expect_eq "C: keel's loader started keel's UKI" "$(var c LoaderEntrySelected)|$(var c StubInfo)" "keel.efi|keel 0.1"
expect_eq "C: LoaderFeatures ($KEEL_LOADER_FEATURE_BITS)" "$(var c LoaderFeatures)" \
        "$(efivar_u64_of_bits $KEEL_LOADER_FEATURE_BITS)"
for bank in sha1 sha256; do
        expect_eq "C: PCR 1 ($bank) = A's" "$(booted_pcr "$WORK/c" $bank 1)" "$(booted_pcr "$WORK/a" $bank 1)"
done
expect_eq "C: PCR 1's SMBIOS events = A's (the loader measured them, the stub did not again)" \
        "$(smbios_events c)" "$(smbios_events a)"
expect_eq "C: LoaderTpm2ActivePcrBanks = A's" "$(var c LoaderTpm2ActivePcrBanks)" "$(var a LoaderTpm2ActivePcrBanks)"
expect_eq "C: LoaderPcrSMBIOS" "$(var c LoaderPcrSMBIOS)" 1
expect_eq "C: the command line ends in console=hvc0" "$(report_value "$WORK/c" CMDLINE)" "$CMDLINE console=hvc0"
expect_true "C: keel made a boot secret" test -n "$(report_value "$WORK/c" BOOTSECRET)"
expect_eq "C: /.extra/boot-secret is 0400, /.extra 0555" \
        "$(report_value "$WORK/c" "EXTRA-DIR mode")|$(extra c | sed -n 's/^EXTRA boot-secret mode=\([0-7]*\) .*/\1/p')" "555|400"
mixin=$(mcopy -n -i "$D2@@1M" ::/loader/boot-secret-mixin - 2>/dev/null | od -An -tx1 -v | tr -d ' \n')
expect_eq "C: keel wrote a 32-byte \\loader\\boot-secret-mixin" "${#mixin}" 64
esp_tree "$D2" "$WORK/esp-c"
peer_bootctl_status sid "$WORK/c" "$WORK/esp-c" >"$WORK/c/bootctl-status.txt"
expect_eq "C: bootctl 262 status: keel 0.1 is the current boot loader" \
        "$(grep -A1 -x 'Current Boot Loader:' "$WORK/c/bootctl-status.txt" | sed -n 's/^ *Product: //p')" "keel 0.1"
features "$WORK/c/bootctl-status.txt" "Current Boot Loader" >"$WORK/c/loader-features.txt"
expect_eq "C: bootctl 262 status: a feature line for each of keel's $(wc -w <<<"$KEEL_LOADER_FEATURE_BITS") loader bits" \
        "$(grep -c '^+' "$WORK/c/loader-features.txt")" "$(wc -w <<<"$KEEL_LOADER_FEATURE_BITS")"
expect_true "C: bootctl 262 status names the new ones" \
        grep -qx -e '+Loader reports active TPM2 PCR banks' "$WORK/c/loader-features.txt"
expect_true "C: ... and SMBIOS" grep -qx -e '+Loader measures SMBIOS information' "$WORK/c/loader-features.txt"
expect_eq "C: bootctl 262 status: the stub's features as in B" \
        "$(features "$WORK/c/bootctl-status.txt" "Current Stub")" "$(features "$WORK/b/bootctl-status.txt" "Current Stub")"
expect_true "C: bootctl 262 status: the stub's image" grep -qx '           Stub: └─/EFI/Linux/keel.efi' "$WORK/c/bootctl-status.txt"
expect_true "C: bootctl 262 status: keel 0.1 (the loader) among the boot loaders on the ESP" \
        grep -q '/EFI/BOOT/BOOTX64.EFI (keel 0.1)' "$WORK/c/bootctl-status.txt"

# D: keel's loader, systemd-stub 262's UKI, C's ESP and variables.
esp_write "$D2" /loader/loader.conf $'timeout 0\ndefault sd262.efi\n'
boot d "$D2" c
expect_true "D: keel's loader started systemd-stub 262" \
        bash -c "[[ '$(var d LoaderEntrySelected)|$(var d StubInfo)' == 'sd262.efi|systemd-stub 262'* ]]"
expect_eq "D: systemd-stub 262's /.extra/boot-secret = keel's in C (it took keel's LoaderBootSecret and mixin)" \
        "$(report_value "$WORK/d" BOOTSECRET)" "$(report_value "$WORK/c" BOOTSECRET)"
for bank in sha1 sha256; do
        expect_eq "D: PCR 1 ($bank) = A's (262 honoured keel's LoaderPcrSMBIOS)" \
                "$(booted_pcr "$WORK/d" $bank 1)" "$(booted_pcr "$WORK/a" $bank 1)"
done
expect_eq "D: the command line = C's" "$(report_value "$WORK/d" CMDLINE)" "$(report_value "$WORK/c" CMDLINE)"
exit $((FAILURES > 0))
