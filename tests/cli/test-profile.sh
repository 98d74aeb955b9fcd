#!/bin/bash
# Multi-profile UKIs (systemd 257): keel uki build --profile, uki inspect,
# pcr predict --profile, keel entries. systemd 252 on this host knows no
# profiles, so the peers check what they can: systemd-measure 252 computes
# PCR 11 of a single-profile UKI made of one profile's sections, and the
# .profile events (last in the canonical order, after .pcrpkey) are
# extended on top of it with Python's hashlib; objdump shows the section
# table; bootctl 252 ignores a multi-profile UKI (a section name twice).
# Usage: tests/cli/test-profile.sh BUILD_DIR
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
MEASURE=/usr/lib/systemd/systemd-measure
KEEL_TESTS=$SRC/tests
T=$(mktemp -d)
MNT=""
cleanup() {
        [ -n "$MNT" ] && umount "$MNT" 2>/dev/null
        rm -rf "$T"
}
trap cleanup EXIT
source "$(dirname "$0")/lib.sh"
need_build "${1:-build}"

head -c 2000000 /dev/urandom >"$T/pad"
cat "$STUB" "$T/pad" >"$T/kernel.efi"
head -c 100000 /dev/urandom >"$T/initrd"
# Only sections systemd-measure 252 knows (no .sbat, no .uname) besides .profile.
objcopy --remove-section=.sbat "$STUB" "$T/stub.efi"
OSREL=$'ID=test\nPRETTY_NAME="Test OS"\nVERSION_ID=7\n'
P0=$'ID=default\nTITLE=Default boot\n'
P1=$'ID=debug\nTITLE=Debugging\n'
P2=$'ID=rescue\n'
OSREL2=$'ID=test\nPRETTY_NAME="Rescue OS"\n'
printf 'rescue\n' >"$T/rescue.cmdline"
"$KEEL" uki build --stub "$T/stub.efi" --linux "$T/kernel.efi" --initrd "$T/initrd" --uname "" \
        --cmdline "console=ttyS0 base" --os-release "$OSREL" \
        --profile "$P0" --profile "$P1" --cmdline "console=ttyS0 debug" \
        --profile "$P2" --cmdline @"$T/rescue.cmdline" --os-release "$OSREL2" -o "$T/multi.efi"
check "uki build --profile x3 writes a UKI" [ -s "$T/multi.efi" ]

# The section table: the shared sections, then each .profile followed by its own.
names=$(objdump -h "$T/multi.efi" | awk '$1 ~ /^[0-9]+$/ {print $2}' | grep -v '^\.\(text\|data\|reloc\|rodata\|dynamic\|rela\|dynsym\|dynstr\|bss\|sdmagic\|sbat\)' | paste -sd ' ')
check "objdump: base sections, then .profile / .profile .cmdline / .profile .osrel .cmdline ($names)" \
        [ "$names" = ".osrel .cmdline .initrd .linux .profile .profile .cmdline .profile .osrel .cmdline" ]

# PCR 11 of profile N = systemd-measure 252 over a single-profile UKI of the
# same sections, extended by H(".profile\0") and H(profile text).
extend_profile() { # extend_profile PCR-HEX TEXT
        python3 -c 'import hashlib,sys
p = bytes.fromhex(sys.argv[1])
for d in (b".profile\0", sys.argv[2].encode()):
    p = hashlib.sha256(p + hashlib.sha256(d).digest()).digest()
print(p.hex())' "$1" "$2"
}
single_pcr() { # single_pcr CMDLINE OSREL: systemd-measure's PCR 11 (sha256, no phase)
        "$KEEL" uki build --stub "$T/stub.efi" --linux "$T/kernel.efi" --initrd "$T/initrd" --uname "" \
                --cmdline "$1" --os-release "$2" -o "$T/single.efi" || return 1
        for s in linux osrel cmdline initrd; do
                objcopy -O binary --only-section=.$s "$T/single.efi" "$T/single.$s"
        done
        $MEASURE calculate --linux="$T/single.linux" --osrel="$T/single.osrel" --cmdline="$T/single.cmdline" \
                --initrd="$T/single.initrd" --bank=sha256 --phase= 2>/dev/null | sed -n 's/^11:sha256=//p'
}
n=0
for spec in "console=ttyS0 base|$OSREL|$P0" "console=ttyS0 debug|$OSREL|$P1" "rescue|$OSREL2|$P2"; do
        IFS='|' read -r -d '' c o p <<<"$spec"
        p=${p%$'\n'}
        m=$(single_pcr "$c" "$o")
        want=$(extend_profile "$m" "$p")
        got=$("$KEEL" pcr predict "$T/multi.efi" --profile $n --bank sha256 --phase= | sed 's/^11:sha256=//')
        check "pcr predict --profile $n = systemd-measure 252 (single-profile UKI of its sections) + .profile events" \
                [ -n "$m" -a "$got" = "$want" ]
        n=$((n + 1))
