#!/bin/bash
# keel's signed PCR 11 policies against systemd 262 (sid) and 257 (trixie):
# keel pcr predict|sign = systemd-measure 262 calculate|sign in every bank,
# with --policyref; keel pcr sign --sign-initrd-pcrs = the .pcrsig of ukify
# 262 build --sign-initrd-pcrs (ukify's default off too); keel uki build
# and keel install --sign-initrd-pcrs/--pcr-banks = systemd-measure 262
# sign + sign --phase=enter-initrd --policyref=initrd --append (what ukify
# runs). Then the consumers: systemd-cryptenroll 262 (--tpm2-public-key-policyref=initrd)
# and 257, systemd-creds 262 and 257 on a swtpm whose PCR 11 is replayed
# from the UKI's sections, unlock with keel's .pcrsig only in the state and
# under the reference it signed; a swtpm with only a sha384 bank unlocks
# with keel's sha384 entries (signed with SHA-256, as 262 does) and not
# with systemd-measure 257's (signed with SHA-384).
# The peers come from scripts/debian-suite (ovmf-tests/peers-lib.sh).
# Usage: tests/cli/test-pcr-262.sh BUILD_DIR
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d)
TPMS=()

cleanup() {
        for d in "${TPMS[@]}"; do
                [ -f "$d/pid" ] && kill "$(cat "$d/pid")" 2>/dev/null
        done
        rm -rf "$T"
}
trap cleanup EXIT
source "$(dirname "$0")/lib.sh"
need_build "${1:-build}"
need_tools swtpm swtpm_setup tpm2_pcrextend cryptsetup objcopy
KEEL_SRC=$SRC
source "$SRC/ovmf-tests/peers-lib.sh"
source "$SRC/tests/cli/measure-lib.sh"

