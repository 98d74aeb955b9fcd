#!/bin/bash
# SPDX-License-Identifier: MIT
# `keel install` as a NixOS user runs it: generations in, entries bootctl
# lists newest first, a second run that writes nothing, GC that keeps the
# newest, the booted and the last known good generation, malformed
# generations skipped without losing their entries, a full ESP refused
# before anything changes, thin UKIs measured like their fat twins.
#
#   tests/cli/test-install.sh BUILD_DIR        (needs root: tmpfs ESPs)
set -u

source "$(dirname "$0")/lib.sh"
need_build "$@"
need_tools python3 bootctl sbverify cpio openssl

T=$(mktemp -d "${TMPDIR:-/tmp}/keel-install.XXXXXX")
source "$(dirname "$0")/install-lib.sh"
trap 'unmount_esps; rm -rf "$T"' EXIT

# --no-boot-entry: these "ESPs" are tmpfs directories (test-install-boot-entry.sh covers the NVRAM).
install_() { "$KEEL" install --stub "$STUB" --no-boot-entry "$@"; }

# ---- first install: three generations, thin ------------------------------------
for n in 1 2 3; do mkgen $n; done
mkgen 3 "$T/kernel-b"
new_esp "$T/esp"
run "install 3 generations" install_ --esp "$T/esp" $(gen_links 1 2 3)
check "bootctl lists them newest first" test "$(bootctl_list "$T/esp" id)" = \
        "nixos-generation-3.efi nixos-generation-2.efi nixos-generation-1.efi"
check "bootctl shows the labels as titles" test "$(bootctl_list "$T/esp" plain_title)" = "NixOS test 3|NixOS test 2|NixOS test 1"
check "keel entries agrees, default generation 3" test \
        "$("$KEEL" entries --esp "$T/esp" --json | python3 -c 'import json,sys; e=json.load(sys.stdin); print(" ".join(x["id"] for x in e if x["type"]!="auto"), [x["id"] for x in e if x["is_default"]][0])')" = \
        "nixos-generation-3.efi nixos-generation-2.efi nixos-generation-1.efi nixos-generation-3.efi"
check "kernel content stored once per distinct kernel (2) and initrd once" test \
        "$(ls "$T/esp/EFI/keel/content" | grep -c '\.linux$') $(ls "$T/esp/EFI/keel/content" | grep -c '\.initrd$')" = "2 1"
check "thin UKIs are small (< 128 KiB)" test "$(stat -c %s "$T/esp/EFI/Linux/nixos-generation-1.efi")" -lt 131072
check "loader installed as BOOTX64.EFI and keelx64.efi" cmp -s "$T/esp/EFI/BOOT/BOOTX64.EFI" "$STUB"
check "loader copy in EFI/keel" cmp -s "$T/esp/EFI/keel/keelx64.efi" "$STUB"
"$KEEL" uki inspect "$T/esp/EFI/Linux/nixos-generation-2.efi" >"$T/inspect2" 2>&1
check "command line init=... then kernelParams" grep -qF \
        "init=/nix/store/00000000000000000000000000000000-nixos-system-2/init console=ttyS0 gen=2" "$T/inspect2"
run "keel entries --check passes" "$KEEL" entries --esp "$T/esp" --check

# ---- idempotent ----------------------------------------------------------------
before=$(snapshot "$T/esp")
install_ --esp "$T/esp" --json $(gen_links 1 2 3) >"$T/again.json"
check "second run: no byte written, no operation" python3 -c '
import json,sys; r=json.load(open(sys.argv[1])); sys.exit(not (r["bytes_written"] == 0 and r["operations"] == 0))' "$T/again.json"
check "second run: ESP unchanged (paths, inodes, sizes, times)" test "$(snapshot "$T/esp")" = "$before"

content_file=$(ls "$T/esp/EFI/keel/content/"*.initrd)
rm "$content_file"
run "re-run after a content file was deleted" install_ --esp "$T/esp" $(gen_links 1 2 3)
check "the deleted content file is written again (the initrd as it is, 513 bytes)" cmp -s "$content_file" "$T/initrd"
run "and keel entries --check passes again" "$KEEL" entries --esp "$T/esp" --check

