#!/bin/bash
# SPDX-License-Identifier: MIT
# `keel entries` on hostile ESP trees, the way a user runs it: it must never
# crash or hang (each run is under `timeout 20`: 124 means it hung, 128 and
# up that it died of a signal), must hide exactly the entries the loader
# would not boot, and must still list every good entry. Bad usage gets one
# "keel: " line on stderr and a failure status.
#
#   tests/cli/test-entries.sh BUILD_DIR
set -u

source "$(dirname "$0")/lib.sh"
need_build "$@"
need_tools python3

T=$(mktemp -d "${TMPDIR:-/tmp}/keel-entries.XXXXXX")
trap 'rm -rf "$T"' EXIT
# The host's own EFI variables (LoaderEntryDefault...) must not decide the
# default in these tests.
mkdir "$T/efivars"
export KEEL_EFIVARFS=$T/efivars

# ---- building blocks -----------------------------------------------------------

# A keel UKI with the given os-release; the "kernel" is keel's own EFI image
# (any x86-64 PE will do: nothing is booted here).
make_uki() {
        printf '%s' "$2" >"$T/osrel"
        "$KEEL" uki build --stub "$STUB" --linux "$STUB" --cmdline "quiet" --os-release @"$T/osrel" -o "$1" \
                >/dev/null || { echo "cannot build the test UKI $1"; exit 1; }
}
GOOD_UKI=$T/good-uki.efi
make_uki "$GOOD_UKI" $'ID=goodos\nVERSION_ID=7\nPRETTY_NAME="Good OS 7"\n'

# new_esp DIR: a tree with the good entries every case must still see:
# two Type #1 entries (kernel and initrd present) and one UKI.
GOOD_IDS="good-a.conf good-b.conf good-uki.efi"
new_esp() {
        local d=$1
        mkdir -p "$d/loader/entries" "$d/EFI/Linux" "$d/EFI/BOOT"
        echo kernel >"$d/vmlinuz"
        echo initrd >"$d/initrd.img"
        printf 'title Good A\nversion 2\nlinux /vmlinuz\ninitrd /initrd.img\noptions quiet\n' >"$d/loader/entries/good-a.conf"
        printf 'title Good B\r\nlinux \\vmlinuz\r\n' >"$d/loader/entries/good-b.conf"
        cp "$GOOD_UKI" "$d/EFI/Linux/good-uki.efi"
}

# entries DIR [ARGS...]: runs keel entries --json under a timeout; the JSON
# goes to $OUT, stderr to $ERR; fails on a hang, a crash or a failure status.
entries() {
        local d=$1 rc
        shift
        OUT=$T/out.json
        ERR=$T/err.txt
        timeout 20 "$KEEL" entries --esp "$d" "$@" --json >"$OUT" 2>"$ERR"
        rc=$?
        if [ $rc -eq 124 ]; then
                echo "keel entries hung (killed after 20 s)"
                return 1
        fi
        if [ $rc -ne 0 ]; then
                echo "keel entries exited with $rc$([ $rc -gt 128 ] && echo " (signal $((rc - 128)))")"
                tail -n 5 "$ERR"
                return 1
        fi
}

# check_json [EXPECTED_IDS...]: the JSON parses, every entry has the fields,
# exactly one default; the listed IDs (auto- entries aside) are exactly the
# expected ones when any are given, else they must include GOOD_IDS.
check_json() {
        python3 - "$OUT" "$GOOD_IDS" "$@" <<'EOF'
import json, sys
path, good, expected = sys.argv[1], sys.argv[2].split(), sys.argv[3:]
try:
    entries = json.load(open(path, encoding="utf-8"))
except Exception as e:
    sys.exit(f"--json output does not parse: {e}")
errors = []
fields = ("id", "title", "version", "sort_key", "path", "tries_left", "tries_done", "is_default")
for e in entries:
    missing = [f for f in fields if f not in e]
    if missing:
        errors.append(f"entry {e.get('id')} lacks {missing}")
    if not isinstance(e.get("title"), str) or not e["title"]:
        errors.append(f"entry {e.get('id')} has no title")
defaults = [e["id"] for e in entries if e.get("is_default")]
if entries and len(defaults) != 1:
    errors.append(f"{len(defaults)} default entries: {defaults}")
ids = [e["id"] for e in entries if not e["id"].startswith("auto-")]
if expected and sorted(ids) != sorted(expected):
    errors.append(f"listed {sorted(ids)}, expected {sorted(expected)}")
missing = [g for g in good if g not in ids]
if missing:
    errors.append(f"good entries not listed: {missing}")
if errors:
    sys.exit("\n".join(errors))
EOF
}

