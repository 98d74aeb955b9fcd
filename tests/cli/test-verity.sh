#!/bin/bash
# keel verity format / verify against veritysetup (cryptsetup 2.6): the hash
# device keel writes must be byte for byte what `veritysetup format` writes
# with the same parameters, across hash algorithms, block sizes (512-4096,
# data and hash apart), salts (none, short, 32 and 256 bytes), sizes (one
# block to tens of thousands, around every level boundary), hash offsets and
# superblock-less trees; each verifier must accept the other's trees and
# both must reject damaged ones; bad input gets one "keel: " line.
# Usage: tests/cli/test-verity.sh BUILD_DIR
set -u
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
source "$(dirname "$0")/lib.sh"
need_build "${1:-build}"
umask 022

command -v veritysetup >/dev/null || { echo "FAIL veritysetup is not installed (cryptsetup-bin)"; exit 1; }

# expect_error NAME OUTPUT CMD...: non-zero exit, exactly one "keel: " line on
# stderr, nothing on stdout, OUTPUT (when not "") absent and no temporary
# left next to it.

SALT32=7f4c0e5b6a9d2c1e8f3a5b7c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f7089a1b
SALT256=$(for i in $(seq 0 255); do printf '%02x' $(( (i * 37 + 11) % 256 )); done)
UUID=5e4f3d2c-1b0a-4998-8776-655443322110

# data FILE BLOCKS BLOCK_SIZE: random data of that size.
data() {
        head -c $(( $2 * $3 )) /dev/urandom >"$1"
}

# same_as_veritysetup NAME DATA [OPTIONS...]: both tools format DATA into a
# fresh file with the same options; files, root hashes and printed headers
# must be identical, and each tool's verify must accept the other's tree.
same_as_veritysetup() {
        local name=$1 data=$2 why="" root verify_opts=()
        shift 2
        rm -f "$T/k.hash" "$T/v.hash"
        veritysetup format "$data" "$T/v.hash" "$@" >"$T/v.out" 2>"$T/v.err" || why="veritysetup failed: $(cat "$T/v.err")"
        [ -n "$why" ] || "$KEEL" verity format "$data" "$T/k.hash" "$@" "${KEEL_ONLY[@]}" >"$T/k.out" 2>"$T/k.err" ||
                why="keel failed: $(cat "$T/k.err")"
        [ -n "$why" ] || cmp -s "$T/k.hash" "$T/v.hash" || why="hash devices differ: $(cmp "$T/k.hash" "$T/v.hash" 2>&1 | head -1)"
        sed -i "s|$T/v.hash|HASH|" "$T/v.out"
        sed -i "s|$T/k.hash|HASH|" "$T/k.out"
        [ -n "$why" ] || diff -q "$T/k.out" "$T/v.out" >/dev/null || why="printed headers differ: $(diff "$T/k.out" "$T/v.out" | head -3 | tr '\n' ' ')"
        if [ -z "$why" ]; then
                root=$(sed -n 's/^Root hash:[[:space:]]*//p' "$T/k.out")
                # verify takes the tree's parameters from the superblock;
                # without one they must be given again.
                while [ $# -gt 0 ]; do
                        case "$1" in
                        --uuid) shift ;;
                        *) verify_opts+=("$1") ;;
                        esac
                        shift
                done
                [ -n "$root" ] || why="no root hash printed"
                [ -n "$why" ] || "$KEEL" verity verify "$data" "$T/v.hash" "$root" "${verify_opts[@]}" 2>"$T/kv.err" ||
                        why="keel verify rejects veritysetup's tree: $(cat "$T/kv.err")"
                [ -n "$why" ] || veritysetup verify "$data" "$T/k.hash" "$root" "${verify_opts[@]}" 2>"$T/vv.err" ||
                        why="veritysetup verify rejects keel's tree: $(cat "$T/vv.err")"
        fi
        if [ -z "$why" ]; then pass "$name"; else fail "$name: $why"; fi
}

