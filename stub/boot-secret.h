/* SPDX-License-Identifier: MIT */
/* /.extra/boot-secret, as systemd-stub 261+ makes it (common/boot-secret.h):
 * a secret for the OS that only the boot knows, from the boot-services-only
 * variable LoaderBootSecret (created when missing), the ESP's
 * \loader\boot-secret-mixin (created when missing or empty) and the UKI's
 * .osrel. Needs the kernel's random seed table (a loader's, or the stub's
 * own); without one, or when anything is wrong, there is no secret and the
 * boot goes on. Not measured: it is a secret, and systemd does not. */
#pragma once

#include "../common/boot-secret.h"
#include "../efi/self.h"

/* Fills ret with the secret, or zeros when there is none. */
void stub_boot_secret(const struct self_image *self, uint8_t ret[BOOT_SECRET_SIZE]);