done
check "pcr predict without --profile is profile 0" [ "$("$KEEL" pcr predict "$T/multi.efi")" = \
        "$("$KEEL" pcr predict "$T/multi.efi" --profile 0)" ]
# Not all equal: the profiles differ in PCR 11 (a test that could not fail otherwise).
check "profiles 0 and 1 differ in PCR 11" [ "$("$KEEL" pcr predict "$T/multi.efi" --profile 0)" != \
        "$("$KEEL" pcr predict "$T/multi.efi" --profile 1)" ]
expect_error_saying "pcr predict --profile 3 of a 3-profile UKI" "" "no profile of that number" \
        "$KEEL" pcr predict "$T/multi.efi" --profile 3
expect_error "pcr predict --profile x" "" "$KEEL" pcr predict "$T/multi.efi" --profile x
# A UKI without .profile: profile 0 is the UKI as before (systemd-measure alone).
m=$(single_pcr "quiet" "$OSREL")
check "a UKI without .profile: pcr predict = systemd-measure 252 (unchanged)" \
        [ "$("$KEEL" pcr predict "$T/single.efi" --bank sha256 --phase= | sed 's/^11:sha256=//')" = "$m" ]

# inspect
"$KEEL" uki inspect "$T/multi.efi" >"$T/inspect" 2>&1
check "uki inspect: 3 profiles" grep -qx 'profiles: 3' "$T/inspect"
check "uki inspect: profile @1 id and title" grep -qx 'profile @1: id debug title Debugging' "$T/inspect"
check "uki inspect: profile @2's own command line" grep -qx '  cmdline: rescue' "$T/inspect"
check "uki inspect: profile @0 inherits the base command line" \
        bash -c "grep -A1 '^profile @0:' '$T/inspect' | grep -qx '  cmdline: console=ttyS0 base'"
"$KEEL" uki inspect --json "$T/multi.efi" >"$T/inspect.json"
check "uki inspect --json: profiles with ids, titles, command lines" python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))["profiles"]
assert [x["id"] for x in p] == ["default", "debug", "rescue"], p
assert [x["title"] for x in p] == ["Default boot", "Debugging", None], p
assert [x["cmdline"] for x in p] == ["console=ttyS0 base", "console=ttyS0 debug", "rescue"], p
assert "Rescue OS" in p[2]["os_release"] and "Test OS" in p[1]["os_release"]
' "$T/inspect.json"
"$KEEL" uki inspect --json "$T/single.efi" >"$T/single.json"
check "uki inspect --json: no profiles in a plain UKI" python3 -c '
import json, sys; assert json.load(open(sys.argv[1]))["profiles"] == []' "$T/single.json"

# --roothash binds every profile's own command line too (the stub binds the
# booted profile's .cmdline); a profile without one inherits the base's.
RH=$(head -c 32 /dev/urandom | od -An -tx1 -v | tr -d ' \n')
"$KEEL" uki build --stub "$T/stub.efi" --linux "$T/kernel.efi" --cmdline "base" --roothash "$RH" \
        --profile ID=a --profile ID=b --cmdline "own" -o "$T/verity.efi"
"$KEEL" uki inspect --json "$T/verity.efi" >"$T/verity.json"
check "--roothash: both profiles' command lines carry roothash=" python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))["profiles"]
assert [x["cmdline"].split()[0] for x in p] == ["base", "own"], p
assert all("roothash=" + sys.argv[2] in x["cmdline"].split() for x in p), p
' "$T/verity.json" "$RH"

# --pcr-private-key: each profile has its own .pcrsig after its sections
# (ukify's layout) whose sha256 policies are PolicyPCR (TPM 2.0 spec part 3,
# computed here in Python) over that profile's PCR 11 (systemd-measure 252
# over the single-profile twin + the .profile events) after each of
# systemd-measure's default phases, signed with the key (openssl verifies).
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/priv.pem" 2>/dev/null
openssl pkey -in "$T/priv.pem" -pubout -out "$T/pub.pem"
"$KEEL" uki build --stub "$T/stub.efi" --linux "$T/kernel.efi" --initrd "$T/initrd" --uname "" \
        --cmdline "console=ttyS0 base" --os-release "$OSREL" --pcrpkey "$T/pub.pem" --pcr-private-key "$T/priv.pem" \
        --profile "$P0" --profile "$P1" --cmdline "console=ttyS0 debug" -o "$T/signed.efi"
