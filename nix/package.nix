# keel (build/keel and the EFI binary of the host platform: keelx64.efi on
# x86_64-linux, keelaa64.efi on aarch64-linux) as a nixpkgs package, for
# `pkgs.callPackage ./package.nix { }` (default.nix and flake.nix do that).
# The EFI binary is built with the platform's own compiler, binutils and
# gnu-efi (the Debian build cross-compiles keelaa64.efi instead); it lands in
# lib/keel/, where `keel install` and `keel uki build` look for it.
{ lib, stdenv, binutils, gnu-efi, openssl, json_c }:

let
  keelLib = import ./lib.nix;
  system = stdenv.hostPlatform.system;
  efi = keelLib.efiFor system;
in
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

  # The Makefile expects Debian's gnu-efi paths and, for aarch64, its cross
  # toolchain and gnu-efi:arm64 in the build tree; point it at nixpkgs'
  # instead. Only the host platform's EFI binary.
  makeFlags = (if efi.arch == "x86_64" then [
    "EFI_INC=${gnu-efi}/include/efi"
    "EFI_LIB=${gnu-efi}/lib"
  ] else [
    "EFI_CC_aarch64=${stdenv.cc.targetPrefix}cc"
    "EFI_TOOLS_aarch64=${stdenv.cc.targetPrefix}"
    "EFI_INC_aarch64=${gnu-efi}/include/efi"
    "EFI_LIB_aarch64=${gnu-efi}/lib"
  ]) ++ [ "EFI_ARCHS=${efi.arch}" "all" ];
  # The deps-* checks look for Debian's header paths.
  preBuild = ''
    substituteInPlace Makefile \
      --replace "/usr/include/openssl/evp.h" "${openssl.dev}/include/openssl/evp.h" \
      --replace "/usr/include/json-c/json.h" "${json_c.dev}/include/json-c/json.h"
  '';

  installPhase = ''
    install -Dm644 build/${efi.file} $out/lib/keel/${efi.file}
    install -Dm755 build/keel $out/bin/keel
    # Next to the binary too, as in the build tree (build/keel, build/keelx64.efi).
    ln -s $out/lib/keel/${efi.file} $out/bin/${efi.file}
  '';

  meta = {
    description = "Minimal UEFI boot stub and loader with host tools to pack, sign and measure boot images";
    license = lib.licenses.mit;
    platforms = keelLib.efiSystems;
    mainProgram = "keel";
  };
}
