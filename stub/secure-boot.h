/* SPDX-License-Identifier: MIT */
/* Loading the UKI's own kernel through the firmware's LoadImage() under
 * Secure Boot with a shim older than 16 (with shim 16, whose LoadImage()
 * knows the UKI's sections, no hook is needed; everywhere else keel loads
 * the kernel itself, stub/linux.c). The kernel is covered by the
 * UKI's signature, which was already checked, but LoadImage() would check
 * it again on its own and refuse it unless it is also signed by a key in
 * db or MokList. For exactly the duration of that one LoadImage() call the
 * stub hooks the firmware's image verification (EFI_SECURITY_ARCH_PROTOCOL
 * and EFI_SECURITY2_ARCH_PROTOCOL, as systemd-stub does): the hook approves
 * the one in-memory image it was given and hands every other request to the
 * firmware's own handler. */
#pragma once

#include "../efi/efi.h"

/* Approves the image of size bytes at buffer when it is loaded through a
 * device path equal to dp. dp, buffer and size must stay valid until
 * security_override_uninstall(), which must follow right after the
 * LoadImage() call, whatever it returned. */
void security_override_install(const EFI_DEVICE_PATH *dp, const void *buffer, size_t size);

/* Puts the firmware's handlers back. */
void security_override_uninstall(void);
