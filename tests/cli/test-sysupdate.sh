#!/bin/bash
# keel sysupdate source / definitions (issue 22): the artefacts checked with
# the tools that read them (veritysetup, sbverify, sha256sum, gpg, objcopy),
# then installed by their real consumer, Debian 13's systemd-sysupdate 257
# (a trixie tree from scripts/debian-suite; nothing is installed on the
# host): the UKI transfer from a file:// source into a directory standing in
# for the ESP, refusals of unsigned, wrongly signed and tampered updates, and
# InstancesMax=/ProtectVersion=%A with the booted version. Partition targets
# need real partitions (a QEMU guest): here 257 only parses their transfers.
# Usage: tests/cli/test-sysupdate.sh BUILD_DIR
set -u
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
source "$(dirname "$0")/lib.sh"
need_build "${1:-build}"
need_tools veritysetup sbverify gpg objcopy sha256sum
umask 022
root=$(cd "$(dirname "$0")/../.." && pwd)
KERNEL=$(ls /boot/vmlinuz-* | sort -V | tail -n 1)

# ---- inputs: a small root tree per version, keys ----------------------------
tree() { # tree DIR VERSION
        mkdir -p "$1/usr/lib" "$1/etc" "$1/usr/share/doc"
        printf 'ID=keeltest\nIMAGE_ID=demo\nIMAGE_VERSION=%s\n' "$2" >"$1/usr/lib/os-release"
        ln -s ../usr/lib/os-release "$1/etc/os-release"
        seq 1 "${2}0000" >"$1/usr/share/doc/numbers"
}
for v in 1 2 3; do tree "$T/root$v" "$v"; done
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=keel-test -days 1 -keyout "$T/db.key" -out "$T/db.crt" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/pcr.pem" 2>/dev/null
for g in good wrong; do
        mkdir -m 700 "$T/gpg-$g"
        gpg --homedir "$T/gpg-$g" --batch --quiet --passphrase '' \
                --quick-gen-key "keel $g <$g@example.invalid>" ed25519 sign never 2>/dev/null
done
publish() { # publish DIR VERSION [GPG]: keel sysupdate source with the test's keys
        local dir=$1 v=$2 g=${3:-good}
        "$KEEL" sysupdate source --name demo --version "$v" --root "$T/root$v" --linux "$KERNEL" \
                --cmdline "console=ttyS0" --key "$T/db.key" --cert "$T/db.crt" --pcr-private-key "$T/pcr.pem" \
                --gpg-key "$g@example.invalid" --gpg-homedir "$T/gpg-$g" -o "$dir"
}

echo "# keel sysupdate source: the artefacts"
publish "$T/src" 1 >"$T/out1" 2>"$T/err1"
check "version 1 published" test -s "$T/src/demo_1.efi"
publish "$T/src" 2 >"$T/out2" 2>"$T/err2"
S=$T/src
check "version 2 published: NAME_V.root.raw, .verity.raw, .efi, SHA256SUMS(.gpg)" \
        test -f "$S/demo_2.root.raw" -a -f "$S/demo_2.verity.raw" -a -f "$S/demo_2.efi" -a -f "$S/SHA256SUMS" -a -f "$S/SHA256SUMS.gpg"
check "nothing else (no temporaries) in the directory" \
        test "$(ls -A "$S" | tr '\n' ' ')" = "SHA256SUMS SHA256SUMS.gpg demo_1.efi demo_1.root.raw demo_1.verity.raw demo_2.efi demo_2.root.raw demo_2.verity.raw "
check "published files are world-readable" test "$(stat -c %a "$S"/* | sort -u)" = 644
objcopy -O binary --only-section=.cmdline "$S/demo_2.efi" "$T/cmdline"
RH=$(tr -d '\0' <"$T/cmdline" | grep -o 'roothash=[0-9a-f]*' | cut -d= -f2)
check "the UKI carries roothash= (the one keel printed)" \
        test -n "$RH" -a "$RH" = "$(sed -n 's/^Root hash:[[:space:]]*//p' "$T/out2")"
run "veritysetup verify: root.raw + verity.raw against the UKI's roothash=" \
        veritysetup verify "$S/demo_2.root.raw" "$S/demo_2.verity.raw" "$RH"