# ---- the digest cache between runs ------------------------------------------------
# Digests of files changed in the last 2 seconds are not kept (a change in
# the same clock tick would go unseen): let the inputs age first.
sleep 2
install_ --esp "$T/esp" $(gen_links 1 2 3) >/dev/null
check "digests kept in \$KEEL_CACHE_DIR, mode 0600" test "$(stat -c %a "$KEEL_CACHE_DIR/install-digests" 2>&1)" = 600
# A kernel changed in place (same size, same inode) must not be taken for
# the one whose digest is cached.
cp "$T/kernel-b" "$T/kernel-b.orig"
printf 'X' | dd of="$T/kernel-b" bs=1 seek=100 conv=notrunc status=none
run "re-run after generation 3's kernel changed in place" install_ --esp "$T/esp" $(gen_links 1 2 3)
check "the changed kernel is stored under its new digest" test -f \
        "$T/esp/EFI/keel/content/$(sha256sum <"$T/kernel-b" | cut -c1-64).linux"
run "and the ESP checks out" "$KEEL" entries --esp "$T/esp" --check
cp "$T/kernel-b.orig" "$T/kernel-b"
install_ --esp "$T/esp" $(gen_links 1 2 3) >/dev/null
# tamper_cache: every digest in the cache flipped (as a stale or forged cache).
tamper_cache() {
        python3 - "$KEEL_CACHE_DIR/install-digests" <<'PY'
import sys
p = sys.argv[1]; d = bytearray(open(p, "rb").read())
magic = len(b"keel digest cache 2\n")
for end in range(magic + 88, len(d) + 1, 88):   # the last digest byte of every record
    d[end - 1] ^= 0xff
open(p, "wb").write(d)
PY
}
# A cache others may write is not believed.
tamper_cache
chmod 666 "$KEEL_CACHE_DIR/install-digests"
before=$(snapshot "$T/esp")
run "a cache writable by others is ignored" install_ --esp "$T/esp" $(gen_links 1 2 3)
check "... and nothing changed on the ESP" test "$(snapshot "$T/esp")" = "$before"
# The same stale cache, the owner's own: its digest is used for the refs,
# but what is copied to the ESP is hashed anew, so the run stops before
# any entry changes.
tamper_cache
chmod 600 "$KEEL_CACHE_DIR/install-digests"
check "a stale digest cache: refused before any entry changes" sh -c \
        "! '$KEEL' install --stub '$STUB' --esp '$T/esp' $(gen_links 1 2 3) >/dev/null 2>'$T/stale.err' && grep -q 'stale digest cache' '$T/stale.err'"
check "... the entries are as before, and check out" sh -c \
        "[ \"\$(ls '$T/esp/EFI/Linux')\" = \"$(ls "$T/esp/EFI/Linux")\" ] && '$KEEL' entries --esp '$T/esp' --check"
rm -f "$KEEL_CACHE_DIR/install-digests"
install_ --esp "$T/esp" $(gen_links 1 2 3) >/dev/null
run "without the cache all is well again" "$KEEL" entries --esp "$T/esp" --check

# ---- boot counting for new entries only ------------------------------------------
mkgen 4
run "install generation 4 with --tries 3" install_ --esp "$T/esp" --tries 3 $(gen_links 1 2 3 4)
check "new entry gets +3" test -f "$T/esp/EFI/Linux/nixos-generation-4+3.efi"
check "existing entries keep their names" test -f "$T/esp/EFI/Linux/nixos-generation-3.efi"
# The loader tried 4 once; a re-run must keep that state.
mv "$T/esp/EFI/Linux/nixos-generation-4+3.efi" "$T/esp/EFI/Linux/nixos-generation-4+2-1.efi"
before=$(snapshot "$T/esp")
run "re-run with a counted entry" install_ --esp "$T/esp" --tries 3 $(gen_links 1 2 3 4)
check "counter state +2-1 kept, nothing rewritten" test "$(snapshot "$T/esp")" = "$before"

