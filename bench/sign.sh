#!/bin/bash
# Authenticode signing of a UKI with a 64 MiB initrd: keel sign vs sbsign and
# osslsigncode doing the same job (SHA-256, RSA-2048, the output a new file).
source "$(dirname "$0")/lib.sh"
W=$BUILD/bench/sign
mkdir -p "$W"
kernel=$(ls /boot/vmlinuz-* | sort -V | tail -n 1)
head -c $((64 * 1024 * 1024)) /dev/urandom >"$W/initrd.img"
"$KEEL" uki build --stub "$BUILD/keelx64.efi" --linux "$kernel" --initrd "$W/initrd.img" \
        --cmdline "console=ttyS0 quiet" -o "$W/uki.efi"
openssl req -new -x509 -newkey rsa:2048 -nodes -subj "/CN=keel bench" -days 30 \
        -keyout "$W/db.key" -out "$W/db.crt" 2>/dev/null
size=$(stat -c %s "$W/uki.efi")

keel_sign() { "$KEEL" sign --key "$W/db.key" --cert "$W/db.crt" -o "$W/keel.efi" "$W/uki.efi"; }
sbsign_sign() { sbsign --key "$W/db.key" --cert "$W/db.crt" --output "$W/sbsign.efi" "$W/uki.efi"; }
ossl_sign() { osslsigncode sign -certs "$W/db.crt" -key "$W/db.key" -h sha256 -in "$W/uki.efi" -out "$W/ossl.efi"; }
# keel fsyncs its output before the rename; the peers do not. The same
# durability for them costs a sync of their output.
sbsign_synced() { sbsign_sign && sync "$W/sbsign.efi"; }
ossl_synced() { ossl_sign && sync "$W/ossl.efi"; }

BENCH_CLEANUP='rm -f "$W/keel.efi" "$W/sbsign.efi" "$W/ossl.efi"'
t_keel=$(median_seconds keel_sign)
t_sbsign=$(median_seconds sbsign_sign)
t_ossl=$(median_seconds ossl_sign)
t_sbsign_synced=$(median_seconds sbsign_synced)
t_ossl_synced=$(median_seconds ossl_synced)

# Only valid signatures count.
eval "$BENCH_CLEANUP"
keel_sign && sbsign_sign 2>/dev/null && ossl_sign >/dev/null
for f in keel sbsign ossl; do
        sbverify --cert "$W/db.crt" "$W/$f.efi" >/dev/null 2>&1 || { echo "bench/sign.sh: $f.efi does not verify" >&2; exit 1; }
done

mb=$((size / 1000000))
result "sign a ${mb} MB UKI (64 MiB initrd): keel sign (with fsync) vs osslsigncode" \
        "${t_keel} s vs ${t_ossl} s: $(ratio "$t_ossl" "$t_keel")x faster"
result "the same, keel sign vs sbsign" "${t_keel} s vs ${t_sbsign} s: $(ratio "$t_sbsign" "$t_keel")x faster"
result "the same, peers followed by sync of their output (equal durability): vs osslsigncode / sbsign" \
        "${t_keel} s vs ${t_ossl_synced} s / ${t_sbsign_synced} s: $(ratio "$t_ossl_synced" "$t_keel")x / $(ratio "$t_sbsign_synced" "$t_keel")x faster"
rm -f "$W/initrd.img" "$W/uki.efi" "$W/keel.efi" "$W/sbsign.efi" "$W/ossl.efi"
