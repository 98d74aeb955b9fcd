# The AAVMF (arm64) harness, sourced by ovmf-tests/scenarios/aa64-*.sh right
# after ../lib.sh (and any of loader-lib.sh, sb-lib.sh, pcr-lib.sh). It
# redefines what is architecture-specific there — the kernel, the
# initramfs, the firmware, QEMU, the EFI file names — and keeps everything
# else (ESP images, reports, assertions) shared with the x86-64 scenarios:
#
#   qemu-system-aarch64 -M virt -cpu cortex-a57, AAVMF (qemu-efi-aarch64),
#   swtpm as a tpm-tis-device, the firmware/kernel console on the PL011
#   (console.log), the initramfs report on a virtconsole (/dev/hvc0 in the
#   guest, report.log), Debian's arm64 kernel, busybox-static:arm64 and
#   systemd-boot-efi:arm64 unpacked into $BUILD/aavmf, and tpm_tis.ko built
#   out of tree with the cross compiler (Debian's arm64 kernel lacks it).
#
# Everything downloaded or built is cached under $BUILD/aavmf keyed by
# package versions: a second run downloads and builds nothing.

AAVMF_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
AA64_CACHE=$BUILD/aavmf
source "$AAVMF_LIB_DIR/debs.sh"

AAVMF_DIR=/usr/share/AAVMF
AAVMF_CODE=$AAVMF_DIR/AAVMF_CODE.fd
AAVMF_VARS=$AAVMF_DIR/AAVMF_VARS.fd
AA64_BOOT_EFI=/EFI/BOOT/BOOTAA64.EFI
AA64_CONSOLE=ttyAMA0
KEEL_EFI=$BUILD/keelaa64.efi

# aa64_kernel_modules_ready ROOT KREL: the unpacked kernel has a modules.dep
# (the package ships none), so modinfo can resolve dependencies.
aa64_kernel_modules_ready() {
        [ -f "$1/lib/modules/$2/modules.dep" ] || depmod -b "$1" "$2"
}

# aa64_tpm_tis KREL VERSION: tpm_tis.ko for the arm64 kernel KREL (package
# VERSION), built out of tree against Debian's arm64 headers with the cross
# compiler, and cached. The headers' kbuild helpers (fixdep, modpost) are
# arm64 programs, so the host's linux-kbuild package (same version)
# provides them; the three unpacked packages are merged (hard links) so the
# headers' relative symlinks resolve, and the headers' absolute include is
# pointed at the merged tree.
aa64_tpm_tis() {
        local krel=$1 ver=$2 series common_pkg out tmp tree h c k s
        series=$(echo "$krel" | cut -d. -f1-2)
        common_pkg=linux-headers-${krel%-arm64}-common
        out=$AA64_CACHE/tpm_tis/${krel}_$ver/tpm_tis.ko
        if [ ! -f "$out" ]; then
                aa64_debs "linux-headers-$krel:arm64" "$common_pkg" \
                        "linux-kbuild-$series:$(dpkg --print-architecture)" "linux-source-$series" || return 1
                h=${AA64_DIRS[0]} c=${AA64_DIRS[1]} k=${AA64_DIRS[2]} s=${AA64_DIRS[3]}
                echo "aavmf: building tpm_tis.ko for $krel" >&2
                tmp=$AA64_CACHE/tpm_tis/.build
                rm -rf "$tmp"
                mkdir -p "$tmp/tree" "$tmp/mod"
                cp -al "$h/usr" "$c/usr" "$k/usr" "$tmp/tree/" 2>/dev/null ||
                        { cp -al "$h/." "$tmp/tree/" && cp -al "$c/." "$tmp/tree/" && cp -al "$k/." "$tmp/tree/"; } || return 1
                tree=$tmp/tree/usr/src/linux-headers-$krel
                rm -f "$tree/Makefile"
                printf 'include %s/Makefile\n' "$tmp/tree/usr/src/$common_pkg" >"$tree/Makefile"
                tar -xJf "$s/usr/src/linux-source-$series.tar.xz" -C "$tmp/mod" --strip-components=4 \
                        "linux-source-$series/drivers/char/tpm/tpm_tis.c" "linux-source-$series/drivers/char/tpm/tpm_tis_core.h" \
                        "linux-source-$series/drivers/char/tpm/tpm.h" || return 1
                echo 'obj-m := tpm_tis.o' >"$tmp/mod/Kbuild"
                make -s -C "$tree" M="$tmp/mod" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- modules \
                        >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log" >&2; return 1; }
                mkdir -p "$(dirname "$out")"
                cp "$tmp/mod/tpm_tis.ko" "$out.tmp"
                mv "$out.tmp" "$out"
                # The kernel source (280 MB packed and unpacked) is not needed
                # again once the module is cached.
                rm -rf "$tmp" "$s" "$AA64_CACHE/debs/linux-source-${series}_${AA64_VERSIONS[3]//:/%3a}_all.deb"
        fi
        echo "$out"
}