# ---- GC ------------------------------------------------------------------------
run "limit 2, booted 3" install_ --esp "$T/esp" --configuration-limit 2 --booted 3 --tries 3 $(gen_links 1 2 3 4)
check "GC keeps 4 (newest) and 3 (booted), removes 1 and 2" test "$(bootctl_list "$T/esp" id)" = \
        "nixos-generation-4.efi nixos-generation-3.efi"
check "kernel-a content kept (4 uses it)" test "$(ls "$T/esp/EFI/keel/content" | grep -c '\.linux$')" = 2
# Generation 2 had the last good entry besides 3? Make 3 counted and 2 the last good one.
mkgen 5
install_ --esp "$T/esp" $(gen_links 2 3 4) >/dev/null
mv "$T/esp/EFI/Linux/nixos-generation-3.efi" "$T/esp/EFI/Linux/nixos-generation-3+0-3.efi"
run "limit 1, nothing booted known" install_ --esp "$T/esp" --configuration-limit 1 --tries 3 $(gen_links 2 3 4 5)
check "keeps 5 (newest) and 2 (last without a counter), removes 3 and 4" test "$(bootctl_list "$T/esp" id)" = \
        "nixos-generation-5.efi nixos-generation-2.efi"
printf 'nixos-generation-5+2-1.efi' | iconv -t UTF-16LE | { printf '\x06\x00\x00\x00'; cat; printf '\x00\x00'; } \
        >"$T/efivars/LoaderEntrySelected-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"
mkgen 6
mkgen 7
mv "$T/esp/EFI/Linux/nixos-generation-2.efi" "$T/esp/EFI/Linux/nixos-generation-2+0-3.efi"
run "limit 1, booted from LoaderEntrySelected" install_ --esp "$T/esp" --configuration-limit 1 --tries 3 $(gen_links 5 6 7)
check "keeps 7 (newest) and 5 (LoaderEntrySelected)" test "$(bootctl_list "$T/esp" id)" = \
        "nixos-generation-7.efi nixos-generation-5.efi"
rm -f "$T/efivars/LoaderEntrySelected-"*
check "content of removed kernel-b generations is gone" test "$(ls "$T/esp/EFI/keel/content" | grep -c '\.linux$')" = 1
touch "$T/esp/EFI/Linux/my-own.efi" "$T/esp/EFI/keel/content/notes.txt"
install_ --esp "$T/esp" --configuration-limit 1 $(gen_links 7) >/dev/null 2>&1
check "files keel did not write are never removed" test -f "$T/esp/EFI/Linux/my-own.efi" -a -f "$T/esp/EFI/keel/content/notes.txt"
rm -f "$T/esp/EFI/Linux/my-own.efi"

# ---- malformed generations -----------------------------------------------------
new_esp "$T/esp2"
for n in 1 2 3; do mkgen $n; done
install_ --esp "$T/esp2" $(gen_links 1 2 3) >/dev/null
printf '{"v1": {"kernel": "/x"}}' >"$T/gens/2/boot.json"
install_ --esp "$T/esp2" --configuration-limit 1 $(gen_links 1 2 3) >"$T/stdout" 2>"$T/stderr"
rc=$?
check "pre-RFC generation: one line on stderr, install goes on" test $rc = 0 -a "$(wc -l <"$T/stderr")" = 1
check "the line names the generation and the reason" grep -q "system-2-link.*pre-RFC" "$T/stderr"
check "GC keeps the unreadable generation's entry (2), removes 1" test "$(bootctl_list "$T/esp2" id)" = \
        "nixos-generation-3.efi nixos-generation-2.efi"
