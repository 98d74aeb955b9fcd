#!/bin/bash
# dm-verity 2 + 4: Secure Boot off, so keel's stub accepts the command line
# a loader passes. A systemd-boot Type #1 entry starts the same UKI with
# options that try to swap the root hash (plain, quoted, rd.-prefixed,
# usrhash=, systemd.verity=0), to mount another root or /usr (root=,
# rootfstype=, rootflags=, mount.usr=, systemd.mount-extra=: the UKI binds a
# root hash, so these are the UKI's alone) or to have Linux's EFI stub load
# files (initrd=, dtb=). The kernel must see none of them, only the UKI's
# own roothash=, and the verity root must still come up; words that merely
# look alike (xroothash=, rootwait) pass through.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../verity-lib.sh"
WORK=$1

verity_base
verity_disk_copy "$WORK/disk.img"
# systemd-boot 252 in place of keel's loader: a disk made by keel image takes
# either, and this is the loader a user could bring to override the root.
esp_put "$WORK/disk.img" "$SYSTEMD_BOOT_EFI" /EFI/BOOT/BOOTX64.EFI
other=$(printf '%064d' 0 | tr 0 e)
options="$VERITY_CMDLINE roothash=$other \"roothash=$other\" rd.roothash=$other usrhash=$other systemd.verity=0 xroothash=keep"
options="$options root=/dev/vda3 \"rootfstype=ext4\" rootflags=rw mount.usr=/dev/vda4 systemd.mount-extra=/dev/vda4:/usr"
options="$options initrd=\\evil.cpio dtb=\\evil.dtb rootwait"
MTOOLS_SKIP_CHECK=1 mmd -i "$WORK/disk.img@@1M" ::/loader/entries
esp_write "$WORK/disk.img" /loader/entries/override.conf \
        $'title keel verity override\nefi /EFI/Linux/keel-verity.efi\noptions '"$options"$'\n'
esp_write "$WORK/disk.img" /loader/loader.conf $'timeout 0\ndefault override*\n'

qemu_boot "$WORK" "$WORK/disk.img" || true

expect_report_complete "$WORK"
expect_eq "Secure Boot is off" "$(report_value "$WORK" SECUREBOOT)" "00"
expect_eq "systemd-boot started the Type #1 entry" "$(report_value "$WORK" "EFIVAR LoaderEntrySelected")" "override.conf"
expect_eq "kernel sees the loader's options minus every verity, mount and file word, plus the UKI's roothash=" \
        "$(report_value "$WORK" CMDLINE)" "$VERITY_CMDLINE xroothash=keep rootwait roothash=$VERITY_ROOTHASH"
expect_eq "exactly one roothash= word" "$(report_value "$WORK" VERITY-ROOTHASH-WORDS)" 1
expect_eq "it is the UKI's" "$(report_value "$WORK" VERITY-ROOTHASH)" "$VERITY_ROOTHASH"
expect_eq "veritysetup opened the root" "$(report_value "$WORK" VERITY-OPEN)" ok
expect_eq "marker program ran from the verity root" "$(report_value "$WORK" VERITY-MARKER)" KEEL-VERITY-MARKER-OK
exit $((FAILURES > 0))