names=$(objdump -h "$T/signed.efi" | awk '$1 ~ /^[0-9]+$/ {print $2}' | grep -v '^\.\(text\|data\|reloc\|rodata\|dynamic\|rela\|dynsym\|dynstr\|bss\|sdmagic\|sbat\)' | paste -sd ' ')
check "signed: a .pcrsig in each profile ($names)" \
        [ "$names" = ".osrel .cmdline .pcrpkey .initrd .linux .profile .pcrsig .profile .cmdline .pcrsig" ]
"$KEEL" uki inspect --json "$T/signed.efi" >"$T/signed.json"
n=0
for spec in "console=ttyS0 base|$P0" "console=ttyS0 debug|$P1"; do
        IFS='|' read -r -d '' c p <<<"$spec"
        p=${p%$'\n'}
        "$KEEL" uki build --stub "$T/stub.efi" --linux "$T/kernel.efi" --initrd "$T/initrd" --uname "" \
                --cmdline "$c" --os-release "$OSREL" --pcrpkey "$T/pub.pem" -o "$T/twin.efi"
        for sct in linux osrel cmdline initrd pcrpkey; do
                objcopy -O binary --only-section=.$sct "$T/twin.efi" "$T/twin.$sct"
        done
        m=$($MEASURE calculate --linux="$T/twin.linux" --osrel="$T/twin.osrel" --cmdline="$T/twin.cmdline" \
                --initrd="$T/twin.initrd" --pcrpkey="$T/twin.pcrpkey" --bank=sha256 --phase= 2>/dev/null |
                sed -n 's/^11:sha256=//p')
        pcr=$(extend_profile "$m" "$p")
        check "profile $n: .pcrsig = PolicyPCR(systemd-measure + .profile events, 4 phases), signed (openssl)" \
                python3 - "$T/signed.efi" "$T/signed.json" "$n" "$pcr" "$T/pub.pem" "$T" <<'PY'
import base64, hashlib, json, struct, subprocess, sys
uki, inspect, n, pcr, pub, tmp = sys.argv[1], sys.argv[2], int(sys.argv[3]), bytes.fromhex(sys.argv[4]), sys.argv[5], sys.argv[6]
sigs = [s for s in json.load(open(inspect))["sections"] if s["name"] == ".pcrsig"]
s = sigs[n]
data = open(uki, "rb").read()[s["raw_offset"]:s["raw_offset"] + s["virtual_size"]]
entries = json.loads(data)["sha256"]
phases = ["enter-initrd", "enter-initrd:leave-initrd", "enter-initrd:leave-initrd:sysinit",
          "enter-initrd:leave-initrd:sysinit:ready"]
want = []
for ph in phases:
    v = pcr
    for w in ph.split(":"):
        v = hashlib.sha256(v + hashlib.sha256(w.encode()).digest()).digest()
    sel = struct.pack(">IHB", 1, 0x000B, 3) + bytes([0x00, 0x08, 0x00])  # PCR 11, SHA-256 bank
    want.append(hashlib.sha256(bytes(32) + struct.pack(">I", 0x17F) + sel + hashlib.sha256(v).digest()).hexdigest())
got = [e["pol"] for e in entries]
assert sorted(got) == sorted(want), (got, want)
for e in entries:
    assert e["pcrs"] == [11], e
    open(tmp + "/pol.bin", "wb").write(bytes.fromhex(e["pol"]))
    open(tmp + "/sig.bin", "wb").write(base64.b64decode(e["sig"]))
    subprocess.run(["openssl", "dgst", "-sha256", "-verify", pub, "-signature", tmp + "/sig.bin", tmp + "/pol.bin"],
                   check=True, capture_output=True)
PY
        n=$((n + 1))
done
check "the profiles' .pcrsig differ" python3 -c '
import json, sys
s = [x for x in json.load(open(sys.argv[1]))["sections"] if x["name"] == ".pcrsig"]
d = open(sys.argv[2], "rb").read()
a, b = (d[x["raw_offset"]:x["raw_offset"] + x["virtual_size"]] for x in s)
sys.exit(a == b)' "$T/signed.json" "$T/signed.efi"

# Bad input: one line, no output.
expect_error_saying "--profile with a control character" "$T/bad.efi" "control character" \
        "$KEEL" uki build --stub "$T/stub.efi" --linux "$T/kernel.efi" --profile $'ID=a\x01' -o "$T/bad.efi"
