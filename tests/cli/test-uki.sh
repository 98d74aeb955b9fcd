#!/bin/bash
# SPDX-License-Identifier: MIT
# End-to-end tests of `keel uki build` and `keel uki inspect`, run the way a
# user runs them, with the results checked by independent tools: binutils
# (objdump, objcopy), sbverify and osslsigncode.
#
#   tests/cli/test-uki.sh BUILD_DIR (tests/cli/run-all runs every test-*.sh)
#
# Prints one PASS or FAIL line per case and exits non-zero if any failed.
set -u

source "$(dirname "$0")/lib.sh"
need_build "$@"
need_tools objdump objcopy sbverify osslsigncode python3 od cmp

T=$(mktemp -d "${TMPDIR:-/tmp}/keel-cli.XXXXXX")
trap 'rm -rf "$T"' EXIT
umask 022

# ---- helpers -----------------------------------------------------------------

# A section's bytes as objdump sees them (File off, Size), written to stdout.
section_bytes() {
        local file=$1 name=$2 line off size
        line=$(objdump -h "$file" | awk -v n="$name" '$2 == n { print $3, $6 }')
        [ -n "$line" ] || return 1
        read -r size off <<<"$line"
        tail -c +$((0x$off + 1)) "$file" | head -c $((0x$size))
}

# The optional header's CheckSum field, as 8 upper-case hex digits.
checksum_field() {
        local lfanew
        lfanew=$(od -An -tu4 -j60 -N4 "$1" | tr -d ' ')
        printf '%08X' "$(od -An -tu4 -j$((lfanew + 24 + 64)) -N4 "$1" | tr -d ' ')"
}

