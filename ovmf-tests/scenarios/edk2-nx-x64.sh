#!/bin/bash
# Issue 24: keelx64.efi (NX_COMPAT, W^X) on sid's EDK II 2026.08,
# OVMF_CODE_4M.secboot.strictnx.fd (EFI_MEMORY_ATTRIBUTE_PROTOCOL, strict
# page permissions), with the ovmf package's own snakeoil keys
# (ovmf-tests/edk2-lib.sh):
#  1. Secure Boot off: keel's UKI as the boot loader, booted directly.
#  2. Secure Boot on, one run, two boots: keel as the loader; an unsigned
#     UKI refused, a panicking counted entry fallen back from, the good UKI
#     booted unattended; both kernels through keel's own PE loader with
#     the firmware's protocol.
#  3. trixie's strict-NX build (2025.02) as well: the UKI directly (so that
#     both firmware versions run on both architectures).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
source "$(dirname "$0")/../sb-lib.sh"
source "$(dirname "$0")/../pcr-lib.sh"
source "$(dirname "$0")/../peloader-lib.sh"
source "$(dirname "$0")/../edk2-lib.sh"
WORK=$1

edk2_use sid
echo "-- 1. Secure Boot off: the UKI directly"
edk2_uki_direct "$WORK/direct"
echo "-- 2. Secure Boot on: the loader, an unsigned UKI refused, fallback from a panicking entry"
edk2_loader_secure_boot "$WORK/sb"
echo "-- 3. trixie's strict-NX firmware too: the UKI directly"
edk2_use trixie
edk2_uki_direct "$WORK/direct-trixie"
exit $((FAILURES > 0))
