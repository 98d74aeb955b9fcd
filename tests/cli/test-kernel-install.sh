#!/bin/bash
# kernel-install/90-keel.install run by Debian 12's own kernel-install
# (systemd 252) against a directory ESP, and `make install`. Nothing of the
# host's /etc, /boot or /usr changes: kernel-install takes its settings from
# KERNEL_INSTALL_CONF_ROOT, BOOT_ROOT, MACHINE_ID and KERNEL_INSTALL_PLUGINS,
# the plugin from KEEL_INSTALL_CONF; the case for the default /etc paths runs
# in a private mount namespace with bind mounts over /etc/kernel and
# /etc/os-release. The UKIs are read back by objcopy (sections), bootctl
# (the Type #2 entry), sbverify (the signature).
# Usage: tests/cli/test-kernel-install.sh BUILD_DIR
set -u
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
source "$(dirname "$0")/lib.sh"
need_build "${1:-build}"
need_tools kernel-install bootctl sbverify objcopy objdump cpio openssl unshare chroot make
umask 022
SRC=$(cd "$(dirname "$0")/../.." && pwd)

KERNEL=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
[ -n "$KERNEL" ] || { echo "FAIL no /boot/vmlinuz-* (linux-image-amd64 is not installed)"; exit 1; }
KVER=${KERNEL#/boot/vmlinuz-}
MID=0123456789abcdef0123456789abcdef
TOK=keeltest
host_state() { find /etc/kernel /etc/os-release /boot /usr/lib/kernel -printf '%p %s %T@\n' 2>/dev/null | sort; }
HOST_BEFORE=$(host_state)
# check_eq NAME GOT WANT: one PASS/FAIL line, GOT and WANT shown when they differ.
check_eq() {
        if [ "$2" = "$3" ]; then pass "$1"; else fail "$1 (got: $2; want: $3)"; fi
}

# ---- make install: the binaries and the plugin the rest of the test uses ----
# -o: install what BUILD holds, never rebuild it here.
ROOT=$T/root
if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$SRC" BUILD="$BUILD" -o "$BUILD/keel" -o "$BUILD/keelx64.efi" -o "$BUILD/keelaa64.efi" install DESTDIR="$ROOT" PREFIX=/usr \
        >"$T/make.log" 2>&1; then
        pass "make install DESTDIR PREFIX=/usr"
else
        fail "make install DESTDIR PREFIX=/usr ($(tail -n 3 "$T/make.log"))"
fi
check "installed: bin/keel (the build's, executable)" \
        bash -c "cmp -s '$KEEL' '$ROOT/usr/bin/keel' && test -x '$ROOT/usr/bin/keel'"
check "installed: lib/keel/keelx64.efi (the build's)" cmp -s "$STUB" "$ROOT/usr/lib/keel/keelx64.efi"
check "installed: lib/keel/keelaa64.efi (the build's)" cmp -s "$BUILD/keelaa64.efi" "$ROOT/usr/lib/keel/keelaa64.efi"
check "installed: lib/kernel/install.d/90-keel.install (executable)" \
        bash -c "cmp -s '$SRC/kernel-install/90-keel.install' '$ROOT/usr/lib/kernel/install.d/90-keel.install' &&
                 test -x '$ROOT/usr/lib/kernel/install.d/90-keel.install'"
check "installed: share/keel/install.conf.example" \
        cmp -s "$SRC/kernel-install/install.conf.example" "$ROOT/usr/share/keel/install.conf.example"
check "installed: nothing else" test "$(find "$ROOT" -type f | wc -l)" -eq 5
PLUGIN=$ROOT/usr/lib/kernel/install.d/90-keel.install

# The installed keel finds the installed stub by itself (../lib/keel/).
echo x | cpio -o -H newc >"$T/initrd-a" 2>/dev/null
if "$ROOT/usr/bin/keel" uki build --linux "$KERNEL" --cmdline quiet -o "$T/nostub.efi" 2>"$T/stderr" &&
   "$KEEL" uki inspect "$T/nostub.efi" >/dev/null; then
        pass "installed keel: uki build without --stub finds lib/keel/keelx64.efi"
else
        fail "installed keel: uki build without --stub ($(cat "$T/stderr"))"
fi

# ---- the test's /etc/kernel, /etc/keel/install.conf, os-release, initrds ----
mkdir -p "$T/etc-kernel" "$T/tmp" "$T/stage"
printf 'layout=keel\n' >"$T/etc-kernel/install.conf"
printf 'root=LABEL=keelroot   ro\n\tconsole=ttyS0 @notafile\n' >"$T/etc-kernel/cmdline"
CMDLINE='root=LABEL=keelroot ro console=ttyS0 @notafile'
printf '%s\n' "$TOK" >"$T/etc-kernel/entry-token"
cat >"$T/os-release" <<'EOF'
NAME="Keel Test OS"
PRETTY_NAME="Keel Test OS 42 (plugin)"
ID=keeltestos
VERSION_ID=42
IMAGE_VERSION=should-be-replaced
EOF
head -c 1001 /dev/urandom >"$T/initrd-b"
# A plugin that runs before keel's and stages an initrd, as Debian's
# 85-initrd.install and dracut do.
cat >"$T/10-stage.install" <<EOF
#!/bin/sh
[ "\$1" = add ] && [ -e "$T/stage/on" ] && cp "$T/initrd-b" "\$KERNEL_INSTALL_STAGING_AREA/initrd-staged"
exit 0
EOF
chmod +x "$T/10-stage.install"
ESP=$T/esp
mkdir -p "$ESP"
LINUX=$ESP/EFI/Linux

quiet() { "$@" >/dev/null 2>&1; }
# conf KEY=VALUE...: the plugin's settings file.
conf() { printf '%s\n' "$@" >"$T/keel.conf"; }
# ki ARGS...: Debian's kernel-install with the test's settings, the installed
# keel first in PATH (the plugin finds it there, and the stub from it).
ki() {
        env PATH="$ROOT/usr/bin:$PATH" TMPDIR="$T/tmp" KERNEL_INSTALL_CONF_ROOT="$T/etc-kernel" BOOT_ROOT="$ESP" \
            MACHINE_ID="$MID" KEEL_INSTALL_CONF="$T/keel.conf" KERNEL_INSTALL_PLUGINS="$T/10-stage.install $PLUGIN" \
            kernel-install "$@"
}
# bash -c checks below call section and pad4 (lib.sh).
export T
export -f section pad4
files() { (cd "$LINUX" 2>/dev/null && ls -A | sort | tr '\n' ' '); }
# bootctl insists on a mount point: bind the ESP onto itself in a private
# mount namespace.
bootctl_list() {
        unshare --mount sh -c "mount --bind '$ESP' '$ESP' &&
                SYSTEMD_RELAX_ESP_CHECKS=1 bootctl --esp-path='$ESP' --no-pager list" 2>&1
}

# ---- add: name, sections, entry -----------------------------------------------
conf TRIES=3 "OS_RELEASE=$T/os-release"
touch "$T/stage/on"
run "kernel-install add (TRIES=3, an initrd given, one staged)" ki add "$KVER" "$KERNEL" "$T/initrd-a"
U=$LINUX/$TOK-$KVER+3.efi
check_eq "the UKI is EFI/Linux/$TOK-$KVER+3.efi, alone" "$(files)" "$TOK-$KVER+3.efi "
check ".cmdline: /etc/kernel/cmdline, whitespace folded" test "$(section "$U" .cmdline)" = "$CMDLINE"
{ grep -v '^IMAGE_VERSION=' "$T/os-release"; printf 'IMAGE_VERSION="%s"\n' "$KVER"; } >"$T/want-osrel"
check ".osrel: the os-release with IMAGE_VERSION=KVER" bash -c "cmp -s <(section '$U' .osrel) '$T/want-osrel'"
check ".uname: KVER" test "$(section "$U" .uname)" = "$KVER"
check ".linux: the kernel" bash -c "cmp -s <(section '$U' .linux) '$KERNEL'"
check ".initrd: the given initrd, then the staged one, each padded to 4" \
        bash -c "cmp -s <(section '$U' .initrd) <(pad4 '$T/initrd-a' '$T/initrd-b')"
check "keel uki inspect: the cmdline and the os-release" \
        bash -c "'$KEEL' uki inspect '$U' >'$T/inspect' && grep -qxF 'cmdline: $CMDLINE' '$T/inspect' &&
                 grep -qxF '  PRETTY_NAME=\"Keel Test OS 42 (plugin)\"' '$T/inspect'"
check "unsigned (no KEY in the settings)" bash -c "sbverify --list '$U' 2>&1 | grep -q 'No signature table present'"
bootctl_list >"$T/bootctl"
if grep -qxF "           id: $TOK-$KVER.efi" "$T/bootctl" &&
   grep -q '^        title: Keel Test OS 42 (plugin)' "$T/bootctl" &&
   grep -qxF "      version: $KVER" "$T/bootctl" && grep -qxF '        tries: 3 left' "$T/bootctl" &&
   grep -qxF "      options: $CMDLINE" "$T/bootctl"; then
        pass "bootctl list: the entry, title from os-release, version KVER, 3 tries left, the cmdline"
else
        fail "bootctl list: the entry, title from os-release, version KVER, 3 tries left, the cmdline"
        sed 's/^/    /' "$T/bootctl" | head -n 12
fi
check "no temporary left (ESP, TMPDIR)" test -z "$(ls -A "$T/tmp")"
rm -f "$T/stage/on"

# ---- re-add: one file, whatever the counter state -----------------------------
run "kernel-install add again" ki add "$KVER" "$KERNEL" "$T/initrd-a"
check_eq "re-add: still one file" "$(files)" "$TOK-$KVER+3.efi "
check "re-add: rebuilt (no staged initrd this time)" \
        bash -c "cmp -s <(section '$U' .initrd) <(pad4 '$T/initrd-a')"
mv "$U" "$LINUX/$TOK-$KVER+1-2.efi"
run "kernel-install add over +1-2" ki add "$KVER" "$KERNEL" "$T/initrd-a"
check_eq "re-add over +1-2: only +3" "$(files)" "$TOK-$KVER+3.efi "
conf TRIES=0 "OS_RELEASE=$T/os-release"
run "kernel-install add, TRIES=0" ki add "$KVER" "$KERNEL" "$T/initrd-a"
check_eq "TRIES=0: no counter, the +3 one gone" "$(files)" "$TOK-$KVER.efi "
conf "OS_RELEASE=$T/os-release"
printf '2\n' >"$T/etc-kernel/tries"
run "kernel-install add, no TRIES, kernel-install's tries file says 2" ki add "$KVER" "$KERNEL" "$T/initrd-a"
check_eq "tries file: +2, the uncounted one gone" "$(files)" "$TOK-$KVER+2.efi "
rm "$T/etc-kernel/tries"

# ---- layout: only keel and uki ------------------------------------------------
rm -rf "$LINUX"
printf 'layout=uki\n' >"$T/etc-kernel/install.conf"
run "layout=uki: kernel-install add" ki add "$KVER" "$KERNEL" "$T/initrd-a"
check_eq "layout=uki: the UKI" "$(files)" "$TOK-$KVER.efi "
for layout in bls other; do
        rm -rf "$LINUX"
        printf 'layout=%s\n' "$layout" >"$T/etc-kernel/install.conf"
        run "layout=$layout: kernel-install add succeeds" ki add "$KVER" "$KERNEL" "$T/initrd-a"
        check "layout=$layout: no UKI" test ! -e "$LINUX"
done
printf 'layout=keel\n' >"$T/etc-kernel/install.conf"
rm -rf "${ESP:?}"/*

# ---- verbose ----------------------------------------------------------------
ki add "$KVER" "$KERNEL" "$T/initrd-a" >"$T/out" 2>&1
check "without -v: silent" test ! -s "$T/out"
ki -v add "$KVER" "$KERNEL" "$T/initrd-a" >"$T/out" 2>&1
check "-v: says what it installs" grep -qxF "Installing $LINUX/$TOK-$KVER.efi" "$T/out"

# ---- no initrd given or staged: none in the UKI --------------------------------
# Only what kernel-install passes goes in: its INITRD arguments and the
# staging area's initrd* (kernel-install >= 251). Files that merely lie
# around -- /initrd.img and /initrd.img.old (Debian's links), an
# initramfs-KVER.img left in BOOT_ROOT or /boot -- may be another kernel's
# or stale. kernel-install runs in a fake root (a tmpfs in a private mount
# namespace: the host's /usr, /etc, /proc, /dev and /tmp bound in, a /boot with the kernel,
# plus its own /initrd.img, /initrd.img.old and /boot/initramfs-KVER.img),
# once as 252 runs plugins and once as systemd 250 did, without
# KERNEL_INSTALL_STAGING_AREA (a wrapper unsets it for the plugin).
cat >"$T/no-staging.install" <<EOF
#!/bin/sh
exec env -u KERNEL_INSTALL_STAGING_AREA '$PLUGIN' "\$@"
EOF
chmod +x "$T/no-staging.install"
head -c 2001 /dev/urandom >"$T/initrd-stray"
# ki_fake_root PLUGIN: kernel-install add KVER KERNEL (no initrd) in the fake root.
ki_fake_root() {
        local fake=$T/fakeroot rc=0
        mkdir -p "$fake"
        cp "$T/initrd-stray" "$ESP/initramfs-$KVER.img"
        unshare --mount sh -ec "
                mount -t tmpfs -o size=64m tmpfs '$fake'
                cd '$fake'
                for link in bin sbin lib lib32 lib64 libx32; do [ ! -L /\$link ] || cp -P /\$link .; done
                for dir in usr etc proc dev tmp; do mkdir \$dir; mount --rbind /\$dir \$dir; done
                mkdir boot
                cp '$KERNEL' boot/
                cp '$T/initrd-stray' initrd.img
                cp '$T/initrd-stray' initrd.img.old
                cp '$T/initrd-stray' 'boot/initramfs-$KVER.img'
                exec chroot . env PATH='$ROOT/usr/bin:$PATH' TMPDIR='$T/tmp' KERNEL_INSTALL_CONF_ROOT='$T/etc-kernel' \
                        BOOT_ROOT='$ESP' MACHINE_ID=$MID KEEL_INSTALL_CONF='$T/keel.conf' KERNEL_INSTALL_PLUGINS='$1' \
                        kernel-install add '$KVER' '$KERNEL'" || rc=$?
        rm -f "$ESP/initramfs-$KVER.img"
        return $rc
}
for variant in "252:$PLUGIN" "250, no staging area:$T/no-staging.install"; do
        rm -rf "$LINUX"
        if ki_fake_root "${variant#*:}" >"$T/out" 2>&1; then
                pass "kernel-install ${variant%%:*} add without an initrd, in a fake root with /initrd.img"
        else
                fail "kernel-install ${variant%%:*} add without an initrd, in a fake root ($(head -c 300 "$T/out"))"
        fi
        check "kernel-install ${variant%%:*}: no .initrd (not /initrd.img, /initrd.img.old or initramfs-KVER.img)" \
                bash -c "objdump -h '$LINUX/$TOK-$KVER.efi' >'$T/headers' && grep -q ' \.linux ' '$T/headers' &&
                         ! grep -q ' \.initrd ' '$T/headers'"
        check "kernel-install ${variant%%:*}: it says there is no initrd" grep -qF "warning: no initrd for $KVER" "$T/out"
done

# ---- entry token = machine ID: the cmdline carries it (as 90-loaderentry) ------
printf '%s\n' "$MID" >"$T/etc-kernel/entry-token"
run "kernel-install add, entry token = machine ID" ki add "$KVER" "$KERNEL" "$T/initrd-a"
check "systemd.machine_id= appended" \
        test "$(section "$LINUX/$MID-$KVER.efi" .cmdline)" = "$CMDLINE systemd.machine_id=$MID"
printf '%s\n' "$TOK" >"$T/etc-kernel/entry-token"
rm -rf "$LINUX"

# ---- signed, with a signed PCR 11 policy -----------------------------------
openssl req -new -x509 -newkey rsa:2048 -nodes -subj "/CN=keel kernel-install" -days 3650 \
        -keyout "$T/db.key" -out "$T/db.crt" 2>/dev/null
openssl req -new -x509 -newkey rsa:2048 -nodes -subj "/CN=other" -days 3650 \
        -keyout "$T/other.key" -out "$T/other.crt" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/pcr-private.pem" 2>/dev/null
openssl pkey -in "$T/pcr-private.pem" -pubout -out "$T/pcr-public.pem" 2>/dev/null
conf "# signed" "KEY='$T/db.key'" "CERT=\"$T/db.crt\"" "PCR_PRIVATE_KEY=$T/pcr-private.pem" \
     "PCR_PUBLIC_KEY=$T/pcr-public.pem" "PCR_BANKS='sha256 sha384'" "SIGN_INITRD_PCRS=yes" "  TRIES=3  " \
     "OS_RELEASE=$T/os-release"
run "kernel-install add, signed" ki add "$KVER" "$KERNEL" "$T/initrd-a"
U=$LINUX/$TOK-$KVER+3.efi
check "sbverify --cert accepts the UKI" quiet sbverify --cert "$T/db.crt" "$U"
check "sbverify --cert refuses it with another certificate" bash -c "! sbverify --cert '$T/other.crt' '$U' >/dev/null 2>&1"
check ".pcrpkey: the public key" bash -c "cmp -s <(section '$U' .pcrpkey) '$T/pcr-public.pem'"
check ".pcrsig: a signed policy (JSON with the sha256 bank)" bash -c "section '$U' .pcrsig | grep -q '\"sha256\"'"
check ".pcrsig: PCR_BANKS and SIGN_INITRD_PCRS = keel pcr sign --bank --sign-initrd-pcrs of the UKI" python3 -c '
import json, subprocess, sys, tempfile
with tempfile.NamedTemporaryFile() as f:  # objcopy renames onto its output: never name /dev/stdout
    subprocess.run(["objcopy", "-O", "binary", "--only-section=.pcrsig", sys.argv[1], f.name], check=True)
    sig = json.loads(open(f.name, "rb").read().rstrip(b"\0"))
want = json.loads(subprocess.run([sys.argv[2], "pcr", "sign", sys.argv[1], "--private-key", sys.argv[3], "--bank",
                                  "sha256,sha384", "--sign-initrd-pcrs"], capture_output=True, check=True).stdout)
sys.exit(not (sig == want and list(sig) == ["sha256", "sha384"] and sig["sha256"][-1]["ref"] == "initrd"))' \
        "$U" "$KEEL" "$T/pcr-private.pem"
cp "$U" "$T/good.efi"

# The signing key in a PKCS#11 token (SoftHSM2 in $T): the same UKI, byte for
# byte (RSA PKCS#1 v1.5 is deterministic), as with the key file.
MODULE=/usr/lib/softhsm/libsofthsm2.so
mkdir "$T/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$T/tokens" >"$T/softhsm2.conf"
printf '1234\n' >"$T/pin"
openssl pkcs8 -topk8 -nocrypt -in "$T/db.key" -out "$T/db.pk8"
if [ -e "$MODULE" ] && command -v softhsm2-util >/dev/null &&
   SOFTHSM2_CONF=$T/softhsm2.conf softhsm2-util --init-token --free --label keel-ki --pin 1234 --so-pin 5678 >/dev/null 2>&1 &&
   SOFTHSM2_CONF=$T/softhsm2.conf softhsm2-util --import "$T/db.pk8" --label db --id 01 --pin 1234 --token keel-ki >/dev/null 2>&1; then
        conf "KEY=pkcs11:token=keel-ki;object=db;type=private?pin-source=file:$T/pin&module-path=$MODULE" \
             "CERT=$T/db.crt" "PCR_PRIVATE_KEY=$T/pcr-private.pem" "PCR_PUBLIC_KEY=$T/pcr-public.pem" \
             "PCR_BANKS='sha256 sha384'" "SIGN_INITRD_PCRS=yes" TRIES=3 "OS_RELEASE=$T/os-release"
        export SOFTHSM2_CONF=$T/softhsm2.conf
        rm "$U"
        run "kernel-install add, KEY a PKCS#11 URI" ki add "$KVER" "$KERNEL" "$T/initrd-a"
        unset SOFTHSM2_CONF
        [ -e "$U" ] || cp "$T/good.efi" "$U"
        check "the same UKI as with the key file" cmp -s "$U" "$T/good.efi"
        check "sbverify --cert accepts it" quiet sbverify --cert "$T/db.crt" "$U"
else
        fail "a SoftHSM2 token with the key (softhsm2 is not installed: run scripts/install-deps)"
fi

# ---- failures: a message, non-zero, nothing half-written -----------------------
# fails_install NAME TEXT CONF-LINES...: add fails, stderr says TEXT, the ESP
# (the signed +3 UKI) and TMPDIR are as before.
fails_install() {
        local name=$1 text=$2 rc=0 before
        shift 2
        conf "$@"
        before=$(files)
        ki add "$KVER" "$KERNEL" "$T/initrd-a" >"$T/stdout" 2>"$T/stderr" || rc=$?
        if [ $rc -ne 0 ] && grep -qF -- "$text" "$T/stderr" && [ "$(files)" = "$before" ] &&
           cmp -s "$U" "$T/good.efi" && [ -z "$(ls -A "$T/tmp")" ]; then
                pass "$name ($(grep -F -- "$text" "$T/stderr" | head -n 1))"
        else
                fail "$name (rc=$rc, stderr: $(head -c 300 "$T/stderr"), files: $(files), tmp: $(ls -A "$T/tmp"))"
        fi
}
fails_install "missing key file: add fails, the old UKI stays, no temporary" "keel uki build failed" \
        "KEY=$T/missing.key" "CERT=$T/db.crt" TRIES=3 "OS_RELEASE=$T/os-release"
fails_install "missing key file, TRIES=5: no +5 file either" "keel uki build failed" \
        "KEY=$T/missing.key" "CERT=$T/db.crt" TRIES=5 "OS_RELEASE=$T/os-release"
fails_install "KEY without CERT" "KEY and CERT go together" "KEY=$T/db.key" TRIES=3
fails_install "a misspelt setting" "unknown setting 'TRIE'" TRIE=3
fails_install "not KEY=VALUE" "not KEY=VALUE" "TRIES 3"
fails_install "TRIES not a number" "is not a number" TRIES=three
fails_install "TRIES with a leading zero" "is not a number" TRIES=03
fails_install "a stub that does not exist" "does not exist" "STUB=$T/absent-stub.efi" TRIES=3
fails_install "a stub that is not a stub" "keel uki build failed" "STUB=$T/os-release" TRIES=3
fails_install "KEEL that is not executable" "is not an executable" "KEEL=$T/os-release" TRIES=3
fails_install "os-release missing" "is not a file" "OS_RELEASE=$T/none" TRIES=3
conf TRIES=3 "OS_RELEASE=$T/os-release"
rc=0
ki add "$KVER" "$KERNEL" "$T/initrd-a" "$T/no-such-initrd" >/dev/null 2>"$T/stderr" || rc=$?
check "an initrd that is not a file: fails, says so, ESP unchanged" \
        bash -c "[ $rc -ne 0 ] && grep -q 'no-such-initrd.*not a file' '$T/stderr' && cmp -s '$U' '$T/good.efi' &&
                 [ \"\$(cd '$LINUX' && ls -A)\" = '$TOK-$KVER+3.efi' ]"
rc=0
ki add "bad/version" "$KERNEL" "$T/initrd-a" >/dev/null 2>"$T/stderr" || rc=$?
check "a kernel version with '/': refused" bash -c "[ $rc -ne 0 ] && grep -q 'characters a UKI name cannot carry' '$T/stderr'"
check "failures left no temporary in TMPDIR" test -z "$(ls -A "$T/tmp")"

# ---- remove: exactly this kernel's UKIs ------------------------------------------
for f in "$TOK-$KVER.efi" "$TOK-$KVER+1-2.efi" "$TOK-$KVER+0.efi" "$TOK-9.9.9.efi" "$TOK-$KVER+.efi" \
         "$TOK-$KVER++3.efi" "$TOK-$KVER+x.efi" "$TOK-$KVER+1-2-3.efi" "$TOK-$KVER-rt.efi" "$TOK-$KVER+3.conf" \
         "other-$KVER.efi" "README.txt"; do
        [ -e "$LINUX/$f" ] || cp "$T/good.efi" "$LINUX/$f"
done
KEEP="$TOK-$KVER+.efi $TOK-$KVER++3.efi $TOK-$KVER+1-2-3.efi $TOK-$KVER+3.conf $TOK-$KVER+x.efi $TOK-$KVER-rt.efi $TOK-9.9.9.efi README.txt other-$KVER.efi"
want=$(printf '%s\n' $KEEP | sort | tr '\n' ' ')
run "kernel-install remove" ki remove "$KVER"
check_eq "remove: deletes TOK-KVER.efi, +3, +1-2, +0 and nothing else (not KVER+'s, not another token's)" \
        "$(files)" "$want"
run "kernel-install remove again (nothing to remove)" ki remove "$KVER"
check_eq "remove again: nothing else removed" "$(files)" "$want"
# The kernel "KVER+" (a dirty tree's version) is a kernel of its own.
run "kernel-install add KVER+ (another kernel)" ki add "$KVER+" "$KERNEL" "$T/initrd-a"
check_eq "add KVER+ leaves KVER's neighbours (TOK-KVER+.efi is its uncounted UKI: replaced)" \
        "$(files)" "$(printf '%s\n' $KEEP "$TOK-$KVER++3.efi" | grep -vxF "$TOK-$KVER+.efi" | sort -u | tr '\n' ' ')"
rm -rf "${ESP:?}"/*

# ---- the default paths: /etc/kernel/cmdline, /etc/kernel/install.conf,
# /etc/os-release (bind mounts in a private mount namespace) -------------------
mkdir -p "$T/etc-kernel2"
printf 'layout=keel\n' >"$T/etc-kernel2/install.conf"
printf 'root=LABEL=frometc quiet\n' >"$T/etc-kernel2/cmdline"
printf '%s\n' "$TOK" >"$T/etc-kernel2/entry-token"
printf 'NAME=Etc\nPRETTY_NAME="From /etc/os-release"\nID=etcos\n' >"$T/etc-os-release"
conf TRIES=1
if unshare --mount sh -c "mount --bind '$T/etc-kernel2' /etc/kernel && mount --bind '$T/etc-os-release' /etc/os-release &&
        env PATH='$ROOT/usr/bin:$PATH' TMPDIR='$T/tmp' BOOT_ROOT='$ESP' MACHINE_ID=$MID KEEL_INSTALL_CONF='$T/keel.conf' \
            KERNEL_INSTALL_PLUGINS='$PLUGIN' kernel-install add '$KVER' '$KERNEL' '$T/initrd-a'" >"$T/out" 2>&1; then
        pass "kernel-install add with /etc/kernel and /etc/os-release bound over"
else
        fail "kernel-install add with /etc/kernel and /etc/os-release bound over ($(head -c 300 "$T/out"))"
fi
U=$LINUX/$TOK-$KVER+1.efi
check "/etc/kernel/cmdline used" test "$(section "$U" .cmdline)" = "root=LABEL=frometc quiet"
check "/etc/os-release used" bash -c "section '$U' .osrel | grep -qxF 'PRETTY_NAME=\"From /etc/os-release\"'"

# No cmdline in /etc/kernel or /usr/lib/kernel: /proc/cmdline without the
# words its boot loader added (a file bound over /proc/cmdline).
rm -rf "$LINUX"
mkdir -p "$T/etc-kernel3" "$T/usr-lib-kernel"
cp "$T/etc-kernel2/install.conf" "$T/etc-kernel2/entry-token" "$T/etc-kernel3/"
printf 'BOOT_IMAGE=/vmlinuz-%s root=UUID=1234  ro initrd=\\initrd.img quiet BOOT_IMAGE_X=1\n' "$KVER" >"$T/proc-cmdline"
if unshare --mount sh -c "mount --bind '$T/etc-kernel3' /etc/kernel && mount --bind '$T/usr-lib-kernel' /usr/lib/kernel &&
        mount --bind '$T/proc-cmdline' /proc/cmdline &&
        env PATH='$ROOT/usr/bin:$PATH' TMPDIR='$T/tmp' BOOT_ROOT='$ESP' MACHINE_ID=$MID KEEL_INSTALL_CONF='$T/keel.conf' \
            KERNEL_INSTALL_PLUGINS='$PLUGIN' kernel-install add '$KVER' '$KERNEL' '$T/initrd-a'" >"$T/out" 2>&1; then
        pass "kernel-install add with no cmdline file (/proc/cmdline bound over)"
else
        fail "kernel-install add with no cmdline file (/proc/cmdline bound over) ($(head -c 300 "$T/out"))"
fi
check_eq "/proc/cmdline without BOOT_IMAGE= and initrd=" "$(section "$LINUX/$TOK-$KVER+1.efi" .cmdline)" \
        "root=UUID=1234 ro quiet BOOT_IMAGE_X=1"
check "the host's /etc/kernel, /etc/os-release, /boot, /usr/lib/kernel are untouched" test "$(host_state)" = "$HOST_BEFORE"

summary
