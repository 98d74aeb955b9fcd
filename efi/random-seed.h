/* SPDX-License-Identifier: MIT */
/* The random seed for the kernel, as systemd-boot does it before it starts
 * a Linux entry (keel's loader), and systemd-stub when no loader did (keel's
 * stub, booted directly): a fresh seed derived from \loader\random-seed on
 * the ESP, the LoaderSystemToken variable and the firmware's randomness
 * (common/random-seed.h) is written back to the file and flushed, and only
 * then handed to the kernel as the LINUX_EFI_RANDOM_SEED configuration
 * table (which the kernel credits) and, for systemd 252 userspace, as the
 * LoaderRandomSeed variable. Anything missing or wrong: one console line,
 * no seed, and the boot goes on; a seed that could not be replaced on disk
 * is never passed on, so no two boots ever get the same one. */
#pragma once

#include "efi.h"

/* esp_root: the ESP (where systemd-boot keeps the file, also for entries
 * on XBOOTLDR: the loader's own volume; for the stub, the ESP of the disk
 * it was started from). quiet: no console line when there is simply
 * nothing to make a seed from or the ESP is read-only (the stub's case);
 * failures are reported either way. EFI_SUCCESS when a seed was passed. */
EFI_STATUS random_seed_process(EFI_FILE *esp_root, bool quiet);
