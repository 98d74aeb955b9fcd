#!/bin/bash
# `keel install` end to end, under Secure Boot (OVMF with the snakeoil keys
# enrolled): NixOS-shaped generations (the Debian kernel, the reporting
# initramfs) installed thin and signed with --tries 3, booted by the keel
# loader that keel install put in place.
#   A. generations 1-3: the newest (3) boots unattended and blesses itself;
#      PCR 11 is what `keel pcr predict` says for its installed thin UKI.
#   B. generation 4, whose initramfs panics, installed with --tries 3: tried
#      3 times, then generation 3 boots by itself in the same QEMU run.
#   C. a re-install with --configuration-limit 2 and the booted generation
#      from LoaderEntrySelected, stopped by a crash in the middle of its
#      GC: that ESP boots generation 3.
#   D. the completed re-install keeps 4 (newest) and 3 (booted, last good),
#      removes 1 and 2; the ESP boots 3.
#   E. loader.conf `default` naming generation 3's specialisation: it boots
#      with its own command line.
#   F. generation 5 with a kernel of its own, whose content file on the ESP
#      is then altered by one byte: its stub refuses it, the loader falls
#      back and generation 3 boots.
#   G. an extra file and an extra entry (--extra-file/--extra-entry, the
#      module's extraFiles/extraEntries): a signed EFI tool and the Type #1
#      entry that starts it; as loader.conf's default it starts under Secure
#      Boot; a re-install without them removes both.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
source "$(dirname "$0")/../sb-lib.sh"
source "$(dirname "$0")/../nixos-lib.sh"
WORK=$1
G=$WORK/nix
mkdir -p "$G/profiles" "$G/efivars"
export KEEL_EFIVARFS=$G/efivars TMPDIR=$WORK KEEL_CACHE_DIR=$WORK
mkdir -p "$G"
# keel install takes an unencrypted key (or a token); the snakeoil key is a
# published test key.
openssl pkey -in "$SNAKEOIL_KEY" -passin pass:snakeoil -out "$WORK/db.key"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/pcr.key" 2>/dev/null

# Generation 3's initramfs blesses the boot from inside (as
# systemd-bless-boot would); generation 4's panics.
cat >"$WORK/bless-scenario" <<'SCRIPT'
#!/bin/sh
mount -t vfat /dev/vda1 /efi || echo "BLESS-MOUNT-FAILED"
keel bless good && echo "BLESS-GOOD-DONE"
umount /efi
SCRIPT
INITRAMFS_MODULES="$ESP_MODULES" INITRAMFS_BINARIES="$KEEL" \
        build_initramfs "$WORK/blessing.cpio" "$WORK/bless-scenario" "$KEEL:/bin/keel"
mkdir -p "$WORK/panic/bin"
cat >"$WORK/panic/init" <<'SCRIPT'
#!/bin/busybox sh
/bin/busybox mount -t devtmpfs devtmpfs /dev
echo "GEN4-BOOTED" >/dev/ttyS1
exit 1
SCRIPT
chmod +x "$WORK/panic/init"
cp /bin/busybox "$WORK/panic/bin/"
(cd "$WORK/panic" && find . | cpio --create --format=newc --quiet) >"$WORK/panic.cpio"

mkgen() { nixos_gen "$G" "$@"; }
links() { nixos_links "$G" "$@"; }
mkgen 1 "$(shared_initramfs)"
mkgen 2 "$(shared_initramfs)"
mkgen 3 "$WORK/blessing.cpio" ', "org.nixos.specialisation.v1": {"debug": {"org.nixos.bootspec.v1":
  {"system": "x86_64-linux", "init": "/nix/store/keeltest-debug/init", "initrd": "'"$(shared_initramfs)"'",
   "kernel": "'"$(kernel_image)"'", "kernelParams": ["console=ttyS0", "loglevel=1", "panic=-1", "keel.test=gen3-debug"],
   "label": "NixOS keel test 3 (debug)", "toplevel": "/nix/store/keeltest-debug"}}}'
printf 'timeout 0\n' >"$WORK/loader.conf"

install_() {
        "$KEEL" install --no-boot-entry --stub "$KEEL_EFI" --key "$WORK/db.key" --cert "$SNAKEOIL_CERT" \
                --pcr-private-key "$WORK/pcr.key" --tries 3 --loader-conf "$WORK/loader.conf" "$@"
}
esp_files() { ls "$1/EFI/Linux" | sort | tr '\n' ' ' | sed 's/ $//'; }

echo "-- A: three generations installed thin and signed; the newest boots"
mkdir -p "$WORK/esp"
install_ --esp "$WORK/esp" $(links 1 2 3)
expect_eq "entries installed" "$(esp_files "$WORK/esp")" \
        "nixos-generation-1+3.efi nixos-generation-2+3.efi nixos-generation-3+3.efi nixos-generation-3-specialisation-debug+3.efi"
