#!/bin/bash
# Addons, .ucode and SMBIOS type 11 (issue 14 items 3, 4, 6), Secure Boot off.
# One ESP, three boots:
#  A. a keel UKI (bound to a dm-verity root hash, with .ucode) booted
#     directly, with a global addon (\loader\addons: .cmdline + .ucode) and
#     a per-UKI one (BOOTX64.EFI.extra.d: .cmdline + .initrd + .dtb + a
#     matching .uname; x86 Linux ignores the tree, but it is installed and
#     measured), next to bad ones (not a PE, a UKI, another .uname, nothing
#     to contribute, another architecture, over 256 MiB): the bad ones are
#     skipped with one console line each; the kernel gets the UKI's command
#     line + the addons' (their roothash= dropped: the UKI's wins); the initrd it
#     receives is addon microcode, UKI microcode, UKI initrd, addon initrd,
#     in that order (each pair shares a file: the rootfs keeps the later
#     one's; Linux 6.1 has no /sys/firmware/initrd to read the bytes from),
#     so the kernel's early microcode loader, which takes the first archive
#     with its path, sees the addon's; PCR 12 = an
#     independent model (hashlib) = keel pcr predict --addon; the event log
#     has systemd-stub 257's events (EV_IPL command line, EV_EVENT_TAG blobs).
#  B. the same with SMBIOS type 11 io.systemd.stub.kernel-cmdline-extra=:
#     appended after the addons, its roothash= dropped, measured as a second
#     command-line event.
#  C. keel as the loader, a Type #1 `linux` entry, SMBIOS
#     io.systemd.boot.kernel-cmdline-extra=: appended to the options before
#     they are measured (systemd-boot 256's rule); the stub's string is not
#     used (no stub runs). The entry before it starts a keel addon as an
#     EFI program: the firmware loads it, it returns at once, and keel
#     boots the next entry.
# systemd-stub 252 has none of this (addons: 254, .ucode: 256), so the
# expected values come from the model, written from systemd's source.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../pcr-lib.sh"
WORK=$1
KREL=$(kernel_release)
ZERO256=$(head -c 64 /dev/zero | tr '\0' 0)

# cpio_of DIR OUT: a newc archive of DIR's files (what the kernel unpacks).
cpio_of() {
        (cd "$1" && find . -print0 | sort -z | cpio --null --create --format=newc --quiet --reproducible) >"$2"
}
# The same microcode path in three archives: the kernel's early loader takes
# the first, the rootfs keeps the last written. /order/XY is in pieces X and
# Y (a: addon ucode, b: UKI ucode, c: UKI initrd, d: addon initrd): the
# rootfs shows which of the two came later.
for piece in ucode-addon ucode-uki initrd-addon; do
        mkdir -p "$WORK/$piece/kernel/x86/microcode" "$WORK/$piece/order"
        printf 'keel test %s, not microcode' "$piece" >"$WORK/$piece/kernel/x86/microcode/AuthenticAMD.bin"
        printf '%s' "$piece" >"$WORK/$piece/keel-$piece"
done
for f in ucode-addon/order/ab ucode-uki/order/ab ucode-uki/order/bc initrd-addon/order/cd; do
        printf '%s' "${f%%/*}" >"$WORK/$f"
done
printf 'uki-initrd' >"$WORK/order-c"
for piece in ucode-addon ucode-uki initrd-addon; do
        cpio_of "$WORK/$piece" "$WORK/$piece.cpio"
done

