#!/bin/bash
# A kernel that fails must leave nothing of its attempt behind, however it
# fails (issue 20, defect 1). Secure Boot (snakeoil), keel as the signed
# loader; four signed UKIs come first, each with the shared initramfs as its
# .initrd (so the stub offers an initrd on Linux's initrd device path) and
# exit-kernel.efi in place of the kernel, which fails one way each:
# returning; BS->Exit() on the handle it was given (what Linux's EFI stub
# does on "efi_stub_entry() failed!"); the same with ExitData; and after a
# child image of its own left through Exit() on the child's handle and an
# Exit() on its parent's handle was refused. keel's own PE loader runs the
# kernel on the UKI's image handle, so for the firmware the kernel's Exit()
# is the UKI's: without keel taking it back, the stub's LoadFile2 handle
# stays installed inside the unloaded UKI and every UKI after it finds an
# initrd offered from outside (and would call into the unloaded image to
# read it; its console line: "ignoring the initrd offered").
# Expected: each failing kernel ran with its own stub's initrd offered and
# no other LoadFile2 handle in the system (so each stub before it cleaned
# up), each stub said how its kernel ended, the loader fell back past each,
# and the good UKI boots unattended with its signed command line.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../sb-lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
WORK=$1
MODES="return exit exit-data exit-child"

efi_helpers
IMG=$WORK/disk.img
attack_esp "$IMG"
snakeoil_sign "$EFI_HELPERS/exit-kernel.efi" "$WORK/child-signed.efi"
esp_put "$IMG" "$WORK/child-signed.efi" /EFI/keel/child.efi
n=0
for mode in $MODES; do
        n=$((n + 1))
        "$KEEL" uki build --stub "$KEEL_EFI" --linux "$EFI_HELPERS/exit-kernel.efi" --initrd "$(shared_initramfs)" \
                --cmdline "keel.exit=$mode" -o "$WORK/$mode-unsigned.efi"
        snakeoil_sign "$WORK/$mode-unsigned.efi" "$WORK/$mode.efi"
        esp_put "$IMG" "$WORK/$mode.efi" "/EFI/keel/$mode.efi"
        esp_write "$IMG" "/loader/entries/fail-$n-$mode.conf" \
                "$(printf '%s\n' "title fails: $mode" "sort-key a$n" "efi /EFI/keel/$mode.efi")"
done

echo "-- four UKIs whose kernels fail, each another way, then the good UKI"
W=$WORK/boot
sb_boot "$W" "$IMG" "$SB_SNAKEOIL_VARS" || true
for mode in $MODES; do
        expect_console "$W" "kernel '$mode' ran, with its stub's initrd offered and no other LoadFile2 handle" \
                "EXIT-KERNEL: mode=$mode initrd-offered=yes loadfile2-handles=1 "
done
expect_console "$W" "exit-child: the child's Exit() on its own handle reached its parent" \
        "EXIT-KERNEL: the child came back with: Aborted"
expect_console "$W" "exit-child: Exit() on a handle that is not running is refused by the firmware" \
        "EXIT-KERNEL: Exit\\(\\) on the parent's handle: Invalid Parameter"
expect_true "no stub found an initrd left behind" bash -c "! tr -d '\r' <'$W/console.log' | grep -aq 'ignoring the initrd offered'"
expect_true "the stub says how each kernel ended (4 times)" \
        bash -c "[ \$(tr -d '\r' <'$W/console.log' | grep -ac 'keel: kernel returned:') = 4 ]"
expect_good_boot "$W"
exit $((FAILURES > 0))
