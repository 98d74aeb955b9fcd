# The real-OS test images (issues #12, #21): a Debian system whose stage 1
# and stage 2 are systemd, booted by keel, built from one of two releases:
#  - bookworm: Debian 12, systemd 252, kernel 6.1, dracut 059 (the host's
#    own release, from the host's apt sources);
#  - trixie: Debian 13, systemd 257, kernel 6.12, dracut 106 (through
#    scripts/debian-suite's private apt configuration; nothing of it is
#    installed on the host).
# Sourced after ovmf-tests/lib.sh by ovmf-tests/realos/build, make demo and
# the realos-* scenarios; bookworm unless `realos_suite trixie` says otherwise.
#
# Three layers per release, each cached under $BUILD/realos/SUITE/ by a hash
# of its inputs:
#  - the root tree, kernel and initrd (mmdebstrap + dracut in the chroot):
#    the slow part, keyed by the package list (packages.SUITE) and the
#    versions the archive would install, these scripts and the dracut config;
#  - /var: ext4 encrypted offline to LUKS2, with a TPM2 token enrolled by
#    systemd-cryptenroll against a swtpm state that the VM then boots with,
#    for the signed PCR 11 policy of the image's key;
#  - the base disk: keel image (ESP with keel loader and one counted UKI,
#    erofs root, verity) plus the /var partition, keyed by keel's binaries.
# A scenario copies the disk and the swtpm state; other generations are
# made with realos_uki and realos_disk from the same cached root.

REALOS_SRC=$KEEL_SRC/ovmf-tests/realos
REALOS_SUITES="bookworm trixie"
# The /var partition: fixed PARTUUID (named in the image's /etc/crypttab)
# and the Discoverable Partitions type of /var (gpt-auto ignores it: its
# UUID is not the one derived from the machine ID).
REALOS_VAR_PARTUUID=6b65656c-7661-4c72-a000-766172706172
REALOS_VAR_TYPE=4d21b016-b534-45c2-a9fb-5c16e091fd2d
REALOS_VAR_MIB=128
# LUKS2 needs room for its header: the file system is that much smaller
# and cryptsetup reencrypt moves it up.
REALOS_LUKS_HEADER_MIB=16
# The words every realos UKI starts with. The root is the dm-verity device
# that systemd-veritysetup-generator opens from roothash= (data and hash
# partitions found by the PARTUUIDs derived from it); a failure in the
# initrd powers off rather than waiting at a shell until the timeout.
REALOS_CMDLINE="console=ttyS0 loglevel=4 root=/dev/mapper/root rootfstype=erofs ro panic=-1 rd.shell=0 rd.emergency=poweroff systemd.show_status=yes"
REALOS_UKI_NAME=keel-realos

realos_log() { echo "realos: $*" >&2; }

# realos_suite SUITE: the release the following realos_* calls build and use.
realos_suite() {
        case " $REALOS_SUITES " in
        *" $1 "*) ;;
        *) realos_log "no real-OS image of suite '$1' (one of: $REALOS_SUITES)"; return 1 ;;
        esac
        REALOS_SUITE=$1
        REALOS_DIR=$BUILD/realos/$1
}
realos_suite bookworm

# sha256 of the files and directory trees given (names, modes and contents).
realos_hash_inputs() {
        local p
        for p in "$@"; do
                if [ -d "$p" ]; then
                        (cd "$p" && find . -print0 | sort -z | xargs -0 stat -c '%n %a %F %N' &&
                                find . -type f -print0 | sort -z | xargs -0 sha256sum)
                else
                        echo "$p"
                        sha256sum <"$p"
                fi
        done | sha256sum | cut -c1-16
}

# The packages to install (comments and blank lines dropped).
realos_packages() {
        sed 's/#.*//' "$REALOS_SRC/packages.$REALOS_SUITE" | tr -s ' \n' '  ' | sed 's/^ //; s/ $//'
}

