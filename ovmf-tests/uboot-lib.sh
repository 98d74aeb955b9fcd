# The U-Boot harness (arm64), sourced by ovmf-tests/scenarios/uboot-*.sh
# right after aavmf/lib.sh (and loader-lib.sh, pcr-lib.sh): the same QEMU
# virt machine, kernel, initramfs, swtpm (tpm-tis-device) and report as the
# AAVMF scenarios, with Debian's U-Boot (u-boot-qemu, qemu_arm64) as the
# firmware instead of AAVMF. U-Boot starts \EFI\BOOT\BOOTAA64.EFI of the
# disk (its distro boot: no Boot#### is set), keeps its UEFI variables in
# \ubootefi.var on the ESP, cannot rename a file (efi_file_setinfo()),
# reports a loaded image's ImageSize as the end of its last section, and
# offers EFI_TCG2_PROTOCOL on the TPM.
#
# aavmf/lib.sh's qemu_boot runs it: QEMU's virt machine takes its firmware
# from the first flash bank, which must be 64 MiB; the second bank (where
# this U-Boot keeps its environment) starts empty.

UBOOT_BIN=/usr/lib/u-boot/qemu_arm64/u-boot.bin
[ -f "$UBOOT_BIN" ] || { echo "uboot: $UBOOT_BIN missing (scripts/install-deps installs u-boot-qemu)" >&2; exit 1; }
UBOOT_VERSION=$(dpkg-query -W -f='${Version}' u-boot-qemu 2>/dev/null || echo unknown)

# uboot_flash: u-boot.bin padded to the flash bank's 64 MiB, and an empty
# second bank, cached by package version; prints the directory.
uboot_flash() {
        cache_locked uboot-flash build_uboot_flash
        echo "$AA64_CACHE/uboot/$UBOOT_VERSION"
}
build_uboot_flash() {
        local dir=$AA64_CACHE/uboot/$UBOOT_VERSION
        [ -f "$dir/flash0.img" ] && [ -f "$dir/flash1.img" ] && return 0
        mkdir -p "$dir"
        cp "$UBOOT_BIN" "$dir/flash0.img.tmp"
        truncate -s 64M "$dir/flash0.img.tmp"
        truncate -s 64M "$dir/flash1.img"
        mv "$dir/flash0.img.tmp" "$dir/flash0.img"
}
UBOOT_FLASH=$(uboot_flash)
AAVMF_CODE_FILE=$UBOOT_FLASH/flash0.img
OVMF_VARS_TEMPLATE=$UBOOT_FLASH/flash1.img
# U-Boot's prompt: every boot option failed, nothing more will happen.
AA64_STOP_PATTERN='^=> $'
export AAVMF_CODE_FILE OVMF_VARS_TEMPLATE AA64_STOP_PATTERN
