# Helpers for the edk2-nx-* scenarios (issue 24): EDK II's strict-NX builds
# of later Debian suites — trixie's edk2 2025.02, sid's 2026.08 — instead of
# Debian 12's 2022.11. Their OVMF_CODE_4M.secboot.strictnx.fd and
# AAVMF_CODE.secboot.strictnx.fd offer EFI_MEMORY_ATTRIBUTE_PROTOCOL and map
# every image and allocation with strict page permissions. Sourced after
# lib.sh and sb-lib.sh (and aavmf/lib.sh for arm64: the architecture is
# whichever harness was sourced); the boots themselves are lib.sh's,
# sb-lib.sh's and aavmf/lib.sh's, with the firmware, variable store and
# snakeoil keys swapped.
#
# The packages (ovmf or, from 2026.08 on, ovmf-generic; qemu-efi-aarch64)
# are fetched with scripts/debian-suite (private apt configuration, cached
# under $BUILD/debian/SUITE keyed by version), never installed.

# edk2_use SUITE: the suite's strict-NX EDK II for this architecture. Sets
# EDK2_VERSION (the package's), EDK2_CODE, EDK2_VARS (no keys: Secure Boot
# off), EDK2_SB_VARS (Secure Boot on, the package's snakeoil certificate in
# PK, KEK and db) and points SNAKEOIL_KEY/SNAKEOIL_CERT (sb-lib.sh's
# snakeoil_sign) at that package's own key pair, which is not Debian 12's.
edk2_use() {
        cache_locked "edk2-$1" edk2_unpack "$1" || { echo "edk2: no EDK II from $1" >&2; return 1; }
        echo "edk2: $1's EDK II $EDK2_VERSION ($EDK2_PACKAGE), $(basename "$EDK2_CODE")"
}
edk2_unpack() {
        local suite=$1 dir share keys
        if [ -n "${AAVMF_LIB_DIR:-}" ]; then
                EDK2_PACKAGE=qemu-efi-aarch64
                share=usr/share/AAVMF
                keys=usr/share/qemu-efi-aarch64
        else
                # sid split ovmf into ovmf-generic and confidential-computing
                # builds (ovmf is now their metapackage).
                EDK2_PACKAGE=ovmf
                "$KEEL_SRC/scripts/debian-suite" "$BUILD" "$suite" version ovmf-generic:all >/dev/null 2>&1 &&
                        EDK2_PACKAGE=ovmf-generic
                share=usr/share/OVMF
                keys=usr/share/ovmf
        fi
        EDK2_VERSION=$("$KEEL_SRC/scripts/debian-suite" "$BUILD" "$suite" version "$EDK2_PACKAGE:all") || return 1
        dir=$("$KEEL_SRC/scripts/debian-suite" "$BUILD" "$suite" unpack "$EDK2_PACKAGE:all") || return 1
        if [ -n "${AAVMF_LIB_DIR:-}" ]; then
                EDK2_CODE=$dir/$share/AAVMF_CODE.secboot.strictnx.fd
                EDK2_VARS=$dir/$share/AAVMF_VARS.fd
                EDK2_SB_VARS=$dir/$share/AAVMF_VARS.snakeoil.fd
        else
                EDK2_CODE=$dir/$share/OVMF_CODE_4M.secboot.strictnx.fd
                EDK2_VARS=$dir/$share/OVMF_VARS_4M.fd
                EDK2_SB_VARS=$dir/$share/OVMF_VARS_4M.snakeoil.fd
        fi
        SNAKEOIL_KEY=$dir/$keys/PkKek-1-snakeoil.key
        SNAKEOIL_CERT=$dir/$keys/PkKek-1-snakeoil.pem
        local f
        for f in "$EDK2_CODE" "$EDK2_VARS" "$EDK2_SB_VARS" "$SNAKEOIL_KEY" "$SNAKEOIL_CERT"; do
                [ -f "$f" ] || { echo "edk2: $EDK2_PACKAGE $EDK2_VERSION has no $(basename "$f")" >&2; return 1; }
        done
}

