# Shared helpers for the OVMF end-to-end scenarios: disk images with an ESP
# built without root or loop mounts, a reporting initramfs, and QEMU (TCG) +
# OVMF + swtpm runs with a timeout. Sourced by each scenario.
set -eu

OVMF_DIR=/usr/share/OVMF
KEEL_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${BUILD:=$KEEL_SRC/build}"
KEEL=$BUILD/keel
KEEL_EFI=$BUILD/keelx64.efi
SYSTEMD_BOOT_EFI=/usr/lib/systemd/boot/efi/systemd-bootx64.efi
SYSTEMD_STUB=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
# The ESP's partition GUID: LoaderDevicePartUUID must report it.
ESP_PARTUUID=4a1d7f3e-1c2b-4e5d-9a8b-7c6d5e4f3a21
# The disk's GUID: fixed, so that the firmware's measurement of the GPT
# (PCR 5) is the same for every disk esp_image_create makes.
ESP_DISK_GUID=5c0ffee0-6b1d-4c2e-8f3a-9d4e5f607182
SHARED=$BUILD/ovmf-tests/shared
QEMU_TIMEOUT=${QEMU_TIMEOUT:-240}

kernel_image() {
        local k
        k=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
        [ -n "$k" ] || { echo "no kernel in /boot (install linux-image-amd64)" >&2; return 1; }
        echo "$k"
}

kernel_release() {
        basename "$(kernel_image)" | sed 's/^vmlinuz-//'
}

# copy_with_libs ROOT BINARY...: the binaries and every library they load,
# at the same paths, plus the dynamic loader.
copy_with_libs() {
        local root=$1 bin lib
        shift
        for bin in "$@"; do
                mkdir -p "$root$(dirname "$bin")"
                cp -L "$bin" "$root$bin"
                for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
                        mkdir -p "$root$(dirname "$lib")"
                        cp -L "$lib" "$root$lib"
                done
        done
}

# module_load_order MODULE...: the modules and their dependencies, each
# after what it depends on (as paths).
module_load_order() {
        local kver seen=" "
        kver=$(kernel_release)
        visit() {
                local m=$1 dep
                case "$seen" in *" $m "*) return ;; esac
                seen="$seen$m "
                for dep in $(modinfo -k "$kver" -F depends "$m" | tr ',' ' '); do
                        visit "$dep"
                done
                modinfo -k "$kver" -n "$m"
        }
        for m in "$@"; do
                visit "$m"
        done
}

# Modules to mount the ESP from inside the guest (virtio disk, vfat).
ESP_MODULES="virtio_pci virtio_blk vfat nls_cp437 nls_ascii nls_utf8"

# What an initramfs holds that depends on the architecture;
# ovmf-tests/aavmf/lib.sh redefines these three for arm64.
INITRAMFS_BUSYBOX=/bin/busybox
initramfs_arch_files() { # ROOT: the reporting /init
        cp "$KEEL_SRC/ovmf-tests/initramfs/init" "$1/init"
}
initramfs_module_files() { # the module files to load, in order
        module_load_order efivarfs ${INITRAMFS_MODULES:-}
}

