# Helpers for the loader scenarios (sourced after lib.sh): UKIs of both
# stubs, the bootctl 252 view of an ESP image, reading LoaderEntries.

# make_keel_uki OUT ID VERSION MARKER [INITRD]: a keel UKI whose command
# line carries keel.test=MARKER, so the report shows which entry booted.
make_keel_uki() {
        local out=$1 id=$2 version=$3 marker=$4 initrd=${5:-$(shared_initramfs)}
        "$KEEL" uki build --stub "$KEEL_EFI" --linux "$(kernel_image)" --initrd "$initrd" \
                --cmdline "console=ttyS0 loglevel=1 panic=-1 keel.test=$marker" \
                --os-release "$(printf 'ID=%s\nVERSION_ID=%s\nPRETTY_NAME="%s %s"\n' "$id" "$version" "$id" "$version")" \
                -o "$out"
}

# make_sdstub_uki OUT ID VERSION MARKER [INITRD]: a UKI with systemd-stub
# 252, packed with objcopy the way systemd's documentation shows (not with keel).
make_sdstub_uki() {
        local out=$1 id=$2 version=$3 marker=$4 initrd=${5:-$(shared_initramfs)} tmp
        tmp=$(mktemp -d)
        printf 'ID=%s\nVERSION_ID=%s\nPRETTY_NAME="%s %s (systemd-stub)"\n' "$id" "$version" "$id" "$version" >"$tmp/osrel"
        printf 'console=ttyS0 loglevel=1 panic=-1 keel.test=%s' "$marker" >"$tmp/cmdline"
        objcopy --add-section .osrel="$tmp/osrel" --change-section-vma .osrel=0x20000 \
                --add-section .cmdline="$tmp/cmdline" --change-section-vma .cmdline=0x30000 \
                --add-section .linux="$(kernel_image)" --change-section-vma .linux=0x2000000 \
                --add-section .initrd="$initrd" --change-section-vma .initrd=0x3000000 \
                "$SYSTEMD_STUB" "$out"
        rm -rf "$tmp"
}

# bootctl_view IMG: "id id id ...|default" as bootctl 252 sees the ESP in IMG
# (copied to a tmpfs: bootctl wants a mount point).
bootctl_view() {
        local img=$1 mnt out ids def
        mnt=$(mktemp -d)
        mount -t tmpfs -o size=256m tmpfs "$mnt"
        mcopy -s -n -i "$img@@1M" "::/*" "$mnt/"
        out=$(SYSTEMD_RELAX_ESP_CHECKS=1 bootctl --esp-path="$mnt" list --no-pager 2>/dev/null)
        umount "$mnt"
        rmdir "$mnt"
        ids=$(sed -n 's/^ *id: //p' <<<"$out" | tr '\n' ' ' | sed 's/ $//')
        def=$(awk '/title: .*\(default\)/ { found = 1 } found && /^ *id: / { print $2; exit }' <<<"$out")
        echo "$ids|$def"
}

# loader_entries WORK: LoaderEntries from the report without the auto- entries.
loader_entries() {
        report_value "$1" "EFIVAR LoaderEntries" | tr ' ' '\n' | grep -v '^auto-' | tr '\n' ' ' | sed 's/ $//'
}

# booted_marker WORK: the keel.test= value of the booted kernel's command line.
booted_marker() {
        report_value "$1" CMDLINE | tr ' ' '\n' | sed -n 's/^keel.test=//p'
}

# populate_mixed_esp IMG [INITRAMFS]: keel loader + two keel UKIs, a
# systemd-stub UKI and a Type #1 entry (kernel and initrd on the ESP), all
# with the same initramfs (the shared reporting one by default).
populate_mixed_esp() {
        local img=$1 tmp
        local initramfs=${2:-$(shared_initramfs)}
        tmp=$(mktemp -d)
        esp_image_create "$img" 192
        esp_put "$img" "$KEEL_EFI" /EFI/BOOT/BOOTX64.EFI
        make_keel_uki "$tmp/a.efi" keeltest 1 keel-uki-1 "$initramfs"
        make_keel_uki "$tmp/b.efi" keeltest 2 keel-uki-2 "$initramfs"
        make_sdstub_uki "$tmp/c.efi" sdtest 7 sdstub-uki "$initramfs"
        esp_put "$img" "$tmp/a.efi" /EFI/Linux/keeltest-1.efi
        esp_put "$img" "$tmp/b.efi" /EFI/Linux/keeltest-2.efi
        esp_put "$img" "$tmp/c.efi" /EFI/Linux/sdtest-7.efi
        esp_put "$img" "$(kernel_image)" /vmlinuz
        esp_put "$img" "$initramfs" /initrd.cpio
        esp_write "$img" /loader/entries/type1-test.conf "$(printf '%s\n' 'title Type 1 test' 'sort-key zzz' \
                'version 3' 'linux /vmlinuz' 'initrd /initrd.cpio' \
                'options console=ttyS0 loglevel=1 panic=-1' 'options keel.test=type1')"
        rm -rf "$tmp"
}