not() { ! "$@"; }
json_eq() { python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' "$1" "$2"; }
section() { objcopy -O binary --only-section="$2" "$1" "$3"; }

peer_tree sid tools && peer_tree sid tpm && peer_tree trixie tpm ||
        { fail "the sid and trixie trees (scripts/debian-suite SUITE tools/tpm)"; summary; exit 1; }
echo "systemd-measure: $(measure sid --version | head -n 1) / $(measure trixie --version | head -n 1)"

# Inputs: a stand-in kernel (keel's PE image without .sbat, so that ukify
# adds none of the kernel's SBAT lines), an initrd of an odd size.
objcopy --remove-section=.sbat "$STUB" "$T/stub-nosbat.efi"
{ cat "$T/stub-nosbat.efi"; head -c 400000 /dev/urandom; } >"$T/kernel.efi"
head -c 100001 /dev/urandom >"$T/initrd"
printf 'ID=t\nVERSION_ID=1\n' >"$T/osrel"
printf 'quiet x=1' >"$T/cmdline"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/priv.pem" 2>/dev/null
openssl pkey -in "$T/priv.pem" -pubout -out "$T/pub.pem"

# A keel UKI of only the sections systemd-measure takes as files.
"$KEEL" uki build --stub "$T/stub-nosbat.efi" --linux "$T/kernel.efi" --initrd "$T/initrd" --cmdline @"$T/cmdline" \
        --os-release @"$T/osrel" --uname "" --pcrpkey "$T/pub.pem" -o "$T/plain.efi"
for s in linux osrel cmdline initrd pcrpkey; do section "$T/plain.efi" ".$s" "$T/plain.$s"; done
sections=(--linux=/w/plain.linux --osrel=/w/plain.osrel --cmdline=/w/plain.cmdline --initrd=/w/plain.initrd
          --pcrpkey=/w/plain.pcrpkey)

# ---- keel pcr predict / sign = systemd-measure 262 -------------------------
"$KEEL" pcr predict "$T/plain.efi" >"$T/k-calc" 2>/dev/null
measure sid calculate "${sections[@]}" >"$T/m-calc" 2>/dev/null
check "predict = systemd-measure 262 calculate (4 banks x 4 phases)" \
        bash -c "[ -s '$T/m-calc' ] && [ \$(grep -c . '$T/m-calc') = 16 ] && cmp -s '$T/k-calc' '$T/m-calc'"
for bank in sha1 sha256 sha384 sha512; do
        "$KEEL" pcr predict "$T/plain.efi" --bank $bank --phase= --phase=enter-initrd:leave-initrd:sysinit >"$T/k-calc" 2>/dev/null
        measure sid calculate "${sections[@]}" --bank=$bank --phase= --phase=enter-initrd:leave-initrd:sysinit \
                >"$T/m-calc" 2>/dev/null
        check "predict --bank $bank = systemd-measure 262 calculate --bank=$bank" \
                bash -c "grep -q '^11:$bank=' '$T/m-calc' && cmp -s '$T/k-calc' '$T/m-calc'"
done

# sign: the JSON of systemd-measure 262 --json=short, byte for byte (keel
# adds the same final newline).
"$KEEL" pcr sign "$T/plain.efi" --private-key "$T/priv.pem" >"$T/k-sig" 2>/dev/null
measure sid sign "${sections[@]}" --private-key=/w/priv.pem --json=short >"$T/m-sig" 2>/dev/null
check "sign = systemd-measure 262 sign byte for byte (4 banks x 4 phases, every bank signed with SHA-256)" \
        bash -c "[ -s '$T/m-sig' ] && cmp -s '$T/k-sig' '$T/m-sig'"
for bank in sha1 sha256 sha384 sha512; do
        "$KEEL" pcr sign "$T/plain.efi" --private-key "$T/priv.pem" --public-key "$T/pub.pem" --bank $bank \
                --phase=enter-initrd --policyref=initrd >"$T/k-sig" 2>/dev/null
        measure sid sign "${sections[@]}" --private-key=/w/priv.pem --public-key=/w/pub.pem --bank=$bank \
                --phase=enter-initrd --policyref=initrd --json=short >"$T/m-sig" 2>/dev/null
        check "sign --bank $bank --policyref initrd = systemd-measure 262" \
                bash -c "grep -q '\"ref\":\"initrd\"' '$T/m-sig' && cmp -s '$T/k-sig' '$T/m-sig'"
done
"$KEEL" pcr sign "$T/plain.efi" --private-key "$T/priv.pem" --bank sha256,sha384 --phase=ready --phase=enter-initrd \
        --policyref='luks root/ünï' >"$T/k-sig" 2>/dev/null
measure sid sign "${sections[@]}" --private-key=/w/priv.pem --bank=sha256 --bank=sha384 --phase=ready \
        --phase=enter-initrd --policyref='luks root/ünï' --json=short >"$T/m-sig" 2>/dev/null
check "sign --policyref with a space, a slash and UTF-8 = systemd-measure 262" json_eq "$T/k-sig" "$T/m-sig"
"$KEEL" pcr sign "$T/plain.efi" --private-key "$T/priv.pem" --policyref= >"$T/k-sig" 2>/dev/null
measure sid sign "${sections[@]}" --private-key=/w/priv.pem --policyref= --json=short >"$T/m-sig" 2>/dev/null
check "sign --policyref= (empty: no reference) = systemd-measure 262" cmp -s "$T/k-sig" "$T/m-sig"

# ---- ukify 262 build: what it signs, and its default -------------------------
ukify() {
        peer_run sid --bind "$T:/w" -- ukify build --stub=/w/stub-nosbat.efi --linux=/w/kernel.efi --initrd=/w/initrd \
                --cmdline=@/w/cmdline --os-release=@/w/osrel --uname=6.1.0-test --pcrpkey=/w/pub.pem \
                --pcr-public-key=/w/pub.pem --pcr-private-key=/w/priv.pem "$@" >/dev/null 2>"$T/ukify.err"
}
ukify --output=/w/u-default.efi
ukify --sign-initrd-pcrs --output=/w/u-initrd.efi
ukify --sign-initrd-pcrs --pcr-banks=sha384,sha512 --output=/w/u-384.efi
ukify --sign-initrd-pcrs --no-sign-initrd-pcrs --output=/w/u-no.efi
for u in default initrd 384 no; do section "$T/u-$u.efi" .pcrsig "$T/u-$u.pcrsig" 2>/dev/null; done
check "ukify 262 built its UKIs" bash -c "[ -s '$T/u-default.pcrsig' ] && [ -s '$T/u-initrd.pcrsig' ] && [ -s '$T/u-384.pcrsig' ]"
run "ukify 262 --sign-initrd-pcrs: per bank the 4 phases, then enter-initrd under \"initrd\"" python3 - "$T/u-initrd.pcrsig" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
assert list(j) == ["sha1", "sha256", "sha384", "sha512"], list(j)
for bank, entries in j.items():
    assert [e.get("ref") for e in entries] == [None] * 4 + ["initrd"], entries
    assert entries[4]["pol"] == entries[0]["pol"]  # the same enter-initrd state
EOF
"$KEEL" pcr sign "$T/u-initrd.efi" --private-key "$T/priv.pem" --sign-initrd-pcrs >"$T/k-u-initrd" 2>/dev/null
check "pcr sign --sign-initrd-pcrs of ukify's UKI = its .pcrsig (ukify 262 --sign-initrd-pcrs)" \
        json_eq "$T/k-u-initrd" "$T/u-initrd.pcrsig"
"$KEEL" pcr sign "$T/u-default.efi" --private-key "$T/priv.pem" >"$T/k-u-default" 2>/dev/null
check "pcr sign (default) = ukify 262 without the option (its default is off)" json_eq "$T/k-u-default" "$T/u-default.pcrsig"
"$KEEL" pcr sign "$T/u-no.efi" --private-key "$T/priv.pem" --sign-initrd-pcrs --no-sign-initrd-pcrs >"$T/k-u-no" 2>/dev/null
check "pcr sign --no-sign-initrd-pcrs = ukify 262 --no-sign-initrd-pcrs" json_eq "$T/k-u-no" "$T/u-no.pcrsig"
"$KEEL" pcr sign "$T/u-384.efi" --private-key "$T/priv.pem" --bank 'sha384 sha512' --sign-initrd-pcrs >"$T/k-u-384" 2>/dev/null
check "pcr sign --bank 'sha384 sha512' --sign-initrd-pcrs = ukify 262 --pcr-banks=sha384,sha512 --sign-initrd-pcrs" \
        json_eq "$T/k-u-384" "$T/u-384.pcrsig"
"$KEEL" pcr sign "$T/u-initrd.efi" --private-key "$T/priv.pem" --phase=enter-initrd --policyref=initrd \
        --sign-initrd-pcrs >"$T/k-u-dup" 2>/dev/null
check "the initrd signature is not repeated when --phase/--policyref already made it (as ukify merges)" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(not all(len(e) == 1 and e[0]["ref"] == "initrd" for e in j.values()))' "$T/k-u-dup"

# ---- keel uki build / keel install = what ukify has systemd-measure 262 sign --
# (measure_like_ukify: tests/cli/measure-lib.sh)
"$KEEL" uki build --stub "$STUB" --linux "$T/kernel.efi" --initrd "$T/initrd" --cmdline @"$T/cmdline" \
        --os-release @"$T/osrel" --uname 6.1.0-test --pcr-private-key "$T/priv.pem" --sign-initrd-pcrs -o "$T/b-initrd.efi"
section "$T/b-initrd.efi" .pcrsig "$T/b-initrd.pcrsig"
measure_like_ukify "$T/b-initrd.efi" "$T/m-b-initrd"
check "uki build --sign-initrd-pcrs: .pcrsig = systemd-measure 262 sign + --phase=enter-initrd --policyref=initrd --append" \
        bash -c "grep -q '\"ref\":\"initrd\"' '$T/m-b-initrd' && cmp -s <(tr -d '\n' <'$T/b-initrd.pcrsig') <(tr -d '\n' <'$T/m-b-initrd')"
"$KEEL" uki build --stub "$STUB" --linux "$T/kernel.efi" --initrd "$T/initrd" --cmdline @"$T/cmdline" \
        --os-release @"$T/osrel" --uname 6.1.0-test --pcr-private-key "$T/priv.pem" --sign-initrd-pcrs \
        --pcr-banks sha1,sha512 -o "$T/b-banks.efi"
section "$T/b-banks.efi" .pcrsig "$T/b-banks.pcrsig"
measure_like_ukify "$T/b-banks.efi" "$T/m-b-banks" sha1 sha512
check "uki build --pcr-banks sha1,sha512 --sign-initrd-pcrs = systemd-measure 262 --bank=sha1 --bank=sha512 (same runs)" \
        bash -c "grep -q '\"sha512\"' '$T/m-b-banks' && ! grep -q sha256 '$T/b-banks.pcrsig' && \
                 cmp -s <(tr -d '\n' <'$T/b-banks.pcrsig') <(tr -d '\n' <'$T/m-b-banks')"
"$KEEL" uki build --stub "$STUB" --linux "$T/kernel.efi" --initrd "$T/initrd" --cmdline @"$T/cmdline" \
        --os-release @"$T/osrel" --uname 6.1.0-test --pcr-private-key "$T/priv.pem" -o "$T/b-default.efi"
section "$T/b-default.efi" .pcrsig "$T/b-default.pcrsig"
check "uki build without --sign-initrd-pcrs (ukify's default): no policy reference" \
        bash -c "[ -s '$T/b-default.pcrsig' ] && ! grep -q '\"ref\"' '$T/b-default.pcrsig'"
"$KEEL" uki build --stub "$STUB" --linux "$T/kernel.efi" --cmdline quiet --pcr-private-key "$T/priv.pem" \
        --profile 'ID=a' --profile 'ID=b' --cmdline 'quiet b' --sign-initrd-pcrs -o "$T/b-profiles.efi"
run "uki build --profile x2 --sign-initrd-pcrs: each profile's .pcrsig has the initrd entry after its 4 phases" \
        python3 - "$T/b-profiles.efi" "$KEEL" <<'EOF'
import json, subprocess, sys
uki, keel = sys.argv[1:]
inspect = json.loads(subprocess.run([keel, "uki", "inspect", "--json", uki], capture_output=True, check=True).stdout)
sigs = [s for s in inspect["sections"] if s["name"] == ".pcrsig"]
assert len(sigs) == 2, sigs
data = open(uki, "rb").read()
pols = []
for s in sigs:
    j = json.loads(data[s["raw_offset"]:s["raw_offset"] + s["virtual_size"]])
    for entries in j.values():
        assert [e.get("ref") for e in entries] == [None] * 4 + ["initrd"], entries
        assert entries[4]["pol"] == entries[0]["pol"], entries
    pols.append(j["sha256"][4]["pol"])
assert pols[0] != pols[1], pols
EOF

# keel install: each generation's UKI signed the same way.
source "$(dirname "$0")/install-lib.sh"
mkgen 1
mkdir -p "$T/esp"
"$KEEL" install --esp "$T/esp" --layout fat --pcr-private-key "$T/priv.pem" --pcr-banks sha256,sha384 --sign-initrd-pcrs \
        $(gen_links 1) >/dev/null 2>"$T/install.err"
installed=$(ls "$T"/esp/EFI/Linux/*.efi 2>/dev/null | head -n 1)
if [ -n "$installed" ]; then
        section "$installed" .pcrsig "$T/i.pcrsig"
        measure_like_ukify "$installed" "$T/m-i" sha256 sha384
        check "install --pcr-banks sha256,sha384 --sign-initrd-pcrs: .pcrsig = systemd-measure 262 (ukify's two runs)" \
                bash -c "grep -q '\"ref\":\"initrd\"' '$T/i.pcrsig' && cmp -s <(tr -d '\n' <'$T/i.pcrsig') <(tr -d '\n' <'$T/m-i')"
else
        fail "install --sign-initrd-pcrs wrote a UKI ($(cat "$T/install.err"))"
fi

# ---- bad input -----------------------------------------------------------------
expect_error "sign: --policyref with a control character" "$T/out.json" "$KEEL" pcr sign "$T/plain.efi" \
        --private-key "$T/priv.pem" --policyref $'in\x01itrd' -o "$T/out.json"
expect_error "sign: --policyref not UTF-8" "$T/out.json" "$KEEL" pcr sign "$T/plain.efi" \
        --private-key "$T/priv.pem" --policyref $'\xc0\xaf' -o "$T/out.json"
expect_error "sign: --policyref of 256 bytes" "$T/out.json" "$KEEL" pcr sign "$T/plain.efi" \
        --private-key "$T/priv.pem" --policyref "$(head -c 256 /dev/zero | tr '\0' r)" -o "$T/out.json"
expect_error "predict: --policyref is sign's" "" "$KEEL" pcr predict "$T/plain.efi" --policyref initrd
expect_error "predict: --sign-initrd-pcrs is sign's" "" "$KEEL" pcr predict "$T/plain.efi" --sign-initrd-pcrs
expect_error "uki build: --sign-initrd-pcrs without --pcr-private-key" "$T/bad.efi" "$KEEL" uki build --stub "$STUB" \
        --linux "$T/kernel.efi" --sign-initrd-pcrs -o "$T/bad.efi"
expect_error "uki build: --pcr-banks without --pcr-private-key" "$T/bad.efi" "$KEEL" uki build --stub "$STUB" \
        --linux "$T/kernel.efi" --pcr-banks sha256 -o "$T/bad.efi"
expect_error "uki build: --pcr-banks md5" "$T/bad.efi" "$KEEL" uki build --stub "$STUB" --linux "$T/kernel.efi" \
        --pcr-private-key "$T/priv.pem" --pcr-banks sha256,md5 -o "$T/bad.efi"
expect_error "uki build: --pcr-banks naming none" "$T/bad.efi" "$KEEL" uki build --stub "$STUB" --linux "$T/kernel.efi" \
        --pcr-private-key "$T/priv.pem" --pcr-banks ' , ' -o "$T/bad.efi"
expect_error "install: --sign-initrd-pcrs without --pcr-private-key" "" "$KEEL" install --esp "$T/esp2" \
        --sign-initrd-pcrs $(gen_links 1)

# ---- the consumers: systemd 262 and 257 on a swtpm ----------------------------
# tpm_boot DIR PHASE...: (re)starts the swtpm of state DIR (its PCRs reset,
# its SRK kept) and replays into PCR 11, in every bank it has, what the
# stub measures for $T/uki.efi, then the phase words; sets TPM_DEVICE.
free_port() {
        python3 -c 'import socket
for p in range(26000, 27000, 2):
    try:
        a = socket.socket(); a.bind(("127.0.0.1", p)); b = socket.socket(); b.bind(("127.0.0.1", p + 1))
        a.close(); b.close(); print(p); break
    except OSError:
        pass'
}
tpm_boot() {
        local dir=$1 port pid
        shift
        if [ -f "$dir/pid" ]; then
                pid=$(cat "$dir/pid")
                kill "$pid" 2>/dev/null
                while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
                rm -f "$dir/pid"
        fi
        port=$(free_port)
        swtpm socket --tpm2 --tpmstate dir="$dir" --server type=tcp,port="$port" --ctrl type=tcp,port=$((port + 1)) \
                --flags not-need-init,startup-clear --daemon --pid file="$dir/pid" || return 1
        TPMS+=("$dir")
        TPM_DEVICE="swtpm:host=127.0.0.1,port=$port"
        TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$port" python3 - "$T/uki.efi" "$@" <<'EOF'
import hashlib, subprocess, sys, tempfile
uki, words = sys.argv[1], sys.argv[2:]
caps = subprocess.run(["tpm2_getcap", "pcrs"], capture_output=True, text=True, check=True).stdout
banks = [l.split(":")[0].strip(" -") for l in caps.splitlines() if "11," in l]
def extend(data):
    spec = ",".join("%s=%s" % (b, hashlib.new(b, data).hexdigest()) for b in banks)
    subprocess.run(["tpm2_pcrextend", "11:" + spec], check=True)
for name in (".linux", ".osrel", ".cmdline", ".initrd", ".pcrpkey"):  # the stub's order
    with tempfile.NamedTemporaryFile() as f:  # objcopy renames onto its output: never name /dev/stdout
        subprocess.run(["objcopy", "-O", "binary", "--only-section=" + name, uki, f.name], check=True)
        data = open(f.name, "rb").read()
    if data:
        extend(name.encode() + b"\0")
        extend(data)
for w in words:
    extend(w.encode())
EOF
}
# pcr11_is PHASE BANK: the swtpm's PCR 11 is keel pcr predict's for PHASE.
pcr11_is() {
        [ "$(TPM2TOOLS_TCTI=$TPM_DEVICE tpm2_pcrread "$2:11" | sed -n 's/.*11: 0x//p' | tr A-F a-f)" = \
          "$("$KEEL" pcr predict "$T/uki.efi" --bank "$2" --phase="$1" | sed 's/^11:[a-z0-9]*=//')" ]
}
# cryptenroll SUITE ARGS...: that suite's systemd-cryptenroll, $T at /w and
# $T/run at /run/systemd (where it looks for tpm2-pcr-signature.json).
cryptenroll() {
        local suite=$1
        shift
        peer_tpm_run "$suite" --bind "$T:/w" --bind "$T/run:/run/systemd" -- systemd-cryptenroll "$@" </dev/null
}
new_volume() {
        rm -f "$1"
        truncate -s 32M "$1"
        printf pw | cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 "$1" -
}
# unlocks SUITE VOLUME SIGNATURE: the volume's TPM2 token opens with
# SIGNATURE as the initrd's /run/systemd/tpm2-pcr-signature.json
# (cryptenroll --unlock-tpm2-device enrolls one more password with it).
unlocks() {
        cp "$3" "$T/run/tpm2-pcr-signature.json"
        cryptenroll "$1" --unlock-tpm2-device="$TPM_DEVICE" --password "/w/$(basename "$2")" \
                >>"$T/unlock.log" 2>&1 </dev/null
}
mkdir -p "$T/run" "$T/tpm" "$T/tpm384"
export PASSWORD=pw NEWPASSWORD=pw-new
"$KEEL" uki build --stub "$T/stub-nosbat.efi" --linux "$T/kernel.efi" --initrd "$T/initrd" --cmdline @"$T/cmdline" \
        --os-release @"$T/osrel" --uname "" --pcrpkey "$T/pub.pem" --pcr-private-key "$T/priv.pem" --sign-initrd-pcrs \
        -o "$T/uki.efi"
section "$T/uki.efi" .pcrsig "$T/uki.pcrsig"
"$KEEL" pcr sign "$T/uki.efi" --private-key "$T/priv.pem" -o "$T/no-initrd.json"
"$KEEL" pcr sign "$T/uki.efi" --private-key "$T/priv.pem" --phase=enter-initrd --policyref=other | python3 -c '
import json, sys
j = json.load(sys.stdin)
for entries in j.values():
    for e in entries:
        e["ref"] = "initrd"  # signed for "other", claiming "initrd"
print(json.dumps(j))' >"$T/relabelled.json"

# 262: a volume that opens only in the initrd: --tpm2-public-key-policyref=initrd.
new_volume "$T/vol.img"
tpm_boot "$T/tpm" enter-initrd
check "swtpm PCR 11 = keel pcr predict --phase=enter-initrd (sha256)" pcr11_is enter-initrd sha256
check "swtpm PCR 11 = keel pcr predict --phase=enter-initrd (sha512)" pcr11_is enter-initrd sha512
run "systemd-cryptenroll 262 --tpm2-public-key-policyref=initrd --tpm2-signature=<keel's .pcrsig> (it unseals with it first)" \
        cryptenroll sid --tpm2-device="$TPM_DEVICE" --tpm2-pcrs= --tpm2-public-key=/w/pub.pem --tpm2-public-key-pcrs=11 \
        --tpm2-public-key-policyref=initrd --tpm2-signature=/w/uki.pcrsig /w/vol.img
check "the token is bound to the reference \"initrd\"" \
        bash -c "cryptsetup token export --token-id 0 '$T/vol.img' | grep -q '\"tpm2_pubkey_ref\":\"initrd\"'"
check "262 unlocks in the initrd (enter-initrd) with keel's .pcrsig" unlocks sid "$T/vol.img" "$T/uki.pcrsig"
check "262 does not unlock with keel's signature without --sign-initrd-pcrs" not unlocks sid "$T/vol.img" "$T/no-initrd.json"
check "262 does not unlock with a signature for \"other\" relabelled \"initrd\" (the TPM refuses it)" \
        not unlocks sid "$T/vol.img" "$T/relabelled.json"
check "... refused by TPM2_VerifySignature" grep -q 'Esys_VerifySignature' "$T/unlock.log"
tpm_boot "$T/tpm" enter-initrd leave-initrd
check "262 does not unlock after leave-initrd (the initrd signature is for enter-initrd only)" \
        not unlocks sid "$T/vol.img" "$T/uki.pcrsig"

# 262 and 257 without a reference: keel's .pcrsig (with its initrd entry)
# opens a volume bound to the public key in every signed phase.
new_volume "$T/vol-any.img"
tpm_boot "$T/tpm" enter-initrd
run "systemd-cryptenroll 257 --tpm2-public-key --tpm2-signature=<keel's .pcrsig>" \
        cryptenroll trixie --tpm2-device="$TPM_DEVICE" --tpm2-pcrs= --tpm2-public-key=/w/pub.pem --tpm2-public-key-pcrs=11 \
        --tpm2-signature=/w/uki.pcrsig /w/vol-any.img
for suite in trixie sid; do
        tpm_boot "$T/tpm" enter-initrd
        check "$suite unlocks the reference-less token at enter-initrd with keel's .pcrsig" \
                unlocks $suite "$T/vol-any.img" "$T/uki.pcrsig"
        tpm_boot "$T/tpm" enter-initrd leave-initrd sysinit ready
        check "$suite unlocks it at enter-initrd:leave-initrd:sysinit:ready" unlocks $suite "$T/vol-any.img" "$T/uki.pcrsig"
        tpm_boot "$T/tpm" enter-initrd leave-initrd sysinit ready shutdown
        check "$suite does not unlock it at shutdown (not signed)" not unlocks $suite "$T/vol-any.img" "$T/uki.pcrsig"
done

# systemd-creds: a credential sealed to the public key opens with keel's
# signature (262 and 257; creds takes no policy reference).
for suite in sid trixie; do
        tpm_boot "$T/tpm" enter-initrd leave-initrd
        printf 'secret-%s' $suite >"$T/cred.in"
        peer_tpm_run $suite --bind "$T:/w" -- systemd-creds encrypt --with-key=tpm2-with-public-key \
                --tpm2-device="$TPM_DEVICE" --tpm2-public-key=/w/pub.pem --tpm2-public-key-pcrs=11 \
                --name=keel /w/cred.in /w/cred.enc >/dev/null 2>&1
        peer_tpm_run $suite --bind "$T:/w" -- systemd-creds decrypt --tpm2-device="$TPM_DEVICE" \
                --tpm2-signature=/w/uki.pcrsig --name=keel /w/cred.enc /w/cred.out >/dev/null 2>&1
        check "systemd-creds $suite decrypts with keel's .pcrsig (enter-initrd:leave-initrd)" \
                bash -c "[ -s '$T/cred.out' ] && cmp -s '$T/cred.in' '$T/cred.out'"
        rm -f "$T/cred.out"
done

# A TPM with only a sha384 bank: systemd 262 binds the sha384 bank and
# checks the sha384 entry's signature with SHA-256. keel's opens it;
# systemd-measure 257's (and 252's), signed with SHA-384, do not.
swtpm_setup --tpm2 --tpmstate "$T/tpm384" --pcr-banks sha384 --overwrite >/dev/null 2>&1
new_volume "$T/vol384.img"
tpm_boot "$T/tpm384" enter-initrd
rm -f "$T/run/tpm2-pcr-signature.json"
run "systemd-cryptenroll 262 on a sha384-only swtpm" \
        cryptenroll sid --tpm2-device="$TPM_DEVICE" --tpm2-pcrs= --tpm2-public-key=/w/pub.pem --tpm2-public-key-pcrs=11 \
        /w/vol384.img
check "... bound to the sha384 bank" \
        bash -c "cryptsetup token export --token-id 0 '$T/vol384.img' | grep -q '\"tpm2-pcr-bank\":\"sha384\"'"
for s in linux osrel cmdline initrd pcrpkey; do section "$T/uki.efi" ".$s" "$T/uki.$s"; done
measure trixie sign --linux=/w/uki.linux --osrel=/w/uki.osrel --cmdline=/w/uki.cmdline --initrd=/w/uki.initrd \
        --pcrpkey=/w/uki.pcrpkey --private-key=/w/priv.pem --json=short >"$T/m257.json" 2>/dev/null
check "262 unlocks it with keel's sha384 entry" unlocks sid "$T/vol384.img" "$T/uki.pcrsig"
check "systemd-measure 257 signed" test -s "$T/m257.json"
check "262 does not unlock it with systemd-measure 257's (SHA-384-signed) sha384 entry" \
        not unlocks sid "$T/vol384.img" "$T/m257.json"

summary
