#!/bin/bash
# keelx64.efi (both roles) next to systemd-boot 252 + systemd-stub 252.
source "$(dirname "$0")/lib.sh"
keel=$(stat -c %s "$BUILD/keelx64.efi")
sd=$(( $(stat -c %s /usr/lib/systemd/boot/efi/systemd-bootx64.efi) + $(stat -c %s /usr/lib/systemd/boot/efi/linuxx64.efi.stub) ))
result "keelx64.efi size vs systemd-boot 252 + systemd-stub 252" \
        "$keel bytes vs $sd bytes ($(awk -v a="$keel" 'BEGIN { printf "%.1f", a / 1024 }') KiB; target <= 128 KiB)"
aa=$(stat -c %s "$BUILD/keelaa64.efi")
sd_dir=$("$KEEL_SRC/scripts/fetch-arm64-debs" "$BUILD" systemd-boot-efi)
sd_aa=$(stat -c %s "$sd_dir/usr/lib/systemd/boot/efi/systemd-bootaa64.efi" 2>/dev/null)
sd_aa_stub=$(stat -c %s "$sd_dir/usr/lib/systemd/boot/efi/linuxaa64.efi.stub" 2>/dev/null)
if [ -n "$sd_aa" ] && [ -n "$sd_aa_stub" ]; then
        result "keelaa64.efi size vs systemd-boot 252 + systemd-stub 252 (arm64)" \
                "$aa bytes vs $((sd_aa + sd_aa_stub)) bytes ($(awk -v a="$aa" 'BEGIN { printf "%.1f", a / 1024 }') KiB; target <= 128 KiB)"
fi