# ---- the cases -------------------------------------------------------------------

baseline() {
        local d=$T/baseline
        new_esp "$d"
        entries "$d" || return 1
        check_json $GOOD_IDS || return 1
        # The UKI has a sort key (ID=goodos) and comes first; the Type #1
        # entries have none and follow by ID, newest first.
        python3 - "$OUT" <<'EOF' || return 1
import json, sys
e = json.load(open(sys.argv[1]))
ids = [x["id"] for x in e]
want = ["good-uki.efi", "good-b.conf", "good-a.conf"]
if ids != want:
    sys.exit(f"order {ids}, expected {want}")
uki = e[0]
if (uki["title"], uki["version"], uki["sort_key"], uki["is_default"]) != ("Good OS 7", "7", "goodos", True):
    sys.exit(f"UKI entry is {uki}")
if e[2]["path"] is None or not e[2]["path"].endswith("/loader/entries/good-a.conf"):
    sys.exit(f"path of good-a.conf is {e[2]['path']}")
EOF
}
run "a plain tree: the good entries, in order, with all fields" baseline

ten_thousand() {
        local d=$T/many i
        new_esp "$d"
        # 10 000 files: every hostile kind the loader must skip, and every
        # 33rd one a valid entry (304 in all, fewer than the 1024 the loader
        # keeps).
        (
                cd "$d/loader/entries" || exit 1
                for ((i = 0; i < 10000; i++)); do
                        if ((i % 33 == 0)); then
                                printf 'title junk %d\nlinux /vmlinuz\n' "$i" >"junk-$i.conf"
                                continue
                        fi
                        case $((i % 8)) in
                        0) printf 'title missing %d\nlinux /nope-%d\n' "$i" "$i" >"missing-$i.conf" ;;
                        1) printf 'title evil %d\nlinux /../../%d\n' "$i" "$i" >"trav-$i.conf" ;;
                        2) printf 'title no kernel %d\n' "$i" >"nokernel-$i.conf" ;;
                        3) printf 'title t\nlinux /vmlinuz\n' >"bad name-$i.conf" ;;
                        4) printf 'title t\nlinux /vmlinuz\n' >"range-$i+99999999999.conf" ;;
                        5) printf 'title t\nlinux /vmlinuz\narchitecture aa64\n' >"arm-$i.conf" ;;
                        6) printf 'title t\nlinux /vmlinuz\ninitrd ..\\%d\n' "$i" >"trav2-$i.conf" ;;
                        7) printf '\377\376garbage %d\000\r\n' "$i" >"garbage-$i.conf" ;;
                        esac
                done
        )
        [ "$(ls "$d/loader/entries" | wc -l)" -ge 10000 ] || { echo "could not create the files"; return 1; }
        entries "$d" || return 1
        check_json || return 1
        python3 - "$OUT" <<'EOF' || return 1
import json, sys
e = json.load(open(sys.argv[1]))
ids = [x["id"] for x in e]
junk = [i for i in ids if i.startswith("junk-")]
other = [i for i in ids if not i.startswith(("junk-", "good-"))]
if other:
    sys.exit(f"listed entries that cannot boot: {other[:5]}")
if len(junk) != len(range(0, 10000, 33)):
    sys.exit(f"{len(junk)} valid junk entries listed, expected {len(range(0, 10000, 33))}")
EOF
}
run "10 000 hostile entry files: no hang, every good entry listed, no bad one" ten_thousand

full_array() {
        local d=$T/full i
        new_esp "$d"
        (
                cd "$d/loader/entries" || exit 1
                for ((i = 0; i < 1100; i++)); do
                        printf 'title junk %d\nlinux /vmlinuz\n' "$i" >"junk-$i.conf"
                done
        )
        entries "$d" || return 1
        # The loader keeps at most 1024 entries. File names are read in
        # strcmp order ("good-*" < "junk-*"), so the good Type #1 entries are
        # among them; the rest is left out with a warning.
        python3 - "$OUT" <<'EOF' || return 1
import json, sys
ids = [x["id"] for x in json.load(open(sys.argv[1]))]
if len(ids) != 1024 or "good-a.conf" not in ids or "good-b.conf" not in ids:
    sys.exit(f"{len(ids)} entries listed: {ids[:3]}...")
EOF
        grep -q "too many boot entries" "$ERR" || { echo "no warning about the entries left out"; return 1; }
}
run "more than 1024 valid entries: 1024 kept, a warning for the rest" full_array

