#!/bin/bash
# UKI build with a 64 MiB initrd: keel uki build vs objcopy --add-section
# doing the same job (the classic recipe from systemd's documentation).
source "$(dirname "$0")/lib.sh"
W=$BUILD/bench/uki-build
mkdir -p "$W"
kernel=$(ls /boot/vmlinuz-* | sort -V | tail -n 1)
head -c $((64 * 1024 * 1024)) /dev/urandom >"$W/initrd.img"
printf 'ID=bench\nVERSION_ID=1\n' >"$W/os-release"
printf 'console=ttyS0 quiet' >"$W/cmdline"

keel_build() {
        "$KEEL" uki build --stub "$BUILD/keelx64.efi" --linux "$kernel" --initrd "$W/initrd.img" \
                --cmdline @"$W/cmdline" --os-release @"$W/os-release" -o "$W/keel.efi"
}
objcopy_build() {
        objcopy --add-section .osrel="$W/os-release" --change-section-vma .osrel=0x20000 \
                --add-section .cmdline="$W/cmdline" --change-section-vma .cmdline=0x30000 \
                --add-section .linux="$kernel" --change-section-vma .linux=0x2000000 \
                --add-section .initrd="$W/initrd.img" --change-section-vma .initrd=0x3000000 \
                "$BUILD/keelx64.efi" "$W/objcopy.efi"
}

# Removing the previous output (freeing 75 MB of blocks) is not part of a build.
BENCH_CLEANUP='rm -f "$W/keel.efi" "$W/objcopy.efi"'
t_keel=$(median_seconds keel_build)
size=$(stat -c %s "$W/keel.efi")
t_objcopy=$(median_seconds objcopy_build)
# keel fsyncs its output before the rename; objcopy does not. The same
# durability for objcopy costs a sync of its output.
objcopy_build_synced() { objcopy_build && sync "$W/objcopy.efi"; }
t_objcopy_synced=$(median_seconds objcopy_build_synced)
result "uki build, 64 MiB initrd ($((size / 1000000)) MB UKI): keel (with fsync) vs objcopy --add-section" \
        "${t_keel} s vs ${t_objcopy} s: $(ratio "$t_objcopy" "$t_keel")x faster"
result "the same, objcopy followed by sync of its output (equal durability)" \
        "${t_keel} s vs ${t_objcopy_synced} s: $(ratio "$t_objcopy_synced" "$t_keel")x faster"
rm -f "$W/initrd.img" "$W/keel.efi" "$W/objcopy.efi"
