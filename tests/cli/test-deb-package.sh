#!/bin/bash
# The Debian package (debian/): dpkg-buildpackage -us -uc builds it from a
# copy of the source tree, lintian finds no error in it, and installed into
# a Debian 13 (trixie) tree it turns the installation of trixie's own kernel
# package (dpkg -i linux-image-*.deb: its postinst runs /etc/kernel/postinst.d,
# update-initramfs, /etc/initramfs/post-update.d) into a keel UKI on the ESP
# at \EFI\Linux\MACHINE-ID-KVER.efi: the host's keel reads it back, its
# .linux is the package's kernel and its .initrd the initramfs
# update-initramfs wrote, trixie's bootctl lists it; a later
# update-initramfs rebuilds it; removing the kernel package removes it and
# only it. fwupd: the README's step (dpkg-divert, keel sign) puts a
# db-signed fwupdx64.efi.signed where trixie's fwupd 2.0 looks for it, and
# it stays there when Debian's signed package is installed again.
#
# The package is built once per source tree (BUILD/deb/KEY/, KEY: the
# tree's contents and the build tools' versions); the trixie tree
# (systemd's kernel-install, initramfs-tools) is a cached mmdebstrap chroot
# (scripts/debian-suite), used through an overlay so that it stays clean.
# Usage: tests/cli/test-deb-package.sh BUILD_DIR
set -u
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
source "$(dirname "$0")/lib.sh"
need_build "${1:-build}"
need_tools dpkg-buildpackage dh lintian mmdebstrap objcopy unshare tar man openssl sbverify strings
umask 022
SRC=$(cd "$(dirname "$0")/../.." && pwd)
SUITE="$SRC/scripts/debian-suite"
MID=0123456789abcdef0123456789abcdef

# ---- dpkg-buildpackage, from a copy (its outputs go into the parent directory) ----
# The tree as git sees it (tracked and untracked files, not ignored ones such
# as build/), else everything but the build directories.
mkdir -p "$T/src/keel"
if git -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        (cd "$SRC" && git ls-files -z -co --exclude-standard | tar -cf - --ignore-failed-read --null -T -) | tar -xf - -C "$T/src/keel"
else
        tar -cf - -C "$SRC" --exclude=./build --exclude='./build-*' . | tar -xf - -C "$T/src/keel"
fi
# gnu-efi:arm64 as `make` unpacked it: the package then carries keelaa64.efi
# (debian/rules never downloads it).
ARM64_GNU_EFI=
[ -d "$BUILD/arm64/gnu-efi/usr/include/efi" ] && ARM64_GNU_EFI=$(readlink -f "$BUILD/arm64/gnu-efi")
KEY=$( { tar -cf - -C "$T/src/keel" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner . | sha256sum
         dpkg-query -W debhelper dpkg-dev gcc gnu-efi libssl-dev libjson-c-dev lintian
         echo "${ARM64_GNU_EFI##*/}"; } | sha256sum | cut -c1-16)
VERSION=$(cd "$T/src/keel" && dpkg-parsechangelog -S Version)
OUT=$BUILD/deb/$KEY
DEB=$OUT/keel_${VERSION}_amd64.deb
if [ -f "$OUT/.done" ]; then
        pass "dpkg-buildpackage -us -uc (cached: $OUT)"
else
        rm -rf "$OUT" "$OUT.tmp"
        mkdir -p "$OUT.tmp"
        mv "$T/src/keel" "$OUT.tmp/keel"
        if (cd "$OUT.tmp/keel" && env ${ARM64_GNU_EFI:+KEEL_ARM64_GNU_EFI="$ARM64_GNU_EFI"} \
                dpkg-buildpackage -us -uc -j2) >"$OUT.tmp/build.log" 2>&1; then
                # lintian once per package: the result is kept with it.
                lintian --fail-on error --pedantic "$OUT.tmp/keel_${VERSION}_amd64.changes" >"$OUT.tmp/lintian.log" 2>&1
                echo $? >"$OUT.tmp/lintian.rc"
                rm -rf "$OUT.tmp/keel"
                mv "$OUT.tmp" "$OUT"
                touch "$OUT/.done"
                # Packages of older trees are of no further use.
                find "$BUILD/deb" -mindepth 1 -maxdepth 1 ! -name "$KEY" -exec rm -rf {} +
                pass "dpkg-buildpackage -us -uc"
        else
                fail "dpkg-buildpackage -us -uc ($OUT.tmp/build.log)"
                tail -n 20 "$OUT.tmp/build.log" | sed 's/^/    /'
                summary
                exit
        fi
