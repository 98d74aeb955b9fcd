#!/bin/bash
# dm-verity 4: a disk made by `keel image` (keel as the loader,
# a keel UKI bound to the root hash with `keel uki build --roothash`) boots;
# the initramfs finds the data and hash partitions by the PARTUUIDs derived
# from roothash=, opens dm-verity with veritysetup, mounts the erofs root
# read-only and runs the marker program from it.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../verity-lib.sh"
WORK=$1

verity_base
verity_disk_copy "$WORK/disk.img"
sfdisk -d "$WORK/disk.img" >"$WORK/partitions.txt"

qemu_boot "$WORK" "$WORK/disk.img" || true

expect_report_complete "$WORK"
expect_eq "kernel command line is the UKI's, root hash included" "$(report_value "$WORK" CMDLINE)" \
        "$VERITY_CMDLINE roothash=$VERITY_ROOTHASH"
expect_eq "keel's loader selected the UKI" "$(report_value "$WORK" "EFIVAR LoaderEntrySelected")" "keel-verity.efi"
expect_eq "initramfs read the root hash" "$(report_value "$WORK" VERITY-ROOTHASH)" "$VERITY_ROOTHASH"
expect_eq "data partition found by PARTUUID (first 128 bits)" "$(report_value "$WORK" VERITY-DATA-DEV)" /dev/vda2
expect_eq "hash partition found by PARTUUID (last 128 bits)" "$(report_value "$WORK" VERITY-HASH-DEV)" /dev/vda3
expect_eq "veritysetup opened the root" "$(report_value "$WORK" VERITY-OPEN)" ok
expect_eq "dm-verity reports the root verified" "$(report_value "$WORK" VERITY-STATUS)" verified
expect_eq "root mounted" "$(report_value "$WORK" VERITY-MOUNT)" ok
expect_eq "root mounted read-only" "$(report_value "$WORK" VERITY-MOUNT-RO)" yes
expect_eq "marker program ran from the verity root" "$(report_value "$WORK" VERITY-MARKER)" KEEL-VERITY-MARKER-OK
expect_eq "payload read back without error" "$(report_value "$WORK" VERITY-PAYLOAD)" readable
expect_eq "no dm-verity complaint in the kernel log" "$(report_value "$WORK" VERITY-KERNEL)" ""
exit $((FAILURES > 0))
