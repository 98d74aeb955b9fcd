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
        # The loader keeps the 1024 entries that come first in menu order,
        # whatever order it finds the files in: the UKI (it has a sort key),
        # then the .conf files by ID, newest first (UAPI version order:
        # "junk-1099" > ... > "junk-0" > "good-b" > "good-a", as "junk" >
        # "good"), so junk-1099 down to junk-77. The rest is left out with a
        # warning each.
        python3 - "$OUT" "$ERR" <<'EOF' || return 1
import json, sys
ids = [x["id"] for x in json.load(open(sys.argv[1]))]
want = ["good-uki.efi"] + [f"junk-{i}.conf" for i in range(1099, 76, -1)]
if ids != want:
    sys.exit(f"{len(ids)} entries listed: {ids[:3]}...{ids[-3:]}, expected {want[:3]}...{want[-3:]}")
warned = sorted(l.split(": ")[2] for l in open(sys.argv[2]) if "too many boot entries" in l)
left_out = sorted([f"junk-{i}.conf" for i in range(77)] + ["good-a.conf", "good-b.conf"])
if warned != left_out:
    sys.exit(f"warnings for {len(warned)} entries, expected {len(left_out)}: {warned[:5]}")
EOF
}
run "more than 1024 valid entries: the first 1024 in menu order kept, a warning for each other" full_array

# The issue's case: 5000 small UKIs (hard links of one file: the host tree
# need not be FAT) and one real, newer one. All have ID=small (the sort
# key); the real one has VERSION_ID=2 and so comes first, then the small
# ones by ID, newest first. Its name sorts last, so a list capped in name
# (or directory) order would drop it.
many_ukis() {
        local d=$T/many-ukis
        new_esp "$d"
        make_uki "$T/small.efi" $'ID=small\nVERSION_ID=1\n'
        make_uki "$d/EFI/Linux/zz-real.efi" $'ID=small\nVERSION_ID=2\nPRETTY_NAME="The Real One"\n'
        python3 -c 'import os, sys
for i in range(5000):
    os.link(sys.argv[1], f"{sys.argv[2]}/small-{i:04d}.efi")' "$T/small.efi" "$d/EFI/Linux" || return 1
        entries "$d" || return 1
        # good-uki.efi (sort key goodos) sorts before "small"; then the real
        # one, then 1022 small ones; good-a/good-b (no sort key) come last.
        python3 - "$OUT" "$ERR" <<'EOF' || return 1
import json, sys
e = json.load(open(sys.argv[1]))
ids = [x["id"] for x in e]
want = ["good-uki.efi", "zz-real.efi"] + [f"small-{i:04d}.efi" for i in range(4999, 3977, -1)]
if ids != want:
    sys.exit(f"{len(ids)} entries listed: {ids[:3]}...{ids[-3:]}, expected {want[:3]}...{want[-3:]}")
if e[1]["title"] != "The Real One":
    sys.exit(f"second entry: {e[1]}")
n = sum(1 for l in open(sys.argv[2]) if "too many boot entries" in l)
if n != 5000 + 4 - 1024:
    sys.exit(f"{n} warnings about entries left out, expected {5000 + 4 - 1024}")
EOF
}
run "5000 small UKIs and one real, newer one: the real one is kept" many_ukis

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
        entries "$d" || return 1
        # FAT is case-insensitive: /VMLINUZ is /vmlinuz.
        check_json $GOOD_IDS case.conf || return 1
        [ "$(grep -c "a file it names is missing" "$ERR")" -eq 3 ] || { echo "expected 3 warnings:"; cat "$ERR"; return 1; }
}
run "entries whose files are missing are skipped" missing_files

# A kernel or EFI program that is a directory or has no bytes cannot be
# booted: hidden with a warning, like a missing one (the loader used to
# offer them, even as the default). An initrd that is a directory hides the
# entry too; an empty initrd is legal.
unbootable_files() {
        local d=$T/unbootable
        new_esp "$d"
        mkdir -p "$d/kernels/dir" "$d/EFI/tools/dir.efi"
        : >"$d/kernels/empty"
        : >"$d/EFI/tools/empty.efi"
        : >"$d/empty-initrd"
        printf 'title linux dir\nlinux /kernels/dir\n' >"$d/loader/entries/linux-dir.conf"
        printf 'title linux root\nlinux /\n' >"$d/loader/entries/linux-root.conf"
        printf 'title linux empty\nlinux /kernels/empty\n' >"$d/loader/entries/linux-empty.conf"
        printf 'title efi empty\nefi /EFI/tools/empty.efi\n' >"$d/loader/entries/efi-empty.conf"
        printf 'title efi dir\nefi /EFI/tools/dir.efi\n' >"$d/loader/entries/efi-dir.conf"
        printf 'title initrd dir\nlinux /vmlinuz\ninitrd /initrd.img\ninitrd /kernels\n' >"$d/loader/entries/initrd-dir.conf"
        printf 'title initrd empty\nlinux /vmlinuz\ninitrd /empty-initrd\n' >"$d/loader/entries/initrd-empty.conf"
        printf 'timeout 0\ndefault linux-*\n' >"$d/loader/loader.conf"
        entries "$d" || return 1
        check_json $GOOD_IDS initrd-empty.conf || return 1
        [ "$(grep -c "a file it names is a directory, ignoring entry" "$ERR")" -eq 4 ] &&
                [ "$(grep -c "its 'linux' or 'efi' file is empty, ignoring entry" "$ERR")" -eq 2 ] ||
                { echo "expected 4 + 2 warnings:"; cat "$ERR"; return 1; }
        # `default linux-*` matches nothing left: the first entry is the default.
        python3 -c 'import json, sys; e = json.load(open(sys.argv[1])); sys.exit(0 if e[0]["is_default"] else "the default is not the first entry")' "$OUT"
}
run "a linux/efi that is a directory or empty, an initrd that is a directory: hidden" unbootable_files

