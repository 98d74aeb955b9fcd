#!/bin/bash
# Thin UKIs on the host (common/thin.h): keel uki build --thin ROOT, and the
# readers that resolve a thin UKI's content on its volume (pcr predict/sign,
# uki inspect, entries --check). Checked against the peers: systemd-measure
# 252 calculate on the FAT twin, sha256sum, sbverify, bootctl 252 list.
# Usage: tests/cli/test-thin.sh BUILD_DIR
set -u
MEASURE=/usr/lib/systemd/systemd-measure
T=$(mktemp -d)
MNT=

cleanup() {
        [ -n "$MNT" ] && mountpoint -q "$MNT" && umount "$MNT"
        rm -rf "$T"
}
trap cleanup EXIT
source "$(dirname "$0")/lib.sh"
need_build "${1:-build}"
need_tools objcopy sha256sum sbverify openssl python3

quiet() { "$@" >/dev/null 2>&1; }
section() { objcopy -O binary --only-section="$2" "$1" "$3"; }

# A stand-in kernel (an x86_64 EFI image with random bytes after it), two
# initrds whose sizes are not multiples of 4, and a stub without .sbat so that
# systemd-measure 252 knows every section of the fat twin.
head -c 2000000 /dev/urandom >"$T/pad"
cat "$STUB" "$T/pad" >"$T/kernel.efi"
head -c 100001 /dev/urandom >"$T/initrd1"
head -c 5002 /dev/urandom >"$T/initrd2"
head -c 8192 /dev/urandom >"$T/initrd-aligned"
objcopy --remove-section=.sbat "$STUB" "$T/stub.efi"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/pcr.pem" 2>/dev/null
openssl req -new -x509 -newkey rsa:2048 -nodes -subj "/CN=keel thin test" -days 3650 \
        -keyout "$T/db.key" -out "$T/db.crt" 2>/dev/null
ESP=$T/esp
mkdir -p "$ESP/EFI/Linux"
OSREL=$'ID=thin\nVERSION_ID=2\nPRETTY_NAME="Thin OS"\n'

build() { # build OUT [extra options]: the same inputs, fat or thin
        local out=$1
        shift
        "$KEEL" uki build --stub "$T/stub.efi" --linux "$T/kernel.efi" --initrd "$T/initrd1" --initrd "$T/initrd2" \
                --cmdline "quiet x=1" --os-release "$OSREL" --uname "" "$@" -o "$out"
}

run "uki build --thin ROOT" build "$ESP/EFI/Linux/thin.efi" --thin "$ESP"
run "uki build (the fat twin)" build "$T/fat.efi"
build "$T/fat-signed.efi" --pcr-private-key "$T/pcr.pem" 2>/dev/null
build "$ESP/EFI/Linux/thin-signed.efi" --thin "$ESP" --pcr-private-key "$T/pcr.pem" 2>/dev/null

# ---- the layout ---------------------------------------------------------------
thin_sections() {
        local h linux_size
        h=$(objdump -h "$ESP/EFI/Linux/thin.efi" | awk '$2 ~ /^\./ { print $2 }' | tr '\n' ' ')
        case " $h" in *" .initrd "*) echo "has fat sections: $h"; return 1 ;; esac
        # .linux only as bootctl's mark: no bytes at all.
        linux_size=$(objdump -h "$ESP/EFI/Linux/thin.efi" | awk '$2 == ".linux" { print $3 }')
        [ "$(grep -o ' \.linux ' <<<" $h " | wc -l)" = 1 ] && [ $((16#${linux_size:-1})) = 0 ] ||
                { echo "no empty .linux: $h (size ${linux_size:-none})"; return 1; }
        case " $h" in *" .tlinux "*) ;; *) echo "no .tlinux: $h"; return 1 ;; esac
        case " $h" in *" .tinitrd "*) ;; *) echo "no .tinitrd: $h"; return 1 ;; esac
        [ "$(stat -c %s "$ESP/EFI/Linux/thin.efi")" -lt 200000 ] || { echo "thin UKI is not small"; return 1; }
}
run "thin UKI has .tlinux/.tinitrd, an empty .linux, no .initrd, and is small" thin_sections

