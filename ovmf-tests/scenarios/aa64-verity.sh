#!/bin/bash
# Issue 15: a dm-verity root on arm64, as verity-boot does on x86-64: a
# disk made by `keel image` from a keel arm64 UKI bound to the root hash
# (arm64 Discoverable Partitions types, keelaa64.efi as BOOTAA64.EFI)
# boots under AAVMF; the initramfs finds the data and hash partitions by the
# PARTUUIDs derived from roothash=, opens dm-verity with Debian's arm64
# veritysetup (cryptsetup-bin:arm64 and its libraries, unpacked into the
# build tree), mounts the erofs root read-only and runs the marker from it.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../aavmf/lib.sh"
source "$(dirname "$0")/../verity-lib.sh"
WORK=$1

VERITY_SHARED=$SHARED/verity-aa64
VERITY_CMDLINE="console=$AA64_CONSOLE loglevel=1 panic=-1"
AA64_SYSROOT=$(aa64_sysroot $AA64_VERITY_PACKAGES)
# The marker: no arm64 C library for the cross compiler here, so a script
# the initramfs's busybox runs — still a file that only the verified root has.
make_verity_root() {
        local root=$1
        mkdir -p "$root/usr/bin" "$root/usr/share/keel" "$root/etc"
        printf 'ID=keelverity\nVERSION_ID=1\n' >"$root/etc/os-release"
        printf '#!/bin/sh\necho KEEL-VERITY-MARKER-OK\n' >"$root/usr/bin/keel-marker"
        chmod 755 "$root/usr/bin/keel-marker"
        seq -f 'keel-verity-payload-%06g' 0 9999 >"$root/usr/share/keel/payload"
}

verity_base
verity_disk_copy "$WORK/disk.img"
expect_eq "keel image typed the root for arm64 (systemd-id128's root-arm64)" \
        "$(sfdisk --part-type "$WORK/disk.img" 2 | tr 'A-F' 'a-f')" \
        "$(systemd-id128 show root-arm64 -u | awk '$1 == "root-arm64" { print $2 }')"
expect_true "the loader is \\EFI\\BOOT\\BOOTAA64.EFI" bash -c "mdir -b -i '$WORK/disk.img@@1M' ::/EFI/BOOT | grep -qi 'BOOTAA64.EFI'"

qemu_boot "$WORK" "$WORK/disk.img" || true

expect_report_complete "$WORK"
expect_eq "an arm64 kernel reported" "$(report_value "$WORK" ARCH)" aarch64
expect_eq "kernel command line is the UKI's, root hash included" "$(report_value "$WORK" CMDLINE)" \
        "$VERITY_CMDLINE roothash=$VERITY_ROOTHASH"
expect_eq "keel's loader selected the UKI" "$(report_value "$WORK" "EFIVAR LoaderEntrySelected")" "keel-verity.efi"
expect_eq "initramfs read the root hash" "$(report_value "$WORK" VERITY-ROOTHASH)" "$VERITY_ROOTHASH"
expect_eq "data partition found by PARTUUID (first 128 bits)" "$(report_value "$WORK" VERITY-DATA-DEV)" /dev/vda2
expect_eq "hash partition found by PARTUUID (last 128 bits)" "$(report_value "$WORK" VERITY-HASH-DEV)" /dev/vda3
expect_eq "veritysetup opened the root" "$(report_value "$WORK" VERITY-OPEN)" ok
expect_eq "dm-verity reports the root verified" "$(report_value "$WORK" VERITY-STATUS)" verified
expect_eq "root mounted read-only" "$(report_value "$WORK" VERITY-MOUNT-RO)" yes
expect_eq "marker ran from the verity root" "$(report_value "$WORK" VERITY-MARKER)" KEEL-VERITY-MARKER-OK
expect_eq "payload read back without error" "$(report_value "$WORK" VERITY-PAYLOAD)" readable
expect_eq "no dm-verity complaint in the kernel log" "$(report_value "$WORK" VERITY-KERNEL)" ""
exit $((FAILURES > 0))
