#!/bin/bash
# keelx64.efi (both roles) next to systemd-boot 252 + systemd-stub 252.
source "$(dirname "$0")/lib.sh"
keel=$(stat -c %s "$BUILD/keelx64.efi")
sd=$(( $(stat -c %s /usr/lib/systemd/boot/efi/systemd-bootx64.efi) + $(stat -c %s /usr/lib/systemd/boot/efi/linuxx64.efi.stub) ))
result "keelx64.efi size vs systemd-boot 252 + systemd-stub 252" \
        "$keel bytes vs $sd bytes ($(awk -v a="$keel" 'BEGIN { printf "%.1f", a / 1024 }') KiB; target <= 96 KiB)"