salt=$(veritysetup dump "$S/demo_2.verity.raw" | sed -n 's/^Salt:[[:space:]]*//p')
uuid=$(veritysetup dump "$S/demo_2.verity.raw" | sed -n 's/^UUID:[[:space:]]*//p')
veritysetup format --salt "$salt" --uuid "$uuid" "$S/demo_2.root.raw" "$T/vs.hash" >"$T/vs.out" 2>&1
check "veritysetup format of root.raw gives the same root hash" \
        test "$(sed -n 's/^Root hash:[[:space:]]*//p' "$T/vs.out")" = "$RH"
check "... and the same hash partition, byte for byte" cmp -s "$T/vs.hash" "$S/demo_2.verity.raw"
"$KEEL" image --root "$T/root2" --roothash-only >"$T/image.out"
check "keel image gives the same tree the same root hash" \
        test "$(sed -n 's/^Root hash:[[:space:]]*//p' "$T/image.out")" = "$RH"
run "sbverify: the UKI is signed with the db key" sbverify --cert "$T/db.crt" "$S/demo_2.efi"
check "the UKI carries .pcrsig" bash -c "objdump -h '$S/demo_2.efi' | grep -q ' \.pcrsig '"
objcopy -O binary --only-section=.osrel "$S/demo_2.efi" "$T/osrel"
check "the UKI's os-release: IMAGE_ID=demo, IMAGE_VERSION=2" \
        bash -c "grep -qx IMAGE_ID=demo '$T/osrel' && grep -qx IMAGE_VERSION=2 '$T/osrel'"
run "sha256sum -c SHA256SUMS: both versions listed and matching" \
        bash -c "cd '$S' && sha256sum --strict -c SHA256SUMS && test \$(wc -l <SHA256SUMS) -eq 6"
run "gpg --verify SHA256SUMS.gpg with the publisher's key" \
        gpg --homedir "$T/gpg-good" --batch --verify "$S/SHA256SUMS.gpg" "$S/SHA256SUMS"

echo "# keel sysupdate source: bad input writes nothing"
snapshot() { (cd "$S" && ls -A && sha256sum SHA256SUMS SHA256SUMS.gpg); }
snapshot >"$T/before"
bad() { # bad NAME TEXT ARGS... : fails with one line saying TEXT, $S untouched
        local name=$1 text=$2
        shift 2
        expect_error_saying "$name" "" "$text" "$KEEL" sysupdate source "$@"
        snapshot >"$T/after"
        check "... $S untouched" cmp -s "$T/before" "$T/after"
}
common=(--linux "$KERNEL" --gpg-homedir "$T/gpg-good" -o "$S")
bad "an existing version is not replaced" "published already" \
        --name demo --version 2 --root "$T/root2" --gpg-key good@example.invalid "${common[@]}"
bad "a tree saying another IMAGE_VERSION" "IMAGE_VERSION=2, but this is 3" \
        --name demo --version 3 --root "$T/root2" --gpg-key good@example.invalid "${common[@]}"
mkdir -p "$T/noversion/usr/lib" && printf 'ID=keeltest\n' >"$T/noversion/usr/lib/os-release"
bad "a tree without IMAGE_VERSION" "has no IMAGE_VERSION=3" \
        --name demo --version 3 --root "$T/noversion" --gpg-key good@example.invalid "${common[@]}"
bad "a tree naming another IMAGE_ID" "IMAGE_ID=demo, but this is other" \
        --name other --version 3 --root "$T/root3" --gpg-key good@example.invalid "${common[@]}"
bad "--os-release naming another IMAGE_VERSION" "IMAGE_VERSION=9, but this is 3" \
        --name demo --version 3 --root "$T/root3" --os-release $'ID=x\nIMAGE_VERSION=9' --gpg-key good@example.invalid \
        "${common[@]}"
bad "a name with '_'" "--name 'de_mo'" --name de_mo --version 3 --root "$T/root3" "${common[@]}"
bad "a version with '+'" "--version '3+1'" --name demo --version 3+1 --root "$T/root3" "${common[@]}"
bad "NAME_V_verity longer than a GPT partition name" "GPT holds 36" \
        --name demo-with-a-long-name --version 3.0.0-rc1.2345 --root "$T/root3" "${common[@]}"
bad "an unsigned update into a signed directory" "give --gpg-key" \
        --name demo --version 3 --root "$T/root3" --linux "$KERNEL" -o "$S"
bad "a gpg key that is not there (gpg fails after everything else was built)" "gpg" \
        --name demo --version 3 --root "$T/root3" --gpg-key nobody@example.invalid "${common[@]}"
