#!/bin/bash
# SPDX-License-Identifier: MIT
# The host tools on both architectures keel boots, with real arm64 images:
# Debian's arm64 kernel (an EFI application as it is) and systemd-boot 252's
# systemd-bootaa64.efi and linuxaa64.efi.stub (systemd-boot-efi:arm64),
# fetched by scripts/fetch-arm64-debs into BUILD/arm64 (cached by version).
# Checked against peers: sbverify and osslsigncode accept keel's Authenticode
# signatures on aarch64 images (and keel accepts sbsign's), systemd-measure
# calculate/sign agree with keel pcr predict/sign on an arm64 UKI, the
# partition types keel image writes are systemd-id128's root-arm64 (...),
# aarch64 objdump reads the UKIs keel builds. keel uki build picks the stub
# by the kernel's machine, keel entries filters by the target's architecture
# as the loader does, keel install installs the stub of the generations'
# system. Bad input: one "keel: " line, no output left behind.
#
#   tests/cli/test-arch.sh BUILD_DIR        (root: apt-get download, tmpfs)
set -u

source "$(dirname "$0")/lib.sh"
need_build "$@"
need_tools python3 openssl sbsign sbverify osslsigncode aarch64-linux-gnu-objdump aarch64-linux-gnu-objcopy \
        systemd-id128 sfdisk mcopy mkfs.erofs swtpm apt-cache
MEASURE=/usr/lib/systemd/systemd-measure
REPO=$(cd "$(dirname "$0")/../.." && pwd)
SDBOOT_X64=/usr/lib/systemd/boot/efi/systemd-bootx64.efi

T=$(mktemp -d "${TMPDIR:-/tmp}/keel-arch.XXXXXX")
trap '[ -f "$T/tpm/pid" ] && kill "$(cat "$T/tpm/pid")" 2>/dev/null; rm -rf "$T"' EXIT
mkdir "$T/efivars"
export KEEL_EFIVARFS=$T/efivars

# ---- the arm64 images ------------------------------------------------------------

kpkg=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[^: ]*\).*/\1/p' | head -n 1)
[ -n "$kpkg" ] || { echo "FAIL apt knows no linux-image-arm64:arm64 (run 'make deps' as root)"; exit 1; }
dirs=$("$REPO/scripts/fetch-arm64-debs" "$BUILD" systemd-boot-efi "$kpkg") ||
        { echo "FAIL cannot fetch systemd-boot-efi:arm64 and $kpkg:arm64"; exit 1; }
SD_DIR=$(sed -n 1p <<<"$dirs")
K_DIR=$(sed -n 2p <<<"$dirs")
SDBOOT=$SD_DIR/usr/lib/systemd/boot/efi/systemd-bootaa64.efi
SDSTUB=$SD_DIR/usr/lib/systemd/boot/efi/linuxaa64.efi.stub
VMLINUZ=$(ls "$K_DIR"/boot/vmlinuz-* 2>/dev/null | head -n 1)
for f in "$SDBOOT" "$SDSTUB" "$VMLINUZ" "$SDBOOT_X64"; do
        [ -f "$f" ] || { echo "FAIL $f is missing"; exit 1; }
done

# machine FILE: the PE Machine field, as 4 hex digits (read with od, not keel).
machine() {
        local lfanew
        lfanew=$(od -An -tu4 -j60 -N4 "$1" | tr -d ' ')
        od -An -tx2 -j$((lfanew + 4)) -N2 "$1" | tr -d ' '
}
objdump_format() { aarch64-linux-gnu-objdump -f "$1" 2>/dev/null | sed -n 's/.*file format //p' | head -n 1; }
for f in "$SDBOOT" "$SDSTUB" "$VMLINUZ"; do
        check "input $(basename "$f") is an aarch64 PE image (objdump: pei-aarch64-little)" \
                test "$(machine "$f")/$(objdump_format "$f")" = "aa64/pei-aarch64-little"
done

# keel as installed: the binary with keelx64.efi and keelaa64.efi next to it
# (the build's, or, before the aarch64 build exists, systemd's arm64 stub in
# its place: keel picks the file by name), and one that ships only x64.
mkdir -p "$T/bin" "$T/lonely"
cp "$KEEL" "$T/bin/keel"
cp "$STUB" "$T/bin/keelx64.efi"
if [ -f "$BUILD/keelaa64.efi" ]; then
        STUB_AA64=$BUILD/keelaa64.efi
