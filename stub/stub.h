/* SPDX-License-Identifier: MIT */
#pragma once

#include "../efi/self.h"

/* The UKI stub role: boots the kernel embedded in this image. Returns only on
 * failure, with everything it installed removed again. */
EFI_STATUS stub_run(EFI_HANDLE image, const struct self_image *self);
