#!/bin/bash
# SPDX-License-Identifier: MIT
# Crash-point exploration of `keel install`: one real install + GC (a new
# generation with a new kernel, a new loader, a new loader.conf, old
# generations and their content removed) is stopped after its k-th
# filesystem-changing operation, for every k, as a power cut would stop it
# (KEEL_INSTALL_CRASH_AFTER=k). Every state it can leave must satisfy, as
# keel's own entry code sees it (`keel entries --check`, `--json`):
#   - every entry is complete (thin content present with the right SHA-256);
#   - the default entry is the new generation or the one booted before;
#   - the booted and the last known good generations are still there;
#   - the loader files are the old or the new bytes, never anything else;
#   - files keel did not write (others' backups named like its temporaries)
#     are all there, unchanged;
# and a plain re-run from there ends in the same ESP as an uninterrupted run.
#
#   tests/cli/test-install-crash.sh BUILD_DIR
set -u

source "$(dirname "$0")/lib.sh"
need_build "$@"
need_tools python3 sha256sum

T=$(mktemp -d "${TMPDIR:-/tmp}/keel-install-crash.XXXXXX")
source "$(dirname "$0")/install-lib.sh"
trap 'rm -rf "$T"' EXIT

# --no-boot-entry: these "ESPs" are tmpfs directories (test-install-boot-entry.sh covers the NVRAM).
install_() { "$KEEL" install --stub "$STUB" --no-boot-entry "$@"; }
{ cat "$STUB"; printf 'c'; } >"$T/kernel-c"

# ---- the state before: generations 1-3 as a running system has them ----------
mkgen 1
mkgen 2 "$T/kernel-c"
mkgen 3
mkdir "$T/pre"
install_ --esp "$T/pre" --tries 3 $(gen_links 1 2 3) >/dev/null || { echo "FAIL setting up"; exit 1; }
# 1 was blessed long ago, 2 failed all its tries, 3 is running (one try used).
mv "$T/pre/EFI/Linux/nixos-generation-1+3.efi" "$T/pre/EFI/Linux/nixos-generation-1.efi"
mv "$T/pre/EFI/Linux/nixos-generation-2+3.efi" "$T/pre/EFI/Linux/nixos-generation-2+0-3.efi"
mv "$T/pre/EFI/Linux/nixos-generation-3+3.efi" "$T/pre/EFI/Linux/nixos-generation-3+2-1.efi"
# An older loader and no loader.conf: the run replaces the first, adds the second.
cp "$T/kernel-c" "$T/pre/EFI/BOOT/BOOTX64.EFI"
cp "$T/kernel-c" "$T/pre/EFI/keel/keelx64.efi"
printf 'timeout 5\n' >"$T/loader.conf"
# Files keel did not write whose names look like "<a name keel writes>.<6
# characters>": no crash state and no re-run may remove or change them.
FOREIGN="EFI/BOOT/BOOTX64.EFI.backup EFI/BOOT/bootx64.efi.shim15 loader/loader.conf.backup
         EFI/Linux/nixos-generation-2+0-3.efi.backup"
for f in $FOREIGN; do
        mkdir -p "$(dirname "$T/pre/$f")"
        head -c 64 /dev/urandom >"$T/pre/$f"
done
foreign_sums() { (cd "$1" && sha256sum $FOREIGN 2>&1); }
FOREIGN_SUMS=$(foreign_sums "$T/pre")

# ---- the run: generation 4 (new kernel), limit 1, 3 booted ----------------------
mkgen 4 "$T/kernel-b"
ARGS=(--tries 3 --configuration-limit 1 --booted 3 --loader-conf "$T/loader.conf" $(gen_links 1 2 3 4))

# content DIR: what a boot would see (names and bytes), to compare end states.
content() {
        (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
}

cp -a "$T/pre" "$T/full"
install_ --esp "$T/full" --json "${ARGS[@]}" >"$T/full.json" 2>"$T/full.err" || { echo "FAIL uninterrupted run: $(cat "$T/full.err")"; exit 1; }
total=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["operations"])' "$T/full.json")
check "the run makes many operations ($total)" test "$total" -ge 10
final=$(content "$T/full")
check "uninterrupted run: 4 (new) and 3 (booted) kept, 1 (last good) kept, 2 gone" test \
        "$(ls "$T/full/EFI/Linux" | grep '\.efi$' | sort | tr '\n' ' ')" = \
        "nixos-generation-1.efi nixos-generation-3+2-1.efi nixos-generation-4+3.efi "

