# Evaluates nix/package.nix without nixpkgs: stdenv.mkDerivation returns
# its arguments, the inputs are stand-in store paths (gnu-efi one that the
# caller may point at a real tree laid out as nixpkgs' is: include/efi,
# lib). tests/cli/test-nix.sh reads the make flags, the install phase and
# the platforms, runs that make and that install phase on the repository.
# `system` is stdenv.hostPlatform.system; `targetPrefix` stdenv.cc's (empty
# in a native build; a pkgsCross build has one, which is how the test
# builds keelaa64.efi here).
{ system ? "x86_64-linux", targetPrefix ? "", gnu-efi ? "/nix/store/33333333333333333333333333333333-gnu-efi" }:
let
  b = builtins;
  lib = {
    cleanSource = src: src;
    cleanSourceWith = { src, filter }: src;
    removePrefix = p: s: s;
    hasPrefix = p: s: b.substring 0 (b.stringLength p) s == p;
    licenses.mit = "mit";
  };
  stdenv = {
    hostPlatform.system = system;
    cc.targetPrefix = targetPrefix;
    mkDerivation = args: args;
  };
  drv = import ../../nix/package.nix {
    inherit lib stdenv gnu-efi;
    binutils = "/nix/store/44444444444444444444444444444444-binutils";
    openssl = { dev = "/nix/store/55555555555555555555555555555555-openssl-dev"; };
    json_c = { dev = "/nix/store/66666666666666666666666666666666-json-c-dev"; };
  };
in
{
  inherit (drv) makeFlags installPhase;
  platforms = drv.meta.platforms;
}
