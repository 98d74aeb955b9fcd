#!/bin/bash
# Time from loader start to the kernel's start (LoaderTimeExecUSec -
# LoaderTimeInitUSec, which both loaders export) with 1 and with 40 UKI
# entries of 20 MiB each: keel vs systemd-boot 252 on the same ESP images,
# under QEMU (TCG) + OVMF. Enumeration reads only a UKI's headers, .osrel
# and .cmdline, so its cost must not grow with UKI size.
# Also: what a corrupt newest entry costs keel's unattended fallback (boot
# with a corrupt generation 2 before a good generation 1, vs generation 1
# alone).
source "$(dirname "$0")/lib.sh"
source "$KEEL_SRC/ovmf-tests/lib.sh"
source "$KEEL_SRC/ovmf-tests/loader-lib.sh"
W=$BUILD/bench/loader-boot
rm -rf "$W" && mkdir -p "$W"

loader_usec() { # WORKDIR: LoaderTimeExecUSec - LoaderTimeInitUSec
        local init exec
        init=$(report_value "$1" "EFIVAR LoaderTimeInitUSec")
        exec=$(report_value "$1" "EFIVAR LoaderTimeExecUSec")
        [ -n "$init" ] && [ -n "$exec" ] && echo $((exec - init)) || echo "n/a"
}
ms() { [ "$1" = n/a ] && echo n/a || awk -v u="$1" 'BEGIN { printf "%.0f ms", u / 1000 }'; }

build_esp() { # IMG N LOADER UKI
        local img=$1 n=$2 loader=$3 uki=$4 i
        esp_image_create "$img" $(( n * ($(stat -c %s "$uki") / 1048576 + 1) + 64 ))
        esp_put "$img" "$loader" /EFI/BOOT/BOOTX64.EFI
        esp_write "$img" /loader/loader.conf $'timeout 0\n'
        for i in $(seq 1 "$n"); do
                esp_put "$img" "$uki" "/EFI/Linux/benchos-$i.efi"
        done
}

# A 20 MiB UKI (the kernel, the reporting initramfs and padding) and a small one.
head -c $((11 * 1024 * 1024)) /dev/urandom >"$W/padding"
cat "$(shared_initramfs)" "$W/padding" >"$W/initrd-20m"
make_keel_uki "$W/uki-20m.efi" benchos 1 bench "$W/initrd-20m"
make_keel_uki "$W/uki-small.efi" benchos 1 bench "$(shared_initramfs)"

declare -A t
for loader in keel systemd-boot; do
        efi=$KEEL_EFI
        [ $loader = systemd-boot ] && efi=$SYSTEMD_BOOT_EFI
        for n in 1 40; do
                build_esp "$W/esp.img" $n "$efi" "$W/uki-20m.efi"
                t[$loader-$n]=$(boot_clock "$loader-$n" "$W/esp.img")
                [ $loader = keel ] && t[keel-loader-$n]=$(loader_usec "$W/$loader-$n")
        done
done
build_esp "$W/esp.img" 40 "$KEEL_EFI" "$W/uki-small.efi"
boot_clock keel-40-small "$W/esp.img" >/dev/null
t[keel-loader-40-small]=$(loader_usec "$W/keel-40-small")
rm -f "$W/esp.img"
result "firmware boot option to kernel EFI stub, 1 UKI of 20 MiB: keel vs systemd-boot 252 (QEMU TCG wall clock)" \
        "${t[keel-1]} s vs ${t[systemd-boot-1]} s"
result "the same with 40 UKIs of 20 MiB" "${t[keel-40]} s vs ${t[systemd-boot-40]} s"
result "keel's own loader time (LoaderTimeExecUSec - LoaderTimeInitUSec): 1 / 40 UKIs of 20 MiB / 40 UKIs of $(( $(stat -c %s "$W/uki-small.efi") / 1048576 )) MiB" \
        "$(ms "${t[keel-loader-1]}") / $(ms "${t[keel-loader-40]}") / $(ms "${t[keel-loader-40-small]}")"

# The fallback's cost: a corrupt newest generation in front of a good one,
# with and without a TPM (the stub and firmware hash what they load into it).
make_keel_uki "$W/good.efi" benchos 1 good
cp "$W/good.efi" "$W/corrupt.efi"
corrupt_uki_kernel "$W/corrupt.efi"
for tpm in 0 1; do
        for variant in alone with-corrupt; do
                esp_image_create "$W/esp.img"
                esp_put "$W/esp.img" "$KEEL_EFI" /EFI/BOOT/BOOTX64.EFI
                esp_write "$W/esp.img" /loader/loader.conf $'timeout 0\n'
                esp_put "$W/esp.img" "$W/good.efi" /EFI/Linux/benchos-1.efi
                [ $variant = with-corrupt ] && esp_put "$W/esp.img" "$W/corrupt.efi" /EFI/Linux/benchos-2.efi
                KEEL_NO_TPM=$((1 - tpm)) qemu_boot "$W/$variant-$tpm" "$W/esp.img" >/dev/null 2>&1 || true
                t[$variant-$tpm]=$(loader_usec "$W/$variant-$tpm")
        done
        cost=n/a
        [ "${t[alone-$tpm]}" != n/a ] && [ "${t[with-corrupt-$tpm]}" != n/a ] && cost=$((t[with-corrupt-$tpm] - t[alone-$tpm]))
        result "unattended fallback past a corrupt newest UKI, $([ $tpm = 1 ] && echo with || echo without) TPM: extra time to the kernel (QEMU TCG)" \
                "$(ms "$cost")"
done
rm -f "$W/esp.img" "$W/padding" "$W/initrd-20m"
