# systemd of the newer Debian suites as peers (sourced after lib.sh):
# systemd-boot/-stub 257 (trixie, Debian 13) and 262 (sid) EFI binaries,
# and their host tools (bootctl, systemd-measure, ukify) in a small
# mmdebstrap tree of the suite. Nothing is installed on the host: all of
# it comes through scripts/debian-suite, cached under $BUILD/debian/ by
# package versions.
PEER_SUITES="trixie sid"
DEBIAN_SUITE=$KEEL_SRC/scripts/debian-suite

# peer_version SUITE: systemd's version in SUITE ("257.13-1~deb13u1").
peer_version() {
        "$DEBIAN_SUITE" "$BUILD" "$1" version systemd-boot-efi
}

# peer_efi SUITE ARCH FILE: a file of SUITE's systemd-boot-efi for ARCH
# (amd64, arm64): systemd-bootx64.efi, linuxx64.efi.stub, addonx64.efi.stub,
# systemd-bootaa64.efi, ...
peer_efi() {
        local dir
        dir=$("$DEBIAN_SUITE" "$BUILD" "$1" unpack "systemd-boot-efi:$2") || return 1
        [ -f "$dir/usr/lib/systemd/boot/efi/$3" ] || { echo "peers: $1 systemd-boot-efi has no $3" >&2; return 1; }
        echo "$dir/usr/lib/systemd/boot/efi/$3"
}

# peer_tools SUITE: the tree with SUITE's bootctl, systemd-measure and
# ukify (systemd-measure is in systemd-tpm from 258 on, in systemd before).
# Found (or built) once per shell (peer_tree): every look-up takes the
# suite's lock, which other scenarios may hold.
peer_tools() {
        peer_tree "$1" tools && echo "${PEER_TREE[$1:tools]}"
}

# peer_tree SUITE KIND: looks up SUITE's tree KIND (tools, tpm: see
# scripts/debian-suite) once per shell, into PEER_TREE[SUITE:KIND]
# (asking apt for the versions takes seconds).
declare -gA PEER_TREE=()
peer_tree() {
        local tree
        [ -z "${PEER_TREE[$1:$2]:-}" ] || return 0
        tree=$("$DEBIAN_SUITE" "$BUILD" "$1" "$2") || return 1
        PEER_TREE[$1:$2]=$tree
}

# peer_prepare SUITE...: looks each SUITE's tools tree up now, in this shell
# (not in a subshell that would forget it), so that the peer_run calls after
# it skip the look-ups.
peer_prepare() {
        local suite
        for suite in "$@"; do
                peer_tree "$suite" tools || return 1
        done
}

# peer_run SUITE [--bind SRC:DEST]... [--efivars SRC] -- CMD...: CMD in peer_tools SUITE.
peer_run() {
        local suite=$1
        shift
        peer_tree "$suite" tools || return 1
        "$DEBIAN_SUITE" "$BUILD" "$suite" run "${PEER_TREE[$suite:tools]}" "$@"
}

# peer_tpm_run SUITE [--bind SRC:DEST]... -- CMD...: CMD in SUITE's TPM
# userspace (systemd-measure, systemd-creds, systemd-cryptenroll,
# cryptsetup; tpm2-tss with the swtpm TCTI: --tpm2-device=swtpm:host=127.0.0.1,port=N,
# as the tree does not resolve "localhost").
peer_tpm_run() {
        local suite=$1
        shift
        peer_tree "$suite" tpm || return 1
        "$DEBIAN_SUITE" "$BUILD" "$suite" run "${PEER_TREE[$suite:tpm]}" "$@"
}

# peer_bootctl SUITE ESP_DIR ARGS...: SUITE's bootctl on the ESP tree
# ESP_DIR (a directory: SYSTEMD_RELAX_ESP_CHECKS lets bootctl take a path
# that is not a vfat mount), with --esp-path and --no-pager.
peer_bootctl() {
        local suite=$1 esp=$2
        shift 2
        peer_run "$suite" --bind "$esp:/esp" -- env SYSTEMD_RELAX_ESP_CHECKS=1 \
                bootctl --esp-path=/esp --no-pager "$@"
}

