# Helpers the realos-* scenarios share, sourced after realos/lib.sh. Kept out
# of lib.sh on purpose: lib.sh is part of the image's cache keys, these only
# run the boots and read their reports.

# realos_boot WORK DEFAULT_TIMEOUT [QEMU ARGS...]: boots WORK/disk.img
# (QEMU_REBOOT from the caller for runs of several boots) within
# $REALOS_TIMEOUT or DEFAULT_TIMEOUT seconds and says how long it took.
# Under TCG a systemd boot takes 40-55 s, twice that on a busy machine.
realos_boot() {
        local work=$1 timeout=$2 start
        shift 2
        start=$(date +%s)
        QEMU_TIMEOUT=${REALOS_TIMEOUT:-$timeout} qemu_boot "$work" "$work/disk.img" "$@" || true
        echo "  firmware to power-off in $(( $(date +%s) - start )) s"
}

# report_values REPORT_LOG KEY: every value the report holds under KEY=, one a line.
report_values() {
        tr -d '\r' <"$1" | sed -n "s/^$2=//p"
}

lower() { tr "A-F" "a-f" <<<"$1"; }

# realos_last_report WORK: for runs of several boots, the last complete
# report (earlier boots may have started one before they rebooted) cut out
# into WORK/last/report.log; sets LAST=WORK/last and values KEY (its
# values under KEY=).
realos_last_report() {
        mkdir -p "$1/last"
        tr -d '\r' <"$1/report.log" | awk '/^KEEL-REPORT-BEGIN$/ { buf = "" } { buf = buf $0 "\n" }
                /^KEEL-REPORT-END$/ { last = buf } END { printf "%s", last }' >"$1/last/report.log"
        LAST=$1/last
        values() { report_values "$LAST/report.log" "$1"; }
}

# realos_signed_sysext OUT TREE CERT KEY: a system extension image of TREE
# (its usr/) as systemd 257 takes one from /.extra/sysext in the initrd,
# whose image policy there is "root=signed+absent:usr=signed+absent": a GPT
# image with an erofs root partition, its dm-verity hashes and the root
# hash's PKCS#7 signature by KEY (CERT is what the initrd must trust in
# /etc/verity.d). Made by trixie's own `systemd-repart --make-ddi=sysext`
# in a small trixie tree (scripts/debian-suite, cached by version).
realos_signed_sysext() {
        local out=$1 tree=$2 cert=$3 key=$4 chroot dir
        chroot=$("$KEEL_SRC/scripts/debian-suite" "$BUILD" trixie chroot repart \
                systemd-repart erofs-utils libcryptsetup12) || return 1
        dir=$(mktemp -d "$(dirname "$out")/.sysext.XXXXXX")
        cp -a "$tree" "$dir/tree"
        cp "$cert" "$dir/cert.pem"
        cp "$key" "$dir/key.pem"
        if ! "$KEEL_SRC/scripts/debian-suite" "$BUILD" trixie run "$chroot" --bind "$dir:/work" -- \
                systemd-repart --make-ddi=sysext --offline=yes --seed=6b65656c-7379-4578-8000-000000000021 \
                --copy-source=/work/tree --private-key=/work/key.pem --certificate=/work/cert.pem \
                /work/image.raw >"$out.log" 2>&1; then
                cat "$out.log" >&2
                rm -rf "$dir"
                return 1
        fi
        mv "$dir/image.raw" "$out"
        rm -rf "$dir"
}

# realos_seal_credentials WORK STEP...: credentials sealed by the TPM the VM
# boots with (a host swtpm on a copy of WORK/tpm's state, realos_scenario_tpm)
# to its PCR 13, with the host's systemd-creds. Each STEP, in order:
#   extend:HEX        extends PCR 13 (sha256) by HEX, e.g. the digest the
#                     stub will measure for the sysext archive (sidecar-model.py)
#   NAME:PLAIN:OUT    encrypts the file PLAIN as credential NAME into OUT,
#                     sealed to PCR 13 as it is now
# (systemd-creds 252 seals with an empty --tpm2-pcrs= but then refuses to
# decrypt: "TPM2 PCR bank invalid or not supported"; hence PCR 13.)
realos_seal_credentials() {
        local work=$1 step tcti rc=0 name plain out
        shift
        rm -rf "$work/enc-tpm"
        mkdir -p "$work/enc-tpm"
        cp "$work/tpm/tpm2-00.permall" "$work/enc-tpm/"
        host_swtpm_start "$work/enc-tpm"
        tcti="swtpm:host=127.0.0.1,port=$HOST_SWTPM_PORT"
        for step in "$@"; do
                case "$step" in
                extend:*)
                        tpm2_pcrextend -T "$tcti" "13:sha256=${step#extend:}" || rc=$?
                        ;;
                *)
                        IFS=: read -r name plain out <<<"$step"
                        systemd-creds encrypt --with-key=tpm2 --tpm2-device="$tcti" --tpm2-pcrs=13 \
                                --name="$name" "$plain" "$out" || rc=$?
                        ;;
                esac
        done
        host_swtpm_stop "$work/enc-tpm"
        rm -rf "$work/enc-tpm"
        [ $rc = 0 ] || echo "realos: sealing the credentials failed (tpm2_pcrextend, systemd-creds encrypt)" >&2
        return $rc
}