# build_initramfs OUT [SCENARIO_SCRIPT] [EXTRA_FILE:DEST]...
# A newc cpio with static busybox, the reporting /init, efivarfs, the
# modules named in $INITRAMFS_MODULES (with their dependencies, loaded in
# order), the programs in $INITRAMFS_BINARIES (with their libraries), and
# an optional /scenario script.
build_initramfs() {
        local out=$1 scenario=${2:-} root kver m
        shift $(( $# >= 2 ? 2 : 1 ))
        root=$(mktemp -d)
        kver=$(kernel_release)
        mkdir -p "$root"/{bin,sbin,proc,sys,dev,lib/modules,etc,mnt,tmp,efi,run}
        cp "$INITRAMFS_BUSYBOX" "$root/bin/busybox"
        initramfs_arch_files "$root" || { rm -rf "$root"; return 1; }
        for m in $(initramfs_module_files); do
                [ -f "$m" ] || continue # built into the kernel
                cp "$m" "$root/lib/modules/"
                basename "$m" >>"$root/lib/modules/order"
        done
        [ -z "${INITRAMFS_BINARIES:-}" ] || copy_with_libs "$root" $INITRAMFS_BINARIES
        if [ -n "$scenario" ]; then
                cp "$scenario" "$root/scenario"
                chmod +x "$root/scenario"
        fi
        for extra in "$@"; do
                mkdir -p "$root/$(dirname "${extra#*:}")"
                cp "${extra%%:*}" "$root/${extra#*:}"
        done
        (cd "$root" && find . -print0 | sort -z | cpio --null --create --format=newc --quiet --reproducible) >"$out.tmp"
        mv "$out.tmp" "$out"
        rm -rf "$root"
}

# cache_locked NAME COMMAND...: runs COMMAND (in this shell: it may set
# variables) holding the lock NAME. ovmf-tests/run-all runs scenarios two
# at a time; whatever they build once and share (an initramfs, the test
# helpers, the real-OS image) is built under its lock, so the second
# scenario waits for it and then finds it built.
cache_locked() {
        local name=$1 fd rc=0
        shift
        mkdir -p "$BUILD/ovmf-tests/locks"
        exec {fd}>"$BUILD/ovmf-tests/locks/$name"
        flock "$fd"
        "$@" || rc=$?
        exec {fd}>&-
        return $rc
}

# host_swtpm_start DIR: a swtpm on the host (for tpm2-tools, systemd-creds,
# systemd-cryptenroll) with its state in DIR, listening on a free TCP port
# pair (server, control) of loopback; sets HOST_SWTPM_PORT. The port is
# chosen and bound under a lock, so scenarios running side by side never
# pick the same one. host_swtpm_stop DIR stops it.
host_swtpm_start() {
        cache_locked host-swtpm-port start_host_swtpm "$1"
}
start_host_swtpm() {
        local dir=$1
        mkdir -p "$dir"
        HOST_SWTPM_PORT=$(python3 -c 'import socket
for p in range(23000, 25000, 2):
    try:
        a = socket.socket(); a.bind(("127.0.0.1", p)); b = socket.socket(); b.bind(("127.0.0.1", p + 1))
        a.close(); b.close(); print(p); break
    except OSError:
        pass')
        swtpm socket --tpm2 --tpmstate dir="$dir" --server type=tcp,port="$HOST_SWTPM_PORT" \
                --ctrl type=tcp,port=$((HOST_SWTPM_PORT + 1)) --flags not-need-init,startup-clear \
                --daemon --pid file="$dir/pid" --log file="$dir/swtpm.log"
}
host_swtpm_stop() {
        local pid
        [ -f "$1/pid" ] || return 0
        pid=$(cat "$1/pid")
        kill "$pid" 2>/dev/null || true
        while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
        rm -f "$1/pid"
}

# shared_initramfs: the plain reporting initramfs, built once per run.
shared_initramfs() {
        cache_locked shared-initramfs build_shared_initramfs
        echo "$SHARED/initramfs.cpio"
}
build_shared_initramfs() {
        mkdir -p "$SHARED"
        [ -f "$SHARED/initramfs.cpio" ] || build_initramfs "$SHARED/initramfs.cpio"
}

# fat_format IMG START_SECTOR SECTORS LABEL: a FAT32 file system inside a
# partition of a disk image (no loop device: mkfs.vfat --offset).
fat_format() {
        # mkfs.vfat sees a file, not a partition, and warns that the file is
        # larger than the file system; that is intended.
        mkfs.vfat -F 32 -n "$4" --offset="$2" "$1" $(( $3 / 2 )) 2>&1 >/dev/null | grep -v "block count mismatch" >&2 || true
}

# esp_image_create IMG [SIZE_MB]: a GPT disk with one FAT32 ESP at 1 MiB.
esp_image_create() {
        local img=$1 size=${2:-128}
        rm -f "$img"
        truncate -s "${size}M" "$img"
        sfdisk --quiet "$img" <<SFDISK
label: gpt
label-id: $ESP_DISK_GUID
first-lba: 2048
start=2048, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=$ESP_PARTUUID, name="ESP"
SFDISK
        fat_format "$img" 2048 $(( size * 2048 - 2048 - 33 )) ESP
        mmd -i "$img@@1M" ::/EFI ::/EFI/BOOT ::/EFI/Linux ::/loader ::/loader/entries
}

# esp_put IMG SRC DEST: copy a file into the ESP (DEST like /EFI/BOOT/BOOTX64.EFI).
esp_put() {
        mcopy -o -i "$1@@1M" "$2" "::$3"
}

# esp_write IMG DEST TEXT: write a small text file into the ESP.
esp_write() {
        local tmp
        tmp=$(mktemp)
        printf '%s' "$3" >"$tmp"
        esp_put "$1" "$tmp" "$2"
        rm -f "$tmp"
}

esp_ls() {
        mdir -/ -b -i "$1@@1M" "::${2:-/}"
}

# qemu_boot WORKDIR DISK [extra qemu args...]
# OVMF_CODE, OVMF_VARS_TEMPLATE and QEMU_MACHINE, when set, replace the
# firmware, the initial variable store and the machine type (Secure Boot).
# QEMU_REBOOT=1 lets the guest reboot (one run spans several boots; the
# logs then hold every boot). QEMU_CONSOLE_SOCKET=1 puts the console on
# WORKDIR/console.sock (still logged to console.log) so a test can type.
# QEMU_DISK_READONLY=1 attaches the disk read-only.
# Boots the disk with OVMF (fresh variable store in WORKDIR), swtpm as a TPM
# 2.0 TIS device, the firmware and kernel console on WORKDIR/console.log and
# the initramfs report on WORKDIR/report.log. Returns QEMU's status; 124 on
# timeout.
qemu_boot() {
        local work=$1 disk=$2 rc=0 tpm_args=() reboot_args=(-no-reboot) smbios_args=() v
        local console_args=(-serial file:"$work/console.log") disk_ro=""
        shift 2
        [ "${QEMU_REBOOT:-0}" = 1 ] && reboot_args=()
        [ "${QEMU_DISK_READONLY:-0}" = 1 ] && disk_ro=",readonly=on"
        # QEMU_SMBIOS_TYPE11: SMBIOS type 11 OEM strings, one per line (commas
        # are escaped for QEMU's option parser).
        while IFS= read -r v; do
                if [ -n "$v" ]; then smbios_args+=(-smbios "type=11,value=${v//,/,,}"); fi
        done <<<"${QEMU_SMBIOS_TYPE11:-}"
        if [ "${QEMU_CONSOLE_SOCKET:-0}" = 1 ]; then
                rm -f "$work/console.sock"
                console_args=(-chardev "socket,id=con0,path=$work/console.sock,server=on,wait=off,logfile=$work/console.log"
                              -serial chardev:con0)
        fi
        mkdir -p "$work"
        [ -f "$work/OVMF_VARS.fd" ] || cp "${OVMF_VARS_TEMPLATE:-$OVMF_DIR/OVMF_VARS_4M.fd}" "$work/OVMF_VARS.fd"
        rm -f "$work/console.log" "$work/report.log"
        if [ "${KEEL_NO_TPM:-0}" != 1 ]; then
                mkdir -p "$work/tpm"
                swtpm socket --tpm2 --tpmstate dir="$work/tpm" \
                        --ctrl type=unixio,path="$work/tpm/sock" --terminate \
                        --log file="$work/tpm/swtpm.log" --daemon --pid file="$work/tpm/pid"
                tpm_args=(-chardev "socket,id=chrtpm,path=$work/tpm/sock"
                          -tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-tis,tpmdev=tpm0)
        fi
        timeout --foreground "$QEMU_TIMEOUT" qemu-system-x86_64 \
                -machine "${QEMU_MACHINE:-q35}" -m 1024 -smp 1 -nographic "${reboot_args[@]}" -nodefaults \
                -drive if=pflash,format=raw,unit=0,readonly=on,file="${OVMF_CODE:-$OVMF_DIR/OVMF_CODE_4M.fd}" \
                -drive if=pflash,format=raw,unit=1,file="$work/OVMF_VARS.fd" \
                -drive if=none,id=disk0,format=raw,file="$disk"$disk_ro -device virtio-blk-pci,drive=disk0,bootindex=1 \
                "${console_args[@]}" -serial file:"$work/report.log" \
                -net none "${tpm_args[@]}" "${smbios_args[@]}" "$@" </dev/null >"$work/qemu.log" 2>&1 || rc=$?
        if [ -f "$work/tpm/pid" ]; then
                kill "$(cat "$work/tpm/pid")" 2>/dev/null || true
                rm -f "$work/tpm/pid"
        fi
        return $rc
}

# report_value WORKDIR KEY: the value of "KEY=value" in the report.
report_value() {
        tr -d '\r' <"$1/report.log" | sed -n "s/^$2=//p" | head -n 1
}

report_has() {
        tr -d '\r' <"$1/report.log" | grep -qx -- "$2"
}

# Assertions: each prints one line and records a failure.
FAILURES=0
expect_eq() {
        local what=$1 actual=$2 expected=$3
        if [ "$actual" = "$expected" ]; then
                echo "  ok: $what"
        else
                echo "  FAIL: $what"
                echo "        expected: '$expected'"
                echo "        actual:   '$actual'"
                FAILURES=$((FAILURES + 1))
        fi
}

expect_true() {
        local what=$1
        shift
        if "$@"; then
                echo "  ok: $what"
        else
                echo "  FAIL: $what"
                FAILURES=$((FAILURES + 1))
        fi
}

# expect_report_complete WORKDIR: the initramfs ran to its end.
expect_report_complete() {
        expect_true "kernel booted and the initramfs reported" report_has "$1" "KEEL-REPORT-END"
}

upper() { tr 'a-f' 'A-F' <<<"$1"; }

# efivar_u64_of_bits BIT...: a UINT64 EFI variable with those bits set, as
# the report prints it (16 hex digits, little-endian bytes).
efivar_u64_of_bits() {
        local v=0 b i out=""
        for b in "$@"; do v=$(( v | (1 << b) )); done
        for i in 0 1 2 3 4 5 6 7; do out+=$(printf '%02x' $(( (v >> (8 * i)) & 255 ))); done
        echo "$out"
}

# The StubFeatures bits (systemd's numbering) for what keel's stub does:
# 0 sets LoaderDevicePartUUID, 1 credentials, 2 system extensions, 3 three
# PCRs (11, 12, 13), 4 its own random seed, 5 command-line addons, 6 SMBIOS
# command line, 7 device-tree addons, 8 configuration extensions, 9
# multi-profile UKIs, 10 StubDevicePartUUID and StubImageIdentifier, 12
# SMBIOS into PCR 1. Not 11 (network boot URLs: keel boots from disks).
KEEL_STUB_FEATURE_BITS="0 1 2 3 4 5 6 7 8 9 10 12"
# The LoaderFeatures bits for what keel's loader does: 0-1 menu timeout
# (and one-shot), 2-3 default and one-shot entry, 4 boot counting, 5
# XBOOTLDR, 6 random seed, 7 drop-in drivers, 8 sort-key, 9 @saved, 10
# Type #1 devicetree, 11 Secure Boot key enrollment, 13 menu-disabled, 14
# multi-profile UKIs, 16 Type #1 uki, 18 active PCR banks
# (LoaderTpm2ActivePcrBanks), 19 LoaderEntryPreferred, 20 the firmware's
# keyboard layout (LoaderKeyboardLayout), 21 SMBIOS into PCR 1. Not 12
# (retain shim), 15 and 17 (URLs).
KEEL_LOADER_FEATURE_BITS="0 1 2 3 4 5 6 7 8 9 10 11 13 14 16 18 19 20 21"
