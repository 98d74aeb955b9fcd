# systemd-measure of the sid tree as the reference signer of PCR 11
# policies (sourced after lib.sh and ovmf-tests/peers-lib.sh; $T is the
# script's scratch directory, seen by the tree as /w).

# measure SUITE ARGS...: that suite's systemd-measure with $T at /w.
measure() { local suite=$1; shift; peer_tpm_run "$suite" --bind "$T:/w" -- /usr/lib/systemd/systemd-measure "$@"; }

# measure_like_ukify UKI OUT [BANK...]: the .pcrsig ukify 262 build
# --sign-initrd-pcrs would give UKI's sections, signed with $T/priv.pem:
# systemd-measure 262 sign, then sign --phase=enter-initrd
# --policyref=initrd --append (in BANK..., default all).
measure_like_ukify() {
        local uki=$1 out=$2 s args=() banks=()
        shift 2
        for b in "$@"; do banks+=(--bank="$b"); done
        for s in linux osrel cmdline initrd uname sbat pcrpkey; do
                rm -f "$T/m.$s"
                objcopy -O binary --only-section=".$s" "$uki" "$T/m.$s" 2>/dev/null && [ -s "$T/m.$s" ] &&
                        args+=(--$s=/w/m.$s)
        done
        measure sid sign "${args[@]}" "${banks[@]}" --private-key=/w/priv.pem --json=short >"$T/m-first" 2>/dev/null &&
                measure sid sign "${args[@]}" "${banks[@]}" --private-key=/w/priv.pem --phase=enter-initrd \
                        --policyref=initrd --append=/w/m-first --json=short >"$out" 2>/dev/null
}
