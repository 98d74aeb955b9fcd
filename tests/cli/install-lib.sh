# NixOS-shaped generations for the `keel install` tests (sourced after
# lib.sh and need_build; $T is the scratch directory). A generation is a
# directory with boot.json (bootspec v1) linked as $T/profiles/system-N-link,
# the way `nix-env -p /nix/var/nix/profiles/system --set` links them.

KEEL_TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mkdir -p "$T/profiles" "$T/gens" "$T/efivars"
export KEEL_EFIVARFS=$T/efivars
# Staging happens here, so that a crashed run's leftovers stay in $T; the
# digest cache too (not the host's /var/cache/keel).
export TMPDIR=$T KEEL_CACHE_DIR=$T/cache
mkdir -p "$KEEL_CACHE_DIR"

# Two distinct "kernels" (keel's own x86-64 PE image will do: nothing is
# booted in the CLI tests) and an initrd of 513 bytes (not a multiple of 4).
cp "$STUB" "$T/kernel-a"
{ cat "$STUB"; printf 'b'; } >"$T/kernel-b"
head -c 513 /dev/urandom >"$T/initrd"

# mkgen N [KERNEL] [LABEL] [EXTRA-JSON]: generation N (kernel-a by default).
mkgen() {
        local n=$1 kernel=${2:-$T/kernel-a} label=${3:-"NixOS test $1"} extra=${4:-}
        mkdir -p "$T/gens/$n"
        cat >"$T/gens/$n/boot.json" <<JSON
{
  "org.nixos.bootspec.v1": {
    "system": "x86_64-linux",
    "init": "/nix/store/00000000000000000000000000000000-nixos-system-$n/init",
    "initrd": "$T/initrd",
    "kernel": "$kernel",
    "kernelParams": ["console=ttyS0", "gen=$n"],
    "label": "$label",
    "toplevel": "/nix/store/00000000000000000000000000000000-nixos-system-$n"
  }$extra
}
JSON
        ln -sfn "$T/gens/$n" "$T/profiles/system-$n-link"
}

# gen_links N...: the profile links of generations N...
gen_links() {
        for n in "$@"; do printf '%s ' "$T/profiles/system-$n-link"; done
}

# snapshot DIR: every file's path, inode, size and modification time.
snapshot() {
        (cd "$1" && find . -printf '%p %i %s %T@\n' | sort)
}

# new_esp DIR [SIZE]: an empty tmpfs mounted at DIR (bootctl insists on a
# mount point; SIZE makes a full ESP possible), unmounted at exit.
MOUNTS=()
new_esp() {
        mkdir -p "$1"
        mount -t tmpfs -o "size=${2:-256m}" tmpfs "$1" || { echo "FAIL cannot mount a tmpfs (needs root)"; exit 1; }
        MOUNTS+=("$1")
}
unmount_esps() {
        for m in "${MOUNTS[@]}"; do umount "$m" 2>/dev/null; done
}

# bootctl_list ESP FIELD: FIELD ("id", "plain_title", "version") of every
# entry bootctl 252 lists, in its order, space-separated (titles:
# '|'-separated).
bootctl_list() {
        local sep=" "
        [ "$2" = plain_title ] && sep="|"
        python3 "$KEEL_TESTS/bootctl_list.py" "$1" "$2" | paste -sd "$sep"
}