# edk2_boot WORKDIR DISK on|off: boots DISK with the strict-NX firmware of
# edk2_use, Secure Boot on (snakeoil variables) or off (empty variables).
# QEMU_REBOOT and the other qemu_boot switches apply. x86-64: the strict-NX
# image is a Secure Boot build, so SMM and a secure flash, as sb_boot
# gives (stopped once every boot option failed); arm64: AAVMF's qemu_boot.
edk2_boot() {
        local vars=$EDK2_VARS
        [ "$3" = on ] && vars=$EDK2_SB_VARS
        if [ -n "${AAVMF_LIB_DIR:-}" ]; then
                AAVMF_CODE_FILE=$EDK2_CODE OVMF_VARS_TEMPLATE=$vars qemu_boot "$1" "$2"
        else
                SB_CODE=$EDK2_CODE sb_boot "$1" "$2" "$vars" "$SB_ALL_FAILED"
        fi
}

# edk2_boot_path: where the firmware looks for the boot loader on this
# architecture's removable-media path.
edk2_boot_path() {
        if [ -n "${AAVMF_LIB_DIR:-}" ]; then echo "$AA64_BOOT_EFI"; else echo /EFI/BOOT/BOOTX64.EFI; fi
}

# edk2_panic_initramfs OUT: an initramfs whose init announces itself on the
# console ("EDK2-PANIC-BOOTED") and exits: the kernel panics and, with
# panic=-1, reboots (a counted entry that fails).
edk2_panic_initramfs() {
        local root
        root=$(mktemp -d)
        mkdir -p "$root/bin" "$root/dev"
        printf '%s\n' '#!/bin/busybox sh' '/bin/busybox mount -t devtmpfs devtmpfs /dev' \
                'echo EDK2-PANIC-BOOTED >/dev/console' 'exit 1' >"$root/init"
        chmod +x "$root/init"
        cp "$INITRAMFS_BUSYBOX" "$root/bin/busybox"
        (cd "$root" && find . | cpio --create --format=newc --quiet) >"$1"
        rm -rf "$root"
}

# expect_own_pe_loader WORKDIR UKI: the kernel of UKI ran through keel's own
# PE loader, which protected it with the firmware's
# EFI_MEMORY_ATTRIBUTE_PROTOCOL: the firmware's PCR 4 log has UKI but not
# the kernel (the firmware's LoadImage() would have measured it), keel
# never failed to protect it, and it never came back.
expect_own_pe_loader() {
        local w=$1
        expect_true "tpm2_eventlog parses the event log" eventlog_parse "$w"
        pcr4_applications "$w" >"$w/pcr4.txt"
        expect_true "PCR 4 has the UKI" grep -qx "$(authenticode "$2")" "$w/pcr4.txt"
        expect_true "PCR 4 lacks the kernel: keel's own PE loader ran it" \
                bash -c "! grep -qx '$(authenticode "$(kernel_image)")' '$w/pcr4.txt'"
        expect_true "keel protected the kernel's memory (no W^X failure)" \
                bash -c "! tr -d '\r' <'$w/console.log' | grep -aq 'keel: cannot protect the kernel'"
        expect_true "no kernel came back to keel" bash -c "! tr -d '\r' <'$w/console.log' | grep -aq 'keel: kernel returned'"
}

# edk2_uki_direct WORKDIR: Secure Boot off, keel's UKI as the firmware's
# boot loader (nothing else on the ESP): it boots with its command line,
# the stub's variables, PCR 11 as keel pcr predict says, through keel's
# own PE loader.
edk2_uki_direct() {
        local w=$1
        mkdir -p "$w"
        make_keel_uki "$w/uki.efi" keeltest 1 direct
        esp_image_create "$w.img"
        esp_put "$w.img" "$w/uki.efi" "$(edk2_boot_path)"
        edk2_boot "$w" "$w.img" off || true
        expect_report_complete "$w"
        expect_eq "Secure Boot is off" "$(report_value "$w" SECUREBOOT)" 00
        expect_eq "the UKI's kernel booted with its command line" "$(booted_marker "$w")" direct
        expect_eq "StubInfo" "$(report_value "$w" "EFIVAR StubInfo")" "keel 0.1"
        expect_eq "StubImageIdentifier: the UKI's path" "$(report_value "$w" "EFIVAR StubImageIdentifier")" \
                "$(edk2_boot_path | tr / '\\')"
        expect_eq "PCR 11 = keel pcr predict" "$(booted_pcr "$w" sha256 11)" \
                "$("$KEEL" pcr predict --bank sha256 --phase= "$w/uki.efi" | sed -n 's/^11:sha256=//p')"
        expect_own_pe_loader "$w" "$w/uki.efi"
}

