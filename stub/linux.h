/* SPDX-License-Identifier: MIT */
#pragma once

#include "../efi/efi.h"

/* Whether the embedded kernel is a PE image for this machine at all (says
 * why on the console when not). */
EFI_STATUS linux_check(const void *kernel, size_t kernel_size);

/* Loads a Linux EFI-stub kernel from memory (one that passed linux_check()),
 * gives it the command line as LoadOptions and starts it. Returns only when
 * the kernel could not be loaded or started, or returned. */
EFI_STATUS linux_exec(EFI_HANDLE parent, const void *kernel, size_t kernel_size, const CHAR16 *cmdline);
