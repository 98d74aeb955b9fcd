#!/bin/bash
# Boot counting interoperates with systemd both ways:
#  (a) keel counts an entry, systemd-bless-boot 252 (inside the booted
#      initramfs) marks the boot good;
#  (b) systemd-boot 252 counts an entry, `keel bless good` marks it good.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
WORK=$1

cat >"$WORK/bless-scenario" <<'SCRIPT'
#!/bin/sh
mount -t vfat /dev/vda1 /efi || echo "BLESS-MOUNT-FAILED"
mkdir -p /run /var/tmp
if grep -q keel.test=systemd-bless /proc/cmdline; then
        SYSTEMD_RELAX_ESP_CHECKS=1 SYSTEMD_LOG_LEVEL=debug /usr/lib/systemd/systemd-bless-boot good &&
                echo "BLESS-GOOD-DONE"
        echo "BLESS-STATUS=$(SYSTEMD_RELAX_ESP_CHECKS=1 /usr/lib/systemd/systemd-bless-boot status)"
else
        keel bless good && echo "BLESS-GOOD-DONE"
        echo "BLESS-STATUS=$(keel bless status)"
fi
umount /efi
SCRIPT
INITRAMFS_MODULES="$ESP_MODULES" INITRAMFS_BINARIES="$KEEL /usr/lib/systemd/systemd-bless-boot" \
        build_initramfs "$WORK/bless.cpio" "$WORK/bless-scenario" "$KEEL:/bin/keel"

run_case() { # NAME LOADER MARKER
        local name=$1 loader=$2 marker=$3 disk=$WORK/$1.img
        make_keel_uki "$WORK/$name.efi" keeltest 1 "$marker" "$WORK/bless.cpio"
        esp_image_create "$disk"
        esp_put "$disk" "$loader" /EFI/BOOT/BOOTX64.EFI
        esp_write "$disk" /loader/loader.conf $'timeout 0\n'
        esp_put "$disk" "$WORK/$name.efi" /EFI/Linux/keeltest-1+3.efi
        qemu_boot "$WORK/$name" "$disk" || true
        expect_report_complete "$WORK/$name"
        expect_eq "$name: LoaderBootCountPath" "$(report_value "$WORK/$name" "EFIVAR LoaderBootCountPath")" \
                '\EFI\Linux\keeltest-1+2-1.efi'
        expect_true "$name: blessing succeeded" report_has "$WORK/$name" BLESS-GOOD-DONE
        expect_eq "$name: status after blessing" "$(report_value "$WORK/$name" BLESS-STATUS)" good
        expect_eq "$name: the ESP afterwards" "$(esp_ls "$disk" /EFI/Linux | sed 's|.*/||')" keeltest-1.efi
}

run_case keel-loader-systemd-bless "$KEEL_EFI" systemd-bless
expect_eq "keel was the loader" "$(report_value "$WORK/keel-loader-systemd-bless" "EFIVAR LoaderInfo")" "keel 0.1"
run_case systemd-boot-keel-bless "$SYSTEMD_BOOT_EFI" keel-bless
expect_true "systemd-boot was the loader" grep -q "EFIVAR LoaderInfo=systemd-boot 252" "$WORK/systemd-boot-keel-bless/report.log"
exit $((FAILURES > 0))