# .osrel and .cmdline are read up to 64 KiB; a UKI with a larger one is
# ignored, by the loader and here alike, and the warning says why.
large_sections() {
        local d=$T/large-sections osrel_size
        new_esp "$d"
        "$KEEL" uki build --stub "$STUB" --linux "$STUB" --os-release $'ID=bigcmd\nVERSION_ID=1\n' -o "$T/nocmdline.efi" \
                >/dev/null || return 1
        head -c 70000 /dev/zero | tr '\0' x >"$T/cmdline70k"
        # keel uki build refuses a command line the kernel would cut: objcopy does not.
        objcopy --add-section .cmdline="$T/cmdline70k" --change-section-vma .cmdline=0x1000000 "$T/nocmdline.efi" \
                "$d/EFI/Linux/big-cmdline.efi" || return 1
        { printf 'ID=bigos\nVERSION_ID=1\n#'; head -c 70000 /dev/zero | tr '\0' y; echo; } >"$T/osrel70k"
        "$KEEL" uki build --stub "$STUB" --linux "$STUB" --os-release @"$T/osrel70k" -o "$d/EFI/Linux/big-osrel.efi" \
                >/dev/null || return 1
        osrel_size=$("$KEEL" uki inspect --json "$d/EFI/Linux/big-osrel.efi" | python3 -c \
                'import json, sys; print([s["virtual_size"] for s in json.load(sys.stdin)["sections"] if s["name"] == ".osrel"][0])')
        entries "$d" || return 1
        check_json $GOOD_IDS || return 1
        grep -q "big-cmdline.efi: its .cmdline section is 70000 bytes, more than the 65536 keel reads; ignoring it" "$ERR" &&
                grep -q "big-osrel.efi: its .osrel section is $osrel_size bytes, more than the 65536 keel reads; ignoring it" "$ERR" ||
                { echo "warnings:"; cat "$ERR"; return 1; }
}
need_tools objcopy
run "a UKI with a .cmdline or .osrel over 64 KiB: ignored, the warning says which, how large, the limit" large_sections

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

# A loader.conf over 64 KiB (100 KB of comments first) is read: its
# default applies. Before, keel entries and the loader both ignored it and
# used the defaults, the editor on.
large_loader_conf() {
        local d=$T/large-conf
        new_esp "$d"
        python3 -c 'import sys
with open(sys.argv[1], "w") as f:
    f.write("timeout 5\n")
    for i in range(2000):
        f.write(f"# comment line {i:05d} of a loader.conf that is much longer than 64 KiB\n")
    f.write("editor no\ndefault good-a*\n")' "$d/loader/loader.conf"
        [ "$(stat -c %s "$d/loader/loader.conf")" -gt 100000 ] || { echo "setup: loader.conf too small"; return 1; }
        entries "$d" || return 1
        check_json $GOOD_IDS || return 1
        [ ! -s "$ERR" ] || { echo "unexpected warnings:"; cat "$ERR"; return 1; }
        python3 -c 'import json, sys; e = {x["id"]: x for x in json.load(open(sys.argv[1]))}; sys.exit(0 if e["good-a.conf"]["is_default"] else "the default from the end of loader.conf was not used")' "$OUT"
}
run "a loader.conf over 64 KiB is read (its default applies)" large_loader_conf

# A loader.conf that is there but cannot be read fails safe, as in the
# loader: the defaults with the editor off, and a warning that says so.
unreadable_loader_conf() {
        local d=$T/unreadable-conf
        new_esp "$d"
        mkdir -p "$d/loader/loader.conf"
        entries "$d" || return 1
        check_json $GOOD_IDS || return 1
        grep -q "loader.conf: cannot be read (it is a directory); using the defaults with the editor off" "$ERR" ||
                { echo "warnings:"; cat "$ERR"; return 1; }
}
run "a loader.conf that cannot be read: defaults with the editor off, a warning" unreadable_loader_conf

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
