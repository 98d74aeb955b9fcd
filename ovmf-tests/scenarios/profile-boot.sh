#!/bin/bash
# Multi-profile UKIs (systemd 257) under the keel loader, three boots.
# Boot A: loader.conf `default multi.efi@1` (keel's name before systemd
#   262, an alias now): LoaderEntries lists each profile as its own entry,
#   named as systemd-boot 262 names them (multi.efi, multi.efi@debug,
#   multi.efi@rescue: the .profile's ID=); the loader starts the UKI with
#   "@1" and measures it into PCR 12 as systemd-boot 262 does (EV_IPL,
#   UTF-16 "@1"); the stub boots profile 1's .cmdline,
#   exports StubProfile=1 and StubFeatures bit 9; PCR 11 = systemd-measure
#   252 over a single-profile twin of profile 1's sections extended by the
#   .profile events (hashlib), and = keel pcr predict --profile 1; PCR 12 is
#   the loader's "@1" event, then the tagged event systemd-stub 257 logs for
#   a profile other than 0 (UKI_PROFILE_EVENT_TAG_ID 0x13aed6db, UTF-16
#   "1"), computed here; the OS
#   finds /.extra/profile and /.extra/os-release (profile 1's) and profile
#   1's own .pcrsig as /.extra/tpm2-pcr-signature.json, whose enter-initrd
#   policy is what a TPM (tpm2_policypcr on swtpm) computes for the booted PCR 11.
# Boot B: a Type #1 entry starts the UKI with "@7" (no such profile): the
#   stub refuses before measuring anything into PCR 11, the loader falls
#   back to the next entry (multi.efi, profile 0: StubProfile=0, no tagged
#   event, the base .cmdline).
# Boot C: a Type #1 `uki` entry with `profile 2` (systemd 259): the loader
#   starts the UKI with "@2" (measured), profile 2's .cmdline boots,
#   StubProfile=2, PCR 12 = the "@2" and profile events; the entry is
#   LoaderEntrySelected under its own ID.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
source "$(dirname "$0")/../pcr-lib.sh"
WORK=$1
trap swtpm_host_stop EXIT

BASE="console=ttyS0 loglevel=1 panic=-1 keel.test=profile-0"
DEBUG="console=ttyS0 loglevel=1 panic=-1 keel.test=profile-1"
OSREL=$'ID=keeltest\nVERSION_ID=9\nPRETTY_NAME="Keel Test"\n'
OSREL1=$'ID=keeltest\nVERSION_ID=9\nPRETTY_NAME="Keel Test Debug"\n'
P0=$'ID=default\nTITLE=Default\n'
P1=$'ID=debug\nTITLE=Debugging\n'
P2=$'ID=rescue\n'
rsa_keypair "$WORK"
"$KEEL" uki build --stub "$KEEL_EFI" --linux "$(kernel_image)" --initrd "$(shared_initramfs)" \
        --pcrpkey "$WORK/pub.pem" --pcr-private-key "$WORK/priv.pem" \
        --cmdline "$BASE" --os-release "$OSREL" --profile "$P0" \
        --profile "$P1" --cmdline "$DEBUG" --os-release "$OSREL1" \
        --profile "$P2" --cmdline "console=ttyS0 panic=-1 keel.test=profile-2" -o "$WORK/multi.efi"
# The twin: profile 1's sections as a UKI without profiles.
"$KEEL" uki build --stub "$KEEL_EFI" --linux "$(kernel_image)" --initrd "$(shared_initramfs)" \
        --pcrpkey "$WORK/pub.pem" --cmdline "$DEBUG" --os-release "$OSREL1" -o "$WORK/twin1.efi"
"$KEEL" uki build --stub "$KEEL_EFI" --linux "$(kernel_image)" --initrd "$(shared_initramfs)" \
        --pcrpkey "$WORK/pub.pem" --cmdline "$BASE" --os-release "$OSREL" -o "$WORK/twin0.efi"