# Is the suite the host's own release?
realos_host_suite() {
        [ "$REALOS_SUITE" = "$(. /etc/os-release && echo "$VERSION_CODENAME")" ]
}

# The apt sources, as files mmdebstrap reads directly: the host's own for
# its release, scripts/debian-suite's (the mirror the host's configuration
# names, suite SUITE) for another. The mirror comes from the machine's
# configuration, never from this repository.
realos_apt_sources() {
        local f
        if ! realos_host_suite; then
                "$KEEL_SRC/scripts/debian-suite" "$BUILD" "$REALOS_SUITE" sources
                return
        fi
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
                [ -f "$f" ] && [ -s "$f" ] && echo "$f"
        done
}

# apt-cache ARGS... over the suite's package lists (the host's, or the
# private ones of scripts/debian-suite).
realos_apt_cache() {
        if realos_host_suite; then
                apt-cache "$@"
        else
                "$KEEL_SRC/scripts/debian-suite" "$BUILD" "$REALOS_SUITE" cache "$@"
        fi
}

# What the archive would install: candidate versions of the named packages
# and the kernel the metapackage points to. A point release changes the
# key, so the root is rebuilt then and only then.
realos_archive_state() {
        echo "suite $REALOS_SUITE"
        # One apt-cache run (each reads the whole package cache).
        # shellcheck disable=SC2046
        realos_apt_cache show --no-all-versions $(realos_packages) linux-image-amd64 2>/dev/null |
                awk '/^Package: / { p = $2 } /^Version: / { print p, $2 }
                        /^Depends: / && p == "linux-image-amd64" { print "kernel", $0 }' | sort -u
}