expect_true "thin: kernel stored once" test "$(ls "$WORK/esp/EFI/keel/content" | grep -c '\.linux$')" = 1
esp_to_image "$WORK/esp" "$WORK/disk.img"
W=$WORK/a
sb_boot "$W" "$WORK/disk.img" "$SB_SNAKEOIL_VARS" || true
expect_report_complete "$W"
expect_eq "SecureBoot is on" "$(report_value "$W" SECUREBOOT)" 01
expect_eq "generation 3 booted unattended" "$(booted_marker "$W")" gen3
expect_true "it blessed itself" report_has "$W" BLESS-GOOD-DONE
expect_eq "PCR 11 is keel pcr predict of the installed thin UKI" \
        "$(report_value "$W" "PCR sha256 11" | tr 'A-F' 'a-f')" \
        "$("$KEEL" pcr predict --bank sha256 --phase= "$WORK/esp/EFI/Linux/nixos-generation-3+3.efi" | sed -n 's/^11:sha256=//p')"

echo "-- B: generation 4 panics: tried 3 times, then generation 3 boots by itself"
esp_from_image "$WORK/disk.img" "$WORK/esp"
expect_eq "after A, generation 3 is blessed" "$(esp_files "$WORK/esp")" \
        "nixos-generation-1+3.efi nixos-generation-2+3.efi nixos-generation-3-specialisation-debug+3.efi nixos-generation-3.efi"
mkgen 4 "$WORK/panic.cpio"
install_ --esp "$WORK/esp" $(links 1 2 3 4)
esp_to_image "$WORK/esp" "$WORK/disk.img"
W=$WORK/b
QEMU_REBOOT=1 QEMU_TIMEOUT=480 sb_boot "$W" "$WORK/disk.img" "$SB_SNAKEOIL_VARS" || true
expect_eq "generation 4 was tried exactly 3 times" "$(grep -ac GEN4-BOOTED "$W/report.log")" 3
expect_eq "then generation 3 booted, unattended" "$(booted_marker "$W")" gen3
esp_from_image "$WORK/disk.img" "$WORK/esp"
expect_eq "the ESP afterwards" "$(esp_files "$WORK/esp")" \
        "nixos-generation-1+3.efi nixos-generation-2+3.efi nixos-generation-3-specialisation-debug+3.efi nixos-generation-3.efi nixos-generation-4+0-3.efi"
selected=$(report_value "$W" "EFIVAR LoaderEntrySelected")
expect_eq "LoaderEntrySelected names generation 3" "$selected" nixos-generation-3.efi
# The running system's efivarfs, as keel install reads it.
{ printf '\x06\x00\x00\x00'; printf '%s' "$selected" | iconv -t UTF-16LE; printf '\x00\x00'; } \
        >"$G/efivars/LoaderEntrySelected-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"

echo "-- C: re-install with --configuration-limit 2, crashed in the middle of GC"
cp -a "$WORK/esp" "$WORK/esp-dry"
install_ --esp "$WORK/esp-dry" --configuration-limit 2 --json $(links 1 2 3 4) >"$WORK/dry.json"
total=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["operations"])' "$WORK/dry.json")
count() { python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1])).get(sys.argv[2], [])))' "$WORK/dry.json" "$1"; }
removed=$(count removed)
expect_eq "the re-install removes generations 1 and 2" "$removed" 2
# GC removes entries first, content after: stop right after the first
# entry removal, one old generation gone, the other still there.
first_removal=$(( total - removed - $(count removed-content) + 1 ))
KEEL_INSTALL_CRASH_AFTER=$first_removal install_ --esp "$WORK/esp" --configuration-limit 2 $(links 1 2 3 4) \
        >/dev/null 2>"$WORK/crash.err" && echo "the crash point was not reached" >&2
expect_true "the crash state passes keel entries --check" "$KEEL" entries --esp "$WORK/esp" --check
expect_eq "crash state: one old generation removed" "$(ls "$WORK/esp/EFI/Linux" | grep -c 'generation-[12]+')" 1
esp_to_image "$WORK/esp" "$WORK/disk.img"
W=$WORK/c
sb_boot "$W" "$WORK/disk.img" "$SB_SNAKEOIL_VARS" || true
expect_report_complete "$W"
expect_eq "the crash state boots generation 3" "$(booted_marker "$W")" gen3

echo "-- D: the completed re-install keeps 4 and 3, removes 1 and 2; 3 boots"
esp_from_image "$WORK/disk.img" "$WORK/esp"
install_ --esp "$WORK/esp" --configuration-limit 2 $(links 1 2 3 4)
expect_eq "the ESP after GC" "$(esp_files "$WORK/esp")" \
        "nixos-generation-3-specialisation-debug+3.efi nixos-generation-3.efi nixos-generation-4+0-3.efi"
