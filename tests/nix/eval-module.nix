# Evaluates nix/module.nix without nixpkgs, against stand-ins for the few
# parts of `lib`, `pkgs` and the NixOS module system it uses: options are
# taken at their defaults (with `set` over them, as a configuration would),
# mkIf/mkDefault are unwrapped. Not a NixOS evaluation (no type checks, no
# merging with other modules), but it runs every expression of the module's
# config against its own options, so a misspelt option, a wrong argument to
# nix/lib.nix or a broken assertion shows. `release` is nixpkgs'
# lib.trivial.release; `system` pkgs.stdenv.hostPlatform.system; `pkgsOver`
# replaces stand-in packages (the package, findmnt, coreutils) with real
# paths for a run of the hook. tests/cli/test-nix.sh reads:
#   hook        the install hook's text
#   failed      messages of the assertions that fail
#   options     the option names, dotted
#   external, loaderId, initrdSecrets, blessUnits
{ set ? { }, loader ? { }, boot ? { }, release ? "26.11", system ? "x86_64-linux", pkgsOver ? { } }:
let
  b = builtins;
  mkOption = o: o // { _option = true; };
  isOption = v: b.isAttrs v && v ? _option;
  lib = rec {
    inherit mkOption;
    mkEnableOption = d: mkOption { default = false; description = d; };
    literalExpression = t: t;
    mkIf = cond: content: { _if = cond; inherit content; };
    mkDefault = v: v;
    types = rec {
      str = "str"; bool = "bool"; int = "int"; package = "package"; path = "path"; lines = "lines";
      ints.positive = "positive";
      nullOr = t: "nullOr ${t}"; listOf = t: "listOf ${t}"; attrsOf = t: "attrsOf ${t}";
      oneOf = ts: "oneOf"; enum = vs: "enum"; either = a: b: "either";
    };
    getExe = p: "${p}/bin/${p.meta.mainProgram}";
    makeBinPath = ps: b.concatStringsSep ":" (map (p: "${p}/bin") ps);
    hasPrefix = p: s: b.substring 0 (b.stringLength p) s == p;
    inherit (b) elem length concatStringsSep mapAttrs;
    trivial = { inherit release; };
    versionOlder = v1: v2: b.compareVersions v1 v2 < 0;
    unique = l: b.foldl' (acc: x: if b.elem x acc then acc else acc ++ [ x ]) [ ] l;
  };
  pkgs = {
    callPackage = _: _: { outPath = "/nix/store/00000000000000000000000000000000-keel-0.1"; meta.mainProgram = "keel"; };
    writeShellScript = name: text: { inherit name text; };
    writeText = name: text: { outPath = "/nix/store/33333333333333333333333333333333-${name}"; inherit name text; };
    util-linuxMinimal = "/nix/store/11111111111111111111111111111111-util-linux-minimal";
    coreutils = "/nix/store/22222222222222222222222222222222-coreutils";
    stdenv.hostPlatform = { inherit system; isx86_64 = system == "x86_64-linux"; };
  } // pkgsOver;
  # The options at their defaults, then `set` over them (one level of
  # nesting deeper for secureBoot, measuredBoot, bootCounting).
  defaults = opts: b.mapAttrs (n: v: if isOption v then v.default else defaults v) opts;
  merge = a: o: a // b.mapAttrs (n: v: if b.isAttrs v && b.isAttrs (a.${n} or null) && n != "settings" then merge a.${n} v else v) o;
  config0 = {
    boot.loader = {
      keel = merge (defaults module.options.boot.loader.keel) ({ enable = true; } // set);
      efi = { efiSysMountPoint = "/boot"; canTouchEfiVariables = false; }; # NixOS's defaults
      timeout = 5;
      systemd-boot.enable = false;
      grub.enable = false;
    } // loader;
    # Removed in NixOS 26.11 (bootspec is always on since 23.05): reading it
    # fails the evaluation, as nixpkgs' mkRemovedOptionModule makes it.
    boot.bootspec.enable = throw "The option `boot.bootspec.enable' can no longer be used since it's been removed.";
    lib.kernelConfig.isYes = o: "${o}=y";
  };
  config = config0 // { boot = config0.boot // boot; };
  module = import ../../nix/module.nix { inherit config lib pkgs; };
  c = module.config;
  names = prefix: opts: b.concatLists (b.attrValues (b.mapAttrs
    (n: v: if isOption v then [ "${prefix}${n}" ] else names "${prefix}${n}." v) opts));
in
assert c._if;
{
  hook = c.content.boot.loader.external.installHook.text;
  external = c.content.boot.loader.external.enable;
  loaderId = c.content.system.boot.loader.id;
  initrdSecrets = c.content.boot.loader.supportsInitrdSecrets;
  blessUnits = let u = c.content.systemd.additionalUpstreamSystemUnits; in if u._if then u.content else [ ];
  failed = map (a: a.message) (b.filter (a: !a.assertion) c.content.assertions);
  options = names "" module.options.boot.loader.keel;
}