else
        echo "# no $BUILD/keelaa64.efi: systemd's linuxaa64.efi.stub stands in for it"
        STUB_AA64=$SDSTUB
fi
cp "$STUB_AA64" "$T/bin/keelaa64.efi"
cp "$KEEL" "$T/lonely/keel"
cp "$STUB" "$T/lonely/keelx64.efi"
KEEL_BIN=$T/bin/keel

head -c 100000 /dev/urandom >"$T/initrd"
printf 'ID=armos\nVERSION_ID=1\nPRETTY_NAME="Arm OS 1"\n' >"$T/osrel"

# ---- keel uki build: the stub for the kernel's machine ---------------------------

echo "# keel uki build"
run "uki build: systemd's arm64 stub + Debian's arm64 kernel" "$KEEL" uki build --stub "$SDSTUB" --linux "$VMLINUZ" \
        --initrd "$T/initrd" --cmdline "console=ttyAMA0 quiet" --os-release @"$T/osrel" --uname "" -o "$T/aa-sd.efi"
check "the UKI is an aarch64 PE image objdump reads" test \
        "$(machine "$T/aa-sd.efi")/$(objdump_format "$T/aa-sd.efi")" = "aa64/pei-aarch64-little"
for s in linux osrel cmdline initrd; do
        aarch64-linux-gnu-objcopy -O binary --only-section=.$s "$T/aa-sd.efi" "$T/aa-sd.$s" 2>/dev/null
done
check "objcopy (aarch64) finds the kernel and the initrd unchanged in .linux and .initrd" \
        bash -c "cmp -s '$T/aa-sd.linux' '$VMLINUZ' && cmp -s '$T/aa-sd.initrd' '$T/initrd'"
inspect_sections() {
        "$KEEL" uki inspect --json "$1" | python3 -c '
import json, sys
u = json.load(sys.stdin)
print(u["machine"], " ".join(s["name"] for s in u["sections"]))'
}
objdump_sections() { aarch64-linux-gnu-objdump -h "$1" | awk '$1 ~ /^[0-9]+$/ { printf "%s ", $2 }' | sed 's/ $//'; }
check "uki inspect: machine aarch64, the sections objdump lists" test \
        "$(inspect_sections "$T/aa-sd.efi")" = "aarch64 $(objdump_sections "$T/aa-sd.efi")"

uname_of() { "$KEEL" uki inspect --json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("uname"))'; }
"$KEEL" uki build --stub "$SDSTUB" --linux "$VMLINUZ" -o "$T/aa-uname.efi" 2>/dev/null
check "without --uname, .uname is the arm64 kernel's release (its file name: ${VMLINUZ##*/vmlinuz-})" \
        test "$(uname_of "$T/aa-uname.efi")" = "${VMLINUZ##*/vmlinuz-}"
"$KEEL_BIN" uki build --linux "$VMLINUZ" --cmdline quiet --os-release @"$T/osrel" -o "$T/aa-auto.efi" 2>"$T/err"
"$KEEL_BIN" uki build --stub "$T/bin/keelaa64.efi" --linux "$VMLINUZ" --cmdline quiet --os-release @"$T/osrel" \
        -o "$T/aa-explicit.efi" 2>>"$T/err"
same_nonempty() { [ -s "$1" ] && cmp -s "$1" "$2"; }
check "without --stub an arm64 kernel gets keelaa64.efi (= --stub keelaa64.efi, byte for byte)" \
        same_nonempty "$T/aa-auto.efi" "$T/aa-explicit.efi"
check "  ... and it is an aarch64 image" test "$(machine "$T/aa-auto.efi")" = aa64
"$KEEL_BIN" uki build --linux "$STUB" --cmdline quiet --os-release @"$T/osrel" -o "$T/x-auto.efi" 2>"$T/err"
"$KEEL_BIN" uki build --stub "$STUB" --linux "$STUB" --cmdline quiet --os-release @"$T/osrel" -o "$T/x-explicit.efi" 2>>"$T/err"
check "without --stub an x86-64 kernel gets keelx64.efi (= --stub keelx64.efi)" \
        same_nonempty "$T/x-auto.efi" "$T/x-explicit.efi"
