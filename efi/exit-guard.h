/* SPDX-License-Identifier: MIT */
/* Runs an image keel loaded itself (the UKI's kernel, through keel's own PE
 * loader) on keel's own image handle so that control comes back to keel
 * however the image ends. An image that fails may return from its entry
 * point, or leave through BS->Exit() on the handle it was given — Linux's
 * EFI stub does the latter ("efi_stub_entry() failed!", an initrd it cannot
 * load). For the firmware, that handle is keel's: Exit() on it would unwind
 * straight past keel into whoever started keel, and nothing keel installed
 * for the kernel (the initrd's LoadFile2 handle, a device tree, the patched
 * LoadedImage, the kernel's pages) would be taken back. So while the image
 * runs, BS->Exit is keel's: on keel's handle it comes back here; on any
 * other handle it is the firmware's. */
#pragma once

#include "efi.h"

/* Calls entry(image, ST) with Exit() guarded as above. Returns what the
 * entry point returned, or the ExitStatus it passed to Exit() (ExitData,
 * if any, is freed). BS->Exit is the firmware's again on return. */
EFI_STATUS exit_guard_call(EFI_HANDLE image, EFI_IMAGE_ENTRY_POINT entry);