printf '{' >"$T/gens/3/boot.json"
before=$(snapshot "$T/esp2")
install_ --esp "$T/esp2" $(gen_links 2 3) >"$T/stdout" 2>"$T/stderr"
rc=$?
check "no installable generation: fails, one line per generation and one saying so" test $rc = 1 -a \
        "$(wc -l <"$T/stderr")" = 3 -a "$(grep -c 'skipping' "$T/stderr")" = 2 -a ! -s "$T/stdout"
check "the last line says why nothing was done" sh -c "tail -1 '$T/stderr' | grep -q 'no installable generation'"
check "ESP untouched after the refusal" test "$(snapshot "$T/esp2")" = "$before"
mkgen 2
sed -i 's/x86_64-linux/aarch64-linux/' "$T/gens/2/boot.json"
install_ --esp "$T/esp2" $(gen_links 1 2) >/dev/null 2>"$T/stderr"
check "system of another architecture skipped" grep -q "system-2-link.*aarch64-linux" "$T/stderr"
mkgen 4 "$T/no-such-kernel"
install_ --esp "$T/esp2" $(gen_links 1 4) >/dev/null 2>"$T/stderr"
check "a generation whose kernel is gone from the store is skipped, the others installed" sh -c \
        "grep -q 'skipping generation 4' '$T/stderr' && [ -f '$T/esp2/EFI/Linux/nixos-generation-1.efi' ] && [ ! -e '$T/esp2/EFI/Linux/nixos-generation-4.efi' ]"
mkgen 4 "$T/kernel-a" "NixOS test 4" ', "org.nixos.systemd-boot": {"sortKey": "zz-server"}'
install_ --esp "$T/esp2" $(gen_links 1 4) >/dev/null 2>&1
check "the bootspec's own sortKey becomes the entry's sort key" sh -c \
        "'$KEEL' uki inspect '$T/esp2/EFI/Linux/nixos-generation-4.efi' | grep -q 'IMAGE_ID=zz-server'"
install_ --esp "$T/esp2" --sort-key nixos $(gen_links 1 4) >/dev/null 2>&1
check "--sort-key wins over it" sh -c "'$KEEL' uki inspect '$T/esp2/EFI/Linux/nixos-generation-4.efi' | grep -q 'IMAGE_ID=nixos'"
check "bad usage: one line" fails_cleanly "" install_ --esp "$T/esp2" --layout wide $(gen_links 1)
check "no --esp: one line" fails_cleanly "" install_ $(gen_links 1)

# ---- specialisations, initrd secrets ---------------------------------------------
cat >"$T/secrets.sh" <<'EOF'
#!/bin/sh
# append-initrd-secrets: a cpio with /etc/secret appended to "$1".
set -e
d=$(mktemp -d); mkdir -p "$d/etc"; echo s3cret >"$d/etc/secret"
(cd "$d" && echo etc/secret | cpio -o -H newc --quiet) >>"$1"
rm -rf "$d"
EOF
chmod +x "$T/secrets.sh"
spec=',
  "org.nixos.specialisation.v1": {
    "gpu": {"org.nixos.bootspec.v1": {"system": "x86_64-linux", "init": "/nix/store/s/init", "initrd": "'"$T"'/initrd",
            "initrdSecrets": "'"$T"'/secrets.sh", "kernel": "'"$T"'/kernel-a", "kernelParams": ["nvidia=1"],
            "label": "NixOS test 8 (gpu)", "toplevel": "/nix/store/s"}}
  }'
mkgen 8 "$T/kernel-a" "NixOS test 8" "$spec"
new_esp "$T/esp3"
run "install a generation with a specialisation" install_ --esp "$T/esp3" $(gen_links 8)
check "specialisation listed after its generation" test "$(bootctl_list "$T/esp3" id)" = \
        "nixos-generation-8.efi nixos-generation-8-specialisation-gpu.efi"
