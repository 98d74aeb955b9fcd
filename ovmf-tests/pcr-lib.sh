# Helpers for the pcr-* scenarios (sourced after lib.sh). Every expected
# value comes from the peers (systemd-measure, tpm2-tools, openssl) or from
# ovmf-tests/pcr-check.py, never from keel's own output.
PCR_CHECK="python3 $KEEL_SRC/ovmf-tests/pcr-check.py"

lower() { tr 'A-F' 'a-f' <<<"$1"; }

# booted_pcr WORKDIR BANK INDEX: the value the booted kernel read (lower-case hex).
booted_pcr() {
        lower "$(report_value "$1" "PCR $2 $3")"
}

# rsa_keypair DIR: DIR/priv.pem and DIR/pub.pem (RSA 2048).
rsa_keypair() {
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1/priv.pem" 2>/dev/null
        openssl pkey -in "$1/priv.pem" -pubout -out "$1/pub.pem"
}

# eventlog_parse WORKDIR: decodes the event log the initramfs reported into
# WORKDIR/eventlog.bin, parses it with tpm2_eventlog (WORKDIR/eventlog.yaml)
# and lists its PCR 11/12 events and replayed PCRs (WORKDIR/eventlog.txt).
# Returns tpm2_eventlog's status.
eventlog_parse() {
        local w=$1 rc=0
        tr -d '\r' <"$w/report.log" | sed -n '/^EVENTLOG-BEGIN$/,/^EVENTLOG-END$/p' | sed '1d;$d' |
                base64 -d >"$w/eventlog.bin" || return 1
        tpm2_eventlog "$w/eventlog.bin" >"$w/eventlog.yaml" 2>"$w/eventlog.err" || rc=$?
        $PCR_CHECK eventlog "$w/eventlog.yaml" >"$w/eventlog.txt"
        return $rc
}

# expect_replay_matches WORKDIR [PCR]: every PCR that tpm2_eventlog replayed
# from the log (sha1 and sha256, the banks the kernel exposes) equals the
# value read from the TPM; PCR (default 11, "" for none) must be among them.
expect_replay_matches() {
        local w=$1 need=${2-11} bank pcr value n=0
        while read -r _ bank pcr value; do
                case "$bank" in sha1|sha256) ;; *) continue ;; esac
                expect_eq "event log replay = TPM for PCR $pcr ($bank)" "$value" "$(booted_pcr "$w" "$bank" "$pcr")"
                n=$((n + 1))
        done < <(grep '^REPLAY ' "$w/eventlog.txt")
        [ -z "$need" ] || expect_true "the replay covers PCR $need" grep -q "^REPLAY sha256 $need " "$w/eventlog.txt"
}

# events WORKDIR PCR: "type description" of that PCR's events, one per line.
events() {
        awk -v p="$2" '$1 == "EVENT" && $2 == p { t = $3; $1 = $2 = $3 = $4 = $5 = ""; sub(/^ +/, ""); print t, $0 }' \
                "$1/eventlog.txt"
}

# event_sha256 WORKDIR PCR N: the sha256 digest of the N-th (from 1) event of PCR.
event_sha256() {
        awk -v p="$2" -v n="$3" '$1 == "EVENT" && $2 == p && ++k == n { print $5 }' "$1/eventlog.txt"
}

sha256_hex() { sha256sum "$1" | cut -d' ' -f1; }
hex2bin() { python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))' "$1"; }
bin2hex() { od -An -tx1 -v "$1" | tr -d ' \n'; }

# A swtpm for tpm2-tools on the host (policy digests), on a free port.
swtpm_host_start() {
        host_swtpm_start "$1"
        export TPM2TOOLS_TCTI="swtpm:port=$HOST_SWTPM_PORT"
        SWTPM_HOST_DIR=$1
}

swtpm_host_stop() {
        [ -z "${SWTPM_HOST_DIR:-}" ] || host_swtpm_stop "$SWTPM_HOST_DIR"
}

# tpm_policypcr BANK VALUE-HEX OUT: the PolicyPCR digest a real TPM computes
# in a trial session for PCR 11 of BANK holding VALUE; hex on stdout.
tpm_policypcr() {
        local bank=$1 value=$2 dir=$3
        hex2bin "$value" >"$dir/pcr11.bin"
        tpm2_startauthsession -S "$dir/session.ctx" >/dev/null
        tpm2_policypcr -S "$dir/session.ctx" -l "$bank:11" -f "$dir/pcr11.bin" -L "$dir/policy.bin" >/dev/null
        tpm2_flushcontext "$dir/session.ctx" >/dev/null
        bin2hex "$dir/policy.bin"
}

# openssl_verify MD PUBKEY SIG DATA: an RSA PKCS#1 v1.5 signature check.
openssl_verify() {
        openssl dgst "-$1" -verify "$2" -signature "$3" "$4" >/dev/null
}