fi
check "the .dsc, the source tarball and the .changes are there" \
        test -f "$OUT/keel_$VERSION.dsc" -a -f "$OUT/keel_$VERSION.tar.xz" -a -f "$OUT/keel_${VERSION}_amd64.changes"
warnings=$(grep -c '^W: ' "$OUT/lintian.log")
if [ "$(cat "$OUT/lintian.rc")" = 0 ] && ! grep -q '^E: ' "$OUT/lintian.log"; then
        pass "lintian --pedantic: no errors ($warnings warnings)"
else
        fail "lintian: errors"
fi
grep -E '^(E|W): ' "$OUT/lintian.log" | head -n 20 | sed 's/^/    /'

# ---- what the package holds ----------------------------------------------
mkdir -p "$T/deb"
dpkg-deb -x "$DEB" "$T/deb"
for f in usr/bin/keel usr/lib/keel/keelx64.efi usr/lib/kernel/install.d/90-keel.install \
         etc/kernel/postinst.d/zz-keel etc/kernel/postrm.d/zz-keel etc/initramfs/post-update.d/keel \
         usr/share/man/man1/keel.1.gz usr/share/keel/install.conf.example usr/share/doc/keel/README.md.gz \
         usr/share/doc/keel/copyright; do
        check "package: /$f" test -f "$T/deb/$f"
done
if [ -n "$ARM64_GNU_EFI" ]; then
        check "package: /usr/lib/keel/keelaa64.efi (gnu-efi:arm64 from $BUILD/arm64), an arm64 PE image" \
                bash -c "aarch64-linux-gnu-objdump -f '$T/deb/usr/lib/keel/keelaa64.efi' | grep -q 'pei-aarch64-little'"
fi
check "package: the plugin and the hooks are executable" test -x "$T/deb/usr/lib/kernel/install.d/90-keel.install" \
        -a -x "$T/deb/etc/kernel/postinst.d/zz-keel" -a -x "$T/deb/etc/initramfs/post-update.d/keel"
check "package: /usr/bin/keel runs (--version: $VERSION)" test "$("$T/deb/usr/bin/keel" --version)" = "keel $VERSION"
# Every command has its section in keel(1), and man renders it without a warning.
man --warnings -l "$T/deb/usr/share/man/man1/keel.1.gz" >"$T/man.txt" 2>"$T/man.err"
missing=$("$KEEL" --help | sed -n 's/^  \([a-z-]\{1,\}\( [a-z-]\{1,\}\)\{0,1\}\)  .*/\1/p' |
        while read -r cmd; do grep -qx "   keel $cmd" "$T/man.txt" || echo "$cmd"; done)
check "keel(1): a section per command of keel --help${missing:+ (missing: $missing)}" test -z "$missing"
check "keel(1): man renders it without warnings" test ! -s "$T/man.err"
check "keel(1): keel uki build's options" grep -q -- '--pcr-private-key KEY.pem' "$T/man.txt"

# ---- Debian 13: apt's kernel package makes a keel UKI -----------------------
CHROOT=$("$SUITE" "$BUILD" trixie chroot keel-deb systemd libjson-c5 initramfs-tools kmod linux-base zstd) ||
        { fail "the trixie tree (mmdebstrap)"; summary; exit; }
KPKG=$("$SUITE" "$BUILD" trixie cache show --no-all-versions linux-image-amd64 |
        sed -n 's/^Depends:.*\(linux-image-[0-9][^ ,]*\).*/\1/p' | head -n 1)
