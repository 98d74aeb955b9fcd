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

# efi_helpers: builds the test-only helpers (ovmf-tests/efi-helpers/*.c)
# into $EFI_HELPERS.
efi_helpers() {
        cache_locked efi-helpers make -s -C "$KEEL_SRC/ovmf-tests/efi-helpers" OUT="$EFI_HELPERS" >&2
}

# vars_chain_set IMG NAME VALUE: vars-chain.efi (as \EFI\BOOT\BOOTX64.EFI,
# the loader under test as \EFI\BOOT\next.efi) sets the loader vendor
# variable NAME to VALUE (UTF-16 with its NUL, as bootctl writes it) before
# it starts the loader, on every boot: what the OS set before rebooting.
vars_chain_set() {
        vars_chain_put "$1" keel-vars "$2" "$3"
}

# vars_chain_set_once IMG NAME VALUE: the same on the next boot only
# (vars-chain deletes the file once it set the variable): what the OS set
# once before rebooting.
vars_chain_set_once() {
        vars_chain_put "$1" keel-vars-once "$2" "$3"
}

# vars_chain_keyboard_layout IMG DESCRIPTION: before it sets the variables,
# vars-chain adds a keyboard layout described as DESCRIPTION ("de-DE
# German") to the firmware's HII database and makes it current, as firmware
# with a keyboard driver does.
vars_chain_keyboard_layout() {
        local tmp
        tmp=$(mktemp)
        printf '%s\0' "$2" | iconv -f ASCII -t UTF-16LE >"$tmp"
        esp_put "$1" "$tmp" /keel-kbd-layout
        rm -f "$tmp"
}

