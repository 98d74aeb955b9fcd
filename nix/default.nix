# Builds keel (build/keel and build/keelx64.efi or keelaa64.efi) with Nix, without flakes:
#   nix-build nix/
# The NixOS module is nix/module.nix (see nix/README-section.md); with
# flakes, flake.nix offers both.
{ pkgs ? import <nixpkgs> { } }:

pkgs.callPackage ./package.nix { }
