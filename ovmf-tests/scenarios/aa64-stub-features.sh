#!/bin/bash
# Issue 14 on arm64 (AAVMF, keelaa64.efi in both roles), one boot: the keel
# loader starts profile 1 of a multi-profile UKI (loader.conf `default
# sc.efi@1`) with, beside it, a credential, a system extension and a
# configuration extension in sc.efi.extra.d and a global credential; the
# machine has a virtio-rng (EFI_RNG_PROTOCOL) and no seed file yet.
#  - LoaderEntries lists both profiles (sc.efi, sc.efi@second: systemd-boot
#    262's names; `sc.efi@1` is an alias), profile 1's .cmdline boots,
#    StubProfile=1; PCR 11 = `keel pcr predict --profile 1`;
#  - the /.extra tree, PCR 13 and the archives' events equal the model of
#    systemd-stub (sidecar-model.py); PCR 12 = the loader's "@1" (UTF-16,
#    as systemd-boot 262), the profile's tagged event (UTF-16 "1"), then
#    the model's PCR 12 archives, computed here;
#  - the loader created \loader\random-seed (32 bytes) before the kernel
#    ran, the kernel got the LINUX_EFI_RANDOM_SEED table (RNG= in its
#    "efi:" line) and LoaderRandomSeed is set;
#  - StubFeatures and LoaderFeatures are exactly what keel implements.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
source "$(dirname "$0")/../pcr-lib.sh"
source "$(dirname "$0")/../aavmf/lib.sh"
WORK=$1
MODEL="python3 $KEEL_SRC/ovmf-tests/sidecar-model.py"
DISK=$WORK/disk.img

# The initramfs lists the sidecars below /.extra ("SIDECAR path mode
# sha256|dir", as sidecar-boot) and the kernel's EFI table line.
{
        cat <<'SCRIPT'
#!/bin/sh
echo "EFILINE=$(dmesg | grep -m1 -E 'efi: .*(ACPI|SMBIOS)[ 0-9.]*=')"
v=/sys/firmware/efi/efivars/LoaderRandomSeed-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f
[ -e $v ] && echo "SEEDVAR=$(tail -c +5 $v | od -An -tx1 -v | tr -d ' \n')"
SCRIPT
        cat "$KEEL_SRC/ovmf-tests/sidecar-list.sh"
} >"$WORK/scenario"
build_initramfs "$WORK/initramfs.cpio" "$WORK/scenario"
BASE=$(aa64_cmdline aa64-profile-0)
SECOND=$(aa64_cmdline aa64-profile-1)
"$KEEL" uki build --stub "$KEEL_EFI" --linux "$(kernel_image)" --initrd "$WORK/initramfs.cpio" \
        --cmdline "$BASE" --os-release $'ID=keeltest\nVERSION_ID=14\n' --profile $'ID=base\nTITLE=Base\n' \
        --profile $'ID=second\nTITLE=Second\n' --cmdline "$SECOND" -o "$WORK/sc.efi"

T=$WORK/tree
X=$T/EFI/Linux/sc.efi.extra.d
mkdir -p "$X" "$T/loader/credentials"
printf 'secret-arm64\n' >"$X/one.cred"
head -c 40000 /dev/urandom >"$X/ext.raw"
head -c 3000 /dev/urandom >"$X/conf.confext.raw"
printf 'global-arm64\n' >"$T/loader/credentials/g.cred"
$MODEL "$T" /EFI/Linux/sc.efi keel "$WORK/model"

esp_image_create "$DISK" 192
esp_put "$DISK" "$KEEL_EFI" "$AA64_BOOT_EFI"
esp_write "$DISK" /loader/loader.conf $'timeout 0\ndefault sc.efi@1\n'
esp_put "$DISK" "$WORK/sc.efi" /EFI/Linux/sc.efi
mcopy -s -o -i "$DISK@@1M" "$X" ::/EFI/Linux/
mcopy -s -o -i "$DISK@@1M" "$T/loader/credentials" ::/loader/

