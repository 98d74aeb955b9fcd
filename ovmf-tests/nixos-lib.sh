# Helpers for the scenarios of `keel install` with NixOS-shaped generations,
# sourced after lib.sh: generations as NixOS makes them (a directory with
# boot.json, linked from a profile directory), and the ESP between the
# directory keel install writes to and the disk image QEMU boots.

# nixos_gen DIR N INITRD [SPECIALISATION-JSON]: DIR/system-N (boot.json: the
# Debian kernel, INITRD, the command line keel.test=genN) and its profile
# link DIR/profiles/system-N-link.
nixos_gen() {
        local dir=$1 n=$2
        mkdir -p "$dir/system-$n" "$dir/profiles"
        cat >"$dir/system-$n/boot.json" <<JSON
{"org.nixos.bootspec.v1": {"system": "x86_64-linux", "init": "/nix/store/keeltest-system-$n/init",
  "initrd": "$3", "kernel": "$(kernel_image)",
  "kernelParams": ["console=ttyS0", "loglevel=1", "panic=-1", "keel.test=gen$n"],
  "label": "NixOS keel test $n", "toplevel": "/nix/store/keeltest-system-$n"}${4:-}}
JSON
        ln -sfn "$dir/system-$n" "$dir/profiles/system-$n-link"
}

# nixos_links DIR N...: the profile links of generations N... of DIR.
nixos_links() {
        local dir=$1 n
        shift
        for n in "$@"; do printf '%s ' "$dir/profiles/system-$n-link"; done
}

# esp_to_image DIR IMG: a fresh ESP image holding what keel install wrote to DIR.
esp_to_image() {
        esp_image_create "$2" 192
        mcopy -s -o -i "$2@@1M" "$1"/* ::/
}

# esp_from_image IMG DIR: the ESP image's files (as the boots left them) in DIR.
esp_from_image() {
        rm -rf "$2"
        mkdir -p "$2"
        mcopy -s -n -i "$1@@1M" "::/*" "$2/"
}
