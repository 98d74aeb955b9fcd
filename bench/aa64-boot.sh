#!/bin/bash
# arm64 under AAVMF (TCG): seconds from the firmware starting the boot
# option to the kernel's EFI stub loading the initrd, keel loader + keel UKI
# vs systemd-boot 252 + systemd-stub 252 (arm64, from systemd-boot-efi:arm64)
# on the same kernel and initramfs, side by side, one run each.
source "$(dirname "$0")/lib.sh"
source "$KEEL_SRC/ovmf-tests/lib.sh"
source "$KEEL_SRC/ovmf-tests/aavmf/lib.sh"
W=$BUILD/bench/aa64-boot
rm -rf "$W" && mkdir -p "$W"

make_keel_uki "$W/keel.efi" benchos 1 bench
make_sdstub_uki "$W/sd.efi" benchos 1 bench
for loader in keel systemd-boot; do
        esp_image_create "$W/$loader.img" 192
        if [ $loader = keel ]; then
                esp_put "$W/$loader.img" "$KEEL_EFI" /EFI/BOOT/BOOTAA64.EFI
                esp_put "$W/$loader.img" "$W/keel.efi" /EFI/Linux/benchos-1.efi
        else
                esp_put "$W/$loader.img" "$SYSTEMD_BOOT_EFI" /EFI/BOOT/BOOTAA64.EFI
                esp_put "$W/$loader.img" "$W/sd.efi" /EFI/Linux/benchos-1.efi
        fi
        esp_write "$W/$loader.img" /loader/loader.conf $'timeout 0\n'
done
t_keel=$(boot_clock keel "$W/keel.img")
t_sd=$(boot_clock systemd-boot "$W/systemd-boot.img")
result "arm64 (AAVMF, TCG): firmware boot option to the kernel's EFI stub, keel loader + keel UKI vs systemd-boot 252 + systemd-stub 252 arm64" \
        "$t_keel s vs $t_sd s: ratio $(awk -v a="$t_keel" -v b="$t_sd" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }') (goal ≤ 1.0)"