check "  ... and it is an x86-64 image" test "$(machine "$T/x-auto.efi")" = 8664
expect_error_saying "no --stub, arm64 kernel, keel ships no keelaa64.efi" "$T/o.efi" keelaa64.efi \
        "$T/lonely/keel" uki build --linux "$VMLINUZ" -o "$T/o.efi"
cp "$STUB" "$T/riscv.efi"
lfanew=$(od -An -tu4 -j60 -N4 "$STUB" | tr -d ' ')
printf '\144\120' | dd of="$T/riscv.efi" bs=1 seek=$((lfanew + 4)) conv=notrunc status=none
expect_error_saying "no --stub, a kernel for a machine keel has no stub for (riscv64)" "$T/o.efi" 0x5064 \
        "$KEEL_BIN" uki build --linux "$T/riscv.efi" -o "$T/o.efi"
expect_error_saying "--stub keelx64.efi with an arm64 kernel: refused" "$T/o.efi" aa64 \
        "$KEEL" uki build --stub "$STUB" --linux "$VMLINUZ" -o "$T/o.efi"
expect_error_saying "--stub keelaa64.efi with an x86-64 kernel: refused" "$T/o.efi" x64 \
        "$KEEL" uki build --stub "$STUB_AA64" --linux "$STUB" -o "$T/o.efi"
expect_error_saying "--stub systemd's arm64 stub with an x86-64 kernel: refused" "$T/o.efi" x64 \
        "$KEEL" uki build --stub "$SDSTUB" --linux "$STUB" -o "$T/o.efi"
expect_error "no --stub, the kernel is not a PE image" "$T/o.efi" \
        "$KEEL_BIN" uki build --linux "$T/initrd" -o "$T/o.efi"

# ---- keel pcr predict / sign on an arm64 UKI ------------------------------------------

echo "# keel pcr"
sections="--linux=$T/aa-sd.linux --osrel=$T/aa-sd.osrel --cmdline=$T/aa-sd.cmdline --initrd=$T/aa-sd.initrd"
"$KEEL" pcr predict "$T/aa-sd.efi" >"$T/k1" 2>/dev/null
$MEASURE calculate $sections >"$T/m1" 2>/dev/null
check "pcr predict = systemd-measure calculate on an arm64 UKI (all banks, default phases)" \
        same_nonempty "$T/m1" "$T/k1"