KEEL_ONLY=()
echo "# known answers: algorithms x block sizes"
i=0
for alg in sha1 sha224 sha256 sha384 sha512; do
        for bs in 512:512 1024:4096 4096:4096 4096:512 2048:1024; do
                dbs=${bs%:*} hbs=${bs#*:}
                sizes=(1 2 129 1000 3000)
                salts=(- ab "$SALT32" "$SALT256" 00)
                blocks=${sizes[$((i % 5))]}
                salt=${salts[$(( (i / 5 + i) % 5 ))]}
                data "$T/d" "$blocks" "$dbs"
                same_as_veritysetup "$alg data $dbs hash $hbs, $blocks blocks, salt ${#salt} hex digits" "$T/d" \
                        --hash "$alg" --data-block-size "$dbs" --hash-block-size "$hbs" --salt "$salt" --uuid "$UUID"
                i=$((i + 1))
        done
done

echo "# known answers: sizes around level boundaries (sha256, 4096/4096: 128 hashes a block)"
for blocks in 1 2 127 128 129 16383 16384 16385; do
        data "$T/d" "$blocks" 4096
        same_as_veritysetup "sha256 4096, $blocks blocks" "$T/d" --salt "$SALT32" --uuid "$UUID"
done

echo "# known answers: tens of thousands of blocks, deep trees"
data "$T/d" 40000 512
same_as_veritysetup "sha512 512/512 (8 hashes a block, 6 levels), 40000 blocks" "$T/d" \
        --hash sha512 --data-block-size 512 --hash-block-size 512 --salt "$SALT256" --uuid "$UUID"
same_as_veritysetup "sha1 512/1024, 40000 blocks, no salt" "$T/d" \
        --hash sha1 --data-block-size 512 --hash-block-size 1024 --salt - --uuid "$UUID"
KEEL_ONLY=(--threads 1)
same_as_veritysetup "sha256 512/4096, 40000 blocks, one thread" "$T/d" --data-block-size 512 --salt ab --uuid "$UUID"
KEEL_ONLY=(--threads 7)
same_as_veritysetup "sha256 512/4096, 40000 blocks, 7 threads" "$T/d" --data-block-size 512 --salt ab --uuid "$UUID"
KEEL_ONLY=()

echo "# known answers: salts"
data "$T/d" 300 4096
for salt in - 00 ab "$SALT32" "$SALT256" "$(tr a-f A-F <<<"$SALT32")"; do
        same_as_veritysetup "salt of ${#salt} hex digits" "$T/d" --salt "$salt" --uuid "$UUID"
done

echo "# known answers: layout options"
same_as_veritysetup "--no-superblock" "$T/d" --no-superblock --salt "$SALT32"
same_as_veritysetup "--hash-offset 4096 (superblock at 4096, tree at 8192)" "$T/d" --hash-offset 4096 --salt ab --uuid "$UUID"
same_as_veritysetup "--hash-offset 512 (superblock at 512, tree at the next 4096 boundary)" "$T/d" --hash-offset 512 --salt ab --uuid "$UUID"
same_as_veritysetup "--hash-offset 1536 with 512-byte hash blocks" "$T/d" --hash-offset 1536 --hash-block-size 512 --salt ab --uuid "$UUID"
same_as_veritysetup "--no-superblock --hash-offset 8192" "$T/d" --no-superblock --hash-offset 8192 --salt ab

tree_appended() {
        local size root
        size=$(stat -c %s "$T/d")
        cp "$T/d" "$T/kd" && cp "$T/d" "$T/vd"
        "$KEEL" verity format "$T/kd" "$T/kd" --hash-offset "$size" --salt ab --uuid "$UUID" >"$T/k.out" || return 1
        veritysetup format "$T/vd" "$T/vd" --hash-offset "$size" --salt ab --uuid "$UUID" >/dev/null || return 1
        cmp "$T/kd" "$T/vd" || return 1
        root=$(sed -n 's/^Root hash:[[:space:]]*//p' "$T/k.out")
        veritysetup verify "$T/kd" "$T/kd" "$root" --hash-offset "$size" || return 1
        "$KEEL" verity verify "$T/vd" "$T/vd" "$root" --hash-offset "$size"
}
check "tree appended to the data file itself (DATA = HASH, --hash-offset = data size)" tree_appended

existing_hash_file() {
        # veritysetup writes into an existing file in place: what lies
        # beyond the tree (and before --hash-offset) stays.
        head -c 100000 /dev/urandom >"$T/old"
        cp "$T/old" "$T/k.hash" && cp "$T/old" "$T/v.hash"
        chmod 600 "$T/k.hash"
        "$KEEL" verity format "$T/d" "$T/k.hash" --hash-offset 8192 --salt ab --uuid "$UUID" >/dev/null || return 1
        veritysetup format "$T/d" "$T/v.hash" --hash-offset 8192 --salt ab --uuid "$UUID" >/dev/null || return 1
        cmp "$T/k.hash" "$T/v.hash" && [ "$(stat -c %a "$T/k.hash")" = 600 ]
}
check "existing larger hash file: bytes outside the tree kept, mode kept" existing_hash_file

symlinked_hash_file() {
        : >"$T/target.hash"
        rm -f "$T/v.hash"
        ln -sf target.hash "$T/link.hash"
        "$KEEL" verity format "$T/d" "$T/link.hash" --salt ab --uuid "$UUID" >/dev/null || return 1
        veritysetup format "$T/d" "$T/v.hash" --salt ab --uuid "$UUID" >/dev/null || return 1
        [ -L "$T/link.hash" ] && cmp -s "$T/target.hash" "$T/v.hash"
}
check "a symlinked hash file: the target is written, the link stays" symlinked_hash_file

random_defaults() {
        # Without --salt/--uuid both are random: 32-byte salt, version 4 UUID.
        "$KEEL" verity format "$T/d" "$T/r.hash" >"$T/r.out" || return 1
        grep -Eq '^Salt:[[:space:]]+[0-9a-f]{64}$' "$T/r.out" &&
                grep -Eq '^UUID:[[:space:]]+[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' "$T/r.out" &&
                veritysetup verify "$T/d" "$T/r.hash" "$(sed -n 's/^Root hash:[[:space:]]*//p' "$T/r.out")" &&
                [ "$(veritysetup dump "$T/r.hash" | sed -n 's/^UUID:[[:space:]]*//p')" = "$(sed -n 's/^UUID:[[:space:]]*//p' "$T/r.out")" ]
}
check "defaults: random 32-byte salt and version 4 UUID, read back by veritysetup dump" random_defaults

bounded_memory() {
        # Streaming: a 384 MiB device hashes within a 96 MiB address-space
        # limit (threads' stacks and libcrypto included), in both directions.
        local r
        truncate -s 384M "$T/sparse"
        (ulimit -v 98304; "$KEEL" verity format "$T/sparse" "$T/sparse.hash" --salt ab >"$T/sparse.out") || return 1
        r=$(sed -n 's/^Root hash:[[:space:]]*//p' "$T/sparse.out")
        (ulimit -v 98304; "$KEEL" verity verify "$T/sparse" "$T/sparse.hash" "$r") || return 1
        rm -f "$T/sparse" "$T/sparse.hash"
}
check "memory does not grow with the device: 384 MiB under a 96 MiB address-space limit" bounded_memory

echo "# verify: damage is found and named"
data "$T/d" 1000 4096
"$KEEL" verity format "$T/d" "$T/h" --salt "$SALT32" --uuid "$UUID" >"$T/out"
ROOT=$(sed -n 's/^Root hash:[[:space:]]*//p' "$T/out")
flip() { # flip FILE OFFSET: invert one byte in place
        local byte
        byte=$(od -An -tu1 -j "$2" -N 1 "$1" | tr -d ' ')
        printf "\\$(printf '%03o' $((byte ^ 0xff)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
check "verify accepts the intact tree" "$KEEL" verity verify "$T/d" "$T/h" "$ROOT"
cp "$T/d" "$T/bad"
flip "$T/bad" $((700 * 4096 + 123))
flip "$T/bad" $((900 * 4096 + 5))
expect_error "flipped data byte: the first bad data block is named" "" "$KEEL" verity verify "$T/bad" "$T/h" "$ROOT"
check "... it is block 700 at position 2867200" grep -q "position 2867200 of $T/bad (data block 700)" "$T/stderr"
check "... and veritysetup agrees the data is bad" bash -c "! veritysetup verify '$T/bad' '$T/h' '$ROOT' 2>/dev/null"
cp "$T/h" "$T/hbad"
flip "$T/hbad" $((4096 * 3 + 40))   # level 0 (after the superblock and the top block), block 1
expect_error "flipped hash-tree byte: the bad hash block is named" "" "$KEEL" verity verify "$T/d" "$T/hbad" "$ROOT"
check "... hash block 1 of level 0 at position 12288" grep -q "position 12288 of $T/hbad (hash block 1 of tree level 0)" "$T/stderr"
expect_error "wrong root hash" "" "$KEEL" verity verify "$T/d" "$T/h" "$(tr 0-9a-f 1-9a-f0 <<<"$ROOT")"
check "... reported as the root hash failing" grep -q "verification of root hash failed" "$T/stderr"
one_block() {
        data "$T/one" 1 4096
        "$KEEL" verity format "$T/one" "$T/one.h" --salt ab >"$T/one.out" || return 1
        local r
        r=$(sed -n 's/^Root hash:[[:space:]]*//p' "$T/one.out")
        "$KEEL" verity verify "$T/one" "$T/one.h" "$r" || return 1
        flip "$T/one" 7
        ! "$KEEL" verity verify "$T/one" "$T/one.h" "$r" 2>/dev/null
}
check "a one-block device (no tree levels) verifies and detects damage" one_block

echo "# bad input: one line, non-zero exit, nothing written"
head -c 5000 /dev/urandom >"$T/odd"
: >"$T/empty"
expect_error "data not a multiple of the block size" "$T/new.hash" "$KEEL" verity format "$T/odd" "$T/new.hash"
expect_error "empty data" "$T/new.hash" "$KEEL" verity format "$T/empty" "$T/new.hash"
expect_error "missing data file" "$T/new.hash" "$KEEL" verity format "$T/nonexistent" "$T/new.hash"
expect_error "bad hex salt (not hex)" "$T/new.hash" "$KEEL" verity format "$T/d" "$T/new.hash" --salt 0g
expect_error "bad hex salt (odd length)" "$T/new.hash" "$KEEL" verity format "$T/d" "$T/new.hash" --salt abc
expect_error "salt longer than 256 bytes" "$T/new.hash" "$KEEL" verity format "$T/d" "$T/new.hash" --salt "${SALT256}00"
expect_error "unknown hash (md5)" "$T/new.hash" "$KEEL" verity format "$T/d" "$T/new.hash" --hash md5
expect_error "unknown hash (SHA256 in capitals)" "$T/new.hash" "$KEEL" verity format "$T/d" "$T/new.hash" --hash SHA256
expect_error "block size not a power of two" "$T/new.hash" "$KEEL" verity format "$T/d" "$T/new.hash" --data-block-size 1000
expect_error "block size too small" "$T/new.hash" "$KEEL" verity format "$T/d" "$T/new.hash" --hash-block-size 256
expect_error "block size too large" "$T/new.hash" "$KEEL" verity format "$T/d" "$T/new.hash" --data-block-size 1048576
# A block size of 0 is no block size: veritysetup refuses it, and it must
# not quietly mean the default 4096 (what "not given" means inside keel).
check "veritysetup refuses --data-block-size 0 too" bash -c "! veritysetup format '$T/d' '$T/v0.hash' --data-block-size 0 >/dev/null 2>&1"
expect_error "format --data-block-size 0" "$T/zero1.hash" "$KEEL" verity format "$T/d" "$T/zero1.hash" --data-block-size 0
expect_error "format --hash-block-size 0" "$T/zero2.hash" "$KEEL" verity format "$T/d" "$T/zero2.hash" --hash-block-size 0
expect_error "format --data-block-size 00 (zero however written)" "$T/zero3.hash" \
        "$KEEL" verity format "$T/d" "$T/zero3.hash" --data-block-size 00
expect_error_saying "verify --data-block-size 0" "" --data-block-size "$KEEL" verity verify "$T/d" "$T/h" "$ROOT" --data-block-size 0
expect_error_saying "verify --hash-block-size 0" "" --hash-block-size "$KEEL" verity verify "$T/d" "$T/h" "$ROOT" --hash-block-size 0
expect_error_saying "image --data-block-size 0 (the same option parser)" "" --data-block-size \
        "$KEEL" image --root "$T" --roothash-only --data-block-size 0
expect_error "format --threads 0" "$T/new.hash" "$KEEL" verity format "$T/d" "$T/new.hash" --threads 0
# --hash-offset 0 is a real offset (the start of the device), as for veritysetup.
hash_offset_zero() {
        rm -f "$T/off0.hash" "$T/nooff.hash"
        "$KEEL" verity format "$T/d" "$T/off0.hash" --hash-offset 0 --salt "$SALT32" --uuid "$UUID" >/dev/null &&
                "$KEEL" verity format "$T/d" "$T/nooff.hash" --salt "$SALT32" --uuid "$UUID" >/dev/null &&
                cmp -s "$T/off0.hash" "$T/nooff.hash"
}
check "format --hash-offset 0 is offset 0 (the same tree as without it)" hash_offset_zero
expect_error "hash offset not a multiple of 512" "$T/new.hash" "$KEEL" verity format "$T/d" "$T/new.hash" --hash-offset 1000
expect_error "hash offset inside a hash block without a superblock" "$T/new.hash" \
        "$KEEL" verity format "$T/d" "$T/new.hash" --no-superblock --hash-offset 512
expect_error "negative number" "$T/new.hash" "$KEEL" verity format "$T/d" "$T/new.hash" --hash-offset -512
expect_error "bad UUID" "$T/new.hash" "$KEEL" verity format "$T/d" "$T/new.hash" --uuid 1234
expect_error "hash area overlapping the data (same file, offset 0)" "" "$KEEL" verity format "$T/d" "$T/d"
expect_error "missing HASH argument" "" "$KEEL" verity format "$T/d"
expect_error "unknown option" "$T/new.hash" "$KEEL" verity format "$T/d" "$T/new.hash" --frobnicate
keep_existing() {
        cp "$T/h" "$T/keep.hash"
        touch -d '2001-01-01 00:00' "$T/keep.hash"
        "$KEEL" verity format "$T/odd" "$T/keep.hash" 2>/dev/null && return 1
        cmp -s "$T/h" "$T/keep.hash" && [ "$(stat -c %Y "$T/keep.hash")" = "$(date -d '2001-01-01 00:00' +%s)" ]
}
check "an existing hash file is left untouched when format fails" keep_existing

head -c 8192 "$T/h" >"$T/short.hash"
expect_error "hash device too small" "" "$KEEL" verity verify "$T/d" "$T/short.hash" "$ROOT"
head -c 100 "$T/h" >"$T/tiny.hash"
expect_error "hash device too small for a superblock" "" "$KEEL" verity verify "$T/d" "$T/tiny.hash" "$ROOT"
expect_error "no superblock where one is expected" "" "$KEEL" verity verify "$T/d" "$T/d" "$ROOT"
expect_error "root hash of the wrong length" "" "$KEEL" verity verify "$T/d" "$T/h" "${ROOT}00"
expect_error "root hash not hex" "" "$KEEL" verity verify "$T/d" "$T/h" "zz${ROOT:2}"
expect_error "option contradicting the superblock" "" "$KEEL" verity verify "$T/d" "$T/h" "$ROOT" --hash sha1
expect_error "data smaller than the superblock says" "" "$KEEL" verity verify "$T/odd" "$T/h" "$ROOT"
cp "$T/h" "$T/badsb.hash"
printf '\x02' | dd of="$T/badsb.hash" bs=1 seek=8 conv=notrunc status=none
expect_error "superblock of an unknown version" "" "$KEEL" verity verify "$T/d" "$T/badsb.hash" "$ROOT"

summary
