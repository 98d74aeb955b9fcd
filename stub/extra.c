/* SPDX-License-Identifier: MIT */
#include "extra.h"
#include "../common/cpio.h"
#include "../common/error.h"

#define EXTRA_DIRECTORY ".extra"
#define EXTRA_DIRECTORY_MODE 0555
#define EXTRA_FILE_MODE 0444

static const struct {
        enum uki_section section;
        const char *file_name;
} extra_files[STUB_EXTRA_FILES_MAX] = {
        { UKI_SECTION_PCRSIG, "tpm2-pcr-signature.json" },
        { UKI_SECTION_PCRPKEY, "tpm2-pcr-public-key.pem" },
        /* systemd 257: the booted profile's .osrel and .profile (not measured: both are in PCR 11). */
        { UKI_SECTION_OSREL, "os-release" },
        { UKI_SECTION_PROFILE, "profile" },
};

/* One archive: counted first, then written into a buffer of exactly that size. */
static EFI_STATUS pack_one(const void *data, size_t size, const char *file_name, struct initrd_piece *ret) {
        struct cpio_writer w;
        uint8_t *buf;
        int r;

        cpio_writer_init(&w, NULL, 0);
        r = cpio_pack_file_in_directory(&w, EXTRA_DIRECTORY, EXTRA_DIRECTORY_MODE, file_name, EXTRA_FILE_MODE, data,
                                        size);
        if (r == KEEL_OK) {
                buf = efi_alloc(w.used);
                if (!buf)
                        return EFI_OUT_OF_RESOURCES;
                cpio_writer_init(&w, buf, w.used);
                r = cpio_pack_file_in_directory(&w, EXTRA_DIRECTORY, EXTRA_DIRECTORY_MODE, file_name,
                                                EXTRA_FILE_MODE, data, size);
                if (r != KEEL_OK)
                        efi_free(buf);
        }
        if (r != KEEL_OK) {
                efi_print("keel: cannot pack /%s/%s for the OS: %s\n", EXTRA_DIRECTORY, file_name, keel_strerror(r));
                return EFI_INVALID_PARAMETER;
        }
        *ret = (struct initrd_piece) { .data = buf, .size = w.used };
        return EFI_SUCCESS;
}

EFI_STATUS stub_extra_files_pack(const struct self_image *self, struct stub_extra_files *ret) {
        *ret = (struct stub_extra_files) {};
        for (size_t i = 0; i < ARRAY_SIZE(extra_files); i++) {
                size_t size;
                const void *data = self_section(self, extra_files[i].section, &size);
                EFI_STATUS err;

                /* An empty section hands over nothing, as with systemd-stub. */
                if (!data || size == 0)
                        continue;
                /* os-release only for a multi-profile UKI (systemd 257 hands it to every UKI; keel keeps
                 * UKIs without .profile exactly as systemd-stub 252 boots them). */
                if (extra_files[i].section == UKI_SECTION_OSREL && !self->sections.section[UKI_SECTION_PROFILE])
                        continue;
                err = pack_one(data, size, extra_files[i].file_name, &ret->archives[ret->n_archives]);
                if (err != EFI_SUCCESS)
                        return err;
                ret->n_archives++;
        }
        return EFI_SUCCESS;
}

void stub_extra_files_free(struct stub_extra_files *files) {
        for (size_t i = 0; i < files->n_archives; i++)
                efi_free((void *) files->archives[i].data);
        files->n_archives = 0;
}