content_named_by_sha256() {
        local k i
        k=$(sha256sum "$T/kernel.efi" | cut -d' ' -f1)
        cmp "$ESP/EFI/keel/content/$k.linux" "$T/kernel.efi" || return 1
        section "$T/fat.efi" .initrd "$T/fat.initrd"
        i=$(sha256sum "$T/fat.initrd" | cut -d' ' -f1)
        cmp "$ESP/EFI/keel/content/$i.initrd" "$T/fat.initrd" || return 1
        section "$ESP/EFI/Linux/thin.efi" .tlinux "$T/tlinux"
        section "$ESP/EFI/Linux/thin.efi" .tinitrd "$T/tinitrd"
        [ "$(cat "$T/tlinux")" = "$k $(stat -c %s "$T/kernel.efi") /EFI/keel/content/$k.linux" ] ||
                { echo "tlinux: $(cat "$T/tlinux")"; return 1; }
        [ "$(cat "$T/tinitrd")" = "$i $(stat -c %s "$T/fat.initrd") /EFI/keel/content/$i.initrd" ] ||
                { echo "tinitrd: $(cat "$T/tinitrd")"; return 1; }
}
run "content files: sha256sum names, kernel as is, initrd = the fat twin's .initrd; refs say so" \
        content_named_by_sha256

one_aligned_initrd() {
        local d=$T/aligned h
        mkdir -p "$d"
        "$KEEL" uki build --stub "$T/stub.efi" --linux "$T/kernel.efi" --initrd "$T/initrd-aligned" --thin "$d" \
                -o "$d/u.efi" || return 1
        h=$(sha256sum "$T/initrd-aligned" | cut -d' ' -f1)
        cmp "$d/EFI/keel/content/$h.initrd" "$T/initrd-aligned"
}
run "one initrd of a multiple of 4 bytes is stored as it is" one_aligned_initrd

# ---- PCR 11: the thin UKI's is the fat twin's -----------------------------------
for s in linux osrel cmdline initrd; do
        section "$T/fat.efi" .$s "$T/fat.$s"
done
$MEASURE calculate --linux="$T/fat.linux" --osrel="$T/fat.osrel" --cmdline="$T/fat.cmdline" \
        --initrd="$T/fat.initrd" >"$T/measure" 2>/dev/null
"$KEEL" pcr predict "$ESP/EFI/Linux/thin.efi" >"$T/thin.pcr" 2>"$T/err"
check "pcr predict of the thin UKI = systemd-measure calculate on the fat twin" cmp -s "$T/thin.pcr" "$T/measure"
check "... and = keel pcr predict of the fat twin" \
        cmp -s "$T/thin.pcr" <("$KEEL" pcr predict "$T/fat.efi" 2>/dev/null)
cp "$ESP/EFI/Linux/thin.efi" "$T/elsewhere.efi"
check "pcr predict --root of a copy outside EFI/Linux = systemd-measure" \
        cmp -s <("$KEEL" pcr predict "$T/elsewhere.efi" --root "$ESP" 2>/dev/null) "$T/measure"
expect_error_saying "pcr predict of a thin UKI outside EFI/Linux without --root" "" "--root" \
        "$KEEL" pcr predict "$T/elsewhere.efi"
check "pcr sign of the thin UKI = pcr sign of the fat twin" cmp -s \
        <("$KEEL" pcr sign "$ESP/EFI/Linux/thin.efi" --private-key "$T/pcr.pem" 2>/dev/null) \
        <("$KEEL" pcr sign "$T/fat.efi" --private-key "$T/pcr.pem" 2>/dev/null)
section "$T/fat-signed.efi" .pcrsig "$T/fat.pcrsig"
section "$ESP/EFI/Linux/thin-signed.efi" .pcrsig "$T/thin.pcrsig"
check "uki build --thin --pcr-private-key: .pcrsig = the fat twin's" cmp -s "$T/fat.pcrsig" "$T/thin.pcrsig"
check ".pcrsig = pcr sign of the thin UKI (its pcrs for the default phases)" python3 -c '
import json, sys
a = json.load(open(sys.argv[1])); b = json.loads(sys.argv[2])
sys.exit(a != b)' "$T/thin.pcrsig" "$("$KEEL" pcr sign "$ESP/EFI/Linux/thin-signed.efi" --private-key "$T/pcr.pem" 2>/dev/null)"