make_disk() { # make_disk IMG DEFAULT
        esp_image_create "$1" 192
        esp_put "$1" "$KEEL_EFI" /EFI/BOOT/BOOTX64.EFI
        esp_put "$1" "$WORK/multi.efi" /EFI/Linux/multi.efi
        esp_write "$1" /loader/entries/bad-profile.conf "$(printf '%s\n' 'title Bad profile' 'sort-key aaa' \
                'efi /EFI/Linux/multi.efi' 'options @7')"
        esp_write "$1" /loader/entries/uki-rescue.conf "$(printf '%s\n' 'title Rescue (Type #1 uki)' 'sort-key zzz' \
                'uki /EFI/Linux/multi.efi' 'profile 2')"
        esp_write "$1" /loader/loader.conf "$(printf 'timeout 0\ndefault %s\n' "$2")"
}
# extend_profile HEX TEXT: HEX extended by H(".profile\0") and H(TEXT) (sha256).
extend_profile() {
        python3 -c 'import hashlib,sys
p = bytes.fromhex(sys.argv[1])
for d in (b".profile\0", sys.argv[2].encode()):
    p = hashlib.sha256(p + hashlib.sha256(d).digest()).digest()
print(p.hex())' "$1" "$2"
}
# model_pcr11 UKI: PCR 11 (sha256) by the model checked against systemd-measure 252.
model_pcr11() {
        rm -rf "$WORK/sections"
        $PCR_CHECK model "$1" "$WORK/sections" | sed -n 's/^sha256=//p'
}
zero64=$(head -c 64 /dev/zero | tr '\0' 0)

# profile_pcr12 N: PCR 12 (sha256) after the loader's "@N" (EV_IPL, UTF-16
# with its NUL, as systemd-boot 262) and the stub's profile event (UTF-16 "N").
profile_pcr12() {
        python3 -c 'import hashlib, sys
p = bytes(32)
for t in ("@" + sys.argv[1], sys.argv[1]):
    p = hashlib.sha256(p + hashlib.sha256((t + "\0").encode("utf-16-le")).digest()).digest()
print(p.hex())' "$1"
}
ENTRIES="bad-profile.conf multi.efi multi.efi@debug multi.efi@rescue uki-rescue.conf"

echo "-- boot A: default multi.efi@1"
make_disk "$WORK/a.img" multi.efi@1
A=$WORK/a
qemu_boot "$A" "$WORK/a.img" || true
expect_report_complete "$A"
expect_eq "LoaderEntries: each profile an entry named X.efi@<ID=>, profiles in order, Type #1 first by sort-key" \
        "$(loader_entries "$A")" "$ENTRIES"
expect_eq "LoaderEntrySelected: the alias multi.efi@1 picked multi.efi@debug" \
        "$(report_value "$A" "EFIVAR LoaderEntrySelected")" "multi.efi@debug"
expect_eq "profile 1's .cmdline booted" "$(report_value "$A" CMDLINE)" "$DEBUG"
expect_eq "StubProfile" "$(report_value "$A" "EFIVAR StubProfile")" "1"
features=$(report_value "$A" "EFIVAR StubFeatures")
expect_true "StubFeatures has bit 9 (multi-profile UKI) ($features)" python3 -c '
import sys; v = int.from_bytes(bytes.fromhex(sys.argv[1]), "little"); sys.exit(not (v >> 9) & 1)' "$features"
twin=$(model_pcr11 "$WORK/twin1.efi")
expect_eq "PCR 11 = systemd-measure model of profile 1's sections + .profile events" \
        "$(booted_pcr "$A" sha256 11)" "$(extend_profile "$twin" "$P1")"
expect_eq "PCR 11 = keel pcr predict --profile 1" "$(booted_pcr "$A" sha256 11)" \
        "$("$KEEL" pcr predict "$WORK/multi.efi" --profile 1 --bank sha256 --phase= | sed 's/^11:sha256=//')"
