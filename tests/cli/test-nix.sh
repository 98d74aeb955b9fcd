#!/bin/bash
# NixOS integration (nix/, flake.nix) with the Debian nix-bin tools and the
# real /nix/store, without nixpkgs (it cannot be had offline):
# - every .nix file parses, and a broken one does not;
# - nix/lib.nix (the module's pure parts: loader.conf rendering, the
#   `keel install` arguments, the install hook) evaluates to what is
#   written here by hand, and refuses bad settings;
# - the install hook, run against a scratch profile and a recording fake
#   keel, passes the right generations, --booted and loader.conf default;
# - three generations built in the store (tests/nix/generation.nix: real
#   kernel, initrd, boot.json), put in a profile by nix-env, installed by
#   `keel install` and by the hook onto a tmpfs ESP: bootctl 252 lists them
#   newest first with their labels, the kernel and initrd on the ESP are the
#   store's bytes (sha256sum, cmp), GC follows nix-env --delete-generations;
# - the module and the package for x86_64-linux and aarch64-linux
#   (keelx64.efi/keelaa64.efi, other platforms refused), and the module's hook
#   for each run with the real keel: BOOTX64.EFI/BOOTAA64.EFI on the ESP.
# Nix runs single-user as root (no daemon): see nix_env below.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
need_build "${1:-}"
need_tools nix-instantiate nix-build nix-env nix-store bootctl cpio python3 findmnt sha256sum objcopy mount unshare \
        make aarch64-linux-gnu-gcc od
AA_STUB=$BUILD/keelaa64.efi
[ -f "$AA_STUB" ] || { echo "FAIL $AA_STUB does not exist (run 'make all')"; exit 1; }

T=$(mktemp -d /tmp/keel-test-nix.XXXXXX)
cleanup() {
        for m in "$T/esp" "$T/esp2" "$T/mesp-x86_64-linux" "$T/mesp-aarch64-linux"; do
                mountpoint -q "$m" 2>/dev/null && umount "$m"
        done
        rm -rf "$T"
}
trap cleanup EXIT

# Single-user Nix on the real store (root owns it, nix creates /nix on a
# fresh machine): no daemon, no build users (the nixbld group does not
# exist), no sandbox (the builders are the host's /bin/sh and coreutils, and
# a sandbox would hide them), no binary cache (offline), no channels.
export NIX_CONFIG='substituters =
build-users-group =
sandbox = false
require-sigs = false'
export NIX_PATH=
export KEEL_CACHE_DIR=$T   # keel install's digest cache: not the host's /var/cache/keel
unset NIX_REMOTE

# A Nix string as its text: nix-instantiate --eval --json, decoded.
nix_text() {
        nix-instantiate --eval --strict --json -E "$1" | python3 -c 'import json, sys; sys.stdout.write(json.load(sys.stdin))'
}
# A Nix value as one line of JSON.
nix_json() {
        nix-instantiate --eval --strict --json -E "$1"
}
lib="(import $root/nix/lib.nix)"

# ---- every .nix file parses ------------------------------------------------

mapfile -t nix_files < <(cd "$root" && find . \( -path './build*' -o -path './.git' \) -prune -o -name '*.nix' -print | sort)
check "found the .nix files (${#nix_files[@]}: ${nix_files[*]})" test "${#nix_files[@]}" -ge 6
for f in "${nix_files[@]}"; do
        run "parses: $f" nix-instantiate --parse "$root/$f"
done
# The check can fail: module.nix without its last brace does not parse.
head -c -2 "$root/nix/module.nix" >"$T/broken.nix"
check "a broken module.nix does not parse" bash -c "! nix-instantiate --parse '$T/broken.nix' >/dev/null 2>&1"
check "nothing in nix/ copies a key into the store by path literal" \
        bash -c "! grep -nE '(privateKeyFile|certificateFile|pcrPrivateKeyFile)[[:space:]]*=[[:space:]]*\\./' '$root'/nix/*.nix"

# ---- nix/lib.nix: loader.conf ---------------------------------------------

got=$(nix_text "$lib.renderLoaderConf { timeout = 5; editor = false; console-mode = \"max\";
        default = \"nixos-*\"; keel-watchdog-sec = 0; auto-entries = true; beep = null; }")
want='auto-entries yes
console-mode max
default nixos-*
editor no
keel-watchdog-sec 0
timeout 5'
check "renderLoaderConf: sorted keys, yes/no, null left out" test "$got" = "$want"
check "renderLoaderConf: {} is empty" test "$(nix_text "$lib.renderLoaderConf { }")" = ""

# keel's own loader.conf parser takes the rendering without a warning; the
# same check warns on a line it does not know (so it can fail).
mkdir -p "$T/confesp/loader"
printf '%s\n' "$got" >"$T/confesp/loader/loader.conf"
"$KEEL" entries --esp "$T/confesp" >/dev/null 2>"$T/conf.err"
check "keel reads the rendered loader.conf without a warning ($(head -c 200 "$T/conf.err"))" test ! -s "$T/conf.err"
printf 'editor perhaps\n' >>"$T/confesp/loader/loader.conf"
"$KEEL" entries --esp "$T/confesp" >/dev/null 2>"$T/conf.err"
check "keel warns about a value it does not take (control)" grep -q warning "$T/conf.err"

for bad in '{ Timeout = 5; }' '{ "time out" = 5; }' '{ "-x" = 1; }' '{ default = "a\nb"; }' '{ default = "a\rb"; }' \
           '{ default = ""; }' '{ default = " x"; }' '{ timeout = -1; }' '{ timeout = 1.5; }' '{ timeout = [ 1 ]; }' \
           '{ timeout = { }; }'; do
        check "renderLoaderConf refuses $bad" bash -c "! nix-instantiate --eval --strict -E '$lib.renderLoaderConf $bad' >/dev/null 2>&1"
done

# ---- nix/lib.nix: keel install arguments ----------------------------------

