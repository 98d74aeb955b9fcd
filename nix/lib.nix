# The parts of the NixOS module that are plain functions of its options,
# written with builtins only so that `nix-instantiate --eval --strict` can
# check them without nixpkgs (tests/cli/test-nix.sh does):
#   renderLoaderConf  settings attrset -> loader.conf text
#   installArgs       module options   -> `keel install` arguments (extraEntries:
#                     name -> a file with the entry, which the module writes)
#   installHookScript module options   -> the body of the install hook
#   efiFor            Nix system       -> keel's EFI binary for it
let
  inherit (builtins)
    attrNames concatLists concatStringsSep elem filter isAttrs isBool isInt isList isString
    length map match replaceStrings throw toString typeOf;

  # A word for sh: '...' with every ' closed, escaped and reopened.
  shellQuote = s: "'" + replaceStrings [ "'" ] [ "'\\''" ] s + "'";

  # loader.conf keys are lower-case words joined by '-' (timeout,
  # console-mode, keel-watchdog-sec, ...); anything else would be a line the
  # loader warns about and ignores, so refuse it here, at build time.
  checkKey = k:
    if match "[a-z0-9]+(-[a-z0-9]+)*" k != null then k
    else throw "boot.loader.keel.settings: \"${k}\" is not a loader.conf key";

  # A value is one line of text; a line break would smuggle in another key.
  renderValue = k: v:
    if isBool v then (if v then "yes" else "no")
    else if isInt v then
      (if v < 0 then throw "boot.loader.keel.settings.${k}: ${toString v} is negative" else toString v)
    else if isString v then
      (if v == "" then throw "boot.loader.keel.settings.${k}: empty value (use null to leave the key out)"
       else if match "[^\n\r]*" v == null then throw "boot.loader.keel.settings.${k}: the value has a line break"
       else if match "[ \t].*|.*[ \t]" v != null then
         throw "boot.loader.keel.settings.${k}: leading or trailing blanks would be cut by the loader"
       else v)
    else throw "boot.loader.keel.settings.${k}: a ${typeOf v} is not a loader.conf value (bool, int, string or null)";

  # Keys in byte order (attrNames sorts), null values left out, one
  # "key value" line each, newline-terminated.
  renderLoaderConf = settings:
    let keys = filter (k: settings.${k} != null) (attrNames settings);
    in concatStringsSep "" (map (k: "${checkKey k} ${renderValue k settings.${k}}\n") keys);

  # The EFI binary keel builds for each system it boots: its EFI_ARCHS name
  # in the Makefile and its file name. The package builds the host's, the
  # module hands it to `keel install --stub`, which installs it under the
  # removable-media path of the stub's PE Machine (\EFI\BOOT\BOOTX64.EFI,
  # \EFI\BOOT\BOOTAA64.EFI: host-tools/core/arch.c).
  efiBinaries = {
    x86_64-linux = { arch = "x86_64"; file = "keelx64.efi"; };
    aarch64-linux = { arch = "aarch64"; file = "keelaa64.efi"; };
  };
  efiSystems = attrNames efiBinaries;
  efiFor = system: efiBinaries.${system}
    or (throw "keel boots ${concatStringsSep " and " efiSystems} only, not ${system}");

  opt = flag: v: if v == null then [ ] else [ flag (toString v) ];

  # --extra-file DEST=SRC / --extra-entry NAME.conf=SRC for each attribute,
  # in name order. keel takes DEST up to the first '=': a name with one
  # would be cut there, so it is refused here. What else a name may be
  # (relative, none of keel's own paths, NAME.conf a plain file name) keel
  # install checks, failing the switch with one line.
  extraArgs = flag: what: files: concatLists (map
    (name:
      if match "[^=]+" name == null then throw "${what}: \"${name}\" is empty or has a '='"
      else [ flag "${name}=${toString files.${name}}" ])
    (attrNames files));

  # The options of one `keel install` run, before --loader-conf, --booted and
  # the generations (the hook adds those at run time). configurationLimit
  # null means all generations, which keel spells 0.
  installArgs =
    { esp
    , xbootldr ? null
    , configurationLimit ? null
    , tries ? null
    , privateKeyFile ? null
    , certificateFile ? null
    , keysDirectory ? null
    , createKeys ? false
    , enrollKeys ? false
    , enrollDbCertificates ? [ ]
    , pcrPrivateKeyFile ? null
    , pcrPublicKeyFile ? null
    , pcrBanks ? null
    , signInitrdPcrs ? false
    , layout ? "thin"
    , sortKey ? "nixos"
    , stub ? null
    , extraFiles ? { }
    , extraEntries ? { }
    , canTouchEfiVariables ? true
    }:
    assert elem layout [ "thin" "fat" ] || throw "layout must be \"thin\" or \"fat\", not \"${layout}\"";
    assert (privateKeyFile == null) == (certificateFile == null)
      || throw "secure boot needs both privateKeyFile and certificateFile";
    assert keysDirectory == null || privateKeyFile == null
      || throw "keysDirectory signs with its own db key: not with privateKeyFile";
    assert (!createKeys && !enrollKeys) || keysDirectory != null
      || throw "createKeys and enrollKeys need keysDirectory";
    assert enrollDbCertificates == [ ] || enrollKeys
      || throw "enrollDbCertificates needs enrollKeys";
    assert pcrPublicKeyFile == null || pcrPrivateKeyFile != null
      || throw "pcrPublicKeyFile needs pcrPrivateKeyFile";
    assert (pcrBanks == null && !signInitrdPcrs) || pcrPrivateKeyFile != null
      || throw "pcrBanks and signInitrdPcrs need pcrPrivateKeyFile";
    assert pcrBanks == null || (isList pcrBanks && pcrBanks != [ ]
      && filter (b: !(elem b [ "sha1" "sha256" "sha384" "sha512" ])) pcrBanks == [ ])
      || throw "pcrBanks is a non-empty list of sha1, sha256, sha384, sha512";
    [ "--esp" esp ]
    ++ opt "--xbootldr" xbootldr
    ++ [ "--configuration-limit" (toString (if configurationLimit == null then 0 else configurationLimit)) ]
    ++ opt "--tries" tries
    ++ opt "--key" privateKeyFile
    ++ opt "--cert" certificateFile
    ++ opt "--keys-dir" keysDirectory
    ++ (if createKeys then [ "--create-keys" ] else [ ])
    ++ (if enrollKeys then [ "--enroll-keys" ] else [ ])
    ++ concatLists (map (c: [ "--enroll-db-cert" (toString c) ]) enrollDbCertificates)
    ++ opt "--pcr-private-key" pcrPrivateKeyFile
    ++ opt "--pcrpkey" pcrPublicKeyFile
    ++ (if pcrBanks == null then [ ] else [ "--pcr-banks" (concatStringsSep "," pcrBanks) ])
    ++ (if signInitrdPcrs then [ "--sign-initrd-pcrs" ] else [ ])
    ++ [ "--layout" layout "--sort-key" sortKey ]
    ++ opt "--stub" stub
    ++ (if canTouchEfiVariables then [ ] else [ "--no-boot-entry" ])
    ++ extraArgs "--extra-file" "extraFiles" extraFiles
    ++ extraArgs "--extra-entry" "extraEntries" extraEntries;

  # The install hook NixOS runs (boot.loader.external.installHook) after it
  # has made a new system-N-link, as `HOOK TOPLEVEL`. It installs every
  # generation of the system profile onto each ESP, so its result depends on
  # the profile, not on the argument.
  #
  # - loader.conf is the rendered settings plus, unless the settings name a
  #   default, "default nixos-generation-N.efi" for the profile's current
  #   generation N: after `nixos-rebuild boot --rollback` that is not the
  #   newest one, and the next boot must be the one just selected.
  # - --booted N (kept by GC whatever the limit): the generation whose
  #   system, or one of whose specialisations, is /run/booted-system; the
  #   newest such one, as several generations can hold the same system.
  #   This works whichever loader booted the system (systemd-boot's and
  #   GRUB's entry names mean nothing to keel). When nothing matches
  #   (nixos-install: the installer's system is not in the new profile)
  #   there is no --booted and keel install falls back to the loader's
  #   LoaderEntrySelected.
  # - each ESP must be a mount point when findmnt is given (an unmounted
  #   /boot would silently receive the files on the root file system).
  # The paths are parameters so that the test can point them at a scratch
  # tree; the module uses the defaults.
  installHookScript =
    { keel
    , espMountPoints
    , xbootldr ? null
    , loaderConfText ? ""
    , settingsHaveDefault ? false
    , profilesDir ? "/nix/var/nix/profiles"
    , bootedSystem ? "/run/booted-system"
    , findmnt ? null
    , path ? null
    , ...
    }@args:
    assert isList espMountPoints && espMountPoints != [ ] || throw "espMountPoints must be a non-empty list";
    let
      common = removeAttrs args [
        "keel" "espMountPoints" "xbootldr" "loaderConfText" "settingsHaveDefault" "profilesDir"
        "bootedSystem" "findmnt" "path"
      ];
      # Only the first ESP gets a firmware boot entry: each would put its own
      # first in BootOrder; the others boot through \EFI\BOOT\BOOT<ARCH>.EFI.
      argsFor = i: esp: installArgs (common // {
        inherit esp;
        xbootldr = if i == 0 then xbootldr else null;
        canTouchEfiVariables = i == 0 && (common.canTouchEfiVariables or true);
      });
      indexed = builtins.genList (i: { inherit i; esp = builtins.elemAt espMountPoints i; }) (length espMountPoints);
      mountCheck = dir:
        if findmnt == null || dir == null then ""
        else ''
          ${shellQuote findmnt} ${shellQuote dir} >/dev/null ||
                  die ${shellQuote "${dir} is not a mounted file system (see the boot.loader.efi and boot.loader.keel mount point options)"}
        '';
      runOne = { i, esp }: ''
        ${mountCheck esp}${mountCheck (if i == 0 then xbootldr else null)}${concatStringsSep " " (map shellQuote ([ keel "install" ] ++ argsFor i esp))} \
                --profiles "$profiles" --loader-conf "$conf" ''${booted:+--booted "$booted"} "$@"
      '';
    in
    ''
      set -eu
      ${if path == null then "" else "PATH=${shellQuote path}:$PATH; export PATH"}
      die() { echo "keel-install-hook: $1" >&2; exit 1; }
      profiles=${shellQuote profilesDir}

      generation_of() { # system-N-link or a path ending in it -> N
              n=''${1##*/}; n=''${n#system-}; n=''${n%-link}
              case $n in ""|*[!0-9]*) return 1 ;; esac
              echo "$n"
      }

      set -- "$profiles"/system-*-link
      [ -e "$1" ] || die "no generations in $profiles"

      conf=$(mktemp "''${TMPDIR:-/tmp}/keel-loader.conf.XXXXXX")
      trap 'rm -f "$conf"' EXIT
      printf '%s' ${shellQuote loaderConfText} >"$conf"
      ${if settingsHaveDefault then "" else ''
        if current=$(generation_of "$(readlink "$profiles/system")"); then
                echo "default nixos-generation-$current.efi" >>"$conf"
        fi
      ''}
      booted=
      if [ -e ${shellQuote bootedSystem} ]; then
              want=$(readlink -f ${shellQuote bootedSystem})
              best=-1
              for link in "$@"; do
                      n=$(generation_of "$link") || continue
                      for sys in "$link" "$link"/specialisation/*; do
                              [ -e "$sys" ] && [ "$(readlink -f "$sys")" = "$want" ] || continue
                              if [ "$n" -gt "$best" ]; then best=$n; booted=$n; fi
                      done
              done
      fi
      ${concatStringsSep "" (map runOne indexed)}'';
in
{
  inherit shellQuote renderLoaderConf installArgs installHookScript efiBinaries efiSystems efiFor;
}