# aa64_setup: the arm64 kernel, busybox, systemd-boot and tpm_tis.ko (all
# cached), as AA64_* variables. Run once when this file is sourced.
aa64_setup() {
        local kpkg
        aa64_apt_ready || return 1
        kpkg=$(aa64_depends_on linux-image-arm64:arm64 linux-image-)
        [ -n "$kpkg" ] || { echo "aavmf: apt has no linux-image-arm64:arm64" >&2; return 1; }
        AA64_KREL=${kpkg#linux-image-}
        aa64_debs "$kpkg:arm64" busybox-static:arm64 systemd-boot-efi:arm64 || return 1
        AA64_KERNEL_ROOT=${AA64_DIRS[0]}
        aa64_kernel_modules_ready "$AA64_KERNEL_ROOT" "$AA64_KREL"
        AA64_BUSYBOX=${AA64_DIRS[1]}/bin/busybox
        SYSTEMD_BOOT_EFI=${AA64_DIRS[2]}/usr/lib/systemd/boot/efi/systemd-bootaa64.efi
        SYSTEMD_STUB=${AA64_DIRS[2]}/usr/lib/systemd/boot/efi/linuxaa64.efi.stub
        AA64_TPM_TIS=$(aa64_tpm_tis "$AA64_KREL" "${AA64_VERSIONS[0]}") || return 1
}
cache_locked aavmf-setup aa64_setup || { echo "aavmf: the arm64 harness could not be set up" >&2; exit 1; }
INITRAMFS_BUSYBOX=$AA64_BUSYBOX

kernel_image() {
        echo "$AA64_KERNEL_ROOT/boot/vmlinuz-$AA64_KREL"
}

kernel_release() {
        echo "$AA64_KREL"
}

# module_load_order MODULE...: as in lib.sh, from the unpacked arm64 kernel.
module_load_order() {
        local seen=" "
        visit() {
                local m=$1 dep
                case "$seen" in *" $m "*) return ;; esac
                seen="$seen$m "
                for dep in $(modinfo -b "$AA64_KERNEL_ROOT" -k "$AA64_KREL" -F depends "$m" | tr ',' ' '); do
                        visit "$dep"
                done
                modinfo -b "$AA64_KERNEL_ROOT" -k "$AA64_KREL" -n "$m" | sed "s|^/lib/modules|$AA64_KERNEL_ROOT/lib/modules|"
        }
        for m in "$@"; do
                visit "$m"
        done
}

# The report's virtconsole (virtio-mmio) and the TPM, beside lib.sh's ESP modules.
AA64_BASE_MODULES="virtio_mmio virtio_console tpm_tis_core"

# aa64_init OUT: ovmf-tests/initramfs/init (the one reporting script of both
# architectures) with the report on /dev/hvc0, waited for, since
# virtio_console probes asynchronously (a write before it exists would
# create a plain file in /dev), and the device-tree report after
# KEEL-REPORT-BEGIN. Fails if the script no longer has those lines.
aa64_init() {
        local src=$KEEL_SRC/ovmf-tests/initramfs/init
        [ "$(grep -cx 'REPORT=/dev/ttyS1' "$src")" = 1 ] &&
                [ "$(grep -cx 'report "KEEL-REPORT-BEGIN"' "$src")" = 1 ] ||
                { echo "aavmf: $src changed: no single REPORT=/dev/ttyS1 / KEEL-REPORT-BEGIN line" >&2; return 1; }
        sed -e 's|^REPORT=/dev/ttyS1$|REPORT=/dev/hvc0; i=0; while [ ! -c $REPORT ] \&\& [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done|' \
                -e 's|^report "KEEL-REPORT-BEGIN"$|&\n. /aa64-report|' "$src" >"$1"
        chmod +x "$1"
}