expect_eq "PCR 12 = the loader's \"@1\" event, then the profile event" "$(booted_pcr "$A" sha256 12)" \
        "$(profile_pcr12 1)"
expect_eq "StubPcrKernelParameters" "$(report_value "$A" "EFIVAR StubPcrKernelParameters")" "12"
expect_true "tpm2_eventlog parses the event log" eventlog_parse "$A"
expect_replay_matches "$A"
expect_eq "PCR 12: the loader's EV_IPL \"@1\", then one EV_EVENT_TAG event" \
        "$(events "$A" 12 | cut -d' ' -f1-2 | sed 's/^EV_EVENT_TAG .*/EV_EVENT_TAG/' | tr '\n' ' ')" "EV_IPL @1 EV_EVENT_TAG "
expect_eq "PCR 12 first event digest = sha256(UTF-16 \"@1\\0\")" "$(event_sha256 "$A" 12 1)" \
        "$(python3 -c 'import hashlib; print(hashlib.sha256("@1\0".encode("utf-16-le")).hexdigest())')"
expect_eq "PCR 12 second event digest = sha256(UTF-16 \"1\\0\")" "$(event_sha256 "$A" 12 2)" \
        "$(python3 -c 'import hashlib; print(hashlib.sha256("1\0".encode("utf-16-le")).hexdigest())')"
# The tagged event's data: TCG_PCClientTaggedEvent { id, size, data }.
tag=$(python3 - "$A/eventlog.bin" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
# Spec ID header event (TCG_PCR_EVENT, SHA1 format), then crypto-agile events.
o = 32 + struct.unpack_from("<I", b, 28)[0]
algs = {}
hdr = b[32:]
n = struct.unpack_from("<I", hdr, 24)[0]
for i in range(n):
    alg, size = struct.unpack_from("<HH", hdr, 28 + 4 * i)
    algs[alg] = size
while o + 12 <= len(b):
    pcr, etype, count = struct.unpack_from("<III", b, o)
    p = o + 12
    for _ in range(count):
        alg = struct.unpack_from("<H", b, p)[0]
        p += 2 + algs[alg]
    esize = struct.unpack_from("<I", b, p)[0]
    data = b[p + 4:p + 4 + esize]
    if pcr == 12 and etype == 6:
        tid, tsize = struct.unpack_from("<II", data)
        print("%08x %s" % (tid, data[8:8 + tsize].hex()))
    o = p + 4 + esize
PY
)
expect_eq "the tagged event: id 0x13aed6db, data UTF-16 \"1\\0\"" "$tag" "13aed6db $(printf '1\0' | iconv -f ascii -t utf-16le | od -An -tx1 | tr -d ' \n')"
printf '%s' "$P1" >"$A/p1"
printf '%s' "$OSREL1" >"$A/osrel1"
expect_eq "/.extra/profile is profile 1's .profile, 0444" "$(report_value "$A" "EXTRA profile mode")" \
        "444 sha256=$(sha256_hex "$A/p1")"
expect_eq "/.extra/os-release is profile 1's .osrel, 0444" "$(report_value "$A" "EXTRA os-release mode")" \
        "444 sha256=$(sha256_hex "$A/osrel1")"
# Profile 1's own .pcrsig (the second one in the table): handed to the OS,
# and its enter-initrd policy is what a TPM computes for the booted PCR 11.
"$KEEL" uki inspect --json "$WORK/multi.efi" | python3 -c '
import json, sys
s = [x for x in json.load(sys.stdin)["sections"] if x["name"] == ".pcrsig"][1]
d = open(sys.argv[1], "rb").read()[s["raw_offset"]:s["raw_offset"] + s["virtual_size"]]
open(sys.argv[2], "wb").write(d)' "$WORK/multi.efi" "$A/pcrsig1.json"
expect_eq "/.extra/tpm2-pcr-signature.json is profile 1's .pcrsig" \
        "$(report_value "$A" "EXTRA tpm2-pcr-signature.json mode")" "444 sha256=$(sha256_hex "$A/pcrsig1.json")"
