# NixOS module: keel as the system's boot loader.
#
#   boot.loader.keel.enable = true;
#
# Every generation of the system profile becomes one UKI on the ESP
# (\EFI\Linux\nixos-generation-N.efi, one more per specialisation), built and
# optionally signed by `keel install`, with the keel loader of the system's
# platform as the removable-media loader: keelx64.efi as
# \EFI\BOOT\BOOTX64.EFI on x86_64-linux, keelaa64.efi as
# \EFI\BOOT\BOOTAA64.EFI on aarch64-linux. NixOS runs the install hook
# (boot.loader.external) on every `nixos-rebuild switch|boot` and on
# `nixos-install`.
#
# What is a plain function of the options (loader.conf text, the
# `keel install` command lines, the hook script) lives in ./lib.nix, which
# tests/cli/test-nix.sh evaluates and runs without nixpkgs.
{ config, lib, pkgs, ... }:

let
  cfg = config.boot.loader.keel;
  efi = config.boot.loader.efi;
  keelLib = import ./lib.nix;

  # keel's own defaults where NixOS has a say: the menu timeout NixOS
  # configures for every loader (null there means "wait for a key"), and no
  # command-line editor, which would let anyone at the console boot
  # init=/bin/sh (systemd-boot keeps it on for compatibility; keel is
  # server-first).
  defaultSettings = {
    timeout = if config.boot.loader.timeout == null then "menu-force" else config.boot.loader.timeout;
    editor = false;
  };
  settings = defaultSettings // cfg.settings;

  espMountPoints = [ efi.efiSysMountPoint ] ++ cfg.extraEfiSysMountPoints;

  # The package's EFI binary for this platform, named to `keel install`
  # (which takes the removable path from its PE Machine): the loader then
  # matches the system even if a generation's boot.json says otherwise
  # (such a generation is skipped). Only read once the assertion below
  # has passed.
  system = pkgs.stdenv.hostPlatform.system;
  efiSupported = keelLib.efiBinaries ? ${system};
  stub = "${cfg.package}/lib/keel/${(keelLib.efiFor system).file}";

  # The key set of keysDirectory signs (and is made, and enrolled) only
  # when one of the automatic options asks for it.
  autoKeys = cfg.secureBoot.autoGenerateKeys.enable || cfg.secureBoot.autoEnrollKeys.enable;

  installHook = pkgs.writeShellScript "keel-install-hook" (keelLib.installHookScript {
    keel = lib.getExe cfg.package;
    inherit espMountPoints;
    xbootldr = cfg.xbootldrMountPoint;
    loaderConfText = keelLib.renderLoaderConf settings;
    settingsHaveDefault = (settings.default or null) != null;
    findmnt = "${pkgs.util-linuxMinimal}/bin/findmnt";
    path = lib.makeBinPath [ pkgs.coreutils ];
    inherit (cfg) configurationLimit layout sortKey;
    tries = cfg.bootCounting.tries;
    privateKeyFile = cfg.secureBoot.privateKeyFile;
    certificateFile = cfg.secureBoot.certificateFile;
    keysDirectory = if autoKeys then cfg.secureBoot.keysDirectory else null;
    createKeys = cfg.secureBoot.autoGenerateKeys.enable;
    enrollKeys = cfg.secureBoot.autoEnrollKeys.enable;
    enrollDbCertificates = if cfg.secureBoot.autoEnrollKeys.enable then cfg.secureBoot.autoEnrollKeys.extraDbCertificates else [ ];
    pcrPrivateKeyFile = cfg.measuredBoot.pcrPrivateKeyFile;
    pcrPublicKeyFile = cfg.measuredBoot.pcrPublicKeyFile;
    pcrBanks = cfg.measuredBoot.pcrBanks;
    signInitrdPcrs = cfg.measuredBoot.signInitrdPcrs;
    inherit stub;
    # As for systemd-boot: keel's Boot#### only when NixOS may write NVRAM.
    inherit (efi) canTouchEfiVariables;
    inherit (cfg) extraFiles;
    extraEntries = lib.mapAttrs (name: text: pkgs.writeText "keel-entry-${name}" text) cfg.extraEntries;
  });

  # A key given as a Nix path would be copied into the world-readable store;
  # the options are strings, and a string naming a store path is refused too.
  notInStore = name: value: {
    assertion = value == null || !(lib.hasPrefix builtins.storeDir (toString value));
    message = "boot.loader.keel.${name} = \"${toString value}\" is in the Nix store, which every user can read: keep keys outside it";
  };
  absolute = name: value: {
    assertion = value == null || lib.hasPrefix "/" value;
    message = "${name} = \"${toString value}\" must be an absolute path";
  };
  # A file path or a PKCS#11 URI (RFC 7512), as `keel install --key` takes.
  keyType = lib.types.nullOr lib.types.str;
