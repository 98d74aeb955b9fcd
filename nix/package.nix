# keel (build/keelx64.efi and build/keel) as a nixpkgs package, for
# `pkgs.callPackage ./package.nix { }` (default.nix and flake.nix do that).
# x86_64 only: the EFI binary is linked for x86_64 (linker/keel-x86_64.lds,
# crt0-efi-x86_64.o, only R_X86_64_RELATIVE relocations allowed).
{ lib, stdenv, binutils, gnu-efi, openssl, json_c }:

stdenv.mkDerivation {
  pname = "keel";
  version = "0.1";

  # The repository without its build directories (build/, build-*/) and
  # results, which can be large and would change the source hash.
  src = lib.cleanSourceWith {
    src = lib.cleanSource ../.;
    filter = path: type:
      let rel = lib.removePrefix (toString ../. + "/") (toString path);
      in !(type == "directory" && (rel == "build" || lib.hasPrefix "build-" rel)) && rel != "result";
  };

  nativeBuildInputs = [ binutils ];
  buildInputs = [ gnu-efi openssl json_c ];

  # The Makefile expects Debian's gnu-efi paths; point it at nixpkgs' instead.
  makeFlags = [
    "EFI_INC=${gnu-efi}/include/efi"
    "EFI_LIB=${gnu-efi}/lib"
    # keelx64.efi only: keelaa64.efi needs Debian's cross toolchain and gnu-efi:arm64.
    "EFI_ARCHS=x86_64"
    "all"
  ];
  # The deps-* checks look for Debian's header paths.
  preBuild = ''
    substituteInPlace Makefile \
      --replace "/usr/include/openssl/evp.h" "${openssl.dev}/include/openssl/evp.h" \
      --replace "/usr/include/json-c/json.h" "${json_c.dev}/include/json-c/json.h"
  '';

  installPhase = ''
    install -Dm644 build/keelx64.efi $out/lib/keel/keelx64.efi
    install -Dm755 build/keel $out/bin/keel
    # keel uki build finds its stub next to the binary by default.
    ln -s $out/lib/keel/keelx64.efi $out/bin/keelx64.efi
  '';

  meta = {
    description = "Minimal UEFI boot stub and loader with host tools to pack, sign and measure boot images";
    license = lib.licenses.mit;
    platforms = [ "x86_64-linux" ];
    mainProgram = "keel";
  };
}