long_lines() {
        local d=$T/long
        new_esp "$d"
        python3 - "$d" <<'EOF'
import sys
d = sys.argv[1]
open(f"{d}/loader/entries/line100k.conf", "w").write("title " + "x" * 100000 + "\nlinux /vmlinuz\n")
open(f"{d}/loader/entries/title60k.conf", "w").write("title " + "y" * 60000 + "\nlinux /vmlinuz\n")
open(f"{d}/loader/entries/opt100k.conf", "w").write("linux /vmlinuz\noptions " + "o" * 100000)
open(f"{d}/loader/entries/comment60k.conf", "w").write("#" + "c" * 60000 + "\ntitle After a long comment\nlinux /vmlinuz\n")
open(f"{d}/loader/loader.conf", "w").write("default " + "d" * 100000 + "\ntimeout 0\n")
EOF
        entries "$d" || return 1
        check_json $GOOD_IDS comment60k.conf
}
run "100 KB lines (entries, loader.conf): skipped, not truncated; no crash" long_lines

nul_bytes() {
        local d=$T/nul
        new_esp "$d"
        printf 'title nul\000 bytes\nlinux /vmlinuz\000\000\n' >"$d/loader/entries/nul.conf"
        printf '\000\000\000' >"$d/loader/entries/only-nuls.conf"
        printf 'linux /vml\000inuz\n' >"$d/loader/entries/nul-in-path.conf"
        printf 'timeout 3\000default nul*\n' >"$d/loader/loader.conf"
        entries "$d" || return 1
        check_json $GOOD_IDS nul.conf || return 1
        python3 -c 'import json, sys; e = {x["id"]: x for x in json.load(open(sys.argv[1]))}; sys.exit(0 if e["nul.conf"]["is_default"] else "the loader.conf default after a NUL was not used")' "$OUT"
}
run "NUL bytes in entries and loader.conf" nul_bytes

invalid_utf8() {
        local d=$T/utf8
        new_esp "$d"
        printf 'title caf\303\251 \377\376 \300\200\nversion 1\355\240\200\nlinux /vmlinuz\noptions x=\377\n' \
                >"$d/loader/entries/utf8.conf"
        printf 'title t\nlinux /vmlinuz\n' >"$d/loader/entries/$(printf 'bad\377name.conf')"
        entries "$d" || return 1
        # The bad file name is not an entry (bootctl refuses it too); the bad
        # bytes in the title come out as U+FFFD, so the JSON stays UTF-8.
        check_json $GOOD_IDS utf8.conf || return 1
        python3 -c 'import json, sys; e = {x["id"]: x for x in json.load(open(sys.argv[1], encoding="utf-8"))}; t = e["utf8.conf"]["title"]; sys.exit(0 if t.startswith("café ") and "\ufffd" in t else f"title {t!r}")' "$OUT"
}
run "invalid UTF-8: --json output is still valid UTF-8 JSON" invalid_utf8

cr_only() {
        local d=$T/cr
        new_esp "$d"
        printf 'title CR only\rversion 3\rlinux /vmlinuz\roptions a=1\r' >"$d/loader/entries/cr.conf"
        printf 'timeout 0\rdefault cr.conf\r' >"$d/loader/loader.conf"
        make_uki "$d/EFI/Linux/cr-uki.efi" $'ID=crid\rPRETTY_NAME=CR UKI\rVERSION_ID=5\r'
        entries "$d" || return 1
        check_json $GOOD_IDS cr.conf cr-uki.efi || return 1
        python3 - "$OUT" <<'EOF'
import json, sys
e = {x["id"]: x for x in json.load(open(sys.argv[1]))}
want = {"cr.conf": ("CR only", "3", True), "cr-uki.efi": ("CR UKI", "5", False)}
for i, (t, v, d) in want.items():
    got = (e[i]["title"], e[i]["version"], e[i]["is_default"])
    if got != (t, v, d):
        sys.exit(f"{i}: {got}, expected {(t, v, d)}")
EOF
}
run "CR-only line ends (entry, loader.conf, .osrel)" cr_only

