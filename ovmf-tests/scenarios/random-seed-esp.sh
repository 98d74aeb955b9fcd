#!/bin/bash
# The loader's random seed (\loader\random-seed, LoaderSystemToken, the
# LINUX_EFI_RANDOM_SEED table) over eight boots of one machine (one
# variable store), the ESP changed from the host between boots:
#  1. a seed file but no system token and no RNG: nothing to mix in (as
#     systemd-boot): file untouched, no table, one console line; the booted
#     system then creates LoaderSystemToken (as `bootctl random-seed`);
#  2. a 5-byte (too short) file: treated as fresh, a 32-byte seed written,
#     the kernel gets the table (its "efi:" line shows RNG=),
#     LoaderRandomSeed set;
#  3. a 100-byte file: the first 32 bytes replaced, the rest zeroed; a
#     newer entry fails, and the fallback merges the table keel installed
#     for it into the next seed;
#  4. no file, virtio-rng (EFI_RNG_PROTOCOL): the file is created;
#  5. a 40000-byte file (over 32 KiB), 6. a directory, 7. a read-only
#     disk: no table, the file untouched, one console line, the boot goes on;
#  8. systemd-boot 252 on the same ESP reads the file keel left and passes
#     its successor as LoaderRandomSeed only (252 predates the table).
# Every seed written and passed differs from every other.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
WORK=$1
DISK=$WORK/disk.img
TOKEN_VAR=LoaderSystemToken-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f

cat >"$WORK/seed-scenario" <<'SCRIPT'
#!/bin/sh
V=/sys/firmware/efi/efivars
G=4a67b082-0a4c-41cf-b6c7-440b29bb8c4f
hex() { tail -c +5 "$1" | od -An -tx1 -v | tr -d ' \n'; }
echo "EFILINE=$(dmesg | grep -m1 -E 'efi: .*(ACPI|SMBIOS)=')"
# When the kernel's pool was first ready: the seed table, credited, makes
# it ready while the kernel parses the EFI tables, before anything else.
echo "CRNG=$(dmesg | grep -m1 'crng init done' | sed 's/^\[ *\([0-9.]*\)\].*/\1/')"
echo "CRNG-AFTER-EFI=$(dmesg | grep -E -m2 'crng init done|efi: .*(ACPI|SMBIOS)=' | tail -n 1 | grep -c crng)"
[ -e $V/LoaderRandomSeed-$G ] && echo "SEEDVAR=$(hex $V/LoaderRandomSeed-$G)"
if [ -e $V/LoaderSystemToken-$G ]; then
        echo "TOKEN=$(hex $V/LoaderSystemToken-$G)"
else
        # What bootctl random-seed does on a real system: 32 random bytes,
        # non-volatile (attributes NV|BS|RT), written in one go.
        { printf '\007\000\000\000'; head -c 32 /dev/urandom; } >/tmp/token
        cat /tmp/token >$V/LoaderSystemToken-$G && echo "TOKEN-CREATED=yes"
fi
SCRIPT
build_initramfs "$WORK/seed.cpio" "$WORK/seed-scenario"
make_keel_uki "$WORK/uki.efi" keeltest 1 seed "$WORK/seed.cpio"
esp_image_create "$DISK"
esp_put "$DISK" "$KEEL_EFI" /EFI/BOOT/BOOTX64.EFI
esp_write "$DISK" /loader/loader.conf $'timeout 0\n'
esp_put "$DISK" "$WORK/uki.efi" /EFI/Linux/keeltest-1.efi

