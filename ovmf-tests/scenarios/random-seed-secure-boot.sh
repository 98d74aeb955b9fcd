#!/bin/bash
# The loader's random seed under Secure Boot (Debian's snakeoil variables,
# keel loader and UKI signed with the snakeoil key), three boots of one
# machine. systemd-boot's rule: under Secure Boot the ESP (anyone with the
# disk can write it) and the system token are not enough, the firmware
# must give randomness:
#  1. seed file, no token, no RNG: no seed, one console line; the booted
#     system creates LoaderSystemToken;
#  2. seed file and token, no RNG: still no seed (without Secure Boot this
#     is enough, see random-seed-esp), the file untouched;
#  3. with the firmware's RNG (virtio-rng): the file is replaced, the kernel
#     gets the table and credits it.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../sb-lib.sh"
WORK=$1
DISK=$WORK/disk.img
CMDLINE="console=ttyS0 loglevel=1 panic=-1 keel.test=seed-sb"

cat >"$WORK/seed-scenario" <<'SCRIPT'
#!/bin/sh
V=/sys/firmware/efi/efivars
G=4a67b082-0a4c-41cf-b6c7-440b29bb8c4f
echo "EFILINE=$(dmesg | grep -m1 -E 'efi: .*(ACPI|SMBIOS)=')"
echo "CRNG=$(dmesg | grep -m1 'crng init done' | sed 's/^\[ *\([0-9.]*\)\].*/\1/')"
[ -e $V/LoaderRandomSeed-$G ] && echo "SEEDVAR=yes"
if [ -e $V/LoaderSystemToken-$G ]; then
        echo "TOKEN=present"
else
        { printf '\007\000\000\000'; head -c 32 /dev/urandom; } >/tmp/token
        cat /tmp/token >$V/LoaderSystemToken-$G && echo "TOKEN-CREATED=yes"
fi
SCRIPT
build_initramfs "$WORK/seed.cpio" "$WORK/seed-scenario"
printf 'snakeoil\n' >"$WORK/passphrase"
snakeoil_sign() {
        "$KEEL" sign --key "$SNAKEOIL_KEY" --cert "$SNAKEOIL_CERT" --passphrase-file "$WORK/passphrase" -o "$2" "$1"
}
"$KEEL" uki build --stub "$KEEL_EFI" --linux "$(kernel_image)" --initrd "$WORK/seed.cpio" \
        --cmdline "$CMDLINE" --os-release $'ID=keeltest\nVERSION_ID=1\n' -o "$WORK/uki.efi"
snakeoil_sign "$WORK/uki.efi" "$WORK/uki-signed.efi"
snakeoil_sign "$KEEL_EFI" "$WORK/loader-signed.efi"
esp_image_create "$DISK"
esp_put "$DISK" "$WORK/loader-signed.efi" /EFI/BOOT/BOOTX64.EFI
esp_write "$DISK" /loader/loader.conf $'timeout 0\n'
esp_put "$DISK" "$WORK/uki-signed.efi" /EFI/Linux/keeltest-1.efi
head -c 32 /dev/urandom >"$WORK/seed"
esp_put "$DISK" "$WORK/seed" /loader/random-seed

seed_file() { mcopy -n -i "$DISK@@1M" ::/loader/random-seed -; }
has_table() { report_value "$1" EFILINE | grep -q ' RNG=0x'; }
no_table() { ! has_table "$1"; }
credited() {
        local efi_t
        efi_t=$(report_value "$1" EFILINE | sed 's/^\[ *\([0-9.]*\)\].*/\1/')
        [ -n "$efi_t" ] && [ "$(report_value "$1" CRNG)" = "$efi_t" ]
}
untrusted_line() {
        tr -d '\r' <"$1/console.log" | grep -qF "keel: random seed: Secure Boot is on and the firmware gave no randomness; the ESP's seed alone is not trusted; no random seed passed"
}
boot() { # N [qemu args]
        local n=$1
        shift
        mkdir -p "$WORK/b$n"
        [ -f "$WORK/b$n/OVMF_VARS.fd" ] || cp "${VARS:-$SB_SNAKEOIL_VARS}" "$WORK/b$n/OVMF_VARS.fd"
        # sb_boot's firmware settings, with extra QEMU arguments.
        OVMF_CODE=$SB_CODE QEMU_MACHINE=q35,smm=on qemu_boot "$WORK/b$n" "$DISK" \
                -global driver=cfi.pflash01,property=secure,value=on "$@" || true
        VARS=$WORK/b$n/OVMF_VARS.fd
        expect_report_complete "$WORK/b$n"
        expect_eq "boot $n: SecureBoot is on" "$(report_value "$WORK/b$n" SECUREBOOT)" 01
        expect_eq "boot $n: keel booted the signed UKI" "$(report_value "$WORK/b$n" CMDLINE)" "$CMDLINE"
}

echo "== 1: seed file, no token, no RNG"
boot 1
expect_true "boot 1: one console line: not trusted under Secure Boot" untrusted_line "$WORK/b1"
expect_true "boot 1: the file is untouched" cmp -s "$WORK/seed" <(seed_file)
expect_true "boot 1: no seed table" no_table "$WORK/b1"
expect_eq "boot 1: no LoaderRandomSeed" "$(report_value "$WORK/b1" SEEDVAR)" ""
expect_eq "boot 1: the booted system created LoaderSystemToken" "$(report_value "$WORK/b1" TOKEN-CREATED)" yes

echo "== 2: seed file and token, no RNG"
boot 2
expect_eq "boot 2: the token is there" "$(report_value "$WORK/b2" TOKEN)" present
expect_true "boot 2: still not trusted under Secure Boot" untrusted_line "$WORK/b2"
expect_true "boot 2: the file is untouched" cmp -s "$WORK/seed" <(seed_file)
expect_true "boot 2: no seed table" no_table "$WORK/b2"

echo "== 3: the firmware's RNG"
boot 3 -device virtio-rng-pci
new=$(seed_file | od -An -tx1 -v | tr -d ' \n')
expect_eq "boot 3: a 32-byte seed file" "${#new}" 64
expect_true "boot 3: the file was replaced" test "$new" != "$(od -An -tx1 -v "$WORK/seed" | tr -d ' \n')"
expect_true "boot 3: the kernel got the seed table" has_table "$WORK/b3"
expect_true "boot 3: the kernel credited it" credited "$WORK/b3"
expect_eq "boot 3: LoaderRandomSeed set" "$(report_value "$WORK/b3" SEEDVAR)" yes
quiet() { ! tr -d '\r' <"$WORK/b3/console.log" | grep -q "keel: random seed"; }
expect_true "boot 3: no console line" quiet
exit $((FAILURES > 0))