"$KEEL" uki inspect "$T/esp3/EFI/Linux/nixos-generation-8-specialisation-gpu.efi" >"$T/inspect-spec" 2>&1
check "specialisation has its own command line" grep -qF "init=/nix/store/s/init nvidia=1" "$T/inspect-spec"
# Two initrd content files: the store initrd as it is (513 bytes), and
# the specialisation's copy with the secrets (larger).
secret_initrd=$(find "$T/esp3/EFI/keel/content" -name '*.initrd' -size +513c | head -1)
check "two initrd content files: the plain one and the one with secrets" test \
        "$(find "$T/esp3/EFI/keel/content" -name '*.initrd' | wc -l)" = 2
# The copy is the store initrd, then the secrets' archive, then padding.
check "initrdSecrets appended to a private copy" sh -c "[ -n '$secret_initrd' ] && cmp -s -n 513 '$secret_initrd' '$T/initrd' &&
        tail -c +514 '$secret_initrd' | cpio -it 2>/dev/null | grep -qx etc/secret"
check "the store initrd itself is unchanged" test "$(stat -c %s "$T/initrd")" = 513

# ---- signed, PCR policy, thin = fat --------------------------------------------
openssl req -new -x509 -newkey rsa:2048 -nodes -keyout "$T/db.key" -out "$T/db.crt" -subj /CN=db -days 3650 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/pcr.key" 2>/dev/null
new_esp "$T/thin"
new_esp "$T/fat"
mkgen 1
run "signed thin install" install_ --esp "$T/thin" --key "$T/db.key" --cert "$T/db.crt" --pcr-private-key "$T/pcr.key" $(gen_links 1)
run "signed fat install" install_ --esp "$T/fat" --layout fat --key "$T/db.key" --cert "$T/db.crt" --pcr-private-key "$T/pcr.key" $(gen_links 1)
run "sbverify accepts the thin UKI" sbverify --cert "$T/db.crt" "$T/thin/EFI/Linux/nixos-generation-1.efi"
run "sbverify accepts the installed loader" sbverify --cert "$T/db.crt" "$T/thin/EFI/BOOT/BOOTX64.EFI"
check "fat UKI holds the kernel, thin does not" test "$(stat -c %s "$T/fat/EFI/Linux/nixos-generation-1.efi")" -gt \
        "$(( $(stat -c %s "$T/kernel-a") ))" -a ! -d "$T/fat/EFI/keel/content"
p_thin=$("$KEEL" pcr predict "$T/thin/EFI/Linux/nixos-generation-1.efi" 2>&1)
p_fat=$("$KEEL" pcr predict "$T/fat/EFI/Linux/nixos-generation-1.efi" 2>&1)
check "PCR 11 of the thin UKI equals its fat twin's" test -n "$p_fat" -a "$p_thin" = "$p_fat"

# ---- XBOOTLDR --------------------------------------------------------------------
new_esp "$T/xesp"
new_esp "$T/xbl"
run "install with --xbootldr" install_ --esp "$T/xesp" --xbootldr "$T/xbl" $(gen_links 1)
check "entries and content on XBOOTLDR, loader on the ESP" test -f "$T/xbl/EFI/Linux/nixos-generation-1.efi" -a \
        -d "$T/xbl/EFI/keel/content" -a -f "$T/xesp/EFI/BOOT/BOOTX64.EFI" -a ! -d "$T/xesp/EFI/Linux"

# ---- loader.conf -----------------------------------------------------------------
printf 'timeout 3\nconsole-mode keep\n' >"$T/loader.conf"
run "install with --loader-conf" install_ --esp "$T/xesp" --xbootldr "$T/xbl" --loader-conf "$T/loader.conf" $(gen_links 1)
check "loader.conf installed" cmp -s "$T/loader.conf" "$T/xesp/loader/loader.conf"

