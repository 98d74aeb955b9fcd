#!/bin/bash
# Real OS (issue #12), tampered command line, Secure Boot off: one byte of
# the UKI's .cmdline is changed after the UKI was built and its PCR 11
# policy signed ("loglevel=4" becomes "loglevel=3": still a valid command
# line that boots). Nothing stops the boot with Secure Boot off, but the
# stub measures the .cmdline it carries into PCR 11, so PCR 11 is not the
# value the signature in .pcrsig covers: the TPM2 token of /var must not
# unseal, /var stays locked (headless=true: no passphrase prompt), the
# system ends where it ends (emergency mode reports and powers off) and
# reports that.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../realos/lib.sh"
source "$(dirname "$0")/../realos/scenario.sh"
WORK=$1
# REALOS_TAMPER=0 keeps the byte as it is (to see this scenario fail).
TAMPER=${REALOS_TAMPER:-1}

start=$(date +%s)
realos_base
echo "  image ready in $(( $(date +%s) - start )) s"
ROOTHASH=$(realos_roothash)
ORIG=$REALOS_BASE_UKI
UKI=$WORK/$REALOS_UKI_NAME-1+3.efi
cp "$ORIG" "$UKI"

# Change one byte inside the .cmdline section, in place (file offset from
# the PE section table).
tamper_cmdline() {
        python3 - "$1" <<'PY'
import struct, sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
pe = struct.unpack_from("<I", data, 0x3c)[0]
nsec = struct.unpack_from("<H", data, pe + 6)[0]
optsize = struct.unpack_from("<H", data, pe + 20)[0]
sec = pe + 24 + optsize
for i in range(nsec):
    h = sec + 40 * i
    name = data[h:h + 8].rstrip(b"\0")
    vsize, _, _, rawptr = struct.unpack_from("<IIII", data, h + 8)
    if name == b".cmdline":
        body = data[rawptr:rawptr + vsize]
        at = body.find(b"loglevel=4")
        assert at >= 0, body
        data[rawptr + at + len("loglevel=")] = ord("3")
        open(path, "wb").write(data)
        print("changed byte at file offset %d" % (rawptr + at + len("loglevel=")))
        break
else:
    sys.exit(".cmdline not found")
PY
}
if [ "$TAMPER" = 1 ]; then
        echo "  $(tamper_cmdline "$UKI")"
fi
expect_eq "the UKI differs from the signed one in exactly one byte" \
        "$(cmp -l "$ORIG" "$UKI" | wc -l)" 1
realos_scenario_disk "$WORK" "$UKI"

realos_boot "$WORK" 300
values() { report_values "$WORK/report.log" "$1"; }

expect_report_complete "$WORK"
state=$(report_value "$WORK" STATE)
echo "  note: the system reached '$state'; failed units: $(values FAILED | awk '{ print $1 }' | tr '\n' ' ')"
expect_true "the system reported a state (running, degraded or emergency): '$state'" \
        grep -qxE 'running|degraded|emergency' <<<"$state"
expect_eq "the kernel command line is the tampered one" "$(report_value "$WORK" CMDLINE)" \
        "$(sed 's/loglevel=4/loglevel=3/' <<<"$REALOS_CMDLINE") roothash=$ROOTHASH"
expect_eq "/ is still the dm-verity root (the root hash was not touched)" \
        "$(report_value "$WORK" FINDMNT-ROOT | awk '{ print $1, $2 }')" "/dev/mapper/root erofs"

# PCR 11 measured the tampered .cmdline: not what the signed policy covers.
pcr11=$(lower "$(report_value "$WORK" "PCR sha256 11")")
predicted() { "$KEEL" pcr predict --bank sha256 --phase="$2" "$1" | sed -n 's/^11:sha256=//p'; }
expect_true "PCR 11 was read in the OS" test -n "$pcr11"
differs_from_original() {
        local p
        for p in enter-initrd:leave-initrd:sysinit:ready enter-initrd:leave-initrd:sysinit enter-initrd:leave-initrd; do
                [ "$pcr11" != "$(predicted "$ORIG" "$p")" ] || return 1
        done
}
expect_true "PCR 11 differs from keel pcr predict of the original UKI (every phase)" differs_from_original
# What keel measured is the tampered UKI, phase words as far as this boot got.
matches_tampered() {
        local p
        for p in enter-initrd:leave-initrd:sysinit:ready enter-initrd:leave-initrd:sysinit enter-initrd:leave-initrd; do
                if [ "$pcr11" = "$(predicted "$UKI" "$p")" ]; then
                        echo "  note: PCR 11 = keel pcr predict of the tampered UKI, phases $p"
                        return 0
                fi
        done
        return 1
}
expect_true "PCR 11 = keel pcr predict of the tampered UKI (it measured the .cmdline it ran)" matches_tampered

# The TPM2 token was tried and refused; no volume was activated.
journal=$(values CRYPTSETUP-JOURNAL)
expect_true "systemd-cryptsetup tried the systemd-tpm2 token, and it failed" \
        grep -q "Token [0-9]* (systemd-tpm2) open failed" <<<"$journal"
expect_true "the signed policy has no signature for this PCR 11 (policy mismatch)" \
        grep -q "Couldn't find signature for this PCR bank, PCR index and public key" <<<"$journal"
unseal_pcr=$(sed -n 's/^PCR 11 value: //p' <<<"$journal" | head -n 1)
expect_eq "PCR 11 at unlock = keel pcr predict of the tampered UKI (enter-initrd:leave-initrd)" \
        "$unseal_pcr" "$(predicted "$UKI" enter-initrd:leave-initrd)"
expect_true "... which is not the original UKI's" test "$unseal_pcr" != "$(predicted "$ORIG" enter-initrd:leave-initrd)"
expect_true "no passphrase prompt (headless=true)" grep -q "Password querying disabled via 'headless' option" <<<"$journal"
expect_true "systemd-cryptsetup@var failed" grep -q "Failed to start systemd-cryptsetup@var.service" <<<"$journal"
not_activated() { ! grep -q "Volume var activated" <<<"$journal"; }
expect_true "the volume was not activated" not_activated
not_finished() { ! grep -q "Finished.*Cryptography Setup for var" <<<"$journal"; }
expect_true "systemd-cryptsetup@var did not finish" not_finished
not_var_mounted() { ! grep -q "^/dev/mapper/var" <<<"$(values FINDMNT-VAR)"; }
expect_true "/var is not mounted from /dev/mapper/var" not_var_mounted
no_crypt() { ! grep -qx crypt <<<"$(values VAR-TYPE)"; }
expect_true "no dm-crypt mapping 'var' exists" no_crypt
exit $((FAILURES > 0))
