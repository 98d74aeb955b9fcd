/* SPDX-License-Identifier: MIT */
#include "thin.h"
#include "../common/error.h"
#include "../common/thin.h"
#include "../efi/file.h"

static EFI_STATUS load_one(const struct self_image *self, EFI_FILE **root, enum uki_section which, void **ret_data,
                           size_t *ret_size) {
        const struct pe_section *s = self->sections.section[which];
        const char *name = uki_section_name(which);
        struct thin_ref ref;
        CHAR16 *path;
        void *data = NULL;
        size_t size = 0;
        EFI_STATUS err;
        int r;

        if (!s)
                return EFI_SUCCESS;
        r = measure_thin_ref(s, self->base, self->size, MEASURE_LAYOUT_MEMORY, &ref);
        if (r != KEEL_OK) {
                efi_print("keel: refusing to boot: the UKI's %s is no valid reference: %s\n", name, keel_strerror(r));
                return EFI_LOAD_ERROR;
        }
        if (!*root) {
                err = file_open_volume(self->loaded_image->DeviceHandle, root);
                if (err != EFI_SUCCESS) {
                        *root = NULL;
                        efi_print("keel: refusing to boot: cannot open the UKI's own volume for %s: %s\n", ref.path,
                                  efi_status_text(err));
                        return err;
                }
        }
        path = path_from_entry(ref.path);
        if (!path)
                return EFI_OUT_OF_RESOURCES;
        /* At most the size the signed reference names: a larger file is not read at all. */
        err = file_read_all(*root, path, (size_t) ref.size, &data, &size);
        efi_free(path);
        if (err == EFI_BAD_BUFFER_SIZE)
                r = KEEL_E_THIN_SIZE_MISMATCH;
        else if (err != EFI_SUCCESS) {
                efi_print("keel: refusing to boot: cannot read %s (named by the UKI's %s): %s\n", ref.path, name,
                          efi_status_text(err));
                return err;
        } else
                r = thin_ref_check_content(&ref, data, size);
        if (r != KEEL_OK) {
                efi_print("keel: refusing to boot: %s is not what the UKI's %s names: %s\n", ref.path, name,
                          keel_strerror(r));
                efi_free(data);
                return EFI_SECURITY_VIOLATION;
        }
        *ret_data = data;
        *ret_size = size;
        return EFI_SUCCESS;
}

EFI_STATUS stub_thin_load(const struct self_image *self, struct stub_thin *ret) {
        EFI_FILE *root = NULL;
        EFI_STATUS err;

        *ret = (struct stub_thin) {};
        err = load_one(self, &root, UKI_SECTION_TLINUX, &ret->linux_data, &ret->linux_size);
        if (err == EFI_SUCCESS)
                err = load_one(self, &root, UKI_SECTION_TINITRD, &ret->initrd_data, &ret->initrd_size);
        if (root)
                root->Close(root);
        if (err != EFI_SUCCESS)
                stub_thin_free(ret);
        return err;
}

struct measure_thin_content stub_thin_content(const struct stub_thin *t) {
        return (struct measure_thin_content) {
                .linux_data = t->linux_data,
                .linux_size = t->linux_size,
                .initrd_data = t->initrd_data,
                .initrd_size = t->initrd_size,
        };
}

void stub_thin_free(struct stub_thin *t) {
        efi_free(t->linux_data);
        efi_free(t->initrd_data);
        *t = (struct stub_thin) {};
}