# ---- thin UKIs started by Type #1 entries ------------------------------------------
# A rescue UKI made by hand with `keel uki build --thin`, outside \EFI\Linux,
# started by a Type #1 entry (`efi`, or `linux` with '\' separators): GC
# keeps its content, `keel entries --check` checks it. The same on XBOOTLDR.
{ cat "$STUB"; printf 'rescue'; } >"$T/kernel-r"
{ cat "$STUB"; printf 'rescue-2'; } >"$T/kernel-s"
head -c 701 /dev/urandom >"$T/initrd-r"   # its content file is its own bytes
# rescue_uki VOLUME PATH KERNEL: a thin UKI at VOLUME/PATH, its content on VOLUME.
rescue_uki() {
        mkdir -p "$(dirname "$1/$2")"
        "$KEEL" uki build --stub "$STUB" --linux "$3" --initrd "$T/initrd-r" --cmdline rescue --thin "$1" -o "$1/$2"
}
content_of() { printf '%s/EFI/keel/content/%s.%s' "$1" "$(sha256sum <"$2" | cut -c1-64)" "$3"; }
new_esp "$T/t1"
mkgen 1
mkgen 2 "$T/kernel-b"
install_ --esp "$T/t1" --tries 3 $(gen_links 1) >/dev/null     # counted: not kept as the last good one
rescue_uki "$T/t1" EFI/rescue/rescue.efi "$T/kernel-r"
rescue_uki "$T/t1" EFI/rescue/rescue2.efi "$T/kernel-s"
mkdir -p "$T/t1/loader/entries"
printf 'title Rescue\nefi /EFI/rescue/rescue.efi\n' >"$T/t1/loader/entries/rescue.conf"
printf 'title Rescue 2\nlinux \\EFI\\RESCUE\\rescue2.efi\n' >"$T/t1/loader/entries/rescue-2.conf"
run "Type #1 entries starting thin UKIs check out" "$KEEL" entries --esp "$T/t1" --check
run "install generation 2, limit 1 (GC of generation 1 and its content)" \
        install_ --esp "$T/t1" --configuration-limit 1 $(gen_links 1 2)
check "generation 1 is gone" test ! -e "$T/t1/EFI/Linux/nixos-generation-1.efi"
check "GC kept the content of the UKI an 'efi' line starts (kernel, initrd)" \
        test -f "$(content_of "$T/t1" "$T/kernel-r" linux)" -a -f "$(content_of "$T/t1" "$T/initrd-r" initrd)"
check "GC kept the kernel of the UKI a 'linux' line starts" test -f "$(content_of "$T/t1" "$T/kernel-s" linux)"
check "GC removed generation 1's kernel (kernel-a: no entry names it)" test ! -e "$(content_of "$T/t1" "$T/kernel-a" linux)"
run "and the ESP checks out" "$KEEL" entries --esp "$T/t1" --check
mv "$(content_of "$T/t1" "$T/kernel-r" linux)" "$T/r.linux"
check "--check: the 'efi' entry's missing kernel is reported" sh -c \
        "! '$KEEL' entries --esp '$T/t1' --check >'$T/check.out' 2>&1 && grep -q 'rescue.conf.*\.tlinux.*missing' '$T/check.out'"
mv "$T/r.linux" "$(content_of "$T/t1" "$T/kernel-r" linux)"
printf 'X' | dd of="$(content_of "$T/t1" "$T/kernel-s" linux)" bs=1 seek=64 conv=notrunc status=none
check "--check: the 'linux' entry's changed kernel is reported" sh -c \
        "! '$KEEL' entries --esp '$T/t1' --check >'$T/check.out' 2>&1 && grep -q 'rescue-2.conf.*\.tlinux.*SHA-256 differs' '$T/check.out'"
new_esp "$T/t2"
new_esp "$T/t2x"
install_ --esp "$T/t2" --xbootldr "$T/t2x" --tries 3 $(gen_links 1) >/dev/null
rescue_uki "$T/t2x" EFI/rescue/rescue.efi "$T/kernel-r"
mkdir -p "$T/t2x/loader/entries"
printf 'title Rescue\nefi /EFI/rescue/rescue.efi\n' >"$T/t2x/loader/entries/rescue.conf"
run "XBOOTLDR: install generation 2, limit 1" \
        install_ --esp "$T/t2" --xbootldr "$T/t2x" --configuration-limit 1 $(gen_links 1 2)