expect_error_saying "a new directory is not left behind on failure" "$T/newsrc" "gpg" \
        "$KEEL" sysupdate source --name demo --version 3 --root "$T/root3" --linux "$KERNEL" \
        --gpg-key nobody@example.invalid --gpg-homedir "$T/gpg-good" -o "$T/newsrc"

echo "# keel sysupdate definitions"
mkdir "$T/defs"
"$KEEL" sysupdate definitions --name demo --url file:///keel-test/src -o "$T/defs" >"$T/defs.out"
U=$T/defs/sysupdate.d/90-demo-uki.transfer
check "three transfers and the drop-in written" test "$(wc -l <"$T/defs.out")" -eq 4
check "the UKI's transfer is the last one (entry point written last)" \
        test "$(ls "$T/defs/sysupdate.d" | tail -n 1)" = 90-demo-uki.transfer
check "UKI: TriesLeft=3, InstancesMax=2, ProtectVersion=%A, Verify=yes, \$BOOT/EFI/Linux" \
        bash -c "grep -qx TriesLeft=3 '$U' && grep -qx InstancesMax=2 '$U' && grep -qx 'ProtectVersion=%A' '$U' &&
                 grep -qx Verify=yes '$U' && grep -qx PathRelativeTo=boot '$U' && grep -qx Path=/EFI/Linux '$U'"
D=$T/defs/systemd/system/systemd-sysupdate.service.d/keel-blessed-boot.conf
check "the drop-in orders systemd-sysupdate.service after boot-complete.target and requires it" \
        bash -c "grep -qx After=boot-complete.target '$D' && grep -qx Requires=boot-complete.target '$D'"
"$KEEL" sysupdate definitions --name demo --url 'https://example.invalid/a%20b' --instances-max 3 -o "$T/defs" >/dev/null
check "--instances-max 3; '%' in the URL doubled (Path= takes specifiers)" \
        bash -c "grep -qx InstancesMax=3 '$U' && grep -qx 'Path=https://example.invalid/a%%20b' '$U'"
expect_error_saying "a URL with a line break is refused" "" "--url" \
        "$KEEL" sysupdate definitions --name demo --url $'https://x/\nPath=/etc' -o "$T/defs"
expect_error_saying "a URL of another scheme is refused" "" "--url" \
        "$KEEL" sysupdate definitions --name demo --url ftp://x/ -o "$T/defs"
expect_error_saying "--instances-max 1 is refused (sysupdate wants 2 or more)" "" "--instances-max" \
        "$KEEL" sysupdate definitions --name demo --url file:///x --instances-max 1 -o "$T/defs"

# ---- systemd-sysupdate 257 ---------------------------------------------------
echo "# systemd-sysupdate 257 (Debian 13)"
suite=$root/scripts/debian-suite
chroot=$("$suite" "$BUILD" trixie chroot sysupdate systemd-container gpg 2>"$T/chroot.err" | tail -n 1)
if [ ! -x "$chroot/usr/lib/systemd/systemd-sysupdate" ]; then
        fail "the trixie tree with systemd-sysupdate (scripts/debian-suite): $(tail -n 1 "$T/chroot.err")"
        summary
        exit 1
fi
# The test's public key where systemd-pull 257 looks (--keyring=/etc/systemd/import-pubring.gpg).
mkdir "$T/etc-systemd"
gpg --homedir "$T/gpg-good" --export >"$T/etc-systemd/import-pubring.gpg"
# system NAME SOURCE: a root with version 1 booted (IMAGE_VERSION=1) and its
# UKI on the "ESP", and keel's UKI transfer from file:///keel-test/SOURCE.
system() {
        local sys=$T/$1
        mkdir -p "$sys/usr/lib" "$sys/efi/EFI/Linux"
        printf 'ID=keeltest\nIMAGE_ID=demo\nIMAGE_VERSION=1\n' >"$sys/usr/lib/os-release"
        cp "$T/src/demo_1.efi" "$sys/efi/EFI/Linux/demo_1.efi"
        "$KEEL" sysupdate definitions --name demo --url "file:///keel-test/$2" -o "$sys/usr/lib" >/dev/null
        rm "$sys/usr/lib/sysupdate.d/10-demo-root.transfer" "$sys/usr/lib/sysupdate.d/20-demo-verity.transfer"
}
# sysupdate NAME ARGS...: systemd-sysupdate --root=NAME in the trixie tree;
# $BOOT is NAME/efi (a directory, hence the relaxed ESP checks).
sysupdate() {
        local sys=$1
        shift
        "$suite" "$BUILD" trixie run "$chroot" --bind "$T:/keel-test" --bind "$T/etc-systemd:/etc/systemd" -- \
                env SYSTEMD_ESP_PATH=/efi SYSTEMD_RELAX_ESP_CHECKS=1 SYSTEMD_COLORS=0 \
                /usr/lib/systemd/systemd-sysupdate --root="/keel-test/$sys" --no-pager "$@"
}
esp() { (cd "$T/$1/efi/EFI/Linux" && ls -A | tr '\n' ' '); }