esp_to_image "$WORK/esp" "$WORK/disk.img"
W=$WORK/d
sb_boot "$W" "$WORK/disk.img" "$SB_SNAKEOIL_VARS" || true
expect_report_complete "$W"
expect_eq "generation 3 boots" "$(booted_marker "$W")" gen3
expect_eq "the menu: 3, its specialisation, 4 (bad, last)" "$(loader_entries "$W")" \
        "nixos-generation-3.efi nixos-generation-3-specialisation-debug.efi nixos-generation-4.efi"

echo "-- E: the specialisation boots with its own command line"
esp_from_image "$WORK/disk.img" "$WORK/esp"
printf 'timeout 0\ndefault nixos-generation-3-specialisation-*\n' >"$WORK/loader.conf"
install_ --esp "$WORK/esp" --configuration-limit 2 $(links 1 2 3 4)
esp_to_image "$WORK/esp" "$WORK/disk.img"
W=$WORK/e
sb_boot "$W" "$WORK/disk.img" "$SB_SNAKEOIL_VARS" || true
expect_report_complete "$W"
expect_eq "the specialisation booted" "$(booted_marker "$W")" gen3-debug
expect_eq "with its own command line" "$(report_value "$W" CMDLINE)" \
        "init=/nix/store/keeltest-debug/init console=ttyS0 loglevel=1 panic=-1 keel.test=gen3-debug"

echo "-- F: a thin UKI whose kernel file on the ESP was altered is refused; the next entry boots"
esp_from_image "$WORK/disk.img" "$WORK/esp"
printf 'timeout 0\n' >"$WORK/loader.conf"
# A kernel of its own: the same image with one byte appended (firmware and
# Linux's EFI stub ignore data after the last section).
{ cat "$(kernel_image)"; printf 'k'; } >"$WORK/kernel-5"
mkgen 5 "$(shared_initramfs)"
sed -i "s|\"kernel\": \"[^\"]*\"|\"kernel\": \"$WORK/kernel-5\"|" "$G/system-5/boot.json"
install_ --esp "$WORK/esp" --configuration-limit 2 $(links 1 2 3 4 5)
content5=$WORK/esp/EFI/keel/content/$(sha256sum <"$WORK/kernel-5" | cut -c1-64).linux
expect_true "generation 5's kernel is a content file of its own" test -f "$content5"
python3 - "$content5" <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(4096); b = f.read(1); f.seek(4096); f.write(bytes([b[0] ^ 0x01]))
PY
esp_to_image "$WORK/esp" "$WORK/disk.img"
W=$WORK/f
sb_boot "$W" "$WORK/disk.img" "$SB_SNAKEOIL_VARS" || true
expect_report_complete "$W"
expect_true "the stub refused generation 5's altered kernel file" console_has "$W" "keel: refusing to boot: .*\.tlinux"
expect_eq "generation 3 booted, unattended" "$(booted_marker "$W")" gen3

echo "-- G: an extra EFI tool and its entry, installed by keel install, boot"
esp_from_image "$WORK/disk.img" "$WORK/esp"
# The tool stands in for memtest or an EFI shell: it says it runs, then waits.
make -s -C "$KEEL_SRC/ovmf-tests/efi-helpers" OUT="$WORK/helpers" "$WORK/helpers/hang.efi"
"$KEEL" sign --key "$WORK/db.key" --cert "$SNAKEOIL_CERT" -o "$WORK/tool.efi" "$WORK/helpers/hang.efi"
printf 'title EFI tool\nefi /EFI/tools/tool.efi\nsort-key zz-tool\n' >"$WORK/tool.conf"
printf 'timeout 0\ndefault tool.conf\n' >"$WORK/loader.conf"
install_ --esp "$WORK/esp" --configuration-limit 2 --extra-file EFI/tools/tool.efi="$WORK/tool.efi" \
        --extra-entry tool.conf="$WORK/tool.conf" $(links 1 2 3 4 5)
expect_true "the extra entry is on the ESP" cmp -s "$WORK/tool.conf" "$WORK/esp/loader/entries/tool.conf"
esp_to_image "$WORK/esp" "$WORK/disk.img"
W=$WORK/g
sb_boot "$W" "$WORK/disk.img" "$SB_SNAKEOIL_VARS" "HANG-STARTED" || true
expect_true "the keel loader started the extra entry's tool under Secure Boot" console_has "$W" "HANG-STARTED"
printf 'timeout 0\n' >"$WORK/loader.conf"
install_ --esp "$WORK/esp" --configuration-limit 2 $(links 1 2 3 4 5)
expect_true "a re-install without them removes the tool and its entry" \
        test ! -e "$WORK/esp/EFI/tools/tool.efi" -a ! -e "$WORK/esp/loader/entries/tool.conf"
exit $((FAILURES > 0))
