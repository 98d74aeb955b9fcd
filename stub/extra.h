/* SPDX-License-Identifier: MIT */
/* Files the stub hands to the booted OS beside the UKI's own initrd, as
 * systemd-stub 262 does: each in its own cpio archive appended to the
 * initrd, under /.extra (0555, files 0444), where the initrd's tmpfiles
 * copy them to /run/systemd/: the signed PCR 11 policy (.pcrsig as
 * tpm2-pcr-signature.json) and its public key (.pcrpkey as
 * tpm2-pcr-public-key.pem), which systemd-cryptsetup needs to unlock a disk
 * enrolled with --tpm2-public-key; the booted profile's .osrel (os-release)
 * and .profile (profile); the boot secret (boot-secret, 0400). Only
 * sections the UKI has. These files are not measured again: they are
 * sections, and in PCR 11 already (.pcrsig by design is not); the secret is
 * a secret. */
#pragma once

#include "../common/boot-secret.h"
#include "../efi/initrd.h"
#include "../efi/self.h"

#define STUB_EXTRA_FILES_MAX 5

struct stub_extra_files {
        struct initrd_piece archives[STUB_EXTRA_FILES_MAX];
        size_t n_archives;
};

/* Packs the archives (caller frees them with stub_extra_files_free(), also
 * on failure, which wipes them); boot_secret all zeros: none. */
EFI_STATUS stub_extra_files_pack(const struct self_image *self, const uint8_t boot_secret[BOOT_SECRET_SIZE],
                                 struct stub_extra_files *ret);

void stub_extra_files_free(struct stub_extra_files *files);
