{
  description = "keel: a minimal UEFI boot stub and boot loader, its host tools, and a NixOS module that installs it";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs = { self, nixpkgs }:
    let
      # The systems keel has an EFI binary for (nix/lib.nix, nix/package.nix).
      systems = (import ./nix/lib.nix).efiSystems;
      forSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in
    {
      packages = forSystems (pkgs: rec {
        keel = pkgs.callPackage ./nix/package.nix { };
        default = keel;
      });

      overlays.default = final: prev: { keel = final.callPackage ./nix/package.nix { }; };

      # The module, with its package defaulting to this flake's build.
      nixosModules.keel = { lib, pkgs, ... }: {
        imports = [ ./nix/module.nix ];
        boot.loader.keel.package =
          lib.mkDefault (self.packages.${pkgs.stdenv.hostPlatform.system}.keel
            or (pkgs.callPackage ./nix/package.nix { }));
      };
      nixosModules.default = self.nixosModules.keel;
    };
}