got=$(nix_json "$lib.installArgs { esp = \"/boot\"; canTouchEfiVariables = false; }")
check "installArgs, canTouchEfiVariables false: $got" test "$got" = \
        '["--esp","/boot","--configuration-limit","0","--layout","thin","--sort-key","nixos","--no-boot-entry"]'
got=$(nix_json "$lib.installArgs { esp = \"/boot\"; }")
check "installArgs, defaults: $got" test "$got" = \
        '["--esp","/boot","--configuration-limit","0","--layout","thin","--sort-key","nixos"]'
got=$(nix_json "$lib.installArgs { esp = \"/efi\"; xbootldr = \"/boot\"; configurationLimit = 7; tries = 3;
        privateKeyFile = \"pkcs11:token=keel;object=db\"; certificateFile = \"/etc/keel/db.crt\";
        pcrPrivateKeyFile = \"/etc/keel/pcr.pem\"; pcrPublicKeyFile = \"/etc/keel/pcr.pub\";
        pcrBanks = [ \"sha256\" \"sha384\" ]; signInitrdPcrs = true;
        layout = \"fat\"; sortKey = \"os\"; stub = \"/s.efi\"; }")
check "installArgs, every option: $got" test "$got" = \
        '["--esp","/efi","--xbootldr","/boot","--configuration-limit","7","--tries","3","--key","pkcs11:token=keel;object=db","--cert","/etc/keel/db.crt","--pcr-private-key","/etc/keel/pcr.pem","--pcrpkey","/etc/keel/pcr.pub","--pcr-banks","sha256,sha384","--sign-initrd-pcrs","--layout","fat","--sort-key","os","--stub","/s.efi"]'
got=$(nix_json "$lib.installArgs { esp = \"/boot\"; extraFiles = { \"efi/tools/shellx64.efi\" = \"/nix/store/s/shell.efi\";
        \"efi/memtest86/memtest.efi\" = \"/nix/store/m/memtest.efi\"; }; extraEntries = { \"memtest86.conf\" = \"/nix/store/e-memtest86.conf\"; }; }")
check "installArgs, extraFiles and extraEntries in name order: $got" test "$got" = \
        '["--esp","/boot","--configuration-limit","0","--layout","thin","--sort-key","nixos","--extra-file","efi/memtest86/memtest.efi=/nix/store/m/memtest.efi","--extra-file","efi/tools/shellx64.efi=/nix/store/s/shell.efi","--extra-entry","memtest86.conf=/nix/store/e-memtest86.conf"]'
got=$(nix_json "$lib.installArgs { esp = \"/boot\"; keysDirectory = \"/var/lib/keel/keys\"; createKeys = true; enrollKeys = true; }")
check "installArgs, keysDirectory, createKeys, enrollKeys: $got" test "$got" = \
        '["--esp","/boot","--configuration-limit","0","--keys-dir","/var/lib/keel/keys","--create-keys","--enroll-keys","--layout","thin","--sort-key","nixos"]'
got=$(nix_json "$lib.installArgs { esp = \"/boot\"; keysDirectory = \"/k\"; enrollKeys = true; enrollDbCertificates = [ \"/a.crt\" \"/b.der\" ]; }")
check "installArgs, enrollDbCertificates: $got" test "$got" = \
        '["--esp","/boot","--configuration-limit","0","--keys-dir","/k","--enroll-keys","--enroll-db-cert","/a.crt","--enroll-db-cert","/b.der","--layout","thin","--sort-key","nixos"]'
for bad in '{ esp = "/b"; layout = "slim"; }' '{ esp = "/b"; privateKeyFile = "/k"; }' \
           '{ esp = "/b"; createKeys = true; }' '{ esp = "/b"; enrollKeys = true; }' \
           '{ esp = "/b"; keysDirectory = "/d"; enrollDbCertificates = [ "/m.crt" ]; }' \
           '{ esp = "/b"; keysDirectory = "/d"; privateKeyFile = "/k"; certificateFile = "/c"; }' \
           '{ esp = "/b"; extraFiles = { "a=b" = "/s"; }; }' '{ esp = "/b"; extraEntries = { "" = "/s"; }; }' \
           '{ esp = "/b"; certificateFile = "/c"; }' '{ esp = "/b"; pcrPublicKeyFile = "/p"; }' '{ }' \
           '{ esp = "/b"; signInitrdPcrs = true; }' '{ esp = "/b"; pcrBanks = [ "sha256" ]; }' \
           '{ esp = "/b"; pcrPrivateKeyFile = "/p"; pcrBanks = [ "md5" ]; }' \
           '{ esp = "/b"; pcrPrivateKeyFile = "/p"; pcrBanks = [ ]; }'; do
        check "installArgs refuses $bad" bash -c "! nix-instantiate --eval --strict -E '$lib.installArgs $bad' >/dev/null 2>&1"
done
check "shellQuote: a quote survives sh" test "$(sh -c "printf %s $(nix_text "$lib.shellQuote \"it's \\\$x\"")")" = "it's \$x"

# ---- nix/module.nix against stand-ins for lib/pkgs (tests/nix/eval-module.nix)

em=$root/tests/nix/eval-module.nix
# module_json ATTR [NIX-ARGS...]
module_json() {
        local attr=$1
        shift
        nix-instantiate --eval --strict --json "$em" -A "$attr" "$@" 2>&1
}
check "module: the options are the documented ones" test "$(module_json options)" = \
        '["bootCounting.tries","configurationLimit","enable","extraEfiSysMountPoints","extraEntries","extraFiles","layout","measuredBoot.pcrBanks","measuredBoot.pcrPrivateKeyFile","measuredBoot.pcrPublicKeyFile","measuredBoot.signInitrdPcrs","package","secureBoot.autoEnrollKeys.enable","secureBoot.autoEnrollKeys.extraDbCertificates","secureBoot.autoGenerateKeys.enable","secureBoot.certificateFile","secureBoot.keysDirectory","secureBoot.privateKeyFile","settings","sortKey","xbootldrMountPoint"]'
check "module: defaults pass every assertion ($(module_json failed))" test "$(module_json failed)" = '[]'
# NixOS 26.11 removed boot.bootspec.enable: the stand-in throws when it is read.
check "module: reads no removed option (boot.bootspec.enable)" test "$(module_json failed --arg set '{ bootCounting.tries = 3; }')" = '[]'
check "module: sets boot.loader.external.enable and the loader id" \
        test "$(module_json external)/$(module_json loaderId)" = 'true/"keel"'
check "module: initrd secrets supported (keel install runs initrdSecrets)" test "$(module_json initrdSecrets)" = true
check "module: no bless-boot units without boot counting" test "$(module_json blessUnits --argstr release 25.05)" = '[]'
check "module: bootCounting.tries pulls in systemd-bless-boot (NixOS 25.05)" \
        test "$(module_json blessUnits --argstr release 25.05 --arg set '{ bootCounting.tries = 3; }')" = '["systemd-bless-boot.service","boot-complete.target"]'
for release in 25.11 26.11; do
        check "module: NixOS $release ships systemd-bless-boot itself: not added again" \
                test "$(module_json blessUnits --argstr release $release --arg set '{ bootCounting.tries = 3; }')" = '[]'
done
module_json hook --arg set '{ bootCounting.tries = 2; configurationLimit = 5; layout = "fat"; sortKey = "os";
        extraEfiSysMountPoints = [ "/boot2" ]; xbootldrMountPoint = "/xb"; settings = { timeout = null; beep = true; };
        secureBoot = { privateKeyFile = "/k"; certificateFile = "/c"; };
        measuredBoot = { pcrPrivateKeyFile = "/p"; pcrBanks = [ "sha384" ]; signInitrdPcrs = true; }; }' |
        python3 -c 'import json, sys; sys.stdout.write(json.load(sys.stdin))' >"$T/module-hook.sh"
