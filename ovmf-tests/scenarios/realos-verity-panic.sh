#!/bin/bash
# Real OS (issue #12), rollback after a corrupt root, unattended, in ONE
# QEMU run: generation 2 (counted +2) has its own root (the cached tree
# plus one file, so its own root hash and partition UUIDs) on a second
# disk, with one data block of its erofs partition flipped, and boots with
# systemd.verity_root_options=panic-on-corruption (panic=-1: the kernel
# reboots at once). Reading the block panics in the initrd, keel counts the
# try down; after two tries it boots generation 1 (counted +3, the base
# root on the first disk) by itself, which unlocks /var and is blessed.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../realos/lib.sh"
source "$(dirname "$0")/../realos/scenario.sh"
WORK=$1
# REALOS_FLIP=0 leaves generation 2's root intact (to see this scenario fail).
FLIP=${REALOS_FLIP:-1}

start=$(date +%s)
realos_base
GEN1=$REALOS_BASE_UKI
GEN2=$WORK/$REALOS_UKI_NAME-2+2.efi
ROOTHASH1=$(realos_roothash)

# Generation 2's root: the tree (hard links) plus one new file.
TREE2=$WORK/tree2
cp -al "$REALOS_TREE" "$TREE2"
echo 2 >"$TREE2/etc/keel-realos-generation"
ROOTHASH2=$("$KEEL" image --root "$TREE2" --roothash-only | sed -n 's/^Root hash:[[:space:]]*//p')
expect_true "generation 2 has its own root hash" test -n "$ROOTHASH2" -a "$ROOTHASH2" != "$ROOTHASH1"
realos_keys
"$KEEL" uki build --stub "$KEEL_EFI" --linux "$REALOS_ROOT/vmlinuz" --initrd "$REALOS_ROOT/initrd.img" \
        --cmdline "$REALOS_CMDLINE systemd.verity_root_options=panic-on-corruption" --roothash "$ROOTHASH2" \
        --os-release "$(cat "$REALOS_ROOT/os-release"; echo "IMAGE_VERSION=2")" \
        --uname "$(cat "$REALOS_ROOT/kver")" \
        --pcrpkey "$REALOS_KEYS/pub.pem" --pcr-private-key "$REALOS_KEYS/priv.pem" -o "$GEN2"
# Its disk: keel image's layout, without the ESP (the only ESP is disk 1's).
"$KEEL" image --root "$TREE2" --loader "$KEEL_EFI" --uki "$GEN2" -o "$WORK/disk2.img" >"$WORK/disk2.image.txt"
rm -rf "$TREE2"
sfdisk --quiet --delete "$WORK/disk2.img" 1
# Flip one byte in the first data block of generation 2's erofs partition
# (the superblock: read by udev's probe and the mount, so certainly read).
data_start=$(( $(sfdisk --json "$WORK/disk2.img" | python3 -c "import json,sys
for p in json.load(sys.stdin)['partitiontable']['partitions']:
    if p['name'] == 'root-x86-64': print(p['start'])") * 512 ))
if [ "$FLIP" = 1 ]; then
        off=$((data_start + 1024 + 8))
        b=$(od -An -tu1 -j "$off" -N1 "$WORK/disk2.img" | tr -d ' ')
        printf "$(printf '\\%03o' $((b ^ 0x01)))" | dd of="$WORK/disk2.img" bs=1 seek="$off" conv=notrunc status=none
        echo "  flipped bit 0 of byte $off of disk 2 (data block 0 of generation 2's root)"
fi

# Disk 1: the base image (generation 1) and generation 2's UKI on its ESP.
realos_scenario_disk "$WORK" "$GEN1"
esp_put "$WORK/disk.img" "$GEN2" "/EFI/Linux/$(basename "$GEN2")"
echo "  images ready in $(( $(date +%s) - start )) s"
expect_eq "the ESP before the boot" "$(esp_ls "$WORK/disk.img" /EFI/Linux | sed 's|.*/||' | sort | tr '\n' ' ')" \
        "$REALOS_UKI_NAME-1+3.efi $REALOS_UKI_NAME-2+2.efi "

QEMU_REBOOT=1 realos_boot "$WORK" 480 \
        -drive if=none,id=disk1,format=raw,file="$WORK/disk2.img" -device virtio-blk-pci,drive=disk1
console=$(tr -d '\r' <"$WORK/console.log")

expect_eq "three boots in the run (firmware loaded the disk 3 times)" \
        "$(grep -c "BdsDxe: loading Boot" <<<"$console" || true)" 3
expect_eq "dm-verity found the corruption in 2 boots" \
        "$(grep -cE "device-mapper: verity.*data block.*is corrupted" <<<"$console" || true)" 2
expect_eq "... and the kernel panicked each time (panic-on-corruption)" \
        "$(grep -c "Kernel panic - not syncing" <<<"$console" || true)" 2

realos_last_report "$WORK"
expect_eq "one report (generation 2 never got that far)" "$(grep -c '^KEEL-REPORT-BEGIN' <(tr -d '\r' <"$WORK/report.log"))" 1
expect_report_complete "$LAST"
state=$(report_value "$LAST" STATE)
expect_true "generation 1 reached multi-user: '$state'" test "$state" = running -o "$state" = degraded
expect_eq "the last boot ran generation 1's command line" "$(report_value "$LAST" CMDLINE)" \
        "$REALOS_CMDLINE roothash=$ROOTHASH1"
expect_eq "dm-verity: generation 1's root, verified" \
        "$(values VERITY | sed -n 's/^ *status: *//p')/$(values VERITY | sed -n 's/^ *root hash: *//p')" "verified/$ROOTHASH1"
expect_eq "/var is the unlocked LUKS device" "$(report_value "$LAST" FINDMNT-VAR | awk '{ print $1, $2 }')" "/dev/mapper/var ext4"
expect_true "the volume was activated by the TPM2 token" \
        grep -q "Volume var activated with LUKS token id" <<<"$(values CRYPTSETUP-JOURNAL)"
expect_true "systemd-bless-boot marked generation 1 good" grep -q "Marked boot as 'good'" <<<"$(values BLESS-JOURNAL)"
expect_eq "the ESP from the host after the run" \
        "$(esp_ls "$WORK/disk.img" /EFI/Linux | sed 's|.*/||' | sort | tr '\n' ' ')" \
        "$REALOS_UKI_NAME-1.efi $REALOS_UKI_NAME-2+0-2.efi "
exit $((FAILURES > 0))
