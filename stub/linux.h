/* SPDX-License-Identifier: MIT */
#pragma once

#include "../efi/efi.h"

/* Whether keel can load the embedded kernel itself (common/pe-load.h:
 * a PE32+ EFI application for this machine, sections inside the file and
 * SizeOfImage, only DIR64 base relocations inside the image, an entry point
 * in code); says why on the console when not. Called before anything is
 * measured. */
EFI_STATUS linux_check(const void *kernel, size_t kernel_size);

/* Loads a Linux EFI-stub kernel from memory (one that passed linux_check())
 * with keel's own PE loader (efi/pe-loader.h), gives it the command line as
 * LoadOptions and calls its PE entry point. Only under Secure Boot with
 * shim present does the firmware's (shim's) LoadImage() load it instead.
 * Returns only when the kernel could not be loaded or started, or returned. */
EFI_STATUS linux_exec(EFI_HANDLE parent, const void *kernel, size_t kernel_size, const CHAR16 *cmdline);