# Reports what the kernel unpacked from the initrd.
cat >"$WORK/scenario" <<'EOF'
#!/bin/sh
echo "UCODE-ROOTFS=$(cat /kernel/x86/microcode/AuthenticAMD.bin)"
for m in /keel-*; do [ -e "$m" ] && echo "MARKER $m"; done
for f in /order/*; do [ -e "$f" ] && echo "ORDER $(basename "$f")=$(cat "$f")"; done
EOF
build_initramfs "$WORK/initramfs.cpio" "$WORK/scenario" "$WORK/order-c:/order/bc" "$WORK/order-c:/order/cd"

ROOTHASH=$(printf 'keel' | sha256sum | cut -d' ' -f1)
OTHERHASH=$(printf 'attacker' | sha256sum | cut -d' ' -f1)
UKI_CMDLINE="console=ttyS0 loglevel=1 panic=-1 keel.test=addon-boot"
"$KEEL" uki build --stub "$KEEL_EFI" --linux "$(kernel_image)" --initrd "$WORK/initramfs.cpio" \
        --microcode "$WORK/ucode-uki.cpio" --cmdline "$UKI_CMDLINE" --roothash "$ROOTHASH" --uname "$KREL" \
        -o "$WORK/uki.efi"
objcopy -O binary --only-section=.cmdline "$WORK/uki.efi" "$WORK/uki.cmdline"
OWN=$(tr -d '\0' <"$WORK/uki.cmdline")
expect_true "the UKI's .cmdline carries its roothash" grep -q "roothash=$ROOTHASH" "$WORK/uki.cmdline"

# PCR 11 with .ucode in its canonical place: the model (hashlib, checked
# against systemd-measure 252 for the sections it knows) = keel pcr predict.
$PCR_CHECK model "$WORK/uki.efi" "$WORK/sections" >"$WORK/model.txt"
expect_true "the model measured .ucode" test -s "$WORK/sections/ucode"

# The addons (keel addon build) and the bad ones.
"$KEEL" addon build --cmdline "keel.addon.global=1 roothash=$OTHERHASH" --microcode "$WORK/ucode-addon.cpio" \
        -o "$WORK/global.addon.efi"
printf '/dts-v1/;\n/ { model = "keel-addon-boot"; };\n' | dtc -q -I dts -O dtb -o "$WORK/addon.dtb" -
"$KEEL" addon build --cmdline $'  keel.addon.uki=2\n' --initrd "$WORK/initrd-addon.cpio" --uname "$KREL" \
        --devicetree "$WORK/addon.dtb" \
        -o "$WORK/uki.addon.efi"
"$KEEL" addon build --cmdline "keel.bad.uname=1" --uname "0.0-other" -o "$WORK/uname.addon.efi"
"$KEEL" addon build --cmdline "keel.bad.arch=1" --arch aa64 -o "$WORK/aa64.addon.efi"
printf 'not a PE image\n' >"$WORK/notpe.addon.efi"
# Larger than the stub reads (256 MiB): refused before anything is read.
truncate -s $((256 * 1024 * 1024 + 1)) "$WORK/big.addon.efi"
esp_image_create "$WORK/disk.img" 320
esp_put "$WORK/disk.img" "$WORK/uki.efi" /EFI/BOOT/BOOTX64.EFI
mmd -i "$WORK/disk.img@@1M" ::/loader/addons ::/EFI/BOOT/BOOTX64.EFI.extra.d
esp_put "$WORK/disk.img" "$WORK/global.addon.efi" /loader/addons/10-global.addon.efi
esp_put "$WORK/disk.img" "$WORK/aa64.addon.efi" /loader/addons/20-aa64.addon.efi
X=/EFI/BOOT/BOOTX64.EFI.extra.d
esp_put "$WORK/disk.img" "$WORK/uki.addon.efi" $X/20-uki.addon.efi
esp_put "$WORK/disk.img" "$WORK/notpe.addon.efi" $X/30-notpe.addon.efi
esp_put "$WORK/disk.img" "$WORK/uki.efi" $X/40-uki.addon.efi
esp_put "$WORK/disk.img" "$WORK/uname.addon.efi" $X/50-uname.addon.efi
esp_put "$WORK/disk.img" "$KEEL_EFI" $X/60-empty.addon.efi
esp_put "$WORK/disk.img" "$WORK/big.addon.efi" $X/70-big.addon.efi
rm -f "$WORK/big.addon.efi"
esp_write "$WORK/disk.img" $X/README.txt "not an addon"

# The expected PCR 12, from the files (hashlib).
ADDONS_CMDLINE="keel.addon.global=1 keel.addon.uki=2"
pcr12_model() { # BANK TEXT...: the command-line events, then the addons' tree, ucode and initrd
        python3 - "$WORK" "$@" <<'EOF'
import hashlib, sys
work, bank, texts = sys.argv[1], sys.argv[2], sys.argv[3:]
v = bytes(hashlib.new(bank).digest_size)
def ext(data):
    global v
    v = hashlib.new(bank, v + hashlib.new(bank, data).digest()).digest()
for t in texts:
    ext((t + "\0").encode("utf-16-le"))
ext(open(work + "/addon.dtb", "rb").read())
ext(open(work + "/ucode-addon.cpio", "rb").read())
ext(open(work + "/initrd-addon.cpio", "rb").read())
print(v.hex())
EOF
}

# tagged_events WORKDIR: "TAG-ID NAME" of every PCR 12 EV_EVENT_TAG event in
# the raw event log (TCG PC Client crypto-agile format, parsed here).
tagged_events() {
        python3 - "$1/eventlog.bin" <<'EOF'
import struct, sys
log = open(sys.argv[1], "rb").read()
sizes = {0x4: 20, 0xb: 32, 0xc: 48, 0xd: 64, 0x12: 32}
# The first event (TCG_PCR_EVENT, SHA-1 layout) is the spec ID event.
n = struct.unpack_from("<I", log, 28)[0]
off = 32 + n
while off + 12 <= len(log):
    pcr, etype, count = struct.unpack_from("<III", log, off)
    off += 12
    for _ in range(count):
        alg = struct.unpack_from("<H", log, off)[0]
        off += 2 + sizes[alg]
    size = struct.unpack_from("<I", log, off)[0]
    data = log[off + 4:off + 4 + size]
    off += 4 + size
    if pcr == 12 and etype == 6:
        tag, tsize = struct.unpack_from("<II", data, 0)
        name = data[8:8 + tsize].decode("utf-16-le").rstrip("\0")
        print("%08x %s" % (tag, name))
EOF
}

expect_addon_boot() { # WORKDIR EXPECTED_CMDLINE WHAT TEXT...
        local w=$1 cmdline=$2 what=$3 bank
        shift 3
        expect_report_complete "$w"
        expect_eq "$what: the kernel's command line" "$(report_value "$w" CMDLINE)" "$cmdline"
        expect_eq "$what: the UKI's .ucode comes after the addon's" "$(report_value "$w" "ORDER ab")" "ucode-uki"
        expect_eq "$what: the UKI's .initrd after its .ucode" "$(report_value "$w" "ORDER bc")" "uki-initrd"
        expect_eq "$what: the addon's .initrd after the UKI's" "$(report_value "$w" "ORDER cd")" "initrd-addon"
        expect_eq "$what: the rootfs keeps the last microcode file (the addon initrd's)" \
                "$(report_value "$w" UCODE-ROOTFS)" "keel test initrd-addon, not microcode"
        for m in ucode-addon ucode-uki initrd-addon; do
                expect_true "$what: $m unpacked" report_has "$w" "MARKER /keel-$m"
        done
        expect_eq "$what: StubPcrKernelParameters" "$(report_value "$w" "EFIVAR StubPcrKernelParameters")" "12"
        for bank in sha1 sha256; do
                expect_eq "$what: PCR 11 ($bank) = model with .ucode" "$(booted_pcr "$w" "$bank" 11)" \
                        "$(sed -n "s/^$bank=//p" "$WORK/model.txt")"
                expect_eq "$what: PCR 12 ($bank) = model" "$(booted_pcr "$w" "$bank" 12)" "$(pcr12_model "$bank" "$@")"
        done
        expect_true "$what: tpm2_eventlog parses the event log" eventlog_parse "$w"
        expect_replay_matches "$w"
}

# A: no SMBIOS.
qemu_boot "$WORK/a" "$WORK/disk.img" || true
expect_addon_boot "$WORK/a" "$OWN $ADDONS_CMDLINE" "A" "$ADDONS_CMDLINE"
for bank in sha1 sha256; do
        expect_eq "A: PCR 11 ($bank) = keel pcr predict --phase=" "$(booted_pcr "$WORK/a" "$bank" 11)" \
                "$("$KEEL" pcr predict "$WORK/uki.efi" --bank "$bank" --phase= | sed -n 's/^11:[a-z0-9]*=//p')"
        expect_eq "A: PCR 12 ($bank) = keel pcr predict --addon (global, then per-UKI)" \
                "$(booted_pcr "$WORK/a" "$bank" 12)" \
                "$("$KEEL" pcr predict "$WORK/uki.efi" --bank "$bank" --phase= --addon "$WORK/global.addon.efi" \
                        --addon "$WORK/uki.addon.efi" | sed -n 's/^12:[a-z0-9]*=//p')"
done
expect_eq "A: PCR 12 events: the joined addon command lines, their tree, microcode, initrd" \
        "$(events "$WORK/a" 12 | cut -d' ' -f1)" $'EV_IPL\nEV_EVENT_TAG\nEV_EVENT_TAG\nEV_EVENT_TAG'
expect_eq "A: tagged events: systemd's tag IDs (devicetree, ucode, initrd addon) and the addons' file names" \
        "$(tagged_events "$WORK/a")" $'6c46f751 20-uki.addon.efi\ndac08e1a 10-global.addon.efi\n49dffe0f 20-uki.addon.efi'
expect_eq "A: the command-line event describes itself" "$(events "$WORK/a" 12 | head -n 1)" "EV_IPL $ADDONS_CMDLINE"
features=$(report_value "$WORK/a" "EFIVAR StubFeatures")
expect_true "A: StubFeatures has cmdline addons, SMBIOS, devicetree addons (bits 5, 6, 7)" \
        test $(( 0x${features:0:2} & 0xe0 )) -eq $((0xe0))
c=$(tr -d '\r' <"$WORK/a/console.log")
for bad in "20-aa64.addon.efi: not a loadable PE image" "30-notpe.addon.efi: not a loadable PE image" \
           "40-uki.addon.efi: addon: has a .linux section" "50-uname.addon.efi: addon: its .uname differs" \
           "60-empty.addon.efi: addon: no .cmdline" "70-big.addon.efi: larger than 256 MiB"; do
        expect_eq "A: one console line: $bad" "$(grep -ac -- "$bad" <<<"$c")" 1
done
expect_eq "A: README.txt is not looked at" "$(grep -ac 'README' <<<"$c")" 0
expect_eq "A: the global addon's roothash= was dropped, with one line" \
        "$(grep -ac "dropped 1 word from the addons' command line" <<<"$c")" 1

# B: SMBIOS type 11 strings from QEMU.
QEMU_SMBIOS_TYPE11="io.systemd.credential:keel=not-a-cmdline
io.systemd.stub.kernel-cmdline-extra=  keel.smbios=3 roothash=$OTHERHASH
io.systemd.boot.kernel-cmdline-extra=keel.boot.not.stub=1" qemu_boot "$WORK/b" "$WORK/disk.img" || true
expect_addon_boot "$WORK/b" "$OWN $ADDONS_CMDLINE keel.smbios=3" "B" "$ADDONS_CMDLINE" "keel.smbios=3"
expect_eq "B: PCR 12 events: addons, SMBIOS, tree, microcode, initrd" "$(events "$WORK/b" 12 | cut -d' ' -f1,2)" \
        "EV_IPL keel.addon.global=1"$'\nEV_IPL keel.smbios=3\nEV_EVENT_TAG ?\nEV_EVENT_TAG ?\nEV_EVENT_TAG ?'

# C: the loader and a Type #1 entry.
OPTIONS="console=ttyS0 loglevel=1 panic=-1 keel.test=smbios-loader"
esp_image_create "$WORK/disk-c.img"
esp_put "$WORK/disk-c.img" "$KEEL_EFI" /EFI/BOOT/BOOTX64.EFI
esp_write "$WORK/disk-c.img" /loader/loader.conf $'timeout 0\n'
esp_put "$WORK/disk-c.img" "$(kernel_image)" /vmlinuz
esp_put "$WORK/disk-c.img" "$(shared_initramfs)" /initrd.cpio
esp_put "$WORK/disk-c.img" "$WORK/uki.addon.efi" /addon.efi
esp_write "$WORK/disk-c.img" /loader/entries/a-addon.conf $'title an addon, started\nsort-key a\nefi /addon.efi\n'
esp_write "$WORK/disk-c.img" /loader/entries/t1.conf \
        $'title smbios\nlinux /vmlinuz\ninitrd /initrd.cpio\noptions '"$OPTIONS"$'\n'
QEMU_SMBIOS_TYPE11="io.systemd.boot.kernel-cmdline-extra=keel.boot.extra=4
io.systemd.stub.kernel-cmdline-extra=keel.stub.extra=5" qemu_boot "$WORK/c" "$WORK/disk-c.img" || true
expect_report_complete "$WORK/c"
expect_eq "C: keel was the loader" "$(report_value "$WORK/c" "EFIVAR LoaderInfo")" "keel 0.1"
c=$(tr -d '\r' <"$WORK/c/console.log")
expect_eq "C: the started addon returned (EFI_UNSUPPORTED), with one line" \
        "$(grep -ac 'keel: entry a-addon.conf failed: unsupported' <<<"$c")" 1
expect_eq "C: keel went on to the next entry" "$(report_value "$WORK/c" "EFIVAR LoaderEntrySelected")" "t1.conf"
expect_eq "C: the entry's options + the SMBIOS boot string" "$(report_value "$WORK/c" CMDLINE)" \
        "$OPTIONS keel.boot.extra=4"
expect_eq "C: PCR 12 (sha256) = the options with the extra, measured once" "$(booted_pcr "$WORK/c" sha256 12)" \
        "$($PCR_CHECK extend sha256 "$ZERO256" "$($PCR_CHECK utf16 "$OPTIONS keel.boot.extra=4")")"
exit $((FAILURES > 0))