old_loader=$(sha256sum <"$T/kernel-c")
new_loader=$(sha256sum <"$STUB")

# check_state DIR: the invariants, one line of reasons when broken.
check_state() {
        local d=$1 why="" def ids l
        "$KEEL" entries --esp "$d" --check >"$T/check.out" 2>&1 || why+="entries --check: $(head -c 300 "$T/check.out"); "
        "$KEEL" entries --esp "$d" --json >"$T/entries.json" 2>/dev/null || why+="entries --json failed; "
        def=$(python3 -c 'import json,sys; print(" ".join(e["id"] for e in json.load(open(sys.argv[1])) if e["is_default"]))' "$T/entries.json")
        ids=$(python3 -c 'import json,sys; print(" ".join(e["id"] for e in json.load(open(sys.argv[1]))))' "$T/entries.json")
        case "$def" in
        nixos-generation-4.efi | nixos-generation-3.efi) ;;
        *) why+="default is '$def'; " ;;
        esac
        for must in nixos-generation-1.efi nixos-generation-3.efi; do
                [[ " $ids " == *" $must "* ]] || why+="$must is gone; "
        done
        [ "$(foreign_sums "$d")" = "$FOREIGN_SUMS" ] || why+="a file keel did not write was removed or changed; "
        for l in EFI/BOOT/BOOTX64.EFI EFI/keel/keelx64.efi; do
                case "$(sha256sum <"$d/$l")" in
                "$old_loader" | "$new_loader") ;;
                *) why+="$l is neither the old nor the new loader; " ;;
                esac
        done
        [ -z "$why" ] || { echo "$why"; return 1; }
}

broken=0
for k in $(seq 1 "$total"); do
        rm -rf "$T/crash"
        cp -a "$T/pre" "$T/crash"
        KEEL_INSTALL_CRASH_AFTER=$k "$KEEL" install --stub "$STUB" --esp "$T/crash" "${ARGS[@]}" >/dev/null 2>"$T/crash.err"
        rc=$?
        if [ $rc != 99 ]; then
                fail "crash point $k: the installer did not stop there (exit $rc: $(head -c 200 "$T/crash.err"))"
                broken=$((broken + 1))
                continue
        fi
        if ! why=$(check_state "$T/crash"); then
                fail "crash point $k/$total: $why"
                broken=$((broken + 1))
                continue
        fi
        # Keep one state from the middle for the OVMF boot of a crash state.
        [ "$k" = $((total / 2)) ] && { rm -rf "$T/sample"; cp -a "$T/crash" "$T/sample"; }
        if ! install_ --esp "$T/crash" "${ARGS[@]}" >/dev/null 2>"$T/rerun.err"; then
                fail "crash point $k: the re-run failed: $(head -c 200 "$T/rerun.err")"
                broken=$((broken + 1))
        elif ! why=$(check_state "$T/crash"); then
                fail "crash point $k: after the re-run: $why"
                broken=$((broken + 1))
        elif [ "$(content "$T/crash")" != "$final" ]; then
                fail "crash point $k: the re-run ends elsewhere than an uninterrupted run"
                diff <(echo "$final") <(content "$T/crash") | head -5 | sed 's/^/    /'
                broken=$((broken + 1))
        fi
done
check "every one of the $total crash points leaves a good ESP and converges" test $broken = 0
KEEL_INSTALL_CRASH_AFTER=$((total + 1)) install_ --esp "$T/full" --json "${ARGS[@]}" >/dev/null 2>&1
check "past the last operation the installer finishes (crash point $((total + 1)))" test $? = 0

# An ESP kept by a crash state (for the OVMF scenario): KEEL_CRASH_SAMPLE=DIR.
if [ -n "${KEEL_CRASH_SAMPLE:-}" ] && [ -d "$T/sample" ]; then
        rm -rf "$KEEL_CRASH_SAMPLE"
        cp -a "$T/sample" "$KEEL_CRASH_SAMPLE"
fi

summary
