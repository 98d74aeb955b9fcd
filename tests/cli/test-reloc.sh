#!/bin/bash
# Issue 20, defect 3: base relocations that change a signed UKI in memory.
# The firmware adds (load address - ImageBase) to every fixup's bytes, so a
# fixup in .cmdline gives the kernel another command line than the file
# shows. Every command that reads a UKI or an addon refuses an image whose
# relocations touch a UKI section, the headers, the table itself, bytes
# outside one section, or have a type the check does not know — with one
# line — and keeps accepting what real stubs have: keel's and systemd-stub
# 252's, and fixups in a stub's own code and data.
# Usage: tests/cli/test-reloc.sh BUILD_DIR
set -u
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
source "$(dirname "$0")/lib.sh"
need_build "${1:-build}"
need_tools python3 sbsign objcopy openssl
SURGERY="python3 $(cd "$(dirname "$0")/../../ovmf-tests" && pwd)/pe-surgery.py"
SDSTUB=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
MSG="base relocation"

"$KEEL" keys create "$T/keys" >/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/pcr.key" 2>/dev/null
KERNEL=$T/vmlinuz
cp "$STUB" "$KERNEL" # any PE image serves as the kernel for these checks
CMDLINE="console=ttyS0 loglevel=1 panic=-1 keel.reloc=tampered keel.word=AAAAAAAAAAAAAAAA"
"$KEEL" uki build --stub "$STUB" --linux "$KERNEL" --cmdline "$CMDLINE" \
        --os-release $'ID=reloc\nVERSION_ID=1\n' -o "$T/good.efi"

# vsize IMAGE SECTION: the section's VirtualSize.
vsize() {
        "$KEEL" uki inspect --json "$1" | python3 -c '
import json, sys
print(next(s["virtual_size"] for s in json.load(sys.stdin)["sections"] if s["name"] == sys.argv[1]))' "$2"
}

# The fixup of issue 20 and its relatives, each in its own image.
$SURGERY reloc "$T/good.efi" "$T/cmdline.efi" .cmdline 45
$SURGERY reloc "$T/good.efi" "$T/cmdline-highlow.efi" .cmdline 0 highlow
$SURGERY reloc "$T/good.efi" "$T/cmdline-low.efi" .cmdline 2 low
$SURGERY reloc "$T/good.efi" "$T/cmdline-last.efi" .cmdline $(( $(vsize "$T/good.efi" .cmdline) - 8 ))
$SURGERY reloc "$T/good.efi" "$T/osrel.efi" .osrel 0
$SURGERY reloc "$T/good.efi" "$T/linux.efi" .linux 0x100
$SURGERY reloc "$T/good.efi" "$T/sbat.efi" .sbat 0
$SURGERY reloc "$T/good.efi" "$T/headers.efi" headers 0x130 # the relocation directory
$SURGERY reloc "$T/good.efi" "$T/table.efi" .reloc 0        # the table itself
$SURGERY reloc "$T/good.efi" "$T/straddle.efi" .text $(( $(vsize "$T/good.efi" .text) - 4 ))
$SURGERY reloc "$T/good.efi" "$T/unknown-type.efi" .text 0x100 5
$SURGERY reloc "$T/good.efi" "$T/highadj.efi" .text 0x100 4
# Fixups in the stub's own code and data are what relocations are for.
$SURGERY reloc "$T/good.efi" "$T/text.efi" .text 0x100
$SURGERY reloc "$T/good.efi" "$T/data.efi" .data 0x10 highlow

check "the benign UKI passes every command" bash -c "'$KEEL' uki inspect '$T/good.efi' >/dev/null &&
        '$KEEL' pcr predict '$T/good.efi' >/dev/null && '$KEEL' sign --key '$T/keys/db.key' --cert '$T/keys/db.crt' \
        -o '$T/good-signed.efi' '$T/good.efi' && '$KEEL' verify --cert '$T/keys/db.crt' '$T/good-signed.efi' >/dev/null"