"$KEEL" pcr predict "$T/aa-sd.efi" --bank sha256 --phase=enter-initrd --phase= >"$T/k2" 2>/dev/null
$MEASURE calculate $sections --bank=sha256 --phase=enter-initrd --phase= >"$T/m2" 2>/dev/null
check "pcr predict --bank/--phase = systemd-measure calculate (arm64)" same_nonempty "$T/m2" "$T/k2"

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/pcr.pem" 2>/dev/null
openssl pkey -in "$T/pcr.pem" -pubout -out "$T/pcr-pub.pem"
mkdir -p "$T/tpm"
port=$(python3 -c 'import socket
for p in range(25000, 26000, 2):
    try:
        a = socket.socket(); a.bind(("127.0.0.1", p)); b = socket.socket(); b.bind(("127.0.0.1", p + 1))
        a.close(); b.close(); print(p); break
    except OSError:
        pass')
swtpm socket --tpm2 --tpmstate dir="$T/tpm" --server type=tcp,port="$port" --ctrl type=tcp,port=$((port + 1)) \
        --flags not-need-init,startup-clear --daemon --pid file="$T/tpm/pid"
"$KEEL" pcr sign "$T/aa-sd.efi" --private-key "$T/pcr.pem" -o "$T/k-sig.json" 2>/dev/null
$MEASURE sign --tpm2-device="swtpm:port=$port" $sections --private-key="$T/pcr.pem" --public-key="$T/pcr-pub.pem" \
        --json=short >"$T/m-sig.json" 2>/dev/null
run "pcr sign = systemd-measure 252 sign on an arm64 UKI (non-sha256 signatures: SHA-256, as 262)" \
        pcrsig_eq_252 "$T/k-sig.json" "$T/m-sig.json" "$T/pcr-pub.pem"
"$KEEL" uki build --stub "$SDSTUB" --linux "$VMLINUZ" --initrd "$T/initrd" --cmdline "console=ttyAMA0 quiet" \
        --os-release @"$T/osrel" --uname "" --pcrpkey "$T/pcr-pub.pem" --pcr-private-key "$T/pcr.pem" \
        -o "$T/aa-pcrsig.efi" 2>/dev/null
aarch64-linux-gnu-objcopy -O binary --only-section=.pcrsig "$T/aa-pcrsig.efi" "$T/aa-pcrsig.pcrsig" 2>/dev/null
$MEASURE sign --tpm2-device="swtpm:port=$port" $sections --pcrpkey="$T/pcr-pub.pem" --private-key="$T/pcr.pem" \
        --public-key="$T/pcr-pub.pem" --json=short >"$T/m-sig2.json" 2>/dev/null
# The section holds the JSON (objcopy -O binary may pad it with NULs).
run "uki build .pcrsig (arm64) = systemd-measure 252 sign over its sections (as above)" \
        pcrsig_eq_252 "$T/aa-pcrsig.pcrsig" "$T/m-sig2.json" "$T/pcr-pub.pem"

# ---- keel sign / verify on aarch64 images -------------------------------------------

echo "# keel sign / verify"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/db.key" -out "$T/db.crt" -days 365 -subj /CN=keel-arch-db \
        2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/other.key" -out "$T/other.crt" -days 365 -subj /CN=other \
        2>/dev/null
quiet() { "$@" >/dev/null 2>&1; }
ossl_ok() { osslsigncode verify -CAfile "$2" -in "$1" 2>&1 | grep -q '^Succeeded'; }
digest() { osslsigncode verify -in "$1" 2>&1 | sed -n 's/^Current message digest *: *//p'; }
same_digest() { local a b; a=$(digest "$1"); b=$(digest "$2"); [ -n "$a" ] && [ "$a" = "$b" ]; }
for img in sd-boot:"$SDBOOT" uki:"$T/aa-sd.efi" keelaa64:"$STUB_AA64"; do
        name=${img%%:*}
        file=${img#*:}
        "$KEEL" sign --key "$T/db.key" --cert "$T/db.crt" -o "$T/$name-signed.efi" "$file" 2>/dev/null
        check "sbverify accepts keel's signature on aarch64 $name" quiet sbverify --cert "$T/db.crt" "$T/$name-signed.efi"
        check "osslsigncode verify accepts keel's signature on aarch64 $name" ossl_ok "$T/$name-signed.efi" "$T/db.crt"
        check "keel verify accepts it" quiet "$KEEL" verify --cert "$T/db.crt" "$T/$name-signed.efi"
        sbsign --key "$T/db.key" --cert "$T/db.crt" --output "$T/$name-sbsign.efi" "$file" >/dev/null 2>&1
        check "keel verify accepts sbsign's signature on aarch64 $name" \
                quiet "$KEEL" verify --cert "$T/db.crt" "$T/$name-sbsign.efi"
        check "the digest keel signs = sbsign's (aarch64 $name)" same_digest "$T/$name-signed.efi" "$T/$name-sbsign.efi"
done
expect_error "keel verify: an aarch64 image signed by another key" "" \
        "$KEEL" verify --cert "$T/other.crt" "$T/sd-boot-signed.efi"
expect_error "keel verify: an unsigned aarch64 image" "" "$KEEL" verify --cert "$T/db.crt" "$SDBOOT"
"$KEEL" uki build --stub "$STUB_AA64" --linux "$VMLINUZ" --cmdline quiet --key "$T/db.key" --cert "$T/db.crt" \
        -o "$T/aa-signed-uki.efi" 2>/dev/null
check "uki build --key/--cert (arm64): sbverify accepts" quiet sbverify --cert "$T/db.crt" "$T/aa-signed-uki.efi"
check "uki build --key/--cert (arm64): osslsigncode accepts" ossl_ok "$T/aa-signed-uki.efi" "$T/db.crt"

# ---- keel image: arm64 partition types and BOOTAA64.EFI -----------------------------

echo "# keel image"
mkdir -p "$T/root/etc" "$T/root/usr/bin"
echo "ID=armos" >"$T/root/etc/os-release"
echo hello >"$T/root/usr/bin/hello"
uuid_of() { systemd-id128 show "$1" | awk -v n="$1" '$1 == n { print $2 }' | sed -E 's/(.{8})(.{4})(.{4})(.{4})(.{12})/\1-\2-\3-\4-\5/' | tr a-f A-F; }
partition() {
        sfdisk --json "$1" | python3 -c "import json,sys; print(json.load(sys.stdin)['partitiontable']['partitions'][$2 - 1].get('$3', ''))"
}
esp_has() { rm -f "$T/got"; mcopy -n -i "$1@@1M" "::$2" "$T/got" 2>/dev/null && { [ -z "${3:-}" ] || cmp -s "$T/got" "$3"; }; }
"$KEEL" image --root "$T/root" --loader "$SDBOOT" --uki "$T/aa-sd.efi" -o "$T/aa.img" >"$T/image.out" 2>"$T/image.err"
check "image with an arm64 loader and UKI is built" test -s "$T/aa.img"
for p in "2 root-arm64" "3 root-arm64-verity"; do
        set -- $p
        check "partition $1 type = systemd-id128's $2" test "$(partition "$T/aa.img" "$1" type)" = "$(uuid_of "$2")"
        check "partition $1 is named $2" test "$(partition "$T/aa.img" "$1" name)" = "$2"
done
check "the loader is \\EFI\\BOOT\\BOOTAA64.EFI" esp_has "$T/aa.img" /EFI/BOOT/BOOTAA64.EFI "$SDBOOT"
check "there is no \\EFI\\BOOT\\BOOTX64.EFI" bash -c "! mcopy -n -i '$T/aa.img@@1M' ::/EFI/BOOT/BOOTX64.EFI '$T/none' 2>/dev/null"
check "the output names the arm64 partitions" grep -q '(root-arm64-verity)' "$T/image.out"
"$KEEL" image --root "$T/root" --usr --loader "$SDBOOT" --uki "$T/aa-sd.efi" -o "$T/aa-usr.img" >/dev/null 2>&1
for p in "2 usr-arm64" "3 usr-arm64-verity"; do
        set -- $p
        check "--usr: partition $1 type = systemd-id128's $2" test "$(partition "$T/aa-usr.img" "$1" type)" = "$(uuid_of "$2")"
done
"$KEEL" image --root "$T/root" --loader "$SDBOOT_X64" --uki "$T/x-explicit.efi" -o "$T/x.img" >/dev/null 2>&1
for p in "2 root-x86-64" "3 root-x86-64-verity"; do
        set -- $p
        check "x86-64: partition $1 type = systemd-id128's $2" test "$(partition "$T/x.img" "$1" type)" = "$(uuid_of "$2")"
done
check "x86-64: the loader is \\EFI\\BOOT\\BOOTX64.EFI" esp_has "$T/x.img" /EFI/BOOT/BOOTX64.EFI "$SDBOOT_X64"
expect_error_saying "image: an arm64 loader with an x86-64 UKI is refused" "$T/mix.img" "one architecture" \
        "$KEEL" image --root "$T/root" --loader "$SDBOOT" --uki "$T/x-explicit.efi" -o "$T/mix.img"
expect_error_saying "image: UKIs of two architectures are refused" "$T/mix.img" "one architecture" \
        "$KEEL" image --root "$T/root" --loader "$SDBOOT" --uki "$T/aa-sd.efi" --uki "$T/x-explicit.efi" -o "$T/mix.img"
expect_error_saying "image: a loader for riscv64 is refused" "$T/mix.img" 0x5064 \
        "$KEEL" image --root "$T/root" --loader "$T/riscv.efi" --uki "$T/aa-sd.efi" -o "$T/mix.img"
check "--roothash-only with arm64 UKIs names root-arm64" bash -c \
        "'$KEEL' image --root '$T/root' --uki '$T/aa-sd.efi' --roothash-only 2>/dev/null | grep -q '(root-arm64)'"

# ---- keel entries: the target's architecture ------------------------------------------

echo "# keel entries"
new_esp() {
        rm -rf "$1"
        mkdir -p "$1/loader/entries" "$1/EFI/Linux" "$1/EFI/BOOT"
        echo kernel >"$1/vmlinuz"
        printf 'title A\nlinux /vmlinuz\narchitecture aa64\n' >"$1/loader/entries/arm.conf"
        printf 'title A upper\nlinux /vmlinuz\narchitecture AA64\n' >"$1/loader/entries/arm-upper.conf"
        printf 'title X\nlinux /vmlinuz\narchitecture x64\n' >"$1/loader/entries/x86.conf"
        printf 'title Any\nlinux /vmlinuz\n' >"$1/loader/entries/any.conf"
        cp "$T/aa-sd.efi" "$1/EFI/Linux/arm-uki.efi"
        cp "$T/x-explicit.efi" "$1/EFI/Linux/x86-uki.efi"
}
ARM_IDS="any.conf arm-uki.efi arm-upper.conf arm.conf"
X86_IDS="any.conf x86-uki.efi x86.conf"
ids() { # ids ESP ARGS...: the IDs keel entries lists, sorted, space-separated
        local esp=$1
        shift
        "$KEEL" entries --esp "$esp" "$@" --json 2>/dev/null |
                python3 -c 'import json,sys; print(" ".join(sorted(e["id"] for e in json.load(sys.stdin) if e["type"] != "auto")))'
}
new_esp "$T/esp"
cp "$SDBOOT" "$T/esp/EFI/BOOT/BOOTAA64.EFI"
check "BOOTAA64.EFI on the ESP: aa64/AA64 and unmarked entries, the arm64 UKI" test "$(ids "$T/esp")" = "$ARM_IDS"
check "--arch x64 overrides it: x64 and unmarked entries, the x86-64 UKI" test "$(ids "$T/esp" --arch x64)" = "$X86_IDS"
check "--arch AA64 (any case)" test "$(ids "$T/esp" --arch AA64)" = "$ARM_IDS"
"$KEEL" entries --esp "$T/esp" >/dev/null 2>"$T/warn"
check "the hidden ones are warned about" bash -c \
        "grep -q 'x86.conf.*another architecture' '$T/warn' && grep -q 'x86-uki.efi.*another architecture' '$T/warn'"
check "--check: an x86-64 UKI on an arm64 ESP is not a broken entry" quiet "$KEEL" entries --esp "$T/esp" --check
head -c 100000 "$T/aa-sd.efi" >"$T/esp/EFI/Linux/arm-cut.efi"
rc=0
"$KEEL" entries --esp "$T/esp" --check >"$T/check.out" 2>/dev/null || rc=$?
check "--check: a truncated arm64 UKI is a broken entry (the only one)" \
        test "$rc $(cut -d' ' -f1 "$T/check.out" | paste -sd' ')" = "1 arm-cut.efi"
rm "$T/esp/EFI/Linux/arm-cut.efi"
mv "$T/esp/EFI/BOOT/BOOTAA64.EFI" "$T/esp/EFI/BOOT/BOOTX64.EFI"
cp "$SDBOOT_X64" "$T/esp/EFI/BOOT/BOOTX64.EFI"
check "BOOTX64.EFI on the ESP: the x64 menu" test "$(ids "$T/esp")" = "$X86_IDS"
cp "$SDBOOT" "$T/esp/EFI/BOOT/bootaa64.efi"
expect_error_saying "loaders for both architectures, no --arch: refused" "" "--arch" "$KEEL" entries --esp "$T/esp"
check "  ... and --arch aa64 chooses (names matched ignoring case, as on FAT)" test "$(ids "$T/esp" --arch aa64)" = "$ARM_IDS"
rm -rf "$T/esp/EFI/BOOT"
case "$(uname -m)" in
x86_64) host_ids=$X86_IDS ;;
aarch64) host_ids=$ARM_IDS ;;
*) host_ids="" ;;
esac
if [ -n "$host_ids" ]; then
        check "no loader on the ESP: the host's architecture ($(uname -m))" test "$(ids "$T/esp")" = "$host_ids"
