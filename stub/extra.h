/* SPDX-License-Identifier: MIT */
/* Files the stub hands to the booted OS beside the UKI's own initrd, as
 * systemd-stub 252 does: each in its own cpio archive appended to the
 * initrd, under /.extra (0555, files 0444), where the initrd's tmpfiles
 * copy them to /run/systemd/. Today: the signed PCR 11 policy (.pcrsig as
 * tpm2-pcr-signature.json) and its public key (.pcrpkey as
 * tpm2-pcr-public-key.pem), which systemd-cryptsetup needs to unlock a disk
 * enrolled with --tpm2-public-key. Only sections the UKI has; nothing when
 * it has none. These files are not measured again: they are sections, and
 * .pcrpkey is in PCR 11 already (.pcrsig by design is not). */
#pragma once

#include "../efi/initrd.h"
#include "../efi/self.h"

#define STUB_EXTRA_FILES_MAX 4

struct stub_extra_files {
        struct initrd_piece archives[STUB_EXTRA_FILES_MAX];
        size_t n_archives;
};

/* Packs the archives (caller frees them with stub_extra_files_free(), also
 * on failure). */
EFI_STATUS stub_extra_files_pack(const struct self_image *self, struct stub_extra_files *ret);

void stub_extra_files_free(struct stub_extra_files *files);
