# Debian packages for the AAVMF scenarios (arm64 ones and a few others),
# downloaded with `apt-get download` and unpacked with `dpkg-deb -x` into
# the build tree, never installed. Everything is cached
# under $AA64_CACHE keyed by the package's version, so a second run
# downloads and unpacks nothing. apt uses the host's own sources.
# Sourced by ovmf-tests/aavmf/lib.sh.

: "${AA64_CACHE:=$BUILD/aavmf}"

# aa64_apt_ready: apt knows the arm64 architecture (once per machine;
# scripts/install-deps does it too).
aa64_apt_ready() {
        dpkg --print-foreign-architectures | grep -qx arm64 && return 0
        if [ "$(id -u)" -ne 0 ]; then
                echo "aavmf: apt does not know arm64; as root: dpkg --add-architecture arm64 && apt-get update" >&2
                return 1
        fi
        echo "aavmf: adding the arm64 architecture to apt" >&2
        dpkg --add-architecture arm64
        apt-get update -qq
}

# aa64_depends_on META[:ARCH] PREFIX: the dependency of a meta package whose
# name starts with PREFIX (linux-image-arm64 -> linux-image-6.1.0-N-arm64).
aa64_depends_on() {
        apt-cache depends --no-recommends --no-suggests "$1" 2>/dev/null |
                sed -n "s/^ *Depends: \($2[^ :]*\).*/\1/p" | head -n 1
}

# aa64_debs SPEC...: each PKG[:ARCH] (no ARCH: Architecture all) unpacked at
# the version apt would take, asked of apt once for all of them (apt-cache
# is slow with two architectures' lists). Sets AA64_DIRS and AA64_VERSIONS
# (arrays, in argument order). arm64 packages are the build's own cache,
# $BUILD/arm64/NAME_VERSION (scripts/fetch-arm64-debs, shared with the
# build and the CLI tests; called only for what is not there yet); the few
# others the harness needs go to $AA64_CACHE/root/NAME_VERSION_ARCH.
aa64_debs() {
        local spec name arch version dir native
        native=$(dpkg --print-architecture)
        AA64_DIRS=()
        AA64_VERSIONS=()
        # "NAME[:ARCH] VERSION" per package; apt names native packages without
        # their architecture.
        local table
        table=$(apt-cache policy "$@" 2>/dev/null | awk '
                /^[^ ].*:$/ { name = substr($0, 1, length($0) - 1) }
                /^  Candidate: / && $2 != "(none)" { print name, $2 }')
        for spec in "$@"; do
                name=${spec%%:*}
                arch=${spec#*:}
                [ "$arch" != "$spec" ] || arch=all
                case "$arch" in
                arm64) version=$(awk -v n="$name:arm64" '$1 == n { print $2; exit }' <<<"$table") ;;
                *) version=$(awk -v n="$name" -v a="$name:$arch" '$1 == n || $1 == a { print $2; exit }' <<<"$table") ;;
                esac
                if [ -z "$version" ]; then
                        echo "aavmf: apt knows no $spec (run scripts/install-deps as root: it adds arm64 and updates the lists)" >&2
                        return 1
                fi
                if [ "$arch" = arm64 ]; then
                        dir=$BUILD/arm64/${name}_${version//:/%3a}
                        [ -f "$dir/.keel-unpacked" ] || dir=$("$KEEL_SRC/scripts/fetch-arm64-debs" "$BUILD" "$name") || return 1
                else
                        dir=$(aa64_deb_unpack "$spec" "$arch" "$version") || return 1
                fi
                AA64_DIRS+=("$dir")
                AA64_VERSIONS+=("$version")
        done
}

# aa64_deb_unpack SPEC ARCH VERSION: a package that is not arm64, cached
# under $AA64_CACHE; prints its directory.
aa64_deb_unpack() {
        local spec=$1 arch=$2 version=$3 name=${1%%:*} dir deb tmp
        dir=$AA64_CACHE/root/${name}_${version//:/%3a}_$arch
        if [ ! -f "$dir/.unpacked" ]; then
                mkdir -p "$AA64_CACHE/debs"
                deb=$AA64_CACHE/debs/${name}_${version//:/%3a}_$arch.deb
                if [ ! -f "$deb" ]; then
                        echo "aavmf: downloading $spec $version" >&2
                        tmp=$(mktemp -d "$AA64_CACHE/debs/.dl.XXXXXX")
                        chown _apt "$tmp" 2>/dev/null || true # apt drops root for the download
                        (cd "$tmp" && apt-get download -qq "$spec=$version" >/dev/null 2>&1) || true
                        if ! mv "$tmp"/*.deb "$deb" 2>/dev/null; then
                                rm -rf "$tmp"
                                echo "aavmf: apt-get download $spec=$version failed" >&2
                                return 1
                        fi
                        rm -rf "$tmp"
                fi
                rm -rf "$dir" "$dir.tmp"
                mkdir -p "$AA64_CACHE/root"
                dpkg-deb -x "$deb" "$dir.tmp" && touch "$dir.tmp/.unpacked" && mv "$dir.tmp" "$dir" ||
                        { rm -rf "$dir.tmp"; echo "aavmf: cannot unpack $deb" >&2; return 1; }
        fi
        echo "$dir"
}