# Files in a directory other than the ones listed.
extra_files() {
        local dir=$1 f
        shift
        for f in "$dir"/* "$dir"/.[!.]*; do
                [ -e "$f" ] || continue
                case " $* " in *" $(basename "$f") "*) continue ;; esac
                printf '%s ' "$(basename "$f")"
        done
}

# keel uki build with @OUT@ in the arguments replaced by OUTDIR/uki.efi, where
# OUTDIR is a fresh, empty directory; sets OUTDIR and RC and leaves stdout and
# stderr in OUTDIR.stdout and OUTDIR.stderr, outside the directory.
build_in_fresh_dir() {
        local arg args=()
        OUTDIR=$(mktemp -d "$T/out.XXXXXX")
        for arg in "$@"; do
                [ "$arg" = @OUT@ ] && arg=$OUTDIR/uki.efi
                args+=("$arg")
        done
        "$KEEL" uki build "${args[@]}" >"$OUTDIR.stdout" 2>"$OUTDIR.stderr"
        RC=$?
}

# A failed build: a failure exit status, exactly one line on stderr starting
# with "keel:", nothing on stdout, and no output or temporary left behind.
expect_failure() {
        local lines
        build_in_fresh_dir "$@"
        lines=$(wc -l <"$OUTDIR.stderr")
        if [ "$RC" -eq 0 ]; then
                echo "exit status 0"
                return 1
        fi
        # 126 and up mean "cannot execute" or a signal to the shell; 255 is
        # what a main() returning -1 gives.
        if [ "$RC" -gt 125 ]; then
                echo "exit status $RC, expected a plain failure status (1-125)"
                cat "$OUTDIR.stderr"
                return 1
        fi
        if [ "$lines" -ne 1 ] || [ "$(head -c 5 "$OUTDIR.stderr")" != "keel:" ]; then
                echo "expected one 'keel: ...' line on stderr, got $lines:"
                cat "$OUTDIR.stderr"
                return 1
        fi
        if [ -n "$(extra_files "$OUTDIR")" ]; then
                echo "left behind: $(extra_files "$OUTDIR")"
                return 1
        fi
        if [ -s "$OUTDIR.stdout" ]; then
                echo "unexpected output on stdout:"
                cat "$OUTDIR.stdout"
                return 1
        fi
}

# ---- inputs ------------------------------------------------------------------

IN=$T/in
mkdir "$IN"
KERNEL=
for k in /boot/vmlinuz-*; do
        [ -f "$k" ] && [ -r "$k" ] && { KERNEL=$k; break; }
done
if [ -z "$KERNEL" ]; then
        # Any x86-64 PE image will do for the layout checks.
        echo "# no readable /boot/vmlinuz-*: using a copy of the stub as the kernel"
        cp "$STUB" "$IN/vmlinuz"
        KERNEL=$IN/vmlinuz
        KERNEL_RELEASE=
else
        KERNEL_RELEASE=${KERNEL#/boot/vmlinuz-}
fi
printf 'abcde' >"$IN/initrd1"                 # 5 bytes
printf '1234567' >"$IN/initrd2"               # 7 bytes
printf 'console=ttyS0 quiet\n' >"$IN/cmdline"  # trailing newline
printf 'ID=keeltest\nNAME="Keel Test OS"\nVERSION_ID=1\n' >"$IN/os-release"
printf 'not a PE image, just text\n' >"$IN/text"
: >"$IN/empty"
CMDLINE_TEXT='root=/dev/vda2 rw loglevel=3'
UNAME=6.1.0-keeltest

# ---- successful builds -------------------------------------------------------

UKI=$T/uki.efi
UKI2=$T/uki-from-files.efi

build_full() {
        "$KEEL" uki build --stub "$STUB" --linux "$KERNEL" --initrd "$IN/initrd1" --initrd "$IN/initrd2" \
                --cmdline "$CMDLINE_TEXT" --os-release @"$IN/os-release" --uname "$UNAME" -o "$UKI" \
                >"$T/build.stdout" 2>"$T/build.stderr" || {
                echo "exit status $?:"
                cat "$T/build.stderr"
                return 1
        }
        [ -s "$T/build.stderr" ] && { echo "unexpected stderr:"; cat "$T/build.stderr"; return 1; }
        [ -f "$UKI" ] || { echo "no output file"; return 1; }
        [ -z "$(extra_files "$T" in uki.efi build.stdout build.stderr)" ] ||
                { echo "left behind: $(extra_files "$T" in uki.efi build.stdout build.stderr)"; return 1; }
        [ "$(stat -c %a "$UKI")" = 644 ] || { echo "mode $(stat -c %a "$UKI"), expected 644 under umask 022"; return 1; }
}
run "uki build with stub, kernel, two initrds, --cmdline TEXT, --os-release @FILE, --uname" build_full
[ -f "$UKI" ] || { echo "FAIL: cannot continue without a UKI"; exit 1; }

build_from_files() {
        "$KEEL" uki build --stub "$STUB" --linux "$KERNEL" --cmdline @"$IN/cmdline" \
                --os-release 'ID=inline' -o "$UKI2" 2>"$T/build2.stderr" ||
                { echo "exit status $?:"; cat "$T/build2.stderr"; return 1; }
        [ -s "$T/build2.stderr" ] && { echo "unexpected stderr:"; cat "$T/build2.stderr"; return 1; }
        return 0
}
run "uki build with --cmdline @FILE and --os-release TEXT" build_from_files

objdump_lists_sections() {
        local out err name
        out=$(objdump -h "$UKI" 2>"$T/objdump.stderr") || { echo "objdump failed"; return 1; }
        err=$(cat "$T/objdump.stderr")
        [ -z "$err" ] || { echo "objdump warns: $err"; return 1; }
        for name in .text .sbat .osrel .cmdline .uname .initrd .linux; do
                grep -q " $name " <<<"$out" || { echo "objdump -h does not list $name"; return 1; }
        done
        grep -q 'file format pei-x86-64' <<<"$out" || { echo "objdump does not see a pei-x86-64 file"; return 1; }
}
run "objdump -h lists the UKI sections without warnings" objdump_lists_sections

initrds_padded() {
        local expected=$T/initrd.expected got=$T/initrd.got
        { cat "$IN/initrd1"; printf '\0\0\0'; cat "$IN/initrd2"; printf '\0'; } >"$expected"
        objcopy -O binary --only-section=.initrd "$UKI" "$got" 2>&1 || { echo "objcopy failed"; return 1; }
        cmp -s "$expected" "$got" || { echo ".initrd (objcopy) is:"; od -c "$got"; return 1; }
        section_bytes "$UKI" .initrd >"$got"
        cmp -s "$expected" "$got" || { echo ".initrd (objdump offsets) is:"; od -c "$got"; return 1; }
}
run ".initrd is initrd1 + pad to 4 + initrd2 + pad to 4" initrds_padded

section_is() {
        local file=$1 name=$2 expected=$3 got
        got=$(section_bytes "$file" "$name" | od -An -c)
        [ "$got" = "$(printf '%s' "$expected" | od -An -c)" ] ||
                { echo "$name in $(basename "$file") is:"; section_bytes "$file" "$name" | od -c; return 1; }
}

run ".cmdline holds --cmdline TEXT" section_is "$UKI" .cmdline "$CMDLINE_TEXT"
run ".cmdline from @FILE has its trailing newline stripped" section_is "$UKI2" .cmdline "console=ttyS0 quiet"
run ".uname holds --uname" section_is "$UKI" .uname "$UNAME"

osrel_exact() {
        section_bytes "$UKI" .osrel | cmp -s - "$IN/os-release" || { echo ".osrel differs from the file"; return 1; }
}
run ".osrel is byte-identical to the os-release file" osrel_exact

linux_intact() {
        section_bytes "$UKI" .linux | cmp -s - "$KERNEL" || { echo ".linux differs from $KERNEL"; return 1; }
}
run ".linux is byte-identical to the kernel" linux_intact

sbverify_clean() {
        local err
        err=$(sbverify --list "$UKI" 2>&1 >/dev/null)
        if grep -qi 'warning\|gap\|overlap' <<<"$err"; then
                echo "sbverify: $err"
                return 1
        fi
        # The same check notices bytes after the last section.
        cp "$UKI" "$T/trailing.efi"
        printf 'xyz' >>"$T/trailing.efi"
        err=$(sbverify --list "$T/trailing.efi" 2>&1 >/dev/null)
        grep -qi warning <<<"$err" || { echo "sbverify did not warn about trailing data; the check is blind"; return 1; }
}
run "sbverify --list reports no gap or overlap" sbverify_clean

# osslsigncode prints "PE checksum   : X" when the stored checksum matches and
# "Current PE checksum / Calculated PE checksum / Warning: invalid PE
# checksum" when it does not.
checksum_matches() {
        local out stored lfanew
        stored=$(checksum_field "$UKI")
        [ "$stored" != 00000000 ] || { echo "CheckSum field is zero"; return 1; }
        out=$(osslsigncode verify -in "$UKI" 2>&1)
        grep -q "^PE checksum *: *$stored\$" <<<"$out" || { echo "osslsigncode: $out"; return 1; }
        if grep -qi 'invalid PE checksum\|Calculated PE checksum' <<<"$out"; then
                echo "osslsigncode: $out"
                return 1
        fi
        # A wrong checksum is noticed, and the calculated one is the one keel stored.
        cp "$UKI" "$T/badsum.efi"
        lfanew=$(od -An -tu4 -j60 -N4 "$UKI" | tr -d ' ')
        printf '\001\002\003\004' | dd of="$T/badsum.efi" bs=1 seek=$((lfanew + 24 + 64)) conv=notrunc status=none
        out=$(osslsigncode verify -in "$T/badsum.efi" 2>&1)
        grep -q 'invalid PE checksum' <<<"$out" || { echo "osslsigncode missed a corrupted checksum: $out"; return 1; }
        grep -q "^Calculated PE checksum: *$stored\$" <<<"$out" ||
                { echo "osslsigncode calculates another checksum: $out"; return 1; }
}
run "osslsigncode verify: the PE checksum matches" checksum_matches

inspect_json() {
        local stub_sections
        "$KEEL" uki inspect "$UKI" --json >"$T/inspect.json" 2>"$T/inspect.stderr" ||
                { echo "exit status $?"; cat "$T/inspect.stderr"; return 1; }
        [ -s "$T/inspect.stderr" ] && { cat "$T/inspect.stderr"; return 1; }
        stub_sections=$(objdump -h "$STUB" | awk '$1 ~ /^[0-9]+$/ { printf "%s ", $2 }')
        EXPECT_STUB_SECTIONS=$stub_sections EXPECT_CMDLINE=$CMDLINE_TEXT EXPECT_UNAME=$UNAME \
                python3 - "$T/inspect.json" "$IN/os-release" <<'EOF'
import json, os, sys
j = json.load(open(sys.argv[1]))
osrel = open(sys.argv[2]).read()
names = [s["name"] for s in j["sections"]]
expected = os.environ["EXPECT_STUB_SECTIONS"].split() + [".osrel", ".cmdline", ".uname", ".initrd", ".linux"]
errors = []
if names != expected:
    errors.append("sections %s, expected %s" % (names, expected))
for key, want in (("cmdline", os.environ["EXPECT_CMDLINE"]), ("os_release", osrel),
                  ("uname", os.environ["EXPECT_UNAME"]), ("is_uki", True), ("machine", "x86-64")):
    if j.get(key) != want:
        errors.append("%s is %r, expected %r" % (key, j.get(key), want))
initrd = [s for s in j["sections"] if s["name"] == ".initrd"][0]
if initrd["virtual_size"] != 16:
    errors.append(".initrd virtual_size %d, expected 16" % initrd["virtual_size"])
if errors:
    sys.exit("\n".join(errors))
EOF
}
run "uki inspect --json shows the cmdline, os-release, uname and sections" inspect_json

inspect_json_absent() {
        "$KEEL" uki inspect --json "$STUB" >"$T/inspect-stub.json" || { echo "exit status $?"; return 1; }
        python3 - "$T/inspect-stub.json" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
if j["is_uki"] is not False or j["cmdline"] is not None or j["uname"] is not None:
    sys.exit("the bare stub is shown as %r" % j)
EOF
}
run "uki inspect --json on the bare stub: not a UKI, no cmdline" inspect_json_absent

inspect_text() {
        local out
        out=$("$KEEL" uki inspect "$UKI") || { echo "exit status $?"; return 1; }
        grep -q "^cmdline: $CMDLINE_TEXT\$" <<<"$out" || { echo "$out"; return 1; }
        grep -q "^uname: $UNAME\$" <<<"$out" || { echo "$out"; return 1; }
        grep -q '^  NAME="Keel Test OS"$' <<<"$out" || { echo "$out"; return 1; }
}
run "uki inspect (text) shows the cmdline, uname and os-release" inspect_text

reproducible() {
        "$KEEL" uki build --stub "$STUB" --linux "$KERNEL" --initrd "$IN/initrd1" --initrd "$IN/initrd2" \
                --cmdline "$CMDLINE_TEXT" --os-release @"$IN/os-release" --uname "$UNAME" -o "$T/again.efi" ||
                return 1
        cmp "$UKI" "$T/again.efi" || { echo "two builds of the same inputs differ"; return 1; }
}
run "the same inputs give a byte-identical UKI" reproducible

default_stub() {
        "$KEEL" uki build --linux "$KERNEL" --uname "$UNAME" -o "$T/default-stub.efi" || return 1
        "$KEEL" uki build --stub "$STUB" --linux "$KERNEL" --uname "$UNAME" -o "$T/explicit-stub.efi" || return 1
        cmp "$T/default-stub.efi" "$T/explicit-stub.efi" || { echo "the default stub is not $STUB"; return 1; }
}
run "without --stub, keelx64.efi next to keel is used" default_stub

# Without --uname the release comes from the bzImage header, which for a
# Debian kernel is the /boot/vmlinuz-RELEASE suffix.
uname_from_kernel() {
        "$KEEL" uki build --stub "$STUB" --linux "$KERNEL" -o "$T/auto-uname.efi" || return 1
        section_is "$T/auto-uname.efi" .uname "$KERNEL_RELEASE" || return 1
        if objdump -h "$T/auto-uname.efi" | grep -q ' \.cmdline \| \.initrd \| \.osrel '; then
                echo "sections that were not asked for:"
                objdump -h "$T/auto-uname.efi"
                return 1
        fi
}
if [ -n "$KERNEL_RELEASE" ]; then
        run "without --uname, .uname is the kernel's release; no empty sections" uname_from_kernel
fi

# ---- failures ------------------------------------------------------------------

run "missing stub" expect_failure --stub "$IN/nonexistent" --linux "$KERNEL" -o @OUT@
run "missing kernel" expect_failure --stub "$STUB" --linux "$IN/nonexistent" -o @OUT@
run "missing initrd" expect_failure --stub "$STUB" --linux "$KERNEL" --initrd "$IN/initrd1" \
        --initrd "$IN/nonexistent" -o @OUT@
run "stub is a text file" expect_failure --stub "$IN/text" --linux "$KERNEL" -o @OUT@
run "stub is an empty file" expect_failure --stub "$IN/empty" --linux "$KERNEL" -o @OUT@
run "kernel is a text file" expect_failure --stub "$STUB" --linux "$IN/text" -o @OUT@
run "kernel is an empty file" expect_failure --stub "$STUB" --linux "$IN/empty" -o @OUT@
run "stub is a directory" expect_failure --stub "$IN" --linux "$KERNEL" -o @OUT@

other_arch() {
        local lfanew
        cp "$KERNEL" "$IN/kernel-aarch64"
        lfanew=$(od -An -tu4 -j60 -N4 "$KERNEL" | tr -d ' ')
        printf '\144\252' | dd of="$IN/kernel-aarch64" bs=1 seek=$((lfanew + 4)) conv=notrunc status=none
        expect_failure --stub "$STUB" --linux "$IN/kernel-aarch64" -o @OUT@
}
run "kernel for another architecture (aarch64)" other_arch

run "stub that already has .linux (a UKI as --stub)" expect_failure --stub "$UKI" --linux "$KERNEL" \
        -o @OUT@
run "unknown option" expect_failure --stub "$STUB" --linux "$KERNEL" --frobnicate -o @OUT@
run "missing -o" expect_failure --stub "$STUB" --linux "$KERNEL"
run "missing --linux" expect_failure --stub "$STUB" -o @OUT@
run "option missing its value (--cmdline at the end)" expect_failure --stub "$STUB" --linux "$KERNEL" \
        -o @OUT@ --cmdline
run "option missing its value (--initrd at the end)" expect_failure --stub "$STUB" --linux "$KERNEL" --initrd
run "--cmdline @FILE that does not exist" expect_failure --stub "$STUB" --linux "$KERNEL" \
        --cmdline @"$IN/nonexistent" -o @OUT@
run "unexpected positional argument" expect_failure --stub "$STUB" --linux "$KERNEL" -o @OUT@ extra

# Files too short to be a PE image: the line names the file and says what is
# wrong with it.
printf M >"$IN/one-byte"
# expect_failure_saying TEXT ARGS...: expect_failure, and the line contains TEXT.
expect_failure_saying() {
        local text=$1
        shift
        expect_failure "$@" || return 1
        grep -qF -- "$text" "$OUTDIR.stderr" || { echo "the line does not say \"$text\":"; cat "$OUTDIR.stderr"; return 1; }
}
EMPTY_SAYS="$IN/empty: empty file, not a PE image"
ONE_SAYS="$IN/one-byte: file too short for a DOS header (1 byte"
expect_error_saying "uki inspect on an empty file says so" "" "$EMPTY_SAYS" "$KEEL" uki inspect "$IN/empty"
expect_error_saying "uki inspect on a 1-byte file" "" "$ONE_SAYS" "$KEEL" uki inspect "$IN/one-byte"
run "stub is an empty file: says so" expect_failure_saying "$EMPTY_SAYS" --stub "$IN/empty" --linux "$KERNEL" -o @OUT@
run "stub is a 1-byte file" expect_failure_saying "$ONE_SAYS" --stub "$IN/one-byte" --linux "$KERNEL" -o @OUT@
run "kernel is an empty file: says so" expect_failure_saying "$EMPTY_SAYS" --stub "$STUB" --linux "$IN/empty" -o @OUT@
run "kernel is a 1-byte file" expect_failure_saying "$ONE_SAYS" --stub "$STUB" --linux "$IN/one-byte" -o @OUT@

missing_output_dir() {
        expect_failure --stub "$STUB" --linux "$KERNEL" -o "$T/does-not-exist/uki.efi" || return 1
        [ ! -e "$T/does-not-exist" ] || { echo "the output directory was created"; return 1; }
}
run "output directory that does not exist" missing_output_dir

help_text() {
        "$KEEL" uki build --help >"$T/help.stdout" 2>"$T/help.stderr" || { echo "exit status $?"; return 1; }
        [ -s "$T/help.stderr" ] && { cat "$T/help.stderr"; return 1; }
        grep -q '^Usage: keel uki build' "$T/help.stdout" || { cat "$T/help.stdout"; return 1; }
}
run "uki build --help prints the usage on stdout and succeeds" help_text

# keel uki inspect on bad input: one "keel:" line, a failure status, no output.
inspect_fails() {
        local rc
        "$KEEL" uki inspect "$@" >"$T/inspect-bad.stdout" 2>"$T/inspect-bad.stderr"
        rc=$?
        if [ "$rc" -eq 0 ] || [ "$rc" -gt 125 ]; then
                echo "exit status $rc"
                return 1
        fi
        if [ "$(wc -l <"$T/inspect-bad.stderr")" -ne 1 ] || [ "$(head -c 5 "$T/inspect-bad.stderr")" != "keel:" ]; then
                echo "stderr:"
                cat "$T/inspect-bad.stderr"
                return 1
        fi
        [ -s "$T/inspect-bad.stdout" ] && { echo "stdout:"; cat "$T/inspect-bad.stdout"; return 1; }
        return 0
}
inspect_fails_truncated() {
        head -c $(($(stat -c %s "$UKI") - 1)) "$UKI" >"$T/truncated.efi"
        inspect_fails "$T/truncated.efi" --json
}
run "uki inspect on a text file" inspect_fails "$IN/text"
run "uki inspect on an empty file" inspect_fails "$IN/empty"
run "uki inspect on a missing file" inspect_fails "$IN/nonexistent"
run "uki inspect on a truncated UKI" inspect_fails_truncated

# ---- command lines the kernel receives whole -----------------------------------

# Linux's EFI stub stops at the first newline and keeps fewer than 2048
# bytes (x86): keel must neither put a newline into .cmdline nor a command
# line the kernel would cut, since PCR 11, uki inspect and the signer see
# all of it.
CMDLINE_LIMIT=2048
ROOTHASH=$(printf '%064d' 0 | tr 0 a)

# A string of exactly N bytes: "x=" then 'y's.
cmdline_of_bytes() {
        printf 'x=%s' "$(head -c $(($1 - 2)) /dev/zero | tr '\0' y)"
}

# build_cmdline NAME EXPECTED CMDLINE-ARG [MORE-ARGS...]: the build succeeds,
# .cmdline holds EXPECTED, and uki inspect shows exactly that on one line.
build_cmdline() {
        local out=$T/cmdline-$1.efi expected=$2 arg=$3
        shift 3
        "$KEEL" uki build --stub "$STUB" --linux "$KERNEL" --uname x --cmdline "$arg" "$@" -o "$out" \
                2>"$T/cmdline.stderr" || { echo "exit status $?:"; cat "$T/cmdline.stderr"; return 1; }
        section_is "$out" .cmdline "$expected" || return 1
        "$KEEL" uki inspect "$out" >"$T/cmdline.inspect" || { echo "uki inspect failed"; return 1; }
        grep -qxF "cmdline: $expected" "$T/cmdline.inspect" || { echo "uki inspect shows:"; cat "$T/cmdline.inspect"; return 1; }
}

printf 'root=/dev/vda2 rw\nquiet loglevel=3\n' >"$IN/cmdline-2lines"
printf 'root=/dev/vda2 rw\r\nquiet\r\n\r\n' >"$IN/cmdline-crlf"
run "--cmdline @FILE with two lines: folded to one, uki inspect shows one line" \
        build_cmdline 2lines "root=/dev/vda2 rw quiet loglevel=3" @"$IN/cmdline-2lines"
run "--cmdline @FILE with CRLF line ends: each line break is one space, trailing ones stripped" \
        build_cmdline crlf "root=/dev/vda2 rw quiet" @"$IN/cmdline-crlf"
run "--cmdline TEXT with a newline: folded to a space" \
        build_cmdline arg "console=ttyS0 quiet" $'console=ttyS0\nquiet'

# expect_too_long CMDLINE-ARG MORE-ARGS...: refused with one line that gives
# the length and the limit.
expect_too_long() {
        local arg=$1 bytes=$2
        shift 2
        expect_failure --stub "$STUB" --linux "$KERNEL" --cmdline "$arg" "$@" -o @OUT@ || return 1
        grep -q "$bytes bytes" "$OUTDIR.stderr" && grep -q "$((CMDLINE_LIMIT - 1))" "$OUTDIR.stderr" ||
                { echo "the message does not give the length $bytes and the limit:"; cat "$OUTDIR.stderr"; return 1; }
}
run "--cmdline of $((CMDLINE_LIMIT - 1)) bytes (the longest the kernel keeps) is accepted" \
        build_cmdline limit-1 "$(cmdline_of_bytes $((CMDLINE_LIMIT - 1)))" "$(cmdline_of_bytes $((CMDLINE_LIMIT - 1)))"
run "--cmdline of $CMDLINE_LIMIT bytes is refused" expect_too_long "$(cmdline_of_bytes $CMDLINE_LIMIT)" $CMDLINE_LIMIT
printf '%s\n' "$(cmdline_of_bytes 3000)" >"$IN/cmdline-long"
run "--cmdline @FILE of 3000 bytes is refused" expect_too_long @"$IN/cmdline-long" 3000
run "--cmdline of 1024 two-byte characters ($CMDLINE_LIMIT bytes of UTF-8) is refused" \
        expect_too_long "$(printf 'é%.0s' $(seq 1024))" $CMDLINE_LIMIT
# " roothash=" and 64 hex digits add 74 bytes.
run "--cmdline of 2000 bytes with --roothash (2074 bytes in all) is refused" \
        expect_too_long "$(cmdline_of_bytes 2000)" 2074 --roothash "$ROOTHASH"
run "--cmdline of 1973 bytes with --roothash (2047 bytes in all) is accepted" \
        build_cmdline roothash-limit "$(cmdline_of_bytes 1973) roothash=$ROOTHASH" "$(cmdline_of_bytes 1973)" \
        --roothash "$ROOTHASH"

# ---- the output is one of the inputs -------------------------------------------

# -o naming an input (by any name: compared by device and inode) is refused
# before anything is written: a build would otherwise replace the kernel,
# the stub or a key with the UKI made from it.
# Every case starts from a fresh copy of the inputs in $W, since a build
# that wrongly goes ahead replaces one of them.
SAME=$T/same
mkdir -p "$SAME/pristine/bin"
P=$SAME/pristine
cp "$STUB" "$P/stub.efi"
cp "$KERNEL" "$P/vmlinuz"
cp "$IN/initrd1" "$IN/initrd2" "$IN/cmdline" "$IN/os-release" "$P/"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$P/pcr-private.pem" 2>/dev/null
openssl pkey -in "$P/pcr-private.pem" -pubout -out "$P/pcr-public.pem" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=keel-test -days 1 -keyout "$P/db.key" -out "$P/db.crt" 2>/dev/null
ln "$P/vmlinuz" "$P/vmlinuz-hardlink"
ln -s vmlinuz "$P/vmlinuz-symlink"
cp "$KEEL" "$STUB" "$P/bin/"
W=$SAME/work
fresh_inputs() { rm -rf "$W" && cp -a "$P" "$W"; }

# same_build OUTPUT: a build that uses every kind of input, written to OUTPUT.
same_build() {
        "$KEEL" uki build --stub "$W/stub.efi" --linux "$W/vmlinuz" --initrd "$W/initrd1" --initrd "$W/initrd2" \
                --cmdline @"$W/cmdline" --os-release @"$W/os-release" --uname x --pcrpkey "$W/pcr-public.pem" \
                --pcr-private-key "$W/pcr-private.pem" --key "$W/db.key" --cert "$W/db.crt" -o "$1"
}
fresh_inputs
run "a build with every kind of input succeeds (the cases below differ only in -o)" same_build "$T/same.efi"
for f in stub.efi vmlinuz initrd2 cmdline os-release pcr-public.pem pcr-private.pem db.key db.crt; do
        fresh_inputs
        expect_error_untouched "-o is an input ($f): refused, the input untouched" "$W/$f" same_build "$W/$f"
done
fresh_inputs
expect_error_untouched "-o is a hard link to --linux: refused, the kernel untouched" "$W/vmlinuz" \
        same_build "$W/vmlinuz-hardlink"
fresh_inputs
expect_error_untouched "-o is a symlink to --linux: refused, the kernel untouched" "$W/vmlinuz" \
        same_build "$W/vmlinuz-symlink"

# The default stub, keelx64.efi next to keel, is an input too.
fresh_inputs
expect_error_untouched "-o is the default stub (keelx64.efi next to keel): refused" "$W/bin/keelx64.efi" \
        "$W/bin/keel" uki build --linux "$W/vmlinuz" -o "$W/bin/keelx64.efi"

# ---- replacing an existing output ----------------------------------------------

# A successful build replaces the file by rename: a hard link to the old file
# (what a reader holding it open sees) keeps the old contents.
replace_atomically() {
        local d=$T/replace
        mkdir "$d"
        printf 'old contents\n' >"$d/uki.efi"
        ln "$d/uki.efi" "$d/old-link"
        "$KEEL" uki build --stub "$STUB" --linux "$KERNEL" --uname "$UNAME" -o "$d/uki.efi" ||
                { echo "exit status $?"; return 1; }
        [ "$(cat "$d/old-link")" = "old contents" ] || { echo "the old file was modified in place"; return 1; }
        [ "$(head -c 2 "$d/uki.efi")" = MZ ] || { echo "uki.efi was not replaced"; return 1; }
        [ "$(stat -c %i "$d/uki.efi")" != "$(stat -c %i "$d/old-link")" ] || { echo "same inode"; return 1; }
        [ -z "$(extra_files "$d" uki.efi old-link)" ] || { echo "left behind: $(extra_files "$d" uki.efi old-link)"; return 1; }

        # Under strace: the final name is written exactly once, by the rename
        # of a complete temporary onto it (no unlink, no open, no truncate);
        # stat() (is -o one of the inputs?) only looks.
        command -v strace >/dev/null && strace -f -qq -o /dev/null true 2>/dev/null || return 0
        strace -f -qq -e trace=%file -o "$T/strace.log" \
                "$KEEL" uki build --stub "$STUB" --linux "$KERNEL" --uname x -o "$d/uki.efi" ||
                { echo "exit status $? under strace"; return 1; }
        grep -F "\"$d/uki.efi\"" "$T/strace.log" | grep -Ev '^[0-9]+ +(new)?(f|l)?stat(at|x|64)?\(' >"$T/strace.final"
        if [ "$(wc -l <"$T/strace.final")" -ne 1 ] ||
                ! grep -Eq "rename(at2?)?\(.*\"$d/uki\.efi\.keel-tmp-[A-Za-z0-9]{6}\", .*\"$d/uki\.efi\"" "$T/strace.final"; then
                echo "system calls on the output path:"
                cat "$T/strace.final"
                return 1
        fi
}
run "an existing output is replaced atomically" replace_atomically

# An input that turns out shorter than its size while it is copied (here a
# sysfs attribute: 4096 bytes by stat, a few by read) fails the build after
# the temporary output was created; it must still disappear.
SHORT_FILE=
for f in /sys/kernel/mm/transparent_hugepage/enabled /sys/power/state /sys/kernel/profiling; do
        [ -f "$f" ] && [ -r "$f" ] && [ "$(stat -c %s "$f")" -gt "$(wc -c <"$f")" ] && { SHORT_FILE=$f; break; }
done
if [ -n "$SHORT_FILE" ]; then
        run "initrd shorter than its size: the build fails and removes its temporary" \
                expect_failure --stub "$STUB" --linux "$KERNEL" --initrd "$SHORT_FILE" -o @OUT@
else
        echo "# no sysfs attribute to stand in for a shrinking input; one case not run"
fi

untouched_on_failure() {
        local d=$T/keep why
        mkdir "$d"
        cp "$UKI" "$d/uki.efi"
        touch -d '2001-01-01 00:00' "$d/uki.efi"
        for args in "--initrd $IN/nonexistent" "--linux $IN/text" "--stub $IN/text" "--frobnicate"; do
                # shellcheck disable=SC2086
                "$KEEL" uki build --stub "$STUB" --linux "$KERNEL" $args -o "$d/uki.efi" 2>/dev/null &&
                        { echo "build with $args succeeded"; return 1; }
                cmp -s "$UKI" "$d/uki.efi" || { echo "uki.efi changed by a build with $args"; return 1; }
                [ "$(stat -c %Y "$d/uki.efi")" = "$(date -d '2001-01-01 00:00' +%s)" ] ||
                        { echo "uki.efi touched by a build with $args"; return 1; }
                why=$(extra_files "$d" uki.efi)
                [ -z "$why" ] || { echo "left behind after $args: $why"; return 1; }
        done
}
run "an existing output is left untouched when the build fails" untouched_on_failure

# ---- --devicetree ----------------------------------------------------------------
printf '/dts-v1/;\n/ { compatible = "keel,test"; model = "keel test board"; };\n' >"$T/board.dts"
if dtc -q -I dts -O dtb -o "$T/board.dtb" "$T/board.dts"; then
        run "uki build --devicetree DTB" "$KEEL" uki build --stub "$STUB" --linux "$STUB" --devicetree "$T/board.dtb" -o "$T/dtb.efi"
        objcopy -O binary --only-section=.dtb "$T/dtb.efi" "$T/dtb.out" 2>/dev/null
        check ".dtb holds the tree, byte for byte (objcopy)" cmp -s "$T/board.dtb" "$T/dtb.out"
        head -c 40 "$T/board.dtb" >"$T/cut.dtb"
        expect_error "a truncated device tree is refused" "$T/cut.efi" \
                "$KEEL" uki build --stub "$STUB" --linux "$STUB" --devicetree "$T/cut.dtb" -o "$T/cut.efi"
        expect_error "a file that is no device tree is refused" "$T/cut.efi" \
                "$KEEL" uki build --stub "$STUB" --linux "$STUB" --devicetree "$T/board.dts" -o "$T/cut.efi"
else
        fail "dtc cannot compile a test tree (device-tree-compiler)"
fi

summary
