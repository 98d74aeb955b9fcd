/* SPDX-License-Identifier: MIT */
#pragma once

#include "../efi/self.h"

/* The boot loader role (keelx64.efi without a .linux section). */
EFI_STATUS loader_run(EFI_HANDLE image, const struct self_image *self);