swtpm_host_start "$WORK/host-tpm"
after_enter=$($PCR_CHECK phase sha256 "$(booted_pcr "$A" sha256 11)" enter-initrd)
pols=$(python3 -c 'import json,sys; print(" ".join(e["pol"] for e in json.load(open(sys.argv[1]))["sha256"]))' "$A/pcrsig1.json")
tpm_pol=$(tpm_policypcr sha256 "$after_enter" "$WORK/host-tpm")
expect_true "profile 1's .pcrsig has the TPM's PolicyPCR for the booted PCR 11 + enter-initrd" \
        bash -c "[ -n '$tpm_pol' ] && grep -qw '$tpm_pol' <<<'$pols'"

echo "-- boot B: a Type #1 entry passes @7 (no such profile)"
make_disk "$WORK/b.img" bad-profile.conf
B=$WORK/b
qemu_boot "$B" "$WORK/b.img" || true
expect_report_complete "$B"
expect_true "the stub refused profile @7" grep -q "keel: refusing to boot profile @7" "$B/console.log"
expect_eq "fell back to multi.efi (profile 0): the base .cmdline" "$(report_value "$B" CMDLINE)" "$BASE"
expect_eq "LoaderEntrySelected" "$(report_value "$B" "EFIVAR LoaderEntrySelected")" "multi.efi"
expect_eq "StubProfile 0" "$(report_value "$B" "EFIVAR StubProfile")" "0"
twin=$(model_pcr11 "$WORK/twin0.efi")
expect_eq "PCR 11 = model of profile 0's sections + its .profile (nothing from the refused try)" \
        "$(booted_pcr "$B" sha256 11)" "$(extend_profile "$twin" "$P0")"
expect_true "tpm2_eventlog parses the event log" eventlog_parse "$B"
expect_eq "PCR 12: only the loader's measurement of the Type #1 options \"@7\", no profile event" \
        "$(events "$B" 12)" "EV_IPL @7"
printf '%s' "$P0" >"$B/p0"
expect_eq "/.extra/profile is profile 0's" "$(report_value "$B" "EXTRA profile mode")" "444 sha256=$(sha256_hex "$B/p0")"

echo "-- boot C: a Type #1 uki entry, profile 2"
make_disk "$WORK/c.img" uki-rescue.conf
C=$WORK/c
qemu_boot "$C" "$WORK/c.img" || true
expect_report_complete "$C"
expect_eq "LoaderEntries" "$(loader_entries "$C")" "$ENTRIES"
expect_eq "LoaderEntrySelected: the Type #1 entry" "$(report_value "$C" "EFIVAR LoaderEntrySelected")" "uki-rescue.conf"
expect_eq "profile 2's .cmdline booted" "$(report_value "$C" CMDLINE)" "console=ttyS0 panic=-1 keel.test=profile-2"
expect_eq "StubProfile 2" "$(report_value "$C" "EFIVAR StubProfile")" "2"
expect_eq "PCR 11 = keel pcr predict --profile 2" "$(booted_pcr "$C" sha256 11)" \
        "$("$KEEL" pcr predict "$WORK/multi.efi" --profile 2 --bank sha256 --phase= | sed 's/^11:sha256=//')"
expect_true "tpm2_eventlog parses the event log" eventlog_parse "$C"
expect_replay_matches "$C"
expect_eq "PCR 12: the loader's EV_IPL \"@2\", then the profile event" \
        "$(events "$C" 12 | cut -d' ' -f1-2 | sed 's/^EV_EVENT_TAG .*/EV_EVENT_TAG/' | tr '\n' ' ')" "EV_IPL @2 EV_EVENT_TAG "
expect_eq "PCR 12 = the loader's \"@2\" event, then the profile event" "$(booted_pcr "$C" sha256 12)" \
        "$(profile_pcr12 2)"
exit $((FAILURES > 0))