system sys src
sysupdate sys list >"$T/list" 2>&1
check "list: 2 available; 1 installed, available and current" \
        bash -c "grep -Eq ' 2 +✓ +candidate\$' '$T/list' && grep -Eq ' 1 +✓ +✓ +current\$' '$T/list'"
check "check-new: 2" test "$(sysupdate sys check-new 2>/dev/null)" = 2
sysupdate sys update >"$T/update" 2>&1
check "update installs demo_2+3.efi next to demo_1.efi" test "$(esp sys)" = "demo_1.efi demo_2+3.efi "
check "... byte for byte the published UKI" cmp -s "$T/src/demo_2.efi" "$T/sys/efi/EFI/Linux/demo_2+3.efi"
check "... read-only (Mode=0444)" test "$(stat -c %a "$T/sys/efi/EFI/Linux/demo_2+3.efi")" = 444
check "... after systemd-pull verified SHA256SUMS.gpg" grep -q "Signature verification succeeded" "$T/update"

refused() { # refused NAME SOURCE WHAT: sysupdate update from SOURCE fails, nothing lands
        local name=$1 src=$2 what=$3 rc=0
        system "$name" "$src"
        sysupdate "$name" update >"$T/$name.log" 2>&1 || rc=$?
        if [ $rc -ne 0 ] && [ "$(esp "$name")" = "demo_1.efi " ] && grep -q -- "$what" "$T/$name.log"; then
                pass "$name: refused ($(grep -m1 -- "$what" "$T/$name.log"))"
        else
                fail "$name: rc=$rc, ESP: $(esp "$name"), $(tail -n 3 "$T/$name.log" | tr '\n' ' ')"
        fi
}
cp -r "$T/src" "$T/src-unsigned" && rm "$T/src-unsigned/SHA256SUMS.gpg"
refused "unsigned SHA256SUMS" src-unsigned "Failed to retrieve signature file"
cp -r "$T/src" "$T/src-wrongkey"
gpg --homedir "$T/gpg-wrong" --batch --yes --detach-sign --output "$T/src-wrongkey/SHA256SUMS.gpg" "$T/src-wrongkey/SHA256SUMS"
refused "SHA256SUMS signed by another key" src-wrongkey "Signature verification failed"
cp -r "$T/src" "$T/src-tampered" && printf 'x' >>"$T/src-tampered/demo_2.efi"
refused "a UKI that does not match SHA256SUMS" src-tampered "file has been tampered with"

# InstancesMax=2 with 1 (booted: ProtectVersion=%A) and 2 installed, 3 offered.
publish "$T/src" 3 >/dev/null
sysupdate sys update >"$T/update3" 2>&1
check "InstancesMax=2: updating to 3 keeps the booted 1 and removes 2 (257's design: the protected version stays)" \
        test "$(esp sys)" = "demo_1.efi demo_3+3.efi "

# The partition transfers: 257 parses them and stops only at the target
# (a --root has no block device): partitions are the QEMU scenario's.
mkdir -p "$T/parts/usr/lib"
printf 'IMAGE_VERSION=1\n' >"$T/parts/usr/lib/os-release"
"$KEEL" sysupdate definitions --name demo --url file:///keel-test/src -o "$T/parts/usr/lib" >/dev/null
sysupdate parts --offline list >"$T/parts.log" 2>&1
check "partition transfers: 257 reads all three without a complaint, stops at the block device" \
        bash -c "! grep -q '\.transfer' '$T/parts.log' && grep -q 'Block device is not allowed' '$T/parts.log'"
sed -i 's/^MatchPartitionType=root-x86-64$/MatchPartitionType=root-x86-65/' "$T/parts/usr/lib/sysupdate.d/10-demo-root.transfer"
sysupdate parts --offline list >"$T/parts-bad.log" 2>&1
check "... (a wrong partition type is reported: the check above can fail)" grep -q '10-demo-root.transfer:.*partition type' "$T/parts-bad.log"

summary