seed_hex() { mcopy -n -i "$DISK@@1M" ::/loader/random-seed - 2>/dev/null | od -An -tx1 -v | tr -d ' \n'; }
seed_put() { esp_put "$DISK" "$1" /loader/random-seed; }
seed_rm() { mdel -i "$DISK@@1M" ::/loader/random-seed 2>/dev/null || mdeltree -i "$DISK@@1M" ::/loader/random-seed; }
has_table() { report_value "$1" EFILINE | grep -q ' RNG=0x'; }
no_table() { ! has_table "$1"; }
# The kernel credited the table: its pool was ready at the very time it
# parsed the EFI tables (without a seed, under TCG, not before the report).
credited() {
        local efi_t
        efi_t=$(report_value "$1" EFILINE | sed 's/^\[ *\([0-9.]*\)\].*/\1/')
        [ -n "$efi_t" ] && [ "$(report_value "$1" CRNG)" = "$efi_t" ] && [ "$(report_value "$1" CRNG-AFTER-EFI)" = 1 ]
}
not_credited() { ! credited "$1"; }
console_has() { tr -d '\r' <"$1/console.log" | grep -qF -- "$2"; }
console_quiet() { ! tr -d '\r' <"$1/console.log" | grep -q "keel: random seed"; }
SEEN=()
expect_new() { # WHAT HEX: 32-byte seeds never seen before in this run
        local what=$1 hex=$2 s
        expect_eq "$what is 32 bytes" "${#hex}" 64
        for s in "${SEEN[@]}"; do
                [ "$s" != "$hex" ] || { expect_true "$what was never used before" false; return; }
        done
        expect_true "$what was never used before" true
        SEEN+=("$hex")
}
boot() { # N [qemu args]: one boot; the variable store stays in $WORK
        local n=$1
        shift
        mkdir -p "$WORK/b$n"
        [ -f "$WORK/b$n/OVMF_VARS.fd" ] || cp "${VARS:-$OVMF_DIR/OVMF_VARS_4M.fd}" "$WORK/b$n/OVMF_VARS.fd"
        qemu_boot "$WORK/b$n" "$DISK" "$@" || true
        VARS=$WORK/b$n/OVMF_VARS.fd
        expect_report_complete "$WORK/b$n"
        expect_eq "boot $n: the entry booted" "$(booted_marker "$WORK/b$n")" seed
}

echo "== 1: no system token, no RNG"
head -c 32 /dev/urandom >"$WORK/seed1"
seed_put "$WORK/seed1"
SEEN+=("$(od -An -tx1 -v "$WORK/seed1" | tr -d ' \n')")
boot 1
expect_eq "LoaderFeatures has the random-seed bit (1 << 6)" \
        $(( 0x$(report_value "$WORK/b1" "EFIVAR LoaderFeatures" | cut -c1-2) & 0x40 )) 64
expect_eq "the seed file is untouched" "$(seed_hex)" "${SEEN[0]}"
expect_true "no seed table reached the kernel" no_table "$WORK/b1"
expect_true "the kernel's pool was not ready at the EFI tables" not_credited "$WORK/b1"
expect_true "the kernel's efi: line was reported" test -n "$(report_value "$WORK/b1" EFILINE)"
expect_true "one console line says why" console_has "$WORK/b1" \
        "keel: random seed: no randomness from the firmware and no LoaderSystemToken of 32 bytes or more; no random seed passed"
expect_eq "no LoaderRandomSeed" "$(report_value "$WORK/b1" SEEDVAR)" ""
expect_eq "the booted system created LoaderSystemToken" "$(report_value "$WORK/b1" TOKEN-CREATED)" yes

echo "== 2: a 5-byte seed file, with the system token"
printf 'short' >"$WORK/seed2"
seed_put "$WORK/seed2"
boot 2
expect_eq "the token is there" "$(report_value "$WORK/b2" TOKEN | wc -c)" 65
s2=$(seed_hex)
expect_new "boot 2: the new seed file" "$s2"
expect_true "boot 2: the kernel got the seed table (RNG= in its efi: line)" has_table "$WORK/b2"
expect_true "boot 2: the kernel credited it (crng ready at the EFI tables)" credited "$WORK/b2"
expect_new "boot 2: LoaderRandomSeed" "$(report_value "$WORK/b2" SEEDVAR)"
expect_true "boot 2: no console line" console_quiet "$WORK/b2"