expect_error_saying "--profile empty" "$T/bad.efi" "empty" \
        "$KEEL" uki build --stub "$T/stub.efi" --linux "$T/kernel.efi" --profile "" -o "$T/bad.efi"
expect_error_saying "--cmdline twice for one profile" "$T/bad.efi" "given twice" \
        "$KEEL" uki build --stub "$T/stub.efi" --linux "$T/kernel.efi" --profile ID=a --cmdline a --cmdline b \
        -o "$T/bad.efi"
expect_error_saying "17 profiles" "$T/bad.efi" "too many --profile" \
        "$KEEL" uki build --stub "$T/stub.efi" --linux "$T/kernel.efi" $(for i in $(seq 17); do echo --profile ID=p$i; done) \
        -o "$T/bad.efi"
expect_error_saying "--profile @missing-file" "$T/bad.efi" "missing" \
        "$KEEL" uki build --stub "$T/stub.efi" --linux "$T/kernel.efi" --profile @"$T/missing" -o "$T/bad.efi"

# keel entries: one entry per profile, ID@<.profile ID=> past the first (systemd-boot 262), 257's titles.
MNT=$T/esp
mkdir -p "$MNT"
mount -t tmpfs tmpfs "$MNT" || { fail "cannot mount a tmpfs (needs root)"; MNT=""; }
if [ -n "$MNT" ]; then
        mkdir -p "$MNT/EFI/Linux"
        cp "$T/multi.efi" "$MNT/EFI/Linux/multi.efi"
        "$KEEL" entries --esp "$MNT" --json >"$T/entries.json"
        check "keel entries: multi.efi, multi.efi@debug, multi.efi@rescue with profile titles" python3 -c '
import json, sys
e = {x["id"]: x for x in json.load(open(sys.argv[1]))}
assert set(e) == {"multi.efi", "multi.efi@debug", "multi.efi@rescue"}, e.keys()
assert e["multi.efi"]["title"] == "Test OS (Default boot)", e["multi.efi"]
assert e["multi.efi@debug"]["title"] == "Test OS (Debugging)"
assert e["multi.efi@rescue"]["title"] == "Rescue OS (rescue)"
assert e["multi.efi@debug"]["options"] == "console=ttyS0 debug" and e["multi.efi@rescue"]["options"] == "rescue"
assert all(x["efi"] == "\\EFI\\Linux\\multi.efi" for x in e.values())
assert [e[i]["profile"] for i in ("multi.efi", "multi.efi@debug", "multi.efi@rescue")] == [0, 1, 2]
' "$T/entries.json"
        order=$("$KEEL" entries --esp "$MNT" --json | python3 -c 'import json,sys; print(" ".join(e["id"] for e in json.load(sys.stdin)))')
        check "keel entries: profiles in order 0, 1, 2, as systemd-boot 257/262 sort one UKI's ($order)" \
                [ "$order" = "multi.efi multi.efi@debug multi.efi@rescue" ]
        # bootctl 252 does not know profiles: it refuses a UKI with a
        # section name twice ("Duplicate section .cmdline, ignoring.") and
        # lists nothing, where keel lists the three profiles.
        SYSTEMD_RELAX_ESP_CHECKS=1 bootctl --esp-path="$MNT" list --no-pager >"$T/bootctl.out" 2>&1
        bl=$(python3 "$KEEL_TESTS/bootctl_list.py" "$MNT" id)
        dup=$(grep -c "Duplicate section .cmdline" "$T/bootctl.out")
        check "bootctl 252 ignores the multi-profile UKI (duplicate .cmdline) and lists no entry" \
                [ -z "$bl" -a "$dup" -ge 1 ]
        # ... and a plain UKI next to it is listed by both, with the same ID.
        cp "$T/single.efi" "$MNT/EFI/Linux/plain.efi"
        bl=$(python3 "$KEEL_TESTS/bootctl_list.py" "$MNT" id)
        kl=$("$KEEL" entries --esp "$MNT" --json | python3 -c 'import json,sys; print(" ".join(sorted(e["id"] for e in json.load(sys.stdin))))')
        check "bootctl 252 lists the plain UKI next to it, keel entries it and the 3 profiles ($bl / $kl)" \
                [ "$bl" = plain.efi -a "$kl" = "multi.efi multi.efi@debug multi.efi@rescue plain.efi" ]
        check "keel entries --check passes" "$KEEL" entries --esp "$MNT" --check
fi
summary