# lib.sh's build_initramfs for arm64: its busybox, /init reporting on
# /dev/hvc0, the virt machine's modules and tpm_tis.ko. INITRAMFS_BINARIES
# cannot be used (host programs do not run in an arm64 guest).
initramfs_arch_files() { # ROOT
        [ -z "${INITRAMFS_BINARIES:-}" ] || { echo "aavmf: INITRAMFS_BINARIES are host programs" >&2; return 1; }
        aa64_init "$1/init"
        cp "$AAVMF_LIB_DIR/aa64-report" "$1/aa64-report"
}
initramfs_module_files() {
        module_load_order efivarfs $AA64_BASE_MODULES ${INITRAMFS_MODULES:-}
        echo "$AA64_TPM_TIS"
}

shared_initramfs() {
        cache_locked shared-initramfs-aa64 build_shared_initramfs_aa64
        echo "$SHARED/initramfs-aa64.cpio"
}
build_shared_initramfs_aa64() {
        mkdir -p "$SHARED"
        [ -f "$SHARED/initramfs-aa64.cpio" ] || build_initramfs "$SHARED/initramfs-aa64.cpio"
}

# qemu_boot WORKDIR DISK [extra qemu args...]: lib.sh's qemu_boot for
# arm64, with the same switches: AAVMF_CODE_FILE / OVMF_VARS_TEMPLATE
# (firmware and initial variable store), QEMU_MACHINE (extra -machine
# options, e.g. ",dumpdtb=FILE"), QEMU_REBOOT, QEMU_CONSOLE_SOCKET,
# QEMU_DISK_READONLY, KEEL_NO_TPM. Returns QEMU's status; 124 on timeout.
qemu_boot() {
        local work=$1 disk=$2 rc=0 tpm_args=() reboot_args=(-no-reboot) stopper
        local console_args=(-serial file:"$work/console.log") disk_ro=""
        shift 2
        [ "${QEMU_REBOOT:-0}" = 1 ] && reboot_args=()
        [ "${QEMU_DISK_READONLY:-0}" = 1 ] && disk_ro=",readonly=on"
        if [ "${QEMU_CONSOLE_SOCKET:-0}" = 1 ]; then
                rm -f "$work/console.sock"
                console_args=(-chardev "socket,id=con0,path=$work/console.sock,server=on,wait=off,logfile=$work/console.log"
                              -serial chardev:con0)
        fi
        mkdir -p "$work"
        [ -f "$work/AAVMF_VARS.fd" ] || cp --sparse=always "${OVMF_VARS_TEMPLATE:-$AAVMF_VARS}" "$work/AAVMF_VARS.fd"
        rm -f "$work/console.log" "$work/report.log" "$work/qemu.pid"
        if [ "${KEEL_NO_TPM:-0}" != 1 ]; then
                mkdir -p "$work/tpm"
                swtpm socket --tpm2 --tpmstate dir="$work/tpm" \
                        --ctrl type=unixio,path="$work/tpm/sock" --terminate \
                        --log file="$work/tpm/swtpm.log" --daemon --pid file="$work/tpm/pid"
                tpm_args=(-chardev "socket,id=chrtpm,path=$work/tpm/sock"
                          -tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-tis-device,tpmdev=tpm0)
        fi
        # AAVMF's last boot option is its UEFI shell: reaching its prompt
        # (or, under Secure Boot, which refuses the shell, the message that
        # nothing could be booted) means every boot option failed; nothing
        # more will happen.
        aa64_stop_at "$work" "${AA64_STOP_PATTERN-Shell> |No bootable option or device was found}" &
        stopper=$!
        timeout --foreground "$QEMU_TIMEOUT" qemu-system-aarch64 -pidfile "$work/qemu.pid" \
                -machine "virt${QEMU_MACHINE:-}" -cpu cortex-a57 -m 1024 -smp 1 -nographic "${reboot_args[@]}" -nodefaults \
                -drive if=pflash,format=raw,unit=0,readonly=on,file="${AAVMF_CODE_FILE:-$AAVMF_CODE}" \
                -drive if=pflash,format=raw,unit=1,file="$work/AAVMF_VARS.fd" \
                -drive if=none,id=disk0,format=raw,file="$disk"$disk_ro -device virtio-blk-pci,drive=disk0,bootindex=1 \
                "${console_args[@]}" \
                -chardev file,id=report,path="$work/report.log" \
                -device virtio-serial-device -device virtconsole,chardev=report \
                -net none "${tpm_args[@]}" "$@" </dev/null >"$work/qemu.log" 2>&1 || rc=$?
        rm -f "$work/qemu.pid"
        wait "$stopper"
        if [ -f "$work/tpm/pid" ]; then
                kill "$(cat "$work/tpm/pid")" 2>/dev/null || true
                rm -f "$work/tpm/pid"
        fi
        return $rc
}