# ---- reproducible, content shared -------------------------------------------------
reproducible() {
        local k before
        k=$(sha256sum "$T/kernel.efi" | cut -d' ' -f1)
        before=$(stat -c '%i %Y' "$ESP/EFI/keel/content/$k.linux")
        build "$T/again1.efi" --thin "$ESP" || return 1
        build "$T/again2.efi" --thin "$ESP" || return 1
        cmp "$T/again1.efi" "$T/again2.efi" || return 1
        cmp "$T/again1.efi" "$ESP/EFI/Linux/thin.efi" || return 1
        [ "$(stat -c '%i %Y' "$ESP/EFI/keel/content/$k.linux")" = "$before" ] || { echo "content rewritten"; return 1; }
}
run "two builds are byte-identical; identical content is not rewritten" reproducible

repaired() {
        local k
        k=$(sha256sum "$T/kernel.efi" | cut -d' ' -f1)
        printf 'garbage' >"$ESP/EFI/keel/content/$k.linux"
        build "$T/again1.efi" --thin "$ESP" || return 1
        cmp "$ESP/EFI/keel/content/$k.linux" "$T/kernel.efi"
}
run "a content file with other bytes is replaced by the right one" repaired

# ---- Secure Boot signature ---------------------------------------------------------
build "$ESP/EFI/Linux/thin-sb.efi" --thin "$ESP" --key "$T/db.key" --cert "$T/db.crt" 2>/dev/null
check "sbverify accepts a signed thin UKI" quiet sbverify --cert "$T/db.crt" "$ESP/EFI/Linux/thin-sb.efi"

# ---- inspect -----------------------------------------------------------------------
inspect_shows_refs() {
        local k out
        k=$(sha256sum "$T/kernel.efi" | cut -d' ' -f1)
        out=$("$KEEL" uki inspect "$ESP/EFI/Linux/thin.efi") || return 1
        grep -qx "tlinux: sha256 $k size $(stat -c %s "$T/kernel.efi") path /EFI/keel/content/$k.linux: ok" <<<"$out" ||
                { echo "$out"; return 1; }
        "$KEEL" uki inspect --json "$ESP/EFI/Linux/thin.efi" | python3 -c '
import json, sys
j = json.load(sys.stdin)
ok = j["is_thin"] and j["is_uki"] and j["tlinux"]["sha256"] == sys.argv[1] and j["tlinux"]["content"] == "ok" \
     and j["tinitrd"]["content"] == "ok"
sys.exit(0 if ok else 1)' "$k"
}
run "uki inspect shows the refs (sha256sum, size, path) and that the content matches" inspect_shows_refs
check "uki inspect of a fat UKI: is_thin false" python3 -c '
import json, subprocess, sys
j = json.loads(subprocess.run([sys.argv[1], "uki", "inspect", "--json", sys.argv[2]], capture_output=True).stdout)
sys.exit(j["is_thin"] is not False or j["tlinux"] is not None)' "$KEEL" "$T/fat.efi"

# ---- entries --check on a good ESP, and bootctl --------------------------------------
cp "$T/fat.efi" "$ESP/EFI/Linux/fat.efi"
run "entries --check: all good, exit 0" "$KEEL" entries --esp "$ESP" --check
check "entries --check --json: ok, a default, every entry ok" python3 -c '
import json, os, subprocess, sys
j = json.loads(subprocess.run([sys.argv[1], "entries", "--esp", sys.argv[2], "--check", "--json"],
                              capture_output=True, check=True).stdout)
n = len([f for f in os.listdir(sys.argv[2] + "/EFI/Linux") if f.endswith(".efi")])
sys.exit(not (j["ok"] and j["default"] and len(j["entries"]) == n and all(e["ok"] for e in j["entries"])))' \
        "$KEEL" "$ESP"