qemu_boot "$WORK" "$DISK" -device virtio-rng-pci || true
expect_report_complete "$WORK"
expect_eq "an arm64 kernel reported" "$(report_value "$WORK" ARCH)" aarch64

# Profiles.
expect_eq "LoaderEntries: both profiles of sc.efi (X.efi@<ID=>, systemd-boot 262)" "$(loader_entries "$WORK")" \
        "sc.efi sc.efi@second"
expect_eq "LoaderEntrySelected (the alias sc.efi@1)" "$(report_value "$WORK" "EFIVAR LoaderEntrySelected")" \
        "sc.efi@second"
expect_eq "profile 1's .cmdline booted" "$(report_value "$WORK" CMDLINE)" "$SECOND"
expect_eq "StubProfile" "$(report_value "$WORK" "EFIVAR StubProfile")" 1
expect_eq "PCR 11 = keel pcr predict --profile 1" "$(booted_pcr "$WORK" sha256 11)" \
        "$("$KEEL" pcr predict "$WORK/sc.efi" --profile 1 --bank sha256 --phase= | sed 's/^11:[a-z0-9]*=//')"

# Credentials and extensions.
expect_eq "/.extra tree (paths, modes, sha256) = model" \
        "$(tr -d '\r' <"$WORK/report.log" | sed -n 's/^SIDECAR //p')" "$(cat "$WORK/model/tree.txt")"
expect_eq "PCR 13 (sha256) = model" "$(booted_pcr "$WORK" sha256 13)" \
        "$(sed -n 's/^sha256 13 //p' "$WORK/model/pcrs.txt")"
pcr12=$(python3 -c 'import hashlib, sys
p = bytes(32)
for d in [hashlib.sha256(t.encode("utf-16-le")).digest() for t in ("@1\0", "1\0")] + \
         [bytes.fromhex(x) for x in sys.argv[1:]]:
    p = hashlib.sha256(p + d).digest()
print(p.hex())' $(awk '$1 == 12 { print $NF }' "$WORK/model/events.txt"))
expect_eq "PCR 12 (sha256) = the loader's \"@1\", the profile's tagged event, the model's credential and confext archives" \
        "$(booted_pcr "$WORK" sha256 12)" "$pcr12"
expect_true "tpm2_eventlog parses the event log" eventlog_parse "$WORK"
expect_replay_matches "$WORK"
expect_eq "StubPcrKernelParameters" "$(report_value "$WORK" "EFIVAR StubPcrKernelParameters")" 12
expect_eq "StubPcrInitRDSysExts" "$(report_value "$WORK" "EFIVAR StubPcrInitRDSysExts")" 13
expect_eq "StubPcrInitRDConfExts" "$(report_value "$WORK" "EFIVAR StubPcrInitRDConfExts")" 12

# The random seed.
seed=$(mcopy -n -i "$DISK@@1M" ::/loader/random-seed - 2>/dev/null | od -An -tx1 -v | tr -d ' \n')
expect_eq "the loader created \\loader\\random-seed (32 bytes)" "${#seed}" 64
expect_true "the kernel got the LINUX_EFI_RANDOM_SEED table (RNG= in its efi: line)" \
        grep -q ' RNG=0x' <<<"$(report_value "$WORK" EFILINE)"
sv=$(report_value "$WORK" SEEDVAR)
expect_eq "LoaderRandomSeed is set (32 bytes)" "${#sv}" 64
expect_true "LoaderRandomSeed is not the seed on disk" test "$sv" != "$seed"

# Features: exactly what keel does.
expect_eq "StubFeatures ($KEEL_STUB_FEATURE_BITS)" "$(report_value "$WORK" "EFIVAR StubFeatures")" \
        "$(efivar_u64_of_bits $KEEL_STUB_FEATURE_BITS)"
expect_eq "LoaderFeatures ($KEEL_LOADER_FEATURE_BITS)" "$(report_value "$WORK" "EFIVAR LoaderFeatures")" \
        "$(efivar_u64_of_bits $KEEL_LOADER_FEATURE_BITS)"
exit $((FAILURES > 0))