vars_chain_put() { # IMG DIR NAME VALUE
        local tmp
        tmp=$(mktemp)
        printf '%s\0' "$4" | iconv -f ASCII -t UTF-16LE >"$tmp"
        mmd -i "$1@@1M" "::/$2" 2>/dev/null || true
        esp_put "$1" "$tmp" "/$2/$3"
        rm -f "$tmp"
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
                        if [ -s "$work/qemu.pid" ] && tr -d '\r' 2>/dev/null <"$work/console.log" | grep -aq -- "$stop"; then
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

console_lacks() {
        ! console_has "$@"
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

# --- Attacks on a signed boot chain (issue #11). keel, signed with the
# snakeoil key, is the loader (timeout 0); each scenario's attack entries
# sort first, so keel tries them unattended, and the good UKI below comes
# after them. Needs loader-lib.sh (make_keel_uki).

SB_GOOD_CMDLINE="console=ttyS0 loglevel=1 panic=-1 keel.test=sb-good"

# snakeoil_sign IN OUT: keel sign with the snakeoil key (an encrypted PEM
# key, passphrase "snakeoil").
snakeoil_sign() {
        local pass
        pass=$(mktemp)
        printf 'snakeoil\n' >"$pass"
        "$KEEL" sign --key "$SNAKEOIL_KEY" --cert "$SNAKEOIL_CERT" --passphrase-file "$pass" -o "$2" "$1" ||
                { rm -f "$pass"; return 1; }
        rm -f "$pass"
}

# sbsign_snakeoil IN OUT: sbsign with the snakeoil key, for the hostile images
# keel sign is meant to refuse. sbsign cannot read an encrypted key, so it
# gets a decrypted copy (of a published test key) for the call.
sbsign_snakeoil() {
        local key
        key=$(mktemp)
        openssl pkey -in "$SNAKEOIL_KEY" -passin pass:snakeoil -out "$key"
        # Its chatter ("Signing Unsigned original image") only when it fails.
        sbsign --key "$key" --cert "$SNAKEOIL_CERT" --output "$2" "$1" >"$key.log" 2>&1 ||
                { cat "$key.log" >&2; rm -f "$key" "$key.log"; return 1; }
        rm -f "$key" "$key.log"
}

# attack_esp IMG [SIZE_MB]: the signed keel loader with loader.conf `timeout 0`, and
# the good UKI \EFI\Linux\keeltest-1.efi (signed, command line
# $SB_GOOD_CMDLINE). A Type #2 entry's sort key is its os-release ID
# ("keeltest"), so Type #1 attack entries with `sort-key a...` come first.
# Attack files go in \EFI\keel\.
attack_esp() {
        local img=$1 size=${2:-192} tmp
        tmp=$(mktemp -d)
        esp_image_create "$img" "$size"
        snakeoil_sign "$KEEL_EFI" "$tmp/keel.efi"
        esp_put "$img" "$tmp/keel.efi" /EFI/BOOT/BOOTX64.EFI
        esp_write "$img" /loader/loader.conf $'timeout 0\n'
        make_keel_uki "$tmp/good.efi" keeltest 1 sb-good
        snakeoil_sign "$tmp/good.efi" "$tmp/good-signed.efi"
        esp_put "$img" "$tmp/good-signed.efi" /EFI/Linux/keeltest-1.efi
        mmd -i "$img@@1M" ::/EFI/keel
        rm -rf "$tmp"
}

# expect_good_boot WORKDIR: the good UKI booted, unattended, with exactly its
# signed command line.
expect_good_boot() {
        expect_report_complete "$1"
        expect_eq "SecureBoot is on" "$(report_value "$1" SECUREBOOT)" 01
        expect_eq "the good UKI booted, unattended" "$(report_value "$1" "EFIVAR LoaderEntrySelected")" keeltest-1.efi
        expect_eq "with exactly its signed command line" "$(report_value "$1" CMDLINE)" "$SB_GOOD_CMDLINE"
}

# report_lacks WORKDIR LINE: no report line is LINE.
report_lacks() {
        ! { [ -f "$1/report.log" ] && tr -d '\r' <"$1/report.log" | grep -aqx -- "$2"; }
}

# cmdlines_lack WORKDIR WORD: no kernel that reported (in any boot of the run)
# had WORD on its command line.
cmdlines_lack() {
        ! { [ -f "$1/report.log" ] && tr -d '\r' <"$1/report.log" | sed -n 's/^CMDLINE=//p' | tr ' ' '\n' | grep -aqx -- "$2"; }
}

# expect_no_attack_words WORKDIR WORD...: no attacker WORD reached the command
# line of a kernel that reported.
expect_no_attack_words() {
        local w=$1 word
        shift
        for word in "$@"; do
                expect_true "'$word' reached no kernel command line" cmdlines_lack "$w" "$word"
        done
}

# expect_console WORKDIR WHAT REGEX: keel's console (any boot of the run)
# shows REGEX.
expect_console() {
        expect_true "$2" console_has "$1" "$3"
}

# console_after WORKDIR FIRST THEN: a console line matches THEN (an ERE) after
# one that matches FIRST, to tell which of several attempts printed it.
console_after() {
        tr -d '\r' <"$1/console.log" | awk -v first="$2" -v then="$3" '
                seen && $0 ~ then { found = 1; exit }
                $0 ~ first { seen = 1 }
                END { exit !found }'
}

# report_split_boots WORKDIR N: WORKDIR/bootK/report.log for the Kth kernel
# that reported in a run spanning several boots (QEMU_REBOOT=1); K = 1..N
# always exist (empty when fewer kernels reported), so checks fail cleanly.
report_split_boots() {
        local k
        for k in $(seq 1 "$2"); do
                mkdir -p "$1/boot$k"
                : >"$1/boot$k/report.log"
        done
        [ -f "$1/report.log" ] || return 0
        tr -d '\r' <"$1/report.log" | awk -v dir="$1" '
                /^KEEL-REPORT-BEGIN$/ { n++; system("mkdir -p \"" dir "/boot" n "\"") }
                n { print > (dir "/boot" n "/report.log") }'
}

# expect_keel_refuses WHAT CMD...: the keel command fails cleanly: an exit
# status below 126, exactly one "keel: " line on stderr, nothing on stdout.
expect_keel_refuses() {
        local what=$1 out err rc=0
        shift
        out=$(mktemp)
        err=$(mktemp)
        "$@" >"$out" 2>"$err" || rc=$?
        if [ $rc -ne 0 ] && [ $rc -lt 126 ] && [ "$(wc -l <"$err")" -eq 1 ] && grep -q '^keel: ' "$err" &&
           [ ! -s "$out" ]; then
                echo "  ok: $what"
        else
                echo "  FAIL: $what"
                echo "        exit $rc, $(wc -c <"$out") bytes on stdout, stderr: '$(head -c 300 "$err" | tr '\n' '|')'"
                FAILURES=$((FAILURES + 1))
        fi
        rm -f "$out" "$err"
}