echo "== 3: a 100-byte seed file; a newer entry whose kernel is corrupt"
{ mcopy -n -i "$DISK@@1M" ::/loader/random-seed -; head -c 68 /dev/zero | tr '\0' '\377'; } >"$WORK/seed3"
seed_put "$WORK/seed3"
# keel passes a seed before trying keeltest-2, whose stub then fails; the
# fallback to keeltest-1 derives the next one from the table keel itself
# installed (merged, wiped and freed as a previous stage's table).
make_keel_uki "$WORK/uki2.efi" keeltest 2 corrupt "$WORK/seed.cpio"
corrupt_uki_kernel "$WORK/uki2.efi"
esp_put "$DISK" "$WORK/uki2.efi" /EFI/Linux/keeltest-2.efi
boot 3
expect_true "boot 3: keel fell back from the corrupt entry" console_has "$WORK/b3" "keel: trying the next entry: keeltest-1.efi"
expect_true "boot 3: no random-seed line" console_quiet "$WORK/b3"
mdel -i "$DISK@@1M" ::/EFI/Linux/keeltest-2.efi
s3=$(seed_hex)
mcopy -n -i "$DISK@@1M" ::/loader/random-seed - | head -c 32 >"$WORK/b3-seed"
expect_eq "boot 3: the file keeps its 100 bytes" "${#s3}" 200
expect_new "boot 3: its first 32 bytes" "${s3:0:64}"
expect_eq "boot 3: the 68 bytes after them are zeros" "${s3:64}" "$(printf '0%.0s' $(seq 136))"
expect_true "boot 3: the kernel got the seed table" has_table "$WORK/b3"
expect_true "boot 3: the kernel credited it" credited "$WORK/b3"
expect_new "boot 3: LoaderRandomSeed" "$(report_value "$WORK/b3" SEEDVAR)"

echo "== 4: no seed file, the firmware's RNG (virtio-rng)"
seed_rm
boot 4 -device virtio-rng-pci
expect_new "boot 4: the created seed file" "$(seed_hex)"
expect_true "boot 4: the kernel got the seed table" has_table "$WORK/b4"
expect_new "boot 4: LoaderRandomSeed" "$(report_value "$WORK/b4" SEEDVAR)"
expect_true "boot 4: no console line" console_quiet "$WORK/b4"

echo "== 5: a 40000-byte seed file"
head -c 40000 /dev/urandom >"$WORK/seed5"
seed_put "$WORK/seed5"
boot 5
expect_true "boot 5: the file is untouched" cmp -s "$WORK/seed5" <(mcopy -n -i "$DISK@@1M" ::/loader/random-seed -)
expect_true "boot 5: no seed table" no_table "$WORK/b5"
expect_true "boot 5: nothing credited at the EFI tables" not_credited "$WORK/b5"
expect_eq "boot 5: no LoaderRandomSeed" "$(report_value "$WORK/b5" SEEDVAR)" ""
expect_true "boot 5: one console line" console_has "$WORK/b5" \
        "keel: random seed: the random-seed file is larger than 32 KiB; no random seed passed"

echo "== 6: a directory"
seed_rm
mmd -i "$DISK@@1M" ::/loader/random-seed
boot 6
expect_true "boot 6: no seed table" no_table "$WORK/b6"
expect_true "boot 6: one console line" console_has "$WORK/b6" \
        "keel: random seed: \\loader\\random-seed is a directory; no random seed passed"

echo "== 7: a read-only disk"
mdeltree -i "$DISK@@1M" ::/loader/random-seed
head -c 32 /dev/urandom >"$WORK/seed7"
seed_put "$WORK/seed7"
QEMU_DISK_READONLY=1 boot 7
expect_true "boot 7: the file is untouched" cmp -s "$WORK/seed7" <(mcopy -n -i "$DISK@@1M" ::/loader/random-seed -)
expect_true "boot 7: no seed table" no_table "$WORK/b7"
expect_eq "boot 7: no LoaderRandomSeed" "$(report_value "$WORK/b7" SEEDVAR)" ""
expect_true "boot 7: one console line" console_has "$WORK/b7" \
        "keel: random seed: the ESP is read-only, the seed cannot be refreshed; none passed"
expect_eq "boot 7: the token survived every boot" "$(report_value "$WORK/b7" TOKEN)" "$(report_value "$WORK/b2" TOKEN)"

echo "== 8: systemd-boot 252 on the same ESP takes keel's seed file"
seed_put "$WORK/b3-seed"
esp_put "$DISK" "$SYSTEMD_BOOT_EFI" /EFI/BOOT/BOOTX64.EFI
boot 8
expect_true "boot 8: systemd-boot 252 was the loader" grep -q "EFIVAR LoaderInfo=systemd-boot 252" "$WORK/b8/report.log"
expect_new "boot 8: the seed file systemd-boot 252 wrote" "$(seed_hex)"
expect_new "boot 8: its LoaderRandomSeed (252 passes only the variable)" "$(report_value "$WORK/b8" SEEDVAR)"
expect_true "boot 8: systemd-boot 252 installs no seed table" no_table "$WORK/b8"
exit $((FAILURES > 0))
