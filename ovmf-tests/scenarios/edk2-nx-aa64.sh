#!/bin/bash
# Issue 24: keelaa64.efi (NX_COMPAT, W^X) on trixie's EDK II 2025.02,
# AAVMF_CODE.secboot.strictnx.fd (EFI_MEMORY_ATTRIBUTE_PROTOCOL, strict
# page permissions), with the qemu-efi-aarch64 package's own snakeoil keys
# (ovmf-tests/edk2-lib.sh):
#  1. Secure Boot off: keel's UKI as the boot loader, booted directly.
#  2. Secure Boot on, one run, two boots: keel as the loader; an unsigned
#     UKI refused, a panicking counted entry fallen back from, the good UKI
#     booted unattended. No PCR checks here: the kernel reports no TPM
#     under Secure Boot (edk2-lib.sh; part 1 checks them).
#  3. sid's strict-NX build (2026.08) as well: the UKI directly (so that
#     both firmware versions run on both architectures).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
source "$(dirname "$0")/../sb-lib.sh"
source "$(dirname "$0")/../pcr-lib.sh"
source "$(dirname "$0")/../aavmf/lib.sh"
source "$(dirname "$0")/../peloader-lib.sh"
source "$(dirname "$0")/../edk2-lib.sh"
WORK=$1

edk2_use trixie
echo "-- 1. Secure Boot off: the UKI directly"
edk2_uki_direct "$WORK/direct"
echo "-- 2. Secure Boot on: the loader, an unsigned UKI refused, fallback from a panicking entry"
edk2_loader_secure_boot "$WORK/sb" no-tpm
echo "-- 3. sid's strict-NX firmware too: the UKI directly"
edk2_use sid
edk2_uki_direct "$WORK/direct-sid"
exit $((FAILURES > 0))
