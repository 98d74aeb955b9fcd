# Helpers for the Secure Boot scenarios, sourced after lib.sh: the Secure
# Boot firmware build, runs that stop as soon as the firmware has refused
# everything, the test-only EFI helpers, and section surgery on UKIs.

SB_CODE=$OVMF_DIR/OVMF_CODE_4M.secboot.fd
SB_SETUP_VARS=$OVMF_DIR/OVMF_VARS_4M.fd          # no PK: Setup Mode
SB_SNAKEOIL_VARS=$OVMF_DIR/OVMF_VARS_4M.snakeoil.fd
SNAKEOIL_KEY=/usr/share/ovmf/PkKek-1-snakeoil.key
SNAKEOIL_CERT=/usr/share/ovmf/PkKek-1-snakeoil.pem
EFI_HELPERS=$BUILD/efi-helpers

# OVMF prints this once every boot option failed; it then waits for a key.
SB_ALL_FAILED="No bootable option or device was found"

# efi_helpers: builds enroll.efi and sb-probe.efi (test only) into $EFI_HELPERS.
efi_helpers() {
        make -s -C "$KEEL_SRC/ovmf-tests/efi-helpers" OUT="$EFI_HELPERS" >&2
}

# sb_boot WORKDIR DISK VARS_TEMPLATE [STOP_PATTERN]
# Boots the disk with the Secure Boot firmware, SMM and a secure flash,
# starting from a copy of VARS_TEMPLATE (kept in WORKDIR/OVMF_VARS.fd, so a
# second run continues with what the first one wrote). With STOP_PATTERN,
# QEMU is stopped as soon as the firmware console shows it.
sb_boot() {
        local work=$1 disk=$2 vars=$3 stop=${4:-} pid rc=0
        mkdir -p "$work"
        [ -f "$work/OVMF_VARS.fd" ] || cp "$vars" "$work/OVMF_VARS.fd"
        rm -f "$work/qemu.pid" "$work/console.log"
        OVMF_CODE=$SB_CODE QEMU_MACHINE=q35,smm=on qemu_boot "$work" "$disk" \
                -global driver=cfi.pflash01,property=secure,value=on -pidfile "$work/qemu.pid" &
        pid=$!
        if [ -n "$stop" ]; then
                while kill -0 "$pid" 2>/dev/null; do
                        if [ -s "$work/qemu.pid" ] && tr -d '\r' <"$work/console.log" 2>/dev/null | grep -aq -- "$stop"; then
                                kill "$(cat "$work/qemu.pid")" 2>/dev/null || true
                                break
                        fi
                        sleep 1
                done
        fi
        wait "$pid" || rc=$?
        return $rc
}

console_has() {
        tr -d '\r' <"$1/console.log" | grep -aqE -- "$2"
}

report_started() {
        [ -f "$1/report.log" ] && tr -d '\r' <"$1/report.log" | grep -aqx "KEEL-REPORT-BEGIN"
}

# expect_refused WORKDIR WHAT: the firmware refused \EFI\BOOT\BOOTX64.EFI and
# nothing of it ran.
expect_refused() {
        expect_true "$2: firmware refuses it" \
                console_has "$1" 'failed to load Boot0001 .*: (Access Denied|Security Violation)'
        expect_true "$2: no kernel ran" bash -c "! grep -aq KEEL-REPORT-BEGIN '$1/report.log' 2>/dev/null"
        expect_true "$2: the firmware never started it" bash -c "! tr -d '\r' <'$1/console.log' | grep -aq 'starting Boot0001'"
}

# section_field UKI NAME FIELD: raw_offset, raw_size, virtual_size... of a section.
section_field() {
        "$KEEL" uki inspect --json "$1" | python3 -c '
import json, sys
for s in json.load(sys.stdin)["sections"]:
    if s["name"] == sys.argv[1]:
        print(s[sys.argv[2]]); break
else:
    sys.exit("no section " + sys.argv[1])' "$2" "$3"
}

# flip_byte IN OUT SECTION: OUT is IN with one byte in the middle of SECTION's
# contents inverted (signature and headers untouched).
flip_byte() {
        local offset
        offset=$(( $(section_field "$1" "$3" raw_offset) + $(section_field "$1" "$3" virtual_size) / 2 ))
        cp "$1" "$2"
        python3 -c '
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2])); b = f.read(1); f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 0xff]))' "$2" "$offset"
}

# keys_disk IMG HELPER FILE:N-NAME...: an ESP that boots HELPER and holds
# \keys\N-NAME.auth for enroll.efi.
keys_disk() {
        local img=$1 helper=$2 spec
        shift 2
        esp_image_create "$img" 64
        esp_put "$img" "$helper" /EFI/BOOT/BOOTX64.EFI
        mmd -i "$img@@1M" ::/keys
        for spec in "$@"; do
                esp_put "$img" "${spec%%:*}" "/keys/${spec#*:}.auth"
        done
}