# bootctl_agrees [SUITE]: bootctl 252 (on a tmpfs copy: it wants a mount
# point), or SUITE's (trixie: 257, sid: 262, on the ESP directory), lists
# the ESP as keel entries does; 257 and later want a .linux in a UKI, which
# a thin one carries empty (issue 21, defect 3).
bootctl_agrees() {
        local esp=$ESP suite=${1:-}
        if [ -z "$suite" ]; then
                MNT=$T/mnt
                mkdir -p "$MNT"
                mount -t tmpfs keel-thin "$MNT" || { echo "cannot mount a tmpfs"; return 1; }
                cp -r "$ESP/." "$MNT/"
                esp=$MNT
        fi
        python3 - "$KEEL" "$esp" "$(dirname "$0")/.." "$suite" "$BUILD" <<'EOF'
import json, subprocess, sys
keel, esp, tests, suite, build = sys.argv[1:]
sys.path.insert(0, tests)
from bootctl_list import bootctl_list
ref = [(f["id"], f.get("version"), f["default"], f.get("title", "")) for f in bootctl_list(esp, (), suite, build)]
ours = json.loads(subprocess.run([keel, "entries", "--esp", esp, "--json"], capture_output=True, check=True).stdout)
mine = [(e["id"], e["version"], e["is_default"], e["title"]) for e in ours]
# bootctl's title line is "TITLE (VERSION) (ID) (default) ..."
ok = [r[:3] for r in ref] == [m[:3] for m in mine] and all(r[3].startswith(m[3]) for r, m in zip(ref, mine))
if not ok or not any(i.startswith("thin") for i, *_ in mine):
    print("bootctl:", ref)
    print("keel:   ", mine)
    sys.exit(1)
EOF
        local rc=$?
        if [ -z "$suite" ]; then
                umount "$MNT"
                MNT=
        fi
        return $rc
}
run "bootctl 252 list shows the thin UKIs as Type #2 entries: same IDs, titles, versions, order, default" \
        bootctl_agrees
run "bootctl 257 (trixie) list shows them too" bootctl_agrees trixie
run "bootctl 262 (sid) list shows them too" bootctl_agrees sid

