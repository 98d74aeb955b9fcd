#!/bin/bash
# Defaults set by the OS: LoaderEntryOneShot wins once and is deleted after
# reading; LoaderEntryDefault wins over loader.conf. Three boots sharing one
# variable store: the first sets both variables from the booted system.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
WORK=$1

efivar_payload "$WORK/oneshot.var" type1-test.conf
efivar_payload "$WORK/default.var" sdtest-7.efi
cat >"$WORK/scenario" <<'SCRIPT'
#!/bin/sh
# Only on the first boot (the loader.conf default, before any variable is set).
vars=/sys/firmware/efi/efivars
guid=4a67b082-0a4c-41cf-b6c7-440b29bb8c4f
if grep -q keel.test=keel-uki-2 /proc/cmdline && [ ! -e $vars/LoaderEntryDefault-$guid ]; then
        cat /oneshot.var >$vars/LoaderEntryOneShot-$guid && echo "SET-ONESHOT"
        cat /default.var >$vars/LoaderEntryDefault-$guid && echo "SET-DEFAULT"
fi
SCRIPT
build_initramfs "$WORK/initramfs.cpio" "$WORK/scenario" "$WORK/oneshot.var:/oneshot.var" "$WORK/default.var:/default.var"
populate_mixed_esp "$WORK/disk.img" "$WORK/initramfs.cpio"
esp_write "$WORK/disk.img" /loader/loader.conf $'timeout 0\ndefault keeltest-2*\n'

mkdir -p "$WORK/vars"
for boot in 1 2 3; do
        qemu_boot "$WORK/vars" "$WORK/disk.img" || true
        cp "$WORK/vars/report.log" "$WORK/report-$boot.log"
        cp "$WORK/vars/console.log" "$WORK/console-$boot.log"
        mkdir -p "$WORK/boot$boot" && cp "$WORK/vars/report.log" "$WORK/boot$boot/report.log"
done
expect_eq "boot 1: loader.conf default" "$(report_value "$WORK/boot1" "EFIVAR LoaderEntrySelected")" "keeltest-2.efi"
expect_true "boot 1: the OS set LoaderEntryOneShot and LoaderEntryDefault" report_has "$WORK/boot1" "SET-DEFAULT"
expect_eq "boot 2: the one-shot entry" "$(report_value "$WORK/boot2" "EFIVAR LoaderEntrySelected")" "type1-test.conf"
expect_eq "boot 2: its kernel" "$(booted_marker "$WORK/boot2")" "type1"
expect_eq "boot 2: LoaderEntryOneShot was deleted" "$(report_value "$WORK/boot2" "EFIVAR LoaderEntryOneShot")" ""
expect_eq "boot 3: LoaderEntryDefault beats loader.conf" "$(report_value "$WORK/boot3" "EFIVAR LoaderEntrySelected")" "sdtest-7.efi"
expect_eq "boot 3: its kernel" "$(booted_marker "$WORK/boot3")" "sdstub-uki"
exit $((FAILURES > 0))