# realos_root: builds (or reuses) the root tree, kernel and initrd. Sets
# REALOS_ROOT (directory with tree/, vmlinuz, initrd.img, kver, os-release,
# initrd-release).
realos_root() {
        local key out start sources state f inputs=()
        for f in "packages.$REALOS_SUITE" dracut.conf "dracut-$REALOS_SUITE.conf" customize mkroot; do
                [ -f "$REALOS_SRC/$f" ] && inputs+=("$REALOS_SRC/$f")
        done
        state=$(realos_archive_state) || { realos_log "cannot read the $REALOS_SUITE package lists"; return 1; }
        key=$( (realos_hash_inputs "${inputs[@]}"; echo "$state") | sha256sum | cut -c1-16)
        out=$REALOS_DIR/root-$key
        REALOS_ROOT=$out
        if [ -f "$out/done" ]; then
                realos_log "reusing the cached root tree, kernel $(cat "$out/kver") and initrd ($out)"
                return 0
        fi
        if [ "$(id -u)" != 0 ]; then
                # mmdebstrap --mode=root, chroot and dracut inside it.
                realos_log "building the root needs root (mmdebstrap --mode=root, chroot); run as root"
                return 1
        fi
        command -v mmdebstrap >/dev/null || { realos_log "mmdebstrap missing: run scripts/install-deps"; return 1; }
        realos_log "building the $REALOS_SUITE root tree and initrd (key $key): mmdebstrap + dracut, a minute or two"
        start=$(date +%s)
        rm -rf "$out"
        mkdir -p "$out"
        mapfile -t sources < <(realos_apt_sources)
        [ ${#sources[@]} -gt 0 ] || { realos_log "no apt sources for $REALOS_SUITE on this machine"; return 1; }
        if ! "$REALOS_SRC/mkroot" "$out" "$REALOS_SUITE" "${sources[@]}" >"$out/mkroot.log" 2>&1; then
                tail -n 30 "$out/mkroot.log" >&2
                realos_log "building the root failed; log: $out/mkroot.log"
                return 1
        fi
        cp "$out/tree/usr/lib/os-release" "$out/os-release"
        touch "$out/done"
        realos_log "$REALOS_SUITE root tree built in $(( $(date +%s) - start )) s: $(du -sh "$out/tree" | cut -f1), initrd $(du -h "$out/initrd.img" | cut -f1), kernel $(cat "$out/kver")"
        # Older roots are of no further use.
        find "$REALOS_DIR" -maxdepth 1 -name 'root-*' ! -name "root-$key" -exec rm -rf {} +
}

# realos_tree: the root the image gets: the cached tree (hard links) plus
# the overlay (fstab, crypttab, machine-id, the report unit). Sets
# REALOS_TREE. Overlay files replace their links, never write through them.
realos_tree() {
        local key
        key=$(realos_hash_inputs "$REALOS_SRC/overlay")
        REALOS_TREE=$REALOS_ROOT/tree-$key
        if [ ! -f "$REALOS_TREE.done" ]; then
                rm -rf "$REALOS_ROOT"/tree-*
                cp -al "$REALOS_ROOT/tree" "$REALOS_TREE"
                cp -a --remove-destination "$REALOS_SRC/overlay/." "$REALOS_TREE/"
                touch "$REALOS_TREE.done"
        fi
}

# realos_keys: the PCR 11 signing key pair (made once per build directory).
realos_keys() {
        REALOS_KEYS=$REALOS_DIR/keys
        if [ ! -f "$REALOS_KEYS/pub.pem" ]; then
                mkdir -p "$REALOS_KEYS"
                openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$REALOS_KEYS/priv.pem" 2>/dev/null
                openssl pkey -in "$REALOS_KEYS/priv.pem" -pubout -out "$REALOS_KEYS/pub.pem"
                # The recovery passphrase of /var (the enrollment needs one).
                head -c 32 /dev/urandom | base64 | tr -d '\n' >"$REALOS_KEYS/var-passphrase"
        fi
}

# realos_var: the LUKS2 /var image and the swtpm state it is enrolled
# against. Sets REALOS_VAR (directory with var.luks and tpm/).
realos_var() {
        local key out tmp rc=0
        realos_keys
        key=$( (echo "$REALOS_ROOT"; sha256sum "$REALOS_KEYS/pub.pem"; realos_hash_inputs "$REALOS_SRC/lib.sh") |
                sha256sum | cut -c1-16)
        out=$REALOS_DIR/var-$key
        REALOS_VAR=$out
        if [ -f "$out/done" ]; then
                realos_log "reusing the cached /var with its TPM2 token ($out)"
                return 0
        fi
        realos_log "making /var: ext4, encrypted offline to LUKS2, TPM2 token for the signed PCR 11 policy"
        rm -rf "$out"
        mkdir -p "$out/tpm"
        tmp=$out/var.img
        # An empty dm-crypt device is SYSTEMD_READY=0 to udev, so
        # x-systemd.makefs would never run: the file system is made here
        # (with the root's /var as its content) and encrypted in place,
        # offline, without a loop device or device-mapper on the host.
        truncate -s "${REALOS_VAR_MIB}M" "$tmp"
        mkfs.ext4 -q -F -L var -U 6b65656c-7661-4c72-a000-657874347661 -d "$REALOS_ROOT/tree/var" \
                -E root_owner=0:0 "$tmp" $(( (REALOS_VAR_MIB - REALOS_LUKS_HEADER_MIB) * 1024 ))k
        # PBKDF2 with few iterations for the passphrase slot: it is a test
        # recovery key, and argon2's 1 GiB would not fit the VM's memory.
        cryptsetup reencrypt --batch-mode --encrypt --type luks2 --reduce-device-size "${REALOS_LUKS_HEADER_MIB}M" \
                --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file "$REALOS_KEYS/var-passphrase" \
                "$tmp" >"$out/cryptsetup.log" 2>&1 || { cat "$out/cryptsetup.log" >&2; return 1; }
        # The token: sealed by the swtpm whose state the VM boots with (the
        # same owner seed gives the same primary key), policy = PCR 11
        # signed by our key only; --tpm2-pcrs= empty, or PCR 7 of this host
        # swtpm would be bound too.
        host_swtpm_start "$out/tpm"
        systemd-cryptenroll --unlock-key-file="$REALOS_KEYS/var-passphrase" \
                --tpm2-device="swtpm:host=127.0.0.1,port=$HOST_SWTPM_PORT" --tpm2-pcrs= \
                --tpm2-public-key="$REALOS_KEYS/pub.pem" --tpm2-public-key-pcrs=11 \
                "$tmp" >"$out/cryptenroll.log" 2>&1 || rc=$?
        host_swtpm_stop "$out/tpm"
        if [ $rc != 0 ]; then
                cat "$out/cryptenroll.log" >&2
                realos_log "systemd-cryptenroll failed"
                return 1
        fi
        cryptsetup luksDump "$tmp" >"$out/luksdump.txt"
        mv "$tmp" "$out/var.luks"
        touch "$out/done"
        find "$REALOS_DIR" -maxdepth 1 -name 'var-*' ! -name "var-$key" -exec rm -rf {} +
}

# realos_roothash: the root hash of the cached tree as keel image makes it.
realos_roothash() {
        cache_locked "realos-roothash-$REALOS_SUITE" build_realos_roothash
        cat "$REALOS_TREE.roothash-$(sha256sum "$KEEL" | cut -c1-16)"
}
build_realos_roothash() {
        local f=$REALOS_TREE.roothash-$(sha256sum "$KEEL" | cut -c1-16)
        if [ ! -f "$f" ]; then
                "$KEEL" image --root "$REALOS_TREE" --roothash-only | sed -n 's/^Root hash:[[:space:]]*//p' >"$f.tmp"
                mv "$f.tmp" "$f"
        fi
}

# realos_uki OUT [IMAGE_VERSION [EXTRA_CMDLINE]]: a keel UKI of the cached
# kernel and initrd, bound to the root hash, its PCR 11 policy signed.
realos_uki() {
        local out=$1 version=${2:-1} extra=${3:-}
        realos_keys
        "$KEEL" uki build --stub "$KEEL_EFI" --linux "$REALOS_ROOT/vmlinuz" --initrd "$REALOS_ROOT/initrd.img" \
                --cmdline "$REALOS_CMDLINE${extra:+ $extra}" --roothash "$(realos_roothash)" \
                --os-release "$(cat "$REALOS_ROOT/os-release"; echo "IMAGE_VERSION=$version")" \
                --uname "$(cat "$REALOS_ROOT/kver")" \
                --pcrpkey "$REALOS_KEYS/pub.pem" --pcr-private-key "$REALOS_KEYS/priv.pem" -o "$out"
}

# realos_disk OUT UKI...: keel image (keel loader, the UKIs in \EFI\Linux
# under their file names, erofs root, verity) + the LUKS2 /var partition.
# realos_disk OUT --esp-dir DIR: the same with the ESP tree DIR as it is
# (what `keel install` wrote: loader, loader.conf, UKIs, content files).
realos_disk() {
        local out=$1 uki args=() start f
        shift
        if [ "${1:-}" = --esp-dir ]; then
                args+=(--loader "$2/EFI/BOOT/BOOTX64.EFI")
                while read -r f; do
                        case "$f" in
                        EFI/Linux/*.efi) args+=(--uki "$2/$f") ;;
                        EFI/BOOT/BOOTX64.EFI) ;;
                        *) args+=(--esp-file "$2/$f:/$f") ;;
                        esac
                done < <(cd "$2" && find . -type f | sed 's|^\./||' | sort)
        else
                for uki in "$@"; do
                        args+=(--uki "$uki")
                done
                printf 'timeout 0\n' >"$out.loader.conf"
                args+=(--loader "$KEEL_EFI" --esp-file "$out.loader.conf:/loader/loader.conf")
        fi
        "$KEEL" image --root "$REALOS_TREE" "${args[@]}" -o "$out" >"$out.image.txt"
        rm -f "$out.loader.conf"
        # keel image makes the three partitions it knows; /var is added by
        # rewriting the table with one more line (sfdisk then puts the
        # backup GPT at the new end of the grown file).
        truncate -s +$((REALOS_VAR_MIB + 1))M "$out"
        { sfdisk --dump "$out" 2>/dev/null | grep -v -e '^last-lba:' -e '^device:' | sed 's|^[^ ]* : ||'
          echo "size=${REALOS_VAR_MIB}MiB, type=$REALOS_VAR_TYPE, uuid=$REALOS_VAR_PARTUUID, name=\"var\""
        } >"$out.sfdisk"
        sfdisk --quiet --no-reread --no-tell-kernel "$out" <"$out.sfdisk" 2>&1 |
                grep -v -e 'PMBR size mismatch' -e 'backup GPT table is not on the end' -e 'contains a .* signature' >&2 || true
        rm -f "$out.sfdisk"
        start=$(( $(sfdisk --json "$out" | python3 -c "import json,sys; print(json.load(sys.stdin)['partitiontable']['partitions'][3]['start'])") * 512 ))
        dd if="$REALOS_VAR/var.luks" of="$out" bs=1M seek=$((start / 1048576)) conv=notrunc,sparse status=none
}

# realos_base: root, /var and the base disk with one counted UKI
# ($REALOS_UKI_NAME-1+3.efi). Sets REALOS_BASE (disk.img, the UKI, tpm/).
realos_base() {
        cache_locked "realos-$REALOS_SUITE" build_realos_base
}
build_realos_base() {
        local key out
        [ -x "$KEEL" ] && [ -f "$KEEL_EFI" ] || { realos_log "build keel first ($KEEL, $KEEL_EFI)"; return 1; }
        # The layers of the layout before there were two releases.
        rm -rf "$BUILD/realos"/root-* "$BUILD/realos"/var-* "$BUILD/realos"/base-* "$BUILD/realos/keys"
        realos_root
        realos_tree
        realos_var
        key=$( (echo "$REALOS_TREE $REALOS_VAR"; sha256sum "$KEEL" "$KEEL_EFI"; realos_hash_inputs "$REALOS_SRC/lib.sh") |
                sha256sum | cut -c1-16)
        out=$REALOS_DIR/base-$key
        REALOS_BASE=$out
        REALOS_BASE_UKI=$out/$REALOS_UKI_NAME-1+3.efi
        if [ -f "$out/done" ]; then
                realos_log "reusing the cached disk image ($out)"
                return 0
        fi
        rm -rf "$out"
        mkdir -p "$out"
        realos_uki "$REALOS_BASE_UKI" 1
        realos_disk "$out/disk.img" "$REALOS_BASE_UKI"
        touch "$out/done"
        find "$REALOS_DIR" -maxdepth 1 -name 'base-*' ! -name "base-$key" -exec rm -rf {} +
}

# realos_scenario_tpm WORK: the scenario's own copy of the swtpm state the
# /var token is enrolled against (qemu_boot starts swtpm on WORK/tpm).
realos_scenario_tpm() {
        mkdir -p "$1/tpm"
        cp "$REALOS_VAR"/tpm/tpm2-00.permall "$1/tpm/"
}

# realos_scenario_copy WORK: the base disk and the swtpm state, for a
# scenario that boots the base image as it is.
realos_scenario_copy() {
        cp --sparse=always "$REALOS_BASE/disk.img" "$1/disk.img"
        realos_scenario_tpm "$1"
}

# realos_scenario_disk WORK UKI...: a disk of the cached root with these
# UKIs on its ESP (under their file names, boot counters included) and the
# swtpm state, for scenarios with several generations, e.g.
#   realos_uki "$WORK/keel-realos-2+3.efi" 2 keel.realos.health=fail
#   realos_scenario_disk "$WORK" "$REALOS_BASE_UKI" "$WORK/keel-realos-2+3.efi"
realos_scenario_disk() {
        local work=$1
        shift
        realos_disk "$work/disk.img" "$@"
        realos_scenario_tpm "$work"
}