# edk2_loader_secure_boot WORKDIR [no-tpm]: Secure Boot on, one QEMU run,
# two boots: keel as the loader (signed with the package's snakeoil key,
# loader.conf timeout 0); keeltest-3 (newest) unsigned, keeltest-2+1
# signed but its kernel panics, keeltest-1 signed and good. Boot 1: the
# firmware refuses keeltest-3 for keel, which falls back to keeltest-2 (its
# counter now +0-1), which panics; boot 2: keeltest-3 refused again,
# keeltest-2 is bad now, keeltest-1 boots unattended, through keel's own
# PE loader. With no-tpm, no PCR checks: Debian 12's arm64 kernel under
# AAVMF 2025.02 with Secure Boot on reports no TPM (most likely its
# lockdown refusing the unsigned tpm_tis.ko aavmf/lib.sh builds; with
# Secure Boot off it has one).
edk2_loader_secure_boot() {
        local w=$1 n
        mkdir -p "$w"
        snakeoil_sign "$KEEL_EFI" "$w/keel.efi"
        make_keel_uki "$w/good.efi" keeltest 1 good
        snakeoil_sign "$w/good.efi" "$w/good-signed.efi"
        edk2_panic_initramfs "$w/panic.cpio"
        make_keel_uki "$w/panic.efi" keeltest 2 panic "$w/panic.cpio"
        snakeoil_sign "$w/panic.efi" "$w/panic-signed.efi"
        make_keel_uki "$w/unsigned.efi" keeltest 3 unsigned
        esp_image_create "$w.img" 192
        esp_put "$w.img" "$w/keel.efi" "$(edk2_boot_path)"
        esp_write "$w.img" /loader/loader.conf $'timeout 0\n'
        esp_put "$w.img" "$w/unsigned.efi" /EFI/Linux/keeltest-3.efi
        esp_put "$w.img" "$w/panic-signed.efi" /EFI/Linux/keeltest-2+1.efi
        esp_put "$w.img" "$w/good-signed.efi" /EFI/Linux/keeltest-1.efi
        QEMU_REBOOT=1 QEMU_TIMEOUT=480 edk2_boot "$w" "$w.img" on || true
        n=$(tr -d '\r' <"$w/console.log" | grep -Eac 'keel: cannot load .EFI.Linux.keeltest-3.efi: (access denied|security violation)')
        expect_eq "the unsigned UKI was refused by the firmware, in both boots" "$n" 2
        expect_eq "the panicking counted entry ran once" "$(tr -d '\r' <"$w/console.log" | grep -ac '^EDK2-PANIC-BOOTED')" 1
        expect_report_complete "$w"
        expect_eq "SecureBoot is on" "$(report_value "$w" SECUREBOOT)" 01
        expect_eq "the good UKI booted, unattended" "$(report_value "$w" "EFIVAR LoaderEntrySelected")" keeltest-1.efi
        expect_eq "its kernel, with its signed command line" "$(booted_marker "$w")" good
        expect_eq "the ESP afterwards: the failed try counted" \
                "$(esp_ls "$w.img" /EFI/Linux | sed 's|.*/||' | sort | tr '\n' ' ')" \
                "keeltest-1.efi keeltest-2+0-1.efi keeltest-3.efi "
        if [ "${2:-}" = no-tpm ]; then
                expect_eq "the kernel saw no TPM, as said" "$(report_value "$w" TPM)" absent
                expect_true "keel protected the kernel's memory (no W^X failure)" \
                        bash -c "! tr -d '\r' <'$w/console.log' | grep -aq 'keel: cannot protect the kernel'"
                expect_true "no kernel came back to keel" bash -c "! tr -d '\r' <'$w/console.log' | grep -aq 'keel: kernel returned'"
                return
        fi
        expect_eq "PCR 11 = keel pcr predict for the good UKI" "$(booted_pcr "$w" sha256 11)" \
                "$("$KEEL" pcr predict --bank sha256 --phase= "$w/good-signed.efi" | sed -n 's/^11:sha256=//p')"
        expect_own_pe_loader "$w" "$w/good-signed.efi"
}