fi
expect_error_saying "--arch riscv64: refused" "" "x64|aa64" "$KEEL" entries --esp "$T/esp" --arch riscv64
expect_error "--arch without a value" "" "$KEEL" entries --esp "$T/esp" --arch

# ---- keel install: the stub of the generations' system ----------------------------------

echo "# keel install"
mkdir -p "$T/profiles" "$T/gens"
mkgen() { # mkgen N SYSTEM KERNEL
        mkdir -p "$T/gens/$1"
        cat >"$T/gens/$1/boot.json" <<JSON
{
  "org.nixos.bootspec.v1": {
    "system": "$2",
    "init": "/nix/store/00000000000000000000000000000000-nixos-system-$1/init",
    "initrd": "$T/initrd",
    "kernel": "$3",
    "kernelParams": ["gen=$1"],
    "label": "NixOS $2 $1",
    "toplevel": "/nix/store/00000000000000000000000000000000-nixos-system-$1"
  }
}
JSON
        ln -sfn "$T/gens/$1" "$T/profiles/system-$1-link"
}
links() { for n in "$@"; do printf '%s ' "$T/profiles/system-$n-link"; done; }
mkgen 1 aarch64-linux "$VMLINUZ"
mkgen 2 aarch64-linux "$VMLINUZ"
mkgen 3 x86_64-linux "$STUB"
export TMPDIR=$T
mkdir "$T/iesp"
"$KEEL_BIN" install --esp "$T/iesp" --profiles "$T/profiles" $(links 1 2) >/dev/null 2>"$T/install.err"
check "install arm64 generations without --stub: keelaa64.efi as BOOTAA64.EFI and in EFI/keel" bash -c \
        "cmp -s '$T/iesp/EFI/BOOT/BOOTAA64.EFI' '$STUB_AA64' && cmp -s '$T/iesp/EFI/keel/keelaa64.efi' '$STUB_AA64' && [ ! -e '$T/iesp/EFI/BOOT/BOOTX64.EFI' ] && [ ! -e '$T/iesp/EFI/keel/keelx64.efi' ]"
