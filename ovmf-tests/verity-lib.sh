# Helpers for the dm-verity scenarios (ovmf-tests/scenarios/verity-*.sh):
# a root tree with a marker program, a disk made by `keel image`, a UKI
# bound to its root hash, and an initramfs that opens the root the way a
# real initrd does: it reads roothash= from /proc/cmdline, finds the data
# and hash partitions by the PARTUUIDs derived from it (blkid), opens
# dm-verity with Debian's veritysetup (copied in with its libraries and the
# dm-verity modules), mounts the root read-only and runs the marker from it.
# Sourced after lib.sh.

VERITY_SHARED=$SHARED/verity
VERITY_CMDLINE="console=ttyS0 loglevel=1 panic=-1"
# The loader installed as \EFI\BOOT\BOOTX64.EFI (keel image takes any BLS loader).
VERITY_LOADER=${VERITY_LOADER:-$KEEL_EFI}
# A line of the payload file whose block the corruption scenario damages.
VERITY_PAYLOAD_LINE=keel-verity-payload-001234

# copy_with_libs and module_load_order come from lib.sh.

# The initramfs's /scenario: everything it sees goes to the report as
# VERITY-* lines.
write_verity_scenario() {
        cat >"$1" <<'SCRIPT'
#!/bin/sh
for m in $(cat /lib/verity-modules/order); do
        insmod "/lib/verity-modules/$m" || echo "VERITY-INSMOD-FAILED=$m"
done
i=0
while [ ! -b /dev/vda3 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done

roothash=
count=0
for w in $(cat /proc/cmdline); do
        case "$w" in roothash=*) roothash=${w#roothash=}; count=$((count + 1)) ;; esac
done
echo "VERITY-ROOTHASH=$roothash"
echo "VERITY-ROOTHASH-WORDS=$count"
[ -n "$roothash" ] || exit 0

# The Discoverable Partitions Specification: data = first 128 bits, hash = last 128 bits.
uuid() { echo "$1" | sed 's/^\(........\)\(....\)\(....\)\(....\)\(............\)$/\1-\2-\3-\4-\5/'; }
data_uuid=$(uuid "${roothash:0:32}")
hash_uuid=$(uuid "${roothash:$((${#roothash} - 32))}")
data_dev=
hash_dev=
for d in /dev/vda[0-9]*; do
        u=$(/usr/sbin/blkid -p -s PART_ENTRY_UUID -o value "$d" 2>/dev/null)
        [ "$u" = "$data_uuid" ] && data_dev=$d
        [ "$u" = "$hash_uuid" ] && hash_dev=$d
done
echo "VERITY-DATA-DEV=$data_dev"
echo "VERITY-HASH-DEV=$hash_dev"
[ -n "$data_dev" ] && [ -n "$hash_dev" ] || exit 0

mkdir -p /run/cryptsetup /mnt/root
export DM_DISABLE_UDEV=1
if /usr/sbin/veritysetup open "$data_dev" root "$hash_dev" "$roothash" 2>/tmp/vs.err; then
        echo "VERITY-OPEN=ok"
else
        echo "VERITY-OPEN=failed: $(tail -n 1 /tmp/vs.err)"
        exit 0
fi
/usr/sbin/veritysetup status root | sed -n 's/^ *status: */VERITY-STATUS=/p'
if mount -t erofs -o ro /dev/mapper/root /mnt/root 2>/tmp/mount.err; then
        echo "VERITY-MOUNT=ok"
else
        echo "VERITY-MOUNT=failed: $(cat /tmp/mount.err)"
        exit 0
fi
grep -q ' /mnt/root erofs ro' /proc/mounts && echo "VERITY-MOUNT-RO=yes"
echo "VERITY-MARKER=$(/mnt/root/usr/bin/keel-marker 2>&1)"
if cat /mnt/root/usr/share/keel/payload >/dev/null 2>/tmp/cat.err; then
        echo "VERITY-PAYLOAD=readable"
else
        echo "VERITY-PAYLOAD=error: $(cat /tmp/cat.err)"
fi
dmesg | sed -n 's/.*device-mapper: verity: \(.*corrupt.*\)/VERITY-KERNEL=\1/p' | head -n 3
SCRIPT
        chmod +x "$1"
}

# The root tree: a static marker program and a payload file with numbered
# lines (so that a test can find one line's block in the image).
make_verity_root() {
        local root=$1
        mkdir -p "$root/usr/bin" "$root/usr/share/keel" "$root/etc"
        printf 'ID=keelverity\nVERSION_ID=1\n' >"$root/etc/os-release"
        printf '#include <stdio.h>\nint main(void) { puts("KEEL-VERITY-MARKER-OK"); return 0; }\n' >"$root/marker.c"
        gcc -static -Os -o "$root/usr/bin/keel-marker" "$root/marker.c"
        rm -f "$root/marker.c"
        seq -f 'keel-verity-payload-%06g' 0 9999 >"$root/usr/share/keel/payload"
}

verity_initramfs() {
        cache_locked "$(basename "$VERITY_SHARED")-initramfs" build_verity_initramfs
        echo "$VERITY_SHARED/initramfs.cpio.zst"
}
build_verity_initramfs() {
        local out=$VERITY_SHARED/initramfs.cpio.zst root m
        if [ ! -f "$out" ]; then
                mkdir -p "$VERITY_SHARED"
                root=$(mktemp -d)
                write_verity_scenario "$VERITY_SHARED/scenario"
                copy_with_libs "$root/extra" /usr/sbin/veritysetup /usr/sbin/blkid
                mkdir -p "$root/extra/lib/verity-modules"
                : >"$root/extra/lib/verity-modules/order"
                for m in $(module_load_order virtio_pci virtio_blk dm-verity crc32c_generic erofs); do
                        cp "$m" "$root/extra/lib/verity-modules/"
                        basename "$m" >>"$root/extra/lib/verity-modules/order"
                done
                local extras=()
                while IFS= read -r f; do
                        extras+=("$f:${f#"$root/extra"}")
                done < <(find "$root/extra" -type f)
                build_initramfs "$out.cpio" "$VERITY_SHARED/scenario" "${extras[@]}"
                # zstd: every byte of the initrd is hashed several times
                # under TCG (PCR 11, the kernel's PCR 9), so smaller is faster.
                zstd -q -f -10 "$out.cpio" -o "$out"
                rm -rf "$root" "$out.cpio"
        fi
}

# verity_base: builds once per run the root tree, the UKI bound to its root
# hash and the disk image (keel as the loader), and sets
# VERITY_ROOTHASH, VERITY_UKI, VERITY_DISK.
verity_base() {
        cache_locked "$(basename "$VERITY_SHARED")-base" build_verity_base
}
build_verity_base() {
        local initrd
        VERITY_UKI=$VERITY_SHARED/keel-verity.efi
        VERITY_DISK=$VERITY_SHARED/disk.img
        if [ ! -f "$VERITY_DISK" ]; then
                initrd=$(verity_initramfs)
                rm -rf "$VERITY_SHARED/root"
                make_verity_root "$VERITY_SHARED/root"
                "$KEEL" image --root "$VERITY_SHARED/root" --roothash-only >"$VERITY_SHARED/roothash.txt"
                VERITY_ROOTHASH=$(sed -n 's/^Root hash:[[:space:]]*//p' "$VERITY_SHARED/roothash.txt")
                "$KEEL" uki build --stub "$KEEL_EFI" --linux "$(kernel_image)" --initrd "$initrd" \
                        --cmdline "$VERITY_CMDLINE" --roothash "$VERITY_ROOTHASH" \
                        --os-release $'ID=keelverity\nVERSION_ID=1\n' -o "$VERITY_UKI"
                printf 'timeout 0\n' >"$VERITY_SHARED/loader.conf"
                "$KEEL" image --root "$VERITY_SHARED/root" --loader "$VERITY_LOADER" --uki "$VERITY_UKI" \
                        --esp-file "$VERITY_SHARED/loader.conf:/loader/loader.conf" -o "$VERITY_DISK" \
                        >"$VERITY_SHARED/image.txt"
        fi
        VERITY_ROOTHASH=$(sed -n 's/^Root hash:[[:space:]]*//p' "$VERITY_SHARED/image.txt")
}

# verity_disk_copy DEST: a private copy of the base disk for one scenario.
verity_disk_copy() {
        cp --sparse=always "$VERITY_DISK" "$1"
}

# partition_start DISK N: the byte offset of partition N.
partition_start() {
        echo $(( $(sfdisk --json "$1" | python3 -c "import json,sys; print(json.load(sys.stdin)['partitiontable']['partitions'][$2 - 1]['start'])") * 512 ))
}
