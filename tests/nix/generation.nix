# A NixOS-shaped system generation built in the real Nix store without
# nixpkgs: what `keel install` reads of a toplevel (boot.json, bootspec RFC
# 0125) and the store paths it names. tests/cli/test-nix.sh builds three:
#   nix-build tests/nix/generation.nix --argstr n 3 --argstr kernel /boot/vmlinuz-... \
#       --arg specialisations '[ "serial" ]'
# and, for the module's aarch64 install, generations whose boot.json says
# aarch64-linux (--argstr bootSystem aarch64-linux) around an arm64 PE image.
# Builders are /bin/sh with the host's tools (sandbox = false), so this
# needs no package from anywhere.
{ n
, kernel                 # a kernel image file on the host (copied into the store)
, specialisations ? [ ]  # names; each becomes a specialisation with its own kernelParams
, initrdSecrets ? false  # give the generation an initrdSecrets program
, bootSystem ? builtins.currentSystem  # boot.json's `system`
}:

let
  system = builtins.currentSystem;
  mk = name: script: extra: builtins.derivation ({
    inherit name system;
    builder = "/bin/sh";
    args = [ "-eu" "-c" script ];
    PATH = "/usr/bin:/bin";
  } // extra);

  # As in NixOS: a kernel package holding bzImage, an initrd package
  # holding initrd; both shared by every generation (thin UKIs then share
  # one copy of each on the ESP).
  kernelPkg = mk "linux-keel-test" ''mkdir "$out"; cp "$image" "$out/bzImage"'' {
    image = builtins.path { path = kernel; name = "vmlinuz"; };
  };
  initrdPkg = mk "initrd-keel-test" ''
    mkdir -p "$out" "$TMPDIR/root/etc"
    echo keel-test-initrd >"$TMPDIR/root/etc/initrd-release"
    cd "$TMPDIR/root"
    find . | LC_ALL=C sort | cpio --quiet -o -H newc --reproducible >"$out/initrd"
  '' { };
  # An initrdSecrets program appends a cpio with one file to the initrd
  # copy it is given, as NixOS's append-initrd-secrets does; reproducibly,
  # so that a second `keel install` can be seen to write nothing.
  secretsPkg = mk "append-initrd-secrets-keel-test" ''
    mkdir -p "$out/bin"
    cat >"$out/bin/append-initrd-secrets" <<'SCRIPT'
    #!/bin/sh
    set -eu
    d=$(mktemp -d)
    mkdir "$d/secrets"
    echo keel-test-secret >"$d/secrets/key"
    touch -d @0 "$d/secrets/key" "$d/secrets"   # the same bytes on every run
    (cd "$d" && find secrets | LC_ALL=C sort | cpio --quiet -o -H newc --reproducible) >>"$1"
    rm -r "$d"
    SCRIPT
    chmod 555 "$out/bin/append-initrd-secrets"
  '' { };

  json = builtins.toJSON;

  # The toplevel: init, kernel, initrd links and boot.json naming them by
  # store path. $out is only known inside the builder, hence the @OUT@.
  toplevel = { name, label, params, specs ? { } }:
    let
      doc = {
        system = bootSystem;
        init = "@OUT@/init";
        initrd = "${initrdPkg}/initrd";
        kernel = "${kernelPkg}/bzImage";
        kernelParams = params;
        label = label;
        toplevel = "@OUT@";
      } // (if initrdSecrets then { initrdSecrets = "${secretsPkg}/bin/append-initrd-secrets"; } else { });
    in
    mk name ''
      mkdir -p "$out/specialisation"
      printf '#!/bin/sh\necho "keel test system %s"\n' "$label" >"$out/init"
      chmod 555 "$out/init"
      ln -s "$kernelPkg/bzImage" "$out/kernel"
      ln -s "$initrdPkg/initrd" "$out/initrd"
      echo "$params" >"$out/kernel-params"
      {
        printf '{"org.nixos.bootspec.v1": %s' "$(printf '%s' "$doc" | sed "s|@OUT@|$out|g")"
        printf ', "org.nixos.specialisation.v1": {'
        sep=
        for s in $specNames; do
          ln -s "$(eval echo "\$spec_$s")" "$out/specialisation/$s"
          printf '%s"%s": ' "$sep" "$s"
          cat "$out/specialisation/$s/boot.json"
          sep=', '
        done
        printf '}}\n'
      } >"$out/boot.json"
    '' ({
      inherit label kernelPkg initrdPkg;
      params = builtins.concatStringsSep " " params;
      doc = json doc;
      specNames = builtins.concatStringsSep " " (builtins.attrNames specs);
    } // builtins.listToAttrs (map (s: { name = "spec_${s}"; value = specs.${s}; }) (builtins.attrNames specs)));

  ns = toString n;
  baseParams = [ "console=ttyS0" "keel.test.generation=${ns}" ];
in
toplevel {
  name = "nixos-system-keel-test-${ns}";
  label = "NixOS test ${ns}";
  params = baseParams;
  specs = builtins.listToAttrs (map
    (s: {
      name = s;
      value = toplevel {
        name = "nixos-system-keel-test-${ns}-${s}";
        label = "NixOS test ${ns} (${s})";
        params = baseParams ++ [ "keel.test.specialisation=${s}" ];
      };
    })
    specialisations);
}