check "  ... the entries are aarch64 UKIs" test \
        "$(machine "$T/iesp/EFI/Linux/nixos-generation-1.efi") $(machine "$T/iesp/EFI/Linux/nixos-generation-2.efi")" = "aa64 aa64"
check "  ... keel entries (arm64 by the loader on the ESP) lists both" test "$(ids "$T/iesp")" = \
        "nixos-generation-1.efi nixos-generation-2.efi"
rm -rf "$T/iesp" && mkdir "$T/iesp"
"$KEEL_BIN" install --esp "$T/iesp" --profiles "$T/profiles" $(links 3 1 2) >/dev/null 2>"$T/install.err"
check "x86-64 generation first: keelx64.efi, the arm64 ones skipped with a line each" bash -c \
        "cmp -s '$T/iesp/EFI/BOOT/BOOTX64.EFI' '$STUB' && [ -f '$T/iesp/EFI/Linux/nixos-generation-3.efi' ] && [ ! -e '$T/iesp/EFI/Linux/nixos-generation-1.efi' ] && [ \$(grep -c 'aarch64-linux does not match the x64 stub' '$T/install.err') = 2 ]"
rm -rf "$T/iesp" && mkdir "$T/iesp"
"$KEEL_BIN" install --esp "$T/iesp" --profiles "$T/profiles" $(links 1 3 2) >/dev/null 2>"$T/install.err"
check "arm64 generation first: keelaa64.efi, the x86-64 one skipped" bash -c \
        "cmp -s '$T/iesp/EFI/BOOT/BOOTAA64.EFI' '$STUB_AA64' && [ ! -e '$T/iesp/EFI/Linux/nixos-generation-3.efi' ] && grep -q 'system-3-link.*x86_64-linux does not match the aa64 stub' '$T/install.err'"
