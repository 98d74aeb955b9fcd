/* SPDX-License-Identifier: MIT */
#pragma once

#include "../efi/efi.h"

struct initrd_loader;

/* Serves an initrd to the kernel's EFI stub through LoadFile2 on the
 * LINUX_EFI_INITRD_MEDIA_GUID device path. */
EFI_STATUS initrd_register(const void *data, size_t size, struct initrd_loader **ret);
void initrd_unregister(struct initrd_loader *loader);