# ---- tampered, missing and hand-made refs ---------------------------------------------
INITRD_CONTENT=$(ls "$ESP"/EFI/keel/content/*.initrd)
cp "$INITRD_CONTENT" "$T/initrd.saved"
printf 'X' | dd of="$INITRD_CONTENT" bs=1 seek=100 conv=notrunc 2>/dev/null
expect_error_saying "pcr predict refuses tampered content" "" "SHA-256 differs" \
        "$KEEL" pcr predict "$ESP/EFI/Linux/thin.efi"
expect_error_saying "pcr sign refuses tampered content" "$T/sig.json" "SHA-256 differs" \
        "$KEEL" pcr sign "$ESP/EFI/Linux/thin.efi" --private-key "$T/pcr.pem" -o "$T/sig.json"
"$KEEL" uki inspect "$ESP/EFI/Linux/thin.efi" >"$T/out" 2>"$T/err"
check "uki inspect of tampered content: exit 1, one keel: line, shows 'SHA-256 differs'" \
        test $? -eq 1 -a "$(wc -l <"$T/err")" -eq 1 -a "$(grep -c 'tinitrd: .*: SHA-256 differs$' "$T/out")" -eq 1
entries_check_says() { # entries_check_says TEXT: --check fails and names TEXT
        local out rc=0
        out=$("$KEEL" entries --esp "$ESP" --check 2>/dev/null) || rc=$?
        [ $rc -eq 1 ] && grep -q -- "$1" <<<"$out" || { echo "rc=$rc: $out"; return 1; }
}
run "entries --check reports the thin UKIs with tampered content, exit 1" \
        entries_check_says "^thin.efi .*thin.efi: .tinitrd content .*: SHA-256 differs$"

rm "$INITRD_CONTENT"
expect_error_saying "pcr predict refuses missing content" "" "missing" "$KEEL" pcr predict "$ESP/EFI/Linux/thin.efi"
check "uki inspect of missing content shows 'missing'" bash -c \
        "'$KEEL' uki inspect '$ESP/EFI/Linux/thin.efi' 2>/dev/null | grep -q 'tinitrd: .*: missing$'"
run "entries --check reports missing content" entries_check_says "^thin.efi .*: .tinitrd content .*: missing$"
cp "$T/initrd.saved" "$INITRD_CONTENT"
run "entries --check is happy again once the content is back" "$KEEL" entries --esp "$ESP" --check

# Refs made by hand (objcopy --update-section on a copy of the thin UKI):
# one whose path climbs out with "..", one relative. Both name a file that
# exists, with its right size and SHA-256: only the path rule refuses them.
handmade() { # handmade PATH OUT
        local f=/etc/hostname
        printf '%s %s %s\n' "$(sha256sum $f | cut -d' ' -f1)" "$(stat -c %s $f)" "$1" >"$T/ref"
        objcopy --update-section .tlinux="$T/ref" "$ESP/EFI/Linux/thin.efi" "$2"
}
handmade "/EFI/../../../../../../../../etc/hostname" "$ESP/EFI/Linux/evil.efi"
expect_error_saying "pcr predict refuses a ref with '..'" "" "path" "$KEEL" pcr predict "$ESP/EFI/Linux/evil.efi"
expect_error_saying "uki inspect refuses a ref with '..'" "" "path" "$KEEL" uki inspect "$ESP/EFI/Linux/evil.efi"
run "entries --check reports the ref with '..'" entries_check_says "^evil.efi .*: .*path"
handmade "etc/hostname" "$ESP/EFI/Linux/evil.efi"
expect_error_saying "pcr predict refuses a relative ref path" "" "path" "$KEEL" pcr predict "$ESP/EFI/Linux/evil.efi"
rm "$ESP/EFI/Linux/evil.efi"

# Half-written UKIs and Type #1 entries naming missing files.
head -c 20000 "$T/fat.efi" >"$ESP/EFI/Linux/cut.efi"
run "entries --check reports a truncated UKI" entries_check_says "^cut.efi .*cut.efi: "
rm "$ESP/EFI/Linux/cut.efi"
mkdir -p "$ESP/loader/entries"
printf 'title T1\nlinux /vmlinuz-missing\ninitrd /initrd-missing\n' >"$ESP/loader/entries/t1.conf"
run "entries --check reports a Type #1 entry whose linux is missing (the loader hides it)" \
        entries_check_says "^t1.conf .*t1.conf: linux /vmlinuz-missing is missing$"
: >"$ESP/vmlinuz-missing"
run "... and one whose linux is empty" entries_check_says "^t1.conf .*: linux /vmlinuz-missing is empty$"
echo k >"$ESP/vmlinuz-missing"
run "... and one whose initrd is missing" entries_check_says "^t1.conf .*: initrd /initrd-missing is missing$"
rm -r "$ESP/loader"

EMPTY=$T/empty
mkdir -p "$EMPTY/EFI/Linux"
empty_esp() {
        local out rc=0
        out=$("$KEEL" entries --esp "$EMPTY" --check 2>&1) || rc=$?
        [ $rc -eq 1 ] && [ "$out" = "no default entry to boot" ] || { echo "rc=$rc: $out"; return 1; }
        "$KEEL" entries --esp "$EMPTY" --check --json | python3 -c '
import json, sys
j = json.load(sys.stdin)
sys.exit(not (j["ok"] is False and j["default"] is None and j["entries"] == []))'
}
run "entries --check of an ESP with nothing to boot: exit 1, 'no default entry to boot'" empty_esp

# ---- uki build --thin failing cleanly ------------------------------------------------
expect_error "--thin ROOT that does not exist" "$T/out.efi" build "$T/out.efi" --thin "$T/nonexistent"
echo x >"$T/notadir"
expect_error "--thin ROOT that is a file" "$T/out.efi" build "$T/out.efi" --thin "$T/notadir"
head -c 5000 /dev/urandom >"$T/notpe"
expect_error "--thin with a kernel that is no EFI image" "$T/out.efi" \
        "$KEEL" uki build --stub "$T/stub.efi" --linux "$T/notpe" --thin "$ESP" -o "$T/out.efi"
cp "$T/fat.efi" "$T/existing.efi"
expect_error_untouched "--thin failing leaves an existing -o untouched" "$T/existing.efi" \
        "$KEEL" uki build --stub "$T/stub.efi" --linux "$T/notpe" --thin "$ESP" -o "$T/existing.efi"
expect_error "--thin with a missing initrd" "$T/out.efi" build "$T/out.efi" --initrd "$T/nope" --thin "$ESP"
check "no temporaries left in the content directory" \
        test -z "$(find "$ESP/EFI/keel/content" -name '*.linux.*' -o -name '*.initrd.*' -o -name '.keel-*')"

summary
