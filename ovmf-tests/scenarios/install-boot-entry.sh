#!/bin/bash
# Migration from systemd-boot (issue 25, defect 4): a machine whose NVRAM
# has systemd-boot's Boot#### first in BootOrder (made by efibootmgr, as
# `bootctl install` leaves it) runs `keel install` from inside the running
# OS, on its real ESP partition; the next boot must start keel through
# keel's own firmware boot entry (\EFI\keel\keelx64.efi), not systemd-boot
# and not the removable path. efibootmgr is the peer for the encoding (its
# Boot#### for the same partition and path has the same bytes) and for the
# decoding (efibootmgr -v reads keel's entry as HD(...)/File(...)).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
WORK=$1

command -v efibootmgr >/dev/null || { echo "  FAIL: efibootmgr is not installed (scripts/install-deps)"; exit 1; }

cat >"$WORK/stage1" <<'SCRIPT'
#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
G=8be4df61-93ca-11d2-aa0d-00e098032b8c
V=/sys/firmware/efi/efivars
hexvar() { tail -c +5 "$V/$1-$G" | od -An -tx1 -v | tr -d ' \n'; }
mkdir -p /efi /profiles /var/tmp
mount -t vfat /dev/vda1 /efi || echo "STAGE1-MOUNT-FAILED"
ln -s /gens/1 /profiles/system-1-link
# systemd-boot's entry first in BootOrder, as `bootctl install` leaves it.
efibootmgr --create --disk /dev/vda --part 1 --loader '\EFI\systemd\systemd-bootx64.efi' \
        --label 'Linux Boot Manager' >/dev/null && echo "SDBOOT-ENTRY-CREATED"
sd=$(efibootmgr | awk '$2 == "Linux" { print substr($1, 5, 4) }')
echo "SDBOOT-ENTRY=$sd"
echo "BOOTORDER-BEFORE=$(hexvar BootOrder)"
# efibootmgr's encoding of keel's entry, then gone again.
efibootmgr --create --disk /dev/vda --part 1 --loader '\EFI\keel\keelx64.efi' --label keel >/dev/null
twin=$(efibootmgr | awk '$2 == "keel" { print substr($1, 5, 4) }')
echo "EFIBOOTMGR-KEEL=$(hexvar Boot$twin)"
efibootmgr -b "$twin" -B >/dev/null
# keel install, from inside the running OS.
keel install --stub /keelx64.efi --esp /efi --profiles /profiles /profiles/system-1-link >/tmp/out 2>/tmp/err
echo "INSTALL-RC=$?"
sed 's/^/INSTALL-OUT /' /tmp/out
sed 's/^/INSTALL-ERR /' /tmp/err
n=$(sed -n 's/^boot-entry Boot//p' /tmp/out)
echo "KEEL-ENTRY=$n"
echo "KEEL-ENTRY-BYTES=$(hexvar Boot$n)"
echo "BOOTORDER-AFTER=$(hexvar BootOrder)"
efibootmgr -v | grep "^Boot$n" | sed 's/^/EFIBOOTMGR-V /'
keel install --stub /keelx64.efi --esp /efi --profiles /profiles /profiles/system-1-link >/tmp/out2 2>&1
echo "INSTALL2-RC=$?"
echo "INSTALL2-BOOT-LINES=$(grep -c boot- /tmp/out2)"
echo "BOOTORDER-AFTER2=$(hexvar BootOrder)"
rm /efi/EFI/Linux/stage1.efi
umount /efi
sync
echo "STAGE1-DONE"
reboot -f
SCRIPT

cat >"$WORK/boot.json" <<JSON
{"org.nixos.bootspec.v1": {"system": "x86_64-linux", "init": "/nix/store/keeltest-1/init",
 "initrd": "/gens/1/initrd", "kernel": "/gens/1/kernel",
 "kernelParams": ["console=ttyS0", "loglevel=1", "panic=-1", "keel.test=stage2"],
 "label": "keel after migration", "toplevel": "/nix/store/keeltest-1"}}
JSON
INITRAMFS_MODULES="$ESP_MODULES" INITRAMFS_BINARIES="$KEEL $(command -v efibootmgr)" \
        build_initramfs "$WORK/stage1.cpio" "$WORK/stage1" "$KEEL:/bin/keel" "$KEEL_EFI:/keelx64.efi" \
        "$WORK/boot.json:/gens/1/boot.json" "$(kernel_image):/gens/1/kernel" "$(shared_initramfs):/gens/1/initrd"
