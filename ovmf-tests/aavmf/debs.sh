# arm64 (and a few architecture-independent) Debian packages for the AAVMF
# scenarios, downloaded with `apt-get download` and unpacked with
# `dpkg-deb -x` into the build tree, never installed. Everything is cached
# under $AA64_CACHE keyed by the package's version, so a second run
# downloads and unpacks nothing. apt uses the host's own sources.
# Sourced by ovmf-tests/aavmf/lib.sh.

: "${AA64_CACHE:=$BUILD/aavmf}"

# aa64_apt_ready: apt knows the arm64 architecture (once per machine).
aa64_apt_ready() {
        if dpkg --print-foreign-architectures | grep -qx arm64 &&
                apt-cache policy busybox-static:arm64 2>/dev/null | grep -q 'Candidate: [0-9]'; then
                return 0
        fi
        if [ "$(id -u)" -ne 0 ]; then
                echo "aavmf: apt does not know arm64; as root: dpkg --add-architecture arm64 && apt-get update" >&2
                return 1
        fi
        echo "aavmf: adding the arm64 architecture to apt" >&2
        dpkg --add-architecture arm64
        apt-get update -qq
}

# aa64_candidate PKG[:ARCH]: the version apt would take.
aa64_candidate() {
        apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p' | grep -v '(none)' | head -n 1
}

# aa64_depends_on META[:ARCH] PREFIX: the dependency of a meta package whose
# name starts with PREFIX (linux-image-arm64 -> linux-image-6.1.0-N-arm64).
aa64_depends_on() {
        apt-cache depends --no-recommends --no-suggests "$1" 2>/dev/null |
                sed -n "s/^ *Depends: \($2[^ :]*\).*/\1/p" | head -n 1
}

# aa64_deb PKG[:ARCH]: unpacks the package (its candidate version) and prints
# the directory it is unpacked in: $AA64_CACHE/root/NAME_VERSION_ARCH.
aa64_deb() {
        local spec=$1 name arch version dir deb tmp
        name=${spec%%:*}
        arch=${spec#*:}
        [ "$arch" != "$spec" ] || arch=all
        version=$(aa64_candidate "$spec")
        [ -n "$version" ] || { echo "aavmf: apt has no version of $spec" >&2; return 1; }
        dir=$AA64_CACHE/root/${name}_${version//:/%}_$arch
        if [ ! -f "$dir/.unpacked" ]; then
                mkdir -p "$AA64_CACHE/debs"
                deb=$(ls "$AA64_CACHE/debs/${name}_"*"_$arch.deb" 2>/dev/null |
                        while read -r f; do
                                [ "$(dpkg-deb -f "$f" Version)" = "$version" ] && echo "$f"
                        done | head -n 1)
                if [ -z "$deb" ]; then
                        echo "aavmf: downloading $spec $version" >&2
                        tmp=$(mktemp -d "$AA64_CACHE/debs/.dl.XXXXXX")
                        chmod 777 "$tmp" # apt's _apt user writes the file
                        (cd "$tmp" && apt-get download -qq "$spec=$version" 2>&1 | grep -v 'unsandboxed' >&2) || true
                        deb=$(ls "$tmp"/*.deb 2>/dev/null | head -n 1)
                        [ -n "$deb" ] || { rm -rf "$tmp"; echo "aavmf: apt-get download $spec=$version failed" >&2; return 1; }
                        mv "$deb" "$AA64_CACHE/debs/"
                        deb=$AA64_CACHE/debs/$(basename "$deb")
                        rm -rf "$tmp"
                fi
                rm -rf "$dir"
                mkdir -p "$dir"
                dpkg-deb -x "$deb" "$dir"
                touch "$dir/.unpacked"
        fi
        echo "$dir"
}