# efivar_payload OUT STRING: an efivarfs file body for a persistent UTF-16
# string variable (attributes NV|BS|RT, then the string with its NUL).
efivar_payload() {
        python3 -c 'import sys; open(sys.argv[1], "wb").write(b"\x07\0\0\0" + (sys.argv[2] + "\0").encode("utf-16-le"))' "$1" "$2"
}

# A disk with an ESP (64 MiB at 1 MiB) and an XBOOTLDR partition after it
# (at 65 MiB), both FAT32; put files with part_put IMG OFFSET SRC DEST.
XBOOTLDR_OFFSET=65M
XBOOTLDR_PARTUUID=7d1e4b5c-2a3f-4b6d-8e9f-0a1b2c3d4e5f
xbootldr_image_create() {
        local img=$1 size=${2:-192}
        rm -f "$img"
        truncate -s "${size}M" "$img"
        sfdisk --quiet "$img" <<SFDISK
label: gpt
first-lba: 2048
start=2048, size=131072, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=$ESP_PARTUUID, name="ESP"
start=133120, type=BC13C2FF-59E6-4262-A352-B275FD6F7172, uuid=$XBOOTLDR_PARTUUID, name="XBOOTLDR"
SFDISK
        fat_format "$img" 2048 131072 ESP
        fat_format "$img" 133120 $((size * 2048 - 133120 - 34)) XBOOTLDR
        mmd -i "$img@@1M" ::/EFI ::/EFI/BOOT ::/EFI/Linux ::/loader ::/loader/entries
        mmd -i "$img@@$XBOOTLDR_OFFSET" ::/EFI ::/EFI/Linux ::/loader ::/loader/entries
}

part_put() {
        mcopy -o -i "$1@@$2" "$3" "::$4"
}

part_write() {
        local tmp
        tmp=$(mktemp)
        printf '%s' "$4" >"$tmp"
        part_put "$1" "$2" "$tmp" "$3"
        rm -f "$tmp"
}

# bootctl_view_xbootldr IMG: like bootctl_view, with --boot-path for XBOOTLDR.
bootctl_view_xbootldr() {
        local img=$1 esp boot out ids def
        esp=$(mktemp -d)
        boot=$(mktemp -d)
        mount -t tmpfs -o size=256m tmpfs "$esp"
        mount -t tmpfs -o size=256m tmpfs "$boot"
        mcopy -s -n -i "$img@@1M" "::/*" "$esp/"
        mcopy -s -n -i "$img@@$XBOOTLDR_OFFSET" "::/*" "$boot/"
        out=$(SYSTEMD_RELAX_ESP_CHECKS=1 SYSTEMD_RELAX_XBOOTLDR_CHECKS=1 \
                bootctl --esp-path="$esp" --boot-path="$boot" list --no-pager 2>/dev/null)
        umount "$esp" "$boot"
        rmdir "$esp" "$boot"
        ids=$(sed -n 's/^ *id: //p' <<<"$out" | tr '\n' ' ' | sed 's/ $//')
        def=$(awk '/title: .*\(default\)/ { found = 1 } found && /^ *id: / { print $2; exit }' <<<"$out")
        echo "$ids|$def"
}

# corrupt_uki_kernel UKI: wipes the first 4 KiB of the embedded kernel (its
# PE headers), so that the stub refuses it and returns to the loader.
corrupt_uki_kernel() {
        local offset
        offset=$("$KEEL" uki inspect --json "$1" | python3 -c \
                'import json,sys; print([s["raw_offset"] for s in json.load(sys.stdin)["sections"] if s["name"] == ".linux"][0])')
        dd if=/dev/zero of="$1" bs=1 seek="$offset" count=4096 conv=notrunc status=none
}