# peer_uki SUITE OUT KERNEL INITRD CMDLINE OSREL_FILE: a UKI on SUITE's
# systemd-stub, built by SUITE's ukify (the sections keel's would have:
# .linux, .osrel, .cmdline, .initrd, .uname, .sbat).
peer_uki() {
        local suite=$1 out=$2 dir
        dir=$(mktemp -d "$(dirname "$out")/peer-uki.XXXXXX")
        cp "$3" "$dir/linux"
        cp "$4" "$dir/initrd"
        cp "$6" "$dir/osrel"
        peer_run "$suite" --bind "$dir:/w" -- ukify build --linux /w/linux --initrd /w/initrd --cmdline "$5" \
                --os-release @/w/osrel --uname "$(kernel_release)" --output /w/uki.efi >/dev/null &&
                mv "$dir/uki.efi" "$out"
        local rc=$?
        rm -rf "$dir"
        return $rc
}

# peer_bootctl_status SUITE WORKDIR ESP_DIR: SUITE's `bootctl status` on the
# EFI variables a booted guest reported (WORKDIR/report.log, "EFIVAR
# NAME=value": text, or hex for *Features) and the ESP tree ESP_DIR, as
# bootctl shows them in that guest.
peer_bootctl_status() {
        local suite=$1 w=$2 esp=$3 vars
        vars=$(mktemp -d "$w/efivars.XXXXXX")
        python3 - "$w/report.log" "$vars" <<'PY' || return 1
import re, sys
guid = "4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"
text = open(sys.argv[1], "rb").read().decode("latin-1").replace("\r", "")
for name, value in re.findall(r"^EFIVAR (\w+)=(.*)$", text, re.M):
    if name.endswith("Features"):
        data = bytes.fromhex(value)
    elif name == "LoaderEntries":
        data = b"".join((e + "\0").encode("utf-16-le") for e in value.split(" "))
    else:
        data = (value + "\0").encode("utf-16-le")
    # Attributes: boot-service and runtime access, as the Boot Loader Interface sets them.
    open("%s/%s-%s" % (sys.argv[2], name, guid), "wb").write(b"\x06\0\0\0" + data)
PY
        # C.UTF-8: bootctl's marks and tree glyphs (✓ ✗ └─), whatever the caller's locale.
        peer_run "$suite" --efivars "$vars" --bind "$esp:/esp" -- env SYSTEMD_RELAX_ESP_CHECKS=1 LANG=C.UTF-8 \
                LC_ALL=C.UTF-8 bootctl --esp-path=/esp --no-pager status 2>&1
        rm -rf "$vars"
}

# The versions the peer scenarios' expectations were written against. When
# the archive serves another one, peer_announce says so and the scenarios
# use what it serves.
PEER_PINNED_trixie=257.13-1~deb13u1
PEER_PINNED_sid=262.1-1

# peer_announce SUITE: one line naming SUITE's systemd version, and whether
# it is the pinned one.
peer_announce() {
        local v pinned_var=PEER_PINNED_$1
        v=$(peer_version "$1") || return 1
        if [ "$v" = "${!pinned_var:-}" ]; then
                echo "peers: $1 systemd $v (pinned)"
        else
                echo "peers: $1 serves systemd $v, not the pinned ${!pinned_var:-(none)}: using $v"
        fi
}

# peer_major SUITE: systemd's major version in SUITE ("262").
peer_major() {
        peer_version "$1" | sed 's/^[0-9]*://; s/[^0-9].*//'
}

# peer_in SUITE DIR CMD...: CMD in SUITE's tools tree with DIR bound at
# /peer as the working directory (paths in CMD relative to DIR).
peer_in() {
        local suite=$1 dir=$2
        shift 2
        peer_run "$suite" --bind "$dir:/peer" -- /bin/sh -c 'cd /peer && exec "$@"' sh "$@"
}

# peer_guest_files SUITE ROOT PROGRAM...: build_initramfs extras
# ("SRC:DEST", one per line) that put PROGRAM (a path in SUITE's tools
# tree), the libraries it loads and SUITE's os-release below ROOT in the
# initramfs, so the guest runs SUITE's own program with `chroot ROOT`.
peer_guest_files() {
        local suite=$1 root=$2 tree
        shift 2
        peer_tree "$suite" tools || return 1
        tree=${PEER_TREE[$suite:tools]}
        # ldd and readlink run in the tree: its symlinks are absolute.
        peer_run "$suite" -- /bin/sh -c 'for f in "$@" /usr/lib/os-release $(ldd "$@" | grep -o "/[^ ]*" | sort -u); do
                        echo "$(readlink -f "$f") $f"; done' sh "$@" |
                while read -r real f; do echo "$tree$real:$root$f"; done
}

# esp_unpack IMG DIR: the ESP of IMG (an esp_image_create disk) as a
# directory tree, for bootctl and keel entries.
esp_unpack() {
        rm -rf "$2"
        mkdir -p "$2"
        mcopy -s -n -i "$1@@1M" "::/*" "$2/"
}