# expect_accepted NAME IMAGE: every reader of UKIs takes IMAGE.
expect_accepted() {
        local name=$1 img=$2
        run "$name: uki inspect" "$KEEL" uki inspect "$img"
        run "$name: pcr predict" "$KEEL" pcr predict "$img"
        run "$name: sign" "$KEEL" sign --key "$T/keys/db.key" --cert "$T/keys/db.crt" -o "$T/ok-signed.efi" "$img"
        run "$name: verify" "$KEEL" verify --cert "$T/keys/db.crt" "$T/ok-signed.efi"
        run "$name: pcr sign" "$KEEL" pcr sign "$img" --private-key "$T/pcr.key" -o "$T/ok-sig.json"
        rm -f "$T/ok-signed.efi" "$T/ok-sig.json"
}

# entries_check_refuses NAME IMAGE: keel entries --check on an ESP with
# IMAGE as its only UKI fails and names the relocation.
entries_check_refuses() {
        local name=$1 esp=$T/esp rc=0
        rm -rf "$esp"
        mkdir -p "$esp/EFI/Linux"
        cp "$2" "$esp/EFI/Linux/reloc-1.efi"
        "$KEEL" entries --esp "$esp" --arch x64 --check >"$T/stdout" 2>"$T/stderr" || rc=$?
        if [ $rc -eq 1 ] && grep -q "reloc-1.efi.*$MSG" "$T/stdout"; then
                pass "$name: entries --check ($(head -1 "$T/stdout"))"
        else
                fail "$name: entries --check (exit $rc, stdout: $(head -c 300 "$T/stdout"), stderr: $(head -c 300 "$T/stderr"))"
        fi
}

# expect_refusal NAME IMAGE: every reader of UKIs refuses IMAGE with one
# line that names the relocation; verify does so even though sbsign's
# signature on it is good.
expect_refusal() {
        local name=$1 img=$2
        expect_error_saying "$name: uki inspect" "" "$MSG" "$KEEL" uki inspect "$img"
        expect_error_saying "$name: uki inspect --json" "" "$MSG" "$KEEL" uki inspect --json "$img"
        expect_error_saying "$name: pcr predict" "" "$MSG" "$KEEL" pcr predict "$img"
        expect_error_saying "$name: sign" "$T/out.efi" "$MSG" "$KEEL" sign --key "$T/keys/db.key" \
                --cert "$T/keys/db.crt" -o "$T/out.efi" "$img"
        sbsign --key "$T/keys/db.key" --cert "$T/keys/db.crt" --output "$T/sbsigned.efi" "$img" >/dev/null 2>&1 ||
                fail "$name: sbsign could not sign it"
        expect_error_saying "$name: verify (sbsign's signature is good)" "" "$MSG" "$KEEL" verify \
                --cert "$T/keys/db.crt" "$T/sbsigned.efi"
        expect_error_saying "$name: pcr sign" "$T/sig.json" "$MSG" "$KEEL" pcr sign "$img" \
                --private-key "$T/pcr.key" -o "$T/sig.json"
        entries_check_refuses "$name" "$img"
}

expect_refusal "DIR64 at .cmdline+45 (issue 20)" "$T/cmdline.efi"
expect_refusal "HIGHLOW at .cmdline+0" "$T/cmdline-highlow.efi"
expect_refusal "LOW at .cmdline+2" "$T/cmdline-low.efi"
expect_refusal "DIR64 on .cmdline's last 8 bytes" "$T/cmdline-last.efi"
expect_refusal "DIR64 in .osrel" "$T/osrel.efi"
expect_refusal "DIR64 in .linux" "$T/linux.efi"
expect_refusal "DIR64 in .sbat" "$T/sbat.efi"
expect_refusal "DIR64 in the headers" "$T/headers.efi"
expect_refusal "DIR64 on the relocation table" "$T/table.efi"
expect_refusal "DIR64 across the end of .text" "$T/straddle.efi"
expect_refusal "type 5 (ARM_MOV32/RISCV_HIGH20)" "$T/unknown-type.efi"
expect_refusal "type 4 (HIGHADJ, two slots)" "$T/highadj.efi"

