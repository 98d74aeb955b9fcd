#!/bin/bash
# Automatic boot assessment, unattended, in ONE QEMU run with reboots:
# generation 3 (newest) is a corrupt UKI, generation 2 a valid UKI whose
# initramfs exits (kernel panic, panic=-1 reboots), generation 1 is good; all
# start with +3. Generation 3 fails to start and keel falls back to
# generation 2 in the same boot; generation 2 is tried exactly 3 times; then
# generation 1 boots with no input and `keel bless good` run inside it
# removes its counter. Afterwards the ESP shows generations 3 and 2 as +0-3.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
WORK=$1

# Generation 2's initramfs: announce itself, then let init exit (panic).
mkdir -p "$WORK/gen2"
cat >"$WORK/gen2/init" <<'SCRIPT'
#!/bin/busybox sh
/bin/busybox mount -t devtmpfs devtmpfs /dev
echo "GEN2-BOOTED" >/dev/ttyS1
exit 1
SCRIPT
chmod +x "$WORK/gen2/init"
mkdir -p "$WORK/gen2/bin" && cp /bin/busybox "$WORK/gen2/bin/"
(cd "$WORK/gen2" && find . | cpio --create --format=newc --quiet) >"$WORK/gen2.cpio"

# Generation 1's initramfs: report, then bless the boot from inside.
cat >"$WORK/bless-scenario" <<'SCRIPT'
#!/bin/sh
mount -t vfat /dev/vda1 /efi || echo "BLESS-MOUNT-FAILED"
echo "BLESS-STATUS-BEFORE=$(keel bless status)"
keel bless good && echo "BLESS-GOOD-DONE"
echo "BLESS-STATUS-AFTER=$(keel bless status)"
umount /efi
SCRIPT
INITRAMFS_MODULES="$ESP_MODULES" INITRAMFS_BINARIES="$KEEL" \
        build_initramfs "$WORK/gen1.cpio" "$WORK/bless-scenario" "$KEEL:/bin/keel"

make_keel_uki "$WORK/gen1.efi" keeltest 1 gen1 "$WORK/gen1.cpio"
make_keel_uki "$WORK/gen2.efi" keeltest 2 gen2 "$WORK/gen2.cpio"
make_keel_uki "$WORK/gen3.efi" keeltest 3 gen3 "$(shared_initramfs)"
# Corrupt generation 3: wipe the embedded kernel's headers, so its stub
# cannot start it and returns to the loader.
corrupt_uki_kernel "$WORK/gen3.efi"

esp_image_create "$WORK/disk.img"
esp_put "$WORK/disk.img" "$KEEL_EFI" /EFI/BOOT/BOOTX64.EFI
esp_write "$WORK/disk.img" /loader/loader.conf $'timeout 0\n'
esp_put "$WORK/disk.img" "$WORK/gen3.efi" /EFI/Linux/keeltest-3+3.efi
esp_put "$WORK/disk.img" "$WORK/gen2.efi" /EFI/Linux/keeltest-2+3.efi
esp_put "$WORK/disk.img" "$WORK/gen1.efi" /EFI/Linux/keeltest-1+3.efi

QEMU_REBOOT=1 QEMU_TIMEOUT=420 qemu_boot "$WORK" "$WORK/disk.img" || true

expect_eq "generation 2 was tried exactly 3 times" "$(grep -ac GEN2-BOOTED "$WORK/report.log")" 3
expect_eq "generation 3's failure was followed by a fallback in the same boot (3 boots)" \
        "$(tr -d '\r' <"$WORK/console.log" | grep -c 'keel: trying the next entry: keeltest-2.efi')" 3
expect_report_complete "$WORK"
expect_eq "generation 1 booted with no input" "$(booted_marker "$WORK")" gen1
expect_eq "LoaderBootCountPath named generation 1's counted file" \
        "$(report_value "$WORK" "EFIVAR LoaderBootCountPath")" '\EFI\Linux\keeltest-1+2-1.efi'
expect_eq "keel bless status before" "$(report_value "$WORK" BLESS-STATUS-BEFORE)" indeterminate
expect_true "keel bless good ran" report_has "$WORK" BLESS-GOOD-DONE
expect_eq "keel bless status after" "$(report_value "$WORK" BLESS-STATUS-AFTER)" good
# The failed generations measured nothing: PCR 11 is generation 1's alone.
expect_eq "PCR 11 is what keel pcr predict says for generation 1" \
        "$(report_value "$WORK" "PCR sha256 11" | tr 'A-F' 'a-f')" \
        "$("$KEEL" pcr predict --bank sha256 --phase= "$WORK/gen1.efi" | sed -n 's/^11:sha256=//p')"
expect_eq "the ESP afterwards" "$(esp_ls "$WORK/disk.img" /EFI/Linux | sed 's|.*/||' | sort | tr '\n' ' ')" \
        "keeltest-1.efi keeltest-2+0-3.efi keeltest-3+0-3.efi "
exit $((FAILURES > 0))