# aa64_stop_at WORKDIR PATTERN: stops the QEMU of WORKDIR/qemu.pid once its
# console shows PATTERN (an ERE; none: returns); returns when QEMU is gone.
aa64_stop_at() {
        local work=$1 pattern=$2 i=0
        [ -n "$pattern" ] || return 0
        while [ ! -s "$work/qemu.pid" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
        while [ -s "$work/qemu.pid" ] && kill -0 "$(cat "$work/qemu.pid" 2>/dev/null)" 2>/dev/null; do
                if tr -d '\r' 2>/dev/null <"$work/console.log" | grep -aqE -- "$pattern"; then
                        echo "aavmf: console shows '$pattern': stopping QEMU" >>"$work/qemu.log"
                        kill "$(cat "$work/qemu.pid")" 2>/dev/null || true
                        return 0
                fi
                sleep 1
        done
}

# aa64_cmdline MARKER: the command line the arm64 test UKIs carry.
aa64_cmdline() {
        echo "console=$AA64_CONSOLE loglevel=1 panic=-1 keel.test=$1"
}

# make_sdstub_uki OUT ID VERSION MARKER [INITRD]: loader-lib.sh's
# systemd-stub UKI for arm64 (systemd-stub 252 from systemd-boot-efi:arm64,
# packed with the cross objcopy, the way systemd's documentation shows).
make_sdstub_uki() {
        local out=$1 id=$2 version=$3 marker=$4 initrd=${5:-$(shared_initramfs)} tmp initrd_vma
        tmp=$(mktemp -d)
        printf 'ID=%s\nVERSION_ID=%s\nPRETTY_NAME="%s %s (systemd-stub)"\n' "$id" "$version" "$id" "$version" >"$tmp/osrel"
        printf '%s' "$(aa64_cmdline "$marker")" >"$tmp/cmdline"
        # The arm64 kernel (~32 MiB, uncompressed) does not fit below the
        # 0x3000000 the x86 recipe gives .initrd: place it after the kernel.
        initrd_vma=$(printf '0x%x' $(( (0x2000000 + $(stat -c %s "$(kernel_image)") + 0xfffff) & ~0xfffff )))
        aarch64-linux-gnu-objcopy --add-section .osrel="$tmp/osrel" --change-section-vma .osrel=0x20000 \
                --add-section .cmdline="$tmp/cmdline" --change-section-vma .cmdline=0x30000 \
                --add-section .linux="$(kernel_image)" --change-section-vma .linux=0x2000000 \
                --add-section .initrd="$initrd" --change-section-vma .initrd="$initrd_vma" \
                "$SYSTEMD_STUB" "$out"
        rm -rf "$tmp"
}

# make_keel_uki OUT ID VERSION MARKER [INITRD]: loader-lib.sh's keel UKI for arm64.
make_keel_uki() {
        local out=$1 id=$2 version=$3 marker=$4 initrd=${5:-$(shared_initramfs)}
        "$KEEL" uki build --stub "$KEEL_EFI" --linux "$(kernel_image)" --initrd "$initrd" \
                --cmdline "$(aa64_cmdline "$marker")" \
                --os-release "$(printf 'ID=%s\nVERSION_ID=%s\nPRETTY_NAME="%s %s"\n' "$id" "$version" "$id" "$version")" \
                -o "$out"
}

# aa64_panicking_initramfs OUT MARKER: an initramfs whose /init prints
# MARKER on the console and exits: the kernel panics (panic=-1 reboots).
aa64_panicking_initramfs() {
        local out=$1 marker=$2 root
        root=$(mktemp -d)
        mkdir -p "$root/bin"
        printf '#!/bin/busybox sh\n/bin/busybox mount -t devtmpfs devtmpfs /dev\necho "%s" >/dev/%s\nexit 1\n' \
                "$marker" "$AA64_CONSOLE" >"$root/init"
        chmod +x "$root/init"
        cp "$AA64_BUSYBOX" "$root/bin/"
        (cd "$root" && find . | cpio --create --format=newc --quiet) >"$out"
        rm -rf "$root"
}

# aa64_bootcount_esp WORK [SIZE_MB]: the boot-assessment ESP of
# aa64-bootcount and uboot-bootcount in WORK/disk.img: keelaa64.efi as the
# loader with a 30 s watchdog (under TCG a good entry needs several seconds
# before ExitBootServices disarms it), a Type #1 `efi` entry that hangs
# (sort-key aaa: first), and three UKI generations, each "+3": 3 whose
# kernel is corrupt (a small UKI, the hang helper as its kernel: it never
# boots), 2 whose init prints GEN2-BOOTED and exits (panic), 1 good
# (WORK/gen1.efi, marker gen1).
aa64_bootcount_esp() {
        local work=$1 size=${2:-128} hang
        hang=$(aa64_efi_helper hang) || return 1
        aa64_panicking_initramfs "$work/gen2.cpio" GEN2-BOOTED
        make_keel_uki "$work/gen1.efi" keeltest 1 gen1
        make_keel_uki "$work/gen2.efi" keeltest 2 gen2 "$work/gen2.cpio"
        "$KEEL" uki build --stub "$KEEL_EFI" --linux "$hang" --cmdline "$(aa64_cmdline gen3)" \
                --os-release $'ID=keeltest\nVERSION_ID=3\nPRETTY_NAME="keeltest 3"\n' -o "$work/gen3.efi"
        corrupt_uki_kernel "$work/gen3.efi"
        esp_image_create "$work/disk.img" "$size"
        esp_put "$work/disk.img" "$KEEL_EFI" "$AA64_BOOT_EFI"
        esp_write "$work/disk.img" /loader/loader.conf $'timeout 0\nkeel-watchdog-sec 30\n'
        esp_put "$work/disk.img" "$hang" /hang.efi
        esp_write "$work/disk.img" /loader/entries/hang+1.conf $'title Hangs\nsort-key aaa\nefi /hang.efi\n'
        esp_put "$work/disk.img" "$work/gen3.efi" /EFI/Linux/keeltest-3+3.efi
        esp_put "$work/disk.img" "$work/gen2.efi" /EFI/Linux/keeltest-2+3.efi
        esp_put "$work/disk.img" "$work/gen1.efi" /EFI/Linux/keeltest-1+3.efi
}

# expect_aa64_bootcount_outcome WORK BOOTS ELAPSED: what one unattended
# run on aa64_bootcount_esp's ESP must show, whatever the firmware: BOOTS
# (the firmware's banners counted by the caller) is five, keel's watchdog
# ended the hang well before the firmware's 5-minute one (ELAPSED seconds
# for the run), generation 2 was tried exactly three times, generation 3
# fell back in the same boot each time, generation 1 booted with its
# counted file in LoaderBootCountPath and PCR 11 as keel pcr predict says,
# and \EFI\Linux shows every try counted.
expect_aa64_bootcount_outcome() {
        local work=$1 boots=$2 elapsed=$3
        local console
        console=$(tr -d '\r' <"$work/console.log")
        expect_true "keel's watchdog, not the firmware's 5-minute one (run: $elapsed s)" test "$elapsed" -lt 300
        expect_eq "five boots: the hang, three of generation 3 then 2, generation 1" "$boots" 5
        expect_eq "generation 2 was tried exactly 3 times" "$(grep -c GEN2-BOOTED <<<"$console")" 3
        expect_eq "generation 3's failure was followed by a fallback in the same boot (3 boots)" \
                "$(grep -c 'keel: trying the next entry: keeltest-2.efi' <<<"$console")" 3
        expect_report_complete "$work"
        expect_eq "generation 1 booted with no input" "$(booted_marker "$work")" gen1
        expect_eq "LoaderBootCountPath named generation 1's counted file" \
                "$(report_value "$work" "EFIVAR LoaderBootCountPath")" '\EFI\Linux\keeltest-1+2-1.efi'
        expect_eq "PCR 11 is what keel pcr predict says for generation 1 (the failed ones measured nothing)" \
                "$(report_value "$work" "PCR sha256 11" | tr 'A-F' 'a-f')" \
                "$("$KEEL" pcr predict --bank sha256 --phase= "$work/gen1.efi" | sed -n 's/^11:sha256=//p')"
        expect_eq "the ESP afterwards: every try counted" \
                "$(esp_ls "$work/disk.img" /EFI/Linux | sed 's|.*/||' | sort | tr '\n' ' ')" \
                "keeltest-1+2-1.efi keeltest-2+0-3.efi keeltest-3+0-3.efi "
}

# pcr-check.py (pcr-lib.sh's PCR_CHECK) reads UKIs with objdump/objcopy;
# for arm64 PE files those are the cross binutils, found first on its PATH.
aa64_binutils_path() {
        local t
        mkdir -p "$AA64_CACHE/bin"
        for t in objdump objcopy; do
                ln -sf "$(command -v aarch64-linux-gnu-$t)" "$AA64_CACHE/bin/$t"
        done
}
aa64_binutils_path
PCR_CHECK="env PATH=$AA64_CACHE/bin:$PATH python3 $KEEL_SRC/ovmf-tests/pcr-check.py"

# aa64_efi_helper NAME: ovmf-tests/efi-helpers/NAME.c (test-only EFI
# programs; or ovmf-tests/aavmf/NAME.c, the arm64-only ones) built for
# arm64 into $BUILD/aavmf/efi-helpers/NAME.efi, with
# the same pieces as keelaa64.efi (the Makefile's): gnu-efi:arm64 from the
# build tree, keel's crt0 and linker script. Needs `make BUILD=... all` first.
aa64_efi_helper() {
        cache_locked aavmf-efi-helpers build_aa64_efi_helper "$1"
}
build_aa64_efi_helper() {
        local name=$1 out=$AA64_CACHE/efi-helpers inc=$BUILD/arm64/gnu-efi/usr/include/efi
        local lib=$BUILD/arm64/gnu-efi/usr/lib crt0=$BUILD/efi-obj-aarch64/efi/crt0-aarch64.o
        local src=$KEEL_SRC/ovmf-tests/efi-helpers/$name.c
        [ -f "$src" ] || src=$AAVMF_LIB_DIR/$name.c
        [ -f "$crt0" ] && [ -d "$inc" ] || { echo "aavmf: build keelaa64.efi first (make BUILD=$BUILD all)" >&2; return 1; }
        mkdir -p "$out"
        if [ ! -f "$out/$name.efi" ] || [ "$src" -nt "$out/$name.efi" ] || [ "$crt0" -nt "$out/$name.efi" ]; then
                aarch64-linux-gnu-gcc -std=gnu11 -O2 -Wall -Wextra -Werror -I"$inc" -I"$inc/aarch64" -I"$KEEL_SRC/ovmf-tests/efi-helpers" \
                        -ffreestanding -fno-builtin -fpic -fshort-wchar -fno-stack-protector -fno-strict-aliasing \
                        -mstrict-align -mgeneral-regs-only -c "$src" -o "$out/$name.o" &&
                aarch64-linux-gnu-ld -nostdlib -znocombreloc -shared -Bsymbolic --no-undefined \
                        -L "$KEEL_SRC/linker" -T "$KEEL_SRC/linker/keel-aarch64.lds" -L"$lib" "$crt0" "$out/$name.o" \
                        -o "$out/$name.so" -lefi -lgnuefi &&
                aarch64-linux-gnu-objcopy -j .text -j .reloc -j .data -j .sbat -j .dynamic -j .rela \
                        --target=efi-app-aarch64 --subsystem=10 "$out/$name.so" "$out/$name.efi.tmp" &&
                mv "$out/$name.efi.tmp" "$out/$name.efi" || return 1
        fi
        echo "$out/$name.efi"
}

# Secure Boot (after sb-lib.sh): Debian's AAVMF_CODE.snakeoil.fd is the one
# AAVMF build (Secure Boot capable, no SMM on arm64); AAVMF_VARS.snakeoil.fd
# has Secure Boot on with the snakeoil certificate in PK, KEK and db.
AA64_SB_SNAKEOIL_VARS=$AAVMF_DIR/AAVMF_VARS.snakeoil.fd
SNAKEOIL_KEY=/usr/share/qemu-efi-aarch64/PkKek-1-snakeoil.key
SNAKEOIL_CERT=/usr/share/qemu-efi-aarch64/PkKek-1-snakeoil.pem

# aa64_sysroot PKG...: the arm64 packages unpacked together into one
# directory (hard links into the per-package caches), keyed by their
# versions; prints it.
aa64_sysroot() {
        cache_locked aavmf-sysroot build_aa64_sysroot "$@"
}
build_aa64_sysroot() {
        local dirs=() p d key out
        aa64_debs $(printf '%s:arm64 ' "$@") || return 1
        dirs=("${AA64_DIRS[@]}")
        key=$(printf '%s\n' "${dirs[@]}" | sha256sum | cut -c1-16)
        out=$AA64_CACHE/sysroot-$key
        if [ ! -f "$out/.merged" ]; then
                rm -rf "$out"
                mkdir -p "$out"
                for d in "${dirs[@]}"; do
                        cp -al "$d/." "$out/" || return 1
                done
                rm -f "$out/.unpacked" "$out/.keel-unpacked"
                touch "$out/.merged"
        fi
        echo "$out"
}

# copy_with_libs ROOT BINARY...: lib.sh's, for arm64 programs from
# $AA64_SYSROOT (aa64_sysroot): each binary (looked up at its path, else in
# /sbin or /bin, as bookworm packages still ship them) goes to ROOT at the
# path given, the libraries it needs (DT_NEEDED, recursively, found in the
# sysroot's multiarch directories) to ROOT/lib/aarch64-linux-gnu and the
# dynamic loader to ROOT/lib. A library that is not there fails the build.
copy_with_libs() {
        local root=$1 bin src lib queue=() seen=" " found d
        shift
        mkdir -p "$root/lib/aarch64-linux-gnu"
        for bin in "$@"; do
                src=
                for d in "$bin" "/sbin/$(basename "$bin")" "/bin/$(basename "$bin")"; do
                        [ -f "$AA64_SYSROOT$d" ] && { src=$AA64_SYSROOT$d; break; }
                done
                [ -n "$src" ] || { echo "aavmf: $bin is not in the arm64 sysroot" >&2; return 1; }
                mkdir -p "$root$(dirname "$bin")"
                cp -L "$src" "$root$bin"
                queue+=("$src")
        done
        cp -L "$AA64_SYSROOT/lib/ld-linux-aarch64.so.1" "$root/lib/" 2>/dev/null ||
                cp -L "$AA64_SYSROOT/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1" "$root/lib/" || return 1
        while [ ${#queue[@]} -gt 0 ]; do
                src=${queue[0]}
                queue=("${queue[@]:1}")
                for lib in $(aarch64-linux-gnu-readelf -d "$src" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
                        case "$seen" in *" $lib "*) continue ;; esac
                        seen="$seen$lib "
                        found=
                        for d in lib/aarch64-linux-gnu usr/lib/aarch64-linux-gnu; do
                                [ -e "$AA64_SYSROOT/$d/$lib" ] && { found=$AA64_SYSROOT/$d/$lib; break; }
                        done
                        [ -n "$found" ] || { echo "aavmf: $lib (needed by $(basename "$src")) is not in the arm64 sysroot" >&2; return 1; }
                        [ "$lib" = ld-linux-aarch64.so.1 ] && continue
                        cp -L "$found" "$root/lib/aarch64-linux-gnu/$lib"
                        queue+=("$(readlink -f "$found")")
                done
        done
}

# The arm64 programs (and their libraries) a verity initramfs needs:
# veritysetup (cryptsetup-bin) and blkid (util-linux).
AA64_VERITY_PACKAGES="cryptsetup-bin libcryptsetup12 libpopt0 libblkid1 libuuid1 libdevmapper1.02.1 libssl3
libargon2-1 libjson-c5 libselinux1 libpcre2-8-0 libudev1 libc6 util-linux"