KDEB=$("$SUITE" "$BUILD" trixie download "$KPKG") || { fail "apt-get download $KPKG (trixie)"; summary; exit; }
KVER=${KPKG#linux-image-}
mkdir -p "$T/upper" "$T/work" "$T/root" "$T/esp/EFI/Linux" "$T/debs"
ln "$DEB" "$T/debs/keel.deb" 2>/dev/null || cp "$DEB" "$T/debs/keel.deb"
ln "$KDEB" "$T/debs/linux-image.deb" 2>/dev/null || cp "$KDEB" "$T/debs/linux-image.deb"
ESP=$T/esp
LINUX=$ESP/EFI/Linux
UKI=$LINUX/$MID-$KVER.efi
UPPER=$T/upper
# Another kernel's UKI that keel did not write: it must stay.
printf 'not keel' >"$LINUX/other-1.0.efi"

# in_trixie CMD...: CMD in the trixie tree (an overlay: changes go to
# $T/upper), the ESP at /boot/efi, the packages at /debs.
in_trixie() {
        unshare --mount --fork bash -c '
                mount -t overlay overlay -o "lowerdir=$1,upperdir=$2,workdir=$3" "$4" || exit 1
                suite=$5 build=$6 esp=$7 debs=$8 root=$4
                shift 8
                exec "$suite" "$build" trixie run "$root" --bind "$esp:/boot/efi" --bind "$debs:/debs" -- "$@"' \
                bash "$CHROOT" "$UPPER" "$T/work" "$T/root" "$SUITE" "$BUILD" "$ESP" "$T/debs" "$@"
}
# trixie_conf LAYOUT: kernel-install's settings (the ESP is a plain
# directory here, so BOOT_ROOT is named: on a real system kernel-install
# finds the ESP at /efi, /boot or /boot/efi by itself).
trixie_conf() {
        in_trixie sh -c "printf 'layout=$1\nBOOT_ROOT=/boot/efi\n' >/etc/kernel/install.conf"
}

run "trixie: dpkg -i keel.deb" in_trixie dpkg -i /debs/keel.deb
# A small initramfs (no modules) keeps update-initramfs quick; its hook adds a
# file whose contents change with each run, so every initramfs differs.
run "trixie: the machine's settings (machine ID, /etc/kernel/cmdline, initramfs-tools)" in_trixie sh -ec "
        echo $MID >/etc/machine-id
        printf 'root=LABEL=keelroot ro\tquiet\n' >/etc/kernel/cmdline
        printf 'MODULES=list\n' >/etc/initramfs-tools/conf.d/keel-test
        printf '#!/bin/sh\n[ \"\$1\" = prereqs ] && exit 0\nhead -c 64 /dev/urandom >\"\$DESTDIR/keel-test-nonce\"\n' \
                >/etc/initramfs-tools/hooks/keel-test
        chmod +x /etc/initramfs-tools/hooks/keel-test"
run "trixie: layout=keel in /etc/kernel/install.conf" trixie_conf keel
# --force-unsafe-io: no fsync per unpacked file (the modules are thousands);
# the maintainer scripts run as they do under apt.
run "trixie: dpkg -i $KPKG (its postinst runs the kernel hooks)" in_trixie dpkg --force-unsafe-io -i /debs/linux-image.deb
KERNEL=$UPPER/boot/vmlinuz-$KVER
INITRD=$UPPER/boot/initrd.img-$KVER
export T
export -f section
check "the ESP: EFI/Linux/$MID-$KVER.efi beside the other UKI, nothing else" \
        test "$(cd "$LINUX" && ls -A | sort | tr '\n' ' ')" = "$MID-$KVER.efi other-1.0.efi "
check "keel uki inspect (the host's keel) reads it" bash -c "'$KEEL' uki inspect '$UKI' >'$T/inspect'"
check ".linux: the package's /boot/vmlinuz-$KVER" bash -c "cmp -s <(section '$UKI' .linux) '$KERNEL'"
check ".initrd: the /boot/initrd.img-$KVER update-initramfs wrote" bash -c "cmp -s <(section '$UKI' .initrd) '$INITRD'"
# The entry token is the machine ID: the command line names it too (as
# systemd's 90-loaderentry.install does).
check ".cmdline: /etc/kernel/cmdline and systemd.machine_id" \
        test "$(section "$UKI" .cmdline)" = "root=LABEL=keelroot ro quiet systemd.machine_id=$MID"
check ".uname: $KVER" test "$(section "$UKI" .uname)" = "$KVER"
check ".osrel: trixie's os-release, IMAGE_VERSION=$KVER" bash -c "section '$UKI' .osrel >'$T/osrel' &&
        grep -qx 'VERSION_CODENAME=trixie' '$T/osrel' && grep -qxF 'IMAGE_VERSION=\"$KVER\"' '$T/osrel'"
TOOLS=$("$SUITE" "$BUILD" trixie tools)
if "$SUITE" "$BUILD" trixie run "$TOOLS" --bind "$ESP:/esp" -- \
        env SYSTEMD_RELAX_ESP_CHECKS=1 bootctl --esp-path=/esp --no-pager list >"$T/bootctl" 2>&1 &&
   grep -qxF "           id: $MID-$KVER.efi" "$T/bootctl" && grep -qxF "      version: $KVER" "$T/bootctl" &&
   grep -q '^        title: Debian GNU/Linux 13 (trixie)' "$T/bootctl"; then
        pass "bootctl list (trixie): the Type #2 entry, version $KVER"
else
        fail "bootctl list (trixie): the Type #2 entry"
        head -n 20 "$T/bootctl" | sed 's/^/    /'
fi

# update-initramfs (as a package's trigger runs it): the UKI follows.
cp "$INITRD" "$T/initrd-before"
run "trixie: update-initramfs -u -k $KVER" in_trixie update-initramfs -u -k "$KVER"
check "update-initramfs wrote a new initramfs" bash -c "! cmp -s '$T/initrd-before' '$INITRD'"
check "post-update.d: the UKI's .initrd is the new one" bash -c "cmp -s <(section '$UKI' .initrd) '$INITRD'"

# Without layout=keel the hooks leave the ESP alone.
mv "$UKI" "$T/uki-saved"
trixie_conf bls
run "trixie: layout=bls: the postinst.d hook succeeds" in_trixie /etc/kernel/postinst.d/zz-keel "$KVER" "/boot/vmlinuz-$KVER"
check "layout=bls: no UKI" test ! -e "$UKI"
mv "$T/uki-saved" "$UKI"
trixie_conf keel

run "trixie: dpkg -r $KPKG (its postrm runs the kernel hooks)" in_trixie dpkg -r "$KPKG"
check "removed: the kernel's UKI is gone, the other UKI stays" \
        test "$(cd "$LINUX" && ls -A | tr '\n' ' ')" = "other-1.0.efi "

# ---- fwupd: its EFI helper signed with the machine's db key -------------------
# fwupd 2.x takes the helper from its compile-time EFI_APP_LOCATION only (2.1
# dropped FWUPD_EFIAPPDIR), as NAME.efi.signed under Secure Boot: trixie's
# fwupd names /usr/libexec/fwupd/efi and "%s.signed", where Debian's
# fwupd-amd64-signed puts its own (shim-chain) signature. The README's step
# diverts that file and writes keel's signature of fwupd-unsigned's helper there.
FWUPD=$("$SUITE" "$BUILD" trixie unpack fwupd) &&
FWUPD_DEBS=$("$SUITE" "$BUILD" trixie download fwupd-unsigned fwupd-amd64-signed) ||
        { fail "apt-get download fwupd, fwupd-unsigned, fwupd-amd64-signed (trixie)"; summary; exit; }
EFIAPPDIR=/usr/libexec/fwupd/efi
check "trixie's fwupd $(basename "$FWUPD" | cut -d_ -f2) looks for NAME.signed in $EFIAPPDIR" bash -c "
        cat '$FWUPD'/usr/lib/*/fwupd-*/libfwupdplugin.so '$FWUPD'/usr/lib/*/fwupd-*/libfwupdengine.so |
                strings >'$T/fwupd-strings' &&
        grep -qxF '$EFIAPPDIR' '$T/fwupd-strings' && grep -qxF '%s.signed' '$T/fwupd-strings'"
cp $FWUPD_DEBS "$T/debs/"
openssl req -new -x509 -newkey rsa:2048 -nodes -subj "/CN=keel fwupd db" -days 3650 \
        -keyout "$T/debs/db.key" -out "$T/debs/db.crt" 2>/dev/null
openssl req -new -x509 -newkey rsa:2048 -nodes -subj "/CN=other" -days 3650 \
        -keyout "$T/other.key" -out "$T/other.crt" 2>/dev/null
run "trixie: dpkg -i fwupd-unsigned fwupd-amd64-signed" in_trixie sh -c 'dpkg -i /debs/fwupd-*.deb'
cp "$UPPER$EFIAPPDIR/fwupdx64.efi.signed" "$T/debian-signed.efi"
run "trixie: dpkg-divert Debian's fwupdx64.efi.signed, keel sign fwupdx64.efi into its place" in_trixie sh -ec "
        dpkg-divert --local --rename --divert $EFIAPPDIR/fwupdx64.efi.signed.debian --add $EFIAPPDIR/fwupdx64.efi.signed
        keel sign --key /debs/db.key --cert /debs/db.crt -o $EFIAPPDIR/fwupdx64.efi.signed $EFIAPPDIR/fwupdx64.efi"
SIGNED=$UPPER$EFIAPPDIR/fwupdx64.efi.signed
check "fwupdx64.efi.signed: sbverify accepts it with the db certificate" \
        bash -c "sbverify --cert '$T/debs/db.crt' '$SIGNED' >/dev/null 2>&1"
check "fwupdx64.efi.signed: not with another certificate" bash -c "! sbverify --cert '$T/other.crt' '$SIGNED' >/dev/null 2>&1"
check "Debian's signed helper kept as fwupdx64.efi.signed.debian" cmp -s "$T/debian-signed.efi" "$SIGNED.debian"
cp "$SIGNED" "$T/keel-signed.efi"
run "trixie: fwupd-amd64-signed installed again (as an upgrade)" in_trixie sh -c 'dpkg -i /debs/fwupd-amd64-signed_*.deb'
check "after the upgrade: keel's signed helper in place, Debian's beside it" \
        bash -c "cmp -s '$T/keel-signed.efi' '$SIGNED' && cmp -s '$T/debian-signed.efi' '$SIGNED.debian'"
summary