keel_fake=/nix/store/00000000000000000000000000000000-keel-0.1/bin/keel
check "module hook: every option reaches keel install on the ESP" grep -qF -- \
        "'$keel_fake' 'install' '--esp' '/boot' '--xbootldr' '/xb' '--configuration-limit' '5' '--tries' '2' '--key' '/k' '--cert' '/c' '--pcr-private-key' '/p' '--pcr-banks' 'sha384' '--sign-initrd-pcrs' '--layout' 'fat' '--sort-key' 'os'" "$T/module-hook.sh"
check "module hook: and on the extra ESP, without XBOOTLDR" grep -qF -- \
        "'$keel_fake' 'install' '--esp' '/boot2' '--configuration-limit' '5'" "$T/module-hook.sh"
check "module hook: checks both ESPs and XBOOTLDR are mounted" \
        test "$(grep -c "findmnt' '/boot' \\|findmnt' '/boot2' \\|findmnt' '/xb' " "$T/module-hook.sh")" -eq 3
check "module hook: settings over the defaults (timeout removed, editor off, beep on)" grep -qzF -- \
        "printf '%s' 'beep yes
editor no
'" "$T/module-hook.sh"
check "module hook: valid sh" sh -n "$T/module-hook.sh"
check "module hook: canTouchEfiVariables false (NixOS's default): --no-boot-entry on every ESP" \
        test "$(grep -c "'install' '--esp' .*'--no-boot-entry'" "$T/module-hook.sh")" -eq 2
module_json hook --arg set '{ extraEfiSysMountPoints = [ "/boot2" ]; }' \
        --arg loader '{ efi = { efiSysMountPoint = "/boot"; canTouchEfiVariables = true; }; }' |
        python3 -c 'import json, sys; sys.stdout.write(json.load(sys.stdin))' >"$T/module-hook3.sh"
check "module hook: canTouchEfiVariables true: a boot entry for the first ESP only" \
        sh -c "grep \"'install' '--esp' '/boot' \" '$T/module-hook3.sh' | grep -vq no-boot-entry &&
               grep \"'install' '--esp' '/boot2' \" '$T/module-hook3.sh' | grep -q no-boot-entry"
module_json hook --arg set '{ extraEfiSysMountPoints = [ "/boot2" ];
        extraFiles = { "efi/memtest86/memtest.efi" = "/nix/store/44444444444444444444444444444444-memtest86+/memtest.efi"; };
        extraEntries = { "memtest86.conf" = "title Memtest86+\nefi /efi/memtest86/memtest.efi\n"; }; }' |
        python3 -c 'import json, sys; sys.stdout.write(json.load(sys.stdin))' >"$T/module-hook-extra.sh"
check "module hook: extraFiles and extraEntries (written to the store) reach keel install on both ESPs" \
        test "$(grep -cF -- "'--extra-file' 'efi/memtest86/memtest.efi=/nix/store/44444444444444444444444444444444-memtest86+/memtest.efi' '--extra-entry' 'memtest86.conf=/nix/store/33333333333333333333333333333333-keel-entry-memtest86.conf'" "$T/module-hook-extra.sh")" -eq 2
check "module hook: no key set options without autoGenerateKeys/autoEnrollKeys" bash -c "! grep -qE -- '--keys-dir|--create-keys|--enroll-keys' '$T/module-hook.sh'"
module_json hook --arg set '{ extraEfiSysMountPoints = [ "/boot2" ]; secureBoot = { autoGenerateKeys.enable = true; autoEnrollKeys.enable = true; }; }' |
        python3 -c 'import json, sys; sys.stdout.write(json.load(sys.stdin))' >"$T/module-hook-keys.sh"
check "module hook: autoGenerateKeys + autoEnrollKeys: --keys-dir /var/lib/keel/keys --create-keys --enroll-keys on both ESPs" \
        test "$(grep -cF -- "'--keys-dir' '/var/lib/keel/keys' '--create-keys' '--enroll-keys'" "$T/module-hook-keys.sh")" -eq 2