make_keel_uki "$WORK/stage1.efi" keeltest 1 stage1 "$WORK/stage1.cpio"

disk=$WORK/disk.img
esp_image_create "$disk"
mmd -i "$disk@@1M" ::/EFI/systemd
esp_put "$disk" "$SYSTEMD_BOOT_EFI" /EFI/BOOT/BOOTX64.EFI
esp_put "$disk" "$SYSTEMD_BOOT_EFI" /EFI/systemd/systemd-bootx64.efi
esp_write "$disk" /loader/loader.conf $'timeout 0\n'
esp_put "$disk" "$WORK/stage1.efi" /EFI/Linux/stage1.efi

# One QEMU run, two boots: systemd-boot -> stage 1 (keel install), reboot,
# then whatever the firmware starts -> generation 1 (the shared initramfs).
QEMU_REBOOT=1 QEMU_TIMEOUT=900 qemu_boot "$WORK/boot" "$disk" || true
R=$WORK/boot
values() { tr -d '\r' <"$R/report.log" | sed -n "s/^$1=//p"; }
expect_eq "stage 1 started by systemd-boot" "$(values "EFIVAR LoaderInfo" | head -1 | cut -c1-16)" "systemd-boot 252"
expect_true "stage 1 made systemd-boot's entry (efibootmgr)" report_has "$R" SDBOOT-ENTRY-CREATED
sd=$(values SDBOOT-ENTRY)
expect_eq "before: systemd-boot's Boot$sd first in BootOrder" "$(values BOOTORDER-BEFORE | cut -c1-4)" \
        "$(printf '%s' "$sd" | sed 's/\(..\)\(..\)/\2\1/' | tr 'A-F' 'a-f')"
expect_eq "keel install in the guest: exit 0" "$(values INSTALL-RC)" 0
n=$(values KEEL-ENTRY)
expect_true "keel install made a Boot#### ($n)" test -n "$n"
expect_eq "keel's Boot$n has efibootmgr's bytes for the same partition and path" \
        "$(values KEEL-ENTRY-BYTES)" "$(values EFIBOOTMGR-KEEL)"
expect_eq "after: Boot$n first, then systemd-boot's Boot$sd, then the firmware's own" \
        "$(values BOOTORDER-AFTER | cut -c1-8)" \
        "$(printf '%s%s' "$n" "$sd" | sed 's/\(..\)\(..\)\(..\)\(..\)/\2\1\4\3/' | tr 'A-F' 'a-f')"
expect_true "efibootmgr -v reads keel's entry: HD(1,GPT,ESP PARTUUID,...)/File(\\EFI\\keel\\keelx64.efi)" \
        sh -c "tr -d '\r' <'$R/report.log' | grep '^EFIBOOTMGR-V Boot$n' | grep -i 'HD(1,GPT,$ESP_PARTUUID,0x800,' | grep -qi 'File(\\\\EFI\\\\keel\\\\keelx64.efi)'"
expect_eq "second keel install: exit 0, no variable written" "$(values INSTALL2-RC) $(values INSTALL2-BOOT-LINES)" "0 0"
expect_eq "second keel install: BootOrder unchanged" "$(values BOOTORDER-AFTER2)" "$(values BOOTORDER-AFTER)"
expect_true "stage 1 finished and rebooted" report_has "$R" STAGE1-DONE
expect_true "next boot: the firmware started Boot$n \"keel\" from HD(1,GPT,ESP PARTUUID,0x800,...)/\\EFI\\keel\\keelx64.efi" \
        sh -c "cat '$R/report.log' '$R/console.log' | tr -d '\r' | grep -i 'BdsDxe: starting Boot$n \"keel\" from HD(1,GPT,$ESP_PARTUUID,0x800,' | grep -qF '/\\EFI\\keel\\keelx64.efi'"
expect_eq "next boot: keel started" "$(values "EFIVAR LoaderInfo" | sed -n 2p)" "keel 0.1"
expect_eq "next boot: through keel's entry, not the removable path" \
        "$(values "EFIVAR LoaderImageIdentifier" | sed -n 2p)" '\EFI\keel\keelx64.efi'
expect_eq "next boot: generation 1" "$(values CMDLINE | sed -n 2p | grep -o 'keel.test=[a-z0-9]*')" keel.test=stage2
expect_eq "the second boot reported to its end (stage 1 reboots before)" \
        "$(tr -d '\r' <"$R/report.log" | grep -c '^KEEL-REPORT-END$')" 1
exit $((FAILURES > 0))