traversal() {
        local d=$T/traversal
        new_esp "$d"
        mkdir -p "$d/sub"
        echo x >"$d/sub/x"
        printf 'title t1\nlinux /../../etc/passwd\n' >"$d/loader/entries/t1.conf"
        printf 'title t2\nlinux /vmlinuz\ninitrd ..\\x\n' >"$d/loader/entries/t2.conf"
        printf 'title t3\nlinux /sub/../vmlinuz\n' >"$d/loader/entries/t3.conf"
        printf 'title t4\nefi \\EFI\\..\\..\\x.efi\n' >"$d/loader/entries/t4.conf"
        printf 'title t5\nlinux /vmlinuz\ndevicetree ../x.dtb\n' >"$d/loader/entries/t5.conf"
        printf 'title t6\nlinux /sub/x\n' >"$d/loader/entries/t6.conf"
        entries "$d" || return 1
        check_json $GOOD_IDS t6.conf || return 1
        [ "$(grep -c "a path leaves the partition" "$ERR")" -eq 5 ] || { echo "expected 5 warnings:"; cat "$ERR"; return 1; }
}
run "path traversal in linux/initrd/efi/devicetree: refused with a warning" traversal

missing_files() {
        local d=$T/missing
        new_esp "$d"
        printf 'title no kernel\nlinux /not-there\n' >"$d/loader/entries/nokernel.conf"
        printf 'title no initrd\nlinux /vmlinuz\ninitrd /initrd.img\ninitrd /not-there\n' >"$d/loader/entries/noinitrd.conf"
        printf 'title no efi\nefi /EFI/none.efi\n' >"$d/loader/entries/noefi.conf"
        printf 'title case\nlinux /VMLINUZ\ninitrd /Initrd.IMG\n' >"$d/loader/entries/case.conf"
        printf 'title dir\nlinux /EFI\n' >"$d/loader/entries/dir.conf"
        entries "$d" || return 1
        # FAT is case-insensitive: /VMLINUZ is /vmlinuz. A directory is no kernel.
        check_json $GOOD_IDS case.conf || return 1
        [ "$(grep -c "a file it names is missing" "$ERR")" -eq 4 ] || { echo "expected 4 warnings:"; cat "$ERR"; return 1; }
}
run "entries whose files are missing are skipped" missing_files

garbage_conf() {
        local d=$T/garbage
        new_esp "$d"
        head -c 20000 /dev/urandom >"$d/loader/loader.conf"
        entries "$d" || return 1
        check_json $GOOD_IDS || return 1
        grep -q "loader.conf:" "$ERR" || { echo "no warning about loader.conf"; return 1; }
        # Defaults: the first entry is the default.
        python3 -c 'import json, sys; e = json.load(open(sys.argv[1])); sys.exit(0 if e[0]["is_default"] else "default is not the first entry")' "$OUT"
}
run "a loader.conf of random bytes: defaults plus warnings" garbage_conf