check "module hook: autoGenerateKeys and autoEnrollKeys pass every assertion" test "$(module_json failed --arg set '{ secureBoot = { autoGenerateKeys.enable = true; autoEnrollKeys.enable = true; }; }')" = '[]'
module_json hook --arg set '{ secureBoot = { autoEnrollKeys.enable = true; keysDirectory = "/etc/keel/keys"; }; }' |
        python3 -c 'import json, sys; sys.stdout.write(json.load(sys.stdin))' >"$T/module-hook-enroll.sh"
module_json hook --arg set '{ secureBoot = { autoEnrollKeys = { enable = true; extraDbCertificates = [ "/nix/store/55555555555555555555555555555555-ms-uefi-ca.crt" ]; }; }; }' |
        python3 -c 'import json, sys; sys.stdout.write(json.load(sys.stdin))' >"$T/module-hook-dbcert.sh"
check "module hook: autoEnrollKeys.extraDbCertificates become --enroll-db-cert" grep -qF -- \
        "'--enroll-keys' '--enroll-db-cert' '/nix/store/55555555555555555555555555555555-ms-uefi-ca.crt'" "$T/module-hook-dbcert.sh"
module_json hook --arg set '{ secureBoot = { autoGenerateKeys.enable = true; autoEnrollKeys.extraDbCertificates = [ "/m.crt" ]; }; }' |
        python3 -c 'import json, sys; sys.stdout.write(json.load(sys.stdin))' >"$T/module-hook-dbcert2.sh"
check "module hook: extraDbCertificates without autoEnrollKeys: nothing to enroll" bash -c "! grep -q -- --enroll '$T/module-hook-dbcert2.sh'"
check "module hook: autoEnrollKeys alone: the given keysDirectory, no --create-keys" \
        sh -c "grep -qF -- \"'--keys-dir' '/etc/keel/keys' '--enroll-keys'\" '$T/module-hook-enroll.sh' && ! grep -q -- --create-keys '$T/module-hook-enroll.sh'"
check "module hook: no --extra-file or --extra-entry without them" bash -c "! grep -q -- '--extra-' '$T/module-hook.sh'"
module_json hook --arg set '{ settings.default = "@saved"; }' >"$T/module-hook2"
check "module hook: no default added when the settings have one" bash -c "! grep -q 'default nixos-generation' '$T/module-hook2'"
# Each assertion fires (and only on its own case).
assertion() { # NAME EXPECTED-TEXT NIX-ARGS...
        local name=$1 text=$2
        shift 2
        local got
        got=$(module_json failed "$@")
        check "module assertion: $name ($got)" bash -c '[ "$(python3 -c "import json,sys; print(len(json.loads(sys.argv[1])))" "$1")" = 1 ] && grep -qF -- "$2" <<<"$1"' _ "$got" "$text"
}
assertion "systemd-boot too" "systemd-boot cannot both" --arg loader '{ systemd-boot.enable = true; }'
assertion "grub too" "grub cannot both" --arg loader '{ grub.enable = true; }'
assertion "lanzaboote too" "lanzaboote cannot both" --arg boot '{ lanzaboote.enable = true; }'
assertion "key without certificate" "set both privateKeyFile and certificateFile" --arg set '{ secureBoot.privateKeyFile = "/k"; }'
assertion "certificate without key" "set both privateKeyFile and certificateFile" --arg set '{ secureBoot.certificateFile = "/c"; }'
assertion "key in the store" "is in the Nix store" --arg set '{ secureBoot = { privateKeyFile = "/nix/store/k"; certificateFile = "/c"; }; }'
assertion "keys directory in the store" "is in the Nix store" --arg set '{ secureBoot = { autoGenerateKeys.enable = true; keysDirectory = "/nix/store/keys"; }; }'
assertion "relative keys directory" "must be an absolute path" --arg set '{ secureBoot = { autoEnrollKeys.enable = true; keysDirectory = "keys"; }; }'
assertion "auto keys and a key file" "unset privateKeyFile and certificateFile" \
        --arg set '{ secureBoot = { autoGenerateKeys.enable = true; privateKeyFile = "/k"; certificateFile = "/c"; }; }'
assertion "PCR key in the store" "is in the Nix store" --arg set '{ measuredBoot.pcrPrivateKeyFile = "/nix/store/k"; }'
assertion "pcrpkey without PCR key" "pcrPublicKeyFile needs pcrPrivateKeyFile" --arg set '{ measuredBoot.pcrPublicKeyFile = "/p"; }'
assertion "signInitrdPcrs without PCR key" "pcrBanks and signInitrdPcrs need pcrPrivateKeyFile" \
        --arg set '{ measuredBoot.signInitrdPcrs = true; }'
assertion "XBOOTLDR on the ESP" "must not be an ESP mount point" --arg set '{ xbootldrMountPoint = "/boot"; }'
assertion "an ESP twice" "repeats an ESP" --arg set '{ extraEfiSysMountPoints = [ "/boot" ]; }'
assertion "relative ESP" "must be an absolute path" --arg loader '{ efi.efiSysMountPoint = "boot"; }'
assertion "relative extra ESP" "must be an absolute path" --arg set '{ extraEfiSysMountPoints = [ "esp2" ]; }'
assertion "relative XBOOTLDR" "must be an absolute path" --arg set '{ xbootldrMountPoint = "xb"; }'

# ---- the platforms: keelx64.efi on x86_64-linux, keelaa64.efi on aarch64-linux

# The module names the package's EFI binary of the system's platform to
# `keel install --stub` (which installs it as BOOTX64.EFI or BOOTAA64.EFI by
# its PE Machine: the end-to-end run at the end shows that).
pkg_fake=/nix/store/00000000000000000000000000000000-keel-0.1
for p in x86_64-linux:keelx64.efi:keelaa64.efi aarch64-linux:keelaa64.efi:keelx64.efi; do
        IFS=: read -r system want other <<<"$p"
        check "module on $system: passes every assertion ($(module_json failed --argstr system "$system"))" \
                test "$(module_json failed --argstr system "$system")" = '[]'
        module_json hook --argstr system "$system" --arg set '{ extraEfiSysMountPoints = [ "/boot2" ]; }' |
                python3 -c 'import json, sys; sys.stdout.write(json.load(sys.stdin))' >"$T/hook-$system.sh"
        check "module on $system: keel install --stub $want on each ESP" \
                test "$(grep -cF -- "'--stub' '$pkg_fake/lib/keel/$want' " "$T/hook-$system.sh")" -eq 2
        check "module on $system: names no $other" bash -c "! grep -q '$other' '$T/hook-$system.sh'"
