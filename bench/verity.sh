#!/bin/bash
# dm-verity hash tree of a 1 GiB image (SHA-256, 4 KiB blocks, superblock):
# keel verity format vs veritysetup format with the same salt and UUID, side
# by side, data in the page cache. Both outputs must be identical.
source "$(dirname "$0")/lib.sh"
W=$BUILD/bench/verity
mkdir -p "$W"
SIZE_MIB=${VERITY_BENCH_MIB:-1024}
head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom >"$W/data.img"
cat "$W/data.img" >/dev/null
SALT=5a1f0c3e9b7d2a4c6e8f0a1b3c5d7e9f2b4d6f8a0c1e3a5c7e9b1d3f5a7c9e0b
UUID=0f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f

keel_format() { "$KEEL" verity format "$W/data.img" "$W/keel.hash" --salt "$SALT" --uuid "$UUID"; }
veritysetup_format() { veritysetup format "$W/data.img" "$W/vs.hash" --salt "$SALT" --uuid "$UUID"; }

BENCH_CLEANUP='rm -f "$W/keel.hash" "$W/vs.hash"'
t_keel=$(median_seconds keel_format)
t_vs=$(median_seconds veritysetup_format)
keel_format >/dev/null && veritysetup_format >/dev/null
cmp -s "$W/keel.hash" "$W/vs.hash" || { echo "verity bench: keel and veritysetup wrote different hash devices" >&2; exit 1; }
gbps() { awk -v s="$1" -v b=$((SIZE_MIB * 1024 * 1024)) 'BEGIN { printf "%.2f", b / s / 1e9 }'; }
result "verity format, $SIZE_MIB MiB (sha256, 4 KiB blocks, $(nproc) cores): keel vs veritysetup" \
        "${t_keel} s ($(gbps "$t_keel") GB/s) vs ${t_vs} s ($(gbps "$t_vs") GB/s): $(ratio "$t_vs" "$t_keel")x faster"
rm -f "$W/data.img" "$W/keel.hash" "$W/vs.hash"
