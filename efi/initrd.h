/* SPDX-License-Identifier: MIT */
#pragma once

#include "../efi/efi.h"

struct initrd_loader;

/* Serves an initrd to the kernel's EFI stub through LoadFile2 on the
 * LINUX_EFI_INITRD_MEDIA_GUID device path (both roles: the stub for its
 * .initrd, the loader for Type #1 `initrd` lines). EFI_ALREADY_STARTED when
 * someone else serves one already. */
EFI_STATUS initrd_register(const void *data, size_t size, struct initrd_loader **ret);

/* Whether some image (a loader, another stub) already serves an initrd on
 * that device path: the kernel would load that one. */
bool initrd_path_taken(void);
void initrd_unregister(struct initrd_loader *loader);