expect_accepted "DIR64 in the stub's .text" "$T/text.efi"
expect_accepted "HIGHLOW in the stub's .data" "$T/data.efi"

# systemd-stub 252 (a 12-byte table of ABSOLUTE padding whose page lies in
# the header gap): keel uki build --stub and objcopy, as its manual says.
if [ -f "$SDSTUB" ]; then
        run "uki build --stub systemd-stub 252" "$KEEL" uki build --stub "$SDSTUB" --linux "$KERNEL" \
                --cmdline "$CMDLINE" -o "$T/sd.efi"
        expect_accepted "systemd-stub 252 UKI (keel uki build)" "$T/sd.efi"
        printf '%s' "$CMDLINE" >"$T/cmdline.txt"
        printf 'ID=reloc\n' >"$T/osrel.txt"
        objcopy --add-section .osrel="$T/osrel.txt" --change-section-vma .osrel=0x20000 \
                --add-section .cmdline="$T/cmdline.txt" --change-section-vma .cmdline=0x30000 \
                --add-section .linux="$KERNEL" --change-section-vma .linux=0x2000000 \
                "$SDSTUB" "$T/sd-objcopy.efi"
        expect_accepted "systemd-stub 252 UKI (objcopy)" "$T/sd-objcopy.efi"
        $SURGERY reloc "$T/sd.efi" "$T/sd-cmdline.efi" .cmdline 45
        expect_refusal "systemd-stub 252 UKI, DIR64 at .cmdline+45" "$T/sd-cmdline.efi"
        # A stub whose own code is relocated for real (as systemd-stub 253+).
        $SURGERY reloc "$SDSTUB" "$T/sdstub-text.efi" .text 0x40
        run "uki build --stub: a stub with a fixup in its .text" "$KEEL" uki build --stub "$T/sdstub-text.efi" \
                --linux "$KERNEL" --cmdline "$CMDLINE" -o "$T/sd-text.efi"
        expect_accepted "a UKI on a stub with a fixup in its .text" "$T/sd-text.efi"
else
        echo "SKIP systemd-stub 252 cases: $SDSTUB not installed"
fi

# keel uki build --stub: a stub whose fixups land where the UKI's sections
# will be (past its own image), or in its .sbat, is no stub to build on.
$SURGERY reloc "$STUB" "$T/stub-past.efi" .rela 0x2000
$SURGERY reloc "$STUB" "$T/stub-sbat.efi" .sbat 0
expect_error_saying "uki build --stub: a fixup past the stub's image" "$T/out.efi" "$MSG" "$KEEL" uki build \
        --stub "$T/stub-past.efi" --linux "$KERNEL" -o "$T/out.efi"
expect_error_saying "uki build --stub: a fixup in the stub's .sbat" "$T/out.efi" "$MSG" "$KEEL" uki build \
        --stub "$T/stub-sbat.efi" --linux "$KERNEL" -o "$T/out.efi"

# Addons: a PE with keel's code and a .cmdline (made with objcopy, as addons
# on a stub are); a fixup in its .cmdline changes what the stub appends.
printf 'keel.addon=reloc' >"$T/addon.txt"
objcopy --add-section .cmdline="$T/addon.txt" --change-section-vma .cmdline=0x30000 \
        --set-section-flags .cmdline=data,readonly "$STUB" "$T/good.addon.efi"
$SURGERY reloc "$T/good.addon.efi" "$T/bad.addon.efi" .cmdline 0
run "pcr predict --addon: the untouched addon" "$KEEL" pcr predict "$T/good.efi" --addon "$T/good.addon.efi"
run "uki inspect: the untouched addon" "$KEEL" uki inspect "$T/good.addon.efi"
expect_error_saying "pcr predict --addon: a fixup in the addon's .cmdline" "" "$MSG" "$KEEL" pcr predict \
        "$T/good.efi" --addon "$T/bad.addon.efi"
expect_error_saying "uki inspect: a fixup in the addon's .cmdline" "" "$MSG" "$KEEL" uki inspect "$T/bad.addon.efi"
summary
