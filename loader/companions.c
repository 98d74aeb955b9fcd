/* SPDX-License-Identifier: MIT */
#include "companions.h"
#include "../common/bls.h"
#include "../common/cpio.h"
#include "../common/error.h"
#include "../efi/file.h"
#include "../efi/tpm.h"

/* One file of kind k from an `extra` line: read whole, named by its last
 * path component; false (with one line) when it is not to be packed. */
static bool read_one(EFI_FILE *root, const char *extra, const struct sidecar_kind *k, uint64_t *used,
                     struct cpio_file *ret) {
        struct slice name;
        size_t kind, size = 0;
        CHAR16 *path = path_from_entry(extra);
        void *data = NULL;
        char *copy;
        EFI_STATUS err;

        if (entry_extra_classify(slice_from_cstr(extra), &kind, &name) != KEEL_OK || &entry_extra_kinds[kind] != k)
                return false;
        err = path ? file_read_all(root, path, k->max_file_size, &data, &size) : EFI_OUT_OF_RESOURCES;
        efi_free(path);
        if (err == EFI_SUCCESS && (size == 0 || !sidecar_size_fits(k, size, *used)))
                err = size == 0 ? EFI_END_OF_FILE : EFI_BAD_BUFFER_SIZE;
        if (err != EFI_SUCCESS) {
                efi_print("keel: skipping extra %s: %s\n", extra,
                          err == EFI_END_OF_FILE ? "empty" : err == EFI_BAD_BUFFER_SIZE ? "too large" : efi_status_text(err));
                efi_free(data);
                return false;
        }
        copy = efi_alloc(name.len + 1);
        if (!copy) {
                efi_free(data);
                return false;
        }
        memcpy(copy, name.ptr, name.len);
        copy[name.len] = '\0';
        *ret = (struct cpio_file) { .name = copy, .data = data, .size = size };
        *used += size;
        return true;
}

static void pack_kind(EFI_FILE *root, const struct boot_entry *e, const struct sidecar_kind *k, uint64_t *used,
                      struct companions *c) {
        struct cpio_file files[BLS_MAX_EXTRAS];
        struct cpio_writer w;
        uint8_t *buf = NULL;
        size_t n = 0;
        int r;

        for (size_t i = 0; i < e->n_extras && n < ARRAY_SIZE(files); i++)
                if (read_one(root, e->extras[i], k, used, &files[n]))
                        n++;
        if (n == 0)
                return;
        cpio_writer_init(&w, NULL, 0);
        r = cpio_pack_directory(&w, k->target, k->dir_mode, k->file_mode, files, n);
        if (r == KEEL_OK) {
                buf = efi_alloc(w.used);
                r = buf ? KEEL_OK : KEEL_E_NO_MEMORY;
        }
        if (r == KEEL_OK) {
                cpio_writer_init(&w, buf, w.used);
                r = cpio_pack_directory(&w, k->target, k->dir_mode, k->file_mode, files, n);
        }
        if (r == KEEL_OK) {
                EFI_STATUS m = tpm_log_event_ascii(k->pcr, buf, w.used, k->description);
                if (m != EFI_SUCCESS && m != TPM_STATUS_ABSENT)
                        efi_print("keel: cannot measure /%s into PCR %u: %s\n", k->target, k->pcr, efi_status_text(m));
                c->archives[c->n_archives++] = (struct initrd_piece) { .data = buf, .size = w.used };
        } else {
                efi_print("keel: cannot pack /%s: %s\n", k->target, keel_strerror(r));
                efi_free(buf);
        }
        for (size_t i = 0; i < n; i++) {
                efi_free((void *) files[i].name);
                efi_free((void *) files[i].data);
        }
}

void companions_pack(EFI_FILE *root, const struct boot_entry *e, struct companions *ret) {
        uint64_t used = 0;

        *ret = (struct companions) {};
        for (size_t i = 0; i < e->n_extras; i++) {
                struct slice name;
                size_t kind;
                int r = entry_extra_classify(slice_from_cstr(e->extras[i]), &kind, &name);
                if (r != KEEL_OK)
                        efi_print("keel: skipping extra %s: %s\n", e->extras[i], keel_strerror(r));
        }
        for (size_t k = 0; k < ENTRY_EXTRA_KINDS; k++)
                pack_kind(root, e, &entry_extra_kinds[k], &used, ret);
}

void companions_free(struct companions *c) {
        for (size_t i = 0; i < c->n_archives; i++)
                efi_free((void *) c->archives[i].data);
        *c = (struct companions) {};
}