# realos_boot_credentials WORK ESP ID UKI: the credentials
# realos_check_boot_credentials expects, written into ESP for the UKI
# \EFI\Linux\ID*.efi whose path on ESP is UKI: keel-secret beside it
# (ID.efi.extra.d) and keel-global in \loader\credentials, sealed by the
# scenario's TPM (realos_scenario_tpm) to the PCR 13 that sidecar-model.py
# predicts for the system extension already beside the UKI — they open
# only when the stub measured it as predicted — and keel-wrong, sealed to
# a PCR 13 the boot will not have (one more extension). The plaintexts are
# WORK/secret, WORK/global and WORK/wrong.
realos_boot_credentials() {
        local work=$1 esp=$2 id=$3 uki=$4 sysext
        local extra=$esp/EFI/Linux/$id.efi.extra.d
        python3 "$KEEL_SRC/ovmf-tests/sidecar-model.py" "$esp" "$uki" keel "$work/model-sysext" || return 1
        sysext=$(awk '$1 == 13 && /System extension initrd/ { print $NF }' "$work/model-sysext/events.txt")
        realos_scenario_tpm "$work" || return 1
        printf 'secret from beside the UKI\n' >"$work/secret"
        printf 'global secret\n' >"$work/global"
        printf 'never shown\n' >"$work/wrong"
        realos_seal_credentials "$work" "extend:$sysext" \
                "keel-secret:$work/secret:$extra/keel-secret.cred" \
                "keel-global:$work/global:$esp/loader/credentials/keel-global.cred" \
                "extend:$(printf 'another sysext' | sha256sum | cut -d' ' -f1)" \
                "keel-wrong:$work/wrong:$extra/keel-wrong.cred"
}

# realos_check_boot_credentials WHO RUN ESP ID WORK [MODEL]: what systemd
# (252 or 257) made of the credentials beside UKI ID in the ESP tree ESP
# (EFI/Linux/ID.efi.extra.d/keel-secret.cred and keel-wrong.cred,
# loader/credentials/keel-global.cred, sealed by realos_seal_credentials
# from WORK/secret, WORK/global and WORK/wrong, names without ".cred"), as
# the boot whose report is RUN/report.log shows it: PID 1 imported them
# into /run/credentials/@encrypted, LoadCredentialEncrypted= and
# systemd-creds decrypt open them with the TPM (not the one sealed to
# another PCR 13); PCR 12 and 13 equal sidecar-model.py's MODEL directory
# (default WORK/model) for the UKI as it booted.
realos_check_boot_credentials() {
        local who=$1 run=$2 esp=$3 id=$4 work=$5 model=${6:-$5/model} wrong
        local extra=$esp/EFI/Linux/$id.efi.extra.d
        v() { report_values "$run/report.log" "$1"; }
        expect_eq "$who: PID 1 imported the three credentials into /run/credentials/@encrypted (name mode size)" \
                "$(v BOOT-CREDS-ENCRYPTED | sort)" \
                "$(printf '%s\n' "keel-global 400 $(stat -c %s "$esp/loader/credentials/keel-global.cred")" \
                        "keel-secret 400 $(stat -c %s "$extra/keel-secret.cred")" \
                        "keel-wrong 400 $(stat -c %s "$extra/keel-wrong.cred")" | sort)"
        expect_eq "$who: keel-boot-creds.service (LoadCredentialEncrypted=keel-secret, keel-global) ran" \
                "$(v BOOT-CREDS-UNIT | sort | tr '\n' ' ')" "ActiveState=active Result=success "
        expect_eq "$who: LoadCredentialEncrypted=keel-secret: the plaintext" \
                "$(v BOOT-CREDS | sed -n 's/^keel-secret=//p')" "$(cat "$work/secret")"
        expect_eq "$who: LoadCredentialEncrypted=keel-global (\\loader\\credentials): the plaintext" \
                "$(v BOOT-CREDS | sed -n 's/^keel-global=//p')" "$(cat "$work/global")"
        expect_eq "$who: systemd-creds decrypt /run/credentials/@encrypted/keel-secret" \
                "$(v BOOT-CREDS-DECRYPT)" "$(cat "$work/secret")"
        wrong=$(v BOOT-CREDS-DECRYPT-WRONG | tail -n 1)
        expect_true "$who: systemd-creds refuses the credential sealed to another PCR 13 ($wrong)" \
                grep -q '^exit [1-9]' <<<"$wrong"
        # PCR 12: the two credential archives; PCR 13: the extension's (the
        # loader measures nothing for a UKI it starts without options).
        expect_eq "$who: PCR 12 = model (credentials)" "$(lower "$(report_value "$run" "PCR sha256 12")")" \
                "$(awk '$1 == "sha256" && $2 == 12 { print $3 }' "$model/pcrs.txt")"
        expect_eq "$who: PCR 13 = model (sysext)" "$(lower "$(report_value "$run" "PCR sha256 13")")" \
                "$(awk '$1 == "sha256" && $2 == 13 { print $3 }' "$model/pcrs.txt")"
}
