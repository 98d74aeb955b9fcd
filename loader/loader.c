/* SPDX-License-Identifier: MIT */
#include "loader.h"

EFI_STATUS loader_run(EFI_HANDLE image _unused_, const struct self_image *self _unused_) {
        efi_print("keel: this image has no .linux section and the boot loader role is not implemented yet\n");
        return EFI_UNSUPPORTED;
}