rm -rf "$T/iesp" && mkdir "$T/iesp"
"$KEEL" install --esp "$T/iesp" --profiles "$T/profiles" --stub "$STUB_AA64" $(links 3 1) >/dev/null 2>"$T/install.err"
check "--stub keelaa64.efi decides over the first generation: 1 installed, 3 skipped" bash -c \
        "[ -f '$T/iesp/EFI/Linux/nixos-generation-1.efi' ] && [ ! -e '$T/iesp/EFI/Linux/nixos-generation-3.efi' ] && [ -f '$T/iesp/EFI/BOOT/BOOTAA64.EFI' ]"
rm -rf "$T/iesp" && mkdir "$T/iesp"
expect_error_saying "no --stub, arm64 generations, keel ships no keelaa64.efi: nothing written" "" keelaa64.efi \
        "$T/lonely/keel" install --esp "$T/iesp" --profiles "$T/profiles" $(links 1)
check "  ... the ESP stays empty" test -z "$(ls -A "$T/iesp")"
mkgen 4 riscv64-linux "$T/riscv.efi"
"$KEEL_BIN" install --esp "$T/iesp" --profiles "$T/profiles" $(links 4) >/dev/null 2>"$T/install.err"
check "only a riscv64 generation: refused, it is skipped saying keel has no stub for it" bash -c \
        "grep -q 'riscv64-linux: keel has no stub' '$T/install.err' && grep -q 'no installable generation' '$T/install.err' && [ -z \"\$(ls -A '$T/iesp')\" ]"

summary