bad_ukis() {
        local d=$T/ukis lfanew nsec
        new_esp "$d"
        echo "not a PE image" >"$d/EFI/Linux/text.efi"
        : >"$d/EFI/Linux/empty.efi"
        head -c 1000 "$GOOD_UKI" >"$d/EFI/Linux/truncated.efi"
        head -c $(($(stat -c %s "$GOOD_UKI") - 100)) "$GOOD_UKI" >"$d/EFI/Linux/short-tail.efi"
        # Another machine: the COFF Machine field set to 0xAA64 (arm64).
        cp "$GOOD_UKI" "$d/EFI/Linux/arm64.efi"
        lfanew=$(od -An -tu4 -j60 -N4 "$GOOD_UKI" | tr -d ' ')
        printf '\144\252' | dd of="$d/EFI/Linux/arm64.efi" bs=1 seek=$((lfanew + 4)) conv=notrunc status=none
        # A section table that runs past the end of the file: NumberOfSections 0xFFFF.
        cp "$GOOD_UKI" "$d/EFI/Linux/sections.efi"
        printf '\377\377' | dd of="$d/EFI/Linux/sections.efi" bs=1 seek=$((lfanew + 6)) conv=notrunc status=none
        # e_lfanew pointing far past the end.
        cp "$GOOD_UKI" "$d/EFI/Linux/lfanew.efi"
        printf '\377\377\377\177' | dd of="$d/EFI/Linux/lfanew.efi" bs=1 seek=60 conv=notrunc status=none
        # A PE without .osrel (the bare stub) names no OS.
        cp "$STUB" "$d/EFI/Linux/no-osrel.efi"
        # A UKI whose .osrel is garbage (random bytes, no NUL: keel uki build
        # refuses those).
        python3 -c 'import random, sys; r = random.Random(7); sys.stdout.buffer.write(bytes(r.randrange(1, 256) for _ in range(300)))' \
                >"$T/garbage-osrel"
        "$KEEL" uki build --stub "$STUB" --linux "$STUB" --os-release @"$T/garbage-osrel" \
                -o "$d/EFI/Linux/garbage-osrel.efi" >/dev/null || { echo "cannot build garbage-osrel.efi"; return 1; }
        nsec=$(ls "$d/EFI/Linux" | wc -l)
        [ "$nsec" -eq 10 ] || { echo "setup: $nsec files"; return 1; }
        entries "$d" || return 1
        python3 - "$OUT" <<'EOF' || return 1
import json, sys
ids = [x["id"] for x in json.load(open(sys.argv[1]))]
shown = [i for i in ids if i.endswith(".efi")]
# garbage-osrel.efi may name an OS by chance; nothing else may be shown.
extra = [i for i in shown if i not in ("good-uki.efi", "garbage-osrel.efi")]
if "good-uki.efi" not in shown or extra:
    sys.exit(f"UKIs listed: {shown}")
EOF
        check_json || return 1
        for f in text empty truncated short-tail arm64 sections lfanew; do
                grep -q "$f.efi" "$ERR" || { echo "no warning for $f.efi:"; cat "$ERR"; return 1; }
        done
}
run "UKIs that are not PE, truncated, for arm64, with a bad section table: hidden" bad_ukis

xbootldr() {
        local e=$T/xb-esp x=$T/xb-xbootldr
        new_esp "$e"
        mkdir -p "$x/loader/entries"
        echo k >"$x/vmlinuz-x"
        printf 'title On XBOOTLDR\nlinux /vmlinuz-x\n' >"$x/loader/entries/xb.conf"
        printf 'title Evil\nlinux /../vmlinuz-x\n' >"$x/loader/entries/evil.conf"
        head -c 5000 /dev/urandom >"$x/loader/entries/random.conf"
        entries "$e" --xbootldr "$x" || return 1
        check_json $GOOD_IDS xb.conf
}
run "--xbootldr: its entries are read with the same rules" xbootldr

# ---- bad usage --------------------------------------------------------------------

# usage_error NAME ARGS...: a failure status below 126, exactly one line on
# stderr starting with "keel:", nothing on stdout.
usage_error() {
        local rc lines
        timeout 20 "$KEEL" entries "$@" >"$T/u.out" 2>"$T/u.err"
        rc=$?
        lines=$(wc -l <"$T/u.err")
        if [ $rc -eq 0 ] || [ $rc -gt 125 ]; then
                echo "exit status $rc"
                cat "$T/u.err"
                return 1
        fi
        if [ "$lines" -ne 1 ] || [ "$(head -c 6 "$T/u.err")" != "keel: " ]; then
                echo "expected one 'keel: ...' line on stderr, got $lines:"
                cat "$T/u.err"
                return 1
        fi
        [ -s "$T/u.out" ] && { echo "unexpected stdout:"; cat "$T/u.out"; return 1; }
        return 0
}
run "no --esp" usage_error --json
run "--esp that does not exist" usage_error --esp "$T/does-not-exist"
run "--esp that is a file" usage_error --esp "$GOOD_UKI"
run "--esp that is an executable file" usage_error --esp "$STUB"
run "--xbootldr that does not exist" usage_error --esp "$T/baseline" --xbootldr "$T/does-not-exist"
run "unknown option" usage_error --esp "$T/baseline" --frobnicate
run "--esp without its value" usage_error --esp
run "unexpected argument" usage_error --esp "$T/baseline" extra

summary
