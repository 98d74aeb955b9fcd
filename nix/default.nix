# Builds keel (build/keelx64.efi and build/keel) with Nix.
#   nix-build nix/
# NixOS integration (installing keel as the system's boot loader, signing
# generations) is a later step.
{ pkgs ? import <nixpkgs> { } }:

pkgs.stdenv.mkDerivation {
  pname = "keel";
  version = "0.1";
  src = pkgs.lib.cleanSource ../.;

  nativeBuildInputs = [ pkgs.binutils ];
  buildInputs = [ pkgs.gnu-efi pkgs.openssl pkgs.json_c ];

  # The Makefile expects Debian's gnu-efi paths; point it at nixpkgs' instead.
  makeFlags = [
    "EFI_INC=${pkgs.gnu-efi}/include/efi"
    "EFI_LIB=${pkgs.gnu-efi}/lib"
    "all"
  ];
  # The deps-* checks look for Debian's header paths.
  preBuild = ''
    substituteInPlace Makefile \
      --replace "/usr/include/openssl/evp.h" "${pkgs.openssl.dev}/include/openssl/evp.h" \
      --replace "/usr/include/json-c/json.h" "${pkgs.json_c.dev}/include/json-c/json.h"
  '';

  installPhase = ''
    install -Dm644 build/keelx64.efi $out/lib/keel/keelx64.efi
    install -Dm755 build/keel $out/bin/keel
    # keel uki build finds its stub next to the binary by default.
    ln -s $out/lib/keel/keelx64.efi $out/bin/keelx64.efi
  '';

  meta = {
    description = "Minimal UEFI boot stub and loader with host tools to pack, sign and measure boot images";
    platforms = [ "x86_64-linux" ];
  };
}