in
{
  options.boot.loader.keel = {
    enable = lib.mkEnableOption "the keel boot loader: one UKI per generation, installed by `keel install`";

    package = lib.mkOption {
      type = lib.types.package;
      default = pkgs.callPackage ./package.nix { };
      defaultText = lib.literalExpression "pkgs.callPackage <keel>/nix/package.nix { }";
      description = "The keel package (its `bin/keel` and `lib/keel/keelx64.efi` or `lib/keel/keelaa64.efi`).";
    };

    configurationLimit = lib.mkOption {
      type = lib.types.nullOr lib.types.ints.positive;
      default = null;
      example = 10;
      description = ''
        How many of the newest generations keep a boot entry on the ESP.
        The booted generation and the last one known good stay as well.
        `null` keeps every generation that has not been garbage collected.
      '';
    };

    bootCounting.tries = lib.mkOption {
      type = lib.types.nullOr lib.types.ints.positive;
      default = null;
      example = 3;
      description = ''
        Boot counting (Boot Loader Specification counters): a new entry gets
        this many tries; one that does not reach `boot-complete.target` in
        as many boots is passed over and the next one boots unattended.
        `null` turns counting off. Order the units that must work before
        `boot-complete.target` (`wantedBy`/`before`).
      '';
    };

    secureBoot = {
      privateKeyFile = lib.mkOption {
        type = keyType;
        default = null;
        example = "/var/lib/keel/db.key";
        description = ''
          Key that signs the UKIs and the loader (db key), as a path outside
          the Nix store or a PKCS#11 URI (`pkcs11:token=...;object=...`).
          `null`: nothing is signed.
        '';
      };
      certificateFile = lib.mkOption {
        type = keyType;
        default = null;
        example = "/var/lib/keel/db.crt";
        description = "Certificate of `privateKeyFile` (a path or a PKCS#11 URI).";
      };
      keysDirectory = lib.mkOption {
        type = lib.types.str;
        default = "/var/lib/keel/keys";
        description = ''
          The key set (`keel keys create`: PK, KEK and db keys, certificates
          and `.auth` files) that `autoGenerateKeys` makes and
          `autoEnrollKeys` enrolls; the UKIs and the loader are signed with
          its db key. Outside the Nix store (asserted): it holds private keys.
          Only used when one of those two options is on.
        '';
      };
      autoGenerateKeys.enable = lib.mkOption {
        type = lib.types.bool;
        default = false;
        description = ''
          Create the key set in `keysDirectory` on the first switch when it
          holds none (`keel install --create-keys`): mode 0700, private keys
          0600, built aside and renamed into place, never overwritten. A
          partial set fails the switch with one line.
        '';
      };
      autoEnrollKeys.enable = lib.mkOption {
        type = lib.types.bool;
        default = false;
        description = ''
          While the firmware is in Setup Mode, stage the set's `.auth` files
          in `\loader\keys\auto` and turn on `secure-boot-enroll force` in
          loader.conf (unless `settings` set `secure-boot-enroll`): on the
          next boot the keel loader enrolls db, KEK and PK and resets
          (`secure-boot-enroll-action`), and from then on Secure Boot is on
          with only this set's certificate in db. Once out of Setup Mode the
          next switch removes the staged files.

          WARNING: db then holds no Microsoft certificate. On hardware whose
          GPU, network or storage option ROMs are signed by Microsoft's UEFI
          CA these no longer load: no display, no network boot, possibly no
          boot at all (a soft brick, recovered only by clearing the keys in
          the firmware setup, if it can still be reached). Enable it only on
          virtual machines and on hardware known to need no option ROMs, or
          list the certificates they need in `extraDbCertificates`.
        '';
      };
      autoEnrollKeys.extraDbCertificates = lib.mkOption {
        type = lib.types.listOf (lib.types.either lib.types.path lib.types.str);
        default = [ ];
        example = lib.literalExpression ''[ ./MicCorUEFCA2011_2011-06-27.crt ./microsoft-uefi-ca-2023.crt ]'';
        description = ''
          More certificates (PEM or DER files; public, so store paths are
          fine) enrolled in db beside the key set's own, e.g. Microsoft's
          UEFI CA 2011 and 2023 that sign option ROMs
          (`keel install --enroll-db-cert`). keel ships none of them.
        '';
      };
    };

    measuredBoot = {
      pcrPrivateKeyFile = lib.mkOption {
        type = keyType;
        default = null;
        example = "/var/lib/keel/tpm2-pcr-private.pem";
        description = ''
          Key that signs each UKI's PCR 11 policy (`.pcrsig`), so that
          disks enrolled with `systemd-cryptenroll --tpm2-public-key=...`
          unlock on every generation it signed. A path or a PKCS#11 URI.
        '';
      };
      pcrPublicKeyFile = lib.mkOption {
        type = keyType;
        default = null;
        description = ''
          Public key embedded as `.pcrpkey`; `null` lets keel derive it from
          `pcrPrivateKeyFile`.
        '';
      };
      pcrBanks = lib.mkOption {
        type = lib.types.nullOr (lib.types.listOf (lib.types.enum [ "sha1" "sha256" "sha384" "sha512" ]));
        default = null;
        example = [ "sha256" "sha384" ];
        description = ''
          PCR banks the `.pcrsig` signs (ukify's `--pcr-banks`); `null`:
          all four.
        '';
      };
      signInitrdPcrs = lib.mkOption {
        type = lib.types.bool;
        default = false;
        description = ''
          Also sign the phase `enter-initrd` under the policy reference
          `initrd`, as ukify 262 `--sign-initrd-pcrs` does: for
          systemd-tpm2-setup's NvPCRs and disks enrolled with
          `systemd-cryptenroll --tpm2-public-key-policyref=initrd`, which
          then open only in the initrd.
        '';
      };
    };

    settings = lib.mkOption {
      type = lib.types.attrsOf (lib.types.nullOr (lib.types.oneOf [ lib.types.bool lib.types.int lib.types.str ]));
      default = { };
      example = { timeout = 3; console-mode = "max"; keel-watchdog-sec = 120; editor = null; };
      description = ''
        loader.conf, one `key value` line per attribute (booleans as
        `yes`/`no`, `null` leaves the key out). Merged over
        `{ timeout = config.boot.loader.timeout; editor = false; }`.
        Without a `default`, the profile's current generation is the
        default entry.
      '';
    };

    sortKey = lib.mkOption {
      type = lib.types.str;
      default = "nixos";
      description = "Sort key of the NixOS entries, which places them among other entries on the ESP.";
    };

    layout = lib.mkOption {
      type = lib.types.enum [ "thin" "fat" ];
      default = "thin";
      description = ''
        `thin`: each UKI names its kernel and initrd by SHA-256 and
        generations share one copy of each on the ESP (the stub checks
        the hash before it uses them). `fat`: each UKI carries its own.
      '';
    };

    xbootldrMountPoint = lib.mkOption {
      type = lib.types.nullOr lib.types.str;
      default = null;
      example = "/boot";
      description = "Where an XBOOTLDR partition is mounted; the UKIs then go there instead of the ESP.";
    };

    extraFiles = lib.mkOption {
      type = lib.types.attrsOf lib.types.path;
      default = { };
      example = lib.literalExpression ''{ "efi/memtest86/memtest.efi" = "''${pkgs.memtest86plus}/memtest.efi"; }'';
      description = ''
        Files to put on each ESP, as systemd-boot's `extraFiles`: the
        destination relative to the ESP's root (not one of keel's own
        paths: `EFI/keel`, `EFI/BOOT/BOOT*.EFI`, generation entries in
        `EFI/Linux`, `loader/loader.conf`, `loader/entries`) -> the file.
        keel records what it wrote (`EFI/keel/extra-files`) and removes a
        file once it is no longer listed, unless it was changed on the ESP
        since.
      '';
    };

    extraEntries = lib.mkOption {
      type = lib.types.attrsOf lib.types.lines;
      default = { };
      example = lib.literalExpression ''
        { "memtest86.conf" = '''
            title Memtest86+
            efi /efi/memtest86/memtest.efi
          '''; }'';
      description = ''
        Boot Loader Specification Type #1 entries to put in
        `loader/entries` of each ESP, as systemd-boot's `extraEntries`:
        file name (ending in `.conf`) -> the entry. Each must name one
        `linux`, `efi` or `uki` and have only keys keel knows; removed like
        `extraFiles`.
      '';
    };

    extraEfiSysMountPoints = lib.mkOption {
      type = lib.types.listOf lib.types.str;
      default = [ ];
      example = [ "/boot2" ];
      description = "More ESPs (for example on mirrored disks) that get the same installation.";
    };
  };

  config = lib.mkIf cfg.enable {
    assertions = [
      {
        assertion = !config.boot.loader.systemd-boot.enable;
        message = "boot.loader.keel and boot.loader.systemd-boot cannot both be enabled";
      }
      {
        assertion = !config.boot.loader.grub.enable;
        message = "boot.loader.keel and boot.loader.grub cannot both be enabled";
      }
      {
        assertion = !(config.boot.lanzaboote.enable or false);
        message = "boot.loader.keel and boot.lanzaboote cannot both be enabled";
      }
      {
        assertion = efiSupported;
        message = "boot.loader.keel: keel boots ${lib.concatStringsSep " and " keelLib.efiSystems} only, not ${system}";
      }
      {
        assertion = (cfg.secureBoot.privateKeyFile == null) == (cfg.secureBoot.certificateFile == null);
        message = "boot.loader.keel.secureBoot: set both privateKeyFile and certificateFile, or neither";
      }
      {
        assertion = cfg.measuredBoot.pcrPublicKeyFile == null || cfg.measuredBoot.pcrPrivateKeyFile != null;
        message = "boot.loader.keel.measuredBoot.pcrPublicKeyFile needs pcrPrivateKeyFile";
      }
      {
        assertion = (cfg.measuredBoot.pcrBanks == null && !cfg.measuredBoot.signInitrdPcrs)
          || cfg.measuredBoot.pcrPrivateKeyFile != null;
        message = "boot.loader.keel.measuredBoot.pcrBanks and signInitrdPcrs need pcrPrivateKeyFile";
      }
      {
        assertion = cfg.xbootldrMountPoint == null || !(lib.elem cfg.xbootldrMountPoint espMountPoints);
        message = "boot.loader.keel.xbootldrMountPoint must not be an ESP mount point";
      }
      {
        assertion = lib.length (lib.unique espMountPoints) == lib.length espMountPoints;
        message = "boot.loader.keel.extraEfiSysMountPoints repeats an ESP";
      }
      (absolute "boot.loader.efi.efiSysMountPoint" efi.efiSysMountPoint)
      (absolute "boot.loader.keel.xbootldrMountPoint" cfg.xbootldrMountPoint)
      (notInStore "secureBoot.privateKeyFile" cfg.secureBoot.privateKeyFile)
      (notInStore "secureBoot.keysDirectory" (if autoKeys then cfg.secureBoot.keysDirectory else null))
      (absolute "boot.loader.keel.secureBoot.keysDirectory" (if autoKeys then cfg.secureBoot.keysDirectory else null))
      {
        assertion = !autoKeys || cfg.secureBoot.privateKeyFile == null;
        message = "boot.loader.keel.secureBoot: autoGenerateKeys and autoEnrollKeys sign with keysDirectory's db key; unset privateKeyFile and certificateFile";
      }
      (notInStore "measuredBoot.pcrPrivateKeyFile" cfg.measuredBoot.pcrPrivateKeyFile)
    ] ++ map (absolute "boot.loader.keel.extraEfiSysMountPoints") cfg.extraEfiSysMountPoints;

    boot.loader.external = {
      enable = true;
      installHook = installHook;
    };
    # keel install runs a generation's initrdSecrets program on a private
    # copy of its initrd. As with systemd-boot, the secrets then sit on the
    # ESP, which is not encrypted: anyone with the disk can read them.
    boot.loader.supportsInitrdSecrets = true;

    system.boot.loader.id = "keel";
    # The UKI stub starts the kernel through its EFI stub.
    system.requiredKernelConfig = with config.lib.kernelConfig; [ (isYes "EFI_STUB") ];

    # `keel bless`, `keel entries` on the running system.
    environment.systemPackages = [ cfg.package ];

    # Counted boots are settled by systemd-bless-boot once
    # boot-complete.target is reached (its generator pulls the service in
    # when the loader set LoaderBootCountPath). NixOS ships these units by
    # default since 25.11 (nixpkgs PR #436893); before that only when
    # asked, and asking again there would list each unit twice.
    systemd.additionalUpstreamSystemUnits = lib.mkIf
      (cfg.bootCounting.tries != null && lib.versionOlder lib.trivial.release "25.11") [
      "systemd-bless-boot.service"
      "boot-complete.target"
    ];
  };
}
