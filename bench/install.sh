#!/bin/bash
# keel install: ESP bytes per extra generation (thin vs fat), installing 20
# signed generations from scratch vs 20 x `keel uki build --key --cert`
# (what an installer without keel install would run), and the idempotent
# re-run (time, bytes written). The Debian kernel and a 32 MiB initrd,
# shared by all generations, as NixOS generations usually share them.
source "$(dirname "$0")/lib.sh"
W=$BUILD/bench/install
rm -rf "$W"
mkdir -p "$W/profiles"
kernel=$(ls /boot/vmlinuz-* | sort -V | tail -n 1)
head -c $((32 * 1024 * 1024)) /dev/urandom >"$W/initrd"
openssl req -new -x509 -newkey rsa:2048 -nodes -subj "/CN=keel bench" -days 30 \
        -keyout "$W/db.key" -out "$W/db.crt" 2>/dev/null
for n in $(seq 1 20); do
        mkdir -p "$W/gen/$n"
        cat >"$W/gen/$n/boot.json" <<JSON
{"org.nixos.bootspec.v1": {"system": "x86_64-linux", "init": "/nix/store/bench-$n/init", "initrd": "$W/initrd",
 "kernel": "$kernel", "kernelParams": ["console=ttyS0", "quiet"], "label": "NixOS bench $n",
 "toplevel": "/nix/store/bench-$n"}}
JSON
        ln -sfn "$W/gen/$n" "$W/profiles/system-$n-link"
done
links() { for n in "$@"; do printf '%s ' "$W/profiles/system-$n-link"; done; }
# Staging in keel install's default place (/dev/shm).
unset TMPDIR
export KEEL_CACHE_DIR=$W
install_() { "$KEEL" install --stub "$BUILD/keelx64.efi" --key "$W/db.key" --cert "$W/db.crt" "$@"; }
esp_bytes() { du -sb --apparent-size "$1" | cut -f1; }

# ESP bytes one more generation adds, sharing kernel and initrd.
per_generation() {
        rm -rf "$W/esp"
        mkdir -p "$W/esp"
        install_ --esp "$W/esp" "$@" $(links 1) >/dev/null
        local one; one=$(esp_bytes "$W/esp")
        install_ --esp "$W/esp" "$@" $(links 1 2) >/dev/null
        echo $(( $(esp_bytes "$W/esp") - one ))
}
thin_bytes=$(per_generation --layout thin)
fat_bytes=$(per_generation --layout fat)

fresh_install() { rm -rf "$W/esp" && mkdir -p "$W/esp" && install_ --esp "$W/esp" $(links $(seq 1 20)); }
twenty_uki_builds() {
        rm -rf "$W/esp" && mkdir -p "$W/esp/EFI/Linux"
        for n in $(seq 1 20); do
                "$KEEL" uki build --stub "$BUILD/keelx64.efi" --linux "$kernel" --initrd "$W/initrd" \
                        --cmdline "init=/nix/store/bench-$n/init console=ttyS0 quiet" \
                        --os-release "PRETTY_NAME=\"NixOS bench $n\"" --key "$W/db.key" --cert "$W/db.crt" \
                        -o "$W/esp/EFI/Linux/nixos-generation-$n.efi" || return 1
        done
}
t_install=$(median_seconds fresh_install)
t_builds=$(median_seconds twenty_uki_builds)
fresh_install >/dev/null
t_rerun=$(median_seconds install_ --esp "$W/esp" $(links $(seq 1 20)))
rerun_bytes=$(install_ --esp "$W/esp" --json $(links $(seq 1 20)) | python3 -c 'import json,sys; print(json.load(sys.stdin)["bytes_written"])')

result "ESP bytes per extra generation sharing kernel and 32 MiB initrd: keel install thin vs fat" \
        "$((thin_bytes / 1024)) KiB vs $((fat_bytes / 1024)) KiB (goal: thin ≤ 128 KiB)"
result "install 20 signed generations from scratch: keel install (thin) vs 20 × keel uki build --key --cert" \
        "${t_install} s vs ${t_builds} s: $(ratio "$t_builds" "$t_install")× faster"
result "idempotent re-run of keel install, 20 generations" \
        "$(awk -v t="$t_rerun" 'BEGIN { printf "%d", t * 1000 }') ms, ${rerun_bytes} bytes written (goal ≤ 50 ms, 0 bytes)"
rm -rf "$W"
