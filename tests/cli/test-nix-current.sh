#!/bin/bash
# The evaluations of test-nix.sh — every .nix file parses; nix/lib.nix
# (loader.conf, the keel install arguments, the hook); nix/module.nix and
# nix/package.nix against their stand-ins: the options, every assertion,
# the hook text, no removed option read, no unit NixOS already ships — with
# a current Nix: Debian 13's nix-bin (2.26; nixpkgs needs Nix 2.18 or
# later, Debian 12's is 2.8), in a trixie tree that scripts/debian-suite
# builds once and caches by version. Never installed on the host: the
# host's test-nix.sh finds this Nix's nix-instantiate first on its PATH, a
# wrapper that runs it in the tree with the checkout and /tmp bound at
# their own paths (no store: only --eval and --parse are asked of it).
# Usage: tests/cli/test-nix-current.sh BUILD_DIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
need_build "${1:-}"

tree=$("$root/scripts/debian-suite" "$BUILD" trixie chroot nix nix-bin | tail -n 1)
[ -x "$tree/usr/bin/nix-instantiate" ] || { echo "FAIL no nix-instantiate in the trixie tree '$tree'"; exit 1; }
T=$(mktemp -d /tmp/keel-test-nix-current.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/bin"
cat >"$T/bin/nix-instantiate" <<EOF
#!/bin/sh
exec '$root/scripts/debian-suite' '$BUILD' trixie run '$tree' --bind '$root:$root' --bind /tmp:/tmp -- \\
        /usr/bin/nix-instantiate --store dummy:// "\$@"
EOF
chmod +x "$T/bin/nix-instantiate"

version=$(PATH=$T/bin:$PATH nix-instantiate --version)
check "the trixie tree's Nix is the one evaluating ($version)" grep -qE '^nix-instantiate \(Nix\) 2\.(1[89]|[2-9][0-9])\.' <<<"$version"
check "... and the host's is older (test-nix.sh's other run: $(nix-instantiate --version 2>&1))" \
        bash -c '[ "$(nix-instantiate --version 2>&1)" != "$1" ]' _ "$version"
PATH=$T/bin:$PATH TEST_NIX_EVAL_ONLY=1 "$here/test-nix.sh" "$BUILD" >"$T/out" 2>&1
rc=$?
sed 's/^/  nix 2.26: /' "$T/out"
evaluated=$(sed -n 's/^\([0-9]*\) passed, 0 failed$/\1/p' "$T/out")
check "test-nix.sh's evaluations pass with $version (${evaluated:-?} checks)" \
        bash -c '[ "$1" = 0 ] && [ "${2:-0}" -ge 60 ]' _ "$rc" "$evaluated"
summary