done
assertion "riscv64-linux refused, naming the platforms keel boots" \
        "boot.loader.keel: keel boots aarch64-linux and x86_64-linux only, not riscv64-linux" --argstr system riscv64-linux
assertion "i686-linux refused" "keel boots aarch64-linux and x86_64-linux only, not i686-linux" --argstr system i686-linux

# nix/package.nix against stand-ins (tests/nix/eval-package.nix).
ep=$root/tests/nix/eval-package.nix
package_json() { # ATTR [NIX-ARGS...]
        local attr=$1
        shift
        nix-instantiate --eval --strict --json "$ep" -A "$attr" "$@" 2>&1
}
gnu_efi_fake=/nix/store/33333333333333333333333333333333-gnu-efi
check "package: platforms x86_64-linux and aarch64-linux" test "$(package_json platforms)" = '["aarch64-linux","x86_64-linux"]'
check "package on x86_64-linux: the make flags of before (keelx64.efi only, nixpkgs' gnu-efi)" \
        test "$(package_json makeFlags)" = "[\"EFI_INC=$gnu_efi_fake/include/efi\",\"EFI_LIB=$gnu_efi_fake/lib\",\"EFI_ARCHS=x86_64\",\"all\"]"
check "package on aarch64-linux: keelaa64.efi only, the native compiler and binutils, nixpkgs' gnu-efi" \
        test "$(package_json makeFlags --argstr system aarch64-linux)" = "[\"EFI_CC_aarch64=cc\",\"EFI_TOOLS_aarch64=\",\"EFI_INC_aarch64=$gnu_efi_fake/include/efi\",\"EFI_LIB_aarch64=$gnu_efi_fake/lib\",\"EFI_ARCHS=aarch64\",\"all\"]"
got=$(package_json makeFlags --argstr system riscv64-linux)
check "package on riscv64-linux: refused, naming the platforms ($(head -n 1 <<<"$got"))" \
        grep -q 'keel boots aarch64-linux and x86_64-linux only, not riscv64-linux' <<<"$got"

# tests/cli/test-nix-current.sh runs the checks up to here again with
# trixie's Nix (2.26, what current nixpkgs needs); the rest builds and
# installs with the host's.
if [ -n "${TEST_NIX_EVAL_ONLY:-}" ]; then
        summary
        exit
fi