check "XBOOTLDR: GC kept the content of the UKI its Type #1 entry starts, removed generation 1's" \
        test -f "$(content_of "$T/t2x" "$T/kernel-r" linux)" -a ! -e "$(content_of "$T/t2x" "$T/kernel-a" linux)"
run "XBOOTLDR: checks out" "$KEEL" entries --esp "$T/t2" --xbootldr "$T/t2x" --check
rm "$(content_of "$T/t2x" "$T/kernel-r" linux)"
check "XBOOTLDR: --check reports the Type #1 entry's missing kernel" sh -c \
        "! '$KEEL' entries --esp '$T/t2' --xbootldr '$T/t2x' --check >'$T/check.out' 2>&1 && grep -q 'rescue.conf.*\.tlinux.*missing' '$T/check.out'"

# ---- files keel did not write, next to the ones it does -----------------------------
# Names of someone else's backups that look like "<a name keel writes>.<6
# characters>": keel must never take them for its own leftover temporaries.
new_esp "$T/foreign"
HEX0=$(printf '%064d' 0)
FOREIGN="EFI/BOOT/BOOTX64.EFI.backup EFI/BOOT/bootx64.efi.shim15 loader/loader.conf.backup
         EFI/keel/keelx64.efi.before EFI/Linux/nixos-generation-1.efi.backup EFI/keel/content/$HEX0.linux.backup"
for f in $FOREIGN; do
        mkdir -p "$(dirname "$T/foreign/$f")"
        head -c 100 /dev/urandom >"$T/foreign/$f"
done
foreign_sums() { (cd "$T/foreign" && sha256sum $FOREIGN 2>&1); }
FOREIGN_BEFORE=$(foreign_sums)
mkgen 1
run "install next to others' backups" install_ --esp "$T/foreign" --loader-conf "$T/loader.conf" $(gen_links 1)
check "BOOTX64.EFI.backup, bootx64.efi.shim15, loader.conf.backup, ... are all still there, unchanged" \
        test "$(foreign_sums)" = "$FOREIGN_BEFORE"
# A run stopped right after writing a temporary leaves keel's own leftover;
# the next run removes it, and still nothing else.
mkgen 2 "$T/kernel-b"
leftover=
for k in $(seq 1 60); do
        KEEL_INSTALL_CRASH_AFTER=$k install_ --esp "$T/foreign" --loader-conf "$T/loader.conf" $(gen_links 1 2) \
                >/dev/null 2>&1
        [ $? = 99 ] || break
        leftover=$(cd "$T/foreign" && find . -name '*.keel-tmp-*' | head -1)
        [ -z "$leftover" ] || break
done
check "a crashed run leaves keel's temporary (*.keel-tmp-XXXXXX: $leftover)" test -n "$leftover"
check "... and the others' backups" test "$(foreign_sums)" = "$FOREIGN_BEFORE"
run "the re-run after the crash" install_ --esp "$T/foreign" --loader-conf "$T/loader.conf" $(gen_links 1 2)
check "the re-run removed keel's leftover temporary" test -z "$(cd "$T/foreign" && find . -name '*.keel-tmp-*')"
check "the re-run left every backup as it was" test "$(foreign_sums)" = "$FOREIGN_BEFORE"
run "the ESP checks out" "$KEEL" entries --esp "$T/foreign" --check

# ---- full ESP ----------------------------------------------------------------------
new_esp "$T/small" 4m
for n in 1 2; do mkgen $n; done
run "install onto a small ESP" install_ --esp "$T/small" $(gen_links 1)
# Fill what is left so that a new kernel cannot fit.
dd if=/dev/zero of="$T/small/filler" bs=64k count=1000 2>/dev/null
mkgen 2 "$T/kernel-b"
before=$(snapshot "$T/small")
expect_error_saying "full ESP: refused" "" "not enough space" install_ --esp "$T/small" $(gen_links 1 2)
check "full ESP: nothing changed" test "$(snapshot "$T/small")" = "$before"
run "full ESP: still a complete, bootable state" "$KEEL" entries --esp "$T/small" --check

summary
