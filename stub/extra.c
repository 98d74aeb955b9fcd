/* SPDX-License-Identifier: MIT */
#include "extra.h"
#include "../common/cpio.h"
#include "../common/error.h"
#include "../common/random-seed.h"

#define EXTRA_DIRECTORY ".extra"
#define EXTRA_DIRECTORY_MODE 0555
#define EXTRA_FILE_MODE 0444
/* Only root may read the boot secret (systemd-stub 261's mode). */
#define EXTRA_SECRET_MODE 0400

static const struct {
        enum uki_section section;
        const char *file_name;
} extra_files[] = {
        { UKI_SECTION_PCRSIG, "tpm2-pcr-signature.json" },
        { UKI_SECTION_PCRPKEY, "tpm2-pcr-public-key.pem" },
        /* systemd 257: the booted profile's .osrel (of every UKI) and .profile
         * (not measured: both are in PCR 11). */
        { UKI_SECTION_OSREL, "os-release" },
        { UKI_SECTION_PROFILE, "profile" },
};

/* The sections' archives and the boot secret's. */
_Static_assert(ARRAY_SIZE(extra_files) + 1 <= STUB_EXTRA_FILES_MAX, "STUB_EXTRA_FILES_MAX too small");

/* One archive: counted first, then written into a buffer of exactly that size. */
static EFI_STATUS pack_one(const void *data, size_t size, const char *file_name, uint32_t mode,
                           struct initrd_piece *ret) {
        struct cpio_writer w;
        uint8_t *buf;
        int r;

        cpio_writer_init(&w, NULL, 0);
        r = cpio_pack_file_in_directory(&w, EXTRA_DIRECTORY, EXTRA_DIRECTORY_MODE, file_name, mode, data, size);
        if (r == KEEL_OK) {
                buf = efi_alloc(w.used);
                if (!buf)
                        return EFI_OUT_OF_RESOURCES;
                cpio_writer_init(&w, buf, w.used);
                r = cpio_pack_file_in_directory(&w, EXTRA_DIRECTORY, EXTRA_DIRECTORY_MODE, file_name, mode, data,
                                                size);
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

EFI_STATUS stub_extra_files_pack(const struct self_image *self, const uint8_t boot_secret[BOOT_SECRET_SIZE],
                                 struct stub_extra_files *ret) {
        static const uint8_t no_secret[BOOT_SECRET_SIZE];
        EFI_STATUS err;

        *ret = (struct stub_extra_files) {};
        for (size_t i = 0; i < ARRAY_SIZE(extra_files); i++) {
                size_t size;
                const void *data = self_section(self, extra_files[i].section, &size);

                /* An empty section hands over nothing, as with systemd-stub. */
                if (!data || size == 0)
                        continue;
                err = pack_one(data, size, extra_files[i].file_name, EXTRA_FILE_MODE, &ret->archives[ret->n_archives]);
                if (err != EFI_SUCCESS)
                        return err;
                ret->n_archives++;
        }
        /* Last, as systemd-stub; all zeros: no secret this boot. */
        if (memcmp(boot_secret, no_secret, BOOT_SECRET_SIZE) == 0)
                return EFI_SUCCESS;
        err = pack_one(boot_secret, BOOT_SECRET_SIZE, "boot-secret", EXTRA_SECRET_MODE, &ret->archives[ret->n_archives]);
        if (err == EFI_SUCCESS)
                ret->n_archives++;
        return err;
}

void stub_extra_files_free(struct stub_extra_files *files) {
        for (size_t i = 0; i < files->n_archives; i++) {
                /* One of them holds the boot secret. */
                random_seed_erase((void *) files->archives[i].data, files->archives[i].size);
                efi_free((void *) files->archives[i].data);
        }
        files->n_archives = 0;
}