# The package's install phase, run on this build: lib/keel/keel<arch>.efi
# (where the module's --stub points) and bin/keel.
mkdir -p "$T/src"
ln -s "$BUILD" "$T/src/build"
for p in x86_64-linux:keelx64.efi aarch64-linux:keelaa64.efi; do
        IFS=: read -r system want <<<"$p"
        nix_text "(import $ep { system = \"$system\"; }).installPhase" >"$T/install-$system.sh"
        (cd "$T/src" && out=$T/pkg-$system bash -e "$T/install-$system.sh") >"$T/install.out" 2>&1
        check "package on $system: install phase puts $want in lib/keel/ ($(head -c 200 "$T/install.out"))" \
                bash -c "cmp -s '$BUILD/$want' '$T/pkg-$system/lib/keel/$want' && cmp -s '$KEEL' '$T/pkg-$system/bin/keel' &&
                         [ \"\$(ls '$T/pkg-$system/lib/keel')\" = '$want' ]"
done

# The package's aarch64 make, as a cross build (stdenv.cc.targetPrefix
# aarch64-linux-gnu-, as pkgsCross has; a native one has none) against
# gnu-efi:arm64 laid out as nixpkgs' gnu-efi is: the same keelaa64.efi as
# the Debian build, and no gnu-efi:arm64 fetched into the build tree.
mkdir -p "$T/xbin"
ln -s "$(command -v aarch64-linux-gnu-gcc)" "$T/xbin/aarch64-linux-gnu-cc"   # nixpkgs' wrapper has ${targetPrefix}cc
mapfile -t flags < <(nix-instantiate --eval --strict --json "$ep" -A makeFlags --argstr system aarch64-linux \
        --argstr targetPrefix aarch64-linux-gnu- --argstr gnu-efi "$(readlink -f "$BUILD/arm64/gnu-efi")/usr" |
        python3 -c 'import json, sys; print("\n".join(f for f in json.load(sys.stdin) if f != "all"))')
PATH=$T/xbin:$PATH make -C "$root" -j2 BUILD="$T/nixbuild" "${flags[@]}" "$T/nixbuild/keelaa64.efi" >"$T/make.out" 2>&1
check "package on aarch64-linux: its make builds keelaa64.efi, the Debian build's bytes ($(tail -n 2 "$T/make.out" | tr '\n' ' '))" \
        cmp -s "$BUILD/keelaa64.efi" "$T/nixbuild/keelaa64.efi"
check "  ... without fetching gnu-efi:arm64 and without building keelx64.efi" \
        bash -c "[ ! -e '$T/nixbuild/arm64' ] && [ ! -e '$T/nixbuild/keelx64.efi' ]"

# ---- the install hook, with a recording fake keel -------------------------

# A scratch profile: generations 1..3, 3 with a specialisation, the
# profile's current generation 2 (as after a rollback).
fp=$T/fakeprofiles
mkdir -p "$fp" "$T/fakesys/1" "$T/fakesys/2" "$T/fakesys/3/specialisation" "$T/fakesys/3s" "$T/fakesys/other" "$T/fesp" "$T/fesp2" "$T/fx"
ln -s "$T/fakesys/3s" "$T/fakesys/3/specialisation/serial"
for n in 1 2 3; do ln -s "$T/fakesys/$n" "$fp/system-$n-link"; done
ln -s system-2-link "$fp/system"
cat >"$T/fakekeel" <<EOF
#!/bin/sh
# Records each call: its arguments one per line, and the loader.conf given.
n=\$(ls "$T/calls" | grep -c "args\$")
printf '%s\n' "\$@" >"$T/calls/\$n.args"
prev=
for a in "\$@"; do [ "\$prev" = --loader-conf ] && cat "\$a" >"$T/calls/\$n.conf"; prev=\$a; done
[ ! -e "$T/fakekeel.fail" ]
EOF
chmod +x "$T/fakekeel"

conf_text="$lib.renderLoaderConf { timeout = 4; editor = false; }"
# hook NAME NIX-ARGS: renders the hook into $T/NAME.sh.
hook() {
        nix_text "$lib.installHookScript ({ keel = \"$T/fakekeel\"; espMountPoints = [ \"$T/fesp\" \"$T/fesp2\" ];
                xbootldr = \"$T/fx\"; loaderConfText = $conf_text; profilesDir = \"$fp\";
                bootedSystem = \"$T/booted\"; tries = 3; } // $2)" >"$T/$1.sh"
}
# run_hook SCRIPT [SHELL]: runs it with a fresh call log; status in $hook_rc.
run_hook() {
        rm -rf "$T/calls"
        mkdir "$T/calls"
        hook_rc=0
        "${2:-bash}" "$T/$1.sh" /nix/store/ignored-toplevel >"$T/hook.out" 2>&1 || hook_rc=$?
}
args_of() { tr '\n' ' ' <"$T/calls/$1.args"; }
gens="$fp/system-1-link $fp/system-2-link $fp/system-3-link"

hook main '{ }'
check "hook: sh -n" sh -n "$T/main.sh"
for shell in bash sh; do
        ln -sfn "$T/fakesys/1" "$T/booted"
        run_hook main "$shell"
        check "hook ($shell): succeeds ($(head -c 200 "$T/hook.out"))" test "$hook_rc" -eq 0
        check "hook ($shell): one keel install per ESP" test "$(ls "$T/calls" | grep -c args)" -eq 2
        want="install --esp $T/fesp --xbootldr $T/fx --configuration-limit 0 --tries 3 --layout thin --sort-key nixos --profiles $fp --loader-conf CONF --booted 1 $gens "
        check "hook ($shell): first ESP, XBOOTLDR, booted 1, every generation: $(args_of 0)" \
                test "$(args_of 0 | sed 's|--loader-conf [^ ]*|--loader-conf CONF|')" = "$want"
        want="install --esp $T/fesp2 --configuration-limit 0 --tries 3 --layout thin --sort-key nixos --no-boot-entry --profiles $fp --loader-conf CONF --booted 1 $gens "
        check "hook ($shell): second ESP without XBOOTLDR: $(args_of 1)" \
                test "$(args_of 1 | sed 's|--loader-conf [^ ]*|--loader-conf CONF|')" = "$want"
        check "hook ($shell): loader.conf = settings + the profile's current generation as default" \
                test "$(cat "$T/calls/0.conf")" = "$(printf 'editor no\ntimeout 4\ndefault nixos-generation-2.efi')"
        check "hook ($shell): leaves no temporary loader.conf" test -z "$(find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'keel-loader.conf.*' -newer "$T/main.sh")"
done

ln -sfn "$T/fakesys/3s" "$T/booted"
run_hook main
check "hook: booted from a specialisation gives its generation ($(args_of 0))" bash -c "grep -qx -- --booted '$T/calls/0.args' && grep -A1 -x -- --booted '$T/calls/0.args' | tail -n 1 | grep -qx 3"
ln -sfn "$T/fakesys/1" "$fp/system-4-link"
ln -sfn "$T/fakesys/1" "$T/booted"
run_hook main
check "hook: two generations with the booted system: the newer (4)" bash -c "grep -A1 -x -- --booted '$T/calls/0.args' | tail -n 1 | grep -qx 4"
rm "$fp/system-4-link"
ln -sfn "$T/fakesys/other" "$T/booted"
run_hook main
check "hook: booted system in no generation: no --booted (keel reads LoaderEntrySelected)" bash -c "! grep -qx -- --booted '$T/calls/0.args'"
rm "$T/booted"
run_hook main
check "hook: no /run/booted-system (nixos-install): no --booted" bash -c "[ $hook_rc -eq 0 ] && ! grep -qx -- --booted '$T/calls/0.args'"

hook withdefault '{ settingsHaveDefault = true; loaderConfText = "default @saved\n"; }'
run_hook withdefault
check "hook: settings with a default: no default added" test "$(cat "$T/calls/0.conf")" = "default @saved"

touch "$T/fakekeel.fail"
run_hook main
check "hook: keel install fails -> hook fails, next ESP not tried" bash -c "[ $hook_rc -ne 0 ] && [ \$(ls '$T/calls' | grep -c args) -eq 1 ]"
rm "$T/fakekeel.fail"

hook mounted "{ findmnt = \"$(command -v findmnt)\"; }"
run_hook mounted
check "hook: an ESP that is not mounted is refused before keel runs ($(cat "$T/hook.out"))" \
        bash -c "[ $hook_rc -ne 0 ] && [ -z \"\$(ls '$T/calls')\" ] && grep -q 'is not a mounted file system' '$T/hook.out'"

hook empty "{ profilesDir = \"$T/nothing\"; }"
run_hook empty
check "hook: no generations -> fails, keel not run" bash -c "[ $hook_rc -ne 0 ] && [ -z \"\$(ls '$T/calls')\" ]"

# ---- real generations in the Nix store ------------------------------------

kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
if [ -z "$kernel" ]; then
        fail "no /boot/vmlinuz-* to build generations from"
        summary
        exit
fi
# build N [NIX-ARGS...]: the toplevel's store path on stdout.
build() {
        local n=$1
        shift
        nix-build "$root/tests/nix/generation.nix" --no-out-link --argstr n "$n" --argstr kernel "$kernel" "$@" 2>"$T/build.err" | tail -n 1
}
g1=$(build 1)
g2=$(build 2 --arg initrdSecrets true)
g3=$(build 3 --arg specialisations '[ "serial" ]')
g4=$(build 4)
check "nix-build: four generations ($g1 $g2 $g3 $g4; $(tail -n 3 "$T/build.err"))" \
        bash -c "for g in '$g1' '$g2' '$g3' '$g4'; do [ -f \"\$g/boot.json\" ] || exit 1; done"
check "the store verifies the generations' paths" nix-store --verify-path "$g1" "$g2" "$g3" "$g4"

profiles=$T/profiles
mkdir -p "$profiles"
for g in "$g1" "$g2" "$g3"; do nix-env -p "$profiles/system" --set "$g"; done
check "nix-env made system-1..3-link" bash -c "[ \"\$(readlink -f '$profiles/system-1-link')\" = '$g1' ] &&
        [ \"\$(readlink -f '$profiles/system-3-link')\" = '$g3' ] && [ \"\$(readlink '$profiles/system')\" = system-3-link ]"

if ! "$KEEL" install --help >/dev/null 2>&1; then
        echo "SKIP keel install not built yet"
        summary
        exit
fi

mkdir -p "$T/esp"
mount -t tmpfs -o size=256m keel-nix-esp "$T/esp"   # bootctl wants a mount point
export SYSTEMD_RELAX_ESP_CHECKS=1                    # ... but not a vfat partition
# listing: "id|title|tries" per bootctl list entry, in bootctl's order.
listing() {
        python3 "$(dirname "$0")/../bootctl_list.py" "$T/esp" id,title,tries
}
main_ids() { listing | cut -d'|' -f1 | grep -v specialisation | tr '\n' ' '; }

run "keel install: three generations from the profile" \
        "$KEEL" install --esp "$T/esp" --profiles "$profiles" "$profiles"/system-*-link
listing >"$T/list"
check "bootctl: newest first: $(main_ids)" \
        test "$(main_ids)" = "nixos-generation-3.efi nixos-generation-2.efi nixos-generation-1.efi "
for n in 1 2 3; do
        check "bootctl: generation $n is titled with its label" grep -q "^nixos-generation-$n.efi|NixOS test $n\\b" "$T/list"
done
check "bootctl: the specialisation of generation 3 has its own entry, titled with its label" \
        grep -q '^nixos-generation-3-specialisation-serial.efi|NixOS test 3 (serial)' "$T/list"
check "loader: \\EFI\\BOOT\\BOOTX64.EFI is keelx64.efi" cmp -s "$STUB" "$T/esp/EFI/BOOT/BOOTX64.EFI"
check "loader: \\EFI\\keel\\keelx64.efi is keelx64.efi" cmp -s "$STUB" "$T/esp/EFI/keel/keelx64.efi"

# Thin layout: the kernel once, named by its SHA-256 (sha256sum's), the
# store's bytes.
ksum=$(sha256sum "$kernel" | cut -c1-64)
check "thin: one kernel on the ESP, named by sha256sum of the store's bzImage" \
        bash -c "[ \"\$(ls '$T/esp/EFI/keel/content' | grep -c '\\.linux\$')\" -eq 1 ] && cmp -s '$kernel' '$T/esp/EFI/keel/content/$ksum.linux'"
section() { # section UKI NAME: the section's bytes without trailing NULs/newline
        objcopy -O binary --only-section="$2" "$1" "$T/section" 2>/dev/null && tr -d '\0' <"$T/section" | sed -e '$a\'
}
for n in 1 3; do
        eval "g=\$g$n"
        check "generation $n: .cmdline is init=TOPLEVEL/init and its kernelParams" \
                test "$(section "$T/esp/EFI/Linux/nixos-generation-$n.efi" .cmdline)" = "init=$g/init console=ttyS0 keel.test.generation=$n"
done
tinitrd=$(section "$T/esp/EFI/Linux/nixos-generation-1.efi" .tinitrd)
isum=$(sha256sum "$g1/initrd" | cut -c1-64)
check "generation 1: .tinitrd names the store initrd by sha256sum ($tinitrd)" test "${tinitrd%% *}" = "$isum"
check "generation 1: that initrd on the ESP is the store's bytes" cmp -s "$g1/initrd" "$T/esp/EFI/keel/content/$isum.initrd"
tinitrd2=$(section "$T/esp/EFI/Linux/nixos-generation-2.efi" .tinitrd)
f2=$T/esp/EFI/keel/content/${tinitrd2%% *}.initrd
check "generation 2 (initrdSecrets): its own initrd, the store's followed by the secrets' cpio" \
        bash -c "[ '${tinitrd2%% *}' != '$isum' ] && [ \"\$(sha256sum < '$f2' | cut -c1-64)\" = '${tinitrd2%% *}' ] &&
                 cmp -s -n \$(stat -c %s '$g1/initrd') '$g1/initrd' '$f2' && grep -aq keel-test-secret '$f2'"

find "$T/esp" -printf '%p %i %s %T@\n' | sort >"$T/before"
sleep 0.01
run "keel install: the same again" "$KEEL" install --esp "$T/esp" --profiles "$profiles" "$profiles"/system-*-link
find "$T/esp" -printf '%p %i %s %T@\n' | sort >"$T/after"
run "the same inputs again change no file on the ESP" diff "$T/before" "$T/after"

nix-env -p "$profiles/system" --delete-generations 1 >/dev/null 2>&1
check "nix-env deleted generation 1" bash -c "[ ! -e '$profiles/system-1-link' ] && [ -e '$profiles/system-2-link' ]"
run "keel install --configuration-limit 2 after the deletion" \
        "$KEEL" install --esp "$T/esp" --profiles "$profiles" --configuration-limit 2 "$profiles"/system-*-link
check "bootctl: generation 1 is gone, 3 and 2 stay: $(main_ids)" \
        test "$(main_ids)" = "nixos-generation-3.efi nixos-generation-2.efi "
check "generation 1's UKI is gone from the ESP" test ! -e "$T/esp/EFI/Linux/nixos-generation-1.efi"
check "the kernel shared with the others stays" test -e "$T/esp/EFI/keel/content/$ksum.linux"

# The hook the module installs, with the real keel, on the real profile: a
# new generation 4 becomes the default (loader.conf), counted; a rollback
# makes generation 3 the default again. The booted system is generation 2.
nix_text "$lib.installHookScript { keel = \"$KEEL\"; espMountPoints = [ \"$T/esp\" ];
        loaderConfText = $conf_text; profilesDir = \"$profiles\"; bootedSystem = \"$T/booted\";
        findmnt = \"$(command -v findmnt)\"; tries = 2; stub = \"$STUB\"; }" >"$T/real-hook.sh"
ln -sfn "$g2" "$T/booted"
nix-env -p "$profiles/system" --set "$g4"
run "hook: installs generation 4" bash "$T/real-hook.sh" "$g4"
listing >"$T/list"
check "bootctl: generation 4 first, the default (from the hook's loader.conf), 2 tries left" \
        bash -c "head -n 1 '$T/list' | grep -q '^nixos-generation-4.efi|NixOS test 4 (default)[^|]*|2 left'"
check "bootctl: generations 3 and 2 are still there, uncounted (installed before)" \
        bash -c "grep -q '^nixos-generation-3.efi|NixOS test 3[^|]*|\$' '$T/list' && grep -q '^nixos-generation-2.efi|NixOS test 2[^|]*|\$' '$T/list'"
check "loader.conf on the ESP: the settings and the default" \
        test "$(cat "$T/esp/loader/loader.conf")" = "$(printf 'editor no\ntimeout 4\ndefault nixos-generation-4.efi')"
nix-env -p "$profiles/system" --rollback >/dev/null 2>&1
run "hook: after nix-env --rollback" bash "$T/real-hook.sh" "$g3"
listing >"$T/list"
check "bootctl: generation 3 is the default after the rollback ($(tr '\n' ' ' <"$T/list"))" \
        grep -q '^nixos-generation-3.efi|NixOS test 3 (default)' "$T/list"

# The module's hook on each platform, end to end: rendered by the module for
# that system around the package tree its install phase made (above), run
# with the real keel on a profile of store generations. The hook reads the
# system profile at /nix/var/nix/profiles: a private mount namespace puts a
# scratch one there. The profile's first generation is one of the other
# platform: the platform's stub decides, not the first generation, and that
# one is skipped. The kernels are PE images of the platform (the stubs).
# machine FILE: the PE Machine field as 4 hex digits (read with od, not keel).
machine() {
        local lfanew
        lfanew=$(od -An -tu4 -j60 -N4 "$1" | tr -d ' ')
        od -An -tx2 -j$((lfanew + 4)) -N2 "$1" | tr -d ' '
}
build_for() { # SYSTEM N KERNEL: a generation whose boot.json says SYSTEM
        nix-build "$root/tests/nix/generation.nix" --no-out-link --argstr bootSystem "$1" --argstr n "$2" \
                --argstr kernel "$3" 2>"$T/build.err" | tail -n 1
}
for p in x86_64-linux:8664:aarch64-linux:keelaa64.efi:BOOTX64.EFI:keelx64.efi:BOOTAA64.EFI \
         aarch64-linux:aa64:x86_64-linux:keelx64.efi:BOOTAA64.EFI:keelaa64.efi:BOOTX64.EFI; do
        IFS=: read -r system pe other other_file removable want other_removable <<<"$p"
        prof=$T/prof-$system esp=$T/mesp-$system pkg=$T/pkg-$system
        mkdir -p "$prof" "$esp"
        nix-env -p "$prof/system" --set "$(build_for "$other" 1 "$BUILD/$other_file")"
        for n in 2 3; do nix-env -p "$prof/system" --set "$(build_for "$system" "$n" "$BUILD/$want")"; done
        mount -t tmpfs -o size=64m keel-nix-module-esp "$esp"
        module_json hook --argstr system "$system" --arg set "{ package.outPath = \"$pkg\"; }" \
                --arg loader "{ efi = { efiSysMountPoint = \"$esp\"; canTouchEfiVariables = false; }; }" \
                --arg pkgsOver '{ util-linuxMinimal = "/usr"; coreutils = "/usr"; }' |
                python3 -c 'import json, sys; sys.stdout.write(json.load(sys.stdin))' >"$T/module-hook-$system.sh"
        rc=0
        unshare -m sh -c 'mount --bind "$1" /nix/var/nix/profiles && exec bash "$2" /nix/store/ignored-toplevel' _ \
                "$prof" "$T/module-hook-$system.sh" >"$T/module-hook.out" 2>&1 || rc=$?
        # (an empty hook, from a module that does not evaluate, would "succeed" too)
        check "module hook on $system, real keel: succeeds ($(tail -n 3 "$T/module-hook.out" | tr '\n' ' '))" \
                test "$rc" -eq 0 -a -s "$T/module-hook-$system.sh"
        check "  ... \\EFI\\BOOT\\$removable and \\EFI\\keel\\$want are the package's lib/keel/$want" \
                bash -c "cmp -s '$pkg/lib/keel/$want' '$esp/EFI/BOOT/$removable' && cmp -s '$pkg/lib/keel/$want' '$esp/EFI/keel/$want'"
        check "  ... no $other_removable, no $other_file" \
                bash -c "[ ! -e '$esp/EFI/BOOT/$other_removable' ] && [ ! -e '$esp/EFI/keel/$other_file' ]"
        check "  ... generations 2 and 3 are UKIs for PE machine $pe" test \
                "$(machine "$esp/EFI/Linux/nixos-generation-2.efi") $(machine "$esp/EFI/Linux/nixos-generation-3.efi")" = "$pe $pe"
        check "  ... the $other generation 1 is skipped, saying so" \
                bash -c "[ ! -e '$esp/EFI/Linux/nixos-generation-1.efi' ] && grep -q 'system-1-link.*$other does not match' '$T/module-hook.out'"
done

summary
